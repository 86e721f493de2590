"""Mask sensitive values inside a raw RFC 5322 / MIME message, before it is stored.

`raw_redact` returns new message bytes in which the text and HTML bodies and the
Subject carry masks instead of card numbers, IBANs, national IDs and passwords (see
`redaction.py`). The new bytes replace the received ones wherever the message is kept;
`original_sha256` is the digest of the bytes as received, kept so that a redelivery of
the same message is still recognised as a duplicate and an audit can prove which
message was rewritten, without keeping the clear values anywhere.

What is not touched keeps its bytes as far as the stdlib `email` package allows: a
message with nothing to mask is returned as received (the same object), and in a
rewritten one only the parts with findings get a new payload; headers are written back
as received (`refold_source="none"`), attachments and attached messages are left
alone. The tree is read with `policy.default` (DESIGN.md), but every header this module
decides on is read raw through `postroom.mail.parsing`, whose decoders never raise, so
that "what counts as a body" is exactly what `parse_message` shows to agents.

Never raises: a part that cannot be written back is replaced by a notice rather than
keep the clear value, and a message the `email` package cannot parse or write is masked
directly in its bytes (which sees through neither base64 nor quoted-printable), with
`error` saying so.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import logging
import quopri
import re
from dataclasses import dataclass
from email import policy
from email.generator import BytesGenerator
from email.header import Header
from email.message import Message
from email.parser import BytesParser

from postroom.mail.parsing.charsets import codecs_for, decode_bytes
from postroom.mail.parsing.headers import content_type, decode_header, parse_parameters
from postroom.mail.parsing.parts import payload_bytes, raw_header, raw_payload
from postroom.mail.parsing.transfer import decode_transfer, normalize_cte

from .redaction import Finding, redact_text

__all__ = ["REMOVED_PART_NOTICE", "RawRedaction", "raw_redact"]

logger = logging.getLogger(__name__)

REMOVED_PART_NOTICE = (
    "[this part was removed: it contained sensitive data and could not be rewritten]"
)

# Header lines are written back exactly as received; only new values are folded.
_POLICY = policy.default.clone(refold_source="none")
# The same bounds as the parser (parsing/parts.py): a hostile tree costs bounded work.
MAX_PARTS = 500
MAX_DEPTH = 30
_BODY_TYPES = frozenset({"text/plain", "text/html"})
_IDENTITY_CTES = frozenset({"", "7bit", "8bit", "binary", "7-bit", "8-bit", "8bits", "7bits"})
_EIGHT_BIT_CTES = frozenset({"8bit", "binary", "8-bit", "8bits"})
# RFC 5322 §2.1.1: lines longer than 998 characters must not be sent as they are.
_MAX_LINE = 998
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# Also RFC 2231's charset*=utf-8''…, which a plain charset= must replace, not follow.
_CHARSET_PARAM = re.compile(r""";\s*charset\*?\s*=\s*(?:"[^"]*"|[^;\s]*)""", re.IGNORECASE)
# What the quick look cannot read through: base64, uuencode, UTF-7/16/32 and UCS bodies
# (declared, or announced by a byte order mark) and RFC 2047 encoded words.
_OPAQUE_MARKERS = (
    *(b"base64", b"uuencode", b"x-uue", b"utf-7", b"utf7", b"utf-16", b"utf16", b"utf-32"),
    *(b"utf32", b"ucs-2", b"ucs2", b"ucs-4", b"ucs4", b"\xff\xfe", b"\xfe\xff"),
)
_ENCODED_WORD = re.compile(rb"=\?[^?\s]+\?[bBqQ]\?")
# email.feedparser.headerRE: a field, a continuation line, or an mbox "From " line.
_HEADER_BLOCK = re.compile(rb"(?:(?:From |[\041-\071\073-\176]*:|[ \t])[^\n]*(?:\n|$))*")
# A Subject field with its folded continuation lines (RFC 5322 §2.2.3).
_SUBJECT_FIELD = re.compile(
    rb"^subject:(?P<value>[^\n]*(?:\n[ \t][^\n]*)*)", re.IGNORECASE | re.MULTILINE
)


