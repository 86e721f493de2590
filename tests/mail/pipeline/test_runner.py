"""The intake path end to end: stored raw mail becomes tickets; failures are quarantined."""

from __future__ import annotations

import pytest

from postroom.mail.models import RawMessage, RawState
from postroom.mail.pipeline import STEPS
from postroom.mail.pipeline.runner import raw_message_process, raw_message_retry
from postroom.tickets.models import EventKind, Ticket, TicketStatus
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


def test_new_mail_opens_a_ticket_in_the_mailbox_queue(mailboxes):
    raw = deliver(build_mail(to="billing@example.test"), to=("billing@example.test",))
    assert raw.state == RawState.PROCESSED and raw.outcome == "ticket"
    ticket = raw.ticket
    assert ticket.queue.name == "Billing"
    assert ticket.status == TicketStatus.NEW
    assert ticket.our_address == "billing@example.test"
    assert ticket.customer.addresses.get().address == "alice@customer.test"
    message = ticket.messages.get()
    assert "stopped syncing" in message.body_text
    assert message.raw_id == raw.pk


def test_timeline_records_each_decision_with_its_source(mailboxes):
    ticket = deliver(build_mail(), to=("support@example.test",)).ticket
    events = {e.kind: e for e in ticket.events.all()}
    assert events[EventKind.CREATED].source == "intake:smtp"
    assert events[EventKind.ROUTED].source == "mailbox:support@example.test"
    assert any(e.source == "lingua" and "en" in e.summary for e in ticket.events.all())


def test_a_failing_step_quarantines_the_message_with_the_step_name(mailboxes, monkeypatch):
    from postroom.mail.pipeline.steps import route

    def broken(mail, decisions):
        raise RuntimeError("routing table unavailable")

    monkeypatch.setattr(route, "run", broken)
    raw = deliver(build_mail())
    assert raw.state == RawState.QUARANTINED
    assert raw.failed_step == "route"
    assert "routing table unavailable" in raw.error
    assert raw.attempts == 1
    assert not Ticket.objects.exists()


def test_one_bad_message_does_not_block_the_next(mailboxes, monkeypatch):
    from postroom.mail.pipeline.steps import route

    original = route.run

    def broken_for_one(mail, decisions):
        if "poison" in mail.subject:
            raise ValueError("boom")
        original(mail, decisions)

    monkeypatch.setattr(route, "run", broken_for_one)
    bad = deliver(build_mail(subject="poison pill"))
    good = deliver(build_mail(subject="Battery drains overnight"))
    assert bad.state == RawState.QUARANTINED
    assert good.state == RawState.PROCESSED and good.ticket is not None


def test_retry_replays_a_quarantined_message_once_the_fault_is_gone(mailboxes, monkeypatch):
    from postroom.mail.pipeline.steps import route

    original = route.run
    monkeypatch.setattr(route, "run", lambda m, d: (_ for _ in ()).throw(RuntimeError("down")))
    raw = deliver(build_mail())
    assert raw.state == RawState.QUARANTINED
    monkeypatch.setattr(route, "run", original)
    assert raw_message_retry(raw_id=raw.pk) == {"ticket": 1}
    raw.refresh_from_db()
    assert raw.state == RawState.PROCESSED and raw.ticket is not None and raw.error == ""


def test_processing_twice_commits_once(mailboxes):
    raw = deliver(build_mail())
    assert raw_message_process(raw_id=raw.pk) == "ticket"
    assert Ticket.objects.count() == 1


def test_every_step_has_a_unique_name_and_rules_come_last():
    names = [s.NAME for s in STEPS]
    assert len(set(names)) == len(names)
    assert names[:5] == ["dedupe", "bounce", "spam", "loop_guard", "thread"]
    # Rules see everything the other steps decided, and have the last word.
    assert names[-1] == "rules"


def test_mail_to_an_unknown_address_goes_to_the_default_queue(mailboxes):
    raw = deliver(build_mail(to="someone@elsewhere.test"), to=("someone@elsewhere.test",), source="import")
    assert raw.ticket.queue.is_default
    assert raw.ticket.events.filter(source="default-queue").exists()
    assert RawMessage.objects.count() == 1
