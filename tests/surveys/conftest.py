"""Fixtures for surveys: a ticket a customer wrote in, an agent, supervisors, mail in memory."""

from __future__ import annotations

import datetime as dt
import re
from contextlib import nullcontext
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest

from postroom.mail.outbound import transports

# Before any test's "now": tickets are written in, then solved at the real time.
T0 = dt.datetime(2025, 3, 2, 9, 0, tzinfo=dt.UTC)
LINK = re.compile(r"https?://[^\s\"'<>]+/s/([^/\s\"'<>]+)/\?rating=([1-5])")


@pytest.fixture(autouse=True)
def memory_transport(settings):
    """Send customer mail through MemoryTransport; return its list of sent envelopes."""
    settings.POSTROOM = {
        **settings.POSTROOM,
        "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport",
        "PUBLIC_URL": "https://help.example.test",
        "SURVEY_EXPIRY_DAYS": 14,
        "SURVEY_BAD_RATING": 2,
    }
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


@pytest.fixture
def agent(django_user_model, queues):
    mia = django_user_model.objects.create_user(
        "mia", "mia@example.test", "pw", is_staff=True, first_name="Mia", last_name="Lund"
    )
    queues["support"].members.add(mia)
    return mia


@pytest.fixture
def ticket(queues, mailboxes, customer, agent):
    """An open ticket on Technical Support, assigned to Mia, with Anna's first message."""
    from postroom.tickets.models import Direction, Message, Ticket, TicketStatus

    ticket = Ticket.objects.create(
        subject="Watch won't sync after update",
        queue=queues["support"],
        customer=customer,
        status=TicketStatus.OPEN,
        assignee=agent,
        our_address="support@example.test",
        language="en",
        created_at=T0,
        updated_at=T0,
    )
    Message.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND,
        from_address="anna@customer.example",
        from_name="Anna Berg",
        to=["support@example.test"],
        subject=ticket.subject,
        message_id="CAF-1234@mail.customer.example",
        body_text="My watch stopped syncing after firmware 2.3.",
        visible_text="My watch stopped syncing after firmware 2.3.",
        created_at=T0,
    )
    return ticket


@pytest.fixture
def solve(django_capture_on_commit_callbacks):
    """Return a function that solves a ticket the way an agent does, running its jobs."""
    from postroom.core.clock import pinned
    from postroom.tickets.services import ticket_set_status

    def _solve(ticket, *, at=None, actor=None):
        with pinned(at) if at else nullcontext(), django_capture_on_commit_callbacks(execute=True):
            ticket_set_status(ticket=ticket, status="solved", actor=actor)
        ticket.refresh_from_db()
        return ticket

    return _solve


def parsed(envelope) -> EmailMessage:
    """Return an outgoing envelope as a parsed message."""
    return message_from_bytes(envelope.data, policy=policy.default)


def text_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(preferencelist=("html",)).get_content()


def links_in(text: str) -> dict[int, str]:
    """Return the survey links in *text*: rating -> token."""
    return {int(rating): token for token, rating in LINK.findall(text)}


@pytest.fixture
def surveyed(ticket, solve, memory_transport):
    """Solve the ticket; return (survey, {rating: token}) from the mail the customer got."""
    from postroom.surveys.models import Survey

    solve(ticket)
    (envelope,) = memory_transport
    return Survey.objects.get(ticket=ticket), links_in(text_of(parsed(envelope)))


@pytest.fixture
def supervisor(django_user_model, queues):
    """Sam: in the Supervisors group and a member of Technical Support."""
    from django.contrib.auth.models import Group

    sam = django_user_model.objects.create_user("sam", "sam@example.test", "pw", is_staff=True)
    sam.groups.add(Group.objects.get_or_create(name="Supervisors")[0])
    queues["support"].members.add(sam)
    return sam


class _Alert:
    """A staff notification from the outbox, read like Django's test mail."""

    def __init__(self, outbound) -> None:
        parsed = message_from_bytes(bytes(outbound.data), policy=policy.default)
        self.to = list(outbound.recipients)
        self.subject = " ".join(str(parsed["Subject"]).split())  # unfolded, as a mail client shows it
        self.body = parsed.get_content()
        self.extra_headers = {name: str(value) for name, value in parsed.items()}


class _StaffMail:
    """The staff notifications queued so far, oldest first (read fresh on each use)."""

    def _rows(self) -> list[_Alert]:
        from postroom.mail.models import OutboundKind, OutboundMessage

        rows = OutboundMessage.objects.filter(kind=OutboundKind.NOTIFICATION, automatic=True)
        return [_Alert(o) for o in rows.order_by("created_at", "id") if not _is_survey(o)]

    def __iter__(self):
        return iter(self._rows())

    def __len__(self) -> int:
        return len(self._rows())

    def __getitem__(self, index: int) -> _Alert:
        return self._rows()[index]

    def __eq__(self, other: object) -> bool:
        return self._rows() == other


def _is_survey(outbound) -> bool:
    """Return whether *outbound* went to the customer (it then has a copy in the ticket's thread)."""
    from postroom.tickets.models import Message

    return Message.objects.filter(message_id=outbound.message_id).exists()


@pytest.fixture
def staff_mail(db):
    """The alerts to supervisors, sent through the outbox."""
    return _StaffMail()
