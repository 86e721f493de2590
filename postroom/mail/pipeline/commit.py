"""The one write of the intake path: ticket, message, attachments, timeline, in one
transaction; side effects are enqueued to run after it commits.

Tickets, messages, events and the raw message's state are written with
`postroom.core.rows` (cached SQL, the fields' own value adaptation) rather than the ORM's
per-call query building: this runs for every received message. No model signals are
sent for these rows; add a receiver to Ticket, Message or TicketEvent only together with
an explicit call here.
"""

from __future__ import annotations

import hashlib

from django.core.files.base import ContentFile
from django.db import transaction

from postroom.accounts.services import customer_for_address
from postroom.core import clock
from postroom.core.html import sanitize_html
from postroom.core.jobs import enqueue_on_commit
from postroom.core.rows import row_as_instance, row_update, rows_insert
from postroom.mail.models import Bounce, Outcome, RawMessage, RawState, Suppression
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.tickets.models import (
    Attachment,
    Direction,
    EventKind,
    Message,
    Priority,
    Ticket,
    TicketEvent,
    TicketStatus,
)


def intake_commit(*, raw: RawMessage, mail: ParsedMail, decisions: Decisions) -> RawMessage:
    """Carry out *decisions* for *raw* in one transaction and mark it processed."""
    outcome = decisions.outcome or Outcome.TICKET
    # No savepoint of its own when the caller already has one (the runner's, per message).
    with transaction.atomic(savepoint=False):
        ticket: Ticket | None = None
        if outcome is Outcome.BOUNCE:
            ticket = _record_bounce(raw=raw, mail=mail, decisions=decisions)
        elif outcome is Outcome.FOLLOWUP:
            ticket = _add_followup(raw=raw, mail=mail, decisions=decisions)
        elif outcome is not Outcome.DUPLICATE:
            ticket = _open_ticket(raw=raw, mail=mail, decisions=decisions, spam=outcome is Outcome.SPAM)
        now = clock.now()
        changes: dict[str, object] = {
            "state": RawState.PROCESSED, "outcome": outcome, "ticket_id": ticket.pk if ticket else None,
            "failed_step": "", "error": "", "duplicate_of_id": decisions.duplicate_of_id, "processed_at": now,
        }
        if decisions.redactions:
            # Issue #3 §5: the stored raw message loses the values too; sha256 stays the
            # hash of the bytes as received.
            if decisions.redacted_data is not None:
                changes["data"] = decisions.redacted_data
                changes["size"] = len(decisions.redacted_data)
            changes["redactions"] = decisions.redactions
            changes["redacted_at"] = now
        # The state condition makes the commit happen once, even if two workers raced:
        # the loser's update matches nothing and its whole transaction rolls back.
        updated = row_update(RawMessage, raw.pk, changes, unless={"state": RawState.PROCESSED})
        if not updated:
            transaction.set_rollback(True)
            return RawMessage.objects.get(pk=raw.pk)
    raw.state, raw.outcome, raw.ticket, raw.processed_at = RawState.PROCESSED, outcome, ticket, now
    raw.duplicate_of_id, raw.failed_step, raw.error = decisions.duplicate_of_id, "", ""
    if decisions.redactions:
        raw.redactions, raw.redacted_at = decisions.redactions, now
        if decisions.redacted_data is not None:
            raw.data, raw.size = decisions.redacted_data, len(decisions.redacted_data)
    return raw


def _event(ticket_id: int, kind: EventKind, summary: str, source: str, detail: dict | None = None) -> dict:
    """Return a timeline row for `rows_insert`, bounded to the columns' sizes."""
    return {"ticket_id": ticket_id, "kind": kind, "summary": summary[:500], "source": source[:200],
            "detail": detail or {}, "actor_id": None, "created_at": clock.now()}


