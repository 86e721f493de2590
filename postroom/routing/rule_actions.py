"""Turn a matching rule's actions into intake decisions (issue #3); nothing is written here.

Every decision names the rule as its source (`rule:12`) and the rule's name as its
reason, so the timeline can say why a ticket went where it went.

Rules run after the classifier, so a rule's explicit value overrides a predicted one.
When the classifier was unsure about a field it asked for triage with a reason that
starts with the field's name ("category: unsure (p=0.41 …)"); a rule that sets that
field settles the question, so those reasons are dropped, and the ticket no longer needs
triage when no other reason is left. A rule's own "Send to Needs triage" action always
stands.
"""

from __future__ import annotations

import logging

from postroom.mail.models import Outcome
from postroom.mail.pipeline.decisions import Decisions
from postroom.mail.pipeline.steps import loop_guard
from postroom.routing.models import ActionKind
from postroom.routing.rules import ActionSpec, RuleSpec
from postroom.tickets.models import Priority

logger = logging.getLogger(__name__)

# Decisions fields a rule can set, and the name their triage reasons start with.
_FIELDS = {
    ActionKind.SET_QUEUE: ("queue_id", "queue"),
    ActionKind.SET_CATEGORY: ("category_id", "category"),
    ActionKind.ASSIGN: ("assignee_id", "assignee"),
}


def rule_actions_apply(*, rule: RuleSpec, decisions: Decisions, step: str) -> None:
    """Apply *rule*'s actions, in their order, to *decisions*."""
    for action in rule.actions:
        _apply(action, rule=rule, decisions=decisions, step=step)


def _apply(action: ActionSpec, *, rule: RuleSpec, decisions: Decisions, step: str) -> None:
    source, reason = f"rule:{rule.id}", rule.name
    kind = action.kind
    if kind in _FIELDS:
        name, label = _FIELDS[ActionKind(kind)]
        if action.target_id is None:
            _skipped(
                decisions,
                step=step,
                kind=label,
                source=source,
                why=f"{action.target_name or 'its target'} is gone or inactive",
            )
            return
        decisions.set_field(
            step=step,
            name=name,
            value=action.target_id,
            display=action.target_name,
            source=source,
            reason=reason,
        )
        _settle_triage(decisions, label=label, step=step, source=source, rule=rule)
    elif kind == ActionKind.SET_PRIORITY:
        priority = action.value.strip().lower()
        if priority not in Priority.values:
            _skipped(
                decisions,
                step=step,
                kind="priority",
                source=source,
                why=f"unknown priority {action.value!r}",
            )
            return
        decisions.set_field(
            step=step,
            name="priority",
            value=priority,
            display=priority,
            source=source,
            reason=reason,
        )
        _settle_triage(decisions, label="priority", step=step, source=source, rule=rule)
    elif kind == ActionKind.ADD_TAG:
        tag = action.value.strip()[:100]
        if not tag:
            _skipped(decisions, step=step, kind="tag", source=source, why="no tag given")
            return
        if tag.casefold() not in {t.casefold() for t in decisions.tags}:
            decisions.tags.append(tag)
            decisions.record(step=step, kind="tag", value=tag, source=source, reason=reason)
    elif kind == ActionKind.SEND_TEMPLATE:
        if action.target_id is None:
            _skipped(
                decisions,
                step=step,
                kind="template",
                source=source,
                why=f"{action.target_name or 'the template'} is gone or inactive",
            )
            return
        if _automatic_mail_forbidden(decisions):
            # RFC 3834 §2: the loop guard found this sender must get no automatic mail
            # (auto-submitted, bulk, a robot, ourselves); a template reply is automatic mail.
            _skipped(
                decisions,
                step=step,
                kind="template",
                source=source,
                why=f"{action.target_name}: no automatic mail to this sender",
            )
            return
        if action.target_id not in decisions.template_ids:
            decisions.template_ids.append(action.target_id)
            decisions.record(
                step=step, kind="template", value=action.target_name, source=source, reason=reason
            )
    elif kind == ActionKind.SKIP_ACK:
        decisions.acknowledge = False
        decisions.record(
            step=step, kind="acknowledge", value="skipped", source=source, reason=reason
        )
    elif kind == ActionKind.MARK_SPAM:
        decisions.outcome = Outcome.SPAM
        decisions.record(step=step, kind="spam", value="yes", source=source, reason=reason)
    elif kind == ActionKind.NEEDS_TRIAGE:
        decisions.triage(step=step, reason=f"rule: {rule.name}", source=source)
    else:
        logger.warning("rule %s has an action of unknown kind %r; skipped", rule.id, kind)


def _settle_triage(
    decisions: Decisions, *, label: str, step: str, source: str, rule: RuleSpec
) -> None:
    """Drop the triage reasons about *label*: the rule decided that field."""
    prefix = f"{label}:"
    if not any(r.startswith(prefix) for r in decisions.triage_reasons):
        return
    decisions.triage_reasons[:] = [r for r in decisions.triage_reasons if not r.startswith(prefix)]
    if decisions.triage_reasons:
        decisions.record(
            step=step,
            kind="needs_triage",
            value="yes",
            source=source,
            reason=f"{label} set by rule “{rule.name}”; still: {'; '.join(decisions.triage_reasons)}",
        )
        return
    decisions.needs_triage = False
    decisions.record(
        step=step,
        kind="needs_triage",
        value="no",
        source=source,
        reason=f"{label} set by rule “{rule.name}”",
    )


def _automatic_mail_forbidden(decisions: Decisions) -> bool:
    return any(
        d.step == loop_guard.NAME and d.kind == "acknowledge" and d.value == "no"
        for d in decisions.log
    )


def _skipped(decisions: Decisions, *, step: str, kind: str, source: str, why: str) -> None:
    decisions.record(step=step, kind=kind, value="skipped", source=source, reason=why)
