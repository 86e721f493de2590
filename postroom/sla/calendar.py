"""Count business time on a queue's calendar (issue #5): opening hours, holidays, DST.

Pure: no database, no clock. The models build a `Calendar` from rows; the SLA code asks it
when a promise falls due. The rules below are the contract that code relies on.

Hours
    Each weekday (Monday first) has zero or more local wall-clock intervals `[start, end)`.
    An interval may run to midnight, written "24:00" and stored as `end=time(0)`; that is
    the only end allowed to be earlier than its start. Touching intervals are merged,
    overlapping ones rejected.

Which hours a date has
    `special_hours` for that date when given (an empty tuple closes the date); otherwise
    none on a custom closed day or a public holiday (the `holidays` library, by country,
    subdivision and category: "public" by default; add e.g. "catholic" for Mariä Himmelfahrt
    in the Catholic parts of Bavaria); otherwise the weekly hours of its weekday. Holiday
    names come in `holiday_language`, by default the country's own, never the host's $LANG.

Daylight saving time
    Each boundary of an interval is the first instant the wall clock reads that time or
    later. So a wall time skipped by a spring-forward change moves forward to the change
    itself, and one repeated by a fall-back change counts at its first pass: in
    Europe/Berlin on 2025-03-30 01:30–03:30 is one hour and 02:10–02:50 is empty; on
    2025-10-26 01:30–03:30 is three hours and 01:30–02:30 is one. This mapping never runs
    backwards, so intervals never overlap. Arithmetic is in UTC; results come back in the
    calendar's zone, where Python subtracts wall times and (PEP 495) a repeated wall time
    never equals an instant in another zone, so compare and subtract them in UTC.

Adding business time
    `business_add` returns the instant the duration is used up. When that is exactly the end
    of an interval it returns that end (Friday 17:00), not the next opening. A zero duration
    returns the start when the calendar is open then, else the next opening. Open means
    `start <= t < end`, so at 17:00 the desk is closed.

Business days
    A business day is `standard_day(calendar)`: the most common non-zero length of a weekly
    day (the longest of equally common ones). "1 business day" from Friday 16:00 on a
    09:00–17:00 desk is Monday 16:00, as in Zendesk and Freshdesk.

Searching forward gives up with `CalendarNeverOpen` after `SEARCH_LIMIT` without an open
hour; a calendar without any weekly hours is refused when it is built.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import KW_ONLY, dataclass, field
from functools import lru_cache
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

import holidays as holidays_lib

SEARCH_LIMIT = dt.timedelta(days=3 * 366)
CLOSED_DAY_NAME = "Closed"

_UTC = dt.UTC
_DAY = dt.timedelta(days=1)
_SPANS_MEMO_SIZE = 4096
_MIDNIGHT = dt.time(0)
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOSED_WORDS = frozenset({"", "-", "closed", "none"})
_TIME = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_DURATION_PART = re.compile(
    r"\s*(\d+)\s*(?:business\s+)?"
    r"(days?|d|hours?|hrs?|h|minutes?|mins?|m)(?![a-z])"
    r"\s*,?\s*(?:and\s+)?",
    re.IGNORECASE,
)

Span = tuple[dt.datetime, dt.datetime]


class CalendarNeverOpen(ValueError):
    """Signal that a calendar has no open hours at all, or none within `SEARCH_LIMIT`."""


@dataclass(frozen=True)
class Interval:
    """Hold one stretch of local opening hours `[start, end)`; `end=time(0)` means 24:00."""

    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        for name in ("start", "end"):
            value = getattr(self, name)
            if not isinstance(value, dt.time) or value.tzinfo is not None:
                raise ValueError(f"interval {name} must be a naive time, got {value!r}")
            if value.microsecond:
                raise ValueError(f"interval {name} must be whole seconds, got {value}")
            if value.fold:
                object.__setattr__(self, name, value.replace(fold=0))
        if self.end != _MIDNIGHT and self.end <= self.start:
            raise ValueError(f"interval must end after it starts: {self}")

    @classmethod
    def parse(cls, text: str) -> Interval:
        """Parse "09:00-12:30" (an en dash works too; "24:00" is allowed as the end)."""
        parts = re.split(r"\s*[-–—]\s*", text.strip())
        if len(parts) != 2:
            raise ValueError(f"opening hours must look like 09:00-17:00, got {text!r}")
        return cls(_parse_time(parts[0], allow_24=False), _parse_time(parts[1], allow_24=True))

    @property
    def start_seconds(self) -> int:
        """Return the start as seconds after midnight."""
        return _seconds(self.start)

    @property
    def end_seconds(self) -> int:
        """Return the end as seconds after midnight (86400 for 24:00)."""
        return 86400 if self.end == _MIDNIGHT else _seconds(self.end)

    @property
    def length(self) -> dt.timedelta:
        """Return the nominal wall-clock length, ignoring any DST change that day."""
        return dt.timedelta(seconds=self.end_seconds - self.start_seconds)

    def __str__(self) -> str:
        end = "24:00" if self.end == _MIDNIGHT else _format_time(self.end)
        return f"{_format_time(self.start)}-{end}"


@dataclass(frozen=True)
class Calendar:
    """Describe when a queue is staffed: zone, weekly hours, holidays and exceptions."""

    timezone: str
    weekly: tuple[tuple[Interval, ...], ...]
    _: KW_ONLY
    country: str = ""
    subdivision: str = ""
    closed_days: frozenset[dt.date] = frozenset()
    special_hours: Mapping[dt.date, tuple[Interval, ...]] = field(
        default_factory=lambda: MappingProxyType({}), hash=False
    )
    holiday_language: str = ""
    holiday_categories: frozenset[str] = frozenset({"public"})
    _zone: ZoneInfo = field(init=False, repr=False, compare=False, hash=False)
    _language: str = field(init=False, repr=False, compare=False, hash=False)
    _standard_day: dt.timedelta = field(init=False, repr=False, compare=False, hash=False)
    # Memo of each date's open spans in UTC: the calendar is immutable, and SLA sweeps ask
    # about the same few weeks again and again.
    _spans: dict[dt.date, tuple[Span, ...]] = field(
        init=False, repr=False, compare=False, hash=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "_zone", _zone_named(self.timezone))
        weekly = tuple(self.weekly)
        if len(weekly) != 7:
            raise ValueError(f"weekly hours need 7 entries, Monday first; got {len(weekly)}")
        weekly = tuple(
            _normalised_hours(hours, _WEEKDAY_NAMES[index]) for index, hours in enumerate(weekly)
        )
        object.__setattr__(self, "weekly", weekly)
        if not any(weekly):
            raise CalendarNeverOpen("calendar has no weekly opening hours, so it is never open")

        closed = frozenset(_plain_date(day, "closed day") for day in self.closed_days)
        object.__setattr__(self, "closed_days", closed)
        special = {
            _plain_date(day, "special hours date"): _normalised_hours(hours, str(day))
            for day, hours in self.special_hours.items()
        }
        both = sorted(closed & special.keys())
        if both:
            raise ValueError(f"dates both closed and given special hours: {both}")
        object.__setattr__(self, "special_hours", MappingProxyType(special))

        country, subdivision, language, categories = _holiday_rules(
            self.country,
            self.subdivision,
            self.holiday_language,
            frozenset(self.holiday_categories),
        )
        object.__setattr__(self, "country", country)
        object.__setattr__(self, "subdivision", subdivision)
        object.__setattr__(self, "holiday_categories", categories)
        object.__setattr__(self, "_language", language)
        object.__setattr__(self, "_standard_day", _most_common_day(weekly))

    @classmethod
    def from_spec(
        cls,
        timezone: str,
        weekly: Mapping[str, str],
        *,
        country: str = "",
        subdivision: str = "",
        closed_days: Iterable[dt.date | str] = (),
        special_hours: Mapping[dt.date | str, str] | None = None,
        holiday_language: str = "",
        holiday_categories: Iterable[str] = ("public",),
    ) -> Calendar:
        """Build a calendar from text, e.g. {"mon-fri": "09:00-12:30,13:30-17:30"}.

        Keys are weekdays ("mon", "monday") or ranges ("mon-fri"); missing days are closed.
        Values list intervals separated by commas; "" or "closed" means no hours. Dates may
        be `date` objects or ISO strings.
        """
        days: list[tuple[Interval, ...] | None] = [None] * 7
        for key, hours in weekly.items():
            for index in _weekday_indexes(key):
                if days[index] is not None:
                    raise ValueError(f"{_WEEKDAY_NAMES[index]} is given twice in {dict(weekly)}")
                days[index] = _parse_hours(hours)
        return cls(
            timezone,
            tuple(hours or () for hours in days),
            country=country,
            subdivision=subdivision,
            closed_days=frozenset(_as_date(day) for day in closed_days),
            special_hours={
                _as_date(day): _parse_hours(hours) for day, hours in (special_hours or {}).items()
            },
            holiday_language=holiday_language,
            holiday_categories=frozenset(holiday_categories),
        )

    @property
    def zone(self) -> ZoneInfo:
        """Return the calendar's time zone."""
        return self._zone

    def __reduce__(self) -> tuple[object, ...]:
        """Pickle and deep-copy as constructor arguments: a mappingproxy cannot be pickled."""
        options = {
            "country": self.country,
            "subdivision": self.subdivision,
            "closed_days": self.closed_days,
            "special_hours": dict(self.special_hours),
            "holiday_language": self.holiday_language,
            "holiday_categories": self.holiday_categories,
        }
        return (_rebuilt_calendar, (self.timezone, self.weekly, options))


