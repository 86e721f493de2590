"""Business-time arithmetic on queue calendars: hours, holidays, closures and DST (issue #5)."""

from __future__ import annotations

import bisect
import copy
import datetime as dt
import pickle
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from postroom.sla import calendar as sla_calendar
from postroom.sla.calendar import (
    CLOSED_DAY_NAME,
    BusinessDuration,
    Calendar,
    CalendarNeverOpen,
    Interval,
    business_add,
    business_between,
    business_days_add,
    calendar_is_open,
    holidays_on,
    next_opening,
    open_intervals,
    standard_day,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
UTC = dt.UTC
HOUR = dt.timedelta(hours=1)

OFFICE = {"mon-fri": "09:00-17:00"}
SPLIT = {"mon-fri": "09:00-12:30,13:30-17:30"}


def berlin(*args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=BERLIN)


def office(**options) -> Calendar:
    return Calendar.from_spec("Europe/Berlin", OFFICE, **options)


def around_the_clock(zone: str) -> Calendar:
    return Calendar.from_spec(zone, {"mon-sun": "00:00-24:00"})


def lengths(calendar: Calendar, day: dt.date) -> list[dt.timedelta]:
    # Subtract in UTC: Python ignores offsets between datetimes that share a tzinfo.
    return [
        end.astimezone(UTC) - start.astimezone(UTC) for start, end in open_intervals(calendar, day)
    ]


# --- adding business time --------------------------------------------------------------


def test_friday_afternoon_plus_two_hours_is_monday_morning():
    due = business_add(office(), berlin(2025, 10, 10, 16, 0), 2 * HOUR)
    assert due == berlin(2025, 10, 13, 10, 0)


def test_split_day_lunch_break_is_not_counted():
    calendar = Calendar.from_spec("Europe/Berlin", SPLIT)
    assert business_add(calendar, berlin(2025, 10, 7, 12, 0), HOUR) == berlin(2025, 10, 7, 14, 0)
    assert business_between(calendar, berlin(2025, 10, 7, 9), berlin(2025, 10, 7, 18)) == 7.5 * HOUR


def test_start_outside_hours_counts_from_next_opening():
    saturday = berlin(2025, 10, 11, 11, 0)
    assert business_add(office(), saturday, 30 * dt.timedelta(minutes=1)) == berlin(
        2025, 10, 13, 9, 30
    )
    assert business_add(office(), berlin(2025, 10, 7, 6, 0), HOUR) == berlin(2025, 10, 7, 10, 0)


def test_duration_used_up_at_closing_time_returns_the_closing_time():
    assert business_add(office(), berlin(2025, 10, 10, 16, 0), HOUR) == berlin(2025, 10, 10, 17, 0)


def test_zero_duration_is_the_start_when_open_and_the_next_opening_when_closed():
    assert business_add(office(), berlin(2025, 10, 10, 11, 0), dt.timedelta(0)) == berlin(
        2025, 10, 10, 11
    )
    assert business_add(office(), berlin(2025, 10, 10, 17, 0), dt.timedelta(0)) == berlin(
        2025, 10, 13, 9
    )


def test_negative_duration_is_rejected():
    with pytest.raises(ValueError, match="negative"):
        business_add(office(), berlin(2025, 10, 10, 11, 0), -HOUR)


def test_one_business_day_from_friday_afternoon_is_monday_afternoon():
    assert business_days_add(office(), berlin(2025, 10, 10, 16, 0), 1) == berlin(
        2025, 10, 13, 16, 0
    )


def test_business_days_use_the_calendars_standard_day():
    calendar = Calendar.from_spec("Europe/Berlin", SPLIT)  # 7.5 h a day
    assert business_days_add(calendar, berlin(2025, 10, 6, 9, 0), 3) == berlin(2025, 10, 8, 17, 30)
    assert business_add(
        calendar, berlin(2025, 10, 6, 9, 0), BusinessDuration(days=1, minutes=30)
    ) == (berlin(2025, 10, 7, 9, 30))


def test_standard_day_is_the_most_common_weekday_length():
    calendar = Calendar.from_spec(
        "Europe/Berlin", {"mon-thu": "08:00-16:00", "fri": "08:00-14:00", "sat": "10:00-12:00"}
    )
    assert standard_day(calendar) == 8 * HOUR


def test_standard_day_prefers_the_longer_of_equally_common_lengths():
    calendar = Calendar.from_spec("UTC", {"mon": "09:00-17:00", "tue": "09:00-13:00"})
    assert standard_day(calendar) == 8 * HOUR


def test_aware_datetimes_in_other_zones_are_handled():
    tokyo_monday_evening = dt.datetime(
        2025, 10, 13, 17, 0, tzinfo=ZoneInfo("Asia/Tokyo")
    )  # 10:00 Berlin
    due = business_add(office(), tokyo_monday_evening, 2 * HOUR)
    assert due == berlin(2025, 10, 13, 12, 0)
    assert due.tzinfo == BERLIN
    fixed_offset = dt.datetime(2025, 10, 13, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=-3)))
    assert calendar_is_open(office(), fixed_offset)  # 13:00 Berlin


