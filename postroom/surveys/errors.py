"""Why a survey link or a customer's answer was refused; the pages map each to a message."""

from __future__ import annotations


class SurveyError(Exception):
    """Refuse a survey action; the message is for logs, never shown to the customer."""


class SurveyLinkInvalid(SurveyError):
    """Refuse a link that was not made by us, was changed, or belongs to no survey."""


class SurveyLinkExpired(SurveyError):
    """Refuse a genuine link whose time is up; *language* lets the page speak to the customer."""

    def __init__(self, message: str, *, survey_id: int | None = None, language: str = "") -> None:
        super().__init__(message)
        self.survey_id = survey_id
        self.language = language


class SurveyAlreadyRated(SurveyError):
    """Refuse a second rating through the same link (the links are single-use)."""


class SurveyAnswerInvalid(SurveyError):
    """Refuse a rating outside 1–5, an empty or overlong comment."""


class SurveyCommentRefused(SurveyError):
    """Refuse a comment before a rating, or a second comment."""


class SurveyReopenRefused(SurveyError):
    """Refuse to reopen: the rating was not bad, or the ticket cannot be reopened."""
