"""Walk a MIME tree: choose the text and HTML bodies, collect attachments and inline parts.

Header fields of parts are read raw and decoded by `headers.py`, never through the
`email` package's header objects: faster, and immune to their parser's exceptions.
Limits (parts, depth, body size) bound the work a hostile message can cause.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.generator import BytesGenerator
from email.message import Message
from email.policy import compat32

from .charsets import decode_bytes
from .filenames import guess_content_type, safe_filename
from .flowed import unflow
from .headers import content_type, decode_header, decode_words, parse_message_ids, parse_parameters
from .transfer import decode_transfer, extract_uuencoded
from .types import ParsedAttachment

MAX_PARTS = 500
MAX_DEPTH = 30
MAX_BODY_CHARS = 5_000_000

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_BLANK_RUNS = re.compile(r"\n{3,}")
_PATH_SEPARATORS = re.compile(r"[/\\]")
_BODY_TYPES = frozenset({"text/plain", "text/html"})
_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global", "message/partial", "message/news"})
# Serialising an attached message keeps its header lines as they came (no refolding).
_SERIALISE = compat32.clone(max_line_length=0)


@dataclass
class Parts:
    """What a walk of the MIME tree found."""

    text: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[ParsedAttachment] = field(default_factory=list)
    defects: list[str] = field(default_factory=list)
    part_count: int = 0

    def defect(self, text: str) -> None:
        """Record *text* once."""
        if text and text not in self.defects:
            self.defects.append(text)


def raw_header(part: Message, name: str) -> str | None:
    """Return the raw value of the first header *name* of *part*, or None."""
    name = name.lower()
    for key, value in part.raw_items():
        if key.lower() == name:
            return str(value)
    return None


def message_bytes(message: Message, *, linesep: str = "\n") -> bytes:
    """Return *message* serialised with its header lines as received; b"" if impossible."""
    buffer = io.BytesIO()
    try:
        BytesGenerator(buffer, mangle_from_=False, policy=_SERIALISE).flatten(
            message, linesep=linesep
        )
        return buffer.getvalue()
    except Exception:  # a broken nested message still becomes an attachment
        try:
            return message.as_string(policy=_SERIALISE).encode("utf-8", "surrogateescape")
        except Exception:
            return b""


def raw_payload(part: Message) -> list[Message] | str | bytes | None:
    """Return the payload of *part* as `email` stored it: sub-parts, or undecoded text.

    `get_payload()` is avoided: for 8-bit text it decodes with the declared charset and
    raises on some broken ones (a NUL in the name, an RFC 2231 tuple).
    """
    payload = getattr(part, "_payload", None)
    if isinstance(payload, list):
        return [m for m in payload if isinstance(m, Message)]
    return payload if isinstance(payload, str | bytes) else None


def payload_bytes(part: Message) -> bytes:
    """Return the still-transfer-encoded payload of a leaf *part* as the bytes received.

    Reads `_payload`: `get_payload()` would decode 8-bit bytes with the declared charset
    (replacing what does not fit) before this module's charset repair could see them.
    """
    payload = getattr(part, "_payload", None)
    if isinstance(payload, bytes):
        return payload
    if isinstance(payload, str):
        return payload.encode("utf-8", "surrogateescape")
    return b""


def iter_python_defects(part: Message) -> Iterator[str]:
    """Yield the names of the defects `email` registered on *part*."""
    for defect in getattr(part, "defects", ()) or ():
        yield f"mime: {type(defect).__name__}"


@dataclass
class _Leaf:
    """The headers of a non-multipart part that decide where it goes."""

    content_type: str
    params: dict[str, str]
    disposition: str
    filename: str
    content_id: str


class _Walker:
    """Visit a MIME tree depth-first, sorting its parts into bodies and attachments."""

    def __init__(self, *, max_attachment_bytes: int, linesep: str) -> None:
        self.max_attachment_bytes = max_attachment_bytes
        self.linesep = linesep
        self.attachment_index = 0

    def walk(self, root: Message) -> Parts:
        """Return what the tree under *root* holds."""
        parts = Parts()
        self._visit(root, parts, depth=0, parent_type="", is_root=True)
        return parts

    def _visit(
        self, part: Message, out: Parts, *, depth: int, parent_type: str, is_root: bool
    ) -> None:
        """Sort *part* (and what it contains) into *out*."""
        out.part_count += 1
        if out.part_count > MAX_PARTS or depth > MAX_DEPTH:
            out.defect(
                f"mime: more than {MAX_PARTS} parts or {MAX_DEPTH} levels; the rest is not read"
            )
            return
        for defect in iter_python_defects(part):
            out.defect(defect)
        # RFC 2046 §5.1.5: in multipart/digest the default type is message/rfc822.
        default = "message/rfc822" if parent_type == "multipart/digest" else "text/plain"
        ctype, params, valid = content_type(raw_header(part, "content-type"), default)
        if not valid:
            out.defect("mime: invalid Content-Type read as text/plain")
        payload = raw_payload(part)
        children = payload if isinstance(payload, list) else None
        if children is not None and ctype.startswith("message/"):
            self._visit_message(part, ctype, params, children, out)
        elif children is not None:
            if ctype == "multipart/alternative":
                self._visit_alternative(children, out, depth=depth)
                return
            for child in children:
                self._visit(child, out, depth=depth + 1, parent_type=ctype, is_root=False)
        elif ctype.startswith("multipart/"):
            out.defect("mime: multipart without parts read as text")
            charset = {k: v for k, v in params.items() if k == "charset"}
            self._visit_leaf(part, "text/plain", charset, out, is_root=True)
        else:
            self._visit_leaf(part, ctype, params, out, is_root=is_root)

    def _visit_alternative(self, children: list[Message], out: Parts, *, depth: int) -> None:
        """Keep one text and one HTML version of a multipart/alternative.

        RFC 2046 §5.1.4 orders alternatives from plainest to richest, so the last HTML
        version wins but the first plain text does: a later "text/plain" alternative is
        in practice mislabelled markup.
        """
        text: list[str] = []
        html: list[str] = []
        for child in children:
            sub = Parts(part_count=out.part_count)
            self._visit(
                child, sub, depth=depth + 1, parent_type="multipart/alternative", is_root=False
            )
            out.part_count = sub.part_count
            if not text and any(t.strip() for t in sub.text):
                text = sub.text
            if any(h.strip() for h in sub.html):
                html = sub.html
            out.attachments.extend(sub.attachments)
            for defect in sub.defects:
                out.defect(defect)
        out.text.extend(text)
        out.html.extend(html)

    def _leaf_info(self, part: Message, ctype: str, params: dict[str, str]) -> _Leaf:
        """Read Content-Disposition, the file name (RFC 2183/2231) and Content-ID of *part*."""
        disposition_raw = raw_header(part, "content-disposition")
        disposition, dparams = parse_parameters(disposition_raw) if disposition_raw else ("", {})
        filename = dparams.get("filename") or params.get("name") or ""
        content_id = ""
        cid_raw = raw_header(part, "content-id")
        if cid_raw:
            ids = parse_message_ids(cid_raw)
            content_id = ids[0] if ids else ""
        return _Leaf(ctype, params, disposition, decode_words(filename).strip(), content_id)

    def _visit_message(
        self, part: Message, ctype: str, params: dict[str, str], inner: list[Message], out: Parts
    ) -> None:
        """Keep an attached message (forwarded mail, a bounce's original) as an .eml file."""
        leaf = self._leaf_info(part, ctype, params)
        if ctype == "message/partial":
            out.defect("mime: message/partial fragment kept as attachment, not reassembled")
        if ctype in _MESSAGE_TYPES:
            data = message_bytes(inner[0], linesep=self.linesep) if inner else b""
            name = leaf.filename
            if not name and inner:
                subject = decode_header(raw_header(inner[0], "subject") or "")[:120]
                # A subject is not a path: its slashes must not make a directory.
                name = f"{_PATH_SEPARATORS.sub('_', subject)}.eml" if subject else ""
            self._attach(
                out,
                leaf,
                data,
                name or "",
                content_type="message/rfc822" if ctype != "message/partial" else ctype,
            )
            return
        # message/delivery-status and friends: blocks of header fields (RFC 3464 §2).
        data = b"\n".join(message_bytes(m, linesep=self.linesep).strip() for m in inner) + b"\n"
        self._attach(out, leaf, data, leaf.filename, content_type=ctype)

    def _visit_leaf(
        self, part: Message, ctype: str, params: dict[str, str], out: Parts, *, is_root: bool
    ) -> None:
        """Decode a non-multipart part into body text, HTML or an attachment."""
        leaf = self._leaf_info(part, ctype, params)
        data, defect = decode_transfer(
            payload_bytes(part), raw_header(part, "content-transfer-encoding") or ""
        )
        out.defect(defect)
        is_body = (
            ctype in _BODY_TYPES
            and leaf.disposition != "attachment"
            and (not leaf.filename or is_root)
        )
        if not is_body:
            self._attach(out, leaf, data, leaf.filename, content_type=ctype)
            return
        charset = params.get("charset")
        if ctype == "text/html" and not charset:
            meta = _META_CHARSET.search(data[:4096])
            charset = meta.group(1).decode("ascii") if meta else None
        decoded = decode_bytes(data, charset)
        out.defect(decoded.defect)
        text = decoded.text.replace("\r\n", "\n").replace("\x00", "")
        if len(text) > MAX_BODY_CHARS:
            out.defect(f"body: text cut at {MAX_BODY_CHARS} characters")
            text = text[:MAX_BODY_CHARS]
        if ctype == "text/html":
            out.html.append(text)
            return
        if params.get("format", "").lower() == "flowed":
            text = unflow(text, delsp=params.get("delsp", "").lower() == "yes")
        text, files = extract_uuencoded(text)
        if files:
            text = _BLANK_RUNS.sub("\n\n", text)
        for found in files:
            self._attach(
                out,
                _Leaf(guess_content_type(found.filename), {}, "attachment", found.filename, ""),
                found.data,
                found.filename,
                content_type=guess_content_type(found.filename),
            )
        out.text.append(text)

    def _attach(
        self, out: Parts, leaf: _Leaf, data: bytes, name: str, *, content_type: str
    ) -> None:
        """Add an attachment with a safe name, or its record alone when it is too large."""
        self.attachment_index += 1
        filename = safe_filename(name, content_type=content_type, index=self.attachment_index)
        inline = leaf.disposition == "inline" or (
            bool(leaf.content_id) and leaf.disposition != "attachment"
        )
        dropped = ""
        if len(data) > self.max_attachment_bytes:
            dropped = (
                f"too large ({human_size(len(data))} > {human_size(self.max_attachment_bytes)})"
            )
            out.defect(f"attachment: {filename} dropped, {dropped}")
            data = b""
        out.attachments.append(
            ParsedAttachment(
                filename=filename,
                content_type=content_type,
                data=data,
                content_id=leaf.content_id,
                inline=inline,
                dropped_reason=dropped,
            )
        )


def human_size(size: int) -> str:
    """Return *size* in bytes as a short label: "31 MB", "1.5 MB", "900 KB", "12 bytes"."""
    if size >= 10 * 1024 * 1024:
        return f"{size / (1024 * 1024):.0f} MB"
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):.1f} MB"
    if size >= 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size} bytes"


def collect_parts(root: Message, *, max_attachment_bytes: int, linesep: str = "\n") -> Parts:
    """Return the bodies, attachments and defects of the MIME tree under *root*."""
    return _Walker(max_attachment_bytes=max_attachment_bytes, linesep=linesep).walk(root)
