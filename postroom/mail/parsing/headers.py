"""Decode header fields: encoded words, parameters, addresses, Message-IDs and dates.

Works on the raw header strings that `email` keeps (8-bit bytes as surrogate escapes),
so a broken header costs one field, never the message.
"""

from __future__ import annotations

import binascii
import datetime as dt
import email.utils
import re
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from .charsets import decode_bytes, decode_surrogates

# RFC 5322 §2.2.3: unfolding removes the CRLF before folding whitespace.
_FOLD = re.compile(r"\r?\n(?=[ \t])")
_LINE_BREAKS = re.compile(r"[\r\n]+")
_NEEDS_WORK = re.compile(r"=\?|[\r\n\t\x00]|  ")
_WHITESPACE_RUN = re.compile(r"[ \t]{2,}|\t")
# RFC 2047 §2 encoded word; the text part is matched loosely because senders put
# spaces and 8-bit bytes inside it.
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?(.*?)\?=", re.DOTALL)
_Q_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")
_BASE64_JUNK = re.compile(r"[^A-Za-z0-9+/]")
_RFC2231_NAME = re.compile(r"^(?P<base>[^*]+)(?:\*(?P<index>\d+))?(?P<extended>\*)?$")
_TOKEN = re.compile(r"^[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+$")
_COMMENT = re.compile(r"\([^()]*\)")
_MESSAGE_ID = re.compile(r"<([^<>]*)>")
_ADDR_SPEC = re.compile(r"^(?:\"[^\"]*\"|[^\s@<>()\[\],;:\"]+)@[^\s@<>()\[\],;:\"]+$")
_LOOSE_ADDR = re.compile(r"[^\s@<>()\[\],;:\"']+@[A-Za-z0-9.\-\[\]_:]+[A-Za-z0-9\]]")

MAX_HEADER_CHARS = 64 * 1024
MAX_REFERENCES = 100


@dataclass(frozen=True)
class Mailbox:
    """One parsed address: a display name and a lower-cased addr-spec."""

    name: str
    address: str


def unfold(value: str) -> str:
    """Return a header value unfolded (RFC 5322 §2.2.3), with stray line breaks as spaces."""
    if "\n" not in value and "\r" not in value:
        return value
    return _LINE_BREAKS.sub(" ", _FOLD.sub("", value))


def _b_decode(text: str) -> bytes:
    """Decode RFC 2047 "B" text, tolerating missing padding and stray characters."""
    cleaned = _BASE64_JUNK.sub("", text)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    cleaned += "=" * (-len(cleaned) % 4)
    try:
        return binascii.a2b_base64(cleaned)
    except (binascii.Error, ValueError):
        return text.encode("utf-8", "surrogateescape")


def _q_decode(text: str) -> bytes:
    """Decode RFC 2047 §4.2 "Q" text; malformed escapes stay as they are."""
    raw = text.replace("_", " ").encode("utf-8", "surrogateescape")
    return _Q_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)


def decode_words(value: str) -> str:
    """Return *value* with RFC 2047 encoded words and raw 8-bit bytes decoded to text.

    Adjacent words in one charset are joined before decoding, so a character split
    across two words (a frequent encoder bug) survives.
    """
    if "=?" not in value:
        return decode_surrogates(value)
    # (charset, bytes) per run; charset None marks literal text between encoded words.
    pieces: list[tuple[str | None, bytes]] = []
    position = 0
    for match in _ENCODED_WORD.finditer(value):
        literal = value[position : match.start()]
        # RFC 2047 §6.2: whitespace between adjacent encoded words is not displayed.
        if literal and not (literal.isspace() and pieces and pieces[-1][0] is not None):
            pieces.append((None, literal.encode("utf-8", "surrogateescape")))
        charset, encoding, text = match.groups()
        raw = _b_decode(text) if encoding in "bB" else _q_decode(text)
        last_charset = pieces[-1][0] if pieces else None
        if last_charset is not None and last_charset.lower() == charset.lower():
            pieces[-1] = (last_charset, pieces[-1][1] + raw)
        else:
            pieces.append((charset, raw))
        position = match.end()
    if position < len(value):
        pieces.append((None, value[position:].encode("utf-8", "surrogateescape")))
    out: list[str] = []
    for charset, data in pieces:
        if charset is None:
            out.append(decode_surrogates(data.decode("utf-8", "surrogateescape")))
        else:
            out.append(decode_bytes(data, charset).text)
    return "".join(out)


