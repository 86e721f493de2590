"""Service figures for the supervisor page (issue #5): what is due, what was met, how
customers rated us, and the bar charts that show it.

Every read is limited to the tickets the user may see (`tickets_visible_to`) and costs
a fixed number of queries, however many tickets it covers. Days are calendar days in
the server's TIME_ZONE.
"""

from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import Avg, Count, Model, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import mark_safe

from postroom.sla.due import due_phrase
from postroom.sla.models import TicketSla
from postroom.tickets.models import Ticket, TicketStatus
from postroom.tickets.queries import tickets_visible_to

DUE_SOON = dt.timedelta(hours=2)
# Waiting on the customer (pending) stops the clock: nothing is due from us then.
OWED_STATUSES = (TicketStatus.NEW, TicketStatus.OPEN)
TARGET_LABELS = {
    "first_response": "first response",
    "next_response": "next response",
    "resolution": "resolution",
}
ATTAINMENT_TARGET_PERCENT = 90.0
GOOD_RATING = 4  # as in postroom.surveys: "Good" and "Great" count as satisfied


# --- due now -------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueTicket:
    """An open ticket and its earliest open SLA target."""

    ticket_id: int
    reference: str
    subject: str
    queue: str
    assignee: str  # "" when unassigned
    target: str  # "first response", "next response" or "resolution"
    due: dt.datetime
    phrase: str  # "due in 1h 10m", "overdue 25 min"


def _owed_tickets(user: Any) -> QuerySet[Ticket]:
    """Return the visible tickets we owe something, earliest deadline first."""
    owed = Ticket.objects.filter(
        status__in=OWED_STATUSES, sla__next_due__isnull=False, sla__paused_since__isnull=True
    )
    return (
        tickets_visible_to(user, owed)
        .select_related("queue", "assignee", "sla")
        .order_by("sla__next_due", "pk")
    )


def _due_tickets(rows: Iterable[Ticket], *, now: dt.datetime) -> tuple[DueTicket, ...]:
    due = []
    for ticket in rows:
        sla = ticket.sla
        if sla.next_due is None:  # the query filters these out; this tells mypy
            continue
        assignee = ticket.assignee
        due.append(
            DueTicket(
                ticket_id=ticket.pk,
                reference=ticket.reference,
                subject=ticket.subject,
                queue=ticket.queue.name,
                assignee=(assignee.get_full_name() or assignee.get_username()) if assignee else "",
                target=TARGET_LABELS.get(
                    sla.next_due_target, sla.next_due_target.replace("_", " ")
                ),
                due=sla.next_due,
                phrase=due_phrase(sla.next_due, now=now),
            )
        )
    return tuple(due)


def sla_overdue(*, user: Any, now: dt.datetime, limit: int = 100) -> tuple[DueTicket, ...]:
    """Return the user's open tickets past their next deadline, most overdue first."""
    rows = _owed_tickets(user).filter(sla__next_due__lt=now)[:limit]
    return _due_tickets(rows, now=now)


def sla_due_soon(
    *, user: Any, now: dt.datetime, within: dt.timedelta = DUE_SOON, limit: int = 100
) -> tuple[DueTicket, ...]:
    """Return the user's open tickets with a deadline in [now, now + within), soonest first."""
    rows = _owed_tickets(user).filter(sla__next_due__gte=now, sla__next_due__lt=now + within)[
        :limit
    ]
    return _due_tickets(rows, now=now)


# --- the week ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Week:
    """Seven calendar days ending with today, as [since, until) in the server's zone."""

    since: dt.datetime
    until: dt.datetime
    days: tuple[dt.date, ...]


def _local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=timezone.get_default_timezone())


def _days(since: dt.datetime, until: dt.datetime) -> tuple[dt.date, ...]:
    """Return the local calendar days that [since, until) touches."""
    zone = timezone.get_default_timezone()
    first = since.astimezone(zone).date()
    last = (until - dt.timedelta(microseconds=1)).astimezone(zone).date()
    return tuple(first + dt.timedelta(days=n) for n in range((last - first).days + 1))


