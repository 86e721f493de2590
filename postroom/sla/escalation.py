"""Warn before a target is broken, escalate when it is, and when the customer's words ask
for it (issue #5). Idempotent: a notice is recorded per ticket, target, due time, level
and recipient, and a run never sends one that exists already — running twice sends
nothing twice.

The chain per queue (`QueueEscalation`): at `warn_at_percent` of a target the assignee is
warned (no assignee: the supervisor); at the breach the team supervisor hears, and the
priority goes up a step when the queue asks for it; `manager_after_minutes` of business
time later, the queue manager too. A customer who asks for a manager (any supported
language), writes a second time without an agent's reply in between, or writes in a
strongly negative tone escalates to the supervisor at once, and the notice says why.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import transaction

from postroom.core import clock
from postroom.sla.calendar import business_add, business_between
from postroom.sla.models import QueueEscalation, SlaNotice, TicketSla

logger = logging.getLogger("postroom.sla")

TARGET_LABELS = {"first_response": "first response", "next_response": "next response", "resolution": "resolution"}
TARGET_MINUTES = {"first_response": "first_response_minutes", "next_response": "next_response_minutes",
                  "resolution": "resolution_minutes"}
PRIORITY_UP = {"low": "normal", "normal": "high", "high": "urgent"}
# A customer message at or below this tone score escalates by itself ("strongly negative").
STRONGLY_NEGATIVE = -0.6


@dataclass(frozen=True)
class EscalationRun:
    warnings: int
    breaches: int
    notices: int  # rows written (one per recipient)


def sla_escalations_run(*, now: dt.datetime | None = None) -> EscalationRun:
    """Warn and escalate every open ticket whose targets are at risk or broken."""
    now = now or clock.now()
    warnings = breaches = notices = 0
    rows = (TicketSla.objects.filter(next_due__isnull=False, paused_since__isnull=True,
                                     ticket__status__in=["new", "open"], policy__isnull=False)
            .select_related("ticket", "ticket__queue", "ticket__assignee", "policy", "policy__calendar"))
    chains = {c.queue_id: c for c in QueueEscalation.objects.all()}
    due_now = []
    for sla in rows.iterator():
        for target, due in _open_targets(sla):
            kind, level = _stage(sla, target, due, now, chain=chains.get(sla.ticket.queue_id))
            if kind is not None:
                due_now.append((sla, kind, target, due, level))
    # One query for what was sent already (most at-risk tickets stay so for many runs);
    # `_notify` checks again under the ticket's lock, for a run racing this one.
    sent = set(
        SlaNotice.objects.filter(ticket_id__in={sla.ticket_id for sla, *_ in due_now})
        .values_list("ticket_id", "kind", "target", "due", "level")
    ) if due_now else set()
    for sla, kind, target, due, level in due_now:
        if (sla.ticket_id, kind, target, due, level) in sent:
            continue
        written = _notify(sla=sla, kind=kind, target=target, due=due, level=level, now=now)
        if written:
            notices += written
            warnings += kind == SlaNotice.Kind.WARNING
            breaches += kind == SlaNotice.Kind.BREACH
    return EscalationRun(warnings=warnings, breaches=breaches, notices=notices)


def _open_targets(sla: TicketSla) -> list[tuple[str, dt.datetime]]:
    targets = []
    if sla.first_response_due and not sla.first_responded_at:
        targets.append(("first_response", sla.first_response_due))
    if sla.next_response_due:
        targets.append(("next_response", sla.next_response_due))
    if sla.resolution_due and not sla.resolved_at:
        targets.append(("resolution", sla.resolution_due))
    return targets


def _stage(sla: TicketSla, target: str, due: dt.datetime, now: dt.datetime, *,
           chain: QueueEscalation | None) -> tuple[str | None, int]:
    """Return which notice *target* has reached now: (kind, level) or (None, 0)."""
    policy = sla.policy
    assert policy is not None
    calendar = policy.calendar.as_calendar()
    if now >= due:
        after = dt.timedelta(minutes=chain.manager_after_minutes if chain else 240)
        if chain and chain.manager_id and now >= business_add(calendar, due, after):
            return SlaNotice.Kind.BREACH, 2
        return SlaNotice.Kind.BREACH, 1
    minutes = getattr(policy, TARGET_MINUTES[target])
    if not minutes:
        return None, 0
    remaining = business_between(calendar, now, due)
    if remaining <= dt.timedelta(minutes=minutes) * (1 - policy.warn_at_percent / 100):
        return SlaNotice.Kind.WARNING, 0
    return None, 0


def _chain(queue_id: int) -> QueueEscalation | None:
    return QueueEscalation.objects.filter(queue_id=queue_id).select_related("supervisor", "manager").first()


def _recipients(ticket, level: int) -> list:
    """Return the users to tell at *level*: 0 assignee, 1 supervisor, 2 manager (and those before)."""
    chain = _chain(ticket.queue_id)
    people = []
    if level == 0:
        people = [ticket.assignee] if ticket.assignee_id else [chain.supervisor if chain else None]
    elif level == 1:
        people = [chain.supervisor if chain else None, ticket.assignee]
    else:
        people = [chain.manager if chain else None]
    users = [u for u in people if u is not None and u.is_active]
    if not users:
        # Nobody configured: the desk's admins rather than nobody.
        users = list(get_user_model().objects.filter(is_superuser=True, is_active=True).order_by("pk")[:3])
    return list(dict.fromkeys(users))


def _notify(*, sla: TicketSla, kind: str, target: str, due: dt.datetime | None, level: int,
            now: dt.datetime, reason: str = "") -> int:
    """Record and send the notice once; return how many recipients were notified now."""
    from postroom.tickets.models import EventKind, Ticket, TicketEvent

    ticket = sla.ticket
    label = TARGET_LABELS.get(target, target)
    with transaction.atomic():
        # The ticket's row lock serialises two runs at once (the second sees the first's rows).
        Ticket.objects.select_for_update().filter(pk=ticket.pk).values_list("pk", flat=True).first()
        if SlaNotice.objects.filter(ticket=ticket, kind=kind, target=target, due=due, level=level).exists():
            return 0
        users = _recipients(ticket, level)
        if not reason:
            who = {0: "assignee", 1: "supervisor", 2: "queue manager"}[level]
            when = "due" if kind == SlaNotice.Kind.WARNING else "was due"
            reason = f"{label} {when} {due:%Y-%m-%d %H:%M %Z}; told the {who}"
        rows = [SlaNotice(ticket=ticket, kind=kind, target=target, due=due, level=level, user=u, reason=reason[:300],
                          created_at=now) for u in users] or [
            SlaNotice(ticket=ticket, kind=kind, target=target, due=due, level=level, user=None,
                      reason=(reason + " (nobody to tell)")[:300], created_at=now)]
        SlaNotice.objects.bulk_create(rows)
        event_kind = EventKind.DECISION
        summary = {"warning": f"SLA warning: {reason}", "breach": f"SLA breached: {reason}",
                   "customer": f"Escalated: {reason}"}[str(kind)]
        TicketEvent.objects.create(ticket=ticket, kind=event_kind, summary=summary[:500], source="sla",
                                   detail={"target": target, "level": level, "kind": kind,
                                           "to": [u.get_username() for u in users]}, created_at=now)
        if kind != SlaNotice.Kind.WARNING and level == 1:
            _bump_priority(ticket, now=now)
        _mail(ticket=ticket, users=users, subject=summary, reason=reason)
    return len(users)


def _bump_priority(ticket, *, now: dt.datetime) -> None:
    from postroom.tickets.models import EventKind, Ticket, TicketEvent

    chain = _chain(ticket.queue_id)
    higher = PRIORITY_UP.get(ticket.priority)
    if chain is None or not chain.bump_priority or higher is None:
        return
    Ticket.objects.filter(pk=ticket.pk).update(priority=higher, updated_at=now)
    TicketEvent.objects.create(ticket=ticket, kind=EventKind.FIELD, source="sla", created_at=now,
                               summary=f"priority: {ticket.priority} → {higher} (escalation)")
    ticket.priority = higher


def _mail(*, ticket, users: Sequence, subject: str, reason: str) -> None:
    from postroom.mail.outbound.notifications import staff_notification_queue

    addresses = [u.email for u in users if u.email]
    if not addresses:
        return
    text = (f"{subject}\n\nTicket {ticket.reference}: {ticket.subject}\nQueue: {ticket.queue.name}\n"
            f"Priority: {ticket.priority}\n\n{reason}\n")
    staff_notification_queue(ticket=ticket, recipients=addresses, subject=f"[{ticket.reference}] {subject}",
                             text=text)


# --- the customer's words -------------------------------------------------------------
def customer_escalation_check(*, ticket_id: int, message_id: int, asks_for_manager: bool = False,
                              tone_score: float = 0.0) -> str:
    """Escalate *ticket* at once when its new customer message calls for it; return why ("" if not).

    *asks_for_manager* and *tone_score* come from intake's tone step for this message.
    """
    from postroom.tickets.models import Direction, Message, Ticket

    ticket = Ticket.objects.select_related("queue", "assignee").filter(pk=ticket_id).first()
    message = Message.objects.filter(pk=message_id, ticket_id=ticket_id, direction=Direction.INBOUND).first()
    if ticket is None or message is None or ticket.status in {"spam", "merged", "closed"}:
        return ""
    reasons = []
    if asks_for_manager:
        reasons.append("the customer asks for a supervisor or manager")
    if tone_score <= STRONGLY_NEGATIVE:
        reasons.append(f"strongly negative tone ({tone_score:+.2f})")
    last_reply = (Message.objects.filter(ticket=ticket, direction=Direction.OUTBOUND)
                  .order_by("-created_at").values_list("created_at", flat=True).first())
    waiting = Message.objects.filter(ticket=ticket, direction=Direction.INBOUND)
    if last_reply is not None:
        waiting = waiting.filter(created_at__gt=last_reply)
    # The first message, then two more without an answer: the second chaser.
    if waiting.count() >= 3:
        reasons.append("a second chaser without an agent's reply")
    if not reasons:
        return ""
    sla = TicketSla.objects.filter(ticket=ticket).first() or TicketSla(ticket=ticket)
    sla.ticket = ticket
    reason = "; ".join(reasons)
    _notify(sla=sla, kind=SlaNotice.Kind.CUSTOMER, target="customer", due=message.created_at, level=1,
            now=clock.now(), reason=reason)
    return reason


# --- auto-close -------------------------------------------------------------------------
def tickets_auto_close(*, now: dt.datetime | None = None, days: int | None = None) -> int:
    """Close solved tickets the customer has not answered for *days*; return how many."""
    from django.conf import settings

    from postroom.tickets.models import Ticket, TicketStatus
    from postroom.tickets.services import ticket_set_status

    days = int(settings.POSTROOM.get("AUTO_CLOSE_DAYS", 7)) if days is None else days
    if days <= 0:
        return 0
    now = now or clock.now()
    cutoff = now - dt.timedelta(days=days)
    closed = 0
    for ticket in Ticket.objects.filter(status=TicketStatus.SOLVED, solved_at__lte=cutoff).iterator():
        # A customer reply reopens a solved ticket (intake), so solved still means unanswered.
        ticket_set_status(ticket=ticket, status=TicketStatus.CLOSED, actor=None, source="auto-close")
        closed += 1
    return closed
