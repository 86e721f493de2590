"""Mail to the desk's own people (SLA warnings, escalations, bad ratings): through the
durable outbox like every outgoing message, but not part of the customer's thread."""

from __future__ import annotations

from collections.abc import Sequence
from email.message import EmailMessage
from email.utils import formatdate

from postroom.core.jobs import enqueue_on_commit
from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState
from postroom.mail.outbound.compose import addresses_clean, message_id_new, ticket_from_address
from postroom.tickets.models import Ticket


def staff_notification_queue(*, ticket: Ticket, recipients: Sequence[str], subject: str,
                             text: str) -> OutboundMessage | None:
    """Queue a plain-text notice about *ticket* to staff *recipients*; None when nobody has an address.

    No Reply-To into the ticket and no threading headers: an agent answering the notice
    must not land in the customer's conversation.
    """
    from postroom.mail.outbound.tasks import send_outbound

    to: list[str] = []
    for address in recipients:
        try:
            to.extend(addresses_clean([address]))
        except ValueError:
            continue  # one unusable staff address must not silence the others
    if not to:
        return None
    sender = ticket_from_address(ticket)
    message_id = message_id_new(ticket_id=ticket.pk)
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = ", ".join(to)
    mail["Subject"] = " ".join(subject.split())[:300]
    mail["Date"] = formatdate(localtime=False)
    mail["Message-ID"] = f"<{message_id}>"
    # RFC 3834 §5: generated, not a reply; keeps vacation responders quiet.
    mail["Auto-Submitted"] = "auto-generated"
    mail.set_content(text)
    outbound = OutboundMessage.objects.create(
        ticket=ticket, kind=OutboundKind.NOTIFICATION, automatic=True, from_address=sender, recipients=list(to),
        subject=str(mail["Subject"]), message_id=message_id, data=mail.as_bytes().replace(b"\n", b"\r\n"),
        state=OutboundState.QUEUED,
    )
    enqueue_on_commit(send_outbound, outbound.pk)
    return outbound
