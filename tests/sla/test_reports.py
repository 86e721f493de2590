"""The supervisor page's reads: what is overdue and due soon, the week's SLA attainment
and median first response by day and by queue, the week's ratings; each limited to the
queues the user belongs to. And the bar chart they are drawn with."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.apps import apps

from postroom.core.clock import pinned
from postroom.sla.models import TicketSla
from postroom.sla.reports import (
    Attainment,
    Bar,
    bar_chart_svg,
    first_response_median_by_day,
    last_seven_days,
    satisfaction_by_day,
    satisfaction_by_queue,
    sla_attainment_by_day,
    sla_attainment_by_queue,
    sla_due_soon,
    sla_overdue,
)
from postroom.tickets.models import Ticket

# A Wednesday afternoon; the week on the page is Thu 5 – Wed 11 March.
NOW = dt.datetime(2026, 3, 11, 14, 0, tzinfo=dt.UTC)
MINUTE = dt.timedelta(minutes=1)


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 3, day, hour, minute, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def clock():
    with pinned(NOW):
        yield


@pytest.fixture
def mia(django_user_model, queues):
    user = django_user_model.objects.create_user(
        "mia", is_staff=True, first_name="Mia", last_name="Berg"
    )
    queues["support"].members.add(user)
    return user


@pytest.fixture
def otto(django_user_model, queues):
    user = django_user_model.objects.create_user("otto", is_staff=True)
    queues["billing"].members.add(user)
    return user


@pytest.fixture
def boss(django_user_model):
    return django_user_model.objects.create_superuser("boss", "boss@example.test", "pw")


def ticket_with_sla(
    queue, subject="Watch does not sync", *, status="open", assignee=None, **sla
) -> Ticket:
    ticket = Ticket.objects.create(subject=subject, queue=queue, status=status, assignee=assignee)
    TicketSla.objects.create(ticket=ticket, **sla)
    return ticket


def owed(queue, subject, minutes, *, target="first_response", **kwargs) -> Ticket:
    """Return a ticket whose next target falls due *minutes* from NOW (negative: late)."""
    return ticket_with_sla(
        queue, subject, next_due=NOW + minutes * MINUTE, next_due_target=target, **kwargs
    )


def answered(queue, when, *, met, seconds=3600) -> Ticket:
    return ticket_with_sla(
        queue, first_responded_at=when, first_response_met=met, first_response_seconds=seconds
    )


def resolved(queue, when, *, met) -> Ticket:
    return ticket_with_sla(
        queue, status="solved", resolved_at=when, resolution_met=met, resolution_seconds=7200
    )


# --- due now -------------------------------------------------------------------------------


def test_overdue_lists_late_tickets_of_the_users_queues_most_overdue_first(queues, mia):
    late = owed(queues["support"], "Late one", -25, assignee=mia)
    later = owed(queues["support"], "Very late one", -90, target="resolution")
    owed(queues["support"], "Soon one", 70)
    owed(queues["support"], "Waiting on the customer", -120, status="pending", paused_since=NOW)
    owed(queues["support"], "Already solved", -30, status="solved")
    owed(queues["billing"], "Someone else's late one", -40)

    rows = sla_overdue(user=mia, now=NOW)

    assert [row.ticket_id for row in rows] == [later.pk, late.pk]
    assert [row.phrase for row in rows] == ["overdue 1h 30m", "overdue 25 min"]
    assert [row.target for row in rows] == ["resolution", "first response"]
    assert rows[1].reference == late.reference and rows[1].subject == "Late one"
    assert (rows[1].queue, rows[1].assignee, rows[0].assignee) == (
        "Technical Support",
        "Mia Berg",
        "",
    )
    assert rows[1].due == NOW - 25 * MINUTE


def test_due_soon_lists_the_next_two_hours_soonest_first(queues, mia):
    owed(queues["support"], "Late one", -25)
    in_70 = owed(queues["support"], "Soon one", 70, target="next_response")
    in_5 = owed(queues["support"], "Very soon one", 5)
    owed(queues["support"], "Later one", 121)

    rows = sla_due_soon(user=mia, now=NOW, within=dt.timedelta(hours=2))

    assert [row.ticket_id for row in rows] == [in_5.pk, in_70.pk]
    assert [row.phrase for row in rows] == ["due in 5 min", "due in 1h 10m"]
    assert rows[1].target == "next response"


def test_a_user_outside_a_queue_sees_none_of_its_tickets(queues, mia, otto):
    owed(queues["support"], "Late one", -25)
    owed(queues["support"], "Soon one", 70)
    answered(queues["support"], at(10, 9), met=True)
    resolved(queues["support"], at(10, 9), met=True)
    week = last_seven_days(now=NOW)
    span = {"since": week.since, "until": week.until}

    assert sla_overdue(user=otto, now=NOW) == ()
    assert sla_due_soon(user=otto, now=NOW) == ()
    assert sla_attainment_by_queue(user=otto, **span) == ()
    assert all(
        d.first_response.total == d.resolution.total == 0
        for d in sla_attainment_by_day(user=otto, **span)
    )
    assert all(m.count == 0 for m in first_response_median_by_day(user=otto, **span))
    assert len(sla_overdue(user=mia, now=NOW)) == 1


def test_a_superuser_sees_every_queue(queues, boss):
    owed(queues["support"], "Late one", -25)
    owed(queues["billing"], "Late invoice", -5)
    assert {row.queue for row in sla_overdue(user=boss, now=NOW)} == {
        "Technical Support",
        "Billing",
    }


# --- the week ------------------------------------------------------------------------------


def test_the_week_is_today_and_the_six_days_before_in_the_server_zone(settings):
    week = last_seven_days(now=NOW)
    assert week.days[0] == dt.date(2026, 3, 5) and week.days[-1] == dt.date(2026, 3, 11)
    assert (week.since, week.until) == (at(5, 0), at(12, 0))

    settings.TIME_ZONE = "America/New_York"  # 10:00 on Wednesday there; DST began on 8 March
    week = last_seven_days(now=NOW)
    assert week.days[-1] == dt.date(2026, 3, 11)
    assert week.since == at(5, 5) and week.until == at(12, 4)


def test_attainment_by_day_counts_each_target_on_the_day_it_was_met_or_missed(queues, mia):
    support = queues["support"]
    answered(support, at(9, 10), met=True)
    answered(support, at(9, 11), met=True)
    answered(support, at(9, 16), met=False)
    answered(support, at(9, 17), met=None)  # no first-response target: not counted
    answered(support, at(10, 9), met=False)
    answered(support, at(4, 9), met=True)  # before the week
    resolved(support, at(10, 12), met=True)
    resolved(support, at(11, 13), met=False)
    week = last_seven_days(now=NOW)

    days = {d.day: d for d in sla_attainment_by_day(user=mia, since=week.since, until=week.until)}

    assert list(days) == list(week.days)
    assert days[dt.date(2026, 3, 9)].first_response == Attainment(total=3, met=2)
    assert days[dt.date(2026, 3, 9)].first_response.share == pytest.approx(2 / 3)
    assert days[dt.date(2026, 3, 10)].first_response == Attainment(total=1, met=0)
    assert days[dt.date(2026, 3, 10)].resolution == Attainment(total=1, met=1)
    assert days[dt.date(2026, 3, 11)].resolution == Attainment(total=1, met=0)
    assert days[dt.date(2026, 3, 5)].first_response == Attainment(total=0, met=0)
    assert days[dt.date(2026, 3, 5)].first_response.share is None


def test_a_late_evening_reply_counts_on_the_servers_local_day(queues, mia, settings):
    settings.TIME_ZONE = "Europe/Berlin"
    answered(queues["support"], at(9, 23, 30), met=True)  # 00:30 on Tuesday in Berlin
    week = last_seven_days(now=NOW)

    days = {d.day: d for d in sla_attainment_by_day(user=mia, since=week.since, until=week.until)}

    assert days[dt.date(2026, 3, 10)].first_response == Attainment(total=1, met=1)
    assert days[dt.date(2026, 3, 9)].first_response.total == 0


def test_attainment_by_queue_sums_the_week_per_queue(queues, boss):
    answered(queues["support"], at(9, 10), met=True)
    answered(queues["support"], at(10, 10), met=False)
    resolved(queues["support"], at(10, 12), met=True)
    answered(queues["billing"], at(11, 9), met=True)
    answered(queues["billing"], at(1, 9), met=False)  # before the week
    week = last_seven_days(now=NOW)

    rows = sla_attainment_by_queue(user=boss, since=week.since, until=week.until)

    assert [(q.queue, q.first_response, q.resolution) for q in rows] == [
        ("Billing", Attainment(total=1, met=1), Attainment(total=0, met=0)),
        ("Technical Support", Attainment(total=2, met=1), Attainment(total=1, met=1)),
    ]
    assert rows[1].queue_id == queues["support"].pk


def test_median_first_response_is_taken_per_day_in_business_seconds(queues, mia):
    for seconds in (600, 3600, 7200):
        answered(queues["support"], at(9, 12), met=True, seconds=seconds)
    for seconds in (1200, 3000):
        answered(queues["support"], at(10, 12), met=True, seconds=seconds)
    week = last_seven_days(now=NOW)

    days = {
        m.day: m for m in first_response_median_by_day(user=mia, since=week.since, until=week.until)
    }

    assert (days[dt.date(2026, 3, 9)].count, days[dt.date(2026, 3, 9)].median_seconds) == (3, 3600)
    assert (days[dt.date(2026, 3, 10)].count, days[dt.date(2026, 3, 10)].median_seconds) == (
        2,
        2100,
    )
    assert (days[dt.date(2026, 3, 11)].count, days[dt.date(2026, 3, 11)].median_seconds) == (
        0,
        None,
    )


# --- satisfaction --------------------------------------------------------------------------

surveys_installed = pytest.mark.skipif(
    not apps.is_installed("postroom.surveys"), reason="postroom.surveys is not installed"
)


def rated(ticket, rating, when):
    survey = apps.get_model("surveys", "Survey")
    return survey.objects.create(
        ticket=ticket,
        queue=ticket.queue,
        ticket_solved_at=when - dt.timedelta(hours=1),
        language="en",
        token_hash=secrets.token_hex(32),
        expires_at=when + dt.timedelta(days=14),
        rating=rating,
        rated_at=when,
    )


@surveys_installed
def test_ratings_by_day_and_queue_give_average_and_good_share(queues, mia, boss):
    support = ticket_with_sla(queues["support"], status="solved")
    billing = ticket_with_sla(queues["billing"], status="solved")
    rated(support, 5, at(9, 10))
    rated(support, 4, at(9, 11))
    rated(support, 1, at(9, 12))
    rated(support, 2, at(10, 12))
    rated(billing, 5, at(10, 13))
    rated(support, 5, at(2, 13))  # before the week
    week = last_seven_days(now=NOW)
    span = {"since": week.since, "until": week.until}

    days = {d.day: d.ratings for d in satisfaction_by_day(user=mia, **span)}
    assert (days[dt.date(2026, 3, 9)].count, days[dt.date(2026, 3, 9)].good) == (3, 2)
    assert days[dt.date(2026, 3, 9)].average == pytest.approx(10 / 3)
    assert days[dt.date(2026, 3, 9)].good_share == pytest.approx(2 / 3)
    assert (days[dt.date(2026, 3, 10)].count, days[dt.date(2026, 3, 10)].average) == (1, 2.0)
    assert days[dt.date(2026, 3, 11)].count == 0 and days[dt.date(2026, 3, 11)].average is None

    assert [(q.queue, q.ratings.count) for q in satisfaction_by_queue(user=mia, **span)] == [
        ("Technical Support", 4)
    ]
    everyone = satisfaction_by_queue(user=boss, **span)
    assert [
        (q.queue, q.ratings.count, q.ratings.average, q.ratings.good_share) for q in everyone
    ] == [("Billing", 1, 5.0, 1.0), ("Technical Support", 4, 3.0, 0.5)]


@surveys_installed
def test_surveys_not_yet_rated_are_not_counted(queues, mia):
    ticket = ticket_with_sla(queues["support"], status="solved")
    survey = rated(ticket, 5, at(10, 10))
    survey.rating, survey.rated_at = None, None
    survey.save()
    week = last_seven_days(now=NOW)
    assert (
        sum(
            d.ratings.count
            for d in satisfaction_by_day(user=mia, since=week.since, until=week.until)
        )
        == 0
    )
    assert satisfaction_by_queue(user=mia, since=week.since, until=week.until) == ()


def test_without_the_surveys_app_there_are_no_ratings(mia, monkeypatch):
    monkeypatch.setattr(apps, "is_installed", lambda name: name != "postroom.surveys")
    week = last_seven_days(now=NOW)
    assert all(
        d.ratings.count == 0
        for d in satisfaction_by_day(user=mia, since=week.since, until=week.until)
    )
    assert satisfaction_by_queue(user=mia, since=week.since, until=week.until) == ()


# --- the bar chart -------------------------------------------------------------------------


def test_the_chart_is_an_accessible_image_naming_every_number():
    svg = bar_chart_svg(
        title="First responses within target",
        unit="%",
        target=90,
        bars=[Bar("Mon 9", 66.7, "2 of 3"), Bar("Tue 10", None), Bar("Wed 11", 100.0, "4 of 4")],
    )

    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert 'role="img"' in svg and "viewBox=" in svg
    assert "<title>First responses within target</title>" in svg
    assert (
        'aria-label="First responses within target. Mon 9: 67% (2 of 3); Tue 10: no data; '
        'Wed 11: 100% (4 of 4); target 90%."'
    ) in svg
    assert ">67%</text>" in svg and ">100%</text>" in svg and ">2 of 3</text>" in svg
    assert 'class="target"' in svg and ">target 90%</text>" in svg
    assert svg.count("<rect") == 2  # no bar for a day without data


def test_a_bar_under_target_is_drawn_in_the_warning_colour():
    svg = bar_chart_svg(title="t", unit="%", target=90, bars=[Bar("low", 50.0), Bar("high", 95.0)])
    assert svg.index('fill="#ba2121"') < svg.index('fill="#417690"')


def test_the_chart_escapes_labels_notes_and_title():
    svg = bar_chart_svg(
        title='<script>alert("t")</script>',
        unit="%",
        bars=[Bar("<img src=x onerror=alert(1)>", 50.0, "a & b")],
    )
    assert "<script" not in svg and "<img" not in svg
    assert "&lt;script&gt;alert(&quot;t&quot;)&lt;/script&gt;" in svg
    assert "a &amp; b" in svg


def test_the_chart_scales_other_units_to_a_round_maximum():
    svg = bar_chart_svg(
        title="Median first response", unit="h", bars=[Bar("Mon 9", 3.2), Bar("Tue 10", 1.0)]
    )
    assert ">3.2 h</text>" in svg
    assert [f">{n} h</text>" in svg for n in range(6)] == [True] * 6  # gridlines at whole hours


def test_long_labels_are_shortened_on_the_chart_but_whole_in_its_text():
    svg = bar_chart_svg(title="By queue", unit="%", bars=[Bar("Warranty & Returns Europe", 80.0)])
    assert ">Warranty &amp; R…</text>" in svg
    assert "Warranty &amp; Returns Europe: 80%" in svg