def _rebuilt_calendar(
    timezone: str, weekly: tuple[tuple[Interval, ...], ...], options: dict[str, Any]
) -> Calendar:
    return Calendar(timezone, weekly, **options)


@dataclass(frozen=True)
class BusinessDuration:
    """Hold a promised amount of business time: business minutes plus business days.

    Days stay separate from minutes because their length belongs to the calendar
    (`standard_day`): the same policy "1 business day" is 8 hours on one desk, 10 on another.
    """

    minutes: int = 0
    days: int = 0

    def __post_init__(self) -> None:
        for name in ("minutes", "days"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"business duration {name} must be a whole number >= 0")

    @classmethod
    def parse(cls, text: str) -> BusinessDuration:
        """Parse "1 business day", "4 business hours", "1d 4h 30m", "2h30m" or "90 minutes"."""
        minutes = days = 0
        position, found = 0, False
        while position < len(text):
            match = _DURATION_PART.match(text, position)
            if match is None or match.end() == position:
                break
            amount, unit = int(match.group(1)), match.group(2).lower()
            if unit.startswith("d"):
                days += amount
            elif unit.startswith("h"):
                minutes += amount * 60
            else:
                minutes += amount
            position, found = match.end(), True
        if not found or text[position:].strip():
            raise ValueError(f"not a business duration: {text!r} (try '4h', '1 business day')")
        return cls(minutes=minutes, days=days)

    def to_timedelta(self, calendar: Calendar) -> dt.timedelta:
        """Return the business time this duration means on *calendar*."""
        return self.days * standard_day(calendar) + dt.timedelta(minutes=self.minutes)

    def __str__(self) -> str:
        hours, minutes = divmod(self.minutes, 60)
        parts = [f"{self.days}d"] if self.days else []
        parts += [f"{hours}h"] if hours else []
        parts += [f"{minutes}m"] if minutes or not parts else []
        return " ".join(parts)