def last_seven_days(*, now: dt.datetime) -> Week:
    """Return the week of the supervisor page: today and the six days before it."""
    today = now.astimezone(timezone.get_default_timezone()).date()
    first = today - dt.timedelta(days=6)
    days = tuple(first + dt.timedelta(days=n) for n in range(7))
    return Week(
        since=_local_midnight(first), until=_local_midnight(today + dt.timedelta(days=1)), days=days
    )


# --- SLA attainment ------------------------------------------------------------------------


@dataclass(frozen=True)
class Attainment:
    """How many targets of one kind fell due with a result, and how many were met."""

    total: int
    met: int

    @property
    def share(self) -> float | None:
        """Return met / total (0–1), None without any."""
        return self.met / self.total if self.total else None


NO_ATTAINMENT = Attainment(total=0, met=0)


@dataclass(frozen=True)
class DayAttainment:
    """First responses sent and tickets resolved on one day, and how many within target."""

    day: dt.date
    first_response: Attainment
    resolution: Attainment


@dataclass(frozen=True)
class QueueAttainment:
    """A queue's first responses and resolutions in a period, and how many within target."""

    queue_id: int
    queue: str
    first_response: Attainment
    resolution: Attainment


def _visible_slas(user: Any) -> QuerySet[TicketSla]:
    return TicketSla.objects.filter(ticket__in=tickets_visible_to(user).values("pk"))


def _attainment_by_day(
    slas: QuerySet[TicketSla], *, at: str, met: str, since: dt.datetime, until: dt.datetime
) -> dict[dt.date, Attainment]:
    """Return {local day: Attainment} of rows whose *at* falls in [since, until)."""
    rows = (
        slas.filter(**{f"{at}__gte": since, f"{at}__lt": until, f"{met}__isnull": False})
        .annotate(day=TruncDate(at, tzinfo=timezone.get_default_timezone()))
        .values("day")
        .annotate(total=Count("pk"), met=Count("pk", filter=Q(**{met: True})))
        .order_by()
    )
    return {row["day"]: Attainment(total=row["total"], met=row["met"]) for row in rows}


def sla_attainment_by_day(
    *, user: Any, since: dt.datetime, until: dt.datetime
) -> tuple[DayAttainment, ...]:
    """Return, for every local day in [since, until), the first responses and resolutions
    of the user's tickets that day and how many met their target (two queries)."""
    slas = _visible_slas(user)
    first = _attainment_by_day(
        slas, at="first_responded_at", met="first_response_met", since=since, until=until
    )
    resolved = _attainment_by_day(
        slas, at="resolved_at", met="resolution_met", since=since, until=until
    )
    return tuple(
        DayAttainment(
            day=day,
            first_response=first.get(day, NO_ATTAINMENT),
            resolution=resolved.get(day, NO_ATTAINMENT),
        )
        for day in _days(since, until)
    )


def sla_attainment_by_queue(
    *, user: Any, since: dt.datetime, until: dt.datetime
) -> tuple[QueueAttainment, ...]:
    """Return, per queue of the user's tickets, the first responses and resolutions in
    [since, until) and how many met their target, by queue name (one query)."""
    answered = Q(
        first_responded_at__gte=since,
        first_responded_at__lt=until,
        first_response_met__isnull=False,
    )
    resolved = Q(resolved_at__gte=since, resolved_at__lt=until, resolution_met__isnull=False)
    rows = (
        _visible_slas(user)
        .filter(answered | resolved)
        .values("ticket__queue", "ticket__queue__name")
        .annotate(
            answered=Count("pk", filter=answered),
            answered_met=Count("pk", filter=answered & Q(first_response_met=True)),
            resolved=Count("pk", filter=resolved),
            resolved_met=Count("pk", filter=resolved & Q(resolution_met=True)),
        )
        .order_by("ticket__queue__name")
    )
    return tuple(
        QueueAttainment(
            queue_id=row["ticket__queue"],
            queue=row["ticket__queue__name"],
            first_response=Attainment(total=row["answered"], met=row["answered_met"]),
            resolution=Attainment(total=row["resolved"], met=row["resolved_met"]),
        )
        for row in rows
    )


