"""A real LMTP conversation: one answer per accepted recipient after DATA (RFC 2033)."""

from __future__ import annotations

import smtplib

import pytest

from postroom.mail.models import RawMessage
from postroom.mail.sources.smtp import start_receivers

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = (
    b"From: ana@example.net\r\n"
    b"To: support@example.test, billing@example.test\r\n"
    b"Subject: Invoice and battery\r\n"
    b"Message-ID: <lmtp-1@example.net>\r\n"
    b"\r\n"
    b"Two questions in one mail.\r\n"
)


def lmtp_client(port: int) -> smtplib.LMTP:
    client = smtplib.LMTP("127.0.0.1", port, timeout=10)
    client.ehlo("mta.example.test")  # smtplib.LMTP sends LHLO
    return client


def deliver(client: smtplib.LMTP, recipients: list[str], data: bytes) -> list[tuple[int, bytes]]:
    """Run one LMTP transaction; return the DATA replies, one per accepted recipient.

    smtplib reads only the first reply after DATA, so the others are read here.
    """
    client.mail("ana@example.net")
    accepted = [r for r in recipients if client.rcpt(r)[0] == 250]
    replies = [client.data(data)]
    replies += [client.getreply() for _ in accepted[1:]]
    return replies


def test_lhlo_is_required_and_helo_refused(receivers):
    with smtplib.SMTP("127.0.0.1", receivers.lmtp_port, timeout=10) as client:
        assert client.helo("mta.example.test")[0] == 500
        assert client.docmd("LHLO", "mta.example.test")[0] == 250


def test_each_accepted_recipient_gets_its_own_answer_and_the_message_is_stored_once(
    receivers, mailboxes
):
    with lmtp_client(receivers.lmtp_port) as client:
        replies = deliver(
            client, ["support@example.test", "nobody@example.test", "billing@example.test"], MESSAGE
        )
        # The conversation is still in step: nothing left unread.
        assert client.noop()[0] == 250

    assert replies == [(250, b"2.0.0 Message accepted for delivery")] * 2
    raw = RawMessage.objects.get()
    assert bytes(raw.data) == MESSAGE
    assert raw.source == "lmtp"
    assert raw.envelope_from == "ana@example.net"
    assert raw.envelope_to == ["support@example.test", "billing@example.test"]
    assert raw.mailbox == mailboxes["support"]


def test_unknown_recipient_is_refused_at_rcpt(receivers, mailboxes):
    with lmtp_client(receivers.lmtp_port) as client:
        client.mail("ana@example.net")
        assert client.rcpt("nobody@example.test") == (
            550,
            b"5.1.1 <nobody@example.test>: no such mailbox here",
        )
        assert client.docmd("DATA")[0] == 503  # no valid recipient

    assert not RawMessage.objects.exists()


def test_storage_failure_answers_451_for_every_recipient(receivers, mailboxes, monkeypatch):
    import postroom.mail.store

    def queue_down(*args, **kwargs):
        raise RuntimeError("queue unavailable")

    monkeypatch.setattr(postroom.mail.store, "enqueue_on_commit", queue_down)
    with lmtp_client(receivers.lmtp_port) as client:
        replies = deliver(client, ["support@example.test", "billing@example.test"], MESSAGE)
        assert client.noop()[0] == 250

    assert replies == [(451, b"4.3.0 Temporary failure, please retry")] * 2
    assert not RawMessage.objects.exists()


def test_data_above_the_limit_is_refused_552_for_every_recipient(mailboxes):
    big = MESSAGE + (b"z" * 900 + b"\r\n") * 4
    with (
        start_receivers(bind="127.0.0.1", smtp_port=0, lmtp_port=0, max_message_bytes=2000) as r,
        lmtp_client(r.lmtp_port) as client,
    ):
        replies = deliver(client, ["support@example.test", "billing@example.test"], big)
        assert client.noop()[0] == 250

    assert [code for code, _ in replies] == [552, 552]
    assert not RawMessage.objects.exists()
