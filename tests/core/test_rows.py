"""`rows_insert` / `row_update` store exactly what the ORM would store."""

from __future__ import annotations

import datetime as dt

import pytest

from postroom.core.rows import row_update, rows_insert
from postroom.mail.models import RawMessage, RawState
from postroom.tickets.models import Direction, Message, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_inserted_rows_read_back_like_orm_rows(queues):
    when = dt.datetime(2026, 3, 29, 1, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    (ticket_id,) = rows_insert(Ticket, [{"subject": "Ünïcødé ✓", "queue_id": queues["support"].pk,
                                         "created_at": when, "updated_at": when}])
    ticket = Ticket.objects.get(pk=ticket_id)
    assert ticket.subject == "Ünïcødé ✓"
    assert ticket.created_at == when
    assert ticket.status == "new" and ticket.priority == "normal"  # defaults applied
    assert len(ticket.reply_token) == 16  # callable default applied
    (message_id,) = rows_insert(Message, [{"ticket_id": ticket_id, "direction": Direction.INBOUND,
                                           "to": ["a@x.test", "b@x.test"], "cc": [], "sent_at": None}])
    message = Message.objects.get(pk=message_id)
    assert message.to == ["a@x.test", "b@x.test"] and message.sent_at is None


def test_several_rows_in_one_statement_return_their_ids_in_order(queues):
    ticket = Ticket.objects.create(subject="x", queue=queues["support"])
    ids = rows_insert(TicketEvent, [
        {"ticket_id": ticket.pk, "kind": "note", "summary": f"event {i}", "detail": {"i": i}} for i in range(5)
    ])
    assert [TicketEvent.objects.get(pk=pk).detail for pk in ids] == [{"i": i} for i in range(5)]


def test_update_skips_rows_with_an_excluded_value(db):
    raw = RawMessage.objects.create(data=b"x", size=1, sha256="0" * 64, source="import")
    assert row_update(RawMessage, raw.pk, {"state": RawState.PROCESSED, "outcome": "ticket"},
                      unless={"state": RawState.PROCESSED}) == 1
    assert row_update(RawMessage, raw.pk, {"outcome": "spam"}, unless={"state": RawState.PROCESSED}) == 0
    raw.refresh_from_db()
    assert raw.state == RawState.PROCESSED and raw.outcome == "ticket"
