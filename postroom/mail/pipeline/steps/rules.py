"""Run the admins' rules on a new ticket, in order (issue #3).

Runs after language, facts and the classifier, so rules can test what those decided and
a rule's explicit value overrides a prediction. A later rule sees the queue, category
and priority that earlier rules set. Processing ends after a matching rule marked "stop
processing", and after a rule marked the message spam (rules apply to new tickets only).
"""

from __future__ import annotations

from collections.abc import Sequence

from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decisions
from postroom.routing.models import Rule
from postroom.routing.rule_actions import rule_actions_apply
from postroom.routing.rules import (
    CUSTOMER_FIELDS,
    RuleResult,
    RuleSpec,
    message_view,
    message_view_refresh,
    rule_evaluate,
    rules_active,
)

NAME = "rules"


def run(mail: ParsedMail, decisions: Decisions) -> None:
    """Apply the active rules to a new ticket."""
    if decisions.outcome is not Outcome.TICKET:
        return
    rules = rules_active()
    if rules:
        rules_run(mail=mail, decisions=decisions, rules=rules)


def rules_run(*, mail: ParsedMail, decisions: Decisions, rules: Sequence[RuleSpec]) -> tuple[RuleResult, ...]:
    """Evaluate *rules* in order, apply each matching one; return the evaluations made.

    Rules after the one that ended processing are not evaluated (not in the result).
    """
    with_customer = any(c.field in CUSTOMER_FIELDS for rule in rules for c in rule.conditions)
    view = message_view(mail, decisions, with_customer=with_customer)
    results: list[RuleResult] = []
    for rule in rules:
        result = rule_evaluate(rule, view)
        results.append(result)
        if not result.matched:
            continue
        how = "any condition held" if rule.match == Rule.Match.ANY else "all conditions held"
        decisions.record(step=NAME, kind="rule", value=rule.name, source=f"rule:{rule.id}", reason=how)
        rule_actions_apply(rule=rule, decisions=decisions, step=NAME)
        decisions.rule_hits.append(rule.id)
        if rule.stop_processing or decisions.outcome is not Outcome.TICKET:
            break
        view = message_view_refresh(view, decisions)
    return tuple(results)