def test_naive_datetimes_are_rejected():
    with pytest.raises(ValueError, match="aware"):
        business_add(office(), dt.datetime(2025, 10, 13, 10, 0), HOUR)


# --- measuring business time ----------------------------------------------------------


def test_business_between_is_the_inverse_of_business_add():
    calendar = Calendar.from_spec("Europe/Berlin", SPLIT, country="DE", subdivision="BY")
    start = berlin(2025, 9, 30, 15, 17, 42)
    for duration in (dt.timedelta(0), 37 * dt.timedelta(minutes=1), 20 * HOUR, 60 * HOUR):
        assert (
            business_between(calendar, start, business_add(calendar, start, duration)) == duration
        )


def test_business_between_is_zero_when_end_is_not_after_start():
    assert business_between(
        office(), berlin(2025, 10, 7, 12), berlin(2025, 10, 7, 10)
    ) == dt.timedelta(0)
    assert business_between(
        office(), berlin(2025, 10, 7, 12), berlin(2025, 10, 7, 12)
    ) == dt.timedelta(0)


def test_business_between_over_a_weekend_counts_only_open_hours():
    assert (
        business_between(office(), berlin(2025, 10, 10, 16), berlin(2025, 10, 13, 10)) == 2 * HOUR
    )


def test_calendar_is_open_from_opening_until_just_before_closing():
    assert not calendar_is_open(office(), berlin(2025, 10, 7, 8, 59, 59))
    assert calendar_is_open(office(), berlin(2025, 10, 7, 9, 0))
    assert calendar_is_open(office(), berlin(2025, 10, 7, 16, 59, 59))
    assert not calendar_is_open(office(), berlin(2025, 10, 7, 17, 0))


def test_next_opening_is_the_instant_itself_when_open():
    assert next_opening(office(), berlin(2025, 10, 7, 10, 0)) == berlin(2025, 10, 7, 10, 0)
    assert next_opening(office(), berlin(2025, 10, 10, 17, 0)) == berlin(2025, 10, 13, 9, 0)


# --- holidays and exceptions ------------------------------------------------------------


def test_german_public_holiday_is_skipped():
    calendar = office(country="DE")
    # Friday 3 October 2025 is Tag der Deutschen Einheit.
    assert holidays_on(calendar, dt.date(2025, 10, 3)) == "Tag der Deutschen Einheit"
    assert open_intervals(calendar, dt.date(2025, 10, 3)) == ()
    assert business_add(calendar, berlin(2025, 10, 2, 16, 0), 2 * HOUR) == berlin(
        2025, 10, 6, 10, 0
    )


