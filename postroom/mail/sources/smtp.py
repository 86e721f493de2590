"""SMTP and LMTP receivers: accept mail for the addresses we serve and store the bytes.

Both listeners run on one asyncio loop in a background thread (aiosmtpd). The receiver
only moves bytes: RCPT asks `mailbox_for_address`, DATA calls `raw_message_store`, both
in worker threads so a slow database never stalls the other sessions on the loop. The
sender hears 250 only after the raw message is committed, and a temporary 451 for any
failure, so a message is either ours or still the sender's; never lost in between.

One transaction stores one `RawMessage`, whatever the number of recipients: envelope_to
holds every accepted recipient and `mailbox` is the first recipient's. LMTP (RFC 2033)
answers DATA once per accepted recipient; since the message is stored once, every
recipient gets the same answer (all 250, or all 451).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from aiosmtpd.lmtp import LMTP
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.conf import settings
from django.db import close_old_connections

from postroom.mail.models import RawMessage, Source
from postroom.mail.store import mailbox_for_address, raw_message_store

log = logging.getLogger(__name__)

ACCEPTED = "250 2.0.0 Message accepted for delivery"
TEMPORARY_FAILURE = "451 4.3.0 Temporary failure, please retry"
RECIPIENT_OK = "250 2.1.5 Recipient OK"

_T = TypeVar("_T")


def _with_db(fn: Callable[..., _T], /, *args: Any, **kwargs: Any) -> _T:
    """Call *fn* in a worker thread, dropping stale connections before and after.

    Worker threads outlive a single call, so they follow the request cycle's rule
    (django.db.close_old_connections), which honours CONN_MAX_AGE.
    """
    close_old_connections()
    try:
        return fn(*args, **kwargs)
    finally:
        close_old_connections()


class DeliveryHandler:
    """Handle RCPT and DATA for the SMTP and LMTP servers (aiosmtpd handler hooks)."""

    def __init__(self, *, source: Source) -> None:
        self.source = source

    async def handle_RCPT(
        self,
        server: SMTP,
        session: Session,
        envelope: Envelope,
        address: str,
        rcpt_options: list[str],
    ) -> str:
        """Accept *address* only when a mailbox serves it."""
        try:
            mailbox = await asyncio.to_thread(_with_db, mailbox_for_address, address)
        except Exception:
            log.exception("%s: looking up recipient %s failed; answered 451", self.source, address)
            return TEMPORARY_FAILURE
        if mailbox is None:
            log.info("%s: refused unknown recipient %s from %r", self.source, address, session.peer)
            return f"550 5.1.1 <{address}>: no such mailbox here"
        # A hook that answers must record the recipient itself (aiosmtpd only does so
        # when no RCPT hook exists).
        envelope.rcpt_tos.append(address)
        envelope.rcpt_options.extend(rcpt_options)
        return RECIPIENT_OK

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        """Store the message exactly as received; answer 250 only once it is committed."""
        data = envelope.original_content or b""
        # RFC 5321 §4.5.5: bounces carry the null reverse-path, which aiosmtpd keeps as "<>".
        mail_from = "" if envelope.mail_from in (None, "<>") else envelope.mail_from
        rcpt_tos = list(envelope.rcpt_tos)
        try:
            raw = await asyncio.to_thread(_with_db, self._store, data, mail_from, rcpt_tos)
        except Exception:
            log.exception(
                "%s: storing %d bytes from <%s> for %s failed; answered 451",
                self.source,
                len(data),
                mail_from,
                ", ".join(rcpt_tos),
            )
            return TEMPORARY_FAILURE
        log.info(
            "%s: stored raw #%s (%d bytes) from <%s> for %s",
            self.source,
            raw.pk,
            len(data),
            mail_from,
            ", ".join(rcpt_tos),
        )
        return ACCEPTED

    def _store(self, data: bytes, mail_from: str, rcpt_tos: list[str]) -> RawMessage:
        # Looked up again: the mailbox may have changed since RCPT; storing wins anyway.
        mailbox = mailbox_for_address(rcpt_tos[0]) if rcpt_tos else None
        return raw_message_store(
            data=data,
            source=self.source,
            envelope_from=mail_from,
            envelope_to=rcpt_tos,
            mailbox=mailbox,
        )


class _LMTPServer(LMTP):
    """LMTP with one reply per accepted recipient after DATA.

    RFC 2033 §4.2: the server answers the end of DATA once for every recipient that was
    accepted at RCPT, in order. aiosmtpd's LMTP answers once, so the one reply that
    follows "354" (the handler's status, or aiosmtpd's own 552/500) is repeated.
    """

    _replies_due = 0

    async def push(self, status: Any) -> None:
        text = status.decode() if isinstance(status, bytes) else status
        if self._replies_due:
            text = "\r\n".join([text] * self._replies_due)
            self._replies_due = 0
        elif text.startswith("354") and self.envelope is not None:
            # Counted now: aiosmtpd resets the envelope before it sends the final reply.
            self._replies_due = len(self.envelope.rcpt_tos)
        await super().push(text)


@dataclass
class Receivers:
    """The running SMTP and LMTP listeners and the loop thread that serves them.

    `smtp_port` and `lmtp_port` are the ports actually bound (None: not started).
    """

    bind: str
    smtp_port: int | None
    lmtp_port: int | None
    _loop: asyncio.AbstractEventLoop = field(repr=False)
    _thread: threading.Thread = field(repr=False)
    _executor: ThreadPoolExecutor = field(repr=False)
    _servers: list[asyncio.Server] = field(repr=False)

    def describe(self) -> str:
        """Return where mail is received, e.g. "SMTP on 127.0.0.1:2525, LMTP on …"."""
        parts = [
            f"{name} on {self.bind}:{port}"
            for name, port in (("SMTP", self.smtp_port), ("LMTP", self.lmtp_port))
            if port is not None
        ]
        return ", ".join(parts) or "no receiver"

    def stop(self, timeout: float = 10.0) -> None:
        """Close the listeners, end open sessions, and wait for running stores to finish."""
        if self._loop.is_closed():
            return

        async def close() -> None:
            for server in self._servers:
                server.close()
            tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

        try:
            asyncio.run_coroutine_threadsafe(close(), self._loop).result(timeout)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout)
            # A store already running in a worker finishes and commits.
            self._executor.shutdown(wait=True)
            if not self._thread.is_alive():
                self._loop.close()
        log.info("stopped receiving mail (%s)", self.describe())

    def __enter__(self) -> Receivers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_receivers(
    *,
    bind: str,
    smtp_port: int | None,
    lmtp_port: int | None,
    max_message_bytes: int | None = None,
) -> Receivers:
    """Start the SMTP and LMTP listeners in one background thread and return them.

    A port of None leaves that receiver off; a port of 0 binds a free port (tests), and
    the returned `Receivers` holds the ports actually bound. The size limit defaults to
    settings.POSTROOM["MAX_MESSAGE_BYTES"]. Raises OSError when a port cannot be bound.
    """
    conf: dict[str, Any] = settings.POSTROOM
    limit = int(conf["MAX_MESSAGE_BYTES"] if max_message_bytes is None else max_message_bytes)
    hostname = str(conf["MAIL_DOMAIN"])  # never socket.getfqdn(): it may block on DNS

    loop = asyncio.new_event_loop()
    executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="postroom-receiver-db")
    loop.set_default_executor(executor)
    thread = threading.Thread(target=loop.run_forever, name="postroom-receivers", daemon=True)
    thread.start()

    def factory(cls: type[SMTP], source: Source) -> Callable[[], SMTP]:
        handler = DeliveryHandler(source=source)
        return lambda: cls(
            handler,
            data_size_limit=limit,
            decode_data=False,
            enable_SMTPUTF8=True,
            hostname=hostname,
            ident="Postroom",
            loop=loop,
        )

    wanted = [
        (port, factory(cls, source))
        for port, cls, source in (
            (smtp_port, SMTP, Source.SMTP),
            (lmtp_port, _LMTPServer, Source.LMTP),
        )
        if port is not None
    ]

    async def listen() -> list[asyncio.Server]:
        servers: list[asyncio.Server] = []
        try:
            for port, protocol in wanted:
                servers.append(await loop.create_server(protocol, host=bind, port=port))
        except BaseException:
            for server in servers:
                server.close()
            raise
        return servers

    try:
        servers = asyncio.run_coroutine_threadsafe(listen(), loop).result(30)
    except BaseException:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        executor.shutdown(wait=False)
        loop.close()
        raise
    bound = iter(server.sockets[0].getsockname()[1] for server in servers)
    receivers = Receivers(
        bind=bind,
        smtp_port=next(bound) if smtp_port is not None else None,
        lmtp_port=next(bound) if lmtp_port is not None else None,
        _loop=loop,
        _thread=thread,
        _executor=executor,
        _servers=servers,
    )
    log.info("receiving mail: %s (at most %d bytes a message)", receivers.describe(), limit)
    return receivers
