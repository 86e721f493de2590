"""Store received bytes first; everything else happens after, from the stored copy."""

from __future__ import annotations

import hashlib
import re
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass

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


def raw_messages_store_many(
    *, items: Iterable[tuple[str, bytes]], source: Source | str, mailbox: Mailbox | None = None
) -> list[RawMessage]:
    """Save several messages (origin, bytes) in one committed transaction, unprocessed.

    For bulk imports: one commit for a batch instead of one per message. The caller
    processes the returned rows afterwards; anything it does not finish stays `received`
    and is picked up by `postroom mail retry` or the worker's sweep.
    """
    rows = [
        RawMessage(
            data=data, size=len(data), sha256=hashlib.sha256(data).hexdigest(),
            message_id=message_id_of(data), source=source, mailbox=mailbox, origin=origin[:500],
        )
        for origin, data in items
    ]
    with transaction.atomic():
        return RawMessage.objects.bulk_create(rows)


def mailbox_for_address(address: str) -> Mailbox | None:
    """Return the active mailbox serving *address*, or None when we do not serve it.

    Plus-addressing (support+t42-abc@…) resolves to the base address (RFC 5233).
    Answers come from a small per-process directory (every message asks, the receivers
    at each RCPT), refreshed when mailboxes or queues change and at least every 30 s.
    """
    address = address.strip().lower()
    local, _, domain = address.rpartition("@")
    table = _directory().mailboxes
    if address in table:
        return table[address]
    if "+" in local:
        return table.get(f"{local.split('+', 1)[0]}@{domain}")
    return None


def our_address(address: str) -> bool:
    """Return True when *address* is one of our active mailbox addresses."""
    return mailbox_for_address(address) is not None


def default_queue_id() -> int | None:
    """Return the id of the queue that gets mail no mailbox address claims."""
    return _directory().default_queue_id


def queue_name(queue_id: int) -> str:
    """Return the name of queue *queue_id* (from the directory, no query)."""
    return _directory().queue_names.get(queue_id, str(queue_id))


@dataclass(frozen=True)
class _Directory:
    mailboxes: dict[str, Mailbox]
    queue_names: dict[int, str]
    default_queue_id: int | None
    loaded_at: float


_TTL_SECONDS = 30.0
_current: _Directory | None = None
_lock = threading.Lock()


def _directory() -> _Directory:
    global _current
    current = _current
    if current is not None and time.monotonic() - current.loaded_at < _TTL_SECONDS:
        return current
    with _lock:
        from postroom.accounts.models import Queue

        rows = MailboxAddress.objects.select_related("mailbox").filter(mailbox__active=True)
        queues = list(Queue.objects.order_by("pk").values_list("pk", "name", "is_default"))
        default = next((pk for pk, _, is_default in queues if is_default), queues[0][0] if queues else None)
        _current = _Directory(
            mailboxes={row.address.lower(): row.mailbox for row in rows},
            queue_names={pk: name for pk, name, _ in queues},
            default_queue_id=default,
            loaded_at=time.monotonic(),
        )
        return _current


def mailbox_addresses_changed(**_: object) -> None:
    """Forget the directory (signal receiver: a mailbox, address or queue changed)."""
    global _current
    _current = None
