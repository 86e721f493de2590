"""The outbox: one transaction stores the mail, the ticket message and the event; the
job sends after commit."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest
from django.db import transaction

from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState
from postroom.mail.outbound.compose import OutgoingAttachment
from postroom.mail.outbound.outbox import outbound_message_queue, outbound_message_retry
from postroom.tickets.models import Direction, EventKind, Message, TicketEvent


def test_reply_is_stored_with_a_ticket_message_of_the_same_message_id(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks, admin_user
):
    with django_capture_on_commit_callbacks(execute=True):
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.REPLY,
            recipients=["anna@customer.example"],
            subject=ticket.subject,
            text="Please re-pair the watch.",
            author=admin_user,
        )

    outbound.refresh_from_db()
    message = Message.objects.get(ticket=ticket, message_id=outbound.message_id)
    assert message.direction == Direction.OUTBOUND
    assert message.author == admin_user
    assert message.in_reply_to == inbound.message_id
    assert message.references == "root-1@mail.customer.example CAF-1234@mail.customer.example"
    assert message.body_text == "Please re-pair the watch."
    assert message.sent_at is not None
    assert outbound.state == OutboundState.SENT
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.REPLY)
    assert event.actor == admin_user
    assert event.detail["outbound"] == outbound.pk
    assert [e.data for e in memory_transport] == [bytes(outbound.data)]
    assert memory_transport[0].recipients == ("anna@customer.example",)


def test_automatic_mail_is_stored_as_an_automatic_message(
    ticket, inbound, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.ACK,
            recipients=["anna@customer.example"],
            subject="x",
            text="We got it.",
            automatic=True,
        )
    assert outbound.automatic
    assert Message.objects.get(message_id=outbound.message_id).direction == Direction.AUTO
    assert TicketEvent.objects.filter(ticket=ticket, kind=EventKind.ACK).count() == 1


def test_nothing_is_sent_when_the_transaction_rolls_back(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        with transaction.atomic():
            outbound_message_queue(
                ticket=ticket,
                kind=OutboundKind.REPLY,
                recipients=["anna@customer.example"],
                subject="x",
                text="t",
            )
            raise RuntimeError("boom")
    assert not OutboundMessage.objects.exists()
    assert not Message.objects.filter(direction=Direction.OUTBOUND).exists()
    assert memory_transport == []


def test_message_waits_in_the_outbox_until_commit(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.REPLY,
            recipients=["anna@customer.example"],
            subject="x",
            text="t",
        )
    assert OutboundMessage.objects.get().state == OutboundState.QUEUED
    assert memory_transport == []
    assert len(callbacks) == 1
    callbacks[0]()
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SENT


def test_attachments_are_sent_and_kept_on_the_ticket(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True):
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.REPLY,
            recipients=["anna@customer.example"],
            subject="x",
            text="The manual is attached.",
            attachments=[
                OutgoingAttachment("../../Manual v2.pdf", b"%PDF-1.4 manual", "application/pdf")
            ],
        )
    message = Message.objects.get(message_id=outbound.message_id)
    (attachment,) = message.attachments.all()
    assert attachment.filename == "../../Manual v2.pdf"
    assert attachment.size == len(b"%PDF-1.4 manual")
    assert ".." not in attachment.file.name
    assert attachment.file.read() == b"%PDF-1.4 manual"
    sent = message_from_bytes(memory_transport[0].data, policy=policy.default)
    assert [p.get_content() for p in sent.iter_attachments()] == [b"%PDF-1.4 manual"]


def test_retry_puts_a_failed_message_back_in_the_queue(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False):
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.REPLY,
            recipients=["anna@customer.example"],
            subject="x",
            text="t",
        )
    OutboundMessage.objects.filter(pk=outbound.pk).update(state=OutboundState.FAILED, attempts=8)

    with django_capture_on_commit_callbacks(execute=True):
        assert outbound_message_retry(outbound=OutboundMessage.objects.get(pk=outbound.pk))

    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SENT
    assert len(memory_transport) == 1


def test_retry_leaves_sent_and_suppressed_messages_alone(
    ticket, inbound, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.REPLY,
            recipients=["anna@customer.example"],
            subject="x",
            text="t",
        )
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SENT
    assert outbound_message_retry(outbound=outbound) is False
