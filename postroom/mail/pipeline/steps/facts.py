"""Extract troubleshooting facts (product, firmware, app and OS versions, error codes,
order and serial numbers, purchase date) from the message (issue #3 §4)."""

from __future__ import annotations

from postroom.core import clock
from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.routing.catalogue import product_catalogue
from postroom.routing.facts import facts_extract

NAME = "facts"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Record the facts of a new ticket's message, or of a customer's reply."""
    if decisions.outcome not in {Outcome.TICKET, Outcome.FOLLOWUP}:
        return
    facts = facts_extract(
        subject=mail.subject,
        body=mail.visible_text or mail.text,
        attachment_names=[a.filename for a in mail.attachments],
        catalogue=product_catalogue(),
        language=decisions.language,
        today=clock.now().date(),
    )
    found = facts.as_dict()
    if not found:
        return
    decisions.facts = found
    summary = "; ".join(f"{kind} {', '.join(values)}" for kind, values in found.items())
    decisions.record(step=NAME, kind="facts", value=summary, source="facts")
