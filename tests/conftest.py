"""Shared fixtures: queues, mailboxes and a helper that feeds raw mail through intake."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "corpus"


def fixture_bytes(name: str) -> bytes:
    """Return the bytes of tests/fixtures/<name>."""
    return (FIXTURES / name).read_bytes()


def require_service(reason: str) -> None:
    """Skip on a developer's machine without the service; fail in CI (CI=true)."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"required service missing in CI: {reason}")
    pytest.skip(reason)


@pytest.fixture
def queues(db):
    from postroom.accounts.models import Queue

    support = Queue.objects.create(name="Technical Support", slug="support", is_default=True)
    billing = Queue.objects.create(name="Billing", slug="billing")
    return {"support": support, "billing": billing}


@pytest.fixture
def customer(db):
    """Anna Berg, a customer with one address."""
    from postroom.accounts.models import Customer, CustomerAddress

    anna = Customer.objects.create(name="Anna Berg")
    CustomerAddress.objects.create(customer=anna, address="anna@customer.example")
    return anna


@pytest.fixture
def mailboxes(queues):
    from postroom.mail.models import Mailbox, MailboxAddress

    support = Mailbox.objects.create(name="support", queue=queues["support"])
    MailboxAddress.objects.create(mailbox=support, address="support@example.test")
    billing = Mailbox.objects.create(name="billing", queue=queues["billing"])
    MailboxAddress.objects.create(mailbox=billing, address="billing@example.test")
    return {"support": support, "billing": billing}


@pytest.fixture(autouse=True)
def _fresh_address_table():
    """Forget cached mailbox addresses between tests (each test rolls its rows back)."""
    from postroom.mail.store import mailbox_addresses_changed

    mailbox_addresses_changed()
    yield
    mailbox_addresses_changed()


@pytest.fixture(autouse=True)
def _fresh_rules():
    """Forget cached routing rules and slugs between tests (rolled-back rows send no signal)."""
    from postroom.routing.rules import rule_lookups_forget, rules_forget

    rules_forget()
    rule_lookups_forget()
    yield
    rules_forget()
    rule_lookups_forget()


@pytest.fixture
def small_routing_models(settings, tmp_path):
    """Train words-only routing models (fast) into a data folder of the test's own."""
    from postroom.routing.versions import routing_models_forget

    settings.DATA_DIR = tmp_path
    settings.POSTROOM = {**settings.POSTROOM, "ROUTING_SENTENCES": False, "ROUTING_MIN_TRAINING": 30}
    routing_models_forget()
    yield
    routing_models_forget()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Empty Django's cache around each test: sign-in failures and inbox counts live there."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _fresh_sla_policy_flag():
    """Forget whether SLA policies exist between tests (rolled-back rows send no signal)."""
    from postroom.sla.due import _active_cache

    _active_cache.clear()
    yield
    _active_cache.clear()


@pytest.fixture
def billing_template(db):
    """A reply template the billing team sends, in English."""
    from postroom.replies.models import ReplyTemplate, ReplyTemplateVariant

    template = ReplyTemplate.objects.create(name="Billing")
    ReplyTemplateVariant.objects.create(template=template, language="en",
                                        body="Hi {{ customer.first_name }}, billing will answer {{ ticket.reference }}.")
    return template


@pytest.fixture
def payment_rule(queues, billing_template):
    """The classic example: payment trouble goes to Billing, with the Billing template."""
    from postroom.routing.models import (
        ActionKind,
        ConditionField,
        Operator,
        Rule,
        RuleAction,
        RuleCondition,
    )

    rule = Rule.objects.create(name="payment issue", match=Rule.Match.ANY, position=10)
    RuleCondition.objects.create(rule=rule, field=ConditionField.SUBJECT_OR_BODY, operator=Operator.CONTAINS,
                                 value="payment")
    RuleCondition.objects.create(rule=rule, field=ConditionField.SUBJECT_OR_BODY, operator=Operator.IN_LIST,
                                 value="payment, charged twice, refund")
    RuleAction.objects.create(rule=rule, kind=ActionKind.SET_QUEUE, queue=queues["billing"])
    RuleAction.objects.create(rule=rule, kind=ActionKind.SEND_TEMPLATE, template=billing_template)
    return rule
