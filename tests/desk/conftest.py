"""Desk fixtures (issue #4): people with roles, signed-in clients, tickets with threads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from postroom.accounts.models import AgentProfile, Customer, CustomerAddress, Queue, Role
from postroom.core import clock
from postroom.tickets.models import Direction, EventKind, Message, Ticket, TicketEvent

PASSWORD = "correct horse battery staple"


def desk_user(django_user_model: Any, username: str, *, role: Role = Role.AGENT,
              queues: tuple[Queue, ...] = ()) -> Any:
    """Create a desk user with *role*, member of *queues*."""
    user = django_user_model.objects.create_user(
        username, f"{username}@staff.example.test", PASSWORD, first_name=username.title(),
        is_staff=role == Role.ADMIN,
    )
    AgentProfile.objects.create(user=user, role=role)
    for queue in queues:
        queue.members.add(user)
    return user


def signed_in(user: Any) -> Client:
    """Return a test client signed in as *user* (CSRF checks on, as in a browser)."""
    client = Client(enforce_csrf_checks=False)
    client.force_login(user)
    return client


@pytest.fixture
def agent(django_user_model, queues):
    """Alex, an agent in Technical Support only."""
    return desk_user(django_user_model, "alex", queues=(queues["support"],))


@pytest.fixture
def billing_agent(django_user_model, queues):
    """Bea, an agent in Billing only: Technical Support's tickets are not hers."""
    return desk_user(django_user_model, "bea", queues=(queues["billing"],))


@pytest.fixture
def supervisor(django_user_model, queues):
    """Sam, a supervisor of both queues."""
    return desk_user(django_user_model, "sam", role=Role.SUPERVISOR,
                     queues=(queues["support"], queues["billing"]))


@pytest.fixture
def desk_admin(django_user_model, queues):
    """Ada, an admin: every queue without being a member of any."""
    return desk_user(django_user_model, "ada", role=Role.ADMIN)


@pytest.fixture
def agent_client(agent) -> Client:
    return signed_in(agent)


@pytest.fixture
def make_ticket(queues) -> Callable[..., Ticket]:
    """Return a factory: a ticket with one customer message (more via `messages=`)."""
    counter = {"n": 0}

    def make(*, queue: str = "support", subject: str = "Watch will not sync", body: str = "It stopped syncing.",
             address: str = "", name: str = "Anna Berg", status: str = "open", priority: str = "normal",
             language: str = "en", messages: int = 1, **fields: Any) -> Ticket:
        counter["n"] += 1
        address = address or f"customer{counter['n']}@customer.example"
        found = CustomerAddress.objects.filter(address=address).select_related("customer").first()
        if found is not None:
            customer = found.customer
        else:
            customer = Customer.objects.create(name=name, language=language)
            CustomerAddress.objects.create(customer=customer, address=address)
        now = clock.now()
        ticket = Ticket.objects.create(subject=subject, queue=queues[queue], customer=customer, status=status,
                                       priority=priority, language=language, our_address="support@desk.example.test",
                                       created_at=now, updated_at=now, **fields)
        for i in range(messages):
            Message.objects.create(ticket=ticket, direction=Direction.INBOUND, from_address=address, from_name=name,
                                   to=["support@desk.example.test"], subject=subject,
                                   message_id=f"<t{ticket.pk}.{i}@customer.example>",
                                   body_text=body if i == 0 else f"{body} (again, {i})",
                                   visible_text=body if i == 0 else f"{body} (again, {i})", language=language,
                                   created_at=now)
        TicketEvent.objects.create(ticket=ticket, kind=EventKind.CREATED, summary="Created from mail", source="mail")
        return ticket

    return make
