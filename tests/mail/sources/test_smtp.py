"""A real SMTP conversation with the receiver: 250 only once the bytes are stored."""

from __future__ import annotations

import smtplib

import pytest

from postroom.mail.models import RawMessage
from postroom.mail.sources.smtp import start_receivers

pytestmark = pytest.mark.django_db(transaction=True)

MESSAGE = (
    b"From: Ana Customer <ana@example.net>\r\n"
    b"To: support@example.test\r\n"
    b"Subject: =?utf-8?q?Uhr_l=C3=A4dt_nicht?=\r\n"
    b"Message-ID: <smtp-1@example.net>\r\n"
    b"MIME-Version: 1.0\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
    b"Content-Transfer-Encoding: 8bit\r\n"
    b"\r\n"
    b"Meine Uhr l\xc3\xa4dt nicht mehr.\r\n"
    b".a line that starts with a dot (RFC 5321 \xc2\xa74.5.2 transparency)\r\n"
    b"..and one with two\r\n"
    b"\r\n"
    b"-- \r\n"
    b"Ana\r\n"
)


def smtp_client(receivers) -> smtplib.SMTP:
    client = smtplib.SMTP(receivers.bind, receivers.smtp_port, timeout=10)
    client.ehlo("client.example.net")
    return client


def test_accepted_message_is_stored_byte_identical_with_envelope(receivers, mailboxes):
    with smtp_client(receivers) as client:
        refused = client.sendmail(
            "ana@example.net", ["support@example.test"], MESSAGE, mail_options=["BODY=8BITMIME"]
        )
        # 250 came back, so the row must already be committed.
        raw = RawMessage.objects.get()

    assert refused == {}
    assert bytes(raw.data) == MESSAGE
    assert raw.size == len(MESSAGE)
    assert raw.source == "smtp"
    assert raw.envelope_from == "ana@example.net"
    assert raw.envelope_to == ["support@example.test"]
    assert raw.mailbox == mailboxes["support"]
    assert raw.message_id == "smtp-1@example.net"


def test_data_is_answered_250_message_accepted(receivers, mailboxes):
    with smtp_client(receivers) as client:
        client.mail("ana@example.net")
        assert client.rcpt("support@example.test")[0] == 250
        code, text = client.data(MESSAGE)

    assert (code, text) == (250, b"2.0.0 Message accepted for delivery")


def test_several_recipients_are_stored_once_with_the_first_recipients_mailbox(receivers, mailboxes):
    with smtp_client(receivers) as client:
        client.sendmail(
            "ana@example.net", ["Billing+T42@example.test", "support@example.test"], MESSAGE
        )

    raw = RawMessage.objects.get()
    assert raw.mailbox == mailboxes["billing"]
    assert raw.envelope_to == ["billing+t42@example.test", "support@example.test"]


def test_null_reverse_path_of_a_bounce_is_accepted(receivers, mailboxes):
    with smtp_client(receivers) as client:
        client.sendmail("<>", ["support@example.test"], MESSAGE)

    assert RawMessage.objects.get().envelope_from == ""


def test_unknown_recipient_is_refused_550_at_rcpt(receivers, mailboxes):
    with smtp_client(receivers) as client:
        client.mail("spammer@example.net")
        code, text = client.rcpt("nobody@example.test")
        assert code == 550
        assert text == b"5.1.1 <nobody@example.test>: no such mailbox here"
        # Only the known recipient of a mixed list is taken.
        assert client.rcpt("support@example.test")[0] == 250
        assert client.data(MESSAGE)[0] == 250

    assert RawMessage.objects.get().envelope_to == ["support@example.test"]


def test_message_for_unknown_recipients_only_is_not_stored(receivers, mailboxes):
    with smtp_client(receivers) as client, pytest.raises(smtplib.SMTPRecipientsRefused) as exc:
        client.sendmail("a@example.net", ["nobody@example.test", "other@elsewhere.test"], MESSAGE)

    assert {code for code, _ in exc.value.recipients.values()} == {550}
    assert not RawMessage.objects.exists()


