"""Threading: subject reference, In-Reply-To/References, reply token; reopen and link."""

from __future__ import annotations

import datetime as dt

import pytest

from postroom.core import clock
from postroom.tickets.models import Direction, EventKind, Message, Ticket, TicketStatus
from postroom.tickets.services import ticket_merge, ticket_set_status
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def ticket(mailboxes):
    raw = deliver(build_mail(message_id="first@customer.test"))
    return raw.ticket


def _our_reply(ticket: Ticket, message_id: str = "pr-1-abc@desk.example.test") -> Message:
    return Message.objects.create(ticket=ticket, direction=Direction.AUTO, message_id=message_id,
                                  subject=f"[{ticket.reference}] ack", body_text="We got it.")


def test_subject_reference_threads_a_reply(ticket):
    raw = deliver(build_mail(subject=f"Re: My watch [{ticket.reference}]"))
    assert raw.outcome == "followup" and raw.ticket_id == ticket.pk
    assert ticket.events.filter(kind=EventKind.MESSAGE, source__startswith="subject:").exists()


def test_reply_to_our_acknowledgement_threads_by_in_reply_to(ticket):
    ours = _our_reply(ticket)
    raw = deliver(build_mail(subject="Re: ack", in_reply_to=ours.message_id, references=f"first@customer.test {ours.message_id}"))
    assert raw.outcome == "followup" and raw.ticket_id == ticket.pk
    assert ticket.events.filter(source=f"in-reply-to:<{ours.message_id}>").exists()


def test_references_to_the_customers_first_message_thread(ticket):
    raw = deliver(build_mail(subject="more info", references="first@customer.test"))
    assert raw.ticket_id == ticket.pk


def test_reply_token_threads_when_subject_and_headers_are_lost(ticket):
    address = f"support+t{ticket.pk}-{ticket.reply_token}@example.test"
    raw = deliver(build_mail(subject="new subject", to=address), to=(address,))
    assert raw.outcome == "followup" and raw.ticket_id == ticket.pk


def test_forged_reply_token_does_not_thread(ticket):
    address = f"support+t{ticket.pk}-deadbeefdeadbeef@example.test"
    raw = deliver(build_mail(subject="guess", to=address), to=(address,))
    assert raw.outcome == "ticket" and raw.ticket_id != ticket.pk


def test_reply_to_a_solved_ticket_reopens_it(ticket):
    ticket_set_status(ticket=ticket, status=TicketStatus.SOLVED, actor=None)
    deliver(build_mail(subject=f"Re: [{ticket.reference}] still broken"))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN
    assert ticket.events.filter(kind=EventKind.REOPENED).exists()


def test_reply_to_a_pending_ticket_sets_it_open(ticket):
    ticket_set_status(ticket=ticket, status=TicketStatus.PENDING, actor=None)
    deliver(build_mail(subject=f"Re: [{ticket.reference}] here are the logs"))
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_reply_to_a_recently_closed_ticket_reopens_it(ticket):
    ticket_set_status(ticket=ticket, status=TicketStatus.CLOSED, actor=None)
    raw = deliver(build_mail(subject=f"Re: [{ticket.reference}]"))
    assert raw.ticket_id == ticket.pk


def test_reply_to_a_long_closed_ticket_starts_a_linked_ticket(ticket):
    ticket_set_status(ticket=ticket, status=TicketStatus.CLOSED, actor=None)
    later = clock.now() + dt.timedelta(days=30)
    with clock.pinned(later):
        raw = deliver(build_mail(subject=f"Re: [{ticket.reference}] it broke again"))
    assert raw.outcome == "ticket"
    assert raw.ticket.linked_from_id == ticket.pk
    assert ticket.events.filter(kind=EventKind.LINKED).exists()
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_reply_to_a_merged_ticket_lands_on_the_target(ticket):
    other = deliver(build_mail(subject="second question", message_id="second@customer.test")).ticket
    ticket_merge(source=other, target=ticket, actor=None)
    raw = deliver(build_mail(subject=f"Re: [{other.reference}]"))
    assert raw.ticket_id == ticket.pk


def test_followup_is_not_acknowledged_again(ticket):
    raw = deliver(build_mail(subject=f"Re: [{ticket.reference}]"))
    assert raw.outcome == "followup"
    assert ticket.outbound.filter(kind="ack").count() <= 1


def test_unrelated_reference_to_unknown_ticket_opens_new_ticket(mailboxes):
    raw = deliver(build_mail(subject="Re: [PR-99999] hello"))
    assert raw.outcome == "ticket"
