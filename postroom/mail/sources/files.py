"""Read messages from files for the importer: .eml files, folders, maildirs and mbox files.

The reader only moves bytes: it yields (origin, raw bytes) pairs and the caller stores
them. Whether a file is one message or an mbox is decided by its content, not its name:
an mbox starts with a "From " separator line (RFC 4155) and holds at least one more
separator preceded by a blank line. A single message that starts with a separator (an
export from a mail client, `git format-patch`) loses that one line and nothing else.

mbox files are memory-mapped and split on separators, so a multi-gigabyte file is never
read into memory at once; each message is copied out on its own. ">From " lines are
unquoted the mboxrd way (one ">" removed from ">+From "), which also undoes the mboxo
quoting of ordinary "From " lines in bodies.

Errors never stop an import: a file that cannot be read, does not look like mail or is
larger than MAX_MESSAGE_BYTES yields nothing and is passed to `on_error(origin, error)`
(by default: logged as a warning).
"""

from __future__ import annotations

import logging
import mmap
import os
import re
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from django.conf import settings

log = logging.getLogger(__name__)

OnError = Callable[[str, Exception], None]
"""Called with the origin (a path, or path#n inside an mbox) and what went wrong."""

# RFC 4155 separator: "From " sender asctime-date, e.g.
#   From MAILER-DAEMON Thu Jan  1 00:00:00 2015
#   From - Mon Sep 17 00:00:00 2001 +0200
# Strict on purpose: a body line such as "From the start, ..." is not a separator.
_SEPARATOR = re.compile(
    rb"From [^\s]+ +"
    rb"(?:[A-Z][a-z]{2},? +)?"  # weekday
    rb"[A-Z][a-z]{2} +\d{1,2},? +"  # month, day
    rb"\d{1,2}:\d{2}(?::\d{2})?"  # time
    rb"(?: +(?:[A-Z]{1,5}|[-+]\d{4}))?"  # zone before the year
    rb" +\d{4}"  # year
    rb"(?: +(?:[A-Z]{1,5}|[-+]\d{4}))?"  # zone after the year
    rb"[ \t]*\r?$"
)
# A separator candidate after a blank line; the first line is checked on its own (an
# "\A|" alternative here makes the scan ten times slower).
_CANDIDATE = re.compile(rb"\n\r?\n(From [^\n]*)")
_QUOTED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
# RFC 5322 §2.2: a header field name is printable ASCII except colon.
_HEADER_START = re.compile(rb"[!-9;-~]+:")

_NOT_MAIL_SUFFIXES = frozenset(
    ".7z .bmp .bz2 .css .csv .db .dll .doc .docx .exe .gif .gz .ico .jpeg .jpg .js .json "
    ".md .msf .pdf .png .sqlite .sqlite3 .svg .tar .tgz .tif .tiff .webp .xls .xlsx .xz .yaml .yml .zip .py .rst .toml".split()
)
_NOT_MAIL_NAMES = frozenset(
    "Thumbs.db desktop.ini dovecot-uidlist dovecot-uidvalidity dovecot-keywords "
    "maildirfolder subscriptions courierimapuiddb courierimapkeywords".split()
)
_HEAD_BYTES = 4096
# Files with these suffixes are mail by their name: never refused for how they begin, so
# a damaged message still reaches the pipeline (and a ticket or quarantine), not a skip.
_MAIL_SUFFIXES = frozenset({".eml", ".msg", ".mbox", ".mbx", ".mail"})


class NotAMessage(ValueError):
    """The file does not look like an email message."""


class MessageTooLarge(ValueError):
    """The message is larger than MAX_MESSAGE_BYTES."""


def iter_messages(
    paths: Iterable[Path | str],
    *,
    on_error: OnError | None = None,
    max_bytes: int | None = None,
) -> Iterator[tuple[str, bytes]]:
    """Yield (origin, raw bytes) for every message found under *paths*, in a stable order.

    A path may be a message file (.eml or any name), an mbox file, a maildir (a folder
    with cur/ and new/; tmp/ is never read) or a folder, walked recursively in name
    order, skipping hidden entries and files that are obviously not mail. The origin
    is the file's path, with "#n" (from 1) added for the n-th message of an mbox.
    """
    report = on_error or _log_error
    conf: dict[str, Any] = settings.POSTROOM
    limit = int(conf["MAX_MESSAGE_BYTES"]) if max_bytes is None else max_bytes
    for path in map(Path, paths):
        for file in _iter_files(path, top=True, report=report):
            try:
                yield from _read_file(file, limit, report)
            except (OSError, ValueError) as error:
                report(str(file), error)


