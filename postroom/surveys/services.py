"""Writes on surveys: mail one per solve, take the customer's rating and comment, reopen,
alert supervisors of a bad rating. Views and jobs call these (issue #5)."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from postroom.core import clock
from postroom.core.html import sanitize_html
from postroom.core.jobs import enqueue_on_commit
from postroom.mail.models import OutboundKind
from postroom.mail.outbound.acknowledgement import automatic_mail_count, greeting_name
from postroom.mail.outbound.compose import addresses_clean, last_inbound_message
from postroom.mail.outbound.outbox import outbound_message_queue
from postroom.mail.outbound.suppression import suppressions_active
from postroom.mail.store import our_address
from postroom.surveys.errors import (
    SurveyAlreadyRated,
    SurveyAnswerInvalid,
    SurveyCommentRefused,
    SurveyReopenRefused,
)
from postroom.surveys.letter import site_url, survey_letter
from postroom.surveys.models import Rating, Survey
from postroom.surveys.queries import (
    supervisors_for,
    survey_bad_rating,
    survey_by_token,
    survey_expiry,
)
from postroom.surveys.texts import survey_language
from postroom.surveys.tokens import nonce_hash, nonce_new, survey_token_make
from postroom.tickets.models import (
    Direction,
    EventKind,
    Message,
    Ticket,
    TicketEvent,
    TicketStatus,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

logger = logging.getLogger(__name__)

SOURCE = "survey"
MAX_COMMENT = 5000
# What the thread's copy of the survey shows instead of a working link: agents read the
# thread, and a click there must not rate on the customer's behalf.
HIDDEN_TOKEN = "link-hidden"  # noqa: S105 - a placeholder, not a secret
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")
# Statuses a customer's "reopen my request" brings back to open.
_REOPENABLE = {TicketStatus.SOLVED, TicketStatus.CLOSED, TicketStatus.PENDING}


def _event(ticket: Ticket, *, kind: EventKind, summary: str, detail: dict[str, Any]) -> None:
    TicketEvent.objects.create(
        ticket=ticket, kind=kind, summary=summary[:500], source=SOURCE, detail=detail
    )


def _skip(ticket: Ticket, *, reason: str, why: str, **detail: Any) -> None:
    """Say on the timeline why this solve gets no survey (once, however often the job runs)."""
    solved_at = ticket.solved_at.isoformat() if ticket.solved_at else ""
    said = TicketEvent.objects.filter(
        ticket=ticket, source=SOURCE, detail__skipped=why, detail__solved_at=solved_at
    )
    if not said.exists():
        _event(
            ticket,
            kind=EventKind.DECISION,
            summary=f"Satisfaction survey not sent: {reason}",
            detail={"skipped": why, "solved_at": solved_at, **detail},
        )


def survey_agent(ticket: Ticket) -> User | None:
    """Return the agent a survey on *ticket* rates: the assignee, else the last replier."""
    if ticket.assignee_id is not None:
        return ticket.assignee
    reply = (
        Message.objects.filter(ticket=ticket, direction=Direction.OUTBOUND, author__isnull=False)
        .select_related("author")
        .order_by("-created_at", "-id")
        .first()
    )
    return reply.author if reply is not None else None


def _automatic_sender(ticket: Ticket) -> bool:
    """Return whether intake's loop guard found automatic mail on *ticket* (RFC 3834).

    Imported mail is held back from acknowledgements for another reason and still counts
    as a person's.
    """
    return (
        TicketEvent.objects.filter(
            ticket=ticket, kind=EventKind.ACK_SKIPPED, detail__step="loop_guard"
        )
        .exclude(source="import")
        .exists()
    )


def _recipient(ticket: Ticket, latest: Message) -> str:
    if latest.from_address:
        return latest.from_address.strip().lower()
    if ticket.customer is not None:
        first = ticket.customer.addresses.order_by("id").values_list("address", flat=True).first()
        return (first or "").lower()
    return ""


def survey_create_and_send(*, ticket_id: int) -> Survey | None:
    """Create the survey for the ticket's current solve and queue its email.

    Idempotent: one survey per solve (`ticket_solved_at`), so a job delivered twice sends
    once; a ticket reopened and solved again gets a new one. Returns None without a word
    when the ticket is gone, no longer solved or already surveyed for this solve, and None
    with a timeline event when the survey must not go out: a merged ticket, no customer
    message, automatic mail on the ticket (loop guard), no usable address, a suppressed
    address, or the per-recipient cap on automatic mail (RFC 3834 §2).
    """
    cfg: dict[str, Any] = settings.POSTROOM
    now = clock.now()
    with transaction.atomic():
        # Lock the ticket: two deliveries of the job must not both pass the check below.
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("queue", "customer", "assignee")
            .filter(pk=ticket_id)
            .first()
        )
        if ticket is None or ticket.status != TicketStatus.SOLVED or ticket.solved_at is None:
            return None
        if Survey.objects.filter(ticket=ticket, ticket_solved_at=ticket.solved_at).exists():
            return None
        if ticket.merged_into_id is not None:
            _skip(ticket, reason="the ticket is merged", why="merged")
            return None
        latest = last_inbound_message(ticket)
        if latest is None:
            _skip(ticket, reason="no message from the customer", why="no-customer-message")
            return None
        if _automatic_sender(ticket):
            _skip(ticket, reason="the ticket has automatic mail (loop guard)", why="loop-guard")
            return None
        recipient = _recipient(ticket, latest)
        try:
            (recipient,) = addresses_clean([recipient]) if recipient else ("",)
        except ValueError:
            recipient = ""
        if not recipient or our_address(recipient):
            _skip(ticket, reason="no usable customer address", why="no-address")
            return None
        suppressed = suppressions_active(addresses=[recipient], at=now).get(recipient)
        if suppressed is not None:
            _skip(
                ticket,
                reason=f"{recipient} is suppressed until {suppressed.until:%Y-%m-%d %H:%M} "
                f"({suppressed.reason})",
                why="suppressed",
                address=recipient,
            )
            return None
        hours = cfg["AUTO_REPLY_WINDOW_HOURS"]
        sent = automatic_mail_count(address=recipient, since=now - dt.timedelta(hours=hours))
        if sent >= cfg["AUTO_REPLY_LIMIT"]:
            _skip(
                ticket,
                reason=f"{recipient} already got {sent} automatic messages in the last {hours} hours",
                why="cap",
                address=recipient,
                count=sent,
            )
            return None

        language = survey_language(
            ticket.language, latest.language, getattr(ticket.customer, "language", "")
        )
        expiry = survey_expiry()
        nonce = nonce_new()
        survey = Survey.objects.create(
            ticket=ticket,
            ticket_solved_at=ticket.solved_at,
            agent=survey_agent(ticket),
            queue=ticket.queue,
            language=language,
            token_hash=nonce_hash(nonce),
            expires_at=now + expiry,
            created_at=now,
        )
        letter_args: dict[str, Any] = {
            "language": language,
            "reference": ticket.reference,
            "subject": ticket.subject,
            "team": ticket.queue.name,
            "name": greeting_name(ticket, latest),
            "days": expiry.days,
        }
        letter = survey_letter(
            token=survey_token_make(survey_id=survey.pk, nonce=nonce), **letter_args
        )
        outbound = outbound_message_queue(
            ticket=ticket,
            kind=OutboundKind.NOTIFICATION,
            recipients=[recipient],
            subject=letter.subject,
            text=letter.text,
            html=letter.html,
            automatic=True,
            in_reply_to_message=latest,
            language=language,
            source=SOURCE,
            event_detail={"survey": survey.pk, "language": language},
        )
        # The thread keeps a copy without working links (the outbox keeps the real one).
        shown = survey_letter(token=HIDDEN_TOKEN, **letter_args)
        Message.objects.filter(ticket=ticket, message_id=outbound.message_id).update(
            body_text=shown.text, visible_text=shown.text, body_html=sanitize_html(shown.html)
        )
        survey.outbound = outbound
        survey.sent_at = now
        survey.save(update_fields=["outbound", "sent_at"])
    return survey


def _rating_clean(rating: object) -> int:
    try:
        value = int(str(rating).strip())
    except ValueError:
        raise SurveyAnswerInvalid(f"not a rating: {str(rating)[:20]!r}") from None
    if value not in Rating.values:
        raise SurveyAnswerInvalid(f"rating out of range: {value}")
    return value


def _comment_clean(comment: str) -> str:
    text = _CONTROL.sub("", (comment or "").replace("\r\n", "\n")).strip()
    if len(text) > MAX_COMMENT:
        raise SurveyAnswerInvalid(f"comment longer than {MAX_COMMENT} characters")
    return text


def _excerpt(comment: str) -> str:
    flat = " ".join(comment.split())
    return flat if len(flat) <= 200 else flat[:199] + "…"


def survey_rate(*, token: str, rating: int | str, comment: str = "") -> Survey:
    """Record the customer's *rating* (1–5) and optional *comment* through *token*.

    The link is checked first (SurveyLinkInvalid / SurveyLinkExpired), then the answer
    (SurveyAnswerInvalid). Single use: a second rating through the same link raises
    SurveyAlreadyRated. Puts the
    rating on the ticket's timeline; a bad one (<= SURVEY_BAD_RATING) alerts the
    supervisors after commit.
    """
    with transaction.atomic():
        survey = survey_by_token(token=token, for_update=True)
        if survey.rated_at is not None:
            raise SurveyAlreadyRated(f"survey {survey.pk} is already rated")
        value = _rating_clean(rating)
        text = _comment_clean(comment)
        now = clock.now()
        survey.rating, survey.rated_at = value, now
        fields = ["rating", "rated_at"]
        if text:
            survey.comment, survey.comment_at = text, now
            fields += ["comment", "comment_at"]
        survey.save(update_fields=fields)
        label = Rating(value).label
        said = f': "{_excerpt(text)}"' if text else ""
        _event(
            survey.ticket,
            kind=EventKind.NOTE,
            summary=f"Satisfaction survey: the customer rated {value}/5 ({label}){said}",
            detail={"survey": survey.pk, "rating": value, "comment": text},
        )
        if value <= survey_bad_rating():
            from postroom.surveys.tasks import send_survey_alert

            enqueue_on_commit(send_survey_alert, survey.pk, "rating")
    return survey


def survey_comment(*, token: str, comment: str) -> Survey:
    """Add the customer's *comment* to a rated survey through *token*, once.

    Raises SurveyCommentRefused before a rating or after a first comment. A comment on a
    bad rating reaches the supervisors too.
    """
    with transaction.atomic():
        survey = survey_by_token(token=token, for_update=True)
        if survey.rated_at is None:
            raise SurveyCommentRefused(f"survey {survey.pk} is not rated yet")
        if survey.comment_at is not None:
            raise SurveyCommentRefused(f"survey {survey.pk} already has a comment")
        text = _comment_clean(comment)
        if not text:
            raise SurveyAnswerInvalid("empty comment")
        survey.comment, survey.comment_at = text, clock.now()
        survey.save(update_fields=["comment", "comment_at"])
        _event(
            survey.ticket,
            kind=EventKind.NOTE,
            summary=f'Satisfaction survey: the customer commented: "{_excerpt(text)}"',
            detail={"survey": survey.pk, "rating": survey.rating, "comment": text},
        )
        if survey.rating is not None and survey.rating <= survey_bad_rating():
            from postroom.surveys.tasks import send_survey_alert

            enqueue_on_commit(send_survey_alert, survey.pk, "comment")
    return survey


def survey_reopenable(survey: Survey) -> bool:
    """Return whether the customer may still reopen the ticket from *survey*."""
    ticket = survey.ticket
    return (
        survey.reopened_at is None
        and survey.rating is not None
        and survey.rating <= survey_bad_rating()
        and ticket.merged_into_id is None
        and ticket.status in _REOPENABLE | {TicketStatus.NEW, TicketStatus.OPEN}
    )


def survey_reopen(*, token: str) -> Survey:
    """Reopen the survey's ticket for the customer who rated it badly ("reopen my request").

    The ticket goes back to open (a timeline event with source "survey"); a ticket that
    is already open stays as it is. Once per survey; a second call changes nothing.
    Raises SurveyReopenRefused when the rating was not bad or the ticket is merged or spam.
    """
    from postroom.tickets.services import ticket_set_status

    with transaction.atomic():
        survey = survey_by_token(token=token, for_update=True)
        if survey.reopened_at is not None:
            return survey
        ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=survey.ticket_id)
        survey.ticket = ticket
        if not survey_reopenable(survey):
            raise SurveyReopenRefused(f"survey {survey.pk}: ticket {ticket.pk} cannot be reopened")
        previous = ticket.status
        if ticket.status in _REOPENABLE:
            ticket_set_status(ticket=ticket, status=TicketStatus.OPEN, actor=None, source=SOURCE)
        survey.reopened_at = clock.now()
        survey.save(update_fields=["reopened_at"])
        _event(
            ticket,
            kind=EventKind.REOPENED,
            summary="Reopened by the customer from the satisfaction survey"
            + ("" if previous in _REOPENABLE else f" (it was already {previous})"),
            detail={"survey": survey.pk, "rating": survey.rating, "from": previous},
        )
    return survey


def _alert_from() -> str:
    return f"Postroom <postroom@{settings.POSTROOM['MAIL_DOMAIN']}>"


def _alert_text(survey: Survey, *, part: str) -> tuple[str, str]:
    ticket = survey.ticket
    subject = " ".join(ticket.subject.split())[:150]
    label = Rating(survey.rating).label if survey.rating else "?"
    agent = survey.agent
    who = (agent.get_full_name() or agent.get_username()) if agent is not None else "(none)"
    link = site_url() + reverse("desk:ticket", args=[ticket.pk])
    if part == "comment":
        title = f"Comment on a bad rating ({survey.rating}/5) for {ticket.reference}: {subject}"
        opening = f"The customer who rated ticket {ticket.reference} {survey.rating}/5 ({label}) added a comment."
    else:
        title = f"Bad rating {survey.rating}/5 for {ticket.reference}: {subject}"
        opening = f"The customer rated ticket {ticket.reference} {survey.rating}/5 ({label})."
    comment = survey.comment or "(none yet; a later comment appears on the ticket's timeline)"
    lines = [
        opening,
        "",
        f"Subject: {subject}",
        f"Queue: {survey.queue.name}",
        f"Agent: {who}",
        f"Comment: {comment}",
        "",
        f"Open the ticket: {link}",
        "",
        "— Postroom satisfaction surveys",
    ]
    return title, "\n".join(lines) + "\n"


def survey_alert_send(*, survey_id: int, part: str = "rating") -> list[str]:
    """Email the supervisors of the survey's queue about its bad rating (or its *part*
    "comment"), and note on the ticket's timeline whom; returns the addresses alerted."""
    survey = Survey.objects.select_related("ticket", "queue", "agent").filter(pk=survey_id).first()
    if survey is None or survey.rating is None or survey.rating > survey_bad_rating():
        return []
    ticket = survey.ticket
    addresses = [u.email for u in supervisors_for(queue=survey.queue)]
    what = "a comment on a bad rating" if part == "comment" else f"a bad rating ({survey.rating}/5)"
    if not addresses:
        _event(
            ticket,
            kind=EventKind.DECISION,
            summary=f"Satisfaction survey: {what}, but no supervisor with an email address to alert",
            detail={"survey": survey.pk, "part": part, "alerted": []},
        )
        return []
    title, body = _alert_text(survey, part=part)
    from postroom.mail.outbound.notifications import staff_notification_queue

    # Through the durable outbox, like every outgoing message: retried when the relay is down.
    if staff_notification_queue(ticket=ticket, recipients=addresses, subject=title, text=body) is None:
        _event(
            ticket,
            kind=EventKind.DECISION,
            summary=f"Satisfaction survey: {what}; no usable supervisor address to alert",
            detail={"survey": survey.pk, "part": part, "alerted": []},
        )
        return []
    _event(
        ticket,
        kind=EventKind.DECISION,
        summary=f"Satisfaction survey: {what}; supervisors alerted by email ({', '.join(addresses)})",
        detail={"survey": survey.pk, "part": part, "alerted": addresses},
    )
    return addresses
