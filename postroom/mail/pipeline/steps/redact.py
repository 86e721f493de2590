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