@dataclass(frozen=True)
class RawRedaction:
    """A message's bytes after masking, what was masked, and the received bytes' digest."""

    data: bytes  # the bytes to store: the received ones when nothing was masked
    findings: tuple[Finding, ...]
    changed: bool
    original_sha256: str  # hex digest of the bytes as received (dedupe, audit)
    error: str = ""  # why the message could not be handled as MIME, "" when it could


def raw_redact(data: bytes) -> RawRedaction:
    """Return *data* with sensitive values in its Subject and text bodies masked.

    Never raises; when nothing is found the received bytes come back unchanged.
    """
    digest = hashlib.sha256(data).hexdigest()
    try:
        if not _may_hold_sensitive(data):
            return RawRedaction(data, (), False, digest)
        return _rewrite(data, digest)
    except Exception as exc:  # the intake path must always get a result
        logger.warning("raw_redact fell back to masking bytes: %r", exc, exc_info=True)
        return _redact_bytes(data, digest, f"{type(exc).__name__}: {exc}"[:500])


# --- the quick look ------------------------------------------------------------------


def _may_hold_sensitive(data: bytes) -> bool:
    """Return whether *data* might hold a value to mask; False only when it cannot.

    Every body and the Subject are somewhere in the bytes. Read as they are, and once
    more with quoted-printable undone when the message mentions it, then decoded as
    UTF-8 and as windows-1252, they show every digit and every keyword that a body part
    decoded with its own charset shows (digits and ASCII letters read the same in every
    ASCII-compatible charset; the accented letters of the keywords sit where Latin-1 and
    UTF-8 put them). So whatever `redact_text` finds in a part, it finds here too.
    Base64, uuencode, UTF-7/16/32 and encoded words hide text: they always mean "maybe".
    """
    lowered = data.lower()
    if any(marker in lowered for marker in _OPAQUE_MARKERS):
        return True
    if b"=?" in data and _ENCODED_WORD.search(data):
        return True
    # The top-level header block is left out (Received, DKIM and Message-ID fields are
    # long and full of digits) except for the Subject, the only header that is masked,
    # decoded as the rewrite decodes it. The block ends where the feedparser ends it: at
    # the first line that is not a field.
    head = _HEADER_BLOCK.match(data)
    head_end = head.end() if head is not None else 0
    for subject in _SUBJECT_FIELD.finditer(data, 0, head_end):
        value = subject.group("value").decode("ascii", "surrogateescape")
        if redact_text(decode_header(value)).changed:
            return True
    body = data[head_end:]
    variants = [body]
    if b"quoted" in lowered:
        variants.append(binascii.a2b_qp(body))
    for variant in variants:
        if variant.isascii():
            texts = [variant.decode("ascii")]
        else:
            texts = [
                variant.decode("utf-8", "replace"),
                variant.decode("cp1252", "postroom-latin1"),
            ]
        if any(redact_text(text).changed for text in texts):
            return True
    return False


# --- the MIME rewrite ----------------------------------------------------------------


def _rewrite(data: bytes, digest: str) -> RawRedaction:
    """Parse *data*, mask its Subject and body parts, and write it back if anything changed."""
    message = BytesParser(policy=_POLICY).parsebytes(data)
    findings: list[Finding] = []
    findings.extend(_redact_subject(message))
    errors: list[str] = []
    walker = _Walker(findings, errors)
    walker.visit(message, depth=0, parent_type="", is_root=True)
    result = data
    if findings:
        buffer = io.BytesIO()
        BytesGenerator(buffer, mangle_from_=False, policy=_POLICY).flatten(
            message,
            # An mbox "From " line comes back only if there was one.
            unixfrom=message.get_unixfrom() is not None,
            linesep=_linesep(data),
        )
        result = buffer.getvalue()
    if walker.cut_short:
        # Parts past the limits were not visited: mask what shows of them in the bytes.
        errors.append(f"more than {MAX_PARTS} parts or {MAX_DEPTH} levels")
        rest = _redact_bytes(result, digest, "")
        result = rest.data
        findings.extend(rest.findings)
    if not findings:
        return RawRedaction(data, (), False, digest, "; ".join(errors))
    return RawRedaction(result, tuple(findings), True, digest, "; ".join(errors))


