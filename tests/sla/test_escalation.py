"""Warnings before a target is broken, escalation along the queue's chain when it is, and
at once when the customer's words ask for it; each notice sent once; solved tickets close."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from postroom.core.clock import pinned
from postroom.mail.models import OutboundKind, OutboundMessage
from postroom.sla.due import ticket_sla_refresh
from postroom.sla.escalation import sla_escalations_run, tickets_auto_close
from postroom.sla.models import BusinessCalendar, QueueEscalation, SlaNotice, SlaPolicy
from postroom.tickets.models import Ticket, TicketEvent
from postroom.tickets.services import ticket_set_status
from tests.mail.builders import build_mail, deliver

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def desk(queues, mailboxes, django_user_model):
    calendar = BusinessCalendar.objects.create(name="Berlin", timezone="Europe/Berlin",
                                               weekly_hours={"mon-fri": "09:00-17:00"}, country="DE")
    SlaPolicy.objects.create(name="Standard", calendar=calendar, first_response_minutes=480, warn_at_percent=75)
    people = {name: django_user_model.objects.create_user(name, f"{name}@desk.test") for name in
              ("mia", "sam", "max")}
    QueueEscalation.objects.create(queue=queues["support"], supervisor=people["sam"], manager=people["max"],
                                   manager_after_minutes=240)
    with pinned(berlin(2026, 11, 23, 9, 0)):  # Monday 09:00: first reply due 17:00
        ticket = deliver(build_mail()).ticket
        ticket.assignee = people["mia"]
        ticket.save()
        ticket_sla_refresh(ticket_id=ticket.pk)
    return ticket, people


def _run(moment):
    with pinned(moment):
        return sla_escalations_run()


def _notices(kind):
    return list(SlaNotice.objects.filter(kind=kind).values_list("level", "user__username"))


def test_nothing_happens_while_there_is_time(desk):
    assert _run(berlin(2026, 11, 23, 12, 0)).notices == 0


def test_the_assignee_is_warned_once_at_three_quarters(desk):
    first = _run(berlin(2026, 11, 23, 15, 0))
    again = _run(berlin(2026, 11, 23, 15, 30))
    assert (first.warnings, again.notices) == (1, 0)
    assert _notices("warning") == [(0, "mia")]
    mails = OutboundMessage.objects.filter(kind=OutboundKind.NOTIFICATION)
    assert [m.recipients for m in mails] == [["mia@desk.test"]]
    assert "SLA warning" in mails[0].subject


def test_a_breach_goes_to_the_supervisor_and_raises_the_priority(desk):
    ticket, _ = desk
    run = _run(berlin(2026, 11, 24, 9, 30))
    assert run.breaches == 1
    assert sorted(_notices("breach")) == [(1, "mia"), (1, "sam")]
    ticket.refresh_from_db()
    assert ticket.priority == "high"
    assert TicketEvent.objects.filter(ticket=ticket, source="sla", summary__startswith="SLA breached").exists()
    assert _run(berlin(2026, 11, 24, 9, 45)).notices == 0  # twice sends nothing twice


def test_the_manager_hears_when_the_breach_lasts(desk):
    _run(berlin(2026, 11, 24, 9, 30))
    _run(berlin(2026, 11, 24, 13, 30))  # 4 business hours after the breach at Monday 17:00
    assert (2, "max") in _notices("breach")


def test_a_ticket_waiting_on_the_customer_is_not_escalated(desk):
    ticket, people = desk
    with pinned(berlin(2026, 11, 23, 10, 0)):
        ticket_set_status(ticket=ticket, status="pending", actor=people["mia"])
        ticket_sla_refresh(ticket_id=ticket.pk)
    assert _run(berlin(2026, 11, 24, 9, 30)).notices == 0


def test_a_customer_asking_for_a_manager_escalates_at_once(queues, mailboxes, django_user_model,
                                                           django_capture_on_commit_callbacks):
    sam = django_user_model.objects.create_user("sam", "sam@desk.test")
    QueueEscalation.objects.create(queue=queues["support"], supervisor=sam)
    with django_capture_on_commit_callbacks(execute=True):
        raw = deliver(build_mail(subject="Complaint", body="Je veux parler à votre responsable, s'il vous plaît."))
    notice = SlaNotice.objects.get(kind="customer")
    assert notice.user == sam and "manager" in notice.reason
    assert raw.ticket.events.filter(summary__startswith="Escalated: the customer asks").exists()


def test_a_second_chaser_without_a_reply_escalates(queues, mailboxes, django_capture_on_commit_callbacks):
    first = deliver(build_mail(message_id="one@customer.test", body="My watch does not sync."))
    with django_capture_on_commit_callbacks(execute=True):
        deliver(build_mail(subject="Re: My watch does not sync", in_reply_to="one@customer.test",
                           message_id="two@customer.test", body="Any news?"))
    assert not SlaNotice.objects.exists()
    with django_capture_on_commit_callbacks(execute=True):
        deliver(build_mail(subject="Re: My watch does not sync", in_reply_to="two@customer.test",
                           body="Hello? Still waiting for an answer."))
    notice = SlaNotice.objects.get(ticket=first.ticket)
    assert "second chaser" in notice.reason


def test_solved_tickets_close_after_the_quiet_days(queues):
    old = Ticket.objects.create(subject="old", queue=queues["support"])
    recent = Ticket.objects.create(subject="recent", queue=queues["support"])
    with pinned(dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.UTC)):
        ticket_set_status(ticket=old, status="solved", actor=None)
    with pinned(dt.datetime(2026, 11, 6, 12, 0, tzinfo=dt.UTC)):
        ticket_set_status(ticket=recent, status="solved", actor=None)
    with pinned(dt.datetime(2026, 11, 9, 12, 0, tzinfo=dt.UTC)):
        assert tickets_auto_close(days=7) == 1
    assert Ticket.objects.get(pk=old.pk).status == "closed"
    assert Ticket.objects.get(pk=recent.pk).status == "solved"
    assert old.events.filter(source="auto-close").exists()


def test_a_run_over_many_waiting_tickets_asks_once_what_was_sent(desk, django_assert_max_num_queries):
    with pinned(berlin(2026, 11, 23, 9, 0)):
        for _ in range(5):
            ticket_sla_refresh(ticket_id=deliver(build_mail()).ticket_id)
    _run(berlin(2026, 11, 24, 9, 30))  # the breach notices of all six exist now
    with django_assert_max_num_queries(3):  # open tickets, escalation chains, notices sent
        assert _run(berlin(2026, 11, 24, 9, 45)).notices == 0