def calendar_is_open(calendar: Calendar, at: dt.datetime) -> bool:
    """Return whether *calendar* is open at the aware instant *at*."""
    moment = _utc(at)
    for start, _end in _open_spans(calendar, moment, until=moment):
        return start == moment
    return False


def next_opening(calendar: Calendar, at: dt.datetime) -> dt.datetime:
    """Return the first open instant at or after *at* (*at* itself when open), in the zone."""
    for start, _end in _open_spans(calendar, _utc(at)):
        return start.astimezone(calendar.zone)
    raise AssertionError("_open_spans either yields or raises")


def business_add(
    calendar: Calendar, start: dt.datetime, duration: dt.timedelta | BusinessDuration
) -> dt.datetime:
    """Return the instant *duration* of business time has elapsed after *start*.

    Counting begins at the next opening when *start* is outside hours. The result is in the
    calendar's zone; it is an interval's end when the duration runs out exactly there.
    """
    remaining = _as_timedelta(calendar, duration)
    if remaining < dt.timedelta(0):
        raise ValueError(f"business duration must not be negative: {remaining}")
    for begin, end in _open_spans(calendar, _utc(start)):
        if remaining <= end - begin:
            return (begin + remaining).astimezone(calendar.zone)
        remaining -= end - begin
    raise AssertionError("_open_spans either yields or raises")


