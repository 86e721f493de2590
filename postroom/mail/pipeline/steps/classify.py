"""Predict category, queue and priority with the desk's own trained models, or send the
ticket to Needs triage when a model is unsure (issue #3 §2).

A confident prediction is recorded as `classifier:vN p=0.91`; an unsure one leaves the
field as it was and asks a person. The queue is only moved away from the queue the
mailbox chose when that is the default (catch-all) queue: a customer who wrote to
billing@ chose Billing.
"""

from __future__ import annotations

from postroom.accounts.models import Queue
from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.mail.store import default_queue_id
from postroom.routing.models import Category, RoutedField
from postroom.routing.versions import routing_model_active, routing_text
from postroom.tickets.models import Priority

NAME = "classify"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Apply each field's active model to a new ticket's text."""
    if decisions.outcome is not Outcome.TICKET:
        return
    text = routing_text(mail.subject, mail.visible_text or mail.text)
    for field in (RoutedField.CATEGORY, RoutedField.QUEUE, RoutedField.PRIORITY):
        active = routing_model_active(field)
        if active is None:
            continue
        if field == RoutedField.QUEUE and decisions.queue_id != default_queue_id():
            continue
        prediction = active.model.predict(text)
        source = f"{active.source_prefix} p={prediction.probability:.2f}"
        if prediction.abstained:
            decisions.triage(
                step=NAME, source=source,
                reason=f"{field}: unsure (p={prediction.probability:.2f} < {active.model.card.threshold:.2f}); "
                       f"best guess {prediction.label}",
            )
            continue
        _apply(field, prediction.label, source, decisions)


def _apply(field: str, label: str, source: str, decisions: Decisions) -> None:
    if field == RoutedField.CATEGORY:
        row = Category.objects.filter(slug=label).values_list("pk", "name").first()
        if row is not None:
            decisions.set_field(step=NAME, name="category_id", value=row[0], display=row[1], source=source)
    elif field == RoutedField.QUEUE:
        row = Queue.objects.filter(slug=label).values_list("pk", "name").first()
        if row is not None:
            decisions.set_field(step=NAME, name="queue_id", value=row[0], display=row[1], source=source)
    elif label in Priority.values:
        decisions.set_field(step=NAME, name="priority", value=label, display=label, source=source)