def decode_header(value: str) -> str:
    """Return a raw header value unfolded, decoded and stripped, bounded in length."""
    value = value[:MAX_HEADER_CHARS]
    if value.isascii() and not _NEEDS_WORK.search(value):
        return value.strip()
    text = decode_words(unfold(value)).replace("\x00", "")
    if "\t" in text or "  " in text:
        text = _WHITESPACE_RUN.sub(" ", text)
    return text.strip()


def _split_unquoted(value: str, separator: str) -> list[str]:
    """Split *value* at *separator* outside double-quoted strings."""
    items: list[str] = []
    current: list[str] = []
    quoted = False
    escaped = False
    for ch in value:
        if escaped:
            current.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            current.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            current.append(ch)
        elif ch == separator and not quoted:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return items


def _unquote(value: str) -> str:
    """Remove surrounding double quotes and backslash escapes (RFC 5322 §3.2.4)."""
    value = value.strip()
    if len(value) >= 2 and value[0] == '"':
        end = value.rfind('"')
        inner = value[1:end] if end > 0 else value[1:]
        return re.sub(r"\\(.)", r"\1", inner)
    return value.strip('"')


def parse_parameters(value: str) -> tuple[str, dict[str, str]]:
    """Split a Content-Type or Content-Disposition value into its lower-cased value and params.

    RFC 2231 continuations and charset'language'percent-encoded values are joined and
    decoded; plain values are returned unquoted and otherwise raw.
    """
    items = _split_unquoted(unfold(value[:MAX_HEADER_CHARS]), ";")
    head = _COMMENT.sub("", items[0]).strip()
    main, _, rest = head.partition(" ")
    if "=" in rest:
        items.append(rest)  # "text/plain charset=utf-8": a missing semicolon
    plain: dict[str, str] = {}
    sections: dict[str, dict[int, tuple[bool, str]]] = {}
    for item in items[1:]:
        name, equals, raw = item.partition("=")
        if not equals:
            continue
        name = name.strip().lower()
        match = _RFC2231_NAME.match(name)
        if not match:
            continue
        if match.group("index") is None and match.group("extended") is None:
            plain.setdefault(name, _unquote(raw))
            continue
        index = int(match.group("index") or 0)
        sections.setdefault(match.group("base"), {})[index] = (
            bool(match.group("extended")),
            _unquote(raw),
        )
    for base, parts in sections.items():
        plain[base] = _join_rfc2231(parts)
    return main.strip().strip('"').lower(), plain


def _join_rfc2231(parts: dict[int, tuple[bool, str]]) -> str:
    """Join RFC 2231 §3-4 parameter sections and decode them with their declared charset."""
    charset = ""
    chunks: list[bytes] = []
    for position, index in enumerate(sorted(parts)):
        extended, raw = parts[index]
        if extended and position == 0 and raw.count("'") >= 2:
            charset, _language, raw = raw.split("'", 2)
        if extended:
            chunks.append(unquote_to_bytes(raw.encode("utf-8", "surrogateescape")))
        else:
            chunks.append(raw.encode("utf-8", "surrogateescape"))
    return decode_bytes(b"".join(chunks), charset or None).text


def content_type(
    value: str | None, default: str = "text/plain"
) -> tuple[str, dict[str, str], bool]:
    """Return (type/subtype, params, valid) from a raw Content-Type; *default* when invalid.

    RFC 2045 §5.2: a missing or syntactically invalid Content-Type means text/plain.
    """
    if value is None or not value.strip():
        return default, {}, True
    main, params = parse_parameters(value)
    if main == "text":
        return "text/plain", params, False
    if not _TOKEN.match(main):
        return default, params, False
    return main, params, True