def test_bavarian_assumption_day_is_skipped_only_where_the_catholic_holiday_is_kept():
    # Friday 15 August 2025, Mariä Himmelfahrt: a holiday only in Bavaria's Catholic communes
    # (Munich, ...), which the holidays library files under the "catholic" category.
    thursday_afternoon = berlin(2025, 8, 14, 16, 0)
    munich = office(country="DE", subdivision="BY", holiday_categories={"public", "catholic"})
    bavaria = office(country="DE", subdivision="BY")
    berlin_state = office(country="DE", subdivision="BE", holiday_categories={"public", "catholic"})
    assert holidays_on(munich, dt.date(2025, 8, 15)) == "Mariä Himmelfahrt"
    assert business_add(munich, thursday_afternoon, 2 * HOUR) == berlin(2025, 8, 18, 10, 0)
    assert business_add(bavaria, thursday_afternoon, 2 * HOUR) == berlin(2025, 8, 15, 10, 0)
    assert business_add(berlin_state, thursday_afternoon, 2 * HOUR) == berlin(2025, 8, 15, 10, 0)


def test_bavarian_state_holiday_is_skipped_in_bavaria_but_not_in_berlin():
    # Monday 6 January 2025, Heilige Drei Könige: public in Bavaria, not in Berlin.
    friday_afternoon = berlin(2025, 1, 3, 16, 0)
    bavaria, berlin_state = (
        office(country="DE", subdivision="BY"),
        office(country="DE", subdivision="BE"),
    )
    assert business_add(bavaria, friday_afternoon, 2 * HOUR) == berlin(2025, 1, 7, 10, 0)
    assert business_add(berlin_state, friday_afternoon, 2 * HOUR) == berlin(2025, 1, 6, 10, 0)


def test_observed_us_holiday_is_skipped():
    calendar = Calendar.from_spec("America/New_York", OFFICE, country="US")
    # 4 July 2026 is a Saturday; the holiday is observed on Friday 3 July.
    assert "observed" in (holidays_on(calendar, dt.date(2026, 7, 3)) or "")
    start = dt.datetime(2026, 7, 2, 16, 0, tzinfo=NEW_YORK)
    assert business_add(calendar, start, 2 * HOUR) == dt.datetime(
        2026, 7, 6, 10, 0, tzinfo=NEW_YORK
    )


@pytest.mark.parametrize(
    ("country", "subdivision", "day"),
    [
        ("FR", "", dt.date(2025, 7, 14)),
        ("ES", "MD", dt.date(2025, 5, 2)),
        ("PT", "", dt.date(2025, 6, 10)),
        ("IT", "", dt.date(2025, 4, 25)),
        ("NL", "", dt.date(2025, 4, 21)),
        ("GB", "ENG", dt.date(2025, 8, 25)),
        ("US", "CA", dt.date(2025, 3, 31)),
    ],
)
def test_public_holidays_close_the_desk_in_many_countries(country, subdivision, day):
    calendar = Calendar.from_spec(
        "UTC", {"mon-sun": "09:00-17:00"}, country=country, subdivision=subdivision
    )
    assert holidays_on(calendar, day)
    assert open_intervals(calendar, day) == ()


def test_holiday_names_do_not_depend_on_the_host_language(monkeypatch):
    monkeypatch.setenv("LANGUAGE", "en_US")
    sla_calendar._public_holidays.cache_clear()
    assert holidays_on(office(country="DE"), dt.date(2025, 10, 3)) == "Tag der Deutschen Einheit"
    english = office(country="DE", holiday_language="en_US")
    assert holidays_on(english, dt.date(2025, 10, 3)) == "German Unity Day"


def test_custom_closed_day_is_skipped():
    calendar = office(closed_days=["2025-10-13"])  # a Monday: team offsite
    assert holidays_on(calendar, dt.date(2025, 10, 13)) == CLOSED_DAY_NAME
    assert business_add(calendar, berlin(2025, 10, 10, 16, 0), 2 * HOUR) == berlin(
        2025, 10, 14, 10, 0
    )


def test_special_hours_replace_the_weekly_hours_for_that_date():
    calendar = office(special_hours={"2025-12-24": "09:00-12:00"})  # Christmas Eve, a Wednesday
    assert lengths(calendar, dt.date(2025, 12, 24)) == [3 * HOUR]
    assert business_add(calendar, berlin(2025, 12, 24, 11, 0), 2 * HOUR) == berlin(
        2025, 12, 25, 10, 0
    )