def test_inactive_mailbox_address_is_refused(receivers, mailboxes):
    mailboxes["billing"].active = False
    mailboxes["billing"].save()
    with smtp_client(receivers) as client:
        client.mail("ana@example.net")
        assert client.rcpt("billing@example.test")[0] == 550


def test_storage_failure_answers_451_and_stores_nothing(receivers, mailboxes, monkeypatch):
    import postroom.mail.store

    def queue_down(*args, **kwargs):
        raise RuntimeError("queue unavailable")

    # Fails inside raw_message_store's transaction, so the row is rolled back.
    monkeypatch.setattr(postroom.mail.store, "enqueue_on_commit", queue_down)
    with smtp_client(receivers) as client:
        client.mail("ana@example.net")
        client.rcpt("support@example.test")
        code, text = client.data(MESSAGE)

    assert (code, text) == (451, b"4.3.0 Temporary failure, please retry")
    assert not RawMessage.objects.exists()

    # The sender's retry succeeds once storage works again.
    monkeypatch.undo()
    with smtp_client(receivers) as client:
        client.sendmail("ana@example.net", ["support@example.test"], MESSAGE)
    assert bytes(RawMessage.objects.get().data) == MESSAGE


def test_any_exception_from_storing_answers_451(receivers, mailboxes, monkeypatch):
    import postroom.mail.sources.smtp

    def broken(**kwargs):
        raise ValueError("unexpected")

    monkeypatch.setattr(postroom.mail.sources.smtp, "raw_message_store", broken)
    with smtp_client(receivers) as client, pytest.raises(smtplib.SMTPDataError) as exc:
        client.sendmail("ana@example.net", ["support@example.test"], MESSAGE)

    assert exc.value.smtp_code == 451
    assert not RawMessage.objects.exists()


@pytest.fixture
def small_receivers(db):
    with start_receivers(bind="127.0.0.1", smtp_port=0, lmtp_port=0, max_message_bytes=2000) as r:
        yield r


def test_declared_size_above_the_limit_is_refused_552_at_mail(small_receivers, mailboxes):
    big = MESSAGE + b"x" * 5000 + b"\r\n"
    with smtp_client(small_receivers) as client:
        assert b"SIZE 2000" in b"\n".join(client.ehlo_resp.splitlines())
        with pytest.raises(smtplib.SMTPSenderRefused) as exc:
            # smtplib declares SIZE= itself when the server offers it.
            client.sendmail("ana@example.net", ["support@example.test"], big)

    assert exc.value.smtp_code == 552
    assert not RawMessage.objects.exists()


def test_data_above_the_limit_is_refused_552(small_receivers, mailboxes):
    big = MESSAGE + b"x" * 990 + b"\r\n" + b"y" * 990 + b"\r\n"
    with smtp_client(small_receivers) as client:
        client.mail("ana@example.net")  # no SIZE= declared
        client.rcpt("support@example.test")
        code, _ = client.data(big)
        assert code == 552
        # The session goes on: a message within the limit is accepted.
        assert client.sendmail("ana@example.net", ["support@example.test"], MESSAGE) == {}

    assert [bytes(r.data) for r in RawMessage.objects.all()] == [MESSAGE]


def test_stop_closes_the_listener():
    receivers = start_receivers(bind="127.0.0.1", smtp_port=0, lmtp_port=0)
    port = receivers.smtp_port
    receivers.stop()

    with pytest.raises(OSError):
        smtplib.SMTP("127.0.0.1", port, timeout=2)


def test_a_receiver_given_no_port_is_not_started():
    with start_receivers(bind="127.0.0.1", smtp_port=None, lmtp_port=0) as receivers:
        assert receivers.smtp_port is None
        assert receivers.describe() == f"LMTP on 127.0.0.1:{receivers.lmtp_port}"
        with smtplib.LMTP("127.0.0.1", receivers.lmtp_port, timeout=5) as client:
            assert client.ehlo()[0] == 250


def test_a_port_in_use_raises_oserror(receivers):
    with pytest.raises(OSError):
        start_receivers(bind="127.0.0.1", smtp_port=0, lmtp_port=receivers.lmtp_port)
