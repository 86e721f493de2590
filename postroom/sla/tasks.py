"""SLA jobs; they take ids."""

from __future__ import annotations

from django_tasks import task


@task()
def sla_refresh(ticket_id: int) -> str:
    """Recompute one ticket's due times (after a message, reply, status or field change)."""
    from postroom.sla.due import ticket_sla_refresh

    sla = ticket_sla_refresh(ticket_id=ticket_id)
    return sla.next_due_target if sla is not None else "no policy"


def sla_refresh_later(ticket_id: int) -> None:
    """Recompute the ticket's due times once this transaction commits, when any SLA policy
    exists (intake, replies, status and field changes all call this)."""
    from postroom.core.jobs import enqueue_on_commit
    from postroom.sla.due import sla_policies_active

    if sla_policies_active():
        enqueue_on_commit(sla_refresh, ticket_id)


@task()
def sla_refresh_open() -> int:
    """Recompute every open ticket's due times (a policy or calendar changed)."""
    from postroom.sla.due import OPEN_STATUSES, ticket_sla_refresh
    from postroom.tickets.models import Ticket

    count = 0
    for ticket_id in Ticket.objects.filter(status__in=OPEN_STATUSES).values_list("pk", flat=True).iterator():
        ticket_sla_refresh(ticket_id=ticket_id)
        count += 1
    return count


@task()
def customer_escalation(ticket_id: int, message_id: int, asks_for_manager: bool, tone_score: float) -> str:
    """Escalate a ticket whose new customer message calls for it (manager, anger, chasers)."""
    from postroom.sla.escalation import customer_escalation_check

    return customer_escalation_check(ticket_id=ticket_id, message_id=message_id,
                                     asks_for_manager=asks_for_manager, tone_score=tone_score)
