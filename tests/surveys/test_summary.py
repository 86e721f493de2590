"""Satisfaction figures for the supervisor page: count, average and share of good ratings,
overall, per agent and per queue, for ratings given in a period."""

from __future__ import annotations

import datetime as dt

import pytest

from postroom.surveys.models import Survey
from postroom.surveys.queries import satisfaction_summary
from postroom.tickets.models import Ticket

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 4, 1, tzinfo=dt.UTC)


@pytest.fixture
def ratings(queues, django_user_model):
    mia = django_user_model.objects.create_user("mia", first_name="Mia", last_name="Lund")
    leo = django_user_model.objects.create_user("leo")
    rows = [  # (queue, agent, rating, rated at)
        ("support", mia, 5, DAY),
        ("support", mia, 4, DAY + dt.timedelta(hours=1)),
        ("support", leo, 1, DAY + dt.timedelta(hours=2)),
        ("billing", None, 3, DAY + dt.timedelta(hours=3)),
        ("billing", leo, 5, DAY - dt.timedelta(days=1)),  # before the period
        ("billing", leo, None, None),  # sent, never rated
    ]
    for index, (queue, agent, rating, rated_at) in enumerate(rows):
        ticket = Ticket.objects.create(subject=f"t{index}", queue=queues[queue])
        Survey.objects.create(
            ticket=ticket,
            ticket_solved_at=DAY,
            agent=agent,
            queue=queues[queue],
            language="en",
            token_hash=f"{index:064d}",
            expires_at=DAY + dt.timedelta(days=14),
            rating=rating,
            rated_at=rated_at,
        )
    return mia, leo


def test_the_summary_counts_averages_and_shares_ratings_in_the_period(ratings):
    mia, leo = ratings
    summary = satisfaction_summary(since=DAY, until=DAY + dt.timedelta(days=1))

    assert (summary.count, summary.average, summary.good_share) == (4, 3.25, 0.5)
    by_agent = {a.name: (a.key, a.count, a.average, a.good_share) for a in summary.by_agent}
    assert by_agent == {
        "Mia Lund": (mia.pk, 2, 4.5, 1.0),
        "leo": (leo.pk, 1, 1.0, 0.0),
        "(no agent)": (None, 1, 3.0, 0.0),
    }
    assert summary.by_agent[0].name == "Mia Lund", "most rated first"
    assert [(q.name, q.count, q.average) for q in summary.by_queue] == [
        ("Technical Support", 3, 3.33),
        ("Billing", 1, 3.0),
    ]


def test_the_summary_can_look_at_one_queue(ratings, queues):
    summary = satisfaction_summary(
        since=DAY - dt.timedelta(days=7), until=DAY + dt.timedelta(days=1), queue=queues["billing"]
    )
    assert (summary.count, summary.average) == (2, 4.0)
    assert [q.name for q in summary.by_queue] == ["Billing"]


def test_a_period_without_ratings_has_no_average(ratings):
    summary = satisfaction_summary(
        since=DAY + dt.timedelta(days=5), until=DAY + dt.timedelta(days=6)
    )
    assert (summary.count, summary.average, summary.good_share) == (0, None, None)
    assert summary.by_agent == () and summary.by_queue == ()
