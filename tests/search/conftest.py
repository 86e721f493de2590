"""Tickets to search: a few with customer messages, replies, notes and facts."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_ticket(queues, customer):
    """Return a function that creates a ticket with one customer message, then indexes it."""
    from postroom.search.services import search_document_refresh
    from postroom.tickets.models import Direction, Message, Ticket

    def make(
        *, subject: str = "Help", text: str = "", queue: str = "support", facts: dict | None = None,
        customer_=customer, index: bool = True,
    ) -> Ticket:
        ticket = Ticket.objects.create(
            subject=subject, queue=queues[queue], customer=customer_, facts=facts or {}
        )
        Message.objects.create(
            ticket=ticket, direction=Direction.INBOUND, subject=subject, body_text=text,
            visible_text=text, from_address="anna@customer.example", from_name="Anna Berg",
        )
        if index:
            search_document_refresh(ticket_ids=[ticket.pk])
        return ticket

    return make


@pytest.fixture
def connection_vendor(db) -> str:
    from django.db import connection

    return connection.vendor
