"""RFC 3834: who must never get an automatic acknowledgement."""

from __future__ import annotations

import pytest

from postroom.tickets.models import EventKind
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


def _ack_skipped(raw) -> str:
    event = raw.ticket.events.filter(kind=EventKind.ACK_SKIPPED).first()
    return event.source if event else ""


@pytest.mark.parametrize(
    ("headers", "source"),
    [
        ({"Auto-Submitted": "auto-replied"}, "header:auto-submitted"),
        ({"Auto-Submitted": "auto-generated"}, "header:auto-submitted"),
        ({"Precedence": "bulk"}, "header:precedence"),
        ({"Precedence": "list"}, "header:precedence"),
        ({"Precedence": "junk"}, "header:precedence"),
        ({"List-Id": "<news.shop.test>"}, "header:list-id"),
        ({"List-Unsubscribe": "<mailto:unsub@shop.test>"}, "header:list-unsubscribe"),
        ({"X-Auto-Response-Suppress": "All"}, "header:x-auto-response-suppress"),
    ],
)
def test_automatic_or_bulk_mail_is_not_acknowledged(mailboxes, headers, source):
    raw = deliver(build_mail(headers=headers))
    assert raw.outcome == "ticket"
    assert _ack_skipped(raw) == source


def test_auto_submitted_no_is_acknowledged(mailboxes):
    raw = deliver(build_mail(headers={"Auto-Submitted": "no"}))
    assert _ack_skipped(raw) == ""


@pytest.mark.parametrize(
    "sender",
    ["MAILER-DAEMON@mx.test", "postmaster@shop.test", "no-reply@shop.test", "noreply@shop.test",
     "do-not-reply@shop.test", "donotreply@shop.test"],
)
def test_robot_senders_are_not_acknowledged(mailboxes, sender):
    raw = deliver(build_mail(sender=sender), sender=sender)
    assert _ack_skipped(raw) == "sender:robot"


def test_mail_from_our_own_system_is_not_acknowledged(mailboxes):
    raw = deliver(build_mail(sender="billing@example.test"), sender="billing@example.test")
    assert _ack_skipped(raw) == "sender:self"


def test_null_return_path_is_not_acknowledged(mailboxes):
    raw = deliver(build_mail(), sender="")
    assert _ack_skipped(raw) == "envelope:null-sender"


def test_out_of_office_subject_is_not_acknowledged(mailboxes):
    raw = deliver(build_mail(subject="Automatic reply: My watch does not sync"))
    assert _ack_skipped(raw) == "subject:auto-reply"


def test_ordinary_customer_mail_is_acknowledged(mailboxes):
    raw = deliver(build_mail())
    assert _ack_skipped(raw) == ""
