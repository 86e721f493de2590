"""Dry-run the rules against one message for the admin's "Test against a message" page.

Runs the whole intake pipeline (`pipeline_decide`, which writes nothing) with the rules
step instrumented, inside a transaction that is always rolled back — so even a step that
forgot the rule cannot leave a row behind — and reports, for every active rule (and the
rule being edited, even when disabled), which conditions held, whether it matched and
what it did or would do.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction

from postroom.mail.models import Outcome
from postroom.mail.parsing.types import ParsedMail
from postroom.mail.pipeline.decisions import Decision, Decisions, IntakeContext
from postroom.routing.rules import (
    MessageView,
    RuleResult,
    RuleSpec,
    message_view,
    rule_evaluate,
    rule_spec,
    rules_active,
    rules_with_parts,
)


class RowStatus:
    APPLIED = "applied"
    NO_MATCH = "no match"
    NOT_REACHED = "not reached"
    NOT_RUN = "not run"
    DISABLED = "disabled"


@dataclass(frozen=True)
class PreviewRow:
    """One rule's line on the test page."""

    rule: RuleSpec
    result: RuleResult
    status: str
    note: str = ""
    current: bool = False  # the rule being edited

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(str(a) for a in self.rule.actions)


@dataclass(frozen=True)
class RulePreview:
    """What the pipeline would decide for a message, and each rule's part in it."""

    mail: ParsedMail
    decisions: Decisions
    rows: tuple[PreviewRow, ...]
    rules_ran: bool
    note: str  # why the rules did not run, when they did not
    summary: tuple[tuple[str, str], ...]  # (label, value) of the final decisions

    @property
    def log(self) -> tuple[Decision, ...]:
        return tuple(self.decisions.log)


class _RulesRecorder:
    """Stands in for the rules step: runs it and keeps what it saw and found."""

    def __init__(self, rules: tuple[RuleSpec, ...]) -> None:
        from postroom.mail.pipeline.steps import rules as rules_step

        self.NAME = rules_step.NAME
        self._step = rules_step
        self.rules = rules
        self.view: MessageView | None = None
        self.outcome: str | None = None
        self.reached = False
        self.results: tuple[RuleResult, ...] = ()

    def run(self, mail: ParsedMail, decisions: Decisions) -> None:
        self.reached = True
        self.outcome = decisions.outcome
        self.view = message_view(mail, decisions)
        if decisions.outcome is Outcome.TICKET and self.rules:
            self.results = self._step.rules_run(mail=mail, decisions=decisions, rules=self.rules)


def rule_preview(*, data: bytes, context: IntakeContext, rule_id: int | None = None) -> RulePreview:
    """Return what intake would decide for *data* and how each rule took part; writes nothing.

    Raises `StepFailed` when a step fails on the message.
    """
    from postroom.mail import pipeline
    from postroom.mail.pipeline.runner import pipeline_decide
    from postroom.mail.pipeline.steps import rules as rules_step

    rules = rules_active()
    recorder = _RulesRecorder(rules)
    steps = [recorder if step is rules_step else step for step in pipeline.STEPS]
    if recorder not in steps:  # the rules step is not wired into STEPS (yet): run it last
        steps.append(recorder)
    with transaction.atomic():
        explanation = pipeline_decide(data=data, context=context, steps=steps)
        view = recorder.view or message_view(explanation.mail, explanation.decisions)
        rows = _rows(recorder, view=view, rule_id=rule_id)
        summary = _summary(explanation.decisions)
        transaction.set_rollback(True)
    rules_ran = recorder.reached and recorder.outcome is Outcome.TICKET
    if not recorder.reached:
        outcome = explanation.decisions.outcome
        note = f"The pipeline stopped before the rules (outcome: {outcome or 'none'}); rules did not run."
    elif not rules_ran:
        note = f"Rules apply to new tickets only; this message is a {recorder.outcome or 'message without outcome'}."
    else:
        note = ""
    return RulePreview(
        mail=explanation.mail,
        decisions=explanation.decisions,
        rows=rows,
        rules_ran=rules_ran,
        note=note,
        summary=summary,
    )


def _rows(
    recorder: _RulesRecorder, *, view: MessageView, rule_id: int | None
) -> tuple[PreviewRow, ...]:
    ran = recorder.reached and recorder.outcome is Outcome.TICKET
    evaluated = {r.rule.id: r for r in recorder.results}
    rows: list[PreviewRow] = []
    for rule in recorder.rules:
        current = rule.id == rule_id
        if rule.id in evaluated:
            result = evaluated[rule.id]
            status = RowStatus.APPLIED if result.matched else RowStatus.NO_MATCH
            rows.append(PreviewRow(rule=rule, result=result, status=status, current=current))
            continue
        result = rule_evaluate(rule, view)
        if ran:
            rows.append(
                PreviewRow(
                    rule=rule,
                    result=result,
                    status=RowStatus.NOT_REACHED,
                    current=current,
                    note="An earlier rule ended rule processing.",
                )
            )
        else:
            rows.append(
                PreviewRow(
                    rule=rule,
                    result=result,
                    status=RowStatus.NOT_RUN,
                    current=current,
                    note="Rules did not run on this message.",
                )
            )
    if rule_id is not None and all(row.rule.id != rule_id for row in rows):
        edited = rules_with_parts().filter(pk=rule_id).first()
        if edited is not None:
            spec = rule_spec(edited)
            rows.append(
                PreviewRow(
                    rule=spec,
                    result=rule_evaluate(spec, view),
                    status=RowStatus.DISABLED,
                    current=True,
                    note="This rule is disabled: shown for testing, it does not run.",
                )
            )
    return tuple(rows)


def _summary(decisions: Decisions) -> tuple[tuple[str, str], ...]:
    from django.contrib.auth import get_user_model

    from postroom.mail.store import queue_name
    from postroom.replies.models import ReplyTemplate
    from postroom.routing.models import Category, Rule

    category = ""
    if decisions.category_id:
        category = (
            Category.objects.filter(pk=decisions.category_id).values_list("name", flat=True).first()
            or ""
        )
    assignee = ""
    if decisions.assignee_id:
        user = get_user_model().objects.filter(pk=decisions.assignee_id).first()
        assignee = (
            (user.get_full_name() or user.get_username())
            if user is not None
            else str(decisions.assignee_id)
        )
    names = dict(
        ReplyTemplate.objects.filter(pk__in=decisions.template_ids).values_list("pk", "name")
    )
    rule_names = dict(Rule.objects.filter(pk__in=decisions.rule_hits).values_list("pk", "name"))
    triage = "yes — " + "; ".join(decisions.triage_reasons) if decisions.needs_triage else "no"
    return (
        ("Outcome", str(decisions.outcome or "")),
        ("Queue", queue_name(decisions.queue_id) if decisions.queue_id else ""),
        ("Category", category),
        ("Priority", decisions.priority or "normal"),
        ("Language", decisions.language),
        ("Tags", ", ".join(decisions.tags)),
        ("Assignee", assignee),
        ("Reply templates", ", ".join(names.get(pk, str(pk)) for pk in decisions.template_ids)),
        ("Acknowledgement", "send" if decisions.acknowledge else "skip"),
        ("Needs triage", triage),
        (
            "Rules applied",
            ", ".join(f"{rule_names.get(pk, '?')} (#{pk})" for pk in decisions.rule_hits),
        ),
    )
