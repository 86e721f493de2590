"""Business-hours calendars, SLA policies, and each ticket's due times (issue #5)."""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models

from postroom.core import clock
from postroom.sla.calendar import Calendar


def _default_hours() -> dict[str, str]:
    return {"mon-fri": "09:00-17:00"}


class BusinessCalendar(models.Model):
    """When a team works: time zone, weekly hours, public holidays, closed days."""

    name = models.CharField(max_length=100, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", help_text="IANA name, e.g. Europe/Berlin.")
    weekly_hours = models.JSONField(
        default=_default_hours,
        help_text='Per day or day range, e.g. {"mon-thu": "09:00-12:30,13:30-17:30", "fri": "09:00-15:00"}; '
        "days left out are closed.",
    )
    country = models.CharField(max_length=2, blank=True, help_text="Public holidays of this country (ISO code).")
    subdivision = models.CharField(max_length=10, blank=True, help_text="Region, e.g. BY for Bavaria.")
    holiday_categories = models.JSONField(
        default=list, blank=True, help_text='Extra holiday categories, e.g. ["catholic"] (public ones always count).'
    )
    closed_days = models.JSONField(default=list, blank=True, help_text='Extra closed dates: ["2026-12-31"].')
    special_hours = models.JSONField(
        default=dict, blank=True, help_text='Other hours on a date: {"2026-12-24": "09:00-12:00"}.'
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        try:
            self.as_calendar()
        except (ValueError, TypeError) as exc:
            raise ValidationError(str(exc)) from exc

    def as_calendar(self) -> Calendar:
        """Return the calendar engine's object (built once per saved version)."""
        key = (self.pk, self.updated_at, self.timezone, repr(self.weekly_hours), self.country, self.subdivision,
               repr(self.holiday_categories), repr(self.closed_days), repr(self.special_hours))
        with _built_lock:
            built = _built.get(key)
        if built is None:
            built = Calendar.from_spec(
                self.timezone, dict(self.weekly_hours or {}), country=self.country.upper(),
                subdivision=self.subdivision, closed_days=list(self.closed_days or []),
                special_hours=dict(self.special_hours or {}),
                holiday_categories=frozenset({"public", *(self.holiday_categories or [])}),
            )
            with _built_lock:
                if len(_built) > 256:
                    _built.clear()
                _built[key] = built
        return built


_built: dict[Any, Calendar] = {}
_built_lock = threading.Lock()


class SlaPolicy(models.Model):
    """Targets in business time for the tickets it matches; the first match wins."""

    name = models.CharField(max_length=100)
    position = models.PositiveIntegerField(default=100, help_text="Lower is tried first.")
    active = models.BooleanField(default=True)
    queue = models.ForeignKey("accounts.Queue", on_delete=models.CASCADE, null=True, blank=True,
                              help_text="Empty: any queue.")
    priority = models.CharField(max_length=16, blank=True, help_text="Empty: any priority.",
                                choices=[("", "any")] + [(p, p) for p in ("low", "normal", "high", "urgent")])
    customer_tier = models.CharField(max_length=16, blank=True, help_text="Empty: any tier.",
                                     choices=[("", "any"), ("standard", "standard"), ("premium", "premium"),
                                              ("vip", "vip")])
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.PROTECT)
    first_response_minutes = models.PositiveIntegerField(null=True, blank=True,
                                                         help_text="Business minutes; 480 = one 8-hour day.")
    next_response_minutes = models.PositiveIntegerField(null=True, blank=True)
    resolution_minutes = models.PositiveIntegerField(null=True, blank=True)
    warn_at_percent = models.PositiveSmallIntegerField(default=75, help_text="Warn the assignee at this share.")

    class Meta:
        ordering = ["position", "id"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"

    def __str__(self) -> str:
        return self.name


class TicketSla(models.Model):
    """A ticket's service-level clock: its policy, due times and when targets were met."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="sla")
    policy = models.ForeignKey(SlaPolicy, on_delete=models.SET_NULL, null=True, blank=True)
    first_response_due = models.DateTimeField(null=True, blank=True, db_index=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    next_response_due = models.DateTimeField(null=True, blank=True, db_index=True)
    resolution_due = models.DateTimeField(null=True, blank=True, db_index=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    paused_since = models.DateTimeField(null=True, blank=True, help_text="Waiting on the customer since.")
    paused_seconds = models.PositiveIntegerField(default=0, help_text="Business seconds spent waiting on the customer.")
    # The next deadline of an open target (the earliest), for the due-soon/overdue views.
    next_due = models.DateTimeField(null=True, blank=True, db_index=True)
    next_due_target = models.CharField(max_length=16, blank=True)
    # Service figures in business time (issue #5), for reports: set once a target is met.
    first_response_seconds = models.PositiveIntegerField(null=True, blank=True)
    first_response_met = models.BooleanField(null=True, blank=True)
    resolution_seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Without customer waits.")
    resolution_met = models.BooleanField(null=True, blank=True)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        verbose_name = "ticket SLA"

    def __str__(self) -> str:
        return f"SLA of ticket {self.ticket_id}"


class QueueEscalation(models.Model):
    """Who hears about a queue's tickets when targets are at risk or broken:
    the assignee (warning), then the team supervisor (breach), then the queue manager."""

    queue = models.OneToOneField("accounts.Queue", on_delete=models.CASCADE, related_name="escalation")
    supervisor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                   related_name="+")
    manager = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                related_name="+")
    manager_after_minutes = models.PositiveIntegerField(
        default=240, help_text="Business minutes after a breach before the manager is told too.")
    bump_priority = models.BooleanField(default=True, help_text="Raise the priority one step on a breach.")

    def __str__(self) -> str:
        return f"Escalation of {self.queue}"


class SlaNotice(models.Model):
    """A warning or escalation, one row per recipient: shown in the desk, mailed, and never
    sent twice (the escalation job looks for it first)."""

    class Kind(models.TextChoices):
        WARNING = "warning", "Warning"
        BREACH = "breach", "Breach escalation"
        CUSTOMER = "customer", "Escalated because of the customer"

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="sla_notices")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    target = models.CharField(max_length=16, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    level = models.PositiveSmallIntegerField(default=0, help_text="0 assignee, 1 supervisor, 2 manager.")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True,
                             related_name="sla_notices")
    reason = models.CharField(max_length=300, blank=True)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["ticket", "kind", "target", "level"])]

    def __str__(self) -> str:
        return f"{self.kind} {self.target} on {self.ticket_id}"


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """Return *value* in UTC (the calendar engine answers in the calendar's zone)."""
    return value.astimezone(dt.UTC) if value is not None else None