def _events_from_log(ticket_id: int, decisions: Decisions, skip: set[str]) -> list[dict]:
    events = []
    for d in decisions.log:
        if d.kind in skip:
            continue
        kind = {
            "queue": EventKind.ROUTED,
            "acknowledge": EventKind.ACK_SKIPPED,
            "redacted": EventKind.REDACTED,
        }.get(d.kind, EventKind.DECISION)
        summary = f"{d.kind}: {d.value}" + (f" — {d.reason}" if d.reason else "")
        events.append(_event(ticket_id, kind, summary, d.source, {"step": d.step}))
    return events


def _customer(mail: ParsedMail, decisions: Decisions):
    address = mail.from_address or decisions.context.envelope_from.strip("<>").lower()
    # RFC 5321 §4.5.3.1: no real mailbox is longer than this; keep no customer for it.
    if not address or "@" not in address or len(address) > 320:
        return None
    return customer_for_address(address=address, name=mail.from_name, language=decisions.language)


def _open_ticket(*, raw: RawMessage, mail: ParsedMail, decisions: Decisions, spam: bool) -> Ticket:
    now = clock.now()
    if decisions.queue_id is None:
        raise LookupError("no queue was decided for a new ticket")
    customer = _customer(mail, decisions)
    values = {
        "subject": (mail.subject or "(no subject)")[:500],
        "queue_id": decisions.queue_id,
        "customer_id": customer.pk if customer else None,
        "status": TicketStatus.SPAM if spam else TicketStatus.NEW,
        "language": decisions.language,
        "our_address": decisions.our_address[:320],
        "linked_from_id": decisions.link_from_id,
        "reply_token": Ticket._meta.get_field("reply_token").get_default(),
        "category_id": decisions.category_id,
        "priority": decisions.priority or Priority.NORMAL,
        "assignee_id": decisions.assignee_id,
        "needs_triage": decisions.needs_triage,
        "auto_fields": decisions.auto_fields,
        "facts": decisions.facts,
        "tone": decisions.tone,
        "tone_score": decisions.tone_score,
        "created_at": now,
        "updated_at": now,
    }
    (ticket_id,) = rows_insert(Ticket, [values])
    ticket = row_as_instance(Ticket, ticket_id, values)
    message_pk = _store_message(ticket_id=ticket_id, raw=raw, mail=mail, decisions=decisions)
    events = [
        _event(ticket_id, EventKind.CREATED, f"Ticket created from mail by {mail.from_address or 'unknown sender'}",
               f"intake:{raw.source}", {"raw_id": raw.pk})
    ]
    events += _events_from_log(ticket_id, decisions, skip=set())
    if decisions.link_from_id:
        old = Ticket.objects.get(pk=decisions.link_from_id)
        events.append(_event(ticket_id, EventKind.LINKED, f"Continues closed ticket {old.reference}", "thread"))
        events.append(_event(old.pk, EventKind.LINKED, f"Customer wrote again; continued in {ticket.reference}",
                             "thread"))
    rows_insert(TicketEvent, events)
    if decisions.tags:
        _tags_add(ticket_id, decisions.tags)
    if decisions.rule_hits:
        from postroom.routing.rule_hits import rule_hits_record

        rule_hits_record(rule_ids=decisions.rule_hits, at=now)
    _search_refresh_later(ticket_id, decisions)
    if not spam:
        _sla_refresh_later(ticket_id)  # before the acknowledgement, which states the promise
        _customer_escalation_later(ticket_id, message_pk, decisions, followup=False)
    if decisions.acknowledge and not spam:
        from postroom.mail.outbound.tasks import send_acknowledgement

        enqueue_on_commit(send_acknowledgement, ticket_id, message_pk)
    if decisions.template_ids and not spam:
        from postroom.replies.tasks import send_template_reply

        for template_id in dict.fromkeys(decisions.template_ids):
            enqueue_on_commit(send_template_reply, ticket_id, template_id)
    return ticket


