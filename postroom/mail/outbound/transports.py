"""How a stored outbox message leaves: one transport per class behind `Transport`.

Like Django's mail backends: `settings.POSTROOM["OUTBOUND_TRANSPORT"]` names the class by
dotted path; empty means `SmtpRelayTransport` when `EMAIL_HOST` is set, else
`FileTransport`. Whatever the transport, the outbox row is the record of what was sent.
"""

from __future__ import annotations

import datetime as dt
import os
import smtplib
import ssl
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class Envelope:
    """What a transport needs to deliver one outbox message."""

    outbound_id: int
    created_at: dt.datetime
    sender: str
    recipients: tuple[str, ...]
    data: bytes  # the complete RFC 5322 message, CRLF line endings


class TransportError(Exception):
    """Delivery did not happen; `permanent` says a retry cannot help (a 5xx answer)."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Transport:
    """Base class: deliver an `Envelope` or raise `TransportError`.

    `send` returns the recipients the next hop refused ({address: reason}) when it
    accepted the message for the others; empty when all were accepted.
    """

    def send(self, envelope: Envelope) -> dict[str, str]:
        """Deliver *envelope*; raise `TransportError` when nobody got it."""
        raise NotImplementedError


class FileTransport(Transport):
    """Write each message to `<EMAIL_FILE_PATH>/<created date>-<outbound id>.eml`.

    The embedded default when no relay is configured: mail stays inspectable on disk.
    """

    def __init__(self, directory: str | os.PathLike[str] | None = None) -> None:
        self.directory = Path(directory or settings.EMAIL_FILE_PATH)

    def path_for(self, envelope: Envelope) -> Path:
        """Return the file *envelope* is written to."""
        return self.directory / f"{envelope.created_at:%Y%m%d-%H%M%S}-{envelope.outbound_id}.eml"

    def send(self, envelope: Envelope) -> dict[str, str]:
        """Write the message atomically: a temporary file renamed into place."""
        target = self.path_for(envelope)
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".", suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(envelope.data)
                    fh.flush()
                    os.fsync(fh.fileno())
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TransportError(f"cannot write {target}: {exc}") from exc
        return {}


class SmtpRelayTransport(Transport):
    """Hand each message to the SMTP relay in `EMAIL_HOST` (STARTTLS/SSL/auth from settings)."""

    def __init__(self) -> None:
        self.host = settings.EMAIL_HOST
        self.port = settings.EMAIL_PORT
        self.username = settings.EMAIL_HOST_USER
        self.password = settings.EMAIL_HOST_PASSWORD
        self.use_tls = settings.EMAIL_USE_TLS
        self.use_ssl = settings.EMAIL_USE_SSL
        self.timeout = getattr(settings, "EMAIL_TIMEOUT", None) or 30

    def _connect(self) -> smtplib.SMTP:
        if self.use_ssl:
            return smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=ssl.create_default_context()
            )
        smtp = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        if self.use_tls:
            smtp.starttls(context=ssl.create_default_context())
        return smtp

    def send(self, envelope: Envelope) -> dict[str, str]:
        """Send over one SMTP session; 5xx answers are permanent, the rest temporary."""
        try:
            with self._connect() as smtp:
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.sendmail(envelope.sender, list(envelope.recipients), envelope.data)
        except smtplib.SMTPRecipientsRefused as exc:
            reasons = {a: f"{code} {_text(msg)}" for a, (code, msg) in exc.recipients.items()}
            # RFC 5321 §4.2.1: 5yz is a permanent failure, 4yz transient.
            permanent = all(500 <= code < 600 for code, _ in exc.recipients.values())
            raise TransportError(
                "all recipients refused: " + "; ".join(f"{a}: {r}" for a, r in reasons.items()),
                permanent=permanent,
            ) from exc
        except smtplib.SMTPResponseException as exc:
            raise TransportError(
                f"relay answered {exc.smtp_code} {_text(exc.smtp_error)}",
                permanent=500 <= exc.smtp_code < 600,
            ) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise TransportError(f"relay {self.host}:{self.port}: {exc}") from exc
        return {a: f"{code} {_text(msg)}" for a, (code, msg) in refused.items()}


# Messages sent through `MemoryTransport`, oldest first (tests read and clear it).
outbox: list[Envelope] = []


class MemoryTransport(Transport):
    """Keep sent messages in the module-level list `outbox` (tests)."""

    def send(self, envelope: Envelope) -> dict[str, str]:
        """Append *envelope* to `outbox`."""
        outbox.append(envelope)
        return {}


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def outbound_transport() -> Transport:
    """Return the configured transport instance."""
    configured: dict[str, Any] = settings.POSTROOM
    path: str = configured.get("OUTBOUND_TRANSPORT") or (
        "postroom.mail.outbound.transports.SmtpRelayTransport"
        if settings.EMAIL_HOST
        else "postroom.mail.outbound.transports.FileTransport"
    )
    transport = import_string(path)()
    if not isinstance(transport, Transport):
        raise TypeError(f"{path} is not a postroom.mail.outbound.transports.Transport")
    return transport
