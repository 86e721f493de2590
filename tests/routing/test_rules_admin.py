"""The rule editor and its "Test against a message" page, as an admin uses them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from postroom.mail.models import OutboundMessage, RawMessage
from postroom.replies.models import ReplyTemplate
from postroom.routing.models import (
    ConditionField,
    Operator,
    Rule,
    RuleCondition,
)
from postroom.tickets.models import Ticket, TicketEvent
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


def _form(name="payment issue", conditions=(), actions=(), **rule):
    data = {"name": name, "enabled": "on", "position": "10", "match": "any", "_save": "Save"}
    data.update(rule)
    for prefix, rows in (("conditions", conditions), ("actions", actions)):
        data |= {f"{prefix}-TOTAL_FORMS": str(len(rows)), f"{prefix}-INITIAL_FORMS": "0",
                 f"{prefix}-MIN_NUM_FORMS": "0", f"{prefix}-MAX_NUM_FORMS": "1000"}
        for i, row in enumerate(rows):
            data |= {f"{prefix}-{i}-{key}": value for key, value in row.items()}
    return data


# -- the editor --------------------------------------------------------------------------------


def test_an_admin_creates_a_rule_with_conditions_and_actions(admin_client, queues, billing_template):
    response = admin_client.post(reverse("admin:routing_rule_add"), _form(
        conditions=[
            {"field": "text", "name": "", "operator": "contains", "value": "payment"},
            {"field": "text", "name": "", "operator": "in_list", "value": "payment, charged twice, refund"},
            {"field": "header", "name": "X-Shop", "operator": "exists", "value": ""},
        ],
        actions=[
            {"kind": "set_queue", "queue": str(queues["billing"].pk), "value": ""},
            {"kind": "send_template", "template": str(billing_template.pk), "value": ""},
            {"kind": "set_priority", "value": "High"},
        ],
    ))
    assert response.status_code == 302, response.context["errors"] if response.context else response
    rule = Rule.objects.get(name="payment issue")
    assert [(c.field, c.operator, c.name) for c in rule.conditions.all()] == [
        ("text", "contains", ""), ("text", "in_list", ""), ("header", "exists", "X-Shop")]
    assert [(a.kind, a.queue_id, a.template_id, a.value) for a in rule.actions.all()] == [
        ("set_queue", queues["billing"].pk, None, ""), ("send_template", None, billing_template.pk, ""),
        ("set_priority", None, None, "high")]


def test_the_rule_list_shows_position_state_summary_and_hits(admin_client, payment_rule):
    response = admin_client.get(reverse("admin:routing_rule_changelist"))
    page = response.content.decode()
    assert response.status_code == 200
    assert "When Subject or body contains “payment” or Subject or body contains one of" in page
    assert "Move to queue (team): Billing; Reply with template: Billing" in page
    assert 'name="form-0-position"' in page and 'name="form-0-enabled"' in page
    assert reverse("admin:routing_rule_test") in page


@pytest.mark.parametrize(
    ("conditions", "actions", "message"),
    [
        ([{"field": "subject", "operator": "regex", "value": "charged(twice"}], [], "Not a valid regular expression"),
        ([{"field": "header", "name": "", "operator": "exists", "value": ""}], [], "Name the header"),
        ([{"field": "header", "name": "X Bad:", "operator": "exists", "value": ""}], [], "Not a header name"),
        ([{"field": "fact", "name": "shoe_size", "operator": "exists", "value": ""}], [], "Unknown fact kind"),
        ([{"field": "subject", "name": "X-Foo", "operator": "contains", "value": "x"}], [], "take a name"),
        ([{"field": "subject", "operator": "contains", "value": " "}], [], "Give a value"),
        ([{"field": "subject", "operator": "missing", "value": "x"}], [], "take no value"),
        ([{"field": "subject", "operator": "in_list", "value": " , ,"}], [], "at least one item"),
        ([], [{"kind": "set_queue", "value": ""}], "Choose the queue"),
        ([], [{"kind": "set_priority", "value": "asap"}], "Not a priority"),
        ([], [{"kind": "send_template", "value": ""}], "Choose the reply template"),
        ([], [{"kind": "add_tag", "value": ""}], "Give the tag"),
        ([], [{"kind": "skip_ack", "value": "oops"}], "does not use this"),
    ],
)
def test_the_editor_shows_what_is_wrong(admin_client, queues, conditions, actions, message):
    conditions = [{"name": "", **c} for c in conditions]
    response = admin_client.post(reverse("admin:routing_rule_add"), _form(conditions=conditions, actions=actions))
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Rule.objects.exists()


def test_saving_a_rule_without_conditions_warns_that_it_never_applies(admin_client, queues):
    response = admin_client.post(reverse("admin:routing_rule_add"), _form(), follow=True)
    assert "never applies" in response.content.decode()


def test_the_rule_page_links_to_its_test_page(admin_client, payment_rule):
    page = admin_client.get(reverse("admin:routing_rule_change", args=[payment_rule.pk])).content.decode()
    assert reverse("admin:routing_rule_test_rule", args=[payment_rule.pk]) in page


# -- the test page ---------------------------------------------------------------------------------

PAYMENT_MAIL = build_mail(subject="I was charged twice", body="Please refund one <b>payment</b>.\n",
                          message_id="pay-1@customer.test")


def _writes(queries) -> list[str]:
    """Return the statements that wrote, other than the session's own bookkeeping."""
    verbs = ("INSERT", "UPDATE", "DELETE", "REPLACE")
    return [q["sql"] for q in queries
            if q["sql"].lstrip().upper().startswith(verbs) and "django_session" not in q["sql"]]


