"""IMAP poller: store every new message of a mailbox's folder, then flag or move it.

For each message, in this order (so a crash at any point loses nothing):
1. fetch it with BODY.PEEK[] (nothing is marked read yet),
2. store the bytes (`raw_message_store`, committed),
3. flag it \\Seen, and move it to `imap_processed_folder` when one is set,
4. advance the folder's `ImapCursor` past its UID.
A crash between 2 and 4 stores the message again on the next run; the pipeline's
duplicate detection recognises it. UIDs only mean something together with UIDVALIDITY
(RFC 3501 §2.3.1.1): when it changes, the cursor starts again from 0.

`ImapPoller` is the long-running form for `postroom serve`: one thread per mailbox that
waits with IDLE (RFC 2177) when the server offers it, polls otherwise, and survives
dropped connections by reconnecting with exponential backoff.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connections
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError
from imapclient.imapclient import DELETED, SEEN, SocketTimeout

from postroom.mail.models import ImapCursor, Mailbox, MailboxKind, Source
from postroom.mail.store import raw_message_store

log = logging.getLogger(__name__)

# Bodies are fetched a few at a time so memory stays bounded by the batch, not the folder.
FETCH_MAX_MESSAGES = 20
FETCH_MAX_BYTES = 32 * 1024 * 1024
SIZE_CHUNK = 500
# RFC 2177 §3: re-issue IDLE at least every 29 minutes; NAT boxes often drop sooner.
IDLE_SECONDS = 240
TIMEOUT = SocketTimeout(connect=30, read=120)


class ImapSettingsError(Exception):
    """The mailbox's IMAP settings are incomplete (no host, user or password)."""


def poll_once(mailbox: Mailbox) -> int:
    """Connect, store every message newer than the cursor, disconnect; return how many.

    Raises on any error (connection, login, storage); the cursor then points after the
    last message that was stored and flagged, so calling again continues from there.
    """
    client = imap_connect(mailbox)
    try:
        cursor = imap_select(client, mailbox)
        stored = imap_store_new(client, mailbox, cursor)
    except BaseException:
        _close(client, clean=False)
        raise
    _close(client, clean=True)
    return stored


def imap_connect(mailbox: Mailbox) -> IMAPClient:
    """Return a logged-in client for *mailbox*, with its processed folder created."""
    if not (mailbox.imap_host and mailbox.imap_username):
        raise ImapSettingsError(f"mailbox {mailbox.name!r} has no IMAP host or username")
    password = _password(mailbox)
    client = IMAPClient(
        mailbox.imap_host, port=mailbox.imap_port, ssl=mailbox.imap_ssl, timeout=TIMEOUT
    )
    try:
        client.login(mailbox.imap_username, password)
        processed = mailbox.imap_processed_folder
        if processed and not client.folder_exists(processed):
            client.create_folder(processed)
            log.info("imap %s: created folder %s", mailbox.name, processed)
    except BaseException:
        _close(client, clean=False)
        raise
    return client


def imap_select(client: IMAPClient, mailbox: Mailbox) -> ImapCursor:
    """Select the mailbox's folder and return its cursor, reset when UIDVALIDITY changed."""
    folder = mailbox.imap_folder
    info = client.select_folder(folder)
    uidvalidity = int(info[b"UIDVALIDITY"])
    cursor, _ = ImapCursor.objects.get_or_create(mailbox=mailbox, folder=folder)
    if cursor.uidvalidity != uidvalidity:
        if cursor.uidvalidity:
            # RFC 3501 §2.3.1.1: the old UIDs mean nothing now. Read the folder again;
            # messages already stored come back as duplicates and are recognised.
            log.warning(
                "imap %s: UIDVALIDITY of %s changed from %s to %s; reading it again",
                mailbox.name,
                folder,
                cursor.uidvalidity,
                uidvalidity,
            )
        cursor.uidvalidity = uidvalidity
        cursor.last_uid = 0
        cursor.save()
    return cursor


