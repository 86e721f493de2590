"""What agents write on a ticket: replies to the customer and internal notes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from django.db import transaction

from postroom.core import clock
from postroom.mail.models import OutboundKind, OutboundMessage
from postroom.mail.outbound.compose import OutgoingAttachment, last_inbound_message
from postroom.mail.outbound.outbox import outbound_message_queue
from postroom.tickets.models import (
    Direction,
    EventKind,
    Message,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from postroom.tickets.services import ticket_set_status

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def reply_recipient(ticket: Ticket) -> str:
    """Return the address a reply on *ticket* goes to.

    The sender of the customer's latest message, else the customer's first address;
    "" when the ticket has neither.
    """
    latest = last_inbound_message(ticket)
    if latest is not None and latest.from_address:
        return latest.from_address.lower()
    customer = ticket.customer
    if customer is not None:
        first = customer.addresses.order_by("id").values_list("address", flat=True).first()
        if first:
            return first.lower()
    return ""


def _writable(ticket: Ticket, text: str) -> str:
    if ticket.merged_into_id:
        raise ValueError(f"{ticket.reference} is merged; write on ticket {ticket.merged_into_id}")
    text = text.strip("\r\n")
    if not text.strip():
        raise ValueError("the text is empty")
    return text.replace("\r\n", "\n")


def reply_send(
    *,
    ticket: Ticket,
    author: User | None,
    text: str,
    cc: Sequence[str] = (),
    attachments: Sequence[OutgoingAttachment] = (),
    status_after: TicketStatus | str | None = None,
    subject: str = "",
    automatic: bool = False,
) -> OutboundMessage:
    """Queue *author*'s reply to the customer on *ticket* and set its status.

    The reply answers the customer's latest message (no quoted history) and leaves the
    ticket `status_after`, by default pending (waiting on the customer). *subject*
    replaces the ticket's subject (a reply template's own); *automatic* marks a reply
    no person wrote (RFC 3834 Auto-Submitted), e.g. a template a rule sent.
    """
    text = _writable(ticket, text)
    recipient = reply_recipient(ticket)
    if not recipient:
        raise ValueError(f"{ticket.reference} has no customer address to reply to")
    status = TicketStatus(status_after or TicketStatus.PENDING)
    with transaction.atomic():
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.REPLY,
            recipients=[recipient],
            subject=subject.strip() or ticket.subject,
            text=text,
            cc=cc,
            attachments=attachments,
            author=author,
            automatic=automatic,
        )
        ticket_set_status(ticket=ticket, status=status, actor=author)
        ticket.updated_at = clock.now()
        ticket.save(update_fields=["updated_at"])
        from postroom.search.services import search_document_refresh_later

        search_document_refresh_later(ticket_ids=[ticket.pk])  # the reply is searchable
        if not automatic:
            from postroom.sla.tasks import sla_refresh_later

            sla_refresh_later(ticket.pk)  # a first or next response was given
    return outbound


def note_add(*, ticket: Ticket, author: User | None, text: str) -> Message:
    """Add an internal note by *author* to *ticket*; nothing is mailed."""
    text = _writable(ticket, text)
    now = clock.now()
    with transaction.atomic():
        note = Message.objects.create(
            ticket=ticket,
            direction=Direction.NOTE,
            author=author,
            body_text=text,
            visible_text=text,
            created_at=now,
        )
        from postroom.search.services import search_document_refresh_later

        search_document_refresh_later(ticket_ids=[ticket.pk])  # notes are searchable by agents
        TicketEvent.objects.create(
            ticket=ticket,
            kind=EventKind.NOTE,
            summary="Internal note added",
            source=f"agent:{author.pk}" if author is not None else "system",
            actor=author,
            detail={"message": note.pk},
            created_at=now,
        )
        ticket.updated_at = now
        ticket.save(update_fields=["updated_at"])
    return note