def _tags_add(ticket_id: int, names: list[str]) -> None:
    """Tag a ticket, creating tags that do not exist yet."""
    from postroom.tickets.models import Tag

    wanted = list(dict.fromkeys(n.strip()[:100] for n in names if n.strip()))
    existing = dict(Tag.objects.filter(name__in=wanted).values_list("name", "pk"))
    for name in wanted:
        if name not in existing:
            existing[name] = Tag.objects.get_or_create(name=name)[0].pk
    through = Ticket.tags.through
    through.objects.bulk_create(
        [through(ticket_id=ticket_id, tag_id=existing[n]) for n in wanted], ignore_conflicts=True
    )


def _add_followup(*, raw: RawMessage, mail: ParsedMail, decisions: Decisions) -> Ticket:
    if decisions.ticket_id is None:
        raise LookupError("a follow-up needs the ticket it belongs to")
    ticket = Ticket.objects.select_for_update().get(pk=decisions.ticket_id)
    message_pk = _store_message(ticket_id=ticket.pk, raw=raw, mail=mail, decisions=decisions)
    _customer_escalation_later(ticket.pk, message_pk, decisions, followup=True)
    events = _events_from_log(ticket.pk, decisions, skip={"thread", "language", "queue"})
    if decisions.redactions:
        # The redaction decision carries the raw id: the ticket's timeline says which message.
        for event in events:
            if event["kind"] == EventKind.REDACTED:
                event["detail"] = {**event["detail"], "raw_id": raw.pk}
    thread_source = next((d.source for d in decisions.log if d.kind == "thread"), "thread")
    events.append(_event(ticket.pk, EventKind.MESSAGE, f"Reply from {mail.from_address or 'unknown sender'}",
                         thread_source, {"raw_id": raw.pk}))
    changes: dict[str, object] = {"updated_at": clock.now()}
    if decisions.facts:
        # A reply that supplies the details the acknowledgement asked for (issue #3 §4).
        merged = {kind: list(values) for kind, values in (ticket.facts or {}).items()}
        for kind, values in decisions.facts.items():
            merged[kind] = list(dict.fromkeys([*merged.get(kind, []), *values]))
        if merged != ticket.facts:
            changes["facts"] = merged
    if decisions.tone:
        changes["tone"], changes["tone_score"] = decisions.tone, decisions.tone_score
    if decisions.reopen or ticket.status == TicketStatus.PENDING:
        previous = ticket.status
        changes["status"] = TicketStatus.OPEN
        events.append(_event(ticket.pk, EventKind.REOPENED if decisions.reopen else EventKind.STATUS,
                             f"{previous} → open: the customer replied", "customer-reply",
                             {"from": previous, "to": TicketStatus.OPEN}))
    row_update(Ticket, ticket.pk, changes)
    for name, value in changes.items():
        setattr(ticket, name, value)
    rows_insert(TicketEvent, events)
    _sla_refresh_later(ticket.pk)  # a customer message restarts the next-response clock
    _search_refresh_later(ticket.pk, decisions)
    return ticket


def _customer_escalation_later(ticket_id: int, message_pk: int, decisions: Decisions, *, followup: bool) -> None:
    """Check after commit whether this message escalates the ticket (issue #5): a request
    for a manager, a strongly negative tone, or (a follow-up) a second chaser."""
    from postroom.sla.escalation import STRONGLY_NEGATIVE
    from postroom.sla.tasks import customer_escalation

    ctx = decisions.context
    if ctx.source == "import" and not ctx.acknowledge_imports:
        return  # old mail brought in by an import is history, not a call for help now
    asks = any(d.kind == "asks_for_manager" for d in decisions.log)
    if asks or followup or decisions.tone_score <= STRONGLY_NEGATIVE:
        enqueue_on_commit(customer_escalation, ticket_id, message_pk, asks, decisions.tone_score)


def _search_refresh_later(ticket_id: int, decisions: Decisions) -> None:
    """Index the ticket's new text for the desk's search after commit; an import refreshes
    its whole batch at once instead (postroom.mail.management.commands.mail)."""
    if decisions.context.source == "import":
        return
    from postroom.search.services import search_document_refresh_later

    search_document_refresh_later(ticket_ids=[ticket_id])


