"""Typed results of parsing: what crosses from `parsing` into the pipeline."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class ParsedAttachment:
    filename: str  # already made safe: no path parts, no control characters, bounded length
    content_type: str
    data: bytes  # empty when `dropped_reason` is set
    content_id: str = ""  # without angle brackets
    inline: bool = False
    dropped_reason: str = ""  # e.g. "too large (31 MB > 25 MB)"; the file itself is not kept


@dataclass(frozen=True)
class DeliveryStatus:
    """One recipient's line of an RFC 3464 delivery status notification."""

    recipient: str
    action: str  # failed / delayed / delivered / relayed / expanded
    status: str  # e.g. 5.1.1
    diagnostic: str = ""

    @property
    def hard(self) -> bool:
        return self.action == "failed" and self.status.startswith("5")


@dataclass(frozen=True)
class DeliveryReport:
    """A bounce: who failed, and which of our messages it was about."""

    statuses: tuple[DeliveryStatus, ...]
    original_message_id: str = ""  # from the returned headers, without angle brackets
    original_references: tuple[str, ...] = ()
    original_subject: str = ""
    heuristic: bool = False  # True when recognised without a message/delivery-status part


@dataclass(frozen=True)
class ParsedMail:
    """A received message, decoded. Message-IDs are stored without angle brackets."""

    message_id: str
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    subject: str
    from_address: str  # lower-cased addr-spec, "" when missing or unparseable
    from_name: str
    to: tuple[str, ...]
    cc: tuple[str, ...]
    reply_to: tuple[str, ...]
    date: dt.datetime | None
    # Decoded header values by lower-cased name, in order of appearance.
    headers: Mapping[str, tuple[str, ...]]
    text: str  # full text body (from text/plain, or extracted from HTML)
    html: str  # original (unsanitised) HTML body, "" when none
    visible_text: str  # the new reply without quoted history or signature
    attachments: tuple[ParsedAttachment, ...] = ()
    defects: tuple[str, ...] = ()
    delivery_report: DeliveryReport | None = None
    size: int = 0
    extra: Mapping[str, str] = field(default_factory=dict)

    def header(self, name: str, default: str = "") -> str:
        """Return the first value of header *name* (case-insensitive), or *default*."""
        values = self.headers.get(name.lower())
        return values[0] if values else default
