"""The desk shows each ticket's SLA ("due in 3h", "overdue 25 min") and lists the ones
due soon and overdue."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import include, path, reverse

from postroom.core import clock
from postroom.sla.models import TicketSla
from postroom.tickets.models import Ticket
from tests.tickets.test_admin import staff_user

urlpatterns = [
    path("desk/sla/", include("postroom.sla.urls")),
    path("desk/", include("postroom.desk.urls")),
    path("desk/", include("postroom.tickets.urls")),
    path("", admin.site.urls),
]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture
def desk(queues, django_user_model):
    now = clock.now()
    tickets = {}
    for name, delta, status in (("Late one", -25, "open"), ("Soon one", 70, "new"), ("Later one", 600, "open"),
                                ("Waiting one", -90, "pending")):
        ticket = Ticket.objects.create(subject=name, queue=queues["support"], status=status)
        TicketSla.objects.create(ticket=ticket, next_due=now + dt.timedelta(minutes=delta),
                                 next_due_target="first_response",
                                 paused_since=now if status == "pending" else None)
        tickets[name] = ticket
    client = Client()
    client.force_login(staff_user(django_user_model, "mia", queues["support"]))
    return client


def _listed(client, view: str) -> str:
    return client.get(reverse("admin:tickets_ticket_changelist") + f"?view={view}").content.decode()


def test_overdue_view_lists_only_late_tickets_we_owe_a_reply(desk):
    page = _listed(desk, "overdue")
    assert "Late one" in page and "Soon one" not in page and "Waiting one" not in page
    assert "overdue 25 min" in page or "overdue 24 min" in page


def test_due_soon_view_lists_the_next_two_hours(desk):
    page = _listed(desk, "due_soon")
    assert "Soon one" in page and "Late one" not in page and "Later one" not in page
    assert "due in 1h 09m" in page or "due in 1h 10m" in page


def test_a_ticket_waiting_on_the_customer_shows_its_clock_paused(desk):
    assert "paused (waiting on customer)" in _listed(desk, "all")


def test_an_agent_is_told_about_unread_notices_and_sees_only_their_own(desk, queues, django_user_model):
    from postroom.sla.models import SlaNotice

    mia = django_user_model.objects.get(username="mia")
    other = django_user_model.objects.create_user("ola")
    ticket = Ticket.objects.get(subject="Late one")
    SlaNotice.objects.create(ticket=ticket, kind="breach", target="first_response", level=1, user=mia,
                             reason="first response was due")
    SlaNotice.objects.create(ticket=ticket, kind="breach", target="first_response", level=1, user=other,
                             reason="someone else's")
    page = desk.get(reverse("admin:tickets_ticket_changelist")).content.decode()
    assert "1 unread SLA notice(s)" in page
    notices = desk.get(reverse("admin:sla_slanotice_changelist")).content.decode()
    assert "first response was due" in notices and "someone else" not in notices
