"""Fixtures for the mail sources: running receivers and a private Dovecot IMAP server.

Dovecot (Debian `dovecot-imapd`) runs once per test session from a temporary folder,
as in /work/shared/recipes/real-services-in-tests.md. Every test gets its own IMAP user
(any name logs in with the password "secret"), so tests never see each other's mail.
"""

from __future__ import annotations

import itertools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from tests.conftest import require_service

DOVECOT_CONF = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:{root}/mail/%u
default_internal_user = dovecot
default_login_user = dovenull
first_valid_uid = 100
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
passdb {{
  driver = static
  args = password={password}
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={root}/mail/%u
}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Dovecot:
    """A private Dovecot instance that tests can stop and start again."""

    host = "127.0.0.1"
    password = "secret"

    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.conf = root / "dovecot.conf"
        self._users = itertools.count(1)
        (root / "mail").mkdir()
        shutil.chown(root / "mail", "dovecot", "dovecot")
        self.conf.write_text(DOVECOT_CONF.format(root=root, port=self.port, password=self.password))

    def start(self) -> None:
        # No pipes: the daemon keeps inherited ones open and run() would wait forever.
        subprocess.run(
            ["dovecot", "-c", str(self.conf)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not start:\n{self.log()}")

    def stop(self) -> None:
        """Kill the server with every session it serves, as a crash would.

        `dovecot stop` alone leaves running imap processes serving their clients, so the
        whole process group (the daemon calls setsid) is killed.
        """
        pid_file = self.root / "run" / "master.pid"
        if not pid_file.exists():
            return
        group = int(pid_file.read_text())
        try:
            os.killpg(group, signal.SIGKILL)
        except ProcessLookupError:
            pass
        # Killed processes may stay zombies for a while; a closed port is what counts.
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection((self.host, self.port), timeout=0.5).close()
            except OSError:
                break
            time.sleep(0.02)
        pid_file.unlink(missing_ok=True)

    def log(self) -> str:
        path = self.root / "dovecot.log"
        return path.read_text(errors="replace") if path.exists() else "(no log)"

    def new_user(self) -> str:
        return f"user{next(self._users)}@imap.example.test"

    def client(self, user: str):
        """Return an IMAPClient logged in as *user* (for putting mail in and looking)."""
        from imapclient import IMAPClient

        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(user, self.password)
        return client


@pytest.fixture(scope="session")
def dovecot_server():
    if shutil.which("dovecot") is None:
        require_service("dovecot-imapd not installed")
    root = Path(tempfile.mkdtemp(prefix="postroom-dovecot-"))
    root.chmod(0o755)  # the dovecot user must reach {root}/mail
    server = Dovecot(root)
    server.start()
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def dovecot(dovecot_server):
    """The session's Dovecot, running (a test may have stopped it)."""
    try:
        socket.create_connection((dovecot_server.host, dovecot_server.port), timeout=1).close()
    except OSError:
        dovecot_server.start()
    yield dovecot_server


@pytest.fixture
def imap_user(dovecot):
    """A fresh IMAP account with an empty INBOX."""
    return dovecot.new_user()


@pytest.fixture
def imap_mailbox(dovecot, imap_user, queues):
    """An IMAP Mailbox row that reads *imap_user*'s INBOX on the private Dovecot."""
    from postroom.mail.models import Mailbox, MailboxKind

    return Mailbox.objects.create(
        name="imap-support",
        kind=MailboxKind.IMAP,
        queue=queues["support"],
        imap_host=dovecot.host,
        imap_port=dovecot.port,
        imap_ssl=False,
        imap_username=imap_user,
        imap_password=dovecot.password,
    )


@pytest.fixture
def receivers(db):
    """Start the SMTP and LMTP receivers on free ports of 127.0.0.1."""
    from postroom.mail.sources.smtp import start_receivers

    with start_receivers(bind="127.0.0.1", smtp_port=0, lmtp_port=0) as running:
        yield running
