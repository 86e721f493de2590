"""Decide the priority: the highest of the mail's priority headers, urgency cues in the
text (every supported language), the customer's tier and the learned model (issue #3 §3).
Rules run later and may still set it."""

from __future__ import annotations

from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.mail.pipeline.lookups import customer_tier_and_name
from postroom.routing.urgency import (
    PrioritySignal,
    priority_combine,
    priority_cues,
    priority_from_headers,
    priority_from_tier,
)

NAME = "priority"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Set the priority of a new ticket and record why."""
    if decisions.outcome is not Outcome.TICKET:
        return
    signals: list[PrioritySignal] = []
    if decisions.priority:  # the learned model's, when it was sure
        learned = decisions.auto_fields.get("priority", {})
        signals.append(PrioritySignal(priority=decisions.priority, source=learned.get("source", "classifier"),
                                      reason="learned from solved tickets"))
    header = priority_from_headers(mail.headers)
    if header is not None:
        signals.append(header)
    signals.extend(priority_cues(subject=mail.subject, text=mail.visible_text or mail.text,
                                 language=decisions.language))
    tier = _customer_tier(mail.from_address)
    if tier and (from_tier := priority_from_tier(tier)) is not None:
        signals.append(from_tier)
    if not signals:
        return
    chosen = priority_combine(signals)
    if chosen.priority == decisions.priority and chosen.source == decisions.auto_fields.get("priority", {}).get("source"):
        return  # the classifier's decision stands and is already recorded
    decisions.set_field(step=NAME, name="priority", value=chosen.priority, display=chosen.priority,
                        source=chosen.source, reason=chosen.reason)


def _customer_tier(address: str) -> str:
    return customer_tier_and_name(address)[0] if address else ""
