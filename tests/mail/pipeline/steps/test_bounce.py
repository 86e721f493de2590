"""Delivery status notifications land on the ticket whose mail bounced (RFC 3464)."""

from __future__ import annotations

import pytest

from postroom.mail.models import Bounce, OutboundMessage, Suppression
from postroom.tickets.models import EventKind, Ticket
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


def _dsn(original_id: str, recipient: str = "alice@customer.test", status: str = "5.1.1",
         action: str = "failed") -> bytes:
    boundary = "BOUNDARY42"
    return f"""From: Mail Delivery System <MAILER-DAEMON@mx.example.test>
To: support@example.test
Subject: Undelivered Mail Returned to Sender
Message-ID: <dsn-{original_id}@mx.example.test>
Auto-Submitted: auto-replied
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"

--{boundary}
Content-Type: text/plain

I'm sorry to have to inform you that your message could not be delivered.

--{boundary}
Content-Type: message/delivery-status

Reporting-MTA: dns; mx.example.test

Final-Recipient: rfc822; {recipient}
Action: {action}
Status: {status}
Diagnostic-Code: smtp; 550 5.1.1 <{recipient}>: Recipient address rejected: User unknown

--{boundary}
Content-Type: text/rfc822-headers

From: support@example.test
To: {recipient}
Subject: [PR-1] We received your request
Message-ID: <{original_id}>

--{boundary}--
""".replace("\n", "\r\n").encode()


@pytest.fixture
def ticket_with_ack(mailboxes):
    ticket = deliver(build_mail()).ticket
    out = OutboundMessage.objects.create(
        ticket=ticket, kind="ack", automatic=True, from_address="support@example.test",
        recipients=["alice@customer.test"], subject="ack", message_id="pr-ack-1@desk.example.test",
        data=b"x", state="sent",
    )
    return ticket, out


def test_hard_bounce_is_recorded_on_the_ticket_not_as_a_new_ticket(ticket_with_ack):
    ticket, out = ticket_with_ack
    count = Ticket.objects.count()
    raw = deliver(_dsn(out.message_id), sender="")
    assert raw.outcome == "bounce"
    assert Ticket.objects.count() == count
    bounce = Bounce.objects.get()
    assert bounce.ticket_id == ticket.pk and bounce.outbound_id == out.pk
    assert bounce.hard and bounce.status == "5.1.1"
    assert ticket.events.filter(kind=EventKind.BOUNCE).exists()


def test_hard_bounce_suppresses_the_address(ticket_with_ack):
    _, out = ticket_with_ack
    deliver(_dsn(out.message_id), sender="")
    assert Suppression.objects.filter(address="alice@customer.test").exists()


def test_delayed_notice_does_not_suppress(ticket_with_ack):
    _, out = ticket_with_ack
    deliver(_dsn(out.message_id, status="4.4.7", action="delayed"), sender="")
    assert not Suppression.objects.exists()
    assert Bounce.objects.get().hard is False


def test_unmatched_bounce_is_kept_as_a_bounce_record(mailboxes):
    raw = deliver(_dsn("unknown@nowhere.test"), sender="")
    assert raw.outcome == "bounce"
    assert Bounce.objects.get().ticket is None
