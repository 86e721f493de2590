"""Pure parsing of received mail: bytes in, a typed ParsedMail out (no DB, no network).

`parse_message` never raises: whatever is wrong with the input becomes an entry in
`ParsedMail.defects` and the result is the best reading of what is there.
"""

from __future__ import annotations

import logging
import os

from .message import build_parsed_mail, minimal_parsed_mail
from .types import DeliveryReport, DeliveryStatus, ParsedAttachment, ParsedMail

__all__ = [
    "DEFAULT_MAX_ATTACHMENT_BYTES",
    "DeliveryReport",
    "DeliveryStatus",
    "ParsedAttachment",
    "ParsedMail",
    "parse_message",
]

DEFAULT_MAX_ATTACHMENT_BYTES = 25 * 1024 * 1024

logger = logging.getLogger(__name__)


def _configured_max_attachment_bytes() -> int:
    """Return POSTROOM["MAX_ATTACHMENT_BYTES"] when Django settings are available."""
    try:
        from django.conf import settings

        if settings.configured or os.environ.get("DJANGO_SETTINGS_MODULE"):
            value = settings.POSTROOM["MAX_ATTACHMENT_BYTES"]
            return value if isinstance(value, int) else int(str(value))
    except Exception:  # no Django, no settings module, or no such key
        return DEFAULT_MAX_ATTACHMENT_BYTES
    return DEFAULT_MAX_ATTACHMENT_BYTES


def parse_message(data: bytes, *, max_attachment_bytes: int | None = None) -> ParsedMail:
    """Parse raw RFC 5322 / MIME *data* into a ParsedMail; never raise.

    Attachments larger than *max_attachment_bytes* (default: the POSTROOM setting, else
    25 MiB) are listed with a `dropped_reason` and without their data.
    """
    if not isinstance(data, bytes):
        data = (
            bytes(data)
            if isinstance(data, bytearray | memoryview)
            else str(data).encode("utf-8", "surrogateescape")
        )
    limit = (
        max_attachment_bytes
        if max_attachment_bytes is not None
        else _configured_max_attachment_bytes()
    )
    try:
        return build_parsed_mail(data, max_attachment_bytes=limit)
    except Exception as exc:  # the intake path must always get a result
        logger.warning("parse_message fell back to raw text: %r", exc, exc_info=True)
        return minimal_parsed_mail(data, exc)
