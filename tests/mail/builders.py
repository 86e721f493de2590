"""Build raw RFC 5322 test messages the way real clients send them."""

from __future__ import annotations

from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid


def build_mail(
    *,
    subject: str = "My watch does not sync",
    sender: str = "Alice Example <alice@customer.test>",
    to: str = "support@example.test",
    body: str = "Hello,\n\nmy watch stopped syncing with the app after the last update.\n\nAlice\n",
    message_id: str | None = None,
    in_reply_to: str | None = None,
    references: str | None = None,
    headers: dict[str, str] | None = None,
    html: str | None = None,
) -> bytes:
    """Return the bytes of a simple message; Message-IDs are given without brackets."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = format_datetime(datetime(2026, 11, 20, 9, 30, tzinfo=UTC))
    msg["Message-ID"] = f"<{message_id}>" if message_id else make_msgid(domain="customer.test")
    if in_reply_to:
        msg["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        msg["References"] = " ".join(f"<{r}>" for r in references.split())
    for name, value in (headers or {}).items():
        msg[name] = value
    msg.set_content(body)
    if html:
        msg.add_alternative(html, subtype="html")
    return bytes(msg)


def deliver(data: bytes, *, to: tuple[str, ...] = ("support@example.test",), sender: str = "alice@customer.test",
            source: str = "smtp"):
    """Store *data* as an SMTP delivery and process it; returns the refreshed RawMessage."""
    from postroom.mail.store import raw_message_store

    raw = raw_message_store(data=data, source=source, envelope_from=sender, envelope_to=to, process=False)
    from postroom.mail.pipeline.runner import raw_message_process

    raw_message_process(raw_id=raw.pk)
    raw.refresh_from_db()
    return raw
