"""A matching rule's actions become decisions, each naming the rule as its source."""

from __future__ import annotations

import pytest

from postroom.mail.models import Outcome
from postroom.mail.pipeline.decisions import Decisions, IntakeContext
from postroom.routing.models import ActionKind, Rule
from postroom.routing.rule_actions import rule_actions_apply
from postroom.routing.rule_hits import rule_hits_record
from postroom.routing.rules import ActionSpec, RuleSpec

STEP = "rules"


def _decisions() -> Decisions:
    d = Decisions(context=IntakeContext(raw_id=None, sha256="x", source="smtp"))
    d.outcome = Outcome.TICKET
    return d


def _rule(*actions: ActionSpec, name: str = "payment issue", pk: int = 7) -> RuleSpec:
    return RuleSpec(id=pk, name=name, actions=actions)


def test_set_queue_category_and_assignee_record_the_rule_as_source():
    d = _decisions()
    rule_actions_apply(rule=_rule(
        ActionSpec(kind=ActionKind.SET_QUEUE, target_id=2, target_name="Billing"),
        ActionSpec(kind=ActionKind.SET_CATEGORY, target_id=5, target_name="Refund"),
        ActionSpec(kind=ActionKind.ASSIGN, target_id=9, target_name="Mia"),
    ), decisions=d, step=STEP)
    assert (d.queue_id, d.category_id, d.assignee_id) == (2, 5, 9)
    assert d.auto_fields["queue"] == {"value": "Billing", "source": "rule:7"}
    assert d.auto_fields["assignee"] == {"value": "Mia", "source": "rule:7"}
    assert [(e.kind, e.value, e.source, e.reason) for e in d.log] == [
        ("queue", "Billing", "rule:7", "payment issue"),
        ("category", "Refund", "rule:7", "payment issue"),
        ("assignee", "Mia", "rule:7", "payment issue"),
    ]


def test_a_rule_overrides_the_classifiers_value():
    d = _decisions()
    d.set_field(step="classify", name="category_id", value=1, display="Battery", source="classifier:v3 p=0.91")
    rule_actions_apply(rule=_rule(ActionSpec(kind=ActionKind.SET_CATEGORY, target_id=5, target_name="Refund")),
                       decisions=d, step=STEP)
    assert d.category_id == 5 and d.auto_fields["category"]["source"] == "rule:7"


def test_set_priority_takes_known_priorities_only():
    d = _decisions()
    rule_actions_apply(rule=_rule(ActionSpec(kind=ActionKind.SET_PRIORITY, value="URGENT")), decisions=d, step=STEP)
    assert d.priority == "urgent"
    rule_actions_apply(rule=_rule(ActionSpec(kind=ActionKind.SET_PRIORITY, value="asap")), decisions=d, step=STEP)
    assert d.priority == "urgent"
    assert d.log[-1].value == "skipped" and "asap" in d.log[-1].reason


def test_tags_and_templates_are_added_once():
    d = _decisions()
    rule = _rule(
        ActionSpec(kind=ActionKind.ADD_TAG, value="refund"),
        ActionSpec(kind=ActionKind.ADD_TAG, value="Refund"),
        ActionSpec(kind=ActionKind.SEND_TEMPLATE, target_id=3, target_name="Billing"),
    )
    rule_actions_apply(rule=rule, decisions=d, step=STEP)
    rule_actions_apply(rule=rule, decisions=d, step=STEP)
    assert d.tags == ["refund"]
    assert d.template_ids == [3]


def test_no_template_goes_to_a_sender_the_loop_guard_stopped():
    d = _decisions()
    d.acknowledge = False
    d.record(step="loop_guard", kind="acknowledge", value="no", source="header:auto-submitted")
    rule_actions_apply(rule=_rule(ActionSpec(kind=ActionKind.SEND_TEMPLATE, target_id=3, target_name="Billing")),
                       decisions=d, step=STEP)
    assert d.template_ids == []
    assert d.log[-1].kind == "template" and d.log[-1].value == "skipped"


def test_an_action_whose_target_is_gone_or_inactive_is_skipped_and_says_so():
    d = _decisions()
    rule_actions_apply(rule=_rule(
        ActionSpec(kind=ActionKind.ASSIGN, target_id=None, target_name="Mia (inactive)"),
        ActionSpec(kind=ActionKind.SEND_TEMPLATE, target_id=None, target_name="Old (inactive)"),
    ), decisions=d, step=STEP)
    assert d.assignee_id is None and d.template_ids == []
    assert [(e.kind, e.value) for e in d.log] == [("assignee", "skipped"), ("template", "skipped")]


def test_skip_ack_mark_spam_and_needs_triage():
    d = _decisions()
    rule_actions_apply(rule=_rule(
        ActionSpec(kind=ActionKind.SKIP_ACK),
        ActionSpec(kind=ActionKind.NEEDS_TRIAGE),
        ActionSpec(kind=ActionKind.MARK_SPAM),
    ), decisions=d, step=STEP)
    assert d.acknowledge is False
    assert d.needs_triage and d.triage_reasons == ["rule: payment issue"]
    assert d.outcome is Outcome.SPAM
    assert [(e.kind, e.value) for e in d.log] == [("acknowledge", "skipped"), ("needs_triage", "yes"),
                                                  ("spam", "yes")]


def test_setting_a_field_settles_the_classifiers_triage_for_that_field_only():
    d = _decisions()
    d.triage(step="classify", reason="category: unsure (p=0.41 < 0.60); best guess battery", source="c")
    d.triage(step="classify", reason="priority: unsure (p=0.30 < 0.60); best guess high", source="c")
    rule_actions_apply(rule=_rule(ActionSpec(kind=ActionKind.SET_CATEGORY, target_id=5, target_name="Refund")),
                       decisions=d, step=STEP)
    assert d.needs_triage and d.triage_reasons == ["priority: unsure (p=0.30 < 0.60); best guess high"]

    rule_actions_apply(rule=_rule(ActionSpec(kind=ActionKind.SET_PRIORITY, value="high")), decisions=d, step=STEP)
    assert not d.needs_triage and d.triage_reasons == []
    assert (d.log[-1].kind, d.log[-1].value, d.log[-1].source) == ("needs_triage", "no", "rule:7")


def test_a_rules_own_triage_is_not_settled_by_another_action():
    d = _decisions()
    rule_actions_apply(rule=_rule(
        ActionSpec(kind=ActionKind.NEEDS_TRIAGE),
        ActionSpec(kind=ActionKind.SET_QUEUE, target_id=2, target_name="Billing"),
    ), decisions=d, step=STEP)
    assert d.needs_triage and d.triage_reasons == ["rule: payment issue"]


@pytest.mark.django_db
def test_hits_are_counted_and_stamped_without_reloading_the_rules(django_assert_num_queries):
    from postroom.routing.rules import rules_active

    rule = Rule.objects.create(name="counted")
    rules_active()
    assert rule_hits_record(rule_ids=[rule.pk, rule.pk]) == 1
    assert rule_hits_record(rule_ids=[rule.pk]) == 1
    rule.refresh_from_db()
    assert rule.hits == 2 and rule.last_hit_at is not None
    with django_assert_num_queries(0):
        rules_active()