def _linesep(data: bytes) -> str:
    """Return the line ending *data* uses (the first one found)."""
    newline = data.find(b"\n")
    return "\r\n" if newline > 0 and data[newline - 1 : newline] == b"\r" else "\n"


def _redact_subject(message: Message) -> list[Finding]:
    """Mask every Subject field of *message* in place; return what was masked."""
    headers: list[tuple[str, str]] = getattr(message, "_headers", [])
    findings: list[Finding] = []
    for index, (name, value) in enumerate(headers):
        if name.lower() != "subject":
            continue
        redacted = redact_text(decode_header(str(value)))
        if not redacted.changed:
            continue
        findings.extend(redacted.findings)
        try:
            headers[index] = message.policy.header_store_parse(name, redacted.text)
        except Exception:  # the header registry refused it: store RFC 2047 words raw
            headers[index] = (name, Header(redacted.text, "utf-8").encode())
    return findings


class _Walker:
    """Visit a MIME tree as `parse_message` does, masking the body parts it would show."""

    def __init__(self, findings: list[Finding], errors: list[str]) -> None:
        self.findings = findings
        self.errors = errors
        self.part_count = 0
        self.cut_short = False

    def visit(self, part: Message, *, depth: int, parent_type: str, is_root: bool) -> None:
        """Mask the body parts under *part*; attachments and attached messages stay."""
        self.part_count += 1
        if self.part_count > MAX_PARTS or depth > MAX_DEPTH:
            self.cut_short = True
            return
        # RFC 2046 §5.1.5: in multipart/digest the default type is message/rfc822.
        default = "message/rfc822" if parent_type == "multipart/digest" else "text/plain"
        ctype, params, _valid = content_type(raw_header(part, "content-type"), default)
        payload = raw_payload(part)
        if isinstance(payload, list):
            if ctype.startswith("message/"):
                return  # parse_message keeps attached messages as .eml attachments
            for child in payload:
                self.visit(child, depth=depth + 1, parent_type=ctype, is_root=False)
            return
        if ctype.startswith("multipart/"):
            ctype = "text/plain"  # parse_message reads a multipart without parts as text
        if ctype not in _BODY_TYPES or _is_attachment(part, params, is_root=is_root):
            return
        self._redact_leaf(part, ctype, params)

    def _redact_leaf(self, part: Message, ctype: str, params: dict[str, str]) -> None:
        """Mask one text/plain or text/html body part in place."""
        cte = normalize_cte(raw_header(part, "content-transfer-encoding"))
        body, _defect = decode_transfer(payload_bytes(part), cte)
        declared = params.get("charset")
        if ctype == "text/html" and not declared:
            meta = _META_CHARSET.search(body[:4096])
            declared = meta.group(1).decode("ascii") if meta else None
        decoded = decode_bytes(body, declared)
        redacted = redact_text(decoded.text)
        if not redacted.changed:
            return
        self.findings.extend(redacted.findings)
        try:
            _set_text(part, redacted.text, declared=declared, used=decoded.charset, cte=cte)
        except Exception as exc:  # never keep the clear value: drop the part's text
            self.errors.append(f"part rewritten as a notice ({type(exc).__name__}: {exc})")
            notice = REMOVED_PART_NOTICE if ctype == "text/plain" else _html(REMOVED_PART_NOTICE)
            part.set_payload(notice)
            _set_raw_header(part, "Content-Transfer-Encoding", "7bit")
            _set_raw_header(part, "Content-Type", f'{ctype}; charset="us-ascii"')