@dataclass(frozen=True)
class DayMedian:
    """The median first-response time in business seconds of one day's first responses."""

    day: dt.date
    count: int
    median_seconds: float | None  # None without any response that day


def first_response_median_by_day(
    *, user: Any, since: dt.datetime, until: dt.datetime
) -> tuple[DayMedian, ...]:
    """Return, for every local day in [since, until), the median business time to the
    first response of the user's tickets first answered that day (one query)."""
    # SQLite has no median aggregate: one query fetches the week's (day, seconds) pairs
    # and Python takes the median; a week of first responses is a short list.
    rows = (
        _visible_slas(user)
        .filter(
            first_responded_at__gte=since,
            first_responded_at__lt=until,
            first_response_seconds__isnull=False,
        )
        .annotate(day=TruncDate("first_responded_at", tzinfo=timezone.get_default_timezone()))
        .values_list("day", "first_response_seconds")
    )
    seconds: dict[dt.date, list[int]] = defaultdict(list)
    for day, value in rows:
        if value is not None:  # filtered on; the column is nullable
            seconds[day].append(value)
    return tuple(
        DayMedian(
            day=day,
            count=len(seconds.get(day, ())),
            median_seconds=float(statistics.median(seconds[day])) if seconds.get(day) else None,
        )
        for day in _days(since, until)
    )


# --- satisfaction --------------------------------------------------------------------------


@dataclass(frozen=True)
class Ratings:
    """Survey ratings of one group: how many, their average (1–5), how many good (4–5)."""

    count: int
    average: float | None
    good: int

    @property
    def good_share(self) -> float | None:
        """Return the share of good ratings (0–1), None without any rating."""
        return self.good / self.count if self.count else None


NO_RATINGS = Ratings(count=0, average=None, good=0)


@dataclass(frozen=True)
class DaySatisfaction:
    """The ratings given on one day."""

    day: dt.date
    ratings: Ratings


@dataclass(frozen=True)
class QueueSatisfaction:
    """The ratings of a queue's surveys in a period."""

    queue_id: int
    queue: str
    ratings: Ratings


def _survey_model() -> type[Model] | None:
    """Return the Survey model, or None while the surveys app is not installed."""
    # Issue #5: the page must work before (and without) postroom.surveys.
    if not apps.is_installed("postroom.surveys"):
        return None
    try:
        return apps.get_model("surveys", "Survey")
    except LookupError:
        return None


def _rated(user: Any, *, since: dt.datetime, until: dt.datetime) -> QuerySet[Any] | None:
    """Return the surveys on the user's tickets rated in [since, until), None without the app."""
    survey = _survey_model()
    if survey is None:
        return None
    return survey._default_manager.filter(
        ticket__in=tickets_visible_to(user).values("pk"),
        rating__isnull=False,
        rated_at__gte=since,
        rated_at__lt=until,
    )


_RATING_FIGURES = {
    "n": Count("pk"),
    "avg": Avg("rating"),
    "good": Count("pk", filter=Q(rating__gte=GOOD_RATING)),
}


def _ratings(row: dict[str, Any]) -> Ratings:
    count = int(row["n"] or 0)
    return Ratings(count=count, average=float(row["avg"]) if count else None, good=int(row["good"]))


