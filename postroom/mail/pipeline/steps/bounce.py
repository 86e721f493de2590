"""Match delivery status notifications to the ticket whose outgoing mail bounced."""

from __future__ import annotations

from postroom.mail.models import OutboundMessage, Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.tickets.models import Message

NAME = "bounce"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Turn a DSN into a bounce record instead of a ticket (RFC 3464)."""
    report = mail.delivery_report
    if report is None:
        return
    decisions.outcome = Outcome.BOUNCE
    decisions.acknowledge = False
    ids = [i for i in (report.original_message_id, *reversed(report.original_references)) if i]
    ids += [i for i in (*mail.in_reply_to, *reversed(mail.references)) if i]
    ticket_id = None
    source = "unmatched"
    for mid in ids:
        out = OutboundMessage.objects.filter(message_id=mid).values_list("ticket_id", flat=True).first()
        if out:
            ticket_id, source = out, f"message-id:{mid}"
            break
        msg = Message.objects.filter(message_id=mid).values_list("ticket_id", flat=True).first()
        if msg:
            ticket_id, source = msg, f"message-id:{mid}"
            break
    if ticket_id is None:
        # No returned headers: fall back to the latest mail we sent to a failed recipient.
        ticket_id, source = _latest_ticket_mailed(report.statuses) or (None, source)
    decisions.ticket_id = ticket_id
    failed = ", ".join(f"{s.recipient} ({s.status or s.action})" for s in report.statuses) or "unknown"
    decisions.record(
        step=NAME, kind="bounce", value=failed,
        source=("dsn-heuristic" if report.heuristic else "dsn") + f":{source}",
        reason=f"matched ticket {ticket_id}" if ticket_id else "no matching outgoing mail",
    )
    decisions.stop()


def _latest_ticket_mailed(statuses) -> tuple[int, str] | None:
    """Return (ticket id, source) of the latest outgoing mail to a failed recipient."""
    for status in statuses:
        address = status.recipient.lower()
        if not address:
            continue
        # JSON containment is not portable (SQLite): narrow by text, confirm in Python.
        rows = (
            OutboundMessage.objects.filter(recipients__icontains=address, ticket__isnull=False)
            .order_by("-created_at")
            .values_list("ticket_id", "recipients")[:20]
        )
        for ticket_id, recipients in rows:
            if address in (r.lower() for r in recipients):
                return ticket_id, f"recipient:{address}"
    return None
