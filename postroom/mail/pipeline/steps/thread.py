"""Find the ticket a message belongs to, strongest signal first."""

from __future__ import annotations

import datetime as dt
import re

from django.conf import settings

from postroom.core import clock
from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.mail.pipeline.lookups import tickets_of_message_ids
from postroom.tickets.models import Ticket, TicketStatus

NAME = "thread"

_TOKEN_RE = re.compile(r"\+t(\d+)-([0-9a-f]{8,32})@", re.IGNORECASE)


def _reference_re() -> re.Pattern[str]:
    prefix = re.escape(str(settings.POSTROOM["TICKET_PREFIX"]))
    return re.compile(rf"\[\s*{prefix}-(\d+)\s*\]", re.IGNORECASE)


def _by_subject(mail: ParsedMail) -> tuple[int, str] | None:
    for match in _reference_re().finditer(mail.subject):
        ticket_id = int(match.group(1))
        if Ticket.objects.filter(pk=ticket_id).exists():
            return ticket_id, f"subject:[{match.group(0).strip('[] ')}]"
    return None


def _by_headers(mail: ParsedMail) -> tuple[int, str] | None:
    # In-Reply-To names the direct parent; References run oldest to newest, so the
    # newest known one is the best match (RFC 5322 §3.6.4).
    # Stored ids are cut at the column's 500 characters; compare like with like.
    candidates = [m[:500] for m in (*mail.in_reply_to, *reversed(mail.references))]
    if not candidates:
        return None
    found = tickets_of_message_ids(candidates[:50])
    for mid in candidates:
        if mid in found:
            header = "in-reply-to" if mid in (m[:500] for m in mail.in_reply_to) else "references"
            return found[mid], f"{header}:<{mid}>"
    return None


def _by_token(mail: ParsedMail, decisions: Decisions) -> tuple[int, str] | None:
    addresses = [*decisions.context.envelope_to, *mail.to, *mail.cc, *mail.headers.get("delivered-to", ())]
    for address in addresses:
        match = _TOKEN_RE.search(address)
        if not match:
            continue
        ticket_id, token = int(match.group(1)), match.group(2).lower()
        if Ticket.objects.filter(pk=ticket_id, reply_token=token).exists():
            return ticket_id, "reply-token"
    return None


_FIELDS = ("pk", "status", "merged_into_id", "closed_at", "updated_at", "queue_id")


def _follow_merges(ticket_id: int) -> dict:
    """Return the fields threading needs of the ticket, following merges to the target."""
    ticket = Ticket.objects.values(*_FIELDS).get(pk=ticket_id)
    seen = {ticket["pk"]}
    while ticket["merged_into_id"] and ticket["merged_into_id"] not in seen:
        ticket = Ticket.objects.values(*_FIELDS).get(pk=ticket["merged_into_id"])
        seen.add(ticket["pk"])
    return ticket


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Attach the message to its ticket, reopening or linking as the ticket's state asks."""
    if decisions.outcome is Outcome.SPAM:
        return
    found = _by_subject(mail) or _by_headers(mail) or _by_token(mail, decisions)
    if found is None:
        decisions.outcome = Outcome.TICKET
        decisions.record(step=NAME, kind="thread", value="new ticket", source="no-match")
        return
    ticket = _follow_merges(found[0])
    reference = f"{settings.POSTROOM['TICKET_PREFIX']}-{ticket['pk']}"
    source = found[1] + (f" (merged into {reference})" if ticket["pk"] != found[0] else "")
    if ticket["status"] == TicketStatus.CLOSED:
        window = dt.timedelta(days=int(settings.POSTROOM["REOPEN_CLOSED_WITHIN_DAYS"]))
        closed_at = ticket["closed_at"] or ticket["updated_at"]
        if clock.now() - closed_at > window:
            decisions.outcome = Outcome.TICKET
            decisions.link_from_id = ticket["pk"]
            decisions.record(
                step=NAME, kind="thread", value=f"new ticket linked to {reference}",
                source=source, reason=f"{reference} was closed more than {window.days} days ago",
            )
            return
    decisions.outcome = Outcome.FOLLOWUP
    decisions.ticket_id = ticket["pk"]
    decisions.queue_id = ticket["queue_id"]
    # A customer's reply is not a new request: no second acknowledgement.
    decisions.acknowledge = False
    if ticket["status"] in {TicketStatus.SOLVED, TicketStatus.CLOSED}:
        decisions.reopen = True
    decisions.record(
        step=NAME, kind="thread", value=f"follow-up on {reference}", source=source,
        reason="reopens the ticket" if decisions.reopen else "",
    )
