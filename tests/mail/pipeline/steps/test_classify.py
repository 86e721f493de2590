"""The classify step applies the desk's active models: a confident prediction sets the
field with its source (`classifier:vN p=…`); an unsure one sends the ticket to Needs triage."""

from __future__ import annotations

import hashlib

import pytest

from postroom.mail.pipeline.decisions import IntakeContext
from postroom.mail.pipeline.runner import pipeline_decide
from postroom.mail.pipeline.steps import classify, route, thread
from postroom.routing.models import Category
from postroom.routing.versions import routing_retrain
from postroom.tickets.models import Ticket
from tests.mail.builders import build_mail, deliver
from tests.routing.desk import desk_history, labelled_rows

STEPS = [thread, route, classify]


pytestmark = pytest.mark.usefixtures("small_routing_models")


@pytest.fixture
def trained(queues, mailboxes):
    """Category and queue models: refunds and exchange rates are Billing's, the rest Support's."""
    tickets = desk_history(queues["support"], labelled_rows())
    billing = [t.pk for t in tickets if t.category.slug in {"request_refund", "exchange_rate"}]
    Ticket.objects.filter(pk__in=billing).update(queue=queues["billing"])
    results = routing_retrain(fields=("category", "queue"))
    assert [r.outcome for r in results] == ["promoted", "promoted"]
    return queues


def _decide(data: bytes, to: str = "support@example.test"):
    context = IntakeContext(raw_id=None, sha256=hashlib.sha256(data).hexdigest(), source="smtp",
                            envelope_to=(to,))
    return pipeline_decide(data=data, context=context, steps=STEPS).decisions


def test_confident_prediction_sets_the_category_with_its_source(trained):
    decisions = _decide(build_mail(subject="Stolen card",
                                   body="Someone stole my card yesterday, please block it right away."))
    assert decisions.category_id == Category.objects.get(slug="lost_or_stolen_card").pk
    source = decisions.auto_fields["category"]["source"]
    assert source.startswith("classifier:v1 p=")
    assert float(source.split("p=")[1]) >= 0.5
    assert not decisions.needs_triage


def test_unsure_prediction_goes_to_needs_triage_instead_of_a_guess(trained):
    decisions = _decide(build_mail(subject="Hello", body="Hello, quick question about my watch strap colour."))
    assert decisions.needs_triage
    assert any(r.startswith("category: unsure") for r in decisions.triage_reasons)
    assert decisions.category_id is None


def test_queue_model_moves_mail_from_the_catch_all_queue(trained):
    decisions = _decide(build_mail(subject="Refund", body="I want a refund for the item I returned, please "
                                                          "refund my money."))
    assert decisions.queue_id == trained["billing"].pk
    assert decisions.auto_fields["queue"]["source"].startswith("classifier:v1")


def test_mail_to_a_specific_mailbox_keeps_its_queue(trained):
    decisions = _decide(build_mail(to="billing@example.test", subject="Stolen card",
                                   body="My card was stolen, block it please."),
                        to="billing@example.test")
    assert decisions.queue_id == trained["billing"].pk
    assert decisions.auto_fields["queue"]["source"] == "mailbox:billing@example.test"


def test_ticket_records_the_decision_on_its_timeline(trained):
    raw = deliver(build_mail(subject="Stolen card", body="Someone stole my card yesterday, block it now."))
    ticket = raw.ticket
    assert ticket.category.slug == "lost_or_stolen_card"
    assert ticket.events.filter(summary__startswith="category: lost_or_stolen_card",
                                source__startswith="classifier:v1 p=").exists()


def test_without_models_nothing_is_predicted(queues, mailboxes):
    decisions = _decide(build_mail())
    assert decisions.category_id is None and not decisions.needs_triage
