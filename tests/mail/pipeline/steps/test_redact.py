"""Sensitive data never reaches the stored ticket, message or raw message; the received
bytes' hash is kept; the timeline says what kind was removed and the customer is told."""

from __future__ import annotations

import hashlib

from postroom.mail.outbound.acknowledgement import acknowledgement_text
from postroom.tickets.models import EventKind
from tests.mail.builders import build_mail, deliver

CARD = "4111 1111 1111 1111"


def test_card_number_is_masked_everywhere_it_would_be_stored(mailboxes):
    data = build_mail(subject="Payment failed", body=f"Hi, please charge my card {CARD}, exp 12/27.\nAnna\n",
                      html=f"<p>Hi, please charge my card {CARD}</p>")
    raw = deliver(data)
    message = raw.ticket.messages.get()
    for stored in (message.body_text, message.visible_text, message.body_html, bytes(raw.data).decode()):
        assert CARD not in stored and "4111111111111111" not in stored
    assert "1111" in message.body_text  # the last four stay, so the customer can be answered
    assert raw.sha256 == hashlib.sha256(data).hexdigest()
    assert raw.redactions and raw.redactions[0]["kind"] == "card" and raw.redacted_at is not None
    event = raw.ticket.events.get(kind=EventKind.REDACTED)
    assert "card" in event.summary and CARD not in event.summary


def test_the_acknowledgement_tells_the_customer_why(mailboxes):
    raw = deliver(build_mail(subject="Login", body="My password: hunter2hunter2 does not work any more."))
    ticket = raw.ticket
    message = ticket.messages.get()
    assert "hunter2hunter2" not in message.body_text
    text = acknowledgement_text(ticket=ticket, message=message, language="en")
    assert "password" in text.lower() and "hunter2" not in text


def test_a_follow_up_is_redacted_too(mailboxes):
    first = deliver(build_mail(message_id="first@customer.test", body="My watch does not sync."))
    reply = deliver(build_mail(subject="Re: My watch does not sync", in_reply_to="first@customer.test",
                               body="My IBAN is DE89 3704 0044 0532 0130 00 for the refund."))
    assert reply.ticket_id == first.ticket_id
    stored = reply.ticket.messages.order_by("created_at", "id").last()
    assert "3704 0044" not in stored.body_text and "DE89370400440532013000" not in bytes(reply.data).decode()
    assert reply.ticket.events.filter(kind=EventKind.REDACTED).exists()


def test_order_and_phone_numbers_are_left_alone(mailboxes):
    body = "Order 123-4567890-1234567, call me on +49 30 1234 5678, tracking 1Z999AA10123456784."
    raw = deliver(build_mail(body=body))
    assert raw.ticket.messages.get().body_text.strip() == body
    assert raw.redactions == []


def test_a_replayed_redacted_message_stays_redacted(mailboxes):
    from postroom.mail.pipeline.runner import pipeline_decide

    raw = deliver(build_mail(body=f"card {CARD}"))
    result = pipeline_decide(data=bytes(raw.data), context=_context(raw))
    assert CARD not in result.mail.text
    assert result.decisions.redactions == []  # nothing left to find


def _context(raw):
    from postroom.mail.pipeline.decisions import IntakeContext

    return IntakeContext(raw_id=None, sha256="0" * 64, source="smtp", envelope_to=("support@example.test",))


def test_a_number_the_mime_rewrite_cannot_reach_is_not_kept_in_the_raw_message(mailboxes):
    # Non-breaking-space entities split the digits in the HTML source; the text the desk
    # derives from it shows the number, so the stored raw message becomes a plain copy.
    from email.message import EmailMessage

    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"] = "alice@customer.test", "support@example.test", "Payment"
    mail["Message-ID"] = "<nbsp@customer.test>"
    mail.set_content("<p>Card: 4111&nbsp;1111&nbsp;1111&nbsp;1111</p>", subtype="html")
    raw = deliver(bytes(mail))
    stored = bytes(raw.data).decode("utf-8", "replace")
    assert "4111&nbsp;1111" not in stored and "4111 1111 1111 1111" not in stored
    assert "**** **** **** 1111" in stored and "X-Postroom-Redacted" in stored
    assert "4111" not in raw.ticket.messages.get().body_text
    assert raw.ticket.events.filter(summary__startswith="raw_rewritten: plain text").exists()