def satisfaction_by_day(
    *, user: Any, since: dt.datetime, until: dt.datetime
) -> tuple[DaySatisfaction, ...]:
    """Return, for every local day in [since, until), the ratings given that day on the
    user's tickets (one query; no ratings while the surveys app is absent)."""
    rated = _rated(user, since=since, until=until)
    found: dict[dt.date, Ratings] = {}
    if rated is not None:
        rows = (
            rated.annotate(day=TruncDate("rated_at", tzinfo=timezone.get_default_timezone()))
            .values("day")
            .annotate(**_RATING_FIGURES)
            .order_by()
        )
        found = {row["day"]: _ratings(row) for row in rows}
    return tuple(
        DaySatisfaction(day=day, ratings=found.get(day, NO_RATINGS)) for day in _days(since, until)
    )


def satisfaction_by_queue(
    *, user: Any, since: dt.datetime, until: dt.datetime
) -> tuple[QueueSatisfaction, ...]:
    """Return the ratings given in [since, until) on the user's tickets per survey queue,
    by queue name (one query; none while the surveys app is absent)."""
    rated = _rated(user, since=since, until=until)
    if rated is None:
        return ()
    rows = rated.values("queue", "queue__name").annotate(**_RATING_FIGURES).order_by("queue__name")
    return tuple(
        QueueSatisfaction(queue_id=row["queue"], queue=row["queue__name"], ratings=_ratings(row))
        for row in rows
    )


# --- charts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    """One bar: its label, its value in the chart's unit (None: no data), a note (counts)."""

    label: str
    value: float | None
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart as the page shows it: the SVG and the bars again for the data table."""

    title: str
    axis: str  # what the bars are: "Day", "Queue"
    unit: str
    svg: str
    bars: tuple[Bar, ...]
    target: float | None = None

    @property
    def rows(self) -> tuple[tuple[str, str, str], ...]:
        """Return (label, value, note) per bar, values formatted as on the chart."""
        return tuple((b.label, format_value(b.value, self.unit), b.note) for b in self.bars)


_LEFT, _RIGHT, _TOP, _PLOT, _BOTTOM = 52, 60, 22, 150, 40
_CHAR_WIDTH = 7  # roughly, at font size 12: how many characters of a label fit under a bar


def format_value(value: float | None, unit: str) -> str:
    """Return *value* as the charts print it: "86%", "1.5 h", "4.2"; "no data" for None."""
    if value is None:
        return "no data"
    if unit == "%":
        return f"{value:.0f}%"
    return f"{value:.1f} {unit}" if unit else f"{value:.1f}"


def _tick(value: float, unit: str) -> str:
    if unit == "%":
        return f"{value:g}%"
    return f"{value:g} {unit}" if unit else f"{value:g}"


def _nice_ceiling(value: float) -> float:
    """Return the smallest of 1, 2, 2.5, 5 × 10^k at or above *value* (1 for nothing)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def _tick_count(scale: float) -> int:
    """Return 4 or 5 gridline steps, whichever gives round numbers (25%, 1, 0.5 h …)."""
    for steps in (4, 5):
        if _nice_ceiling(scale / steps) == scale / steps:
            return steps
    return 4


def _short(label: str, room: int) -> str:
    return label if len(label) <= room else label[: room - 1] + "…"


def chart_description(*, title: str, bars: Sequence[Bar], unit: str, target: float | None) -> str:
    """Return the chart in words, with every number, for screen readers."""
    parts = []
    for bar in bars:
        text = f"{bar.label}: {format_value(bar.value, unit)}"
        parts.append(f"{text} ({bar.note})" if bar.note else text)
    if target is not None:
        parts.append(f"target {_tick(target, unit)}")
    return f"{title}. " + "; ".join(parts) + "."


