"""Evaluate admins' rules against a message: pure reads, nothing is written (issue #3).

A rule is a list of conditions ("subject contains refund") joined by *all* or *any*, and
a list of actions. This module only answers "does it match, and which condition held";
`rule_actions` turns a match into decisions, and the pipeline's `rules` step runs both.

Semantics an admin relies on (the admin's help texts repeat them):

- Every comparison is case-insensitive.
- A rule without conditions never matches: an empty rule half-written in the admin must
  not move every message in the desk.
- Some fields have several values (recipients, a header that occurs twice, facts,
  attachment names, and "subject or body", which is both). A positive test (contains,
  equals, starts/ends with, is one of, regex) holds when *any* value passes; a negative
  one (does not contain, does not equal) holds when *no* value matches. An empty field
  has no values: "does not contain" holds on it and "contains" does not.
- "is one of" takes a comma-separated list (items trimmed). On free text (subject, body,
  subject or body) it means "contains one of" — whole-subject equality is almost never
  what is meant; on every other field it means "equals one of".
- A regular expression that does not compile makes its condition false (and is logged);
  it is run on the first 20,000 characters only, since Python's `re` has no timeout and
  a careless pattern can backtrack for a very long time on a long body.

Active rules are loaded once per process and cached: this runs for every message. Saving
or deleting a rule, condition or action forgets the cache in the saving process
(`postroom.routing.signals`); other processes (workers) reload at least every 30 s.
"""

from __future__ import annotations

import functools
import logging
import re
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Protocol

from django.db.models import Prefetch, QuerySet

from postroom.routing.models import ActionKind, ConditionField, Operator, Rule, RuleAction

if TYPE_CHECKING:
    from postroom.mail.parsing.types import ParsedMail
    from postroom.mail.pipeline.decisions import Decisions

logger = logging.getLogger(__name__)

REGEX_TEXT_LIMIT = 20_000
CUSTOMER_FIELDS = frozenset({ConditionField.CUSTOMER_TIER, ConditionField.CUSTOMER_NAME})
# Free text: "is one of" means "contains one of" here (see the module docstring).
FREE_TEXT_FIELDS = frozenset(
    {ConditionField.SUBJECT, ConditionField.BODY, ConditionField.SUBJECT_OR_BODY}
)
NAMED_FIELDS = frozenset({ConditionField.HEADER, ConditionField.FACT})
VALUELESS_OPERATORS = frozenset({Operator.EXISTS, Operator.MISSING})
_NEGATED: dict[str, str] = {
    Operator.NOT_CONTAINS: Operator.CONTAINS,
    Operator.NOT_EQUALS: Operator.EQUALS,
}


@dataclass(frozen=True)
class MessageView:
    """What a rule's conditions can see of a message, flattened to strings."""

    sender: str = ""
    sender_domain: str = ""
    recipients: tuple[str, ...] = ()  # To, Cc and the envelope recipients, lower-cased
    subject: str = ""
    body: str = ""  # the new text (quotes and signature removed), else the full text
    headers: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # lower-cased names
    language: str = ""
    category: str = ""  # slug
    queue: str = ""  # slug
    priority: str = ""
    facts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    customer_tier: str = ""
    customer_name: str = ""
    attachments: tuple[str, ...] = ()  # file names


@dataclass(frozen=True)
class ConditionSpec:
    """One condition of a rule, as loaded from the database."""

    field: str
    operator: str
    value: str = ""
    name: str = ""
    id: int | None = None

    def __str__(self) -> str:
        return condition_summary(self)


@dataclass(frozen=True)
class ActionSpec:
    """One action of a rule; `target_id` is the queue, category, agent or template."""

    kind: str
    target_id: int | None = None
    target_name: str = ""
    value: str = ""
    id: int | None = None

    def __str__(self) -> str:
        return action_summary(self)


@dataclass(frozen=True)
class RuleSpec:
    """A rule with its conditions and actions, detached from the ORM (cached, shared)."""

    id: int
    name: str
    match: str = Rule.Match.ALL
    stop_processing: bool = False
    enabled: bool = True
    position: int = 100
    conditions: tuple[ConditionSpec, ...] = ()
    actions: tuple[ActionSpec, ...] = ()


