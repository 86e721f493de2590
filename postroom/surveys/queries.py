"""Reads on surveys: the survey a link opens, who hears of a bad rating, the satisfaction figures."""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Avg, Count, Q, QuerySet

from postroom.core import clock
from postroom.surveys.errors import SurveyLinkExpired, SurveyLinkInvalid
from postroom.surveys.models import Survey
from postroom.surveys.tokens import nonce_hash, survey_token_read

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from postroom.accounts.models import Queue

SUPERVISORS_GROUP = "Supervisors"
GOOD_RATING = 4  # "Good" and "Great" count as satisfied


def survey_expiry() -> dt.timedelta:
    """Return how long a survey link works (POSTROOM["SURVEY_EXPIRY_DAYS"])."""
    return dt.timedelta(days=int(settings.POSTROOM.get("SURVEY_EXPIRY_DAYS", 14)))


def survey_bad_rating() -> int:
    """Return the highest rating that counts as bad (POSTROOM["SURVEY_BAD_RATING"])."""
    return int(settings.POSTROOM.get("SURVEY_BAD_RATING", 2))


def survey_by_token(*, token: str, for_update: bool = False) -> Survey:
    """Return the survey *token* opens, or raise SurveyLinkInvalid / SurveyLinkExpired.

    The signature, the age (by the token's stamp and by the row's `expires_at`) and the
    nonce against the stored hash must all hold. *for_update* locks the row (call it in
    a transaction). The errors carry nothing about the ticket.
    """
    try:
        payload = survey_token_read(token=token, max_age=survey_expiry())
    except SurveyLinkExpired as exc:
        language = (
            Survey.objects.filter(pk=exc.survey_id).values_list("language", flat=True).first()
            if exc.survey_id is not None
            else None
        )
        raise SurveyLinkExpired(
            str(exc), survey_id=exc.survey_id, language=language or ""
        ) from None
    rows = Survey.objects.select_related("ticket", "ticket__queue", "queue")
    if for_update:
        rows = rows.select_for_update(of=("self",))
    survey = rows.filter(pk=payload.survey_id).first()
    if survey is None or not hmac.compare_digest(survey.token_hash, nonce_hash(payload.nonce)):
        raise SurveyLinkInvalid("no survey for this token")
    if clock.now() >= survey.expires_at:
        raise SurveyLinkExpired("survey expired", survey_id=survey.pk, language=survey.language)
    return survey


def supervisors_for(*, queue: Queue) -> list[User]:
    """Return who hears of a bad rating on *queue*, each with an email address.

    Members of the "Supervisors" group who are members of *queue*; when there are none,
    the superusers.
    """
    users: QuerySet[Any] = get_user_model().objects.filter(is_active=True).exclude(email="")
    found = list(
        users.filter(groups__name=SUPERVISORS_GROUP, queues=queue).distinct().order_by("pk")
    )
    return found or list(users.filter(is_superuser=True).order_by("pk"))


@dataclass(frozen=True)
class RatingFigures:
    """Ratings of one group: how many, their average (1–5) and the share rated good (0–1).

    `average` and `good_share` are None when there is no rating.
    """

    key: int | None
    name: str
    count: int
    average: float | None
    good_share: float | None


@dataclass(frozen=True)
class SatisfactionSummary:
    """Ratings given in [since, until): overall, per agent and per queue (most rated first)."""

    since: dt.datetime
    until: dt.datetime
    count: int
    average: float | None
    good_share: float | None
    by_agent: tuple[RatingFigures, ...]
    by_queue: tuple[RatingFigures, ...]


def _figures(key: int | None, name: str, row: Mapping[str, Any]) -> RatingFigures:
    count = int(row["n"] or 0)
    return RatingFigures(
        key=key,
        name=name,
        count=count,
        average=round(float(row["avg"]), 2) if count else None,
        good_share=round(row["good"] / count, 4) if count else None,
    )


def _grouped(rated: QuerySet[Survey], *fields: str) -> list[dict[str, Any]]:
    """Return count, average and good count of *rated* per value of *fields*, most rated first."""
    rows = rated.values(*fields).annotate(
        n=Count("id"), avg=Avg("rating"), good=Count("id", filter=Q(rating__gte=GOOD_RATING))
    )
    return list(rows.order_by("-n", *fields))


def satisfaction_summary(
    *, since: dt.datetime, until: dt.datetime, queue: Queue | None = None
) -> SatisfactionSummary:
    """Return the satisfaction figures of surveys rated in [*since*, *until*), on *queue* if given."""
    rated = Survey.objects.filter(rating__isnull=False, rated_at__gte=since, rated_at__lt=until)
    if queue is not None:
        rated = rated.filter(queue=queue)
    total = _figures(
        None,
        "",
        rated.aggregate(
            n=Count("id"), avg=Avg("rating"), good=Count("id", filter=Q(rating__gte=GOOD_RATING))
        ),
    )
    agents = []
    for row in _grouped(rated, "agent", "agent__username", "agent__first_name", "agent__last_name"):
        full = f"{row['agent__first_name'] or ''} {row['agent__last_name'] or ''}".strip()
        name = full or row["agent__username"] or "(no agent)"
        agents.append(_figures(row["agent"], name, row))
    queues = [
        _figures(row["queue"], row["queue__name"], row)
        for row in _grouped(rated, "queue__name", "queue")
    ]
    return SatisfactionSummary(
        since=since,
        until=until,
        count=total.count,
        average=total.average,
        good_share=total.good_share,
        by_agent=tuple(agents),
        by_queue=tuple(queues),
    )
