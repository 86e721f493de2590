"""Due times come from the ticket's policy and its team's calendar, pause while the
ticket waits on the customer, follow a changed policy, and the acknowledgement promises
the real first-reply time."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from postroom.core.clock import pinned
from postroom.mail.outbound.acknowledgement import acknowledgement_text
from postroom.sla.due import due_phrase, sla_plan, ticket_sla_refresh
from postroom.sla.models import BusinessCalendar, SlaPolicy, TicketSla
from postroom.tickets.models import Direction, Message, Ticket
from postroom.tickets.services import ticket_set_status
from tests.mail.builders import build_mail, deliver

BERLIN = ZoneInfo("Europe/Berlin")


def berlin(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


@pytest.fixture
def policy(queues):
    calendar = BusinessCalendar.objects.create(name="Berlin office", timezone="Europe/Berlin",
                                               weekly_hours={"mon-fri": "09:00-17:00"}, country="DE")
    return SlaPolicy.objects.create(name="Standard", calendar=calendar, first_response_minutes=480,
                                    next_response_minutes=240, resolution_minutes=3 * 480)


def _ticket_at(moment, mailboxes, body="My watch does not sync."):
    with pinned(moment.astimezone(dt.UTC)):
        return deliver(build_mail(body=body)).ticket


def test_friday_afternoon_mail_is_due_monday_afternoon(policy, mailboxes):
    ticket = _ticket_at(berlin(2026, 11, 20, 16, 0), mailboxes)
    with pinned(berlin(2026, 11, 20, 16, 1)):
        sla = ticket_sla_refresh(ticket_id=ticket.pk)
    assert sla.first_response_due == berlin(2026, 11, 23, 16, 0)
    assert sla.next_due_target == "first_response" and sla.next_due == sla.first_response_due
    assert sla.resolution_due == berlin(2026, 11, 25, 16, 0)


def test_the_acknowledgement_promises_the_due_time_in_the_customers_language(policy, mailboxes):
    ticket = _ticket_at(berlin(2026, 11, 20, 16, 0), mailboxes)
    message = ticket.messages.get()
    assert "by Monday 23 November, 16:00 CET" in acknowledgement_text(ticket=ticket, message=message,
                                                                       language="en")
    assert "bis Montag, 23. November, 16:00 Uhr MEZ" in acknowledgement_text(ticket=ticket, message=message,
                                                                            language="de")


def test_christmas_holidays_are_skipped(policy, mailboxes):
    ticket = _ticket_at(berlin(2026, 12, 24, 12, 0), mailboxes)
    plan = sla_plan(ticket)
    # 24 Dec 12:00–17:00 is 5 h; 25 and 26 Dec are holidays, 27 Dec a Sunday: 3 h on 28 Dec.
    assert plan.first_response_due == berlin(2026, 12, 28, 12, 0)


def test_the_clock_pauses_while_waiting_on_the_customer(policy, mailboxes, django_user_model):
    agent = django_user_model.objects.create_user("mia")
    ticket = _ticket_at(berlin(2026, 11, 23, 9, 0), mailboxes)
    with pinned(berlin(2026, 11, 23, 10, 0)):
        Message.objects.create(ticket=ticket, direction=Direction.OUTBOUND, author=agent, body_text="Try this")
        ticket_set_status(ticket=ticket, status="pending", actor=agent)
        paused = ticket_sla_refresh(ticket_id=ticket.pk)
    assert paused.first_responded_at is not None and paused.resolution_due is None
    assert paused.paused_since is not None and paused.next_due is None
    assert due_phrase(paused.next_due) == ""
    with pinned(berlin(2026, 11, 24, 10, 0)):  # the customer answers a business day later
        ticket_set_status(ticket=Ticket.objects.get(pk=ticket.pk), status="open", actor=None,
                          source="customer-reply")
        Message.objects.create(ticket=ticket, direction=Direction.INBOUND, body_text="Did not help")
        resumed = ticket_sla_refresh(ticket_id=ticket.pk)
    # Three business days from Monday 09:00 plus the 8 business hours it waited: Friday 09:00 → 17:00.
    assert resumed.resolution_due == berlin(2026, 11, 26, 17, 0)
    assert resumed.paused_seconds == 8 * 3600
    assert resumed.next_response_due == berlin(2026, 11, 24, 14, 0)
    assert resumed.next_due_target == "next_response"


def test_a_changed_policy_applies_to_open_tickets(policy, mailboxes, django_capture_on_commit_callbacks):
    ticket = _ticket_at(berlin(2026, 11, 23, 9, 0), mailboxes)
    ticket_sla_refresh(ticket_id=ticket.pk)
    with django_capture_on_commit_callbacks(execute=True):
        policy.first_response_minutes = 60
        policy.save()
    assert TicketSla.objects.get(ticket=ticket).first_response_due == berlin(2026, 11, 23, 10, 0)


def test_a_policy_matches_queue_priority_and_tier(policy, queues, mailboxes):
    urgent = SlaPolicy.objects.create(name="Urgent billing", position=1, queue=queues["billing"],
                                      priority="urgent", calendar=policy.calendar, first_response_minutes=30)
    ticket = Ticket.objects.create(subject="x", queue=queues["billing"], priority="urgent")
    assert sla_plan(ticket).policy == urgent
    ticket.priority = "normal"
    assert sla_plan(ticket).policy == policy


def test_intake_refreshes_the_clock_after_commit(policy, mailboxes, django_capture_on_commit_callbacks):
    with pinned(berlin(2026, 11, 23, 9, 0).astimezone(dt.UTC)), django_capture_on_commit_callbacks(execute=True):
        raw = deliver(build_mail())
    assert TicketSla.objects.get(ticket=raw.ticket).first_response_due == berlin(2026, 11, 23, 17, 0)


def test_due_phrase_reads_like_a_person_wrote_it():
    now = dt.datetime(2026, 11, 23, 9, 0, tzinfo=dt.UTC)
    assert due_phrase(now + dt.timedelta(hours=3, minutes=10), now=now) == "due in 3h 10m"
    assert due_phrase(now - dt.timedelta(minutes=25), now=now) == "overdue 25 min"
    assert due_phrase(now + dt.timedelta(days=3), now=now) == "due in 3d 0h"


def test_service_figures_are_in_business_time(policy, mailboxes, django_user_model):
    agent = django_user_model.objects.create_user("mia")
    ticket = _ticket_at(berlin(2026, 11, 20, 16, 0), mailboxes)  # Friday 16:00
    with pinned(berlin(2026, 11, 23, 10, 0)):  # Monday 10:00: 2 business hours later
        Message.objects.create(ticket=ticket, direction=Direction.OUTBOUND, author=agent, body_text="Fixed?")
        ticket_set_status(ticket=ticket, status="solved", actor=agent)
        sla = ticket_sla_refresh(ticket_id=ticket.pk)
    assert sla.first_response_seconds == 2 * 3600 and sla.first_response_met is True
    assert sla.resolution_seconds == 2 * 3600 and sla.resolution_met is True
    assert sla.next_due is None


def test_the_promise_is_in_the_customers_time_zone_when_known(policy, mailboxes):
    from postroom.accounts.models import Customer

    ticket = _ticket_at(berlin(2026, 11, 20, 16, 0), mailboxes)
    Customer.objects.filter(pk=ticket.customer_id).update(timezone="America/New_York")
    ticket = Ticket.objects.select_related("customer").get(pk=ticket.pk)
    text = acknowledgement_text(ticket=ticket, message=ticket.messages.get(), language="en")
    assert "by Monday 23 November, 10:00 EST" in text