@dataclass(frozen=True)
class ConditionResult:
    condition: ConditionSpec
    held: bool


@dataclass(frozen=True)
class RuleResult:
    """Whether a rule matched a message, and the result of each of its conditions."""

    rule: RuleSpec
    matched: bool
    conditions: tuple[ConditionResult, ...]


class ConditionLike(Protocol):
    """A condition as a `ConditionSpec` or a `RuleCondition` row."""

    @property
    def field(self) -> str: ...
    @property
    def operator(self) -> str: ...
    @property
    def value(self) -> str: ...
    @property
    def name(self) -> str: ...


# -- the message as rules see it ------------------------------------------------------


def message_view(
    mail: ParsedMail, decisions: Decisions, *, with_customer: bool = True
) -> MessageView:
    """Return what rules may test of *mail* and of the decisions taken so far.

    *with_customer* looks the sender's customer up (one indexed query); the step skips
    it when no active rule tests the customer.
    """
    sender = (mail.from_address or decisions.context.envelope_from or "").strip().lower()
    if sender == "<>":
        sender = ""
    recipients: dict[str, None] = {}
    for address in (*mail.to, *mail.cc, *decisions.context.envelope_to):
        address = address.strip().lower()
        if address:
            recipients[address] = None
    tier, name = _customer_of(sender) if with_customer and sender else ("", "")
    base = MessageView(
        sender=sender,
        sender_domain=sender.rpartition("@")[2],
        recipients=tuple(recipients),
        subject=mail.subject,
        body=mail.visible_text or mail.text,
        headers=mail.headers,
        customer_tier=tier,
        customer_name=name,
        attachments=tuple(a.filename for a in mail.attachments if a.filename),
    )
    return message_view_refresh(base, decisions)


def message_view_refresh(view: MessageView, decisions: Decisions) -> MessageView:
    """Return *view* with the fields that steps and earlier rules decide brought up to date."""
    lookups = _lookups()
    return replace(
        view,
        language=decisions.language,
        category=lookups.category_slugs.get(decisions.category_id, "")
        if decisions.category_id
        else "",
        queue=lookups.queue_slugs.get(decisions.queue_id, "") if decisions.queue_id else "",
        priority=decisions.priority or "normal",
        facts={kind: tuple(values) for kind, values in decisions.facts.items()},
    )


def _customer_of(address: str) -> tuple[str, str]:
    """Return (tier, name) of the customer owning *address*, ("", "") for a stranger."""
    from postroom.mail.pipeline.lookups import customer_tier_and_name

    return customer_tier_and_name(address)


# -- conditions -----------------------------------------------------------------------


def field_values(view: MessageView, field: str, name: str = "") -> tuple[str, ...]:
    """Return the values of *field* (header or fact *name*) in *view*; () when absent."""
    if field == ConditionField.HEADER:
        return tuple(view.headers.get(name.strip().lower(), ()))
    if field == ConditionField.FACT:
        key = name.strip()
        return tuple(view.facts.get(key, view.facts.get(key.lower(), ())))
    if field == ConditionField.TO:
        return view.recipients
    if field == ConditionField.ATTACHMENT_NAME:
        return view.attachments
    if field == ConditionField.SUBJECT_OR_BODY:
        return tuple(v for v in (view.subject, view.body) if v)
    singles: dict[str, str] = {
        ConditionField.FROM: view.sender,
        ConditionField.FROM_DOMAIN: view.sender_domain,
        ConditionField.SUBJECT: view.subject,
        ConditionField.BODY: view.body,
        ConditionField.LANGUAGE: view.language,
        ConditionField.CATEGORY: view.category,
        ConditionField.QUEUE: view.queue,
        ConditionField.PRIORITY: view.priority,
        ConditionField.CUSTOMER_TIER: view.customer_tier,
        ConditionField.CUSTOMER_NAME: view.customer_name,
    }
    single = singles.get(field, "")
    return (single,) if single else ()


