"""Undo Content-Transfer-Encodings (RFC 2045 §6) and uuencoded blocks, tolerantly."""

from __future__ import annotations

import binascii
import re
from dataclasses import dataclass

_BASE64_JUNK = re.compile(rb"[^A-Za-z0-9+/]")
_IDENTITY = frozenset({"", "7bit", "8bit", "binary", "7-bit", "8-bit", "8bits", "7bits", "plain"})
_UUENCODE = frozenset({"x-uuencode", "uuencode", "x-uue", "uue"})
_UU_BEGIN = re.compile(r"^begin ([0-7]{3,4}) ([^\r\n]+?)\r?$", re.MULTILINE)
_UU_END = re.compile(r"^end\r?$", re.MULTILINE)

MAX_UU_BLOCKS = 20


@dataclass(frozen=True)
class UuFile:
    """A file found uuencoded inside a text body."""

    filename: str
    data: bytes


def normalize_cte(value: str | None) -> str:
    """Return a Content-Transfer-Encoding value lower-cased, without quotes or parameters."""
    if not value:
        return ""
    return value.strip().strip("\"'").split(";", 1)[0].strip().lower()


def decode_base64(data: bytes) -> tuple[bytes, bool]:
    """Decode base64 *data*, tolerating junk characters and bad padding; return (bytes, clean)."""
    try:
        return binascii.a2b_base64(data), True
    except (binascii.Error, ValueError):
        pass
    cleaned = _BASE64_JUNK.sub(b"", data)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    cleaned += b"=" * (-len(cleaned) % 4)
    try:
        return binascii.a2b_base64(cleaned), False
    except (binascii.Error, ValueError):
        return b"", False


def decode_uu_lines(lines: list[str]) -> bytes | None:
    """Decode the body lines of a uuencoded file (between begin and end); None if broken."""
    out = bytearray()
    for line in lines:
        if not line.strip() or line.strip() == "`":
            continue
        raw = line.rstrip("\r\n").encode("latin-1", "replace")
        # uuencode writes only the 64 characters from space to backtick.
        if any(byte < 0x20 or byte > 0x60 for byte in raw):
            return None
        try:
            out += binascii.a2b_uu(raw)
        except binascii.Error:
            # Some encoders strip trailing spaces or add garbage; trust the length byte.
            count = (((raw[0] - 32) & 63) * 4 + 5) // 3
            try:
                out += binascii.a2b_uu(raw[:count])
            except binascii.Error:
                return None
    return bytes(out)


def decode_uuencoded(data: bytes) -> tuple[bytes, str]:
    """Decode a part sent with Content-Transfer-Encoding x-uuencode; return (bytes, filename)."""
    text = data.decode("latin-1")
    found = extract_uuencoded(text)
    if found[1]:
        first = found[1][0]
        return first.data, first.filename
    return data, ""


def decode_transfer(data: bytes, cte: str) -> tuple[bytes, str]:
    """Return *data* with transfer encoding *cte* undone, and a defect or ""."""
    encoding = normalize_cte(cte)
    if encoding in _IDENTITY:
        return data, ""
    if "base64" in encoding:
        decoded, clean = decode_base64(data)
        return decoded, "" if clean else "transfer: invalid base64 repaired"
    if "quoted" in encoding:
        defect = (
            ""
            if encoding == "quoted-printable"
            else f"transfer: {encoding!r} read as quoted-printable"
        )
        return binascii.a2b_qp(data), defect
    if encoding in _UUENCODE:
        decoded, _filename = decode_uuencoded(data)
        return decoded, ""
    return data, f"transfer: unknown encoding {encoding!r} left as is"


def extract_uuencoded(text: str) -> tuple[str, list[UuFile]]:
    """Return *text* without its uuencoded blocks, and the files they held.

    A block that does not decode cleanly stays in the text.
    """
    if "begin " not in text:
        return text, []
    files: list[UuFile] = []
    kept: list[str] = []
    position = 0
    for begin in _UU_BEGIN.finditer(text):
        if begin.start() < position or len(files) >= MAX_UU_BLOCKS:
            continue
        end = _UU_END.search(text, begin.end())
        if not end:
            break
        lines = text[begin.end() : end.start()].strip("\r\n").split("\n")
        data = decode_uu_lines(lines)
        if data is None:
            continue
        kept.append(text[position : begin.start()])
        files.append(UuFile(begin.group(2).strip(), data))
        position = end.end()
    if not files:
        return text, []
    kept.append(text[position:])
    return "".join(kept), files
