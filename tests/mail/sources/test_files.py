"""The importer's reader: .eml files, folders, maildirs and mbox files, errors reported."""

from __future__ import annotations

import logging
import mailbox
from pathlib import Path

import pytest

from postroom.mail.sources.files import (
    MessageTooLarge,
    NotAMessage,
    count_messages,
    iter_messages,
)


def message(n: int, body: bytes = b"", eol: bytes = b"\n") -> bytes:
    lines = [
        b"From: customer%d@example.net" % n,
        b"To: support@example.test",
        b"Subject: Question %d" % n,
        b"Message-ID: <m%d@example.net>" % n,
        b"",
        b"Body of message %d." % n,
    ]
    return eol.join(lines) + eol + body


def read(paths, **kwargs) -> tuple[list[tuple[str, bytes]], list[tuple[str, Exception]]]:
    errors: list[tuple[str, Exception]] = []
    found = list(iter_messages(paths, on_error=lambda o, e: errors.append((o, e)), **kwargs))
    return found, errors


def test_eml_file_is_yielded_byte_identical(tmp_path):
    path = tmp_path / "one.eml"
    data = message(1, eol=b"\r\n") + b"\xff\xfe raw 8-bit stays\r\n"
    path.write_bytes(data)

    assert read([path]) == ([(str(path), data)], [])
    assert count_messages([path]) == 1


def test_eml_starting_with_an_mbox_from_line_loses_only_that_line(tmp_path):
    path = tmp_path / "export.eml"
    body = b"\n>From here on nothing is unquoted in a single message.\n"
    path.write_bytes(b"From customer1@example.net Mon Sep 17 00:00:00 2001\n" + message(1, body))

    assert read([path]) == ([(str(path), message(1, body))], [])
    assert count_messages([path]) == 1


def test_first_line_from_that_is_not_a_separator_is_kept(tmp_path):
    # "From " followed by prose (no sender and date) is not an mbox separator line.
    path = tmp_path / "odd.eml"
    data = b"From nowhere in particular\n" + message(1)
    path.write_bytes(data)

    found, errors = read([path])

    # A .eml file is mail by its name: kept whole, so the pipeline decides (never a skip).
    assert found == [(str(path), data)]
    assert errors == []


def test_unknown_file_in_a_folder_without_headers_is_reported(tmp_path):
    (tmp_path / "notes").write_bytes(b"just some notes\nnothing else\n")

    found, errors = read([tmp_path])

    assert found == []
    assert [type(e) for _, e in errors] == [NotAMessage]


def test_body_lines_beginning_with_from_do_not_split_a_message(tmp_path):
    path = tmp_path / "prose.eml"
    data = message(1, b"\nFrom the start the watch would not charge.\n\nFrom: a quoted header\n")
    path.write_bytes(data)

    assert read([path]) == ([(str(path), data)], [])


def test_folder_is_read_recursively_in_name_order_skipping_hidden_and_non_mail(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.eml").write_bytes(message(2))
    (tmp_path / "a.eml").write_bytes(message(1))
    (tmp_path / "c.txt").write_bytes(message(3))
    (tmp_path / ".hidden.eml").write_bytes(message(9))
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "HEAD.eml").write_bytes(message(9))
    (tmp_path / "photo.jpg").write_bytes(b"\xff\xd8\xff\xe0 not mail")
    (tmp_path / "dovecot-uidlist").write_bytes(b"3 V1 N2\n")

    found, errors = read([tmp_path])

    assert [origin for origin, _ in found] == [
        str(tmp_path / "a.eml"),
        str(tmp_path / "b" / "2.eml"),
        str(tmp_path / "c.txt"),
    ]
    assert [data for _, data in found] == [message(1), message(2), message(3)]
    assert errors == []
    assert count_messages([tmp_path]) == 3


def test_maildir_reads_cur_and_new_but_not_tmp(tmp_path):
    box = mailbox.Maildir(tmp_path / "Maildir", create=True)
    box.add(mailbox.MaildirMessage(message(1)))  # lands in new/
    seen = mailbox.MaildirMessage(message(2))
    seen.set_subdir("cur")
    seen.set_flags("S")
    box.add(seen)
    (tmp_path / "Maildir" / "tmp" / "partial").write_bytes(message(3)[:20])

    found, errors = read([tmp_path / "Maildir"])

    assert errors == []
    assert sorted(data for _, data in found) == [message(1), message(2)]
    assert [Path(origin).parent.name for origin, _ in found] == ["cur", "new"]
    assert count_messages([tmp_path / "Maildir"]) == 2


MBOX = (
    b"From customer1@example.net Thu Jan  1 00:00:00 2015\n"
    + message(1, b">From the quoted start (mboxrd)\n>>From stays quoted once\n")
    + b"\n"
    b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011\n"
    + message(2, b"\nFrom the start this is prose, not a separator.\n")
    + b"\n"
    b"From - Mon Sep 17 00:00:00 2001 +0200\n" + message(3) + b"\n"
)