def parse_addresses(value: str) -> tuple[list[Mailbox], bool]:
    """Return the mailboxes in an address header and whether all of it parsed cleanly.

    Addresses come back lower-cased; display names decoded. Groups are flattened.
    """
    raw = unfold(value[:MAX_HEADER_CHARS])
    if not raw.strip():
        return [], True
    clean = True
    found: list[Mailbox] = []
    pairs = email.utils.getaddresses([raw])
    if any("@" not in addr and "=?" in addr for _, addr in pairs):
        # The whole field was encoded, address included (not allowed by RFC 2047 §5).
        pairs = email.utils.getaddresses([decode_words(raw)])
    for name, addr in pairs:
        address = decode_surrogates(addr).strip().strip("<>").lower()
        if not address:
            continue
        if not _ADDR_SPEC.match(address):
            clean = False
            loose = _LOOSE_ADDR.search(address)
            if not loose:
                continue
            address = loose.group(0)
        found.append(Mailbox(_display_name(name), address))
    if not found:
        decoded = decode_words(raw)
        loose_all = [m.group(0).lower() for m in _LOOSE_ADDR.finditer(decoded)]
        if loose_all:
            clean = False
            found = [Mailbox("", address) for address in dict.fromkeys(loose_all)]
        elif raw.strip().rstrip(";").strip():
            clean = clean and raw.strip().endswith(";")  # a group with no members is fine
    return found, clean


def _display_name(name: str) -> str:
    """Return a decoded display name without surrounding quotes or stray whitespace."""
    text = decode_words(name).replace("\x00", "")
    return " ".join(text.split()).strip("\"' ")


def parse_message_ids(value: str) -> tuple[str, ...]:
    """Return the Message-IDs in a Message-ID, In-Reply-To or References field, bracket-free.

    Long References keep the first (thread root) and the newest ids (RFC 5322 §3.6.4).
    """
    text = decode_surrogates(unfold(value[:MAX_HEADER_CHARS]))
    if "=?" in text:
        # RFC 2047 forbids encoded words here, but Python's email package writes long
        # ids that way (it folds by encoding); decode them rather than lose the thread.
        text = decode_header(text)
    ids = [re.sub(r"\s+", "", found) for found in _MESSAGE_ID.findall(text)]
    ids = [found for found in ids if found]
    if not ids:
        tokens = [t.strip("<>\"'") for t in re.split(r"[\s,;]+", _COMMENT.sub(" ", text))]
        tokens = [t for t in tokens if t]
        ids = [t for t in tokens if "@" in t] or (tokens if len(tokens) == 1 else [])
    ids = [found.replace("\x00", "")[:998] for found in ids]
    unique = list(dict.fromkeys(ids))
    if len(unique) > MAX_REFERENCES:
        unique = unique[:1] + unique[-(MAX_REFERENCES - 1) :]
    return tuple(unique)


def merge_ids(groups: Iterable[tuple[str, ...]]) -> tuple[str, ...]:
    """Return the ids of several fields in order, each once."""
    return tuple(dict.fromkeys(found for group in groups for found in group))


_DATE_CLEANUPS = (
    (re.compile(r"\([^)]*\)"), " "),  # RFC 5322 §3.2.2 comments, e.g. "(PDT)"
    (re.compile(r"(\d)\.(\d\d)\.(\d\d)\b"), r"\1:\2:\3"),  # 12.30.00
    (re.compile(r"\s+"), " "),
)


def parse_date(value: str) -> dt.datetime | None:
    """Return an aware datetime for an RFC 5322 §3.3 date, or None when it makes no sense.

    "-0000" (RFC 5322 §3.3: no zone information) and missing zones are read as UTC.
    """
    text = decode_surrogates(unfold(value[:500])).strip()
    if not text:
        return None
    candidates = [text]
    cleaned = text
    for pattern, replacement in _DATE_CLEANUPS:
        cleaned = pattern.sub(replacement, cleaned)
    if cleaned.strip() != text:
        candidates.append(cleaned.strip())
    for candidate in candidates:
        parsed = _try_parse_date(candidate)
        if parsed is not None:
            return parsed
    return None


def _try_parse_date(text: str) -> dt.datetime | None:
    """Return *text* read as an RFC 5322 or ISO 8601 date, or None."""
    try:
        parsed = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError, AttributeError):
        try:
            parsed = dt.datetime.fromisoformat(text)
        except ValueError:
            return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        # Normalised to UTC: real mail carries offsets no database accepts ("-16:00";
        # PostgreSQL's limit is ±15:59), and the instant is what matters.
        parsed = parsed.astimezone(dt.UTC)
    except (OverflowError, ValueError):
        return None
    if not 1970 <= parsed.year <= 2200:
        return None
    return parsed
