"""The rules step: admins' rules applied in order to new tickets, through the real intake."""

from __future__ import annotations

import pytest

from postroom.mail import pipeline
from postroom.mail.models import Outcome
from postroom.mail.pipeline.decisions import IntakeContext
from postroom.mail.pipeline.runner import pipeline_decide
from postroom.mail.pipeline.steps import rules as rules_step
from postroom.routing.models import (
    ActionKind,
    ConditionField,
    Operator,
    Rule,
    RuleAction,
    RuleCondition,
)
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def with_rules_step():
    """Run the rules step at the end of STEPS (in place: the runner holds the list)."""
    steps = pipeline.STEPS
    original = list(steps)
    if rules_step not in steps:
        steps.append(rules_step)
    yield steps
    steps[:] = original


def _decide(data: bytes, to: tuple[str, ...] = ("support@example.test",)):
    context = IntakeContext(raw_id=None, sha256="test", source="smtp", envelope_from="alice@customer.test",
                            envelope_to=to)
    return pipeline_decide(data=data, context=context).decisions


def test_a_payment_mail_to_support_goes_to_billing_with_the_billing_template(
    mailboxes, queues, payment_rule, billing_template, with_rules_step
):
    decisions = _decide(build_mail(subject="I was charged twice", body="Please help, Alice\n"))
    assert decisions.outcome is Outcome.TICKET
    assert decisions.queue_id == queues["billing"].pk
    assert decisions.auto_fields["queue"] == {"value": "Billing", "source": f"rule:{payment_rule.pk}"}
    assert decisions.template_ids == [billing_template.pk]
    assert decisions.rule_hits == [payment_rule.pk]
    assert [e.kind for e in decisions.log if e.step == "rules"] == ["rule", "queue", "template"]


def test_a_mail_without_payment_words_stays_in_its_mailbox_queue(mailboxes, queues, payment_rule, with_rules_step):
    decisions = _decide(build_mail(subject="Watch does not sync"))
    assert decisions.queue_id == queues["support"].pk
    assert decisions.template_ids == [] and decisions.rule_hits == []


def test_the_rule_routes_a_real_delivery_to_billing(mailboxes, queues, payment_rule, with_rules_step):
    raw = deliver(build_mail(subject="Refund for my order", body="Payment went through twice.\n"))
    assert raw.outcome == "ticket"
    assert raw.ticket.queue == queues["billing"]


def test_rules_run_in_order_and_stop_processing_ends_them(mailboxes, queues, with_rules_step):
    first = Rule.objects.create(name="tag all", position=1)
    RuleCondition.objects.create(rule=first, field=ConditionField.FROM_DOMAIN, operator=Operator.EQUALS,
                                 value="customer.test")
    RuleAction.objects.create(rule=first, kind=ActionKind.ADD_TAG, value="customer")
    stopper = Rule.objects.create(name="stop here", position=2, stop_processing=True)
    RuleCondition.objects.create(rule=stopper, field=ConditionField.SUBJECT, operator=Operator.EXISTS)
    RuleAction.objects.create(rule=stopper, kind=ActionKind.SET_PRIORITY, value="high")
    never = Rule.objects.create(name="never reached", position=3)
    RuleCondition.objects.create(rule=never, field=ConditionField.SUBJECT, operator=Operator.EXISTS)
    RuleAction.objects.create(rule=never, kind=ActionKind.ADD_TAG, value="late")

    decisions = _decide(build_mail())
    assert decisions.rule_hits == [first.pk, stopper.pk]
    assert decisions.tags == ["customer"] and decisions.priority == "high"


def test_a_later_rule_sees_the_queue_an_earlier_rule_set(mailboxes, queues, payment_rule, with_rules_step):
    follow = Rule.objects.create(name="billing is urgent", position=20)
    RuleCondition.objects.create(rule=follow, field=ConditionField.QUEUE, operator=Operator.EQUALS, value="billing")
    RuleAction.objects.create(rule=follow, kind=ActionKind.SET_PRIORITY, value="urgent")
    decisions = _decide(build_mail(subject="payment failed"))
    assert decisions.rule_hits == [payment_rule.pk, follow.pk]
    assert decisions.priority == "urgent"


def test_a_rule_marking_spam_ends_the_rules(mailboxes, queues, with_rules_step):
    spam = Rule.objects.create(name="crypto spam", position=1)
    RuleCondition.objects.create(rule=spam, field=ConditionField.SUBJECT, operator=Operator.REGEX,
                                 value=r"bitcoin|crypto")
    RuleAction.objects.create(rule=spam, kind=ActionKind.MARK_SPAM)
    later = Rule.objects.create(name="tag", position=2)
    RuleCondition.objects.create(rule=later, field=ConditionField.SUBJECT, operator=Operator.EXISTS)
    RuleAction.objects.create(rule=later, kind=ActionKind.ADD_TAG, value="x")
    decisions = _decide(build_mail(subject="Double your Bitcoin"))
    assert decisions.outcome is Outcome.SPAM
    assert decisions.rule_hits == [spam.pk] and decisions.tags == []


def test_rules_leave_follow_ups_alone(mailboxes, queues, payment_rule, with_rules_step):
    first = deliver(build_mail(subject="Watch does not sync", message_id="m1@customer.test"))
    decisions = _decide(build_mail(subject="Re: Watch does not sync", body="Also a payment question.\n",
                                   in_reply_to="m1@customer.test"))
    assert first.ticket is not None
    assert decisions.outcome is Outcome.FOLLOWUP
    assert decisions.rule_hits == []


def test_without_rules_the_step_reads_nothing(mailboxes, with_rules_step, django_assert_num_queries):
    from postroom.routing.rules import rules_active

    decisions = _decide(build_mail())
    assert decisions.rule_hits == []
    rules_active()  # cached now (empty)
    from postroom.mail.parsing import parse_message

    with django_assert_num_queries(0):
        rules_step.run(parse_message(build_mail()), decisions)


def test_the_customer_gets_the_billing_template_after_commit(mailboxes, queues, payment_rule, with_rules_step,
                                                             django_capture_on_commit_callbacks):
    from postroom.mail.models import OutboundMessage

    with django_capture_on_commit_callbacks(execute=True):
        raw = deliver(build_mail(subject="Refund for my order", body="Payment went through twice.\n"))
    replies = [o for o in OutboundMessage.objects.filter(ticket=raw.ticket) if o.kind == "reply"]
    assert len(replies) == 1 and replies[0].automatic
    assert f"billing will answer {raw.ticket.reference}" in bytes(replies[0].data).decode("utf-8", "replace")
    payment_rule.refresh_from_db()
    assert payment_rule.hits == 1 and payment_rule.last_hit_at is not None
