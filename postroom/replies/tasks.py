"""Jobs of reply templates; they take ids, never objects."""

from __future__ import annotations

import logging

from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def send_template_reply(ticket_id: int, template_id: int) -> int | None:
    """Send reply template *template_id* on ticket *ticket_id* (a rule chose it at intake).

    Returns the outbox id, or None when the ticket or template is gone, the template is
    inactive or has no variant, or the ticket has no one to reply to.
    """
    from postroom.replies.models import ReplyTemplate
    from postroom.replies.services import template_reply_send
    from postroom.tickets.models import Ticket

    ticket = Ticket.objects.select_related("queue", "customer").filter(pk=ticket_id).first()
    template = ReplyTemplate.objects.filter(pk=template_id).first()
    if ticket is None or template is None:
        logger.warning("template reply: ticket %s / template %s is gone", ticket_id, template_id)
        return None
    try:
        outbound = template_reply_send(ticket=ticket, template=template)
    except ValueError as exc:  # no recipient, merged ticket, broken template: nothing to retry
        logger.warning("template reply %s on %s not sent: %s", template_id, ticket.reference, exc)
        return None
    return outbound.pk if outbound else None