def test_special_hours_can_open_a_public_holiday_and_empty_ones_close_a_day():
    calendar = office(
        country="DE", special_hours={"2025-10-03": "10:00-14:00", "2025-10-06": "closed"}
    )
    assert lengths(calendar, dt.date(2025, 10, 3)) == [4 * HOUR]
    assert holidays_on(calendar, dt.date(2025, 10, 3)) == "Tag der Deutschen Einheit"
    assert open_intervals(calendar, dt.date(2025, 10, 6)) == ()


def test_a_date_both_closed_and_with_special_hours_is_rejected():
    with pytest.raises(ValueError, match="both closed"):
        office(closed_days=["2025-12-24"], special_hours={"2025-12-24": "09:00-12:00"})


# --- daylight saving time ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "day"),
    [("Europe/Berlin", dt.date(2025, 3, 30)), ("America/New_York", dt.date(2025, 3, 9))],
)
def test_spring_forward_day_has_one_hour_less(zone, day):
    calendar = Calendar.from_spec(zone, {"mon-sun": "01:30-03:30"})
    assert lengths(calendar, day) == [HOUR]
    assert lengths(calendar, day - dt.timedelta(days=1)) == [2 * HOUR]


@pytest.mark.parametrize(
    ("zone", "day"),
    [("Europe/Berlin", dt.date(2025, 10, 26)), ("America/New_York", dt.date(2025, 11, 2))],
)
def test_fall_back_day_interval_length(zone, day):
    across = Calendar.from_spec(zone, {"mon-sun": "01:30-03:30"})
    assert lengths(across, day) == [3 * HOUR]
    # An interval ending inside the repeated hour closes at its first pass.
    into = Calendar.from_spec(
        zone,
        {"mon-sun": "00:30-01:30"} if zone == "America/New_York" else {"mon-sun": "01:30-02:30"},
    )
    assert lengths(into, day) == [HOUR]


def test_hours_skipped_by_spring_forward_are_empty_and_shifted_to_the_change():
    calendar = Calendar.from_spec("Europe/Berlin", {"mon-sun": "02:10-02:50,02:55-04:00"})
    ((start, end),) = open_intervals(calendar, dt.date(2025, 3, 30))
    assert start == dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC)  # 03:00 CEST, the change itself
    assert end == berlin(2025, 3, 30, 4, 0)


def test_midnight_spring_forward_moves_the_opening_to_the_change():
    # Brazil sprang forward at midnight on 4 November 2018: 00:00 became 01:00.
    calendar = around_the_clock("America/Sao_Paulo")
    ((start, end),) = open_intervals(calendar, dt.date(2018, 11, 4))
    assert start == dt.datetime(2018, 11, 4, 3, 0, tzinfo=UTC)
    assert end.astimezone(UTC) - start.astimezone(UTC) == 23 * HOUR
    assert open_intervals(calendar, dt.date(2018, 11, 3))[0][1] == start


def test_business_add_across_the_dst_change_counts_real_time():
    night_shift = Calendar.from_spec("Europe/Berlin", {"mon-sun": "00:00-06:00"})
    start = berlin(2025, 3, 30, 1, 0)  # one hour before clocks jump from 02:00 to 03:00
    assert business_add(night_shift, start, 2 * HOUR) == berlin(2025, 3, 30, 4, 0)
    start = berlin(2025, 10, 26, 1, 0)  # clocks fall back from 03:00 to 02:00
    due = business_add(night_shift, start, 2 * HOUR)
    assert due.astimezone(UTC) == dt.datetime(2025, 10, 26, 1, 0, tzinfo=UTC)
    assert (due.hour, due.fold) == (2, 1)  # the second 02:00


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("Europe/Berlin", dt.date(2025, 3, 30)),
        ("Europe/Berlin", dt.date(2025, 10, 26)),
        ("America/New_York", dt.date(2025, 3, 9)),
        ("America/New_York", dt.date(2025, 11, 2)),
        ("America/Sao_Paulo", dt.date(2018, 11, 4)),
        ("America/Sao_Paulo", dt.date(2019, 2, 16)),
        ("Australia/Lord_Howe", dt.date(2025, 4, 6)),
        ("Australia/Lord_Howe", dt.date(2025, 10, 5)),
    ],
)
def test_hours_begin_the_first_minute_the_wall_clock_reads_their_start_or_later(zone, day):
    local = ZoneInfo(zone)
    first = dt.datetime.combine(day - dt.timedelta(days=1), dt.time(0), UTC)
    minutes = [first + dt.timedelta(minutes=n) for n in range(3 * 1440)]
    # The clock may run back; the latest time it has shown so far only grows.
    shown, latest = [], dt.datetime.min
    for moment in minutes:
        latest = max(latest, moment.astimezone(local).replace(tzinfo=None, fold=0))
        shown.append(latest)
    for quarter in range(96):
        wall = dt.datetime.combine(day, _quarter(quarter))
        calendar = Calendar(zone, ((Interval(wall.time(), dt.time(0)),),) * 7)
        ((start, _end),) = open_intervals(calendar, day)
        # PEP 495: a repeated wall time never equals an instant in another zone; use UTC.
        assert start.astimezone(UTC) == minutes[bisect.bisect_left(shown, wall)], wall