def _sla_refresh_later(ticket_id: int) -> None:
    from postroom.sla.tasks import sla_refresh_later

    sla_refresh_later(ticket_id)


def _record_bounce(*, raw: RawMessage, mail: ParsedMail, decisions: Decisions) -> Ticket | None:
    from datetime import timedelta

    from django.conf import settings

    from postroom.mail.models import OutboundMessage

    report = mail.delivery_report
    assert report is not None
    ticket = Ticket.objects.filter(pk=decisions.ticket_id).first() if decisions.ticket_id else None
    outbound = None
    if report.original_message_id:
        outbound = OutboundMessage.objects.filter(message_id=report.original_message_id).first()
    now = clock.now()
    for status in report.statuses or ():
        Bounce.objects.create(raw=raw, ticket=ticket, outbound=outbound, recipient=status.recipient[:320],
                              action=status.action[:32], status=status.status[:32],
                              diagnostic=status.diagnostic[:2000], hard=status.hard)
        if status.hard and status.recipient:
            days = int(settings.POSTROOM["BOUNCE_SUPPRESS_DAYS"])
            Suppression.objects.update_or_create(
                address=status.recipient.lower()[:320],
                defaults={"reason": f"hard bounce {status.status}: {status.diagnostic[:400]}",
                          "until": now + timedelta(days=days)},
            )
    if not report.statuses:
        Bounce.objects.create(raw=raw, ticket=ticket, outbound=outbound, diagnostic=mail.subject[:2000])
    if ticket is not None:
        failed = ", ".join(f"{s.recipient} {s.status}".strip() for s in report.statuses) or mail.subject
        TicketEvent.objects.create(
            ticket=ticket, kind=EventKind.BOUNCE, source=decisions.log[-1].source if decisions.log else "dsn",
            summary=f"Delivery failed: {failed}"[:500],
            detail={"raw_id": raw.pk, "statuses": [s.__dict__ for s in report.statuses]},
        )
    return ticket


def _store_message(*, ticket_id: int, raw: RawMessage, mail: ParsedMail, decisions: Decisions) -> int:
    """Store the inbound message and its attachments; returns the message's id."""
    (message_pk,) = rows_insert(Message, [{
        "ticket_id": ticket_id,
        "raw_id": raw.pk,
        "direction": Direction.INBOUND,
        "author_id": None,
        "from_address": mail.from_address[:320],
        "from_name": mail.from_name[:200],
        "to": list(mail.to),
        "cc": list(mail.cc),
        "subject": mail.subject[:500],
        "message_id": mail.message_id[:500],
        "in_reply_to": (mail.in_reply_to[0] if mail.in_reply_to else "")[:500],
        "references": " ".join(mail.references),
        "body_text": mail.text,
        "visible_text": mail.visible_text,
        "body_html": sanitize_html(mail.html) if mail.html else "",
        "language": decisions.language,
        "sent_at": mail.date,
        "created_at": clock.now(),
    }])
    dropped = []
    for index, part in enumerate(mail.attachments):
        if part.dropped_reason:
            dropped.append(f"{part.filename}: {part.dropped_reason}")
            continue
        attachment = Attachment(
            message_id=message_pk, filename=part.filename[:255] or f"attachment-{index + 1}",
            content_type=part.content_type[:200], size=len(part.data),
            sha256=hashlib.sha256(part.data).hexdigest(), content_id=part.content_id[:500], inline=part.inline,
        )
        attachment.file.save(attachment.filename, ContentFile(part.data), save=False)
        attachment.save()
    if dropped:
        rows_insert(TicketEvent, [_event(ticket_id, EventKind.NOTE, "Attachments not kept: " + "; ".join(dropped),
                                         "intake:attachments")])
    return message_pk
