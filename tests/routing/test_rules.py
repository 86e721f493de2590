"""Rule evaluation: every operator, multi-valued fields, any/all, and the per-process cache."""

from __future__ import annotations

import logging

import pytest

from postroom.mail.models import Outcome
from postroom.mail.parsing import parse_message
from postroom.mail.pipeline.decisions import Decisions, IntakeContext
from postroom.routing.models import (
    ActionKind,
    Category,
    ConditionField,
    Operator,
    Rule,
    RuleAction,
    RuleCondition,
)
from postroom.routing.rules import (
    REGEX_TEXT_LIMIT,
    ConditionSpec,
    MessageView,
    RuleSpec,
    condition_holds,
    message_view,
    rule_evaluate,
    rule_summary,
    rules_active,
)
from tests.mail.builders import build_mail

VIEW = MessageView(
    sender="alice@customer.test",
    sender_domain="customer.test",
    recipients=("support@example.test", "billing@example.test"),
    subject="Charged twice for my order",
    body="Hello, I was CHARGED TWICE for order 1234. Please refund.",
    headers={"x-priority": ("1",), "received": ("from a.example", "from b.example")},
    language="en",
    category="billing",
    queue="support",
    priority="normal",
    facts={"order_number": ("1234", "5678")},
    customer_tier="vip",
    customer_name="Alice Example",
    attachments=("invoice.pdf", "photo.JPG"),
)


def holds(field, operator, value="", name="", view=VIEW):
    return condition_holds(ConditionSpec(field=field, operator=operator, value=value, name=name), view)


# -- operators ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operator", "value", "expected"),
    [
        (Operator.CONTAINS, "twice", True),
        (Operator.CONTAINS, "TWICE FOR", True),
        (Operator.CONTAINS, "refund", False),
        (Operator.NOT_CONTAINS, "refund", True),
        (Operator.NOT_CONTAINS, "charged", False),
        (Operator.EQUALS, "charged twice for my order", True),
        (Operator.EQUALS, "charged twice", False),
        (Operator.NOT_EQUALS, "charged twice", True),
        (Operator.NOT_EQUALS, "Charged Twice For My Order", False),
        (Operator.STARTS_WITH, "charged", True),
        (Operator.STARTS_WITH, "order", False),
        (Operator.ENDS_WITH, "MY ORDER", True),
        (Operator.ENDS_WITH, "charged", False),
        (Operator.REGEX, r"charged\s+twice", True),
        (Operator.REGEX, r"^order", False),
        (Operator.IN_LIST, "refund, charged twice ,payment", True),  # free text: contains one of
        (Operator.IN_LIST, "refund,payment", False),
        (Operator.EXISTS, "", True),
        (Operator.MISSING, "", False),
    ],
)
def test_each_operator_on_the_subject_is_case_insensitive(operator, value, expected):
    assert holds(ConditionField.SUBJECT, operator, value) is expected


def test_in_list_on_a_short_field_means_equals_one_of_with_items_trimmed():
    assert holds(ConditionField.FROM_DOMAIN, Operator.IN_LIST, " example.org , CUSTOMER.test,")
    assert not holds(ConditionField.FROM_DOMAIN, Operator.IN_LIST, "customer, test")  # no partial match
    assert holds(ConditionField.CUSTOMER_TIER, Operator.IN_LIST, "premium,vip")


def test_exists_and_missing_follow_whether_the_field_has_a_value():
    empty = MessageView(subject="hello")
    assert holds(ConditionField.CATEGORY, Operator.MISSING, view=empty)
    assert not holds(ConditionField.CATEGORY, Operator.EXISTS, view=empty)
    assert holds(ConditionField.HEADER, Operator.EXISTS, name="X-Priority")
    assert holds(ConditionField.HEADER, Operator.MISSING, name="List-Id")
    assert holds(ConditionField.FACT, Operator.EXISTS, name="order_number")
    assert holds(ConditionField.FACT, Operator.MISSING, name="serial_number")
    assert holds(ConditionField.ATTACHMENT_NAME, Operator.EXISTS)


def test_negative_operators_hold_on_an_empty_field_and_positive_ones_do_not():
    empty = MessageView()
    assert holds(ConditionField.SUBJECT, Operator.NOT_CONTAINS, "x", view=empty)
    assert holds(ConditionField.CUSTOMER_NAME, Operator.NOT_EQUALS, "x", view=empty)
    assert not holds(ConditionField.SUBJECT, Operator.CONTAINS, "x", view=empty)


def test_every_field_reads_its_own_value():
    assert holds(ConditionField.FROM, Operator.EQUALS, "ALICE@customer.test")
    assert holds(ConditionField.FROM_DOMAIN, Operator.EQUALS, "customer.test")
    assert holds(ConditionField.BODY, Operator.CONTAINS, "order 1234")
    assert holds(ConditionField.LANGUAGE, Operator.EQUALS, "EN")
    assert holds(ConditionField.CATEGORY, Operator.EQUALS, "billing")
    assert holds(ConditionField.QUEUE, Operator.EQUALS, "support")
    assert holds(ConditionField.PRIORITY, Operator.EQUALS, "normal")
    assert holds(ConditionField.CUSTOMER_TIER, Operator.EQUALS, "VIP")
    assert holds(ConditionField.CUSTOMER_NAME, Operator.STARTS_WITH, "alice")


