"""Jobs of satisfaction surveys; they take ids, never objects."""

from __future__ import annotations

from django_tasks import task


@task()
def send_survey(ticket_id: int) -> int | None:
    """Mail the satisfaction survey for ticket *ticket_id*'s current solve.

    Safe to run twice: one survey per solve. Returns the survey id, or None when none
    was sent (see `survey_create_and_send`).
    """
    from postroom.surveys.services import survey_create_and_send

    survey = survey_create_and_send(ticket_id=ticket_id)
    return survey.pk if survey is not None else None


@task()
def send_survey_alert(survey_id: int, part: str = "rating") -> list[str]:
    """Alert the supervisors of survey *survey_id*'s bad rating (*part* "rating") or of
    the comment on it ("comment"); returns the addresses alerted."""
    from postroom.surveys.services import survey_alert_send

    return survey_alert_send(survey_id=survey_id, part=part)
