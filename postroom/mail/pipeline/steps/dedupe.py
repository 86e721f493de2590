"""Drop a message we already have: same Message-ID, or the same bytes when it has none."""

from __future__ import annotations

from django.conf import settings

from postroom.mail.models import Outcome, RawState
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.mail.pipeline.lookups import raw_messages_with_message_id, raw_messages_with_sha256
from postroom.tickets.models import Message

NAME = "dedupe"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Mark the message a duplicate of an earlier stored copy, if there is one."""
    ctx = decisions.context
    if mail.message_id:
        # A Message-ID names one message (RFC 5322 §3.6.4): a second delivery, an IMAP
        # re-read after UIDVALIDITY changed, or our own outgoing mail coming back.
        rows = raw_messages_with_message_id(mail.message_id[:500])  # stored cut at 500
        source, reason = "message-id", "same Message-ID"
    else:
        rows = raw_messages_with_sha256(ctx.sha256)
        source, reason = "sha256", "same bytes, no Message-ID"
    # Filter in Python: the lookup column's index finds the few candidates; letting the
    # database also filter on state can make it pick the (much less selective) state index.
    first = next((pk for pk, state in rows if pk != ctx.raw_id and state == RawState.PROCESSED), None)
    if first is None and mail.message_id.endswith(f"@{settings.POSTROOM['MAIL_DOMAIN']}"):
        # Only our own outgoing mail has such an id; it is on its ticket already.
        if Message.objects.filter(message_id=mail.message_id).exists():
            decisions.outcome = Outcome.DUPLICATE
            decisions.record(
                step=NAME, kind="duplicate", value="stored message", source="message-id",
                reason=f"Message-ID <{mail.message_id}> is already on a ticket",
            )
            decisions.stop()
        return
    if first is not None:
        decisions.outcome = Outcome.DUPLICATE
        decisions.duplicate_of_id = first
        decisions.record(step=NAME, kind="duplicate", value=f"raw #{first}", source=source, reason=reason)
        decisions.stop()
