"""Flag frustration and negative tone, and a request for a manager, in every supported
language (issue #3 §3; escalation uses it, issue #5)."""

from __future__ import annotations

from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.routing.tone import tone_assess

NAME = "tone"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Record the tone of a new message or a customer's reply."""
    if decisions.outcome not in {Outcome.TICKET, Outcome.FOLLOWUP}:
        return
    tone = tone_assess(text=mail.visible_text or mail.text, subject=mail.subject, language=decisions.language)
    decisions.tone, decisions.tone_score = tone.label, tone.score
    if tone.label == "negative" or tone.asks_for_manager:
        cues = ", ".join(tone.cues[:6])
        decisions.record(step=NAME, kind="tone", value=tone.label, source="tone",
                         reason=f"score {tone.score:.2f}: {cues}" if cues else f"score {tone.score:.2f}")
    if tone.asks_for_manager:
        decisions.record(step=NAME, kind="asks_for_manager", value="yes", source="tone",
                         reason="the customer asks for a supervisor or manager")