def bar_chart_svg(
    *,
    title: str,
    bars: Sequence[Bar],
    unit: str,
    target: float | None = None,
    scale: float | None = None,
) -> str:
    """Return an accessible inline SVG bar chart, every text escaped, ready to embed.

    *unit* "%" scales to 100 unless *scale* says otherwise; other units scale to a round
    number above the largest value. *target* draws a dashed line (e.g. 90 for 90%). The
    drawing scales to its container through its viewBox; colours follow the page's text
    colour (`currentColor`), so it reads in the admin's light and dark themes.
    """
    values = [b.value for b in bars if b.value is not None]
    if scale is None:
        scale = 100.0 if unit == "%" else _nice_ceiling(max([*values, target or 0.0, 0.0]))
    # A week of days packs tight; a few queues get room for their names.
    slot = 56 if len(bars) > 4 else 96
    room = slot // _CHAR_WIDTH
    width = _LEFT + _RIGHT + slot * max(1, len(bars))
    height = _TOP + _PLOT + _BOTTOM
    base = _TOP + _PLOT
    right = width - _RIGHT

    def y(value: float) -> float:
        return base - _PLOT * max(0.0, min(value, scale)) / scale

    label = chart_description(title=title, bars=bars, unit=unit, target=target)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="bar-chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="xMinYMin meet" aria-label="{escape(label)}" font-size="12" '
        f'fill="currentColor">',
        f"<title>{escape(title)}</title>",
        f"<desc>{escape(label)}</desc>",
    ]
    steps = _tick_count(scale)
    for step in range(steps + 1):
        value = scale * step / steps
        at = y(value)
        out.append(
            f'<line x1="{_LEFT}" x2="{right}" y1="{at:.1f}" y2="{at:.1f}" '
            f'stroke="currentColor" stroke-opacity="{0.5 if step == 0 else 0.15}"/>'
        )
        out.append(
            f'<text class="tick" x="{_LEFT - 5}" y="{at + 4:.1f}" text-anchor="end" '
            f'fill-opacity="0.7">{escape(_tick(value, unit))}</text>'
        )
    for index, bar in enumerate(bars):
        bar_width = slot - 20 if slot < 96 else 48
        left = _LEFT + index * slot + (slot - bar_width) / 2
        middle = left + bar_width / 2
        words = escape(
            f"{bar.label}: {format_value(bar.value, unit)}" + (f" ({bar.note})" if bar.note else "")
        )
        out.append(f'<g class="bar"><title>{words}</title>')
        if bar.value is None:
            out.append(
                f'<text x="{middle:.1f}" y="{base - 5}" text-anchor="middle" fill-opacity="0.6">–</text>'
            )
        else:
            top = y(bar.value)
            below = target is not None and bar.value < target
            out.append(
                f'<rect x="{left:.1f}" y="{top:.1f}" width="{bar_width}" height="{base - top:.1f}" '
                f'fill="{"#ba2121" if below else "#417690"}" rx="2"/>'
            )
            out.append(
                f'<text class="value" x="{middle:.1f}" y="{top - 5:.1f}" text-anchor="middle" '
                f'font-weight="bold">{escape(format_value(bar.value, unit))}</text>'
            )
        out.append(
            f'<text class="label" x="{middle:.1f}" y="{base + 15}" text-anchor="middle">'
            f"{escape(_short(bar.label, room))}</text>"
        )
        if bar.note:
            out.append(
                f'<text class="note" x="{middle:.1f}" y="{base + 29}" text-anchor="middle" '
                f'font-size="10.5" fill-opacity="0.7">{escape(_short(bar.note, room + 2))}</text>'
            )
        out.append("</g>")
    if target is not None:
        at = y(target)
        out.append(
            f'<line class="target" x1="{_LEFT}" x2="{right}" y1="{at:.1f}" y2="{at:.1f}" '
            f'stroke="#d9a400" stroke-width="2" stroke-dasharray="6 4"/>'
        )
        out.append(
            f'<text class="target" x="{right + 4}" y="{at + 4:.1f}" font-size="10">'
            f"target {escape(_tick(target, unit))}</text>"
        )
    out.append("</svg>")
    # Every piece of text above went through escape(); the markup is our own.
    return mark_safe("".join(out))  # noqa: S308


