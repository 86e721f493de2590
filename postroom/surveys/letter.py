"""The survey email: plain text with one link per answer, and a simple HTML alternative."""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from postroom.surveys.texts import TEXTS

RATINGS = (5, 4, 3, 2, 1)  # best first, as the customer reads them


@dataclass(frozen=True)
class SurveyLetter:
    """A survey email ready for the outbox."""

    subject: str
    text: str
    html: str


def site_url() -> str:
    """Return the public base URL of the customer pages, without a trailing slash.

    POSTROOM["PUBLIC_URL"] when set (the address customers reach, e.g.
    https://help.example.com), else the local web server `postroom serve` runs.
    """
    cfg = settings.POSTROOM
    public = str(cfg.get("PUBLIC_URL") or "").strip().rstrip("/")
    if public:
        return public
    host = str(cfg.get("HTTP_BIND") or "127.0.0.1")
    if host in {"0.0.0.0", "::", ""}:  # noqa: S104 - a bind-all address is no link host
        host = "localhost"
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{cfg.get('HTTP_PORT', 8000)}"


def survey_link(*, token: str, rating: int | None = None) -> str:
    """Return the absolute link to the survey page, with *rating* preselected."""
    url = site_url() + reverse("surveys:page", kwargs={"token": token})
    return f"{url}?rating={rating}" if rating is not None else url


def survey_letter(
    *, language: str, token: str, reference: str, subject: str, team: str, name: str, days: int
) -> SurveyLetter:
    """Return the survey email in *language* with the five rating links for *token*.

    *name*, *subject* and *team* come from mail and admins: the text keeps them on their
    own, the HTML escapes them.
    """
    text = TEXTS.get(language, TEXTS["en"])
    greeting = text.greeting_named.format(name=name) if name else text.greeting
    answers = [(text.answer(r), survey_link(token=token, rating=r)) for r in RATINGS]
    lines = [
        greeting,
        "",
        text.intro.format(reference=reference),
        "",
        text.choose,
        "",
    ]
    for label, link in answers:
        lines += [label, link, ""]
    lines += [
        text.after.format(days=days),
        "",
        text.reply,
        "",
        text.closing,
        team,
        "",
    ]
    html = render_to_string(
        "surveys/letter.html",
        {
            "lang": language,
            "greeting": greeting,
            "intro": text.intro.format(reference=reference),
            "choose": text.choose,
            "answers": answers,
            "after": text.after.format(days=days),
            "reply": text.reply,
            "closing": text.closing,
            "team": team,
        },
    )
    return SurveyLetter(
        subject=text.subject.format(subject=" ".join(subject.split())).strip(),
        text="\n".join(lines),
        html=html,
    )
