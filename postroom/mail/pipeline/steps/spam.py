"""Keep mail that an upstream filter marked as spam out of the queues."""

from __future__ import annotations

import re

from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions

NAME = "spam"

_YES = re.compile(r"^\s*(yes|true|spam)\b", re.IGNORECASE)


def _verdict(mail: ParsedMail) -> tuple[str, str] | None:
    """Return (header, value) of the first upstream spam verdict, or None."""
    for name in ("x-spam-flag", "x-spam-status", "x-spam", "x-barracuda-spam-status", "x-ironport-antispam-result"):
        for value in mail.headers.get(name, ()):
            if _YES.match(value):
                return name, value[:80]
    # Microsoft's spam confidence level: 5 and above is spam.
    for value in mail.headers.get("x-ms-exchange-organization-scl", ()):
        if value.strip().lstrip("-").isdigit() and int(value) >= 5:
            return "x-ms-exchange-organization-scl", value.strip()
    return None


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Mark the message spam when an upstream filter said so; it goes to the Spam view."""
    verdict = _verdict(mail)
    if verdict is None:
        return
    header, value = verdict
    decisions.outcome = Outcome.SPAM
    decisions.acknowledge = False
    decisions.record(step=NAME, kind="spam", value="yes", source=f"header:{header}", reason=value)
