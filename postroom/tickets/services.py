"""Writes on tickets: status changes, merge and split. Views and commands call these."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import transaction

from postroom.core import clock
from postroom.tickets.models import EventKind, Message, Ticket, TicketEvent, TicketStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def ticket_set_status(*, ticket: Ticket, status: TicketStatus | str, actor: User | None,
                      source: str = "agent") -> Ticket:
    """Change *ticket*'s status, stamping solved/closed times and the timeline."""
    status = TicketStatus(status)
    if ticket.status == status:
        return ticket
    now = clock.now()
    previous = ticket.status
    ticket.status = status
    ticket.updated_at = now
    if status == TicketStatus.SOLVED:
        ticket.solved_at = now
    if status == TicketStatus.CLOSED:
        ticket.closed_at = now
    with transaction.atomic():
        ticket.save(update_fields=["status", "updated_at", "solved_at", "closed_at"])
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.STATUS, actor=actor, source=source,
                                   summary=f"{previous} → {status}", detail={"from": previous, "to": status})
        _sla_refresh_later(ticket.pk)
        if status == TicketStatus.SOLVED and previous != TicketStatus.SPAM:
            # Issue #5: ask the customer how we did, once per solve (never a spammer).
            from postroom.core.jobs import enqueue_on_commit
            from postroom.surveys.tasks import send_survey

            enqueue_on_commit(send_survey, ticket.pk)
    return ticket


def _sla_refresh_later(ticket_id: int) -> None:
    """Recompute the ticket's due times once this transaction commits (issue #5)."""
    from postroom.sla.tasks import sla_refresh_later

    sla_refresh_later(ticket_id)


def _search_refresh_later(ticket_ids: list[int]) -> None:
    """Re-index these tickets' text for the desk's search once this transaction commits."""
    from postroom.search.services import search_document_refresh_later

    search_document_refresh_later(ticket_ids=ticket_ids)


def ticket_merge(*, source: Ticket, target: Ticket, actor: User | None) -> Ticket:
    """Move every message of *source* onto *target* and mark *source* merged.

    Later mail that threads to *source* (its reference, Message-IDs, reply token) lands
    on *target*, because threading follows `merged_into`.
    """
    if source.pk == target.pk:
        raise ValueError("a ticket cannot be merged into itself")
    if target.merged_into_id:
        raise ValueError(f"{target.reference} is itself merged; merge into {target.merged_into_id}")
    with transaction.atomic():
        moved = Message.objects.filter(ticket=source).update(ticket=target)
        source.merged_into = target
        source.status = TicketStatus.MERGED
        source.updated_at = target.updated_at = clock.now()
        source.save(update_fields=["merged_into", "status", "updated_at"])
        target.save(update_fields=["updated_at"])
        TicketEvent.objects.create(ticket=target, kind=EventKind.MERGED, actor=actor, source="agent",
                                   summary=f"{source.reference} merged in ({moved} messages)",
                                   detail={"from": source.pk})
        TicketEvent.objects.create(ticket=source, kind=EventKind.MERGED, actor=actor, source="agent",
                                   summary=f"Merged into {target.reference}", detail={"into": target.pk})
        _search_refresh_later([source.pk, target.pk])
    return target


def ticket_split(*, message: Message, actor: User | None, subject: str = "") -> Ticket:
    """Move *message* off its ticket into a new ticket of the same queue and customer."""
    old = message.ticket
    if old.messages.count() < 2:
        raise ValueError("a ticket's only message cannot be split off")
    now = clock.now()
    with transaction.atomic():
        new = Ticket.objects.create(
            subject=(subject or message.subject or old.subject)[:500], queue=old.queue,
            customer=old.customer, status=TicketStatus.OPEN, priority=old.priority,
            language=message.language or old.language, our_address=old.our_address,
            created_at=now, updated_at=now,
        )
        message.ticket = new
        message.save(update_fields=["ticket"])
        TicketEvent.objects.create(ticket=new, kind=EventKind.SPLIT, actor=actor, source="agent",
                                   summary=f"Split off {old.reference}", detail={"from": old.pk, "message": message.pk})
        TicketEvent.objects.create(ticket=old, kind=EventKind.SPLIT, actor=actor, source="agent",
                                   summary=f"A message was split off into {new.reference}",
                                   detail={"into": new.pk, "message": message.pk})
        _search_refresh_later([old.pk, new.pk])
    return new


# Fields an agent may change whose automatic value is feedback for learned routing.
ROUTED_FIELDS = {"queue": "queue_id", "category": "category_id", "priority": "priority"}


def _display(ticket: Ticket, field: str) -> str:
    if field == "queue":
        return ticket.queue.slug if ticket.queue_id else ""
    if field == "category":
        return ticket.category.slug if ticket.category is not None else ""
    if field == "assignee":
        return ticket.assignee.get_username() if ticket.assignee is not None else ""
    return str(getattr(ticket, field) or "")