def condition_holds(condition: ConditionLike, view: MessageView) -> bool:
    """Return True when *condition* holds for *view* (case-insensitive; see the module doc)."""
    operator = condition.operator
    values = field_values(view, condition.field, condition.name)
    if operator == Operator.EXISTS:
        return bool(values)
    if operator == Operator.MISSING:
        return not values
    if operator in _NEGATED:
        positive = _NEGATED[operator]
        return not any(_test(positive, condition, v) for v in values)
    return any(_test(operator, condition, v) for v in values)


def _test(operator: str, condition: ConditionLike, value: str) -> bool:
    if operator == Operator.REGEX:
        pattern = regex_compiled(condition.value)
        return pattern is not None and pattern.search(value[:REGEX_TEXT_LIMIT]) is not None
    text = value.casefold()
    wanted = condition.value.strip().casefold()
    if operator == Operator.CONTAINS:
        return wanted in text
    if operator == Operator.EQUALS:
        return text.strip() == wanted
    if operator == Operator.STARTS_WITH:
        return text.lstrip().startswith(wanted)
    if operator == Operator.ENDS_WITH:
        return text.rstrip().endswith(wanted)
    if operator == Operator.IN_LIST:
        items = list_items(condition.value)
        if condition.field in FREE_TEXT_FIELDS:
            return any(item in text for item in items)
        return text.strip() in items
    logger.warning("rule condition with unknown operator %r is false", operator)
    return False


def list_items(value: str) -> tuple[str, ...]:
    """Return the trimmed, case-folded, non-empty items of a comma-separated list."""
    return tuple(item for item in (part.strip().casefold() for part in value.split(",")) if item)


def regex_error(pattern: str) -> str:
    """Return why *pattern* does not compile, or "" when it does."""
    try:
        re.compile(pattern)
    except (re.error, RecursionError, OverflowError) as exc:
        return str(exc)
    return ""


@functools.lru_cache(maxsize=1024)
def regex_compiled(pattern: str) -> re.Pattern[str] | None:
    """Return *pattern* compiled case-insensitively once per process; None when invalid."""
    try:
        return re.compile(pattern, re.IGNORECASE)
    except (re.error, RecursionError, OverflowError) as exc:
        # Cached, so logged once per process and pattern, not once per message.
        logger.warning("rule regex %r does not compile (%s): its condition is false", pattern, exc)
        return None


def rule_evaluate(rule: RuleSpec, view: MessageView) -> RuleResult:
    """Return whether *rule* matches *view*, with the result of each condition.

    A rule without conditions never matches (a half-written rule must not hit every message).
    """
    results = tuple(ConditionResult(c, condition_holds(c, view)) for c in rule.conditions)
    if not results:
        matched = False
    elif rule.match == Rule.Match.ANY:
        matched = any(r.held for r in results)
    else:
        matched = all(r.held for r in results)
    return RuleResult(rule=rule, matched=matched, conditions=results)


# -- summaries (admin list, preview) -----------------------------------------------------


def condition_summary(condition: ConditionLike) -> str:
    """Return the condition as a short sentence: `Subject contains “refund”`."""
    label = (
        ConditionField(condition.field).label
        if condition.field in ConditionField.values
        else condition.field
    )
    label = str(label).replace(" (name below)", "").replace(" (kind below)", "")
    if condition.field in NAMED_FIELDS:
        label = f"{label} {condition.name}"
    if condition.operator == Operator.IN_LIST and condition.field in FREE_TEXT_FIELDS:
        op = "contains one of"
    elif condition.operator in Operator.values:
        op = str(Operator(condition.operator).label)
    else:
        op = condition.operator
    if condition.operator in VALUELESS_OPERATORS:
        return f"{label} {op}"
    return f"{label} {op} “{condition.value}”"


def action_summary(action: ActionSpec) -> str:
    """Return the action as a short phrase: `Move to queue (team) Billing`."""
    label = str(ActionKind(action.kind).label) if action.kind in ActionKind.values else action.kind
    target = action.target_name or action.value
    return f"{label}: {target}" if target else label


def rule_summary(rule: RuleSpec) -> str:
    """Return "when … then …" for *rule*, as the admin's rule list shows it."""
    if not rule.conditions:
        when = "never (no conditions)"
    else:
        joiner = " or " if rule.match == Rule.Match.ANY else " and "
        when = joiner.join(condition_summary(c) for c in rule.conditions)
    then = "; ".join(action_summary(a) for a in rule.actions) or "do nothing"
    stop = " (then stop)" if rule.stop_processing else ""
    return f"When {when} then {then}{stop}"


