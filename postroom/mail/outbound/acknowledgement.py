"""Acknowledge a new request: ticket reference, expected reply time, what details help."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.conf import settings
from django.db import transaction

from postroom.core import clock
from postroom.mail.models import OutboundKind, OutboundMessage
from postroom.mail.outbound.ack_texts import TEXTS, promise_phrase
from postroom.mail.outbound.outbox import outbound_message_queue
from postroom.mail.outbound.suppression import suppressions_active
from postroom.tickets.models import Direction, EventKind, Message, Ticket, TicketEvent

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def acknowledgement_language(ticket: Ticket, message: Message) -> str:
    """Return the ISO 639-1 language the acknowledgement is written in (English fallback)."""
    for candidate in (ticket.language, message.language, getattr(ticket.customer, "language", "")):
        code = (candidate or "").replace("_", "-").split("-", 1)[0].lower()
        if code in TEXTS:
            return code
    return "en"


def greeting_name(ticket: Ticket, message: Message) -> str:
    """Return the name to greet the customer by, or "" when none is usable.

    The name comes from the sender's own mail, so anything that looks like an address,
    a link or a paragraph is left out rather than echoed back.
    """
    for candidate in (getattr(ticket.customer, "name", ""), message.from_name):
        name = " ".join(_CONTROL.sub(" ", candidate or "").split()).strip(" \"'")
        if name and len(name) <= 60 and not re.search(r"@|://|www\.|[<>{}]", name):
            return name
    return ""


def acknowledgement_text(*, ticket: Ticket, message: Message, language: str) -> str:
    """Return the acknowledgement letter for *ticket* in *language*."""
    text = TEXTS.get(language, TEXTS["en"])
    name = greeting_name(ticket, message)
    greeting = text.greeting_named.format(name=name) if name else text.greeting
    from postroom.sla.promise import first_reply_promise

    # Issue #5: the due time the SLA policy and the team's calendar give, when there is one.
    promise = first_reply_promise(ticket, language=language) or promise_phrase(
        ticket.queue.first_reply_promise, language=language
    )
    body = text.body.format(team=ticket.queue.name, reference=ticket.reference, promise=promise)
    paragraphs = body.split("\n\n")
    required = required_facts(ticket)
    if required:
        # Issue #3 §4: the team listed what a useful report needs; ask only for what is
        # missing (nothing at all when the customer already gave everything).
        from postroom.routing.fact_texts import missing_details_request
        from postroom.routing.facts import facts_missing

        missing = facts_missing(facts=ticket.facts or {}, required=required)
        request = missing_details_request(language=language, kinds=missing) if missing else ""
        paragraphs[DETAILS_PARAGRAPH:DETAILS_PARAGRAPH + 1] = [request] if request else []
    redacted = sorted({r.get("kind", "") for r in _redactions(message)} - {""})
    if redacted:
        from postroom.privacy.notice_texts import redaction_notice

        paragraphs.insert(1, redaction_notice(language=language, kinds=redacted))
    return greeting + "\n\n" + "\n\n".join(paragraphs)


# The generic "these details help us" paragraph of every AckText body (tests hold it there).
DETAILS_PARAGRAPH = 2


def required_facts(ticket: Ticket) -> list[str]:
    """Return the facts the ticket's category (else its queue) says a useful report needs."""
    category = ticket.category
    if category is not None and category.required_facts:
        return [str(k) for k in category.required_facts]
    return [str(k) for k in (ticket.queue.required_facts or [])]


def _redactions(message: Message) -> list[dict[str, str]]:
    if message.raw_id is None:
        return []
    from postroom.mail.models import RawMessage

    return RawMessage.objects.filter(pk=message.raw_id).values_list("redactions", flat=True).first() or []