def chart(
    *,
    title: str,
    axis: str,
    bars: Sequence[Bar],
    unit: str,
    target: float | None = None,
    scale: float | None = None,
) -> Chart:
    """Return a Chart: its SVG and the bars for the data table under it."""
    svg = bar_chart_svg(title=title, bars=bars, unit=unit, target=target, scale=scale)
    return Chart(title=title, axis=axis, unit=unit, svg=svg, bars=tuple(bars), target=target)


def _day_label(day: dt.date) -> str:
    return f"{day:%a} {day.day}"


def _percent(share: float | None) -> float | None:
    return None if share is None else 100.0 * share


def _met_note(attainment: Attainment) -> str:
    return f"{attainment.met} of {attainment.total}" if attainment.total else ""


def sla_charts(
    *,
    by_day: Sequence[DayAttainment],
    by_queue: Sequence[QueueAttainment],
    medians: Sequence[DayMedian],
) -> tuple[Chart, ...]:
    """Return the week's SLA charts: met shares by day and by queue, median first response."""
    target = ATTAINMENT_TARGET_PERCENT
    return (
        chart(
            title="First responses within target, by day",
            axis="Day",
            bars=[
                Bar(
                    _day_label(d.day), _percent(d.first_response.share), _met_note(d.first_response)
                )
                for d in by_day
            ],
            unit="%",
            target=target,
        ),
        chart(
            title="Resolutions within target, by day",
            axis="Day",
            bars=[
                Bar(_day_label(d.day), _percent(d.resolution.share), _met_note(d.resolution))
                for d in by_day
            ],
            unit="%",
            target=target,
        ),
        chart(
            title="First responses within target, by queue",
            axis="Queue",
            bars=[
                Bar(q.queue, _percent(q.first_response.share), _met_note(q.first_response))
                for q in by_queue
            ],
            unit="%",
            target=target,
        ),
        chart(
            title="Resolutions within target, by queue",
            axis="Queue",
            bars=[
                Bar(q.queue, _percent(q.resolution.share), _met_note(q.resolution))
                for q in by_queue
            ],
            unit="%",
            target=target,
        ),
        chart(
            title="Median first response (business hours), by day",
            axis="Day",
            bars=[
                Bar(
                    _day_label(m.day),
                    None if m.median_seconds is None else m.median_seconds / 3600,
                    f"{m.count} repl{'y' if m.count == 1 else 'ies'}" if m.count else "",
                )
                for m in medians
            ],
            unit="h",
        ),
    )


def _rated_note(ratings: Ratings) -> str:
    return f"{ratings.count} rating{'' if ratings.count == 1 else 's'}" if ratings.count else ""


def satisfaction_charts(
    *, by_day: Sequence[DaySatisfaction], by_queue: Sequence[QueueSatisfaction]
) -> tuple[Chart, ...]:
    """Return the week's satisfaction charts: average and good share, by day and by queue."""
    return (
        chart(
            title="Average rating (1–5), by day",
            axis="Day",
            bars=[
                Bar(_day_label(d.day), d.ratings.average, _rated_note(d.ratings)) for d in by_day
            ],
            unit="",
            scale=5,
        ),
        chart(
            title="Good ratings (4–5), by day",
            axis="Day",
            bars=[
                Bar(_day_label(d.day), _percent(d.ratings.good_share), _rated_note(d.ratings))
                for d in by_day
            ],
            unit="%",
        ),
        chart(
            title="Average rating (1–5), by queue",
            axis="Queue",
            bars=[Bar(q.queue, q.ratings.average, _rated_note(q.ratings)) for q in by_queue],
            unit="",
            scale=5,
        ),
        chart(
            title="Good ratings (4–5), by queue",
            axis="Queue",
            bars=[
                Bar(q.queue, _percent(q.ratings.good_share), _rated_note(q.ratings))
                for q in by_queue
            ],
            unit="%",
        ),
    )
