"""Merging and splitting tickets, and status changes, as an agent does them."""

from __future__ import annotations

import pytest

from postroom.tickets.models import EventKind, Ticket, TicketStatus
from postroom.tickets.services import ticket_merge, ticket_set_status, ticket_split
from tests.mail.builders import build_mail, deliver

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_tickets(mailboxes):
    a = deliver(build_mail(subject="Battery drains", message_id="a@customer.test")).ticket
    b = deliver(build_mail(subject="Battery drains (again)", message_id="b@customer.test")).ticket
    return a, b


def test_merge_moves_messages_and_marks_the_source(two_tickets):
    a, b = two_tickets
    ticket_merge(source=b, target=a, actor=None)
    b.refresh_from_db()
    assert b.status == TicketStatus.MERGED and b.merged_into_id == a.pk
    assert a.messages.count() == 2 and b.messages.count() == 0
    assert (
        a.events.filter(kind=EventKind.MERGED).exists()
        and b.events.filter(kind=EventKind.MERGED).exists()
    )


def test_merge_into_itself_is_refused(two_tickets):
    a, _ = two_tickets
    with pytest.raises(ValueError):
        ticket_merge(source=a, target=a, actor=None)


def test_reply_to_a_message_of_the_merged_ticket_threads_to_the_target(two_tickets):
    a, b = two_tickets
    ticket_merge(source=b, target=a, actor=None)
    raw = deliver(build_mail(subject="any", in_reply_to="b@customer.test"))
    assert raw.ticket_id == a.pk


def test_split_moves_one_message_into_a_new_ticket(two_tickets):
    a, b = two_tickets
    ticket_merge(source=b, target=a, actor=None)
    message = a.messages.get(message_id="b@customer.test")
    new = ticket_split(message=message, actor=None)
    assert new.pk not in (a.pk, b.pk)
    assert list(new.messages.values_list("message_id", flat=True)) == ["b@customer.test"]
    assert a.messages.count() == 1
    assert new.queue_id == a.queue_id and new.customer_id == a.customer_id
    # Later replies to the split message land on the new ticket.
    assert deliver(build_mail(subject="any", in_reply_to="b@customer.test")).ticket_id == new.pk


def test_the_only_message_cannot_be_split(two_tickets):
    a, _ = two_tickets
    with pytest.raises(ValueError):
        ticket_split(message=a.messages.get(), actor=None)


def test_status_change_stamps_times_and_timeline(two_tickets):
    a, _ = two_tickets
    ticket_set_status(ticket=a, status=TicketStatus.SOLVED, actor=None)
    a.refresh_from_db()
    assert a.solved_at is not None
    assert a.events.filter(kind=EventKind.STATUS, summary="new → solved").exists()
    assert Ticket.objects.get(pk=a.pk).status == TicketStatus.SOLVED


def test_spam_is_kept_out_of_the_queue_view_and_listed_in_the_spam_view(mailboxes, client, django_user_model):
    spam = deliver(build_mail(subject="You won a prize", headers={"X-Spam-Flag": "YES"})).ticket
    ham = deliver(build_mail(subject="Strap broke")).ticket
    admin = django_user_model.objects.create_superuser("boss", password="pw-123456")
    client.force_login(admin)
    default = client.get("/admin/tickets/ticket/").content.decode()
    assert ham.subject in default and spam.subject not in default
    spam_view = client.get("/admin/tickets/ticket/?view=spam").content.decode()
    assert spam.subject in spam_view and ham.subject not in spam_view
