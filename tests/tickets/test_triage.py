"""Needs triage: unsure tickets wait for a person; an agent's change of an automatic
decision is recorded as feedback for the next model, and settles the triage."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import include, path, reverse

from postroom.routing.models import Category, RoutingFeedback
from postroom.tickets.models import EventKind, Ticket
from postroom.tickets.services import ticket_fields_change, ticket_triage_done
from tests.tickets.test_admin import staff_user

urlpatterns = [
    path("desk/sla/", include("postroom.sla.urls")),
    path("desk/", include("postroom.desk.urls")),
    path("desk/", include("postroom.tickets.urls")),
    path("", admin.site.urls),
]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def categories(db):
    return {slug: Category.objects.create(slug=slug, name=slug.title()) for slug in ("battery", "sync")}


@pytest.fixture
def unsure(queues, categories):
    return Ticket.objects.create(
        subject="It is broken", queue=queues["support"], needs_triage=True, category=categories["sync"],
        auto_fields={"category": {"value": "Sync", "source": "classifier:v2 p=0.41"}},
    )


@pytest.fixture
def agent(django_user_model, queues):
    return staff_user(django_user_model, "mia", queues["support"])


def test_agent_correction_of_an_automatic_category_is_feedback(unsure, categories, agent):
    changed = ticket_fields_change(ticket=unsure, changes={"category": categories["battery"]}, actor=agent)
    assert changed == ["category"]
    feedback = RoutingFeedback.objects.get()
    assert (feedback.field, feedback.decided, feedback.corrected) == ("category", "sync", "battery")
    assert feedback.decided_source == "classifier:v2 p=0.41" and feedback.actor == agent
    unsure.refresh_from_db()
    assert not unsure.needs_triage
    assert unsure.events.filter(kind=EventKind.FIELD, summary="category: sync → battery").exists()


def test_setting_the_same_value_changes_nothing(unsure, categories, agent):
    assert ticket_fields_change(ticket=unsure, changes={"category": categories["sync"]}, actor=agent) == []
    assert not RoutingFeedback.objects.exists()


def test_a_field_no_automation_decided_is_not_feedback(queues, agent):
    ticket = Ticket.objects.create(subject="x", queue=queues["support"])
    ticket_fields_change(ticket=ticket, changes={"priority": "high"}, actor=agent)
    assert not RoutingFeedback.objects.exists()
    assert Ticket.objects.get(pk=ticket.pk).priority == "high"


def test_confirming_as_is_takes_the_ticket_out_of_triage(unsure, agent):
    ticket_triage_done(ticket=unsure, actor=agent)
    assert not Ticket.objects.get(pk=unsure.pk).needs_triage


def test_needs_triage_view_lists_only_unsure_tickets(unsure, queues, agent):
    Ticket.objects.create(subject="Routed fine", queue=queues["support"])
    client = Client()
    client.force_login(agent)
    page = client.get(reverse("admin:tickets_ticket_changelist") + "?view=triage")
    assert page.status_code == 200
    text = page.content.decode()
    assert "It is broken" in text and "Routed fine" not in text
    assert "Needs triage" in text


def test_changing_the_category_in_the_desk_records_feedback(unsure, categories, agent):
    client = Client()
    client.force_login(agent)
    url = reverse("admin:tickets_ticket_change", args=[unsure.pk])
    form = {"subject": unsure.subject, "status": "new", "priority": "normal", "queue": unsure.queue_id,
            "category": categories["battery"].pk, "assignee": "", "tags": []}
    response = client.post(url, form)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert RoutingFeedback.objects.get().corrected == "battery"
    assert not Ticket.objects.get(pk=unsure.pk).needs_triage


def test_extracted_facts_are_searchable_in_the_desk(queues, agent):
    Ticket.objects.create(subject="Battery drains", queue=queues["support"],
                          facts={"firmware_version": ["2.3.1"], "order_number": ["SO-2024-00123"]})
    other = Ticket.objects.create(subject="Other", queue=queues["support"], facts={"firmware_version": ["1.0.0"]})
    from postroom.search.services import search_document_refresh

    search_document_refresh(ticket_ids=Ticket.objects.values_list("pk", flat=True))
    assert other.pk
    client = Client()
    client.force_login(agent)
    text = client.get(reverse("admin:tickets_ticket_changelist") + "?q=SO-2024-00123").content.decode()
    assert "Battery drains" in text and ">Other<" not in text