def imap_store_new(
    client: IMAPClient,
    mailbox: Mailbox,
    cursor: ImapCursor,
    *,
    stopping: Callable[[], bool] = lambda: False,
) -> int:
    """Store the selected folder's messages above the cursor, in UID order; return how many."""
    stored = 0
    for batch in _batches(client, cursor.last_uid):
        response = client.fetch(batch, ["BODY.PEEK[]"])
        for uid in batch:
            if stopping():
                return stored
            item = response.get(uid)
            if item is None or b"BODY[]" not in item:
                log.info("imap %s: UID %s vanished before it was read", mailbox.name, uid)
            else:
                raw_message_store(
                    data=bytes(item[b"BODY[]"]),
                    source=Source.IMAP,
                    mailbox=mailbox,
                    origin=f"imap:{cursor.folder}:{cursor.uidvalidity}:{uid}",
                )
                _mark_stored(client, mailbox, uid)
                stored += 1
            cursor.last_uid = uid
            cursor.save(update_fields=["last_uid", "updated_at"])
    if stored:
        log.info("imap %s: stored %d message(s) from %s", mailbox.name, stored, cursor.folder)
    return stored


def _batches(client: IMAPClient, last_uid: int) -> Iterator[list[int]]:
    """Yield the UIDs above *last_uid* in ascending batches bounded by count and size."""
    # RFC 3501 §6.4.8: "UID n:*" always includes the highest UID, even when it is below
    # n, hence the filter.
    uids = sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
    for start in range(0, len(uids), SIZE_CHUNK):
        chunk = uids[start : start + SIZE_CHUNK]
        sizes = client.fetch(chunk, ["RFC822.SIZE"])
        batch: list[int] = []
        batch_bytes = 0
        for uid in chunk:
            size = int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))
            if batch and (len(batch) >= FETCH_MAX_MESSAGES or batch_bytes + size > FETCH_MAX_BYTES):
                yield batch
                batch, batch_bytes = [], 0
            batch.append(uid)
            batch_bytes += size
        if batch:
            yield batch


def _mark_stored(client: IMAPClient, mailbox: Mailbox, uid: int) -> None:
    """Flag a stored message \\Seen and move it to the processed folder when one is set."""
    client.add_flags([uid], [SEEN], silent=True)
    target = mailbox.imap_processed_folder
    if not target:
        return
    if client.has_capability("MOVE"):
        client.move([uid], target)  # RFC 6851
        return
    client.copy([uid], target)
    client.add_flags([uid], [DELETED], silent=True)
    if client.has_capability("UIDPLUS"):
        client.uid_expunge([uid])  # RFC 4315 §2.1: expunge only this message
    else:
        client.expunge()


def _password(mailbox: Mailbox) -> str:
    if mailbox.imap_password:
        return mailbox.imap_password
    name = mailbox.imap_password_env
    if not name:
        raise ImapSettingsError(f"mailbox {mailbox.name!r} has no IMAP password")
    try:
        return os.environ[name]
    except KeyError:
        raise ImapSettingsError(
            f"mailbox {mailbox.name!r}: environment variable {name} is not set"
        ) from None


def _close(client: IMAPClient, *, clean: bool) -> None:
    """Log out politely after a clean session; just drop the socket after an error."""
    try:
        if clean:
            client.logout()
        else:
            client.shutdown()
    except Exception:  # noqa: S110 - the connection is being thrown away anyway
        try:
            client.shutdown()
        except Exception:  # noqa: S110
            pass