# -- loading and caching ------------------------------------------------------------------


def rule_spec(rule: Rule) -> RuleSpec:
    """Return *rule* detached from the ORM (uses prefetched conditions/actions when present)."""
    return RuleSpec(
        id=rule.pk,
        name=rule.name,
        match=rule.match,
        stop_processing=rule.stop_processing,
        enabled=rule.enabled,
        position=rule.position,
        conditions=tuple(
            ConditionSpec(id=c.pk, field=c.field, operator=c.operator, value=c.value, name=c.name)
            for c in rule.conditions.all()
        ),
        actions=tuple(_action_spec(a) for a in rule.actions.all()),
    )


def _action_spec(action: RuleAction) -> ActionSpec:
    target_id: int | None = None
    target_name = ""
    if action.kind == ActionKind.SET_QUEUE and action.queue is not None:
        target_id, target_name = action.queue.pk, action.queue.name
    elif action.kind == ActionKind.SET_CATEGORY and action.category is not None:
        target_id, target_name = action.category.pk, action.category.name
    elif action.kind == ActionKind.ASSIGN and action.agent is not None:
        agent = action.agent
        target_name = agent.get_full_name() or agent.get_username()
        # An agent who left gets no new tickets; the action is skipped (and says so).
        target_id = agent.pk if agent.is_active else None
        if not agent.is_active:
            target_name += " (inactive)"
    elif action.kind == ActionKind.SEND_TEMPLATE and action.template is not None:
        template = action.template
        target_id = template.pk if template.active else None
        target_name = template.name if template.active else f"{template.name} (inactive)"
    return ActionSpec(
        id=action.pk,
        kind=action.kind,
        target_id=target_id,
        target_name=target_name,
        value=action.value.strip(),
    )


def rules_with_parts() -> QuerySet[Rule]:
    """Return a queryset of rules with conditions and actions (and their targets) prefetched."""
    return Rule.objects.prefetch_related(
        "conditions",
        Prefetch(
            "actions",
            queryset=RuleAction.objects.select_related("queue", "category", "agent", "template"),
        ),
    )


def rules_active() -> tuple[RuleSpec, ...]:
    """Return the enabled rules in order (position, then id), cached per process."""
    return _rules_cache().rules


@dataclass(frozen=True)
class _RuleCache:
    rules: tuple[RuleSpec, ...]
    loaded_at: float


@dataclass(frozen=True)
class _Lookups:
    category_slugs: dict[int, str]
    queue_slugs: dict[int, str]
    loaded_at: float


# Other processes learn of a change by this age at the latest (signals reach only the
# process that saved; the store's mailbox directory does the same).
_TTL_SECONDS = 30.0
_lock = threading.Lock()
_rules: _RuleCache | None = None
_lookup_cache: _Lookups | None = None


def _rules_cache() -> _RuleCache:
    global _rules
    current = _rules
    if current is not None and time.monotonic() - current.loaded_at < _TTL_SECONDS:
        return current
    with _lock:
        loaded = tuple(
            rule_spec(r) for r in rules_with_parts().filter(enabled=True).order_by("position", "id")
        )
        _rules = _RuleCache(rules=loaded, loaded_at=time.monotonic())
        return _rules


def _lookups() -> _Lookups:
    global _lookup_cache
    current = _lookup_cache
    if current is not None and time.monotonic() - current.loaded_at < _TTL_SECONDS:
        return current
    with _lock:
        from postroom.accounts.models import Queue
        from postroom.routing.models import Category

        _lookup_cache = _Lookups(
            category_slugs=dict(Category.objects.values_list("pk", "slug")),
            queue_slugs=dict(Queue.objects.values_list("pk", "slug")),
            loaded_at=time.monotonic(),
        )
        return _lookup_cache


def rules_forget() -> None:
    """Forget the cached rules (a rule, condition or action changed)."""
    global _rules
    _rules = None


def rule_lookups_forget() -> None:
    """Forget the cached category and queue slugs (a category or queue changed)."""
    global _lookup_cache
    _lookup_cache = None
