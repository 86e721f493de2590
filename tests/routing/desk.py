"""A desk with history: solved tickets labelled with categories from the BANKING77 sample."""

from __future__ import annotations

from postroom.routing.dataset import labeled_texts_read
from postroom.routing.models import Category
from postroom.tickets.models import Direction, Message, Ticket, TicketStatus
from tests.conftest import FIXTURES

SAMPLE = FIXTURES / "routing" / "banking77-sample.csv"
LABELS = ("card_arrival", "lost_or_stolen_card", "exchange_rate", "top_up_failed", "passcode_forgotten",
          "request_refund")


def labelled_rows() -> list[tuple[str, str]]:
    """Return (text, category) pairs of six well-separated intents (about 130 rows)."""
    data = labeled_texts_read(SAMPLE, text_columns=("text",), label_column="category")
    return [(t, c) for t, c in zip(data.texts, data.labels, strict=True) if c in LABELS]


def desk_history(queue, rows, *, status=TicketStatus.SOLVED) -> list[Ticket]:
    """Create one ticket with one customer message per row, in *queue*, with its category."""
    categories = {label: Category.objects.get_or_create(slug=label, defaults={"name": label})[0]
                  for label in {c for _, c in rows}}
    tickets = []
    for text, label in rows:
        ticket = Ticket.objects.create(subject=text[:60], queue=queue, status=status, category=categories[label])
        Message.objects.create(ticket=ticket, direction=Direction.INBOUND, visible_text=text, body_text=text)
        tickets.append(ticket)
    return tickets