# -- multi-valued fields ---------------------------------------------------------------------


def test_a_positive_test_on_recipients_holds_when_any_recipient_passes():
    assert holds(ConditionField.TO, Operator.EQUALS, "billing@example.test")
    assert holds(ConditionField.TO, Operator.STARTS_WITH, "support@")
    assert not holds(ConditionField.TO, Operator.EQUALS, "sales@example.test")


def test_a_negative_test_on_recipients_holds_only_when_no_recipient_matches():
    assert not holds(ConditionField.TO, Operator.NOT_EQUALS, "billing@example.test")
    assert not holds(ConditionField.TO, Operator.NOT_CONTAINS, "billing")
    assert holds(ConditionField.TO, Operator.NOT_CONTAINS, "sales")


def test_a_repeated_header_matches_on_any_of_its_values():
    assert holds(ConditionField.HEADER, Operator.CONTAINS, "b.example", name="Received")
    assert not holds(ConditionField.HEADER, Operator.NOT_CONTAINS, "a.example", name="RECEIVED")
    assert holds(ConditionField.HEADER, Operator.EQUALS, "1", name="x-priority")


def test_facts_and_attachment_names_match_on_any_value():
    assert holds(ConditionField.FACT, Operator.EQUALS, "5678", name="order_number")
    assert holds(ConditionField.FACT, Operator.IN_LIST, "9999, 1234", name="order_number")
    assert not holds(ConditionField.FACT, Operator.NOT_EQUALS, "1234", name="order_number")
    assert holds(ConditionField.ATTACHMENT_NAME, Operator.ENDS_WITH, ".jpg")
    assert holds(ConditionField.ATTACHMENT_NAME, Operator.REGEX, r"\.pdf$")
    assert not holds(ConditionField.ATTACHMENT_NAME, Operator.NOT_CONTAINS, "invoice")


def test_subject_or_body_holds_when_either_passes_and_its_negation_when_neither_does():
    assert holds(ConditionField.SUBJECT_OR_BODY, Operator.CONTAINS, "refund")  # body only
    assert holds(ConditionField.SUBJECT_OR_BODY, Operator.CONTAINS, "my order")  # subject only
    assert not holds(ConditionField.SUBJECT_OR_BODY, Operator.NOT_CONTAINS, "refund")
    assert holds(ConditionField.SUBJECT_OR_BODY, Operator.NOT_CONTAINS, "warranty")


# -- regular expressions -------------------------------------------------------------------------


def test_an_invalid_regex_makes_its_condition_false_and_is_logged(caplog):
    with caplog.at_level(logging.WARNING, logger="postroom.routing.rules"):
        assert not holds(ConditionField.SUBJECT, Operator.REGEX, "charged(twice")
    assert "does not compile" in caplog.text
    # A negated test is not available for regexes, and the rule around it does not match.
    rule = RuleSpec(id=1, name="broken", conditions=(
        ConditionSpec(field=ConditionField.SUBJECT, operator=Operator.REGEX, value="[unclosed"),))
    assert not rule_evaluate(rule, VIEW).matched


def test_a_regex_sees_only_the_first_20000_characters():
    long_body = "x" * REGEX_TEXT_LIMIT + "needle"
    view = MessageView(body=long_body)
    assert not holds(ConditionField.BODY, Operator.REGEX, "needle", view=view)
    assert holds(ConditionField.BODY, Operator.CONTAINS, "needle", view=view)  # plain tests see it all


# -- rules ---------------------------------------------------------------------------------------


def _cond(field, operator, value="", name=""):
    return ConditionSpec(field=field, operator=operator, value=value, name=name)


def test_an_all_rule_needs_every_condition_and_reports_each():
    rule = RuleSpec(id=1, name="vip refund", match=Rule.Match.ALL, conditions=(
        _cond(ConditionField.CUSTOMER_TIER, Operator.EQUALS, "vip"),
        _cond(ConditionField.BODY, Operator.CONTAINS, "warranty"),
    ))
    result = rule_evaluate(rule, VIEW)
    assert not result.matched
    assert [c.held for c in result.conditions] == [True, False]


def test_an_any_rule_needs_one_condition():
    rule = RuleSpec(id=1, name="vip or warranty", match=Rule.Match.ANY, conditions=(
        _cond(ConditionField.CUSTOMER_TIER, Operator.EQUALS, "vip"),
        _cond(ConditionField.BODY, Operator.CONTAINS, "warranty"),
    ))
    assert rule_evaluate(rule, VIEW).matched


