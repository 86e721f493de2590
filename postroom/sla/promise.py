"""The acknowledgement's honest promise: the first-reply due time from the ticket's
calendar and policy, as a local date and time in the customer's language (issue #5)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from babel.dates import format_datetime

# Per language: the phrase around the date; the pattern is CLDR (Babel) with literal text in quotes.
PATTERNS: dict[str, tuple[str, str]] = {
    "en": ("by {when}", "EEEE d MMMM, HH:mm"),
    "de": ("bis {when}", "EEEE, d. MMMM, HH:mm 'Uhr'"),
    "fr": ("d’ici le {when}", "EEEE d MMMM 'à' HH:mm"),
    "es": ("antes del {when}", "EEEE d 'de' MMMM, 'a las' HH:mm"),
    "pt": ("até {when}", "EEEE, d 'de' MMMM, 'às' HH:mm"),
    "it": ("entro {when}", "EEEE d MMMM, 'alle' HH:mm"),
    "nl": ("uiterlijk {when}", "EEEE d MMMM, HH:mm 'uur'"),
}


def promise_at(due: dt.datetime, *, language: str, timezone: str) -> str:
    """Return "by Tuesday 24 November, 17:00 CET" for *due*, in *language* and *timezone*."""
    phrase, pattern = PATTERNS.get(language, PATTERNS["en"])
    zone = ZoneInfo(timezone)
    local = due.astimezone(zone)
    when = format_datetime(local, pattern, tzinfo=zone, locale=language if language in PATTERNS else "en")
    return phrase.format(when=f"{when} {_zone_name(local, language)}")


def _zone_name(local: dt.datetime, language: str) -> str:
    """Return the zone's short name (CET, EST, MEZ); an offset where it has none."""
    name = local.tzname() or ""
    if language == "de" and name in {"CET", "CEST"}:
        return {"CET": "MEZ", "CEST": "MESZ"}[name]
    if name and name.isalpha():
        return name
    offset = local.utcoffset() or dt.timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()) // 60, 60)
    return f"UTC{hours:+d}" + (f":{rest:02d}" if rest else "")


def first_reply_promise(ticket, *, language: str) -> str | None:
    """Return the promise for *ticket* from its SLA policy, or None without a first-response target."""
    from postroom.sla.due import sla_plan

    if not ticket.pk:
        return None
    plan = sla_plan(ticket)
    if plan is None or plan.first_response_due is None:
        return None
    # The customer's own time zone when the desk knows it, else the team's.
    timezone = plan.policy.calendar.timezone
    known = getattr(ticket.customer, "timezone", "") if ticket.customer_id else ""
    if known:
        try:
            ZoneInfo(known)
            timezone = known
        except (ValueError, KeyError):  # ZoneInfoNotFoundError is a KeyError
            pass
    return promise_at(plan.first_response_due, language=language, timezone=timezone)
