"""The customer's survey pages: no login, the signed link is the key (issue #5).

A GET never records anything: link scanners (Outlook Safe Links, mail gateways) fetch
every link in a message. The rating page preselects the clicked answer and a small
inline script submits it once on load; scanners run no script, and without JavaScript
the customer presses Send. Every write is a POST with a CSRF token.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from postroom.surveys.errors import (
    SurveyAlreadyRated,
    SurveyAnswerInvalid,
    SurveyCommentRefused,
    SurveyLinkExpired,
    SurveyLinkInvalid,
    SurveyReopenRefused,
)
from postroom.surveys.letter import RATINGS
from postroom.surveys.models import Survey
from postroom.surveys.queries import survey_by_token
from postroom.surveys.services import (
    MAX_COMMENT,
    survey_comment,
    survey_rate,
    survey_reopen,
    survey_reopenable,
)
from postroom.surveys.texts import EMOJI, TEXTS, language_from_header, survey_language


def _respond(
    request: HttpRequest,
    template: str,
    context: dict[str, Any],
    *,
    language: str,
    status: int = 200,
) -> HttpResponse:
    """Render a survey page with headers that keep the link private and the page self-contained."""
    nonce = secrets.token_urlsafe(16)
    language = survey_language(language)
    response = render(
        request,
        template,
        {
            **context,
            "t": TEXTS[language],
            "lang": language,
            "csp_nonce": nonce,
            "limit": MAX_COMMENT,
        },
        status=status,
    )
    # Nothing external and no script but our own inline one; forms post only to us.
    response["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; script-src 'nonce-{nonce}'; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )
    # The token is in the URL: never pass it on, never keep it in a shared cache. Not
    # "no-referrer": browsers then send `Origin: null` with the form and CSRF refuses it.
    response["Referrer-Policy"] = "same-origin"
    response["Cache-Control"] = "no-store, private"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _link_error(request: HttpRequest, exc: SurveyLinkInvalid | SurveyLinkExpired) -> HttpResponse:
    """Render the broken-link page (400) or the expired-link page (410); nothing about the ticket."""
    expired = isinstance(exc, SurveyLinkExpired)
    language = (exc.language if isinstance(exc, SurveyLinkExpired) else "") or language_from_header(
        request.headers.get("Accept-Language", "")
    )
    return _respond(
        request,
        "surveys/error.html",
        {"expired": expired},
        language=language,
        status=410 if expired else 400,
    )


def _preselected(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) in RATINGS else None


def _rate_page(
    request: HttpRequest,
    survey: Survey,
    token: str,
    *,
    selected: int | None,
    comment: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    text = TEXTS[survey_language(survey.language)]
    context = {
        "token": token,
        "question": text.question.format(reference=survey.ticket.reference),
        "team": survey.queue.name,
        "choices": [(r, EMOJI[r], text.answers[r]) for r in RATINGS],
        "selected": selected,
        # Only a clicked answer is sent for the customer; after an error they decide.
        "autosubmit": selected is not None and not error and request.method == "GET",
        "comment": comment,
        "error": error,
    }
    return _respond(request, "surveys/rate.html", context, language=survey.language, status=status)


def _done_page(
    request: HttpRequest,
    survey: Survey,
    token: str,
    *,
    already: bool,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    text = TEXTS[survey_language(survey.language)]
    context = {
        "token": token,
        "already": already,
        "rating": text.answer(survey.rating) if survey.rating else "",
        "commented": survey.comment_at is not None,
        "reopened": survey.reopened_at is not None,
        "reopenable": survey_reopenable(survey),
        "error": error,
    }
    return _respond(request, "surveys/done.html", context, language=survey.language, status=status)


def _done_redirect(token: str) -> HttpResponseRedirect:
    response = HttpResponseRedirect(reverse("surveys:done", kwargs={"token": token}))
    response.status_code = 303  # See Other: the follow-up is a GET
    return response


@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request: HttpRequest, token: str) -> HttpResponse:
    """Show the rating form with the clicked answer preselected (GET); record it (POST)."""
    try:
        survey = survey_by_token(token=token)
    except (SurveyLinkInvalid, SurveyLinkExpired) as exc:
        return _link_error(request, exc)
    if request.method != "POST":
        if survey.rated_at is not None:
            return _done_page(request, survey, token, already=True)
        return _rate_page(request, survey, token, selected=_preselected(request.GET.get("rating")))
    comment = request.POST.get("comment", "")
    try:
        survey_rate(token=token, rating=request.POST.get("rating", ""), comment=comment)
    except (SurveyLinkInvalid, SurveyLinkExpired) as exc:
        return _link_error(request, exc)
    except SurveyAlreadyRated:
        survey.refresh_from_db()
        return _done_page(request, survey, token, already=True, status=409)
    except SurveyAnswerInvalid:
        text = TEXTS[survey_language(survey.language)]
        selected = _preselected(request.POST.get("rating"))
        error = (
            text.choose_error if selected is None else text.comment_error.format(limit=MAX_COMMENT)
        )
        return _rate_page(
            request,
            survey,
            token,
            selected=selected,
            comment=comment[:MAX_COMMENT],
            error=error,
            status=400,
        )
    return _done_redirect(token)


@require_GET
def survey_done(request: HttpRequest, token: str) -> HttpResponse:
    """Thank the customer; offer a comment (once) and, after a bad rating, to reopen."""
    try:
        survey = survey_by_token(token=token)
    except (SurveyLinkInvalid, SurveyLinkExpired) as exc:
        return _link_error(request, exc)
    if survey.rated_at is None:
        return HttpResponseRedirect(reverse("surveys:page", kwargs={"token": token}))
    return _done_page(request, survey, token, already=False)


@require_POST
def survey_comment_add(request: HttpRequest, token: str) -> HttpResponse:
    """Add the customer's comment to their rating, once."""
    try:
        survey_comment(token=token, comment=request.POST.get("comment", ""))
    except (SurveyLinkInvalid, SurveyLinkExpired) as exc:
        return _link_error(request, exc)
    except SurveyAnswerInvalid:
        try:
            survey = survey_by_token(token=token)
        except (SurveyLinkInvalid, SurveyLinkExpired) as exc:  # expired a moment ago
            return _link_error(request, exc)
        error = TEXTS[survey_language(survey.language)].comment_error.format(limit=MAX_COMMENT)
        return _done_page(request, survey, token, already=False, error=error, status=400)
    except SurveyCommentRefused:
        pass  # not rated yet (the done page sends them to the form) or said already
    return _done_redirect(token)


@require_POST
def survey_reopen_request(request: HttpRequest, token: str) -> HttpResponse:
    """Reopen the customer's request after a bad rating."""
    try:
        survey_reopen(token=token)
    except (SurveyLinkInvalid, SurveyLinkExpired) as exc:
        return _link_error(request, exc)
    except SurveyReopenRefused:
        pass  # the page no longer offers it
    return _done_redirect(token)
