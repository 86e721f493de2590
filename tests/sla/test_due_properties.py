"""Property: whatever the calendar, policy and arrival time, every due time the desk
computes lies inside the team's business hours (or exactly at a closing time), and the
business time between arrival and due is the target."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postroom.sla.calendar import business_between, calendar_is_open, open_intervals
from postroom.sla.due import sla_plan
from postroom.sla.models import BusinessCalendar, SlaPolicy
from postroom.tickets.models import Ticket

HOURS = st.sampled_from([
    {"mon-fri": "09:00-17:00"},
    {"mon-thu": "08:30-12:00,13:00-17:30", "fri": "08:30-14:00"},
    {"mon-sat": "07:00-23:00"},
    {"mon-sun": "00:00-24:00"},
])
PLACES = st.sampled_from([("Europe/Berlin", "DE", ""), ("America/New_York", "US", "NY"), ("Europe/Paris", "FR", ""),
                          ("Europe/Lisbon", "PT", ""), ("Asia/Tokyo", "", "")])
ARRIVALS = st.datetimes(min_value=dt.datetime(2024, 1, 1), max_value=dt.datetime(2027, 12, 31),
                        timezones=st.just(dt.UTC))
MINUTES = st.integers(min_value=1, max_value=5 * 8 * 60)


@pytest.fixture
def ticket(queues):
    return Ticket.objects.create(subject="x", queue=queues["support"])


def _closing_time(calendar, at: dt.datetime) -> bool:
    return any(end == at for _, end in open_intervals(calendar, at.astimezone(calendar.zone).date()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(hours=HOURS, place=PLACES, arrival=ARRIVALS, first=MINUTES, resolution=MINUTES)
def test_every_due_time_falls_inside_business_hours(ticket, hours, place, arrival, first, resolution):
    zone, country, subdivision = place
    calendar_row = BusinessCalendar(name="c", timezone=zone, weekly_hours=hours, country=country,
                                    subdivision=subdivision)
    policy = SlaPolicy(name="p", calendar=calendar_row, first_response_minutes=first,
                       resolution_minutes=resolution)
    ticket.created_at = arrival
    plan = sla_plan(ticket, policy=policy, now=arrival)
    calendar = calendar_row.as_calendar()
    for due, minutes in ((plan.first_response_due, first), (plan.resolution_due, resolution)):
        assert due is not None
        assert calendar_is_open(calendar, due) or _closing_time(calendar, due)
        assert business_between(calendar, arrival, due) == dt.timedelta(minutes=minutes)
