"""The survey email: one per solve, in the customer's language, five signed links, and
never to an address, ticket or sender that must not get automatic mail."""

from __future__ import annotations

import datetime as dt

import pytest

from postroom.core import clock
from postroom.mail.models import OutboundKind, OutboundMessage, Suppression
from postroom.surveys.models import Survey
from postroom.surveys.services import survey_create_and_send
from postroom.surveys.tasks import send_survey
from postroom.tickets.models import Direction, EventKind, Message, TicketEvent, TicketStatus
from postroom.tickets.services import ticket_merge, ticket_set_status

from .conftest import html_of, links_in, parsed, text_of

pytestmark = pytest.mark.django_db

# Per language: a sentence of the email and the word for the best answer.
WORDING = {
    "en": ("How satisfied are you with our help?", "😀 Great"),
    "de": ("Wie zufrieden sind Sie mit unserer Hilfe?", "😀 Sehr gut"),
    "fr": ("Êtes-vous satisfait(e) de notre aide ?", "😀 Excellent"),
    "es": ("¿Qué tan satisfecho/a está con nuestra ayuda?", "😀 Excelente"),
    "pt": ("Qual é o seu grau de satisfação com a nossa ajuda?", "😀 Ótimo"),
    "it": ("Quanto è soddisfatto/a del nostro aiuto?", "😀 Ottimo"),
    "nl": ("Hoe tevreden bent u over onze hulp?", "😀 Uitstekend"),
}


def test_a_solved_ticket_gets_exactly_one_survey_email_with_five_links(
    ticket, solve, memory_transport
):
    solve(ticket)

    assert len(memory_transport) == 1
    (envelope,) = memory_transport
    assert envelope.recipients == ("anna@customer.example",)
    message = parsed(envelope)
    assert message["Auto-Submitted"] == "auto-replied"  # RFC 3834: automatic mail
    assert message["In-Reply-To"] == "<CAF-1234@mail.customer.example>"
    assert ticket.reference in message["Subject"]
    text = text_of(message)
    assert text.startswith("Hello Anna Berg,")
    links = links_in(text)
    assert sorted(links) == [1, 2, 3, 4, 5]
    assert len(set(links.values())) == 1, "one token, five answers"
    assert links_in(html_of(message)) == links
    assert "https://help.example.test/s/" in text
    survey = Survey.objects.get(ticket=ticket)
    assert survey.agent.username == "mia"
    assert survey.queue == ticket.queue
    assert survey.ticket_solved_at == ticket.solved_at
    assert survey.outbound.kind == OutboundKind.NOTIFICATION and survey.outbound.automatic
    assert survey.expires_at - survey.created_at == dt.timedelta(days=14)
    assert survey.rating is None


@pytest.mark.parametrize("language", sorted(WORDING))
def test_the_survey_is_written_in_the_tickets_language(language, ticket, solve, memory_transport):
    ticket.language = language
    ticket.save(update_fields=["language"])
    solve(ticket)

    message = parsed(memory_transport[0])
    assert message["Content-Language"] == language
    sentence, best = WORDING[language]
    for body in (text_of(message), html_of(message)):
        assert sentence in body
        assert best in body
    assert Survey.objects.get(ticket=ticket).language == language


def test_an_unknown_language_falls_back_to_english(ticket, solve, memory_transport):
    ticket.language = "sv"
    ticket.save(update_fields=["language"])
    solve(ticket)
    assert "😞 Very bad" in text_of(parsed(memory_transport[0]))


def test_the_html_alternative_escapes_what_came_from_mail(ticket, solve, memory_transport):
    ticket.customer.name = "<b>Anna</b>"
    ticket.customer.save()
    ticket.queue.name = "Support & <i>Returns</i>"
    ticket.queue.save()
    solve(ticket)
    html = html_of(parsed(memory_transport[0]))
    assert "<i>" not in html and "Support &amp; &lt;i&gt;Returns&lt;/i&gt;" in html


def test_the_threads_copy_has_no_working_link(ticket, solve, memory_transport):
    solve(ticket)
    token = links_in(text_of(parsed(memory_transport[0])))[5]
    copy = Message.objects.get(ticket=ticket, direction=Direction.AUTO)
    assert token not in copy.body_text + copy.visible_text + copy.body_html
    assert "/s/link-hidden/?rating=5" in copy.body_text


def test_running_the_job_twice_sends_nothing_twice(ticket, solve, memory_transport):
    solve(ticket)
    assert send_survey.call(ticket.pk) is None
    assert survey_create_and_send(ticket_id=ticket.pk) is None
    assert len(memory_transport) == 1
    assert Survey.objects.filter(ticket=ticket).count() == 1
    assert (
        OutboundMessage.objects.filter(ticket=ticket, kind=OutboundKind.NOTIFICATION).count() == 1
    )