def ticket_fields_change(*, ticket: Ticket, changes: dict[str, object], actor: User | None,
                         source: str = "agent") -> list[str]:
    """Set queue, category, priority and/or assignee on *ticket*; returns the fields changed.

    Each change is a timeline event. A change of a field that was decided automatically
    (by mailbox, classifier or rule) is recorded as routing feedback: the next model learns
    from it (issue #3). A person choosing the queue or category also settles Needs triage.
    """
    from postroom.routing.models import RoutingFeedback

    allowed = {"queue", "category", "priority", "assignee"}
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"not a routed field: {', '.join(sorted(unknown))}")
    changed: list[str] = []
    with transaction.atomic():
        events, feedback = [], []
        for field, value in changes.items():
            before = _display(ticket, field)
            setattr(ticket, field, value)
            after = _display(ticket, field)
            if before == after:
                continue
            changed.append(field)
            events.append(TicketEvent(ticket=ticket, kind=EventKind.ASSIGNED if field == "assignee" else EventKind.FIELD,
                                      actor=actor, source=source, summary=f"{field}: {before or '—'} → {after or '—'}"[:500],
                                      detail={"field": field, "from": before, "to": after}))
            decided = (ticket.auto_fields or {}).get(field)
            if field in ROUTED_FIELDS and decided and actor is not None:
                feedback.append(RoutingFeedback(ticket=ticket, field=field, decided=before[:200],
                                                decided_source=str(decided.get("source", ""))[:200],
                                                corrected=after[:200], actor=actor))
        if not changed:
            return []
        update = [ROUTED_FIELDS.get(f, "assignee_id" if f == "assignee" else f) for f in changed]
        if ticket.needs_triage and actor is not None and {"queue", "category"} & set(changed):
            ticket.needs_triage = False
            update.append("needs_triage")
            events.append(TicketEvent(ticket=ticket, kind=EventKind.FIELD, actor=actor, source=source,
                                      summary="Triaged: no longer needs triage"))
        ticket.updated_at = clock.now()
        ticket.save(update_fields=[*update, "updated_at"])
        TicketEvent.objects.bulk_create(events)
        RoutingFeedback.objects.bulk_create(feedback)
        if {"queue", "priority"} & set(changed):
            _sla_refresh_later(ticket.pk)  # another policy may apply now
    return changed


def ticket_triage_done(*, ticket: Ticket, actor: User | None) -> Ticket:
    """Take *ticket* out of Needs triage: a person confirmed its fields as they are."""
    if not ticket.needs_triage:
        return ticket
    ticket.needs_triage = False
    ticket.updated_at = clock.now()
    with transaction.atomic():
        ticket.save(update_fields=["needs_triage", "updated_at"])
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.FIELD, actor=actor, source="agent",
                                   summary="Triaged: fields confirmed as they are")
    return ticket


def ticket_tags_change(*, ticket: Ticket, add: Iterable[str] = (), remove: Iterable[str] = (),
                       actor: User | None, source: str = "agent") -> tuple[list[str], list[str]]:
    """Add and remove tags on *ticket* by name (new names create tags); returns (added, removed).

    Names are trimmed, lower-cased and at most 100 characters; each change is one
    timeline event, and the ticket's search document is refreshed after commit.
    """
    from postroom.tickets.models import Tag

    def clean(names: Iterable[str]) -> list[str]:
        seen: dict[str, None] = {}
        for name in names:
            name = " ".join(str(name).split()).lower()[:100]
            if name:
                seen[name] = None
        return list(seen)

    wanted, unwanted = clean(add), clean(remove)
    with transaction.atomic():
        current = set(ticket.tags.values_list("name", flat=True))
        added = [n for n in wanted if n not in current and n not in unwanted]
        removed = [n for n in unwanted if n in current]
        if not added and not removed:
            return [], []
        if added:
            existing = {t.name: t for t in Tag.objects.filter(name__in=added)}
            missing = [Tag(name=n) for n in added if n not in existing]
            if missing:
                Tag.objects.bulk_create(missing, ignore_conflicts=True)
                existing = {t.name: t for t in Tag.objects.filter(name__in=added)}
            ticket.tags.add(*existing.values())
        if removed:
            ticket.tags.remove(*Tag.objects.filter(name__in=removed))
        parts = [f"+{n}" for n in added] + [f"−{n}" for n in removed]
        ticket.updated_at = clock.now()
        ticket.save(update_fields=["updated_at"])
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.FIELD, actor=actor, source=source,
                                   summary=f"tags: {' '.join(parts)}"[:500],
                                   detail={"field": "tags", "added": added, "removed": removed})
        _search_refresh_later([ticket.pk])
    return added, removed
