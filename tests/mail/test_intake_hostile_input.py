"""Hostile or absurd input ends as a ticket or a clear error, never a crash (on SQLite
and on PostgreSQL, which enforces column lengths)."""

from __future__ import annotations

import pytest

from postroom.mail.models import RawState
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


def _ok(raw) -> None:
    assert raw.state == RawState.PROCESSED, raw.error


def test_absurdly_long_header_values_are_stored_bounded(mailboxes):
    long_addr = "x" * 400 + "@" + "y" * 300 + ".test"
    data = (
        f"From: {long_addr}\r\nTo: support@example.test\r\nSubject: {'S' * 20000}\r\n"
        f"Message-ID: <{'m' * 3000}@x>\r\nReferences: {' '.join(f'<r{i}@x>' for i in range(5000))}\r\n\r\nbody\r\n"
    ).encode()
    raw = deliver(data)
    _ok(raw)
    assert raw.ticket.customer is None
    assert len(raw.ticket.subject) <= 500


def test_a_reply_threaded_by_a_huge_message_id_records_a_bounded_source(mailboxes):
    huge = "m" * 480 + "@customer.test"  # long but within a header line
    first = deliver(build_mail(message_id=huge))
    _ok(first)
    reply = deliver(build_mail(subject="again", in_reply_to=huge))
    _ok(reply)
    assert reply.outcome == "followup"
    assert all(len(e.source) <= 200 for e in reply.ticket.events.all())


def test_hostile_attachment_names_and_ids_are_made_safe(mailboxes):
    data = (
        b"From: a@b.test\r\nTo: support@example.test\r\nContent-Type: multipart/mixed; boundary=x\r\n\r\n"
        b"--x\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\""
        + b"../" * 100 + b"etc/passwd\x00.exe\"\r\nContent-ID: <" + b"c" * 2000 + b">\r\n\r\nAAAA\r\n--x--\r\n"
    )
    raw = deliver(data)
    _ok(raw)
    attachment = raw.ticket.messages.get().attachments.get()
    assert "/" not in attachment.filename and ".." not in attachment.filename
    assert attachment.file.read() == b"AAAA" or attachment.size == 4


def test_thousands_of_recipients_and_nul_bytes_are_survived(mailboxes):
    many = b"To: " + b",".join(f"user{i}@example.test".encode() for i in range(3000))
    _ok(deliver(many + b"\r\nFrom: a@b.test\r\n\r\nx"))
    _ok(deliver(b"From: a@b.test\r\nSubject: \x00\x01\x02\r\n\r\n\x00\x00body"))


def test_references_to_impossible_ticket_numbers_open_a_new_ticket(mailboxes):
    raw = deliver(b"From: a@b.test\r\nSubject: Re: [PR-99999999999999999999999] x\r\nIn-Reply-To: <>\r\n\r\nhi")
    _ok(raw)
    assert raw.outcome == "ticket"
