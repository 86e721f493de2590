"""Jobs of the outgoing path; they take ids, never objects."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.db.models import Q
from django_tasks import task

from postroom.core import clock
from postroom.core.jobs import enqueue_on_commit
from postroom.mail.models import OutboundMessage, OutboundState

logger = logging.getLogger(__name__)

# A queued message with no attempt yet is normally sent within seconds of its commit;
# after this long its job was lost and the sweep enqueues it again.
SWEEP_GRACE = dt.timedelta(minutes=1)


@task()
def send_outbound(outbound_id: int) -> str:
    """Send one outbox message (or retry it); returns its state afterwards."""
    from postroom.mail.outbound.outbox import outbound_message_send

    return outbound_message_send(outbound_id=outbound_id)


@task()
def send_acknowledgement(
    ticket_id: int, message_pk: int, extra: dict[str, Any] | None = None
) -> int | None:
    """Acknowledge the customer's message *message_pk* on ticket *ticket_id*.

    *extra* holds optional JSON facts from intake (e.g. the loop-guard decision), kept
    on the timeline event. Returns the outbox id, or None when skipped.
    """
    from postroom.mail.outbound.acknowledgement import acknowledgement_send
    from postroom.tickets.models import Message, Ticket

    ticket = Ticket.objects.select_related("queue", "customer").filter(pk=ticket_id).first()
    message = Message.objects.filter(pk=message_pk).first()
    if ticket is None or message is None:
        logger.warning("acknowledgement: ticket %s / message %s is gone", ticket_id, message_pk)
        return None
    outbound = acknowledgement_send(ticket=ticket, message=message, detail=extra)
    return outbound.pk if outbound else None


def outbox_sweep(*, limit: int = 500) -> int:
    """Enqueue queued messages whose attempt is due; return how many.

    The safety net the serve process runs periodically: it catches retries on backends
    that cannot defer jobs, jobs lost before they ran, and workers that died mid-send.
    """
    now = clock.now()
    due = (
        OutboundMessage.objects.filter(state=OutboundState.QUEUED)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=now - SWEEP_GRACE)
        )
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    ids = list(due)
    for outbound_id in ids:
        enqueue_on_commit(send_outbound, outbound_id)
    return len(ids)
