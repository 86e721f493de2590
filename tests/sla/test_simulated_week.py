"""A desk through a simulated week with a pinned clock: the acknowledgement's promise
matches the calendar, the clock warns, pauses while the customer is away, the ticket is
solved, surveyed, rated and closed after its quiet days — each job at its moment."""

from __future__ import annotations

import datetime as dt
import re
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

from postroom.core.clock import pinned
from postroom.mail.models import OutboundKind, OutboundMessage
from postroom.mail.outbound import transports
from postroom.mail.outbound.replies import reply_send
from postroom.sla.escalation import sla_escalations_run, tickets_auto_close
from postroom.sla.models import BusinessCalendar, QueueEscalation, SlaNotice, SlaPolicy, TicketSla
from postroom.surveys.services import survey_rate
from postroom.tickets.models import Ticket
from postroom.tickets.services import ticket_set_status
from tests.mail.builders import build_mail, deliver

BERLIN = ZoneInfo("Europe/Berlin")
LINK = re.compile(r"/s/([^/\s\"'<>]+)/\?rating=([1-5])")


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """Return a moment of the week of Monday 23 November 2026, Berlin time."""
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=BERLIN)


@pytest.fixture(autouse=True)
def memory_transport(settings):
    settings.POSTROOM = {**settings.POSTROOM, "PUBLIC_URL": "https://help.example.test",
                         "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport"}
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


def test_a_week_at_the_desk(queues, mailboxes, django_user_model, django_capture_on_commit_callbacks):
    calendar = BusinessCalendar.objects.create(name="Berlin", timezone="Europe/Berlin",
                                               weekly_hours={"mon-fri": "09:00-17:00"}, country="DE")
    SlaPolicy.objects.create(name="Standard", calendar=calendar, first_response_minutes=480,
                             resolution_minutes=3 * 480, warn_at_percent=75)
    mia = django_user_model.objects.create_user("mia", "mia@desk.test", first_name="Mia")
    sam = django_user_model.objects.create_user("sam", "sam@desk.test")
    QueueEscalation.objects.create(queue=queues["support"], supervisor=sam)

    def run(moment, action):
        with pinned(moment.astimezone(dt.UTC)), django_capture_on_commit_callbacks(execute=True):
            return action()

    # Friday 16:30: a customer writes; the acknowledgement promises Monday 16:30.
    raw = run(at(20, 16, 30), lambda: deliver(build_mail(subject="Watch stopped syncing",
                                                         body="My watch stopped syncing yesterday.")))
    ticket = raw.ticket
    ack = OutboundMessage.objects.get(ticket=ticket, kind=OutboundKind.ACK)
    text = message_from_bytes(bytes(ack.data), policy=policy.default).get_body(("plain",)).get_content()
    assert "by Monday 23 November, 16:30 CET" in text
    assert TicketSla.objects.get(ticket=ticket).first_response_due == at(23, 16, 30)

    # The weekend passes: nothing is due, nothing is sent.
    assert run(at(22, 12, 0), sla_escalations_run).notices == 0
    # Monday 14:30: three quarters of the day used up; the (unassigned) ticket's supervisor hears.
    Ticket.objects.filter(pk=ticket.pk).update(assignee=mia)
    assert run(at(23, 14, 30), sla_escalations_run).warnings == 1
    assert run(at(23, 14, 45), sla_escalations_run).notices == 0

    # Monday 15:00: Mia answers; the ticket waits on the customer, the clock pauses.
    ticket = Ticket.objects.get(pk=ticket.pk)
    run(at(23, 15, 0), lambda: reply_send(ticket=ticket, author=mia, text="Please restart the watch."))
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.first_response_met is True and sla.paused_since is not None and sla.resolution_due is None

    # Wednesday 10:00: the customer answers; the resolution clock runs again, longer by the
    # 11 business hours it waited (Monday 15–17, Tuesday, Wednesday 9–10): Friday 11:30.
    run(at(25, 10, 0), lambda: deliver(build_mail(subject=f"Re: [{ticket.reference}] Watch stopped syncing",
                                                  body="Restarted it, now it syncs again. Thanks!")))
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.paused_since is None and sla.resolution_due == at(27, 11, 30)
    assert run(at(25, 10, 5), sla_escalations_run).breaches == 0

    # Wednesday 11:00: solved; the survey goes out; the customer rates it "great".
    ticket = Ticket.objects.get(pk=ticket.pk)
    run(at(25, 11, 0), lambda: ticket_set_status(ticket=ticket, status="solved", actor=mia))
    sla = TicketSla.objects.get(ticket=ticket)
    assert sla.resolution_met is True and sla.next_due is None
    bodies = [message_from_bytes(e.data, policy=policy.default).get_body(("plain",)).get_content()
              for e in transports.outbox]
    survey_mail = [body for body in bodies if "rating=5" in body]
    assert len(survey_mail) == 1
    token = {int(r): t for t, r in LINK.findall(survey_mail[0])}[5]
    run(at(25, 18, 0), lambda: survey_rate(token=token, rating=5))

    # A week of quiet later the solved ticket closes by itself; nobody was ever escalated.
    assert run(at(30, 12, 0), tickets_auto_close) == 0
    assert run(dt.datetime(2026, 12, 3, 12, 0, tzinfo=BERLIN), tickets_auto_close) == 1
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"
    assert not SlaNotice.objects.filter(kind__in=["breach", "customer"]).exists()
