"""The durable outbox: store an outgoing message with its ticket message, send it later."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils.text import get_valid_filename

from postroom.core import clock
from postroom.core.html import sanitize_html
from postroom.core.jobs import enqueue_on_commit
from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState, Suppression
from postroom.mail.outbound.compose import (
    OutgoingAttachment,
    last_inbound_message,
    message_compose,
)
from postroom.mail.outbound.suppression import suppressions_active
from postroom.mail.outbound.transports import Envelope, TransportError, outbound_transport
from postroom.tickets.models import (
    Attachment,
    Direction,
    EventKind,
    Message,
    Ticket,
    TicketEvent,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

# How long a worker may hold a message while it talks to the relay; after that the
# sweep may pick the message up again (the worker died).
SEND_LEASE = dt.timedelta(minutes=10)
# Backoff doubles per attempt but never waits longer than this.
MAX_BACKOFF = dt.timedelta(hours=12)

_EVENT_KIND = {
    OutboundKind.ACK: EventKind.ACK,
    OutboundKind.REPLY: EventKind.REPLY,
    OutboundKind.NOTIFICATION: EventKind.REPLY,
}
_SUMMARY = {
    OutboundKind.ACK: "Acknowledgement queued to {to}",
    OutboundKind.REPLY: "Reply queued to {to}",
    OutboundKind.NOTIFICATION: "Notification queued to {to}",
}


def outbound_message_queue(
    *,
    ticket: Ticket,
    kind: OutboundKind | str,
    recipients: Sequence[str],
    subject: str,
    text: str,
    html: str = "",
    cc: Sequence[str] = (),
    attachments: Sequence[OutgoingAttachment] = (),
    automatic: bool = False,
    author: User | None = None,
    in_reply_to_message: Message | None = None,
    language: str = "",
    source: str = "",
    event_detail: dict[str, Any] | None = None,
) -> OutboundMessage:
    """Compose a message on *ticket* and store it in the outbox; send it after commit.

    One transaction writes the `OutboundMessage` (queued), the ticket's `Message`
    (direction out, or auto when *automatic*) with the same Message-ID — so the
    customer's answer threads — its attachments and a timeline event. Threads on
    *in_reply_to_message*, by default the customer's latest message.
    """
    from postroom.mail.outbound.tasks import send_outbound

    kind = OutboundKind(kind)
    parent = in_reply_to_message or last_inbound_message(ticket)
    composed = message_compose(
        ticket=ticket,
        to=recipients,
        subject=subject,
        text=text,
        html=html,
        cc=cc,
        attachments=attachments,
        automatic=automatic,
        in_reply_to_message=parent,
        language=language,
    )
    with transaction.atomic():
        outbound = OutboundMessage.objects.create(
            ticket=ticket,
            kind=kind,
            automatic=automatic,
            from_address=composed.from_address,
            recipients=list(composed.recipients),
            subject=composed.subject,
            message_id=composed.message_id,
            data=composed.data,
            state=OutboundState.QUEUED,
        )
        message = Message.objects.create(
            ticket=ticket,
            direction=Direction.AUTO if automatic else Direction.OUTBOUND,
            author=author,
            from_address=composed.from_address,
            from_name=ticket.queue.name[:200],
            to=list(composed.to),
            cc=list(composed.cc),
            subject=composed.subject,
            message_id=composed.message_id,
            in_reply_to=composed.in_reply_to,
            references=" ".join(composed.references),
            body_text=text,
            visible_text=text,
            body_html=sanitize_html(html) if html else "",
            language=language,
        )
        for item in attachments:
            attachment_store(message=message, attachment=item)
        TicketEvent.objects.create(
            ticket=ticket,
            kind=_EVENT_KIND[kind],
            summary=_SUMMARY[kind].format(to=", ".join(composed.recipients))[:500],
            source=source or (f"agent:{author.pk}" if author is not None else "system"),
            actor=author,
            detail={
                **(event_detail or {}),
                "outbound": outbound.pk,
                "message": message.pk,
                "message_id": composed.message_id,
                "recipients": list(composed.recipients),
            },
        )
        enqueue_on_commit(send_outbound, outbound.pk)
    return outbound


def attachment_store(*, message: Message, attachment: OutgoingAttachment) -> Attachment:
    """Save a copy of an outgoing *attachment* on *message*, so the thread shows it."""
    return Attachment.objects.create(
        message=message,
        file=ContentFile(attachment.content, name=_storage_name(attachment.filename)),
        filename=attachment.filename[:255],
        content_type=attachment.content_type[:200],
        size=len(attachment.content),
        sha256=hashlib.sha256(attachment.content).hexdigest(),
    )


def _storage_name(filename: str) -> str:
    """Return a file name safe for storage: no path parts, no odd characters."""
    base = filename.replace("\\", "/").rsplit("/", 1)[-1][-100:]
    try:
        return get_valid_filename(base)
    except SuspiciousFileOperation:
        return "attachment"


def outbound_message_retry(*, outbound: OutboundMessage) -> bool:
    """Queue a failed or waiting *outbound* message for an attempt now; False if sent.

    A failed message gets one more attempt (its attempts count is kept). Suppressed
    and sent messages stay as they are.
    """
    from postroom.mail.outbound.tasks import send_outbound

    if outbound.state not in (OutboundState.QUEUED, OutboundState.FAILED):
        return False
    with transaction.atomic():
        updated = OutboundMessage.objects.filter(
            pk=outbound.pk, state__in=(OutboundState.QUEUED, OutboundState.FAILED)
        ).update(state=OutboundState.QUEUED, next_attempt_at=None)
        if updated:
            enqueue_on_commit(send_outbound, outbound.pk)
    return bool(updated)


def outbound_message_send(*, outbound_id: int) -> str:
    """Try to deliver one queued outbox message now; return its state afterwards.

    Claims the row first (a lease in `next_attempt_at`), so two workers never send the
    same message at once; sends outside any transaction; then records the result:
    sent; queued again with exponential backoff; or failed, visibly, after the last
    attempt or a permanent refusal. Automatic mail skips suppressed addresses.
    """
    claimed = _claim(outbound_id)
    if isinstance(claimed, str):
        return claimed
    outbound, recipients = claimed
    envelope = Envelope(
        outbound_id=outbound.pk,
        created_at=outbound.created_at,
        sender=outbound.from_address,
        recipients=recipients,
        data=bytes(outbound.data),
    )
    try:
        refused = outbound_transport().send(envelope)
    except TransportError as exc:
        return _record_failure(outbound, str(exc), permanent=exc.permanent)
    except Exception as exc:  # a transport bug must not strand the message
        logger.exception("outbound %s: transport crashed", outbound.pk)
        return _record_failure(outbound, f"{type(exc).__name__}: {exc}", permanent=False)
    return _record_success(outbound, refused)


def _claim(outbound_id: int) -> tuple[OutboundMessage, tuple[str, ...]] | str:
    """Lock and lease the message; return it with its recipients, or the state to report."""
    now = clock.now()
    with transaction.atomic():
        outbound = OutboundMessage.objects.select_for_update().filter(pk=outbound_id).first()
        if outbound is None:
            return "missing"
        if outbound.state != OutboundState.QUEUED:
            return str(outbound.state)
        if outbound.next_attempt_at is not None and outbound.next_attempt_at > now:
            # Backing off, or another worker holds the lease.
            return str(outbound.state)
        recipients = tuple(outbound.recipients)
        if outbound.automatic:
            # RFC 3834 §2 spirit: no automatic mail to addresses that bounced hard.
            blocked = suppressions_active(addresses=recipients, at=now)
            recipients = tuple(r for r in recipients if r.lower() not in blocked)
            if blocked and (not recipients or outbound.attempts == 0):
                _event_suppressed(outbound, blocked, sent_to_others=bool(recipients))
            if not recipients:
                outbound.state = OutboundState.SUPPRESSED
                outbound.next_attempt_at = None
                outbound.last_error = "; ".join(f"{a}: {s.reason}" for a, s in blocked.items())
                outbound.save(update_fields=["state", "next_attempt_at", "last_error"])
                return str(outbound.state)
        outbound.next_attempt_at = now + SEND_LEASE
        outbound.save(update_fields=["next_attempt_at"])
    return outbound, recipients


def _record_success(outbound: OutboundMessage, refused: dict[str, str]) -> str:
    now = clock.now()
    with transaction.atomic():
        outbound.state = OutboundState.SENT
        outbound.sent_at = now
        outbound.attempts += 1
        outbound.next_attempt_at = None
        outbound.last_error = "; ".join(f"{a}: {r}" for a, r in refused.items())
        outbound.save(
            update_fields=["state", "sent_at", "attempts", "next_attempt_at", "last_error"]
        )
        if outbound.ticket_id:
            Message.objects.filter(
                ticket_id=outbound.ticket_id, message_id=outbound.message_id
            ).update(sent_at=now)
            if refused:
                TicketEvent.objects.create(
                    ticket_id=outbound.ticket_id,
                    kind=EventKind.BOUNCE,
                    summary=f"Delivery failed for {', '.join(refused)}: {outbound.last_error}"[
                        :500
                    ],
                    source="outbox:refused",
                    detail={"outbound": outbound.pk, "refused": refused},
                )
    return str(outbound.state)


def _record_failure(outbound: OutboundMessage, error: str, *, permanent: bool) -> str:
    cfg: dict[str, Any] = settings.POSTROOM
    now = clock.now()
    outbound.attempts += 1
    outbound.last_error = error
    give_up = permanent or outbound.attempts >= cfg["OUTBOX_MAX_ATTEMPTS"]
    with transaction.atomic():
        if give_up:
            outbound.state = OutboundState.FAILED
            outbound.next_attempt_at = None
        else:
            delay = cfg["OUTBOX_BACKOFF_SECONDS"] * 2 ** (outbound.attempts - 1)
            outbound.next_attempt_at = now + min(dt.timedelta(seconds=delay), MAX_BACKOFF)
        outbound.save(update_fields=["state", "attempts", "last_error", "next_attempt_at"])
        if give_up and outbound.ticket_id:
            why = "refused" if permanent else f"gave up after {outbound.attempts} attempts"
            TicketEvent.objects.create(
                ticket_id=outbound.ticket_id,
                kind=EventKind.BOUNCE,
                summary=f"Delivery failed: {error}"[:500],
                source="outbox:permanent" if permanent else "outbox:retries",
                detail={
                    "outbound": outbound.pk,
                    "attempts": outbound.attempts,
                    "recipients": outbound.recipients,
                    "why": why,
                    "error": error[:2000],
                },
            )
        if not give_up:
            _retry_later(outbound)
    logger.warning("outbound %s attempt %s failed: %s", outbound.pk, outbound.attempts, error)
    return str(outbound.state)


def _retry_later(outbound: OutboundMessage) -> None:
    """Enqueue the next attempt for `next_attempt_at`; `outbox_sweep` is the safety net.

    Backends that cannot defer (the immediate one in tests and `manage.py shell`) would
    run it at once, so there the sweep alone brings the message back when it is due.
    """
    from postroom.mail.outbound.tasks import send_outbound

    if send_outbound.get_backend().supports_defer:
        enqueue_on_commit(send_outbound, outbound.pk, run_after=outbound.next_attempt_at)


def _event_suppressed(
    outbound: OutboundMessage, blocked: dict[str, Suppression], *, sent_to_others: bool
) -> None:
    if not outbound.ticket_id:
        return
    names = ", ".join(blocked)
    rest = " (sent to the other recipients)" if sent_to_others else ""
    TicketEvent.objects.create(
        ticket_id=outbound.ticket_id,
        kind=EventKind.ACK_SKIPPED if outbound.kind == OutboundKind.ACK else EventKind.DECISION,
        summary=f"Automatic mail not sent to {names}: address suppressed{rest}"[:500],
        source="loop_guard:suppressed",
        detail={
            "outbound": outbound.pk,
            "suppressed": {
                a: {"reason": s.reason, "until": s.until.isoformat()} for a, s in blocked.items()
            },
        },
    )