def business_days_add(calendar: Calendar, start: dt.datetime, days: int) -> dt.datetime:
    """Return the instant *days* business days (of `standard_day` each) after *start*."""
    return business_add(calendar, start, BusinessDuration(days=days))


def business_between(calendar: Calendar, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
    """Return the business time elapsed from *start* to *end* (zero when end <= start)."""
    begin, finish = _utc(start), _utc(end)
    total = dt.timedelta(0)
    if finish <= begin:
        return total
    for span_start, span_end in _open_spans(calendar, begin, until=finish):
        if span_start >= finish:
            break
        total += min(span_end, finish) - span_start
    return total


def open_intervals(calendar: Calendar, day: dt.date) -> tuple[Span, ...]:
    """Return *day*'s open intervals as aware datetimes in the zone (empty when closed)."""
    zone = calendar.zone
    return tuple(
        (start.astimezone(zone), end.astimezone(zone)) for start, end in _day_spans(calendar, day)
    )


def holidays_on(calendar: Calendar, day: dt.date) -> str | None:
    """Return *day*'s holiday name, `CLOSED_DAY_NAME` for a custom closed day, else None.

    Special hours may still open the desk on a holiday; `open_intervals` says whether it is.
    """
    return _public_holiday(calendar, day) or (
        CLOSED_DAY_NAME if day in calendar.closed_days else None
    )


def standard_day(calendar: Calendar) -> dt.timedelta:
    """Return the length of a business day: the most common non-zero weekly day length."""
    return calendar._standard_day


def _open_spans(
    calendar: Calendar, after: dt.datetime, *, until: dt.datetime | None = None
) -> Iterator[Span]:
    """Yield the open spans (UTC) ending after *after*, clipped to start no earlier, in order.

    With *until*, stop after its local date. Without, walk on for as long as the caller
    reads, unless the calendar stays shut for `SEARCH_LIMIT` (`CalendarNeverOpen`).
    """
    zone = calendar.zone
    # Start a day early: a DST change at midnight can move the edge between two days.
    day = after.astimezone(zone).date() - _DAY
    last_day = until.astimezone(zone).date() if until is not None else dt.date.max
    last_open = day
    try:
        while day <= last_day:
            spans = _day_spans(calendar, day)
            if spans:
                last_open = day
            for start, end in spans:
                if end > after:
                    yield max(start, after), end
            if until is None and day - last_open > SEARCH_LIMIT:
                raise CalendarNeverOpen(
                    f"calendar is not open at all between {last_open} and {day}"
                )
            day += _DAY
    except OverflowError:
        raise ValueError("business time runs past the end of the supported dates") from None


def _day_spans(calendar: Calendar, day: dt.date) -> tuple[Span, ...]:
    """Return *day*'s open spans as UTC instants, dropping any a DST gap swallowed."""
    memo = calendar._spans
    found = memo.get(day)
    if found is not None:
        return found
    zone = calendar.zone
    spans = []
    for interval in _day_hours(calendar, day):
        start = _wall_instant(dt.datetime.combine(day, interval.start), zone)
        end_day = day + _DAY if interval.end == _MIDNIGHT else day
        end = _wall_instant(dt.datetime.combine(end_day, interval.end), zone)
        if start < end:
            spans.append((start, end))
    if len(memo) >= _SPANS_MEMO_SIZE:
        memo.clear()  # crude bound; refilling a few weeks costs microseconds
    memo[day] = found = tuple(spans)
    return found


def _day_hours(calendar: Calendar, day: dt.date) -> tuple[Interval, ...]:
    """Return the wall-clock hours that apply on *day* (special hours win over closures)."""
    special = calendar.special_hours.get(day)
    if special is not None:
        return special
    if day in calendar.closed_days or _public_holiday(calendar, day):
        return ()
    return calendar.weekly[day.weekday()]


def _public_holiday(calendar: Calendar, day: dt.date) -> str | None:
    if not calendar.country:
        return None
    table = _public_holidays(
        calendar.country,
        calendar.subdivision,
        calendar._language,
        calendar.holiday_categories,
        day.year,
    )
    return table.get(day)


@lru_cache(maxsize=512)
def _public_holidays(
    country: str, subdivision: str, language: str, categories: frozenset[str], year: int
) -> Mapping[dt.date, str]:
    """Return one year's holidays; cached because the library takes ~0.3–3 ms a year."""
    table = holidays_lib.country_holidays(
        country,
        subdiv=subdivision or None,
        years=year,
        language=language or None,
        categories=sorted(categories),
    )
    return MappingProxyType({day: str(name) for day, name in table.items() if day.year == year})


@lru_cache(maxsize=256)
def _holiday_rules(
    country: str, subdivision: str, language: str, categories: frozenset[str]
) -> tuple[str, str, str, frozenset[str]]:
    """Validate the holiday settings; return them canonical (codes, language, categories)."""
    code = country.strip().upper()
    wanted_categories = frozenset(category.strip().lower() for category in categories)
    if not code:
        if subdivision.strip() or language.strip() or wanted_categories != {"public"}:
            raise ValueError("a holiday subdivision, language or category needs a country")
        return "", "", "", wanted_categories
    if code not in holidays_lib.list_supported_countries():
        raise ValueError(
            f"unknown holiday country {country!r}: use an ISO 3166-1 alpha-2 code "
            "that the holidays library knows, e.g. DE, US, FR"
        )
    entity = holidays_lib.country_holidays(code)  # cheap: populates no year
    subdivision_code = _subdivision_code(entity, code, subdivision.strip())
    supported = tuple(getattr(entity, "supported_languages", ()) or ())
    wanted = language.strip()
    if wanted and wanted not in supported:
        raise ValueError(
            f"holiday names for {code} come in {', '.join(supported) or 'one language only'}; "
            f"not {language!r}"
        )
    known_categories = frozenset(getattr(entity, "supported_categories", ("public",)))
    if not wanted_categories or wanted_categories - known_categories:
        raise ValueError(
            f"holiday categories for {code} are {', '.join(sorted(known_categories))}; "
            f"not {', '.join(sorted(wanted_categories - known_categories)) or 'none'}"
        )
    # Name the language always: left out, the library reads $LANG and names drift by host.
    language_code = wanted or (getattr(entity, "default_language", None) or "")
    return code, subdivision_code, language_code, wanted_categories


def _subdivision_code(entity: holidays_lib.HolidayBase, country: str, subdivision: str) -> str:
    """Return the library's code for *subdivision* ("BY", "by", "DE-BY", "Bayern" -> "BY")."""
    if not subdivision:
        return ""
    codes = tuple(entity.subdivisions)
    aliases: dict[str, str] = {}
    get_aliases = getattr(entity, "get_subdivision_aliases", None)
    if get_aliases is not None:
        for code, names in get_aliases().items():
            aliases.update({name.casefold(): code for name in names})
    wanted = subdivision.casefold().removeprefix(f"{country.casefold()}-")
    for code in codes:
        if code.casefold() == wanted:
            return code
    if wanted in aliases:
        return aliases[wanted]
    raise ValueError(
        f"unknown subdivision {subdivision!r} for {country}: "
        f"use one of {', '.join(codes) or '(none: this country has no subdivisions)'}"
    )


def _wall_instant(wall: dt.datetime, zone: ZoneInfo) -> dt.datetime:
    """Return the UTC instant the wall clock in *zone* first shows *wall* (see module doc)."""
    before = _offset(zone, wall)  # PEP 495: fold=0 takes the offset before a change
    after = _offset(zone, wall.replace(fold=1))
    instant = (wall - before).replace(tzinfo=_UTC)
    if after > before:
        # A spring-forward gap swallowed *wall*: use the change itself, the first instant
        # that shows a later time.
        return _change_between(zone, (wall - after).replace(tzinfo=_UTC), instant, after)
    return instant


def _change_between(
    zone: ZoneInfo, low: dt.datetime, high: dt.datetime, after: dt.timedelta
) -> dt.datetime:
    """Return the instant in (low, high] where *zone* switches to offset *after*."""
    # zoneinfo does not expose its transitions; tzdata stores them in whole seconds.
    lo, hi = int(low.timestamp()), -int(-high.timestamp() // 1)
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if dt.datetime.fromtimestamp(middle, zone).utcoffset() == after:
            hi = middle
        else:
            lo = middle
    return dt.datetime.fromtimestamp(hi, _UTC)


def _offset(zone: ZoneInfo, wall: dt.datetime) -> dt.timedelta:
    offset = zone.utcoffset(wall)
    assert offset is not None  # a ZoneInfo always knows its offset
    return offset


def _utc(at: dt.datetime) -> dt.datetime:
    if not isinstance(at, dt.datetime) or at.utcoffset() is None:
        raise ValueError(f"business time needs an aware datetime, got {at!r}")
    return at.astimezone(_UTC)


def _as_timedelta(calendar: Calendar, duration: dt.timedelta | BusinessDuration) -> dt.timedelta:
    if isinstance(duration, BusinessDuration):
        return duration.to_timedelta(calendar)
    if isinstance(duration, dt.timedelta):
        return duration
    raise TypeError(f"expected a timedelta or BusinessDuration, got {duration!r}")


def _most_common_day(weekly: tuple[tuple[Interval, ...], ...]) -> dt.timedelta:
    lengths = Counter(
        sum((interval.length for interval in hours), dt.timedelta(0)) for hours in weekly if hours
    )
    return max(lengths, key=lambda length: (lengths[length], length))


def _zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError, TypeError):
        raise ValueError(
            f"unknown time zone {name!r}: use an IANA name like Europe/Berlin"
        ) from None


def _normalised_hours(hours: Iterable[Interval], where: str) -> tuple[Interval, ...]:
    """Return *hours* sorted with touching intervals merged; reject overlaps."""
    ordered = sorted(hours, key=_checked_interval_start)
    merged: list[Interval] = []
    for interval in ordered:
        if merged and merged[-1].end_seconds > interval.start_seconds:
            raise ValueError(f"overlapping hours on {where}: {merged[-1]} and {interval}")
        if merged and merged[-1].end_seconds == interval.start_seconds:
            merged[-1] = Interval(merged[-1].start, interval.end)
        else:
            merged.append(interval)
    return tuple(merged)


def _checked_interval_start(interval: Interval) -> int:
    if not isinstance(interval, Interval):
        raise ValueError(f"opening hours must be Interval objects, got {interval!r}")
    return interval.start_seconds


def _parse_hours(text: str) -> tuple[Interval, ...]:
    if text.strip().lower() in _CLOSED_WORDS:
        return ()
    return tuple(Interval.parse(part) for part in re.split(r"[,;]", text) if part.strip())


def _parse_time(text: str, *, allow_24: bool) -> dt.time:
    match = _TIME.fullmatch(text)
    if match is None:
        raise ValueError(f"not a time of day: {text!r} (use HH:MM)")
    hour, minute, second = int(match[1]), int(match[2]), int(match[3] or 0)
    if allow_24 and (hour, minute, second) == (24, 0, 0):
        return _MIDNIGHT
    if hour > 23 or minute > 59 or second > 59:
        raise ValueError(f"not a time of day: {text!r}")
    return dt.time(hour, minute, second)


def _format_time(value: dt.time) -> str:
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


def _seconds(value: dt.time) -> int:
    return value.hour * 3600 + value.minute * 60 + value.second


def _weekday_indexes(key: str) -> list[int]:
    """Return the weekday numbers a key names: "mon" -> [0], "fri-mon" -> [4, 5, 6, 0]."""
    ends = [_weekday_index(part) for part in re.split(r"\s*[-–]\s*", key.strip())]
    if len(ends) == 1:
        return ends
    if len(ends) != 2:
        raise ValueError(f"not a weekday or range of weekdays: {key!r}")
    first, last = ends
    return [(first + step) % 7 for step in range((last - first) % 7 + 1)]


def _weekday_index(name: str) -> int:
    lowered = name.lower()
    for index, (short, full) in enumerate(zip(_WEEKDAYS, _WEEKDAY_NAMES, strict=True)):
        if lowered in (short, full):
            return index
    raise ValueError(f"not a weekday: {name!r} (use mon … sun)")


def _as_date(value: dt.date | str) -> dt.date:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _plain_date(value: object, what: str) -> dt.date:
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValueError(f"{what} must be a date, got {value!r}")
    return value