def automatic_mail_count(*, address: str, since: dt.datetime) -> int:
    """Return how many automatic messages went to *address* since *since*."""
    address = address.lower()
    rows = OutboundMessage.objects.filter(automatic=True, created_at__gte=since)
    if address.isascii():
        # Narrow in SQL on the JSON text (portable across SQLite and PostgreSQL), then
        # confirm membership exactly: "bob@x" must not count mail to "jimbob@x".
        rows = rows.filter(recipients__icontains=address)
    return sum(
        1
        for recipients in rows.values_list("recipients", flat=True)
        if address in (r.lower() for r in recipients)
    )


def _skip(ticket: Ticket, *, reason: str, source: str, detail: dict[str, Any]) -> None:
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.ACK_SKIPPED,
        summary=f"Acknowledgement not sent: {reason}"[:500],
        source=source,
        detail=detail,
    )


def acknowledgement_send(
    *, ticket: Ticket, message: Message, detail: dict[str, Any] | None = None
) -> OutboundMessage | None:
    """Queue the acknowledgement of the customer's *message* on *ticket*.

    Skips — with an `ack_skipped` event saying why — when the queue does not send
    acknowledgements, the sender is suppressed, or the sender already got
    AUTO_REPLY_LIMIT automatic messages within AUTO_REPLY_WINDOW_HOURS (RFC 3834 §2:
    limit responses to the same sender, so two responders cannot loop). Returns None
    when skipped or already sent.
    """
    cfg: dict[str, Any] = settings.POSTROOM
    now = clock.now()
    detail = {**(detail or {}), "acknowledges": message.pk}
    with transaction.atomic():
        # Lock the ticket: a job delivered twice must not acknowledge twice.
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("queue", "customer")
            .get(pk=ticket.pk)
        )
        if OutboundMessage.objects.filter(
            ticket=ticket, kind=OutboundKind.ACK, created_at__gte=message.created_at
        ).exists():
            return None
        if message.direction != Direction.INBOUND:
            return None
        recipient = message.from_address.strip().lower()
        if not recipient and ticket.customer is not None:
            first = ticket.customer.addresses.order_by("id").first()
            recipient = first.address.lower() if first else ""
        if not ticket.queue.send_acknowledgement:
            _skip(
                ticket,
                reason=f"switched off for queue {ticket.queue.name}",
                source=f"queue:{ticket.queue.slug}",
                detail=detail,
            )
            return None
        if not recipient:
            _skip(ticket, reason="no sender address", source="loop_guard:no-sender", detail=detail)
            return None
        suppressed = suppressions_active(addresses=[recipient], at=now).get(recipient)
        if suppressed is not None:
            _skip(
                ticket,
                reason=f"{recipient} is suppressed until {suppressed.until:%Y-%m-%d %H:%M} "
                f"({suppressed.reason})",
                source="loop_guard:suppressed",
                detail={**detail, "address": recipient},
            )
            return None
        hours = cfg["AUTO_REPLY_WINDOW_HOURS"]
        sent = automatic_mail_count(address=recipient, since=now - dt.timedelta(hours=hours))
        if sent >= cfg["AUTO_REPLY_LIMIT"]:
            _skip(
                ticket,
                reason=f"{recipient} already got {sent} automatic messages in the last "
                f"{hours} hours",
                source="loop_guard:cap",
                detail={**detail, "address": recipient, "count": sent},
            )
            return None
        language = acknowledgement_language(ticket, message)
        try:
            return outbound_message_queue(
                ticket=ticket,
                kind=OutboundKind.ACK,
                recipients=[recipient],
                subject=message.subject or ticket.subject,
                text=acknowledgement_text(ticket=ticket, message=message, language=language),
                automatic=True,
                in_reply_to_message=message,
                language=language,
                source="acknowledgement",
                event_detail={**detail, "language": language},
            )
        except ValueError as exc:  # an address we cannot send to (e.g. a UTF-8 local part)
            _skip(ticket, reason=str(exc), source="loop_guard:bad-address", detail=detail)
            return None
