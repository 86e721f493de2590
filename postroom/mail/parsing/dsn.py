"""Recognise bounces: RFC 3464 delivery status notifications and the common non-RFC formats."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from email.message import Message
from email.parser import BytesHeaderParser
from email.policy import compat32

from .charsets import decode_bytes
from .headers import content_type, decode_header, parse_addresses, parse_message_ids
from .parts import payload_bytes, raw_header, raw_payload
from .transfer import decode_transfer
from .types import DeliveryReport, DeliveryStatus

MAX_REPORT_PARTS = 50
MAX_SCAN_CHARS = 30_000
MAX_BODY_SCAN_CHARS = 5_000
MAX_DIAGNOSTIC_CHARS = 500

_STATUS_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_RETURNED_MESSAGE_TYPES = frozenset({"message/rfc822", "message/global"})
_RETURNED_HEADER_TYPES = frozenset({"text/rfc822-headers", "message/global-headers"})
# Reports that are not about delivery (RFC 8098 read receipts, RFC 5965 abuse reports).
_OTHER_REPORTS = frozenset({"disposition-notification", "feedback-report"})

# RFC 3463 enhanced status codes, and RFC 5321 §4.2 reply codes as a fallback.
_ENHANCED_STATUS = re.compile(r"(?<![\d.])([245])\.(\d{1,3})\.(\d{1,3})(?![\d.])")
_REPLY_CODE = re.compile(r"(?<![\d.#-])([245])[0-9]{2}(?![\d.])")
_ACTIONS = {
    "failed": "failed",
    "failure": "failed",
    "fail": "failed",
    "delayed": "delayed",
    "delay": "delayed",
    "delivered": "delivered",
    "relayed": "relayed",
    "expanded": "expanded",
}
_DEFAULT_STATUS = {
    "failed": "5.0.0",
    "delayed": "4.0.0",
    "delivered": "2.0.0",
    "relayed": "2.0.0",
    "expanded": "2.0.0",
}

_DAEMON_LOCAL_PARTS = frozenset(
    {
        "mailer-daemon",
        "mailer_daemon",
        "mailerdaemon",
        "mail-daemon",
        "maildaemon",
        "postmaster",
        "mmdf",
    }
)
_DAEMON_NAME = re.compile(
    r"mail delivery (subsystem|system|service)|mailer.daemon|postmaster", re.IGNORECASE
)
_BOUNCE_SUBJECT = re.compile(
    r"undeliver(ed|able)|returned mail|return(ed)? to sender|delivery status notification"
    r"|delivery (failure|failed|has failed|problem|notification|report|incomplete|delayed)"
    r"|failure notice|mail delivery (failed|failure|system|subsystem)|could not (be )?deliver"
    r"|failed mail|mail (system )?error|message not delivered|not delivered|delayed mail"
    r"|warning: could not send|mail delayed|message delayed"
    r"|unzustellbar|nicht zustellbar|non remis|non recapitabile|no se pudo entregar|onbestelbaar",
    re.IGNORECASE,
)
_BOUNCE_BODY = re.compile(
    r"this is the (qmail-send program|mail system at host|postfix program)"
    r"|could not be delivered to one or more|message could not be delivered"
    r"|delivery to the following recipients? (failed|has been delayed)|following address(es)? failed"
    r"|permanent (fatal )?error|i'?m sorry to (have to )?inform you|unable to deliver"
    r"|was not delivered to|delivery has failed|undeliverable|mailbox (is )?(unavailable|full)"
    r"|user unknown|no such user|unknown user|recipient address rejected|does not exist"
    r"|your message (wasn't|was not|could not be) delivered|has been delayed|delivery delayed"
    r"|unable to find user|cannot be delivered"
    r"|delivery failed|returned mail|could not deliver",
    re.IGNORECASE,
)
_DELAY_WORDS = re.compile(
    r"delayed|will (continue to )?(re)?try|still undelivered|not yet been delivered"
    r"|warning message only|temporar(y|ily)|deferred|will keep trying",
    re.IGNORECASE,
)
_PERMANENT_WORDS = re.compile(
    r"permanent|user unknown|unknown user|no such (user|mailbox|address)|does not exist"
    r"|couldn'?t find any host|mailbox unavailable|address rejected|invalid (recipient|address)"
    r"|not found|unrouteable|no mailbox here|unable to find user|unknown (address|recipient)",
    re.IGNORECASE,
)
# Lines after which a bounce quotes the message it returns.
_ORIGINAL_MARKER = re.compile(
    r"^[ \t]*(?:-+ ?original message ?-+|-+ ?this is a copy of the message"
    r"|-+ ?below this line is a copy of the message|original message follows"
    r"|-+ ?returned message|-+ ?unsent message below|original message headers:"
    r"|-+ ?message headers follow|-+ ?the (original|header of the original) message"
    r"|content-type: *(?:message/rfc822|text/rfc822-headers))",
    re.IGNORECASE | re.MULTILINE,
)
_EMBEDDED_STATUS = re.compile(r"^(?:final|original)-recipient:", re.IGNORECASE | re.MULTILINE)
_LOOSE_ADDRESS = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_INDENTED_FIELD = re.compile(r"^[ \t]+([A-Za-z][A-Za-z0-9-]*:[ \t])")
_IGNORED_LOCAL_PARTS = _DAEMON_LOCAL_PARTS | {"abuse", "hostmaster", "root", "noreply", "no-reply"}


def parse_status_fields(text: str) -> list[dict[str, str]]:
    """Split RFC 3464 §2 "name: value" groups separated by blank lines into dicts.

    Field names are lower-cased; continuation lines are joined; the first value wins.
    """
    blocks: list[dict[str, str]] = []
    current: dict[str, str] = {}
    last = ""
    for line in text.splitlines():
        if not line.strip():
            if current:
                blocks.append(current)
            current, last = {}, ""
            continue
        if line[0] in " \t" and last:
            current[last] = f"{current[last]} {line.strip()}"
            continue
        name, colon, value = line.partition(":")
        name = name.strip().lower()
        if colon and name and " " not in name:
            last = name
            current.setdefault(name, value.strip())
    if current:
        blocks.append(current)
    return blocks


def _status_code(*texts: str) -> str:
    """Return the first RFC 3463 status code in *texts*, or one derived from a reply code."""
    for text in texts:
        match = _ENHANCED_STATUS.search(text)
        if match:
            return ".".join(match.groups())
    for text in texts:
        match = _REPLY_CODE.search(text)
        if match:
            return f"{match.group(1)}.0.0"
    return ""


def _recipient(value: str) -> str:
    """Return the address of an RFC 3464 §2.3.2 recipient field ("rfc822; a@b")."""
    kind, semicolon, address = value.partition(";")
    address = (address if semicolon else kind).strip().strip("<>").strip()
    return decode_header(address).lower()


def _diagnostic(value: str) -> str:
    """Return the text of a Diagnostic-Code (RFC 3464 §2.3.6) without its type."""
    kind, semicolon, text = value.partition(";")
    if semicolon and " " not in kind.strip():
        value = text
    return decode_header(value)[:MAX_DIAGNOSTIC_CHARS]


def statuses_from_fields(blocks: list[dict[str, str]]) -> list[DeliveryStatus]:
    """Return one DeliveryStatus per per-recipient block of a delivery-status body."""
    statuses: list[DeliveryStatus] = []
    for block in blocks:
        recipient_field = block.get("final-recipient") or block.get("original-recipient")
        if not recipient_field and "action" not in block:
            continue  # the per-message block (RFC 3464 §2.2)
        action_word = block.get("action", "").strip().lower().split(" ", 1)[0].strip(";,")
        action = _ACTIONS.get(action_word, action_word)
        diagnostic = _diagnostic(block.get("diagnostic-code", ""))
        status = _status_code(block.get("status", ""), diagnostic) or _DEFAULT_STATUS.get(
            action, ""
        )
        if not action:
            action = (
                "failed" if status.startswith("5") else "delayed" if status.startswith("4") else ""
            )
        statuses.append(
            DeliveryStatus(
                recipient=_recipient(recipient_field or ""),
                action=action,
                status=status,
                diagnostic=diagnostic,
            )
        )
    return statuses


def _iter_report_parts(root: Message) -> Iterator[tuple[str, dict[str, str], Message]]:
    """Yield (content type, params, part) for the parts of *root*, not entering attached mail."""
    stack = [root]
    seen = 0
    while stack and seen < MAX_REPORT_PARTS:
        part = stack.pop(0)
        seen += 1
        ctype, params, _valid = content_type(raw_header(part, "content-type"))
        yield ctype, params, part
        payload = raw_payload(part)
        if ctype.startswith("multipart/") and isinstance(payload, list):
            stack.extend(child for child in payload if isinstance(child, Message))


def _part_text(part: Message) -> str:
    """Return the decoded text of a leaf part, or the header blocks of a parsed message/* part."""
    payload = raw_payload(part)
    if isinstance(payload, list):
        chunks: list[str] = []
        for block in payload:
            if isinstance(block, Message):
                chunks.append("\n".join(f"{k}: {v}" for k, v in block.raw_items()))
                inner = payload_bytes(block).decode("utf-8", "surrogateescape")
                if inner.strip():
                    chunks.append(inner)
        return decode_bytes("\n\n".join(chunks).encode("utf-8", "surrogateescape")).text
    data, _defect = decode_transfer(
        payload_bytes(part), raw_header(part, "content-transfer-encoding") or ""
    )
    _ctype, params, _valid = content_type(raw_header(part, "content-type"))
    return decode_bytes(data, params.get("charset")).text


def _original_from_headers(headers: Message) -> tuple[str, tuple[str, ...], str]:
    """Return (Message-ID, References, Subject) of a returned message's header block."""
    message_id = raw_header(headers, "message-id")
    references = raw_header(headers, "references")
    subject = raw_header(headers, "subject")
    ids = parse_message_ids(message_id) if message_id else ()
    return (
        ids[0] if ids else "",
        parse_message_ids(references) if references else (),
        decode_header(subject) if subject else "",
    )


def _original_from_parts(
    parts: list[tuple[str, dict[str, str], Message]],
) -> tuple[str, tuple[str, ...], str] | None:
    """Find the returned message (RFC 3462 §2 third part) among the report's parts."""
    for ctype, _params, part in parts:
        payload = raw_payload(part)
        if ctype in _RETURNED_MESSAGE_TYPES and isinstance(payload, list) and payload:
            inner = payload[0]
            if isinstance(inner, Message):
                return _original_from_headers(inner)
        if ctype in _RETURNED_HEADER_TYPES or (
            ctype in _RETURNED_MESSAGE_TYPES and isinstance(payload, str)
        ):
            data, _defect = decode_transfer(
                payload_bytes(part), raw_header(part, "content-transfer-encoding") or ""
            )
            try:
                headers = BytesHeaderParser(policy=compat32).parsebytes(data.lstrip())
            except Exception:  # a broken returned header block is not fatal
                headers = None
            if headers is not None:
                return _original_from_headers(headers)
    return None


def _original_from_text(text: str) -> tuple[str, tuple[str, ...], str]:
    """Return the returned message's Message-ID, References and Subject quoted in *text*."""
    marker = _ORIGINAL_MARKER.search(text)
    quoted = text[marker.end() :] if marker else text
    block_start = re.search(r"^[ \t]*[A-Za-z-]+:[ \t]", quoted, re.MULTILINE)
    headers_text = quoted[block_start.start() :] if block_start else quoted
    # The quoted header block may be indented (Sun, Microsoft); dedent the field lines.
    lines = [_INDENTED_FIELD.sub(r"\1", line) for line in headers_text.splitlines()[:200]]
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(
            "\n".join(lines).encode("utf-8", "surrogateescape")
        )
    except Exception:
        return "", (), ""
    found = _original_from_headers(headers)
    if not found[0]:
        match = re.search(r"^\s*Message-I[dD]:\s*(<[^>\s]+>)", text, re.MULTILINE)
        if match:
            ids = parse_message_ids(match.group(1))
            found = (ids[0] if ids else "", found[1], found[2])
    return found


def _is_daemon(address: str, name: str) -> bool:
    """Return whether a sender is a mail system (MAILER-DAEMON, postmaster, …)."""
    local = address.split("@", 1)[0]
    return local in _DAEMON_LOCAL_PARTS or bool(_DAEMON_NAME.search(name))


def _heuristic_statuses(text: str, failed_header: str, excluded: set[str]) -> list[DeliveryStatus]:
    """Find failed recipients and their codes in the human-readable text of a bounce."""
    marker = _ORIGINAL_MARKER.search(text)
    region = text[: marker.start()] if marker else text
    candidates: list[str] = []
    if failed_header:
        mailboxes, _clean = parse_addresses(failed_header)
        candidates.extend(m.address for m in mailboxes)
    positions: dict[str, int] = {}
    for match in _LOOSE_ADDRESS.finditer(region):
        address = match.group(0).lower().strip(".")
        if address in excluded or address.split("@", 1)[0] in _IGNORED_LOCAL_PARTS:
            continue
        positions.setdefault(address, match.start())
        if not failed_header:
            candidates.append(address)
    statuses: list[DeliveryStatus] = []
    delayed = bool(_DELAY_WORDS.search(region)) and not _PERMANENT_WORDS.search(region)
    for address in dict.fromkeys(candidates):
        start = positions.get(address, 0)
        window = region[start : start + 600]
        status = _status_code(window) or _status_code(region)
        if not status and _PERMANENT_WORDS.search(region):
            status = "5.0.0"
        if delayed and not status.startswith("5"):
            action, status = "delayed", status or "4.0.0"
        else:
            action = "failed"
        diagnostic_lines = [line.strip() for line in window.splitlines()[1:6] if line.strip()]
        statuses.append(
            DeliveryStatus(
                recipient=address,
                action=action,
                status=status,
                diagnostic=" ".join(diagnostic_lines)[:MAX_DIAGNOSTIC_CHARS],
            )
        )
    return statuses


def find_delivery_report(
    root: Message,
    *,
    from_address: str,
    from_name: str,
    to: tuple[str, ...],
    subject: str,
    text: str,
    headers: Mapping[str, tuple[str, ...]],
) -> DeliveryReport | None:
    """Return the DeliveryReport of a bounce, or None when *root* is not one.

    RFC 3464 reports are read field by field; other bounces are recognised by their
    sender, subject and wording and read heuristically (``heuristic=True``).
    """
    parts = list(_iter_report_parts(root))
    root_type, root_params = parts[0][0], parts[0][1]
    if (
        root_type == "multipart/report"
        and root_params.get("report-type", "").lower() in _OTHER_REPORTS
    ):
        return None
    status_parts = [part for ctype, _params, part in parts if ctype in _STATUS_TYPES]
    if status_parts:
        statuses: list[DeliveryStatus] = []
        for part in status_parts:
            statuses.extend(statuses_from_fields(parse_status_fields(_part_text(part))))
        original = _original_from_parts(parts) or _original_from_text(text[:MAX_SCAN_CHARS])
        return DeliveryReport(
            statuses=tuple(statuses),
            original_message_id=original[0],
            original_references=original[1],
            original_subject=original[2],
        )
    scan = text[:MAX_SCAN_CHARS]
    failed_header = ", ".join(headers.get("x-failed-recipients", ()))
    null_sender = any(value.strip() in {"<>", ""} for value in headers.get("return-path", ()))
    daemon = _is_daemon(from_address, from_name) or null_sender
    subject_hit = bool(_BOUNCE_SUBJECT.search(subject))
    automatic = root_type == "multipart/report" or any(
        value.strip().lower().startswith("auto-") for value in headers.get("auto-submitted", ())
    )
    if not failed_header:
        if not (daemon or (subject_hit and automatic)):
            return None  # the body is only read for mail that already looks automatic
        body_hit = bool(_BOUNCE_BODY.search(scan[:MAX_BODY_SCAN_CHARS]))
        if not ((daemon and (subject_hit or body_hit)) or (subject_hit and body_hit)):
            return None
    excluded = {from_address, *to}
    embedded = _EMBEDDED_STATUS.search(scan)
    statuses = []
    if embedded:
        # A delivery-status body whose MIME structure broke (e.g. a cut boundary).
        statuses = [
            s
            for s in statuses_from_fields(parse_status_fields(scan[embedded.start() :]))
            if s.recipient
        ]
    if not statuses:
        statuses = _heuristic_statuses(scan, failed_header, excluded)
    original = _original_from_parts(parts) or _original_from_text(scan)
    return DeliveryReport(
        statuses=tuple(statuses),
        original_message_id=original[0],
        original_references=original[1],
        original_subject=original[2],
        heuristic=True,
    )
