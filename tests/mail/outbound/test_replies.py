"""Agent replies go to the customer, thread, and leave the ticket pending; notes stay inside."""

from __future__ import annotations

from email import message_from_bytes, policy

import pytest

from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState
from postroom.mail.outbound.replies import note_add, reply_send
from postroom.tickets.models import Direction, EventKind, Message, TicketEvent, TicketStatus


@pytest.fixture
def agent(django_user_model):
    return django_user_model.objects.create_user("mia", "mia@example.test", "pw", is_staff=True)


def test_reply_goes_to_the_customers_latest_address_and_leaves_the_ticket_pending(
    ticket, inbound, agent, memory_transport, django_capture_on_commit_callbacks
):
    Message.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND,
        from_address="Anna.Work@corp.example",
        message_id="second@corp.example",
        subject="Re: more",
        created_at=inbound.created_at.replace(hour=10),
    )
    with django_capture_on_commit_callbacks(execute=True):
        outbound = reply_send(ticket=ticket, author=agent, text="Please reset the watch.\r\n")

    outbound.refresh_from_db()
    assert outbound.kind == OutboundKind.REPLY and not outbound.automatic
    assert outbound.recipients == ["anna.work@corp.example"]
    assert outbound.state == OutboundState.SENT
    msg = message_from_bytes(memory_transport[0].data, policy=policy.default)
    assert msg["In-Reply-To"] == "<second@corp.example>"
    assert msg["Auto-Submitted"] is None
    assert msg.get_content().rstrip() == "Please reset the watch."
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING
    stored = Message.objects.get(message_id=outbound.message_id)
    assert (stored.direction, stored.author) == (Direction.OUTBOUND, agent)
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.REPLY).actor == agent


def test_reply_can_solve_the_ticket_and_copy_others(
    ticket, inbound, agent, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        outbound = reply_send(
            ticket=ticket,
            author=agent,
            text="Fixed in 2.4.",
            cc=["boss@customer.example"],
            status_after=TicketStatus.SOLVED,
        )
    assert outbound.recipients == ["anna@customer.example", "boss@customer.example"]
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.SOLVED
    assert ticket.solved_at is not None
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.STATUS).actor == agent


def test_reply_without_any_customer_message_goes_to_the_customers_first_address(ticket, agent):
    outbound = reply_send(ticket=ticket, author=agent, text="We saw your post on the forum.")
    assert outbound.recipients == ["anna@customer.example"]


def test_a_customer_answer_to_a_reply_can_thread_on_its_message_id(ticket, inbound, agent):
    outbound = reply_send(ticket=ticket, author=agent, text="Hi")
    header = message_from_bytes(bytes(outbound.data), policy=policy.default)["Message-ID"]
    assert Message.objects.get(message_id=header.strip("<>")).ticket == ticket


def test_empty_reply_is_refused(ticket, inbound, agent):
    with pytest.raises(ValueError, match="empty"):
        reply_send(ticket=ticket, author=agent, text="  \n ")
    assert not OutboundMessage.objects.exists()


def test_reply_on_a_merged_ticket_is_refused(ticket, inbound, agent, queues):
    from postroom.tickets.models import Ticket

    target = Ticket.objects.create(subject="other", queue=queues["support"])
    ticket.merged_into = target
    ticket.save()
    with pytest.raises(ValueError, match="merged"):
        reply_send(ticket=ticket, author=agent, text="Hi")


def test_note_is_kept_on_the_ticket_and_never_mailed(
    ticket, inbound, agent, memory_transport, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        note = note_add(ticket=ticket, author=agent, text="Customer is on beta firmware.")
    assert (note.direction, note.author, note.visible_text) == (
        Direction.NOTE,
        agent,
        "Customer is on beta firmware.",
    )
    assert not OutboundMessage.objects.exists()
    assert memory_transport == []
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.NOTE).actor == agent
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