@pytest.mark.parametrize("zone", ["Europe/Berlin", "America/New_York", "UTC"])
def test_around_the_clock_calendar_behaves_like_wall_time(zone):
    calendar = around_the_clock(zone)
    start = dt.datetime(2025, 3, 28, 22, 15, tzinfo=UTC)
    for duration in (
        dt.timedelta(0),
        5 * HOUR,
        3 * dt.timedelta(days=1),
        250 * dt.timedelta(days=1),
    ):
        due = business_add(calendar, start, duration)
        assert due.astimezone(UTC) == start + duration
        assert business_between(calendar, start, start + duration) == duration
    assert standard_day(calendar) == 24 * HOUR


# --- building calendars -----------------------------------------------------------------


def test_calendar_never_open_raises():
    with pytest.raises(CalendarNeverOpen, match="never open"):
        Calendar.from_spec("Europe/Berlin", {"mon-sun": "closed"})
    assert issubclass(CalendarNeverOpen, ValueError)


def test_search_gives_up_after_three_closed_years():
    first = dt.date(2025, 1, 1)
    closed = [first + dt.timedelta(days=n) for n in range(4 * 366)]
    calendar = office(closed_days=closed)
    with pytest.raises(CalendarNeverOpen, match="not open at all"):
        business_add(calendar, berlin(2025, 1, 1, 9), HOUR)
    with pytest.raises(CalendarNeverOpen):
        next_opening(calendar, berlin(2025, 1, 1, 9))
    assert business_between(
        calendar, berlin(2025, 1, 1, 9), berlin(2028, 12, 31, 9)
    ) == dt.timedelta(0)


def test_invalid_country_is_rejected():
    with pytest.raises(ValueError, match="'XX'"):
        office(country="XX")


def test_invalid_subdivision_is_rejected_naming_the_code():
    with pytest.raises(ValueError, match="'ZZ' for DE"):
        office(country="DE", subdivision="ZZ")
    with pytest.raises(ValueError, match="needs a country"):
        office(subdivision="BY")


def test_subdivision_may_be_written_as_iso_code_or_local_name():
    assert office(country="de", subdivision="de-by").subdivision == "BY"
    assert office(country="DE", subdivision="Bayern").subdivision == "BY"
    assert office(country="GB", subdivision="eng").subdivision == "ENG"


def test_unknown_holiday_category_is_rejected():
    with pytest.raises(ValueError, match="not carnival"):
        office(country="DE", holiday_categories={"public", "carnival"})
    with pytest.raises(ValueError, match="needs a country"):
        office(holiday_categories={"catholic"})


def test_unknown_holiday_language_is_rejected():
    with pytest.raises(ValueError, match="'xx'"):
        office(country="DE", holiday_language="xx")


def test_invalid_time_zone_is_rejected():
    with pytest.raises(ValueError, match="Mars/Olympus_Mons"):
        Calendar.from_spec("Mars/Olympus_Mons", OFFICE)


def test_weekly_hours_need_seven_days():
    with pytest.raises(ValueError, match="7 entries"):
        Calendar("UTC", ((Interval(dt.time(9), dt.time(17)),),) * 5)


