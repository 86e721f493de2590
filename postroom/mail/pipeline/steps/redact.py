"""Mask card numbers, IBANs, national IDs and passwords before anything is stored for
display or search (issue #3 §5).

The raw message is rewritten too (its text parts, by postroom.privacy.raw_rewrite); the
commit stores the rewritten bytes and keeps the hash of the received ones. Later steps
and the commit see the message parsed from the rewritten bytes, and every text field is
checked once more, so a number the MIME rewrite could not reach is not stored either.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from postroom.mail.models import Outcome
from postroom.mail.parsing import parse_message
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.privacy.raw_rewrite import raw_redact
from postroom.privacy.redaction import Finding, redact_text

NAME = "redact"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Rewrite the message without sensitive data; record what kinds were removed."""
    if decisions.outcome is Outcome.DUPLICATE:
        return
    # Most mail has nothing to mask: look at the parsed text first (microseconds), and
    # rewrite the MIME parts (a second full parse) only when something was found.
    if not any(redact_text(getattr(mail, name)).changed for name in ("subject", "text", "html")
               if getattr(mail, name)):
        return
    findings: list[Finding] = []
    data = decisions.context.data
    if data is not None:
        rewritten = raw_redact(data)
        if rewritten.changed:
            findings.extend(rewritten.findings)
            decisions.redacted_data = rewritten.data
            mail = parse_message(rewritten.data)
    # The safety net: whatever parsing derived (text from HTML, decoded headers) is checked too.
    changes: dict[str, Any] = {}
    for name in ("subject", "text", "visible_text", "html"):
        value = getattr(mail, name)
        if not value:
            continue
        result = redact_text(value)
        if result.changed:
            changes[name] = result.text
            findings.extend(f for f in result.findings if f not in findings)
    if changes:
        mail = dataclasses.replace(mail, **changes)
        if data is not None:
            # Something the MIME rewrite could not reach (digits split by HTML entities, an
            # odd encoding): the stored raw message must not keep it either, so it becomes a
            # plain-text copy of what the desk shows. Attachments are stored on their own.
            decisions.redacted_data = _plain_copy(data, mail)
            decisions.record(step=NAME, kind="raw_rewritten", value="plain text", source="redaction",
                             reason="a value could not be masked inside its MIME part")
    if not findings:
        return
    decisions.replaced_mail = mail
    seen: set[tuple[str, str, str]] = set()
    for finding in findings:
        key = (finding.kind, finding.detail, finding.masked)
        if key in seen:
            continue
        seen.add(key)
        decisions.redactions.append({"kind": finding.kind, "detail": finding.detail, "masked": finding.masked})
    kinds = sorted({f["kind"] for f in decisions.redactions})
    decisions.record(step=NAME, kind="redacted", value=", ".join(kinds), source="redaction",
                     reason=f"{len(decisions.redactions)} value(s) masked in the stored message")



def _plain_copy(data: bytes, mail: ParsedMail) -> bytes:
    """Return the message as one text/plain part of *mail*'s (masked) text, with its headers."""
    from email import policy
    from email.message import EmailMessage
    from email.parser import BytesParser

    copy = EmailMessage()
    try:
        original = BytesParser(policy=policy.compat32).parsebytes(data, headersonly=True)
        for name, value in original.items():
            if name.lower().startswith("content-") or name.lower() in {"mime-version", "subject"}:
                continue
            copy[name] = str(value)
    except Exception:  # headers too broken to copy: keep the ones the desk relies on
        copy = EmailMessage()
        for name in ("from", "to", "cc", "date", "message-id", "in-reply-to", "references"):
            for value in mail.headers.get(name, ()):
                copy[name] = value
    copy["Subject"] = mail.subject
    copy["X-Postroom-Redacted"] = "rewritten as plain text: sensitive data that could not be masked in place"
    copy.set_content(mail.text or "", cte="8bit" if not (mail.text or "").isascii() else "7bit")
    return copy.as_bytes(policy=policy.SMTP)
