"""The supervisor page at /desk/sla/: staff see their queues' overdue and due-soon tickets
and the week's charts with their numbers; others are sent to sign in; the page costs the
same few queries however many tickets it lists."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.apps import apps
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from postroom.core.clock import pinned
from postroom.sla.models import TicketSla
from postroom.tickets.models import Ticket

NOW = dt.datetime(2026, 3, 11, 14, 0, tzinfo=dt.UTC)  # a Wednesday
MINUTE = dt.timedelta(minutes=1)
URL = "/desk/sla/"


@pytest.fixture(autouse=True)
def clock():
    with pinned(NOW):
        yield


@pytest.fixture
def mia(django_user_model, queues):
    user = django_user_model.objects.create_user("mia", "mia@example.test", "pw", is_staff=True)
    queues["support"].members.add(user)
    return user


@pytest.fixture
def client_for():
    def signed_in(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return signed_in


def owed(queue, subject, minutes, **kwargs) -> Ticket:
    ticket = Ticket.objects.create(subject=subject, queue=queue, status="open", **kwargs)
    TicketSla.objects.create(
        ticket=ticket, next_due=NOW + minutes * MINUTE, next_due_target="first_response"
    )
    return ticket


def answered(queue, when, *, met) -> Ticket:
    ticket = Ticket.objects.create(subject="Answered", queue=queue, status="open")
    TicketSla.objects.create(
        ticket=ticket, first_responded_at=when, first_response_met=met, first_response_seconds=1800
    )
    return ticket


def page_of(client) -> str:
    response = client.get(URL)
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_is_mounted_under_the_desk():
    assert reverse("sla:supervisor") == URL


def test_a_queue_member_sees_overdue_and_due_soon_tickets_linked_to_the_desk(
    queues, mia, client_for
):
    late = owed(queues["support"], "Watch stopped syncing", -25, assignee=mia)
    soon = owed(queues["support"], "Battery drains overnight", 70)
    owed(queues["support"], "Strap broke", 600)

    page = page_of(client_for(mia))

    assert "<h1>Service figures</h1>" in page and 'class="topbar"' in page  # the desk's frame
    overdue = page[page.index('id="overdue"') : page.index('id="due-soon"')]
    due_soon = page[page.index('id="due-soon"') : page.index('id="service-levels"')]
    assert "Watch stopped syncing" in overdue and "overdue 25 min" in overdue and "mia" in overdue
    assert reverse("desk:ticket", args=[late.pk]) in overdue
    assert f">{late.reference}</a>" in overdue
    assert "Battery drains overnight" in due_soon and "due in 1h 10m" in due_soon
    assert reverse("desk:ticket", args=[soon.pk]) in due_soon
    assert "first response" in due_soon
    assert "Strap broke" not in page


def test_tickets_of_other_queues_are_not_shown(queues, mia, client_for):
    owed(queues["billing"], "Refund still missing", -10)
    answered(queues["billing"], NOW - dt.timedelta(hours=2), met=False)
    page = page_of(client_for(mia))
    assert "Refund still missing" not in page
    assert "Nothing is overdue." in page and "Billing" not in page


def test_anonymous_visitors_are_sent_to_the_desk_sign_in():
    response = Client().get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('desk:login')}?next=%2Fdesk%2Fsla%2F"


def test_signed_in_users_without_a_desk_role_are_refused(django_user_model, queues, client_for):
    customer = django_user_model.objects.create_user("carla", "carla@example.test", "pw")
    queues["support"].members.add(customer)
    assert client_for(customer).get(URL).status_code == 403


def test_the_charts_show_the_weeks_numbers_in_the_image_and_in_a_table(queues, mia, client_for):
    monday = dt.datetime(2026, 3, 9, 10, 0, tzinfo=dt.UTC)
    answered(queues["support"], monday, met=True)
    answered(queues["support"], monday, met=True)
    answered(queues["support"], monday, met=False)

    page = page_of(client_for(mia))

    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img"') == 5
    assert (
        'aria-label="First responses within target, by day. Thu 5: no data; Fri 6: no data; '
        "Sat 7: no data; Sun 8: no data; Mon 9: 67% (2 of 3); Tue 10: no data; Wed 11: no data; "
        'target 90%."'
    ) in page
    assert "First responses within target, by queue. Technical Support: 67% (2 of 3)" in page
    assert (
        "Median first response (business hours), by day." in page
        and "Mon 9: 0.5 h (3 replies)" in page
    )
    assert "<summary>Data table</summary>" in page
    assert '<tr><th scope="row">Mon 9</th><td>67%</td><td>2 of 3</td></tr>' in page


def test_subjects_from_mail_are_shown_as_text(queues, mia, client_for):
    owed(queues["support"], '<img src=x onerror="alert(1)">', -5)
    page = page_of(client_for(mia))
    assert "<img src=x" not in page
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt;" in page


def test_without_ratings_the_page_says_so(queues, mia, client_for):
    page = page_of(client_for(mia))
    satisfaction = page[page.index('id="satisfaction"') :]
    assert "No ratings yet." in satisfaction and "bar-chart" not in satisfaction


def test_without_the_surveys_app_the_page_still_renders(queues, mia, client_for, monkeypatch):
    real = apps.is_installed
    monkeypatch.setattr(
        apps, "is_installed", lambda name: name != "postroom.surveys" and real(name)
    )
    assert "No ratings yet." in page_of(client_for(mia))


@pytest.mark.skipif(
    not apps.is_installed("postroom.surveys"), reason="postroom.surveys is not installed"
)
def test_ratings_are_charted_by_day_and_queue(queues, mia, client_for):
    survey = apps.get_model("surveys", "Survey")
    ticket = Ticket.objects.create(subject="Solved", queue=queues["support"], status="solved")
    for hour, rating in ((9, 5), (10, 4), (11, 2)):
        when = dt.datetime(2026, 3, 10, hour, tzinfo=dt.UTC)
        survey.objects.create(
            ticket=ticket,
            queue=ticket.queue,
            ticket_solved_at=when,
            language="en",
            token_hash=secrets.token_hex(32),
            expires_at=when + dt.timedelta(days=14),
            rating=rating,
            rated_at=when,
        )

    satisfaction = page_of(client_for(mia)).split('id="satisfaction"', 1)[1]

    assert "3 ratings;" in satisfaction and "No ratings yet" not in satisfaction
    assert (
        "Average rating (1–5), by day." in satisfaction
        and "Tue 10: 3.7 (3 ratings)" in satisfaction
    )
    assert "Good ratings (4–5), by queue. Technical Support: 67% (3 ratings)" in satisfaction


def _many_tickets(queues, users, count):
    """Create *count* overdue and *count* due-soon tickets, answered and resolved this week,
    spread over both queues and several assignees."""
    for n in range(count):
        queue = queues["support"] if n % 2 else queues["billing"]
        for minutes in (-10 - n, 10 + n):
            ticket = Ticket.objects.create(
                subject=f"Ticket {n}", queue=queue, status="open", assignee=users[n % len(users)]
            )
            TicketSla.objects.create(
                ticket=ticket,
                next_due=NOW + minutes * MINUTE,
                next_due_target="resolution",
                first_responded_at=NOW - dt.timedelta(days=n % 7, hours=1),
                first_response_met=n % 3 > 0,
                first_response_seconds=600 * n,
                resolved_at=NOW - dt.timedelta(days=n % 5, hours=1),
                resolution_met=n % 4 > 0,
            )


def _queries_for(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_tickets_shown(
    queues, django_user_model, client_for, django_assert_max_num_queries
):
    lead = django_user_model.objects.create_user("lead", is_staff=True)
    for queue in queues.values():
        queue.members.add(lead)
    agents = [django_user_model.objects.create_user(f"agent{n}", is_staff=True) for n in range(5)]
    client = client_for(lead)
    _many_tickets(queues, agents, 1)
    few = _queries_for(client)

    _many_tickets(queues, agents, 30)
    # Session and user, the desk role and two-factor lookups, the two ticket lists,
    # the attainment by day (two) and by queue, the medians, the ratings by day and queue.
    with django_assert_max_num_queries(12):
        page = page_of(client)
    assert page.count("<tr>") >= 62 and "agent4" in page
    assert _queries_for(client) == few


def test_the_desk_links_to_the_service_figures(client, django_user_model, queues):
    admin_user = django_user_model.objects.create_superuser("boss", "boss@example.test", "pw")
    client.force_login(admin_user)
    page = client.get(reverse("desk:inbox")).content.decode()
    assert f'href="{reverse("sla:supervisor")}"' in page