def test_overlapping_hours_are_rejected_and_touching_ones_merged():
    with pytest.raises(ValueError, match="overlapping"):
        Calendar.from_spec("UTC", {"mon": "09:00-12:00,11:00-14:00"})
    calendar = Calendar.from_spec("UTC", {"mon": "13:00-17:00,09:00-13:00"})
    assert calendar.weekly[0] == (Interval(dt.time(9), dt.time(17)),)


def test_from_spec_reads_ranges_full_names_and_wrapping_ranges():
    calendar = Calendar.from_spec("UTC", {"Friday-mon": "10:00-24:00", "wed": "closed"})
    assert [bool(hours) for hours in calendar.weekly] == [
        True,
        False,
        False,
        False,
        True,
        True,
        True,
    ]
    assert str(calendar.weekly[4][0]) == "10:00-24:00"
    with pytest.raises(ValueError, match="given twice"):
        Calendar.from_spec("UTC", {"mon-fri": "09:00-17:00", "fri": "09:00-12:00"})


def test_interval_must_end_after_it_starts_unless_it_ends_at_midnight():
    assert Interval.parse("22:00 – 24:00").end == dt.time(0)
    assert Interval(dt.time(0), dt.time(0)).length == 24 * HOUR
    with pytest.raises(ValueError, match="end after"):
        Interval.parse("17:00-09:00")
    with pytest.raises(ValueError, match="not a time"):
        Interval.parse("24:00-25:00")


def test_equal_calendars_compare_and_hash_equal():
    one = office(country="DE", subdivision="BY", special_hours={"2025-12-24": "09:00-12:00"})
    two = office(
        country="de", subdivision="Bayern", special_hours={dt.date(2025, 12, 24): "09:00-12:00"}
    )
    assert one == two and hash(one) == hash(two)


def test_calendars_survive_pickling_and_copying():
    one = office(country="DE", subdivision="BY", special_hours={"2025-12-24": "09:00-12:00"})
    assert pickle.loads(pickle.dumps(one)) == one
    assert copy.deepcopy(one) == one


# --- business durations -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "duration", "canonical"),
    [
        ("1 business day", BusinessDuration(days=1), "1d"),
        ("4 business hours", BusinessDuration(minutes=240), "4h"),
        ("1d 4h 30m", BusinessDuration(minutes=270, days=1), "1d 4h 30m"),
        ("2h30m", BusinessDuration(minutes=150), "2h 30m"),
        ("3 days, 2 hours and 5 minutes", BusinessDuration(minutes=125, days=3), "3d 2h 5m"),
        ("0m", BusinessDuration(), "0m"),
    ],
)
def test_business_durations_parse_and_print(text, duration, canonical):
    assert BusinessDuration.parse(text) == duration
    assert str(duration) == canonical
    assert BusinessDuration.parse(canonical) == duration


@pytest.mark.parametrize("text", ["", "soon", "4 weeks", "1.5h", "-2h", "4h later"])
def test_unreadable_business_durations_are_rejected(text):
    with pytest.raises(ValueError, match="not a business duration"):
        BusinessDuration.parse(text)


# --- properties -------------------------------------------------------------------------

ZONES = ["Europe/Berlin", "America/New_York", "UTC", "Australia/Lord_Howe", "America/Sao_Paulo"]
HOLIDAY_RULES = [("", ""), ("DE", "BY"), ("US", "CA"), ("FR", ""), ("GB", "ENG")]
FIRST_DAY, LAST_DAY = dt.date(2017, 1, 1), dt.date(2026, 12, 31)