def test_a_rule_without_conditions_never_matches():
    for match in Rule.Match.values:
        result = rule_evaluate(RuleSpec(id=1, name="empty", match=match), VIEW)
        assert not result.matched and result.conditions == ()


def test_the_summary_reads_when_then():
    rule = RuleSpec(id=1, name="payment", match=Rule.Match.ANY, stop_processing=True, conditions=(
        _cond(ConditionField.SUBJECT_OR_BODY, Operator.CONTAINS, "payment"),
        _cond(ConditionField.HEADER, Operator.EXISTS, name="X-Priority"),
    ))
    text = rule_summary(rule)
    assert text.startswith("When Subject or body contains “payment” or Header X-Priority is present then")
    assert text.endswith("(then stop)")
    assert rule_summary(RuleSpec(id=2, name="empty")).startswith("When never (no conditions)")


# -- the view of a real message --------------------------------------------------------------------


@pytest.mark.django_db
def test_the_view_of_a_message_includes_envelope_recipients_customer_and_decided_category(queues):
    from postroom.accounts.models import Customer, CustomerAddress

    vip = Customer.objects.create(name="Alice Example", tier="vip")
    CustomerAddress.objects.create(customer=vip, address="alice@customer.test")
    billing = Category.objects.create(name="Billing issue", slug="billing-issue")
    mail = parse_message(build_mail(subject="Refund please", body="I want my money back.\n",
                                    headers={"X-Shop": "eu"}))
    decisions = Decisions(context=IntakeContext(raw_id=None, sha256="x", source="smtp",
                                                envelope_to=("Billing+Tag@Example.test",)))
    decisions.outcome = Outcome.TICKET
    decisions.queue_id = queues["billing"].pk
    decisions.category_id = billing.pk
    decisions.facts = {"order_number": ["A-1"]}

    view = message_view(mail, decisions)

    assert view.sender == "alice@customer.test" and view.sender_domain == "customer.test"
    assert view.recipients == ("support@example.test", "billing+tag@example.test")
    assert view.subject == "Refund please" and "money back" in view.body
    assert view.headers["x-shop"] == ("eu",)
    assert (view.queue, view.category, view.priority) == ("billing", "billing-issue", "normal")
    assert view.facts == {"order_number": ("A-1",)}
    assert (view.customer_tier, view.customer_name) == ("vip", "Alice Example")
    stranger = message_view(parse_message(build_mail(sender="bob@else.test")), decisions)
    assert (stranger.customer_tier, stranger.customer_name) == ("", "")


# -- loading and the cache ------------------------------------------------------------------------


@pytest.fixture
def payment_rule(queues):
    rule = Rule.objects.create(name="payment issue", position=10)
    RuleCondition.objects.create(rule=rule, field=ConditionField.SUBJECT_OR_BODY, operator=Operator.CONTAINS,
                                 value="payment")
    RuleAction.objects.create(rule=rule, kind=ActionKind.SET_QUEUE, queue=queues["billing"])
    return rule


@pytest.mark.django_db
def test_active_rules_come_in_order_without_disabled_ones(payment_rule):
    Rule.objects.create(name="first", position=1)
    Rule.objects.create(name="off", position=5, enabled=False)
    Rule.objects.create(name="last", position=99)
    assert [r.name for r in rules_active()] == ["first", "payment issue", "last"]
    spec = rules_active()[1]
    assert spec.conditions[0].value == "payment"
    assert (spec.actions[0].target_id, spec.actions[0].target_name) == (payment_rule.actions.get().queue_id,
                                                                        "Billing")


@pytest.mark.django_db
def test_active_rules_are_loaded_once(payment_rule, django_assert_num_queries):
    rules_active()
    with django_assert_num_queries(0):
        assert len(rules_active()) == 1


@pytest.mark.django_db
def test_saving_or_deleting_a_rule_condition_or_action_reloads_the_rules(payment_rule, queues):
    assert rules_active()[0].conditions[0].value == "payment"

    condition = payment_rule.conditions.get()
    condition.value = "refund"
    condition.save()
    assert rules_active()[0].conditions[0].value == "refund"

    RuleAction.objects.create(rule=payment_rule, kind=ActionKind.ADD_TAG, value="money")
    assert [a.kind for a in rules_active()[0].actions] == [ActionKind.SET_QUEUE, ActionKind.ADD_TAG]

    payment_rule.enabled = False
    payment_rule.save()
    assert rules_active() == ()

    payment_rule.enabled = True
    payment_rule.save()
    payment_rule.actions.filter(kind=ActionKind.ADD_TAG).delete()
    assert len(rules_active()[0].actions) == 1

    payment_rule.delete()
    assert rules_active() == ()


@pytest.mark.django_db
def test_renaming_a_queue_reaches_the_cached_rules(payment_rule, queues):
    assert rules_active()[0].actions[0].target_name == "Billing"
    queues["billing"].name = "Payments"
    queues["billing"].save()
    assert rules_active()[0].actions[0].target_name == "Payments"