class ImapPoller(threading.Thread):
    """Keep one IMAP mailbox read: IDLE or poll, store, and reconnect after any failure.

    Settings are read from the database on every (re)connection, so a changed password
    takes effect after the next failure; a mailbox made inactive ends its poller.
    """

    def __init__(
        self,
        mailbox: Mailbox,
        *,
        poll_seconds: float | None = None,
        idle_seconds: float = IDLE_SECONDS,
        backoff_start: float = 1.0,
        backoff_max: float = 300.0,
    ) -> None:
        super().__init__(name=f"postroom-imap-{mailbox.name}", daemon=True)
        self.mailbox_id = mailbox.pk
        self.mailbox_name = mailbox.name
        conf: dict[str, Any] = settings.POSTROOM
        self.poll_seconds = float(
            conf["IMAP_POLL_SECONDS"] if poll_seconds is None else poll_seconds
        )
        self.idle_seconds = idle_seconds
        self.backoff_start = backoff_start
        self.backoff_max = backoff_max
        self.stored = 0
        self.failures = 0
        # Set while the poller waits in IDLE; lets callers know it is caught up.
        self.idling = threading.Event()
        self._stopping = threading.Event()
        self._delay = backoff_start

    def stop(self, timeout: float | None = 10.0) -> None:
        """Ask the poller to finish and wait for it (at most *timeout* seconds)."""
        self._stopping.set()
        if self.is_alive() and threading.current_thread() is not self:
            self.join(timeout)

    def run(self) -> None:
        """Run sessions until stopped, backing off 1s, 2s, 4s … after each failure."""
        try:
            while not self._stopping.is_set():
                try:
                    self._session()
                except Exception as error:
                    self.failures += 1
                    expected = isinstance(error, OSError | IMAPClientError | ImapSettingsError)
                    log.warning(
                        "imap %s: %s: %s; reconnecting in %.1fs",
                        self.mailbox_name,
                        type(error).__name__,
                        error,
                        self._delay,
                        exc_info=not expected,
                    )
                    self._stopping.wait(self._delay)
                    self._delay = min(self._delay * 2, self.backoff_max)
                finally:
                    self.idling.clear()
                    close_old_connections()
        finally:
            connections.close_all()  # this thread's connections only

    def _session(self) -> None:
        """Connect once and keep the folder read until stopped or the connection fails."""
        mailbox = Mailbox.objects.filter(pk=self.mailbox_id).first()
        if mailbox is None or not mailbox.active or mailbox.kind != MailboxKind.IMAP:
            log.info("imap %s: no longer an active IMAP mailbox; stopping", self.mailbox_name)
            self._stopping.set()
            return
        client = imap_connect(mailbox)
        clean = False
        try:
            cursor = imap_select(client, mailbox)
            can_idle = client.has_capability("IDLE")
            log.info(
                "imap %s: reading %s on %s (%s)",
                mailbox.name,
                mailbox.imap_folder,
                mailbox.imap_host,
                "IDLE" if can_idle else f"every {self.poll_seconds:g}s",
            )
            while not self._stopping.is_set():
                self.stored += imap_store_new(
                    client, mailbox, cursor, stopping=self._stopping.is_set
                )
                # Caught up: the next failure backs off from the start again. (Not reset
                # at login, so a message that cannot be stored still backs off.)
                self._delay = self.backoff_start
                close_old_connections()
                if self._stopping.is_set():
                    break
                if can_idle:
                    self._idle(client)
                else:
                    self._stopping.wait(self.poll_seconds)
            clean = True
        finally:
            _close(client, clean=clean)

    def _idle(self, client: IMAPClient) -> None:
        """Wait in IDLE until the server reports a change, time is up, or we are stopped."""
        client.idle()
        self.idling.set()
        try:
            deadline = time.monotonic() + self.idle_seconds
            while not self._stopping.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                wait = min(1.0, remaining)
                started = time.monotonic()
                if client.idle_check(timeout=wait):
                    break  # EXISTS, EXPUNGE, BYE …: look at the folder again
                if time.monotonic() - started < wait / 2:
                    # idle_check returns early and empty when the socket hit EOF;
                    # leaving IDLE will tell a dropped connection from a spurious wake-up.
                    break
        finally:
            self.idling.clear()
        client.idle_done()


def start_imap_pollers(**options: Any) -> list[ImapPoller]:
    """Start one `ImapPoller` per active IMAP mailbox and return them."""
    pollers = [
        ImapPoller(mailbox, **options)
        for mailbox in Mailbox.objects.filter(kind=MailboxKind.IMAP, active=True).order_by("pk")
    ]
    for poller in pollers:
        poller.start()
    return pollers


def stop_imap_pollers(pollers: list[ImapPoller], timeout: float = 10.0) -> None:
    """Ask every poller to stop, then wait for all of them."""
    for poller in pollers:
        poller.stop(timeout=0)  # all at once; then wait
    deadline = time.monotonic() + timeout
    for poller in pollers:
        poller.stop(max(0.0, deadline - time.monotonic()))
