"""Which SLA policy a ticket has, and its due times, derived from its history (issue #5).

Everything is computed from what the ticket records — created_at, its messages and its
status events — so a refresh is idempotent and a changed policy applies to open tickets
as if it had always been in force:
- first response: due `first_response_minutes` of business time after the ticket was
  created; met by the first reply a person sent (not the acknowledgement, not a note);
- next response: after a reply, a new customer message starts it again;
- resolution: due `resolution_minutes` after creation, plus the business time the ticket
  spent waiting on the customer (pending): the clock pauses while it waits on them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from postroom.core import clock
from postroom.sla.calendar import Calendar, business_add, business_between
from postroom.sla.models import SlaPolicy, TicketSla, as_utc

STATUS_EVENT_KINDS = ("status", "reopened")
OPEN_STATUSES = ("new", "open", "pending")


def sla_policy_for(ticket) -> SlaPolicy | None:
    """Return the first active policy matching the ticket's queue, priority and tier."""
    tier = getattr(ticket.customer, "tier", "") if ticket.customer_id else ""
    return (
        SlaPolicy.objects.filter(active=True)
        .filter(Q(queue__isnull=True) | Q(queue_id=ticket.queue_id))
        .filter(Q(priority="") | Q(priority=ticket.priority))
        .filter(Q(customer_tier="") | Q(customer_tier=tier or "standard"))
        .select_related("calendar")
        .order_by("position", "id")
        .first()
    )


@dataclass(frozen=True)
class SlaPlan:
    """A ticket's SLA clock at one moment."""

    policy: SlaPolicy
    first_response_due: dt.datetime | None
    first_responded_at: dt.datetime | None
    next_response_due: dt.datetime | None
    resolution_due: dt.datetime | None  # None while paused or without a target
    resolved_at: dt.datetime | None
    paused_since: dt.datetime | None
    paused_seconds: int

    def open_targets(self) -> list[tuple[str, dt.datetime]]:
        """Return (target, due) of every target not met yet, earliest first."""
        targets = []
        if self.first_response_due and not self.first_responded_at and not self.resolved_at:
            targets.append(("first_response", self.first_response_due))
        if self.next_response_due and not self.resolved_at:
            targets.append(("next_response", self.next_response_due))
        if self.resolution_due and not self.resolved_at:
            targets.append(("resolution", self.resolution_due))
        return sorted(targets, key=lambda t: t[1])


def _status_changes(ticket) -> list[tuple[dt.datetime, str, str]]:
    """Return (when, from, to) of the ticket's status changes, oldest first."""
    from postroom.tickets.models import TicketEvent

    changes = []
    for created_at, summary, detail in (
        TicketEvent.objects.filter(ticket=ticket, kind__in=STATUS_EVENT_KINDS)
        .order_by("created_at", "id").values_list("created_at", "summary", "detail")
    ):
        before, after = (detail or {}).get("from"), (detail or {}).get("to")
        if not (before and after) and " → " in summary:
            left, right = summary.split(" → ", 1)
            before, after = left.split()[-1] if left.split() else "", (right.split() or [""])[0].rstrip(":")
        if before and after:
            changes.append((created_at, before, after))
    return changes


def _pauses(ticket, *, now: dt.datetime) -> list[tuple[dt.datetime, dt.datetime | None]]:
    """Return the stretches the ticket waited on the customer (end None: still waiting)."""
    pauses: list[tuple[dt.datetime, dt.datetime | None]] = []
    since: dt.datetime | None = None
    for when, before, after in _status_changes(ticket):
        if after == "pending" and since is None:
            since = when
        elif before == "pending" and after != "pending" and since is not None:
            pauses.append((since, when))
            since = None
    if since is not None:
        pauses.append((since, None if ticket.status == "pending" else now))
    return pauses


