"""Build the search documents of tickets: what a ticket is findable by."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db.models.functions import Substr

from postroom.accounts.models import Customer, CustomerAddress
from postroom.tickets.models import Direction, Message, Ticket

# A ticket's indexed message text stops here: a 40-message thread of pasted logs must not
# make one document (and every search touching it) huge.
MAX_BODY_CHARS = 200_000
# Tickets whose messages are read in one go rather than streamed.
_STREAM_ABOVE = 200


@dataclass(frozen=True)
class TicketDocument:
    """The text of one ticket, by field, as indexed."""

    ticket_id: int
    reference: str
    subject: str
    customer: str
    facts: str
    body: str


def _facts_text(value: object) -> Iterator[str]:
    """Yield the leaf values of an extracted-facts structure ({"order_number": ["SO-1"]})."""
    if isinstance(value, dict):
        for item in value.values():
            yield from _facts_text(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _facts_text(item)
    elif isinstance(value, str | int | float) and not isinstance(value, bool):
        yield str(value)


def _bodies(ticket_ids: list[int], max_chars: int) -> dict[int, str]:
    """Return the message text of *ticket_ids* as indexed, at most *max_chars* a ticket, in one query."""
    bodies: dict[int, list[str]] = defaultdict(list)
    sizes: dict[int, int] = defaultdict(int)
    subjects: dict[int, set[str]] = defaultdict(set)
    messages = (
        Message.objects.filter(ticket_id__in=ticket_ids)
        # Acknowledgements and other automatic mail say the same on every ticket.
        .exclude(direction=Direction.AUTO)
        .order_by("ticket_id", "created_at", "pk")
        .annotate(
            visible=Substr("visible_text", 1, max_chars),
            body=Substr("body_text", 1, max_chars),
        )
        .values_list(
            "ticket_id", "direction", "subject", "from_name", "from_address", "visible", "body"
        )
    )
    # A rebuild's batch streams (up to 200,000 characters a message); a page's few are
    # fetched at once (a server-side cursor costs PostgreSQL three more round trips).
    rows = messages.iterator(chunk_size=500) if len(ticket_ids) > _STREAM_ABOVE else messages
    for ticket_id, direction, subject, from_name, from_address, visible, body in rows:
        room = max_chars - sizes[ticket_id]
        if room <= 0:
            continue
        # A customer's message without its quoted history; our replies and notes in full.
        text = (visible or body) if direction == Direction.INBOUND else (body or visible)
        parts = [text or ""]
        if direction == Direction.INBOUND:
            parts.insert(0, f"{from_name} {from_address}")
        if subject and subject not in subjects[ticket_id]:
            subjects[ticket_id].add(subject)
            parts.insert(0, subject)
        chunk = "\n".join(part for part in parts if part.strip())[:room]
        bodies[ticket_id].append(chunk)
        sizes[ticket_id] += len(chunk) + 1
    return {ticket_id: "\n".join(chunks) for ticket_id, chunks in bodies.items()}


def ticket_bodies(*, ticket_ids: Iterable[int], max_chars: int = MAX_BODY_CHARS) -> dict[int, str]:
    """Return the indexed message text of those of *ticket_ids* that have any, by ticket id,
    cut at *max_chars* a ticket (search snippets need only the start), in one query."""
    ids = sorted(set(ticket_ids))
    return _bodies(ids, max(1, min(max_chars, MAX_BODY_CHARS))) if ids else {}


def ticket_documents(*, ticket_ids: Iterable[int]) -> list[TicketDocument]:
    """Return the documents of those of *ticket_ids* that exist, in four queries."""
    ids = sorted(set(ticket_ids))
    if not ids:
        return []
    prefix = settings.POSTROOM["TICKET_PREFIX"]
    tickets = list(Ticket.objects.filter(pk__in=ids).values_list("pk", "subject", "facts", "customer_id"))
    customer_ids = {customer_id for *_, customer_id in tickets if customer_id is not None}
    customers: dict[int, list[str]] = defaultdict(list)
    for pk, name in Customer.objects.filter(pk__in=customer_ids).values_list("pk", "name"):
        if name:
            customers[pk].append(name)
    for customer_id, address in (
        CustomerAddress.objects.filter(customer_id__in=customer_ids)
        .order_by("pk").values_list("customer_id", "address")
    ):
        customers[customer_id].append(address)

    bodies = _bodies([pk for pk, *_ in tickets], MAX_BODY_CHARS)

    return [
        TicketDocument(
            ticket_id=pk,
            reference=f"{prefix}-{pk}",
            subject=subject or "",
            customer=" ".join(customers.get(customer_id, [])) if customer_id else "",
            facts=" ".join(_facts_text(facts or {})),
            body=bodies.get(pk, ""),
        )
        for pk, subject, facts, customer_id in tickets
    ]
