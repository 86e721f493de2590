"""Triage in a real Chromium: an admin writes the classic rule (payment → Billing) in the
rules editor, tests it against a message, and mail follows it; an agent works the Needs
triage view and their correction is recorded for the next model."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission

from postroom.routing.models import Category, RoutingFeedback, Rule
from postroom.tickets.models import Ticket
from tests.browser.test_admin_desk import PASSWORD, outbox, sign_in, staff_member  # noqa: F401
from tests.mail.builders import build_mail, deliver

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAYMENT_MAIL = build_mail(subject="Charged twice", body="Hello, I was charged twice for my order, "
                                                        "please refund one payment.").decode()


@pytest.fixture
def admin_user(django_user_model, mailboxes):
    return django_user_model.objects.create_superuser("ada", "ada@example.test", PASSWORD)


def test_admin_writes_a_rule_tests_it_and_mail_follows_it(page, live_server, admin_user, queues):
    sign_in(page, live_server, admin_user)
    page.goto(f"{live_server.url}/admin/routing/rule/add/")
    page.fill("#id_name", "Payment issues go to Billing")
    page.select_option("#id_conditions-0-field", "text")
    page.select_option("#id_conditions-0-operator", "in_list")
    page.fill("#id_conditions-0-value", "payment, charged twice, refund")
    page.select_option("#id_actions-0-kind", "set_queue")
    page.select_option("#id_actions-0-queue", label="Billing")
    page.click("input[name=_continue]")
    page.wait_for_selector("text=was added successfully")
    rule = Rule.objects.get()
    assert rule.conditions.count() == 1 and rule.actions.count() == 1

    page.click("text=Test against a message")
    page.fill("textarea[name=raw]", PAYMENT_MAIL)
    page.click("input[type=submit][value=Test]")
    heading = page.locator(f"#rule-{rule.pk}")
    assert "— matched" in heading.inner_text()
    assert "Billing" in page.content()
    assert not Ticket.objects.exists()  # the test page writes nothing

    raw = deliver(PAYMENT_MAIL.encode())
    assert raw.ticket.queue == queues["billing"]
    assert raw.ticket.events.filter(source=f"rule:{rule.pk}").exists()


def test_agent_triages_an_unsure_ticket_and_the_correction_is_kept(page, live_server, django_user_model,
                                                                 queues, mailboxes):
    agent = staff_member(django_user_model, "mia", queues["support"])
    agent.user_permissions.add(*Permission.objects.filter(codename="view_category"))
    battery = Category.objects.create(slug="battery", name="Battery")
    Category.objects.create(slug="sync", name="Sync")
    unsure = Ticket.objects.create(
        subject="Watch dies by noon", queue=queues["support"], needs_triage=True,
        auto_fields={"category": {"value": "Sync", "source": "classifier:v1 p=0.38"}},
        category=Category.objects.get(slug="sync"),
    )
    Ticket.objects.create(subject="Routed fine", queue=queues["support"])
    sign_in(page, live_server, agent)
    page.goto(f"{live_server.url}/admin/tickets/ticket/?view=triage")
    assert page.locator("text=Watch dies by noon").count() == 1
    assert page.locator("text=Routed fine").count() == 0
    page.click(f"a:text('{unsure.reference}')")
    page.wait_for_selector("#id_category")
    assert "classifier:v1 p=0.38" in page.locator("#content-main").inner_text()
    page.select_option("#id_category", label="Battery")
    page.click("input[name=_save]")
    page.wait_for_selector("text=was changed successfully")
    unsure.refresh_from_db()
    assert unsure.category == battery and not unsure.needs_triage
    assert RoutingFeedback.objects.get().corrected == "battery"
    page.goto(f"{live_server.url}/admin/tickets/ticket/?view=triage")
    assert page.locator("text=Watch dies by noon").count() == 0