def test_solving_again_after_a_reopen_sends_a_new_survey(ticket, solve, memory_transport):
    solve(ticket)
    ticket_set_status(ticket=ticket, status=TicketStatus.OPEN, actor=None)
    solve(ticket, at=clock.now() + dt.timedelta(minutes=5))
    assert len(memory_transport) == 2
    assert Survey.objects.filter(ticket=ticket).count() == 2


def test_a_ticket_reopened_before_the_job_runs_gets_no_survey(ticket, memory_transport):
    ticket_set_status(ticket=ticket, status=TicketStatus.SOLVED, actor=None)
    ticket_set_status(ticket=ticket, status=TicketStatus.OPEN, actor=None)
    assert survey_create_and_send(ticket_id=ticket.pk) is None
    assert memory_transport == []


def test_a_suppressed_address_gets_no_survey(ticket, solve, memory_transport):
    Suppression.objects.create(
        address="Anna@Customer.example",
        reason="550 5.1.1 user unknown",
        until=clock.now() + dt.timedelta(days=30),
    )
    solve(ticket)
    assert memory_transport == []
    assert not Survey.objects.exists()
    skipped = TicketEvent.objects.get(ticket=ticket, source="survey", kind=EventKind.DECISION)
    assert "suppressed" in skipped.summary and skipped.detail["skipped"] == "suppressed"


def test_a_spam_ticket_gets_no_survey(ticket, solve, memory_transport):
    ticket_set_status(ticket=ticket, status=TicketStatus.SPAM, actor=None)
    assert survey_create_and_send(ticket_id=ticket.pk) is None
    # Clearing spam out of the way by solving it must not mail the spammer either.
    solve(ticket)
    assert ticket.status == TicketStatus.SOLVED
    assert memory_transport == []
    assert not Survey.objects.exists()


def test_a_merged_ticket_gets_no_survey(ticket, queues, solve, memory_transport):
    from postroom.tickets.models import Ticket

    other = Ticket.objects.create(
        subject="Other", queue=queues["support"], status=TicketStatus.OPEN
    )
    ticket_merge(source=ticket, target=other, actor=None)
    assert survey_create_and_send(ticket_id=ticket.pk) is None
    assert memory_transport == []


def test_a_ticket_without_a_customer_message_gets_no_survey(ticket, solve, memory_transport):
    Message.objects.filter(ticket=ticket, direction=Direction.INBOUND).delete()
    solve(ticket)
    assert memory_transport == []
    assert TicketEvent.objects.filter(
        ticket=ticket, source="survey", detail__skipped="no-customer-message"
    ).exists()


def test_a_ticket_the_loop_guard_flagged_gets_no_survey(ticket, solve, memory_transport):
    # What intake records for mail marked Auto-Submitted (RFC 3834 §2).
    TicketEvent.objects.create(
        ticket=ticket,
        kind=EventKind.ACK_SKIPPED,
        source="header:auto-submitted",
        summary="acknowledge: no — Auto-Submitted: auto-generated",
        detail={"step": "loop_guard"},
    )
    solve(ticket)
    assert memory_transport == []
    assert TicketEvent.objects.filter(ticket=ticket, detail__skipped="loop-guard").exists()


def test_the_cap_on_automatic_mail_holds_the_survey_back(ticket, solve, memory_transport, settings):
    settings.POSTROOM = {**settings.POSTROOM, "AUTO_REPLY_LIMIT": 0}
    solve(ticket)
    assert memory_transport == []
    assert TicketEvent.objects.filter(ticket=ticket, detail__skipped="cap").exists()


def test_without_an_assignee_the_last_replier_is_the_rated_agent(ticket, solve, django_user_model):
    leo = django_user_model.objects.create_user("leo", "leo@example.test", "pw")
    ticket.assignee = None
    ticket.save(update_fields=["assignee"])
    Message.objects.create(
        ticket=ticket, direction=Direction.OUTBOUND, author=leo, body_text="Fixed."
    )
    Message.objects.create(
        ticket=ticket,
        direction=Direction.NOTE,
        author=ticket.queue.members.first(),
        body_text="internal",
    )
    solve(ticket)
    assert Survey.objects.get(ticket=ticket).agent == leo


def test_an_agents_reply_that_solves_the_ticket_sends_the_survey_after_it(
    ticket, agent, memory_transport, django_capture_on_commit_callbacks
):
    from postroom.mail.outbound.replies import reply_send

    with django_capture_on_commit_callbacks(execute=True):
        reply_send(
            ticket=ticket, author=agent, text="Fixed in 2.4.", status_after=TicketStatus.SOLVED
        )
    kinds = [parsed(e)["Auto-Submitted"] for e in memory_transport]
    assert kinds == [None, "auto-replied"], "the reply first, then the survey"
