"""`postroom serve` as a user runs it: one process, real SMTP in, acknowledgement out."""

from __future__ import annotations

import email
import os
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.request
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait(predicate, timeout: float = 60.0, what: str = "condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.fixture
def server(tmp_path):
    http, smtp, lmtp = _free_port(), _free_port(), _free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("POSTROOM_", "DJANGO_"))},
        "POSTROOM_DATA_DIR": str(tmp_path / "data"),
        "POSTROOM_MAIL_DOMAIN": "example.test",
        "POSTROOM_ADMIN_PASSWORD": "correct-horse-battery",
        "PYTHONUNBUFFERED": "1",
    }
    log = open(tmp_path / "serve.log", "w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "postroom.cli", "serve", "--http", f"127.0.0.1:{http}",
         "--smtp-port", str(smtp), "--lmtp-port", str(lmtp), "--no-imap"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )

    def up():
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{http}/desk/login/", timeout=2) as r:  # noqa: S310
                return r.status == 200
        except OSError:
            if proc.poll() is not None:
                log.seek(0)
                raise AssertionError("serve exited:\n" + log.read()) from None
            return False

    try:
        _wait(up, 90, "the web app")
        yield {"http": http, "smtp": smtp, "lmtp": lmtp, "data": tmp_path / "data", "log": log, "proc": proc}
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _outbox(data: Path) -> list[Path]:
    folder = data / "outbox"
    return sorted(folder.glob("*.eml")) if folder.exists() else []


def _rows(data: Path, sql: str):
    with sqlite3.connect(data / "postroom.sqlite3", timeout=30) as db:
        return db.execute(sql).fetchall()


def test_mail_sent_to_serve_becomes_an_acknowledged_ticket_and_replies_thread(server):
    msg = EmailMessage()
    msg["From"] = "Alice <alice@customer.test>"
    msg["To"] = "support@example.test"
    msg["Subject"] = "Watch stuck on firmware update"
    msg["Message-ID"] = "<first@customer.test>"
    msg.set_content("Hello,\n\nmy watch is stuck at 42% while updating the firmware.\n\nAlice\n")
    with smtplib.SMTP("127.0.0.1", server["smtp"], timeout=30) as client:
        client.send_message(msg)
        with pytest.raises(smtplib.SMTPRecipientsRefused):
            client.sendmail("alice@customer.test", ["nobody@example.test"], b"Subject: x\r\n\r\nx\r\n")

    ack_path = _wait(lambda: _outbox(server["data"]), 30, "the acknowledgement in the outbox")[0]
    ack = email.message_from_bytes(ack_path.read_bytes(), policy=policy.default)
    assert "[PR-1]" in ack["Subject"]
    assert ack["Auto-Submitted"] == "auto-replied"
    assert ack["In-Reply-To"] == "<first@customer.test>"
    assert ack["To"] == "alice@customer.test" or "alice@customer.test" in ack["To"]

    reply = EmailMessage()
    reply["From"] = "alice@customer.test"
    reply["To"] = ack["Reply-To"] or "support@example.test"
    reply["Subject"] = "Re: " + ack["Subject"]
    reply["In-Reply-To"] = ack["Message-ID"]
    reply["References"] = f"<first@customer.test> {ack['Message-ID']}"
    reply.set_content("It is a Model S2, firmware 4.1.0.\n\n> earlier text\n")
    with smtplib.SMTP("127.0.0.1", server["smtp"], timeout=30) as client:
        client.send_message(reply)

    _wait(lambda: _rows(server["data"], "select count(*) from tickets_message where ticket_id=1 and direction='in'")[0][0] == 2,
          30, "the reply on ticket 1")
    assert _rows(server["data"], "select count(*) from tickets_ticket")[0][0] == 1
    assert len(_outbox(server["data"])) == 1  # no second acknowledgement for a follow-up


def test_lmtp_delivery_is_accepted(server):
    with smtplib.LMTP("127.0.0.1", server["lmtp"], timeout=30) as client:
        client.sendmail("bob@customer.test", ["billing@example.test"],
                        b"From: bob@customer.test\r\nTo: billing@example.test\r\nSubject: Invoice\r\n\r\nWrong amount.\r\n")
    _wait(lambda: _rows(server["data"], "select count(*) from tickets_ticket t join accounts_queue q on q.id=t.queue_id "
                                        "where q.slug='billing'")[0][0] == 1, 30, "the billing ticket")