def test_a_pasted_message_shows_each_condition_the_match_and_the_final_decisions_and_writes_nothing(
    admin_client, mailboxes, payment_rule
):
    other = Rule.objects.create(name="vip only", position=20)
    RuleCondition.objects.create(rule=other, field=ConditionField.CUSTOMER_TIER, operator=Operator.EQUALS,
                                 value="vip")
    url = reverse("admin:routing_rule_test_rule", args=[payment_rule.pk])
    counts = [m.objects.count() for m in (RawMessage, Ticket, TicketEvent, OutboundMessage)]

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.post(url, {"raw": PAYMENT_MAIL.decode(), "raw_id": "", "ticket": ""})

    page = response.content.decode()
    assert response.status_code == 200
    assert "10. payment issue — matched (applied) · the rule you are editing" in page
    assert 'aria-current="true"' in page
    assert "✘ did not hold: Subject or body contains “payment”" not in page
    assert "✔ held: Subject or body contains “payment”" in page
    assert "Actions taken:" in page and "Move to queue (team): Billing" in page
    assert "20. vip only — did not match (no match)" in page
    assert "✘ did not hold: Customer tier equals “vip”" in page
    assert "<th scope=\"row\">Queue</th><td>Billing</td>" in page
    assert "<th scope=\"row\">Reply templates</th><td>Billing</td>" in page
    assert _writes(queries.captured_queries) == []
    assert [m.objects.count() for m in (RawMessage, Ticket, TicketEvent, OutboundMessage)] == counts
    payment_rule.refresh_from_db()
    assert payment_rule.hits == 0


def test_a_stored_message_is_picked_by_raw_id_or_ticket_reference(admin_client, mailboxes, payment_rule):
    raw = deliver(PAYMENT_MAIL)
    url = reverse("admin:routing_rule_test")
    by_id = admin_client.post(url, {"raw": "", "raw_id": str(raw.pk), "ticket": ""}).content.decode()
    by_reference = admin_client.post(url, {"raw": "", "raw_id": "", "ticket": raw.ticket.reference}).content.decode()
    for page in (by_id, by_reference):
        assert "10. payment issue — matched (applied)" in page
        assert "I was charged twice" in page


def test_mail_content_on_the_test_page_is_escaped(admin_client, mailboxes, payment_rule):
    hostile = build_mail(subject="<script>alert(1)</script> payment")
    page = admin_client.post(reverse("admin:routing_rule_test"), {"raw": hostile.decode()}).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; payment" in page


def test_a_disabled_rule_under_test_is_evaluated_but_marked_as_not_running(admin_client, mailboxes, payment_rule):
    payment_rule.enabled = False
    payment_rule.save()
    url = reverse("admin:routing_rule_test_rule", args=[payment_rule.pk])
    page = admin_client.post(url, {"raw": PAYMENT_MAIL.decode()}).content.decode()
    assert "payment issue — matched (disabled)" in page
    assert "it does not run" in page


def test_the_test_page_asks_for_exactly_one_message(admin_client, mailboxes):
    url = reverse("admin:routing_rule_test")
    assert admin_client.get(url).status_code == 200
    assert "Paste a message" in admin_client.post(url, {"raw": " "}).content.decode()
    assert "Give one message only" in admin_client.post(url, {"raw": "x", "raw_id": "3"}).content.decode()
    assert "Write a ticket number like" in admin_client.post(url, {"ticket": "ABC"}).content.decode()
    assert "No ticket" in admin_client.post(url, {"ticket": "PR-424242"}).content.decode()


def test_only_admins_who_may_change_rules_may_test_them(client, django_user_model, mailboxes):
    staff = django_user_model.objects.create_user("viewer", password="pw", is_staff=True)
    client.force_login(staff)
    assert client.get(reverse("admin:routing_rule_test")).status_code == 403


# -- the other routing and reply-template pages -------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["routing_category", "routing_product", "routing_routingmodel", "routing_routingfeedback",
     "replies_replytemplate", "routing_rule"],
)
def test_routing_and_template_admin_pages_render(admin_client, name):
    assert admin_client.get(reverse(f"admin:{name}_changelist")).status_code == 200


def test_read_only_records_cannot_be_added(admin_client):
    assert admin_client.get(reverse("admin:routing_routingmodel_add")).status_code == 403
    assert admin_client.get(reverse("admin:routing_routingfeedback_add")).status_code == 403


def test_a_category_takes_its_required_facts_comma_separated(admin_client):
    from postroom.routing.models import Category

    url = reverse("admin:routing_category_add")
    bad = admin_client.post(url, {"name": "Sync", "slug": "sync", "required_facts": "firmware_version, shoe"})
    assert "Unknown fact kind: shoe" in bad.content.decode()
    admin_client.post(url, {"name": "Sync", "slug": "sync", "required_facts": "firmware_version, app_version"})
    assert Category.objects.get(slug="sync").required_facts == ["firmware_version", "app_version"]


def test_a_template_variant_with_broken_syntax_is_refused(admin_client):
    data = {"name": "Broken", "active": "on",
            "variants-TOTAL_FORMS": "1", "variants-INITIAL_FORMS": "0", "variants-MIN_NUM_FORMS": "1",
            "variants-MAX_NUM_FORMS": "1000",
            "variants-0-language": "en", "variants-0-subject": "", "variants-0-body": "Hi {% debug %}"}
    response = admin_client.post(reverse("admin:replies_replytemplate_add"), data)
    assert "Not a valid template" in response.content.decode()
    assert not ReplyTemplate.objects.filter(name="Broken").exists()