def test_mbox_is_split_into_messages_with_from_lines_unquoted(tmp_path):
    path = tmp_path / "archive"  # no extension: recognised by content
    path.write_bytes(MBOX)

    found, errors = read([path])

    assert errors == []
    assert found == [
        (f"{path}#1", message(1, b"From the quoted start (mboxrd)\n>From stays quoted once\n")),
        (f"{path}#2", message(2, b"\nFrom the start this is prose, not a separator.\n")),
        (f"{path}#3", message(3)),
    ]
    assert count_messages([path]) == 3


def test_mbox_with_crlf_line_ends_keeps_them(tmp_path):
    path = tmp_path / "windows.mbox"
    path.write_bytes(
        b"From a@example.net Thu Jan  1 00:00:00 2015\r\n" + message(1, eol=b"\r\n") + b"\r\n"
        b"From b@example.net Thu Jan  1 00:00:01 2015\r\n" + message(2, eol=b"\r\n") + b"\r\n"
    )

    found, _ = read([path])

    assert [data for _, data in found] == [message(1, eol=b"\r\n"), message(2, eol=b"\r\n")]


def test_mbox_written_by_the_standard_library_reads_back_identically(tmp_path):
    box = mailbox.mbox(tmp_path / "stdlib.mbox")
    bodies = [message(n, b"\nFrom the desk of customer %d\n" % n) for n in range(1, 6)]
    for body in bodies:
        box.add(body)  # quotes "From " in bodies as ">From "
    box.close()

    found, errors = read([tmp_path / "stdlib.mbox"])

    assert errors == []
    assert [data for _, data in found] == bodies


def test_mbox_named_eml_is_still_split_by_content(tmp_path):
    path = tmp_path / "looks-single.eml"
    path.write_bytes(MBOX)

    assert len(read([path])[0]) == 3


def test_unreadable_and_unusable_files_are_reported_and_the_rest_imported(tmp_path):
    (tmp_path / "good.eml").write_bytes(message(1))
    (tmp_path / "binary.dat").write_bytes(b"\x00\x01\x02PK\x03\x04")
    (tmp_path / "empty.eml").write_bytes(b"")
    (tmp_path / "broken-link.eml").symlink_to(tmp_path / "gone.eml")
    missing = tmp_path / "missing.eml"

    found, errors = read([tmp_path, missing])

    assert found == [(str(tmp_path / "good.eml"), message(1))]
    reported = {Path(origin).name: type(error) for origin, error in errors}
    assert reported == {
        "binary.dat": NotAMessage,
        "broken-link.eml": FileNotFoundError,
        "empty.eml": NotAMessage,
        "missing.eml": FileNotFoundError,
    }
    assert count_messages([tmp_path, missing]) == 2  # good.eml and binary.dat's guess


def test_message_above_the_size_limit_is_reported_not_yielded(tmp_path):
    (tmp_path / "big.eml").write_bytes(message(1, b"x" * 5000))
    (tmp_path / "box.mbox").write_bytes(
        b"From a@example.net Thu Jan  1 00:00:00 2015\n" + message(2, b"y" * 5000 + b"\n") + b"\n"
        b"From b@example.net Thu Jan  1 00:00:00 2015\n" + message(3) + b"\n"
    )

    found, errors = read([tmp_path], max_bytes=1000)

    assert found == [(f"{tmp_path / 'box.mbox'}#2", message(3))]
    assert [(Path(o).name, type(e)) for o, e in errors] == [
        ("big.eml", MessageTooLarge),
        ("box.mbox#1", MessageTooLarge),
    ]


def test_errors_are_logged_when_no_callback_is_given(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="postroom.mail.sources.files"):
        assert list(iter_messages([tmp_path / "missing.eml"])) == []

    assert "missing.eml" in caplog.text


@pytest.mark.parametrize(
    "separator",
    [
        b"From customer@example.net Thu Jan  1 00:00:00 2015",
        b"From MAILER-DAEMON Fri Jul  8 12:08:34 2011",
        b"From - Mon Sep 17 00:00:00 2001 +0200",
        b"From 1234abcd Mon Sep 17 00:00:00 2001",
        b"From user@example.net Sat Jan  3 01:05:34 EST 1996",
        b"From user@example.net  Tue Mar 5 9:07 2024",
    ],
)
def test_common_separator_lines_are_recognised(tmp_path, separator):
    path = tmp_path / "x.mbox"
    path.write_bytes(separator + b"\n" + message(1) + b"\n" + separator + b"\n" + message(2))

    assert [data for _, data in read([path])[0]] == [message(1), message(2)]
