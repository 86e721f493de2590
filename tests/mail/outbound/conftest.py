"""Fixtures for the outgoing path: a ticket with a customer message, mail kept in memory."""

from __future__ import annotations

import datetime as dt

import pytest

from postroom.mail.outbound import transports

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def memory_transport(settings):
    """Send through MemoryTransport; return its list of sent envelopes."""
    settings.POSTROOM = {
        **settings.POSTROOM,
        "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport",
    }
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


@pytest.fixture
def ticket(queues, mailboxes, customer):
    from postroom.tickets.models import Ticket

    return Ticket.objects.create(
        subject="Watch won't sync after update",
        queue=queues["support"],
        customer=customer,
        our_address="support@example.test",
        language="en",
        created_at=T0,
        updated_at=T0,
    )


@pytest.fixture
def inbound(ticket):
    from postroom.tickets.models import Direction, Message

    return Message.objects.create(
        ticket=ticket,
        direction=Direction.INBOUND,
        from_address="anna@customer.example",
        from_name="Anna Berg",
        to=["support@example.test"],
        subject="Watch won't sync after update",
        message_id="CAF-1234@mail.customer.example",
        references="root-1@mail.customer.example",
        in_reply_to="root-1@mail.customer.example",
        body_text="My watch stopped syncing after firmware 2.3.",
        visible_text="My watch stopped syncing after firmware 2.3.",
        created_at=T0,
    )
