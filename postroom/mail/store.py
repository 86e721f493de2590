"""Store received bytes first; everything else happens after, from the stored copy."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable

from django.db import transaction

from postroom.core.jobs import enqueue_on_commit
from postroom.mail.models import Mailbox, MailboxAddress, RawMessage, Source

_MESSAGE_ID_RE = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)


def message_id_of(data: bytes) -> str:
    """Return the Message-ID found in the header block of *data*, without angle brackets.

    A cheap scan of the raw header block (no full parse) so storing stays fast.
    """
    head = data.split(b"\r\n\r\n", 1)[0].split(b"\n\n", 1)[0]
    match = _MESSAGE_ID_RE.search(head)
    if not match:
        return ""
    value = match.group(1).decode("ascii", "replace")
    value = re.sub(r"\s+", "", value)
    if "<" in value and ">" in value:
        value = value[value.index("<") + 1 : value.index(">", value.index("<"))]
    return value.strip("<>")[:500]


def raw_message_store(
    *,
    data: bytes,
    source: Source | str,
    envelope_from: str = "",
    envelope_to: Iterable[str] = (),
    mailbox: Mailbox | None = None,
    origin: str = "",
    process: bool = True,
) -> RawMessage:
    """Save *data* exactly as received and, once committed, enqueue its processing.

    Returns only after the row is committed, so a caller (the SMTP receiver's 250, the
    IMAP poller's flag) may acknowledge the message to its sender.
    """
    from postroom.mail.pipeline.tasks import process_raw_message

    with transaction.atomic():
        raw = RawMessage.objects.create(
            data=data,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            message_id=message_id_of(data),
            source=source,
            mailbox=mailbox,
            envelope_from=envelope_from[:320],
            envelope_to=[a.lower() for a in envelope_to],
            origin=origin[:500],
        )
        if process:
            enqueue_on_commit(process_raw_message, raw.pk)
    return raw


def mailbox_for_address(address: str) -> Mailbox | None:
    """Return the active mailbox serving *address*, or None when we do not serve it.

    Plus-addressing (support+t42-abc@…) resolves to the base address (RFC 5233).
    """
    address = address.strip().lower()
    local, _, domain = address.rpartition("@")
    candidates = [address]
    if "+" in local:
        candidates.append(f"{local.split('+', 1)[0]}@{domain}")
    row = (
        MailboxAddress.objects.select_related("mailbox", "mailbox__queue")
        .filter(address__in=candidates, mailbox__active=True)
        .first()
    )
    return row.mailbox if row else None
