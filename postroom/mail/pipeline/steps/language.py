"""Detect the customer's language from what they wrote (not from headers)."""

from __future__ import annotations

from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.routing.language import detect_language

NAME = "language"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Record the language of a new ticket's first message (replies keep the ticket's)."""
    if decisions.outcome is not Outcome.TICKET:
        return
    text = mail.visible_text or mail.text
    language = detect_language(f"{mail.subject}\n{text}" if len(text) < 200 else text)
    if language:
        decisions.language = language
        decisions.record(step=NAME, kind="language", value=language, source="lingua")