def sla_plan(ticket, *, policy: SlaPolicy | None = None, now: dt.datetime | None = None) -> SlaPlan | None:
    """Return the ticket's SLA clock now, or None when no policy applies."""
    from postroom.tickets.models import Direction

    policy = policy or sla_policy_for(ticket)
    if policy is None:
        return None
    now = now or clock.now()
    calendar: Calendar = policy.calendar.as_calendar()
    created = ticket.created_at
    messages = list(ticket.messages.filter(direction__in=[Direction.INBOUND, Direction.OUTBOUND])
                    .order_by("created_at", "id").values_list("direction", "created_at"))
    replies = [at for direction, at in messages if direction == Direction.OUTBOUND]
    first_responded_at = replies[0] if replies else None
    first_due = None
    if policy.first_response_minutes is not None:
        first_due = business_add(calendar, created, dt.timedelta(minutes=policy.first_response_minutes))
    next_due = None
    if policy.next_response_minutes is not None and replies:
        waiting = [at for direction, at in messages if direction == Direction.INBOUND and at > replies[-1]]
        if waiting:
            next_due = business_add(calendar, waiting[0], dt.timedelta(minutes=policy.next_response_minutes))
    paused = 0
    paused_since = None
    for start, end in _pauses(ticket, now=now):
        if end is None:
            paused_since = start
            end = now
        paused += int(business_between(calendar, start, end).total_seconds())
    resolved_at = ticket.solved_at if ticket.status not in OPEN_STATUSES else None
    resolution_due = None
    if policy.resolution_minutes is not None and paused_since is None:
        target = dt.timedelta(minutes=policy.resolution_minutes, seconds=paused)
        resolution_due = business_add(calendar, created, target)
    if paused_since is not None:
        next_due = None  # waiting on the customer: nothing is due from us
    return SlaPlan(policy=policy, first_response_due=as_utc(first_due), first_responded_at=first_responded_at,
                   next_response_due=as_utc(next_due), resolution_due=as_utc(resolution_due),
                   resolved_at=resolved_at, paused_since=paused_since, paused_seconds=paused)


def ticket_sla_refresh(*, ticket_id: int, now: dt.datetime | None = None) -> TicketSla | None:
    """Recompute and store the ticket's SLA clock; remove it when no policy applies."""
    from postroom.tickets.models import Ticket

    ticket = Ticket.objects.select_related("customer", "queue").filter(pk=ticket_id).first()
    if ticket is None:
        return None
    plan = sla_plan(ticket, now=now)
    with transaction.atomic():
        if plan is None:
            TicketSla.objects.filter(ticket_id=ticket_id).delete()
            return None
        targets = plan.open_targets() if ticket.status in OPEN_STATUSES else []
        values = {
            "policy": plan.policy,
            "first_response_due": plan.first_response_due,
            "first_responded_at": plan.first_responded_at,
            "next_response_due": plan.next_response_due,
            "resolution_due": plan.resolution_due,
            "resolved_at": plan.resolved_at,
            "paused_since": plan.paused_since,
            "paused_seconds": plan.paused_seconds,
            "next_due": targets[0][1] if targets else None,
            "next_due_target": targets[0][0] if targets else "",
            "updated_at": now or clock.now(),
            **_figures(ticket, plan),
        }
        sla, _ = TicketSla.objects.update_or_create(ticket_id=ticket_id, defaults=values)
    return sla


def _figures(ticket, plan: SlaPlan) -> dict[str, object]:
    """Return first-response and resolution times in business time, and whether met."""
    calendar = plan.policy.calendar.as_calendar()
    figures: dict[str, object] = {"first_response_seconds": None, "first_response_met": None,
                                  "resolution_seconds": None, "resolution_met": None}
    if plan.first_responded_at is not None:
        figures["first_response_seconds"] = int(
            business_between(calendar, ticket.created_at, plan.first_responded_at).total_seconds())
        if plan.first_response_due is not None:
            figures["first_response_met"] = plan.first_responded_at <= plan.first_response_due
    if plan.resolved_at is not None:
        worked = business_between(calendar, ticket.created_at, plan.resolved_at).total_seconds()
        figures["resolution_seconds"] = max(0, int(worked) - plan.paused_seconds)
        if plan.resolution_due is not None:
            figures["resolution_met"] = plan.resolved_at <= plan.resolution_due
    return figures


def due_phrase(due: dt.datetime | None, *, now: dt.datetime | None = None) -> str:
    """Return "due in 3h 10m" or "overdue 25 min" for the desk ("" without a due time)."""
    if due is None:
        return ""
    now = now or clock.now()
    seconds = int((due - now).total_seconds())
    span = _span(abs(seconds))
    return f"due in {span}" if seconds >= 0 else f"overdue {span}"


def _span(seconds: int) -> str:
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h {minutes:02d}m" if minutes else f"{hours}h"
    return f"{hours // 24}d {hours % 24}h"


# --- whether any policy exists (intake asks for every message) ---------------------------
_active_cache: dict[str, tuple[float, bool]] = {}
ACTIVE_RECHECK_SECONDS = 30.0


def sla_policies_active() -> bool:
    """Return whether any SLA policy is active (cached; a policy change clears it)."""
    import time

    now = time.monotonic()
    cached = _active_cache.get("any")
    if cached is None or now - cached[0] > ACTIVE_RECHECK_SECONDS:
        cached = (now, SlaPolicy.objects.filter(active=True).exists())
        _active_cache["any"] = cached
    return cached[1]


def sla_policies_changed(**kwargs) -> None:
    """Forget whether policies exist, and recompute open tickets after commit."""
    _active_cache.clear()
    from postroom.core.jobs import enqueue_on_commit
    from postroom.sla.tasks import sla_refresh_open

    enqueue_on_commit(sla_refresh_open)
