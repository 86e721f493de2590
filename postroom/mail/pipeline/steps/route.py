"""Choose the queue of a new ticket from the address the customer wrote to."""

from __future__ import annotations

from postroom.mail.models import Mailbox, Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.mail.store import default_queue_id, mailbox_for_address, queue_name

NAME = "route"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Route to the queue of the first of our addresses the message was sent to."""
    if decisions.outcome not in {Outcome.TICKET, Outcome.SPAM}:
        return
    ctx = decisions.context
    # The envelope is the truth for SMTP/LMTP (Bcc, aliases); headers for imports.
    for address in (*ctx.envelope_to, *mail.to, *mail.cc, *mail.headers.get("delivered-to", ())):
        mailbox = mailbox_for_address(address)
        if mailbox is not None:
            decisions.our_address = _base(address)
            decisions.set_field(step=NAME, name="queue_id", value=mailbox.queue_id,
                                display=queue_name(mailbox.queue_id), source=f"mailbox:{decisions.our_address}")
            return
    if ctx.mailbox_id is not None:
        mailbox = Mailbox.objects.select_related("queue").get(pk=ctx.mailbox_id)
        first = mailbox.addresses.values_list("address", flat=True).first()
        decisions.our_address = first or ""
        decisions.set_field(step=NAME, name="queue_id", value=mailbox.queue_id, display=mailbox.queue.name,
                            source=f"mailbox:{mailbox.name}")
        return
    queue_id = default_queue_id()
    if queue_id is None:
        raise LookupError("no queue exists: run `postroom setup` to create the default queues")
    decisions.set_field(step=NAME, name="queue_id", value=queue_id, display=queue_name(queue_id),
                        source="default-queue", reason="not addressed to any configured mailbox address")


def _base(address: str) -> str:
    local, _, domain = address.lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"