@st.composite
def day_hours(draw) -> tuple[Interval, ...]:
    edges = sorted(draw(st.sets(st.integers(0, 96), max_size=6)))  # quarter hours, 96 = 24:00
    edges = edges[: len(edges) // 2 * 2]
    return tuple(
        Interval(_quarter(start), _quarter(end))
        for start, end in zip(edges[::2], edges[1::2], strict=True)
    )


def _quarter(index: int) -> dt.time:
    return dt.time(0) if index == 96 else dt.time(index // 4, index % 4 * 15)


@st.composite
def calendars(draw) -> Calendar:
    weekly = draw(st.lists(day_hours(), min_size=7, max_size=7).filter(any))
    country, subdivision = draw(st.sampled_from(HOLIDAY_RULES))
    closed = draw(st.frozensets(st.dates(FIRST_DAY, LAST_DAY), max_size=20))
    return Calendar(
        draw(st.sampled_from(ZONES)),
        tuple(weekly),
        country=country,
        subdivision=subdivision,
        closed_days=closed,
    )


# The instants where the properties' zones change their clocks: starts near them matter most.
CLOCK_CHANGES = [
    dt.datetime(2025, 3, 30, 1, 0, tzinfo=UTC),  # Europe/Berlin
    dt.datetime(2025, 10, 26, 1, 0, tzinfo=UTC),
    dt.datetime(2025, 3, 9, 7, 0, tzinfo=UTC),  # America/New_York
    dt.datetime(2025, 11, 2, 6, 0, tzinfo=UTC),
    dt.datetime(2018, 11, 4, 3, 0, tzinfo=UTC),  # America/Sao_Paulo, at midnight
    dt.datetime(2019, 2, 17, 2, 0, tzinfo=UTC),
    dt.datetime(2025, 4, 5, 15, 0, tzinfo=UTC),  # Australia/Lord_Howe, half an hour
    dt.datetime(2025, 10, 4, 15, 30, tzinfo=UTC),
]
instants = st.one_of(
    st.datetimes(dt.datetime(2017, 1, 1), dt.datetime(2026, 12, 31), timezones=st.just(UTC)).map(
        lambda moment: moment.replace(microsecond=0)
    ),
    st.builds(
        lambda change, seconds: change + dt.timedelta(seconds=seconds),
        st.sampled_from(CLOCK_CHANGES),
        st.integers(-3 * 86400, 86400),
    ),
)

PROPERTIES = settings(
    max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _duration(data, calendar: Calendar) -> dt.timedelta:
    most = int(10 * standard_day(calendar).total_seconds())
    return dt.timedelta(seconds=data.draw(st.integers(0, most)))


def _is_open_or_closing(calendar: Calendar, moment: dt.datetime) -> bool:
    if calendar_is_open(calendar, moment):
        return True
    local_day = moment.astimezone(calendar.zone).date()
    ends = {
        end.astimezone(UTC)
        for day in (local_day - dt.timedelta(days=1), local_day)
        for _start, end in open_intervals(calendar, day)
    }
    return moment.astimezone(UTC) in ends


@PROPERTIES
@given(calendar=calendars(), start=instants, data=st.data())
def test_due_time_is_inside_hours_or_exactly_at_a_closing(calendar, start, data):
    due = business_add(calendar, start, _duration(data, calendar))
    assert due.tzinfo is calendar.zone
    assert _is_open_or_closing(calendar, due)


@PROPERTIES
@given(calendar=calendars(), start=instants, data=st.data())
def test_business_between_measures_back_what_business_add_added(calendar, start, data):
    duration = _duration(data, calendar)
    assert business_between(calendar, start, business_add(calendar, start, duration)) == duration


@PROPERTIES
@given(calendar=calendars(), start=instants, data=st.data())
def test_business_add_never_goes_back_for_a_longer_duration(calendar, start, data):
    shorter, longer = sorted([_duration(data, calendar), _duration(data, calendar)])
    first = business_add(calendar, start, shorter).astimezone(UTC)
    second = business_add(calendar, start, longer).astimezone(UTC)
    assert start <= first <= second


within_six_weeks = st.integers(0, 42 * 86400).map(lambda seconds: dt.timedelta(seconds=seconds))


@PROPERTIES
@given(calendar=calendars(), a=instants, ab=within_six_weeks, bc=within_six_weeks)
def test_business_between_adds_up_over_consecutive_stretches(calendar, a, ab, bc):
    b, c = a + ab, a + ab + bc
    assert business_between(calendar, a, c) == business_between(calendar, a, b) + business_between(
        calendar, b, c
    )