def _is_attachment(part: Message, params: dict[str, str], *, is_root: bool) -> bool:
    """Return whether *part* is an attachment by `parse_message`'s rule (parts.py)."""
    disposition_raw = raw_header(part, "content-disposition")
    disposition, dparams = parse_parameters(disposition_raw) if disposition_raw else ("", {})
    filename = dparams.get("filename") or params.get("name") or ""
    return disposition == "attachment" or (bool(filename) and not is_root)


def _html(text: str) -> str:
    """Return *text* as an HTML paragraph (it holds no markup characters)."""
    return f"<p>{text}</p>"


def _set_text(part: Message, text: str, *, declared: str | None, used: str, cte: str) -> None:
    """Replace the payload of *part* with *text*, keeping its charset and encoding if they fit.

    The declared charset stays when it is the one the part was read with and can encode
    the new text; otherwise the part becomes UTF-8. Base64 and quoted-printable stay;
    7bit text that no longer fits in 7 bits becomes quoted-printable.
    """
    charset_label = declared
    codec = used
    if used not in codecs_for(declared) and not (declared is None and text.isascii()):
        charset_label, codec = "utf-8", "utf-8"
    try:
        body = text.encode(codec)
    except (UnicodeEncodeError, LookupError):
        charset_label, codec = "utf-8", "utf-8"
        body = text.encode(codec)
    if charset_label != declared:
        _set_charset(part, charset_label or "utf-8")
    # The same reading of the header as decode_transfer (parsing/transfer.py).
    if "base64" in cte:
        part.set_payload(base64.encodebytes(body).decode("ascii"))
        return
    lines_fit = all(len(line) <= _MAX_LINE for line in body.splitlines())
    if cte in _IDENTITY_CTES and lines_fit and (body.isascii() or cte in _EIGHT_BIT_CTES):
        # As received: 8-bit bytes ride as surrogate escapes, as the parser stores them.
        part.set_payload(body.decode("ascii", "surrogateescape"))
        return
    normalized = body.replace(b"\r\n", b"\n")
    part.set_payload(quopri.encodestring(normalized, quotetabs=False).decode("ascii"))
    if "quoted" not in cte:
        _set_raw_header(part, "Content-Transfer-Encoding", "quoted-printable")


def _set_charset(part: Message, label: str) -> None:
    """Set the charset parameter of the Content-Type of *part*, keeping the rest as written."""
    current = raw_header(part, "content-type")
    if current is None:
        _set_raw_header(part, "Content-Type", f'text/plain; charset="{label}"')
        return
    replaced, count = _CHARSET_PARAM.subn(f'; charset="{label}"', current, count=1)
    _set_raw_header(part, "Content-Type", replaced if count else f'{current}; charset="{label}"')


def _set_raw_header(part: Message, name: str, value: str) -> None:
    """Set header *name* of *part* to the raw *value*, in place of its first occurrence.

    Stored as a raw string, the way the parser stores received headers, so that the
    generator writes it as given (refold_source="none") and its neighbours keep their
    place and bytes.
    """
    headers: list[tuple[str, str]] = getattr(part, "_headers", [])
    for index, (key, _value) in enumerate(headers):
        if key.lower() == name.lower():
            headers[index] = (key, value)
            return
    headers.append((name, value))


# --- the last resort -----------------------------------------------------------------


def _redact_bytes(data: bytes, digest: str, error: str) -> RawRedaction:
    """Mask what shows in *data* read as Latin-1, for messages `email` cannot handle.

    Latin-1 maps every byte to one character and back, and masks are ASCII, so every
    byte outside a mask comes back as it was. Never raises.
    """
    try:
        redacted = redact_text(data.decode("latin-1"))
        if redacted.changed:
            return RawRedaction(
                redacted.text.encode("latin-1"), redacted.findings, True, digest, error
            )
    except Exception as exc:  # nothing more can be done; keep the bytes, say why
        error = f"{error}; byte masking failed ({type(exc).__name__})"
    return RawRedaction(data, (), False, digest, error)
