"""The supervisor page (issue #5): what is due now and this week's service figures."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from postroom.core import clock
from postroom.desk.access import desk_view
from postroom.sla.reports import (
    ATTAINMENT_TARGET_PERCENT,
    DUE_SOON,
    first_response_median_by_day,
    last_seven_days,
    satisfaction_by_day,
    satisfaction_by_queue,
    satisfaction_charts,
    sla_attainment_by_day,
    sla_attainment_by_queue,
    sla_charts,
    sla_due_soon,
    sla_overdue,
)

LISTED = 100  # rows per table; the desk's own views list the rest


@require_GET
@desk_view
def supervisor_page(request: HttpRequest) -> HttpResponse:
    """Show the user's overdue and due-soon tickets and the week's SLA and ratings charts."""
    now = clock.now()
    user = request.user
    week = last_seven_days(now=now)
    span: dict[str, Any] = {"user": user, "since": week.since, "until": week.until}
    ratings_by_day = satisfaction_by_day(**span)
    context = {
        "nav": "figures",
        "title": "Service figures",
        "week": week,
        "time_zone": settings.TIME_ZONE,
        "target": ATTAINMENT_TARGET_PERCENT,
        "listed": LISTED,
        "overdue": sla_overdue(user=user, now=now, limit=LISTED),
        "due_soon": sla_due_soon(user=user, now=now, within=DUE_SOON, limit=LISTED),
        "sla_charts": sla_charts(
            by_day=sla_attainment_by_day(**span),
            by_queue=sla_attainment_by_queue(**span),
            medians=first_response_median_by_day(**span),
        ),
        "ratings_count": sum(d.ratings.count for d in ratings_by_day),
        "satisfaction_charts": satisfaction_charts(
            by_day=ratings_by_day, by_queue=satisfaction_by_queue(**span)
        ),
    }
    return render(request, "sla/supervisor.html", context)
