"""Keep routing's per-process caches right when admins change rules, categories or queues."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Model
from django.db.models.signals import post_delete, post_save

from postroom.accounts.models import Queue
from postroom.replies.models import ReplyTemplate
from postroom.routing.models import Category, Rule, RuleAction, RuleCondition
from postroom.routing.rules import rule_lookups_forget, rules_forget


def rules_changed(**_: object) -> None:
    """Forget the cached rules now and again once the change is committed.

    Again after commit: another thread may have reloaded the old rows between the save
    and the commit, and would otherwise keep them until the cache expires.
    """
    rules_forget()
    transaction.on_commit(rules_forget)


def rule_targets_changed(**_: object) -> None:
    """Forget cached slugs and rules (a category, queue or reply template changed: the
    cached rules carry their names and whether a template is active)."""
    rule_lookups_forget()
    rules_forget()
    transaction.on_commit(rule_lookups_forget)
    transaction.on_commit(rules_forget)


def connect() -> None:
    """Connect the cache-invalidating receivers (called from RoutingConfig.ready)."""
    rule_models: tuple[type[Model], ...] = (Rule, RuleCondition, RuleAction)
    target_models: tuple[type[Model], ...] = (Category, Queue, ReplyTemplate)
    for model in rule_models:
        post_save.connect(rules_changed, sender=model, dispatch_uid=f"rules-save-{model.__name__}")
        post_delete.connect(rules_changed, sender=model, dispatch_uid=f"rules-del-{model.__name__}")
    for model in target_models:
        post_save.connect(
            rule_targets_changed, sender=model, dispatch_uid=f"rule-targets-save-{model.__name__}"
        )
        post_delete.connect(
            rule_targets_changed, sender=model, dispatch_uid=f"rule-targets-del-{model.__name__}"
        )
