"""Drop a message we already have: same Message-ID, or the same bytes when it has none."""

from __future__ import annotations

from postroom.mail.models import Outcome, RawMessage, RawState
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.tickets.models import Message

NAME = "dedupe"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Mark the message a duplicate of an earlier stored copy, if there is one."""
    ctx = decisions.context
    earlier = RawMessage.objects.filter(state=RawState.PROCESSED).exclude(pk=ctx.raw_id)
    if mail.message_id:
        # A Message-ID names one message (RFC 5322 §3.6.4): a second delivery, an IMAP
        # re-read after UIDVALIDITY changed, or our own outgoing mail coming back.
        first = earlier.filter(message_id=mail.message_id).order_by("pk").first()
        if first is None and Message.objects.filter(message_id=mail.message_id).exists():
            decisions.outcome = Outcome.DUPLICATE
            decisions.record(
                step=NAME, kind="duplicate", value="stored message", source="message-id",
                reason=f"Message-ID <{mail.message_id}> is already on a ticket",
            )
            decisions.stop()
            return
        source = "message-id"
    else:
        first = earlier.filter(sha256=ctx.sha256, message_id="").order_by("pk").first()
        source = "sha256"
    if first is not None:
        decisions.outcome = Outcome.DUPLICATE
        decisions.duplicate_of_id = first.pk
        decisions.record(
            step=NAME, kind="duplicate", value=f"raw #{first.pk}", source=source,
            reason="same Message-ID" if source == "message-id" else "same bytes, no Message-ID",
        )
        decisions.stop()
