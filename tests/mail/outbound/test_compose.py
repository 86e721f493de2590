"""Outgoing messages: threading headers, subject reference, reply token, automatic marks."""

from __future__ import annotations

import re
from email import message_from_bytes, policy

import pytest

from postroom.mail.outbound.compose import (
    MAX_REFERENCES,
    OutgoingAttachment,
    message_compose,
    references_for,
    reply_subject,
)
from postroom.tickets.models import Direction, Message


def parsed(composed):
    return message_from_bytes(composed.data, policy=policy.default)


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("Watch won't sync", "Re: Watch won't sync [PR-42]"),
        ("Re: Watch won't sync", "Re: Watch won't sync [PR-42]"),
        ("Re: Re: AW: Watch won't sync [PR-42]", "Re: Watch won't sync [PR-42]"),
        ("[PR-42] Re: Watch won't sync", "Re: Watch won't sync [PR-42]"),
        ("RE[2]: SV: Watch won't sync", "Re: Watch won't sync [PR-42]"),
        ("Réf. : Garantie", "Re: Garantie [PR-42]"),
        ("Fwd: invoice", "Re: Fwd: invoice [PR-42]"),
        ("", "Re: [PR-42]"),
        ("Re: [PR-42]", "Re: [PR-42]"),
    ],
)
def test_reply_subject_carries_the_reference_exactly_once(subject, expected):
    assert reply_subject(subject, reference="PR-42") == expected


def test_reply_subject_keeps_hostile_line_breaks_out_of_the_header():
    assert reply_subject("Hi\r\nBcc: victim@example.com", reference="PR-1") == (
        "Re: Hi Bcc: victim@example.com [PR-1]"
    )


def test_reply_threads_on_the_customers_message(ticket, inbound):
    composed = message_compose(
        ticket=ticket,
        to=["anna@customer.example"],
        subject=ticket.subject,
        text="Please try re-pairing.",
        in_reply_to_message=inbound,
    )
    msg = parsed(composed)

    assert re.fullmatch(rf"pr-{ticket.pk}-[0-9a-f]+@desk\.example\.test", composed.message_id)
    assert msg["Message-ID"] == f"<{composed.message_id}>"
    assert msg["In-Reply-To"] == "<CAF-1234@mail.customer.example>"
    assert msg["References"] == "<root-1@mail.customer.example> <CAF-1234@mail.customer.example>"
    assert composed.references == ("root-1@mail.customer.example", "CAF-1234@mail.customer.example")
    assert msg["Subject"] == f"Re: Watch won't sync after update [{ticket.reference}]"
    assert msg["From"].addresses[0].addr_spec == "support@example.test"
    assert msg["From"].addresses[0].display_name == "Technical Support"
    assert msg["Reply-To"].addresses[0].addr_spec == (
        f"support+t{ticket.pk}-{ticket.reply_token}@example.test"
    )
    assert msg["X-Postroom-Ticket"] == ticket.reference
    assert msg["Date"]
    assert msg["Auto-Submitted"] is None
    assert msg.get_content().strip() == "Please try re-pairing."


def test_message_uses_crlf_line_endings(ticket, inbound):
    composed = message_compose(
        ticket=ticket, to=["anna@customer.example"], subject="x", text="a\nb"
    )
    assert b"\r\n" in composed.data
    assert b"\n" not in composed.data.replace(b"\r\n", b"")


def test_automatic_reply_is_marked_auto_submitted(ticket, inbound):
    msg = parsed(
        message_compose(
            ticket=ticket,
            to=["anna@customer.example"],
            subject="x",
            text="t",
            automatic=True,
            in_reply_to_message=inbound,
        )
    )
    # RFC 3834 §5: auto-replied for a response to a message; no Precedence header.
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["Precedence"] is None


def test_automatic_mail_not_answering_a_message_is_auto_generated(ticket):
    msg = parsed(
        message_compose(
            ticket=ticket,
            to=["anna@customer.example"],
            subject="x",
            text="t",
            automatic=True,
        )
    )
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["In-Reply-To"] is None


def test_from_falls_back_to_the_queues_mailbox_address(ticket):
    ticket.our_address = ""
    composed = message_compose(ticket=ticket, to=["anna@customer.example"], subject="x", text="t")
    assert composed.from_address == "support@example.test"


def test_from_falls_back_to_support_at_the_mail_domain(ticket, mailboxes):
    ticket.our_address = ""
    mailboxes["support"].addresses.all().delete()
    composed = message_compose(ticket=ticket, to=["anna@customer.example"], subject="x", text="t")
    assert composed.from_address == "support@desk.example.test"
    assert parsed(composed)["Reply-To"].addresses[0].addr_spec.endswith("@desk.example.test")


def test_references_keep_the_root_and_the_most_recent_ids(ticket):
    chain = " ".join(f"id-{i}@x.example" for i in range(40))
    parent = Message(
        ticket=ticket, direction=Direction.INBOUND, message_id="parent@x.example", references=chain
    )
    refs = references_for(parent)
    assert len(refs) == MAX_REFERENCES
    assert refs[0] == "id-0@x.example"
    assert refs[-1] == "parent@x.example"
    assert refs[-2] == "id-39@x.example"


def test_references_drop_unusable_ids(ticket):
    parent = Message(
        ticket=ticket,
        direction=Direction.INBOUND,
        message_id="ok@x.example",
        references="<a@x> bad\u00e9id@x a@x",
    )
    assert references_for(parent) == ("a@x", "ok@x.example")


def test_cc_and_html_alternative_and_attachments(ticket):
    composed = message_compose(
        ticket=ticket,
        to=["anna@customer.example"],
        cc=["Boss@Customer.example", "anna@customer.example"],
        subject="x",
        text="Grüße aus Köln",
        html="<p>Grüße aus <b>Köln</b></p>",
        attachments=[
            OutgoingAttachment("log.txt", b"line 1\n", "text/plain"),
            OutgoingAttachment("manual.pdf", b"%PDF-1.4", "application/pdf"),
        ],
    )
    msg = parsed(composed)
    assert composed.recipients == ("anna@customer.example", "boss@customer.example")
    assert msg["Cc"] == "boss@customer.example"
    assert msg.get_body(("plain",)).get_content().strip() == "Grüße aus Köln"
    assert "<b>Köln</b>" in msg.get_body(("html",)).get_content()
    files = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    assert files == {"log.txt": "line 1\n", "manual.pdf": b"%PDF-1.4"}
    assert composed.data.isascii()


def test_international_domain_is_sent_in_ascii_form(ticket):
    composed = message_compose(ticket=ticket, to=["Jan@Bücher.example"], subject="x", text="t")
    assert composed.to == ("jan@xn--bcher-kva.example",)
    assert composed.data.isascii()


def test_bad_recipient_is_refused(ticket):
    with pytest.raises(ValueError, match="not a usable email address"):
        message_compose(
            ticket=ticket, to=["anna@customer.example\r\nBcc: x@y.z"], subject="x", text="t"
        )
    with pytest.raises(ValueError, match="not a usable email address"):
        message_compose(ticket=ticket, to=["jürgen@example.test"], subject="x", text="t")
    with pytest.raises(ValueError, match="at least one recipient"):
        message_compose(ticket=ticket, to=[], subject="x", text="t")