def count_messages(paths: Iterable[Path | str]) -> int:
    """Return how many messages `iter_messages` will find, for a progress bar's total.

    Reads only the first line of each file, and scans mbox files for separators (a
    memory-mapped regex search, no parsing). Unreadable files count as nothing.
    """
    total = 0
    for path in map(Path, paths):
        for file in _iter_files(path, top=True, report=lambda origin, error: None):
            try:
                with open(file, "rb") as fh:
                    first = fh.readline(_HEAD_BYTES)
                    if first:
                        total += len(_separators(fh)) if _SEPARATOR.match(first) else 1
            except (OSError, ValueError):
                continue
    return total


def _log_error(origin: str, error: Exception) -> None:
    log.warning("import: skipped %s: %s", origin, error)


def _iter_files(path: Path, *, top: bool, report: OnError) -> Iterator[Path]:
    """Yield the files under *path* that may hold mail, in name order."""
    try:
        is_dir = path.is_dir()
    except OSError as error:
        report(str(path), error)
        return
    if not is_dir:
        # A file named explicitly is always tried; one found in a folder only if plausible.
        if top or _may_be_mail(path):
            yield path
        return
    if _is_maildir(path):
        for sub in ("cur", "new"):
            yield from (p for p in _sorted_entries(path / sub, report) if not p.is_dir())
        return
    for entry in _sorted_entries(path, report):
        if entry.is_symlink():
            if not entry.exists():
                report(str(entry), FileNotFoundError(f"dangling symbolic link: {entry}"))
                continue
            if entry.is_dir():
                log.info("import: not following the linked folder %s", entry)  # no loops
                continue
        yield from _iter_files(entry, top=False, report=report)


def _sorted_entries(folder: Path, report: OnError) -> list[Path]:
    try:
        names = sorted(os.listdir(folder))
    except OSError as error:
        report(str(folder), error)
        return []
    return [folder / name for name in names if not name.startswith(".")]


def _is_maildir(path: Path) -> bool:
    return (path / "cur").is_dir() and (path / "new").is_dir()


def _may_be_mail(path: Path) -> bool:
    name = path.name
    return not (
        path.suffix.lower() in _NOT_MAIL_SUFFIXES
        or name in _NOT_MAIL_NAMES
        or name.startswith("dovecot.")
    )


def _read_file(path: Path, limit: int, report: OnError) -> Iterator[tuple[str, bytes]]:
    """Yield the message(s) of one file: a single message, or each message of an mbox."""
    with open(path, "rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        first = fh.readline(_HEAD_BYTES)
        if not first:
            raise NotAMessage("empty file")
        if not _SEPARATOR.match(first):
            if path.suffix.lower() not in _MAIL_SUFFIXES:
                _check_looks_like_mail(first + fh.read(_HEAD_BYTES))
                fh.seek(len(first))
            _check_size(size, limit)
            yield str(path), first + fh.read()
            return
        starts = _separators(fh)
        if len(starts) == 1:
            # One message behind a separator line: drop the line, keep the bytes.
            _check_size(size - len(first), limit)
            rest = fh.read()
            yield str(path), rest
            return
        with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
            yield from _split_mbox(path, data, starts, limit, report)


def _check_size(size: int, limit: int) -> None:
    if size > limit:
        raise MessageTooLarge(f"{size} bytes, more than the limit of {limit}")


def _check_looks_like_mail(head: bytes) -> None:
    # Real mail may begin with blank lines or folded junk (flanker's fixtures do): look
    # for a header field among the first lines, not only at byte 0.
    lines = head.lstrip().splitlines()[:10]
    if not any(_HEADER_START.match(line) for line in lines):
        raise NotAMessage("no header field in its first lines")


def _separators(fh: BinaryIO) -> list[int]:
    """Return the offsets of the separator lines of *fh*, whose first line is one."""
    with mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ) as data:
        return [0] + [
            match.start(1)
            for match in _CANDIDATE.finditer(data)
            if _SEPARATOR.match(match.group(1))
        ]


def _split_mbox(
    path: Path, data: mmap.mmap, starts: list[int], limit: int, report: OnError
) -> Iterator[tuple[str, bytes]]:
    ends = [*starts[1:], len(data)]
    for number, (start, end) in enumerate(zip(starts, ends, strict=True), start=1):
        body_start = data.find(b"\n", start, end) + 1 or end
        try:
            _check_size(end - body_start - 2, limit)  # less the trailing blank line
        except MessageTooLarge as error:
            report(f"{path}#{number}", error)
            continue
        message = data[body_start:end]
        # RFC 4155: each message is followed by an empty line that belongs to the mbox.
        if message.endswith(b"\r\n\r\n"):
            message = message[:-2]
        elif message.endswith(b"\n\n"):
            message = message[:-1]
        if not message.strip():
            continue
        yield f"{path}#{number}", _QUOTED_FROM.sub(rb"\1", message)
