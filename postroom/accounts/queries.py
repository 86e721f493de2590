"""Reads on customers for the desk (issue #4): who an agent may see, their tickets and notes.

An agent sees a customer only through the customer's tickets: a customer with at least
one ticket in one of the agent's queues. Admins see every customer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import (
    Count,
    Exists,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce

from postroom.accounts.models import Customer, CustomerAddress, CustomerNote
from postroom.accounts.roles import queue_ids_visible_to
from postroom.tickets.models import Ticket
from postroom.tickets.queries import tickets_visible_to

_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True)
class TicketCursor:
    """Where a page of a customer's tickets continues: after (updated_at, id), newest first."""

    updated_at: dt.datetime
    ticket_id: int

    def __str__(self) -> str:
        micros = (self.updated_at - _EPOCH) // dt.timedelta(microseconds=1)
        return f"{micros}-{self.ticket_id}"

    @classmethod
    def parse(cls, text: str) -> TicketCursor | None:
        """Return the cursor written by `str()`, None for anything else."""
        micros, _, pk = text.partition("-")
        if not (micros.isdigit() and pk.isdigit()) or len(micros) > 20:
            return None
        try:
            moment = _EPOCH + dt.timedelta(microseconds=int(micros))
        except (OverflowError, OSError, ValueError):
            return None
        return cls(updated_at=moment, ticket_id=int(pk))


@dataclass(frozen=True)
class CustomerTicketPage:
    """A page of the customer's tickets that the user may see, newest update first."""

    tickets: list[Ticket]
    total: int
    older: TicketCursor | None  # where the next (older) page starts; None on the last page


def _visible_tickets_of_customer(user: Any) -> QuerySet[Ticket]:
    return tickets_visible_to(user, Ticket.objects.filter(customer=OuterRef("pk")))


def customers_visible_to(user: Any, queryset: QuerySet[Customer] | None = None) -> QuerySet[Customer]:
    """Return the customers *user* may see: those with a ticket in their queues (admins: all)."""
    qs = Customer.objects.all() if queryset is None else queryset
    queue_ids = queue_ids_visible_to(user)
    if queue_ids is None:
        return qs
    if not queue_ids:
        return qs.none()
    return qs.filter(Exists(_visible_tickets_of_customer(user)))


def customer_visible_for(user: Any, customer_id: int) -> Customer | None:
    """Return customer *customer_id* if *user* may see it, else None."""
    return customers_visible_to(user).filter(pk=customer_id).first()


def customer_by_reference(user: Any, reference: str) -> Customer | None:
    """Return the visible customer that *reference* names: an address, a number or "#12"."""
    reference = reference.strip()
    number = reference.removeprefix("#")
    if number.isdigit() and len(number) < 19:
        return customer_visible_for(user, int(number))
    if "@" not in reference:
        return None
    owner = CustomerAddress.objects.filter(address__iexact=reference).values("customer_id")
    return customers_visible_to(user).filter(pk__in=Subquery(owner)).first()


def customer_ticket_count(*, customer: Customer, user: Any) -> int:
    """Return how many of *customer*'s tickets *user* may see."""
    return tickets_visible_to(user, Ticket.objects.filter(customer=customer)).count()


def customer_tickets(*, customer: Customer, user: Any, limit: int = 50,
                     after: TicketCursor | None = None) -> CustomerTicketPage:
    """Return a page of *customer*'s tickets that *user* may see, newest update first.

    Keyset pages over (updated_at, id): three queries whatever the page or customer size
    (the count, the page, the page's queues).
    """
    qs = tickets_visible_to(user, Ticket.objects.filter(customer=customer))
    total = qs.count()
    # prefetch, not select_related: a join on the queue makes SQLite walk the queue's
    # tickets instead of the customer's (ticket_customer_created).
    page_qs = qs.prefetch_related("queue").order_by("-updated_at", "-id")
    if after is not None:
        page_qs = page_qs.filter(
            Q(updated_at__lt=after.updated_at) | Q(updated_at=after.updated_at, id__lt=after.ticket_id)
        )
    rows = list(page_qs[: limit + 1])
    older = None
    if len(rows) > limit:
        rows = rows[:limit]
        older = TicketCursor(updated_at=rows[-1].updated_at, ticket_id=rows[-1].pk)
    return CustomerTicketPage(tickets=rows, total=total, older=older)


def customer_notes(*, customer: Customer, limit: int = 100) -> list[CustomerNote]:
    """Return *customer*'s newest notes, with their authors, newest first."""
    return list(CustomerNote.objects.filter(customer=customer).select_related("author")[:limit])


def _visible_ticket_counts(user: Any) -> QuerySet[Any, Any]:
    """Return a subquery: the number of the outer customer's tickets *user* may see.

    The queue rule of `tickets_visible_to`, written as the count's filter: with
    `queue_id IN (…)` in its WHERE clause SQLite (without ANALYZE statistics) walks the
    queue's index, every ticket of the queue for each customer listed, instead of the
    customer's.
    """
    queue_ids = queue_ids_visible_to(user)
    counted = Count("pk") if queue_ids is None else Count("pk", filter=Q(queue_id__in=queue_ids))
    return (Ticket.objects.filter(customer=OuterRef("pk")).order_by().values("customer")
            .annotate(n=counted).values("n"))


def customers_search(*, user: Any, query: str = "", limit: int = 50) -> list[Customer]:
    """Return up to *limit* visible customers whose name or an address contains *query*.

    Newest customer first; each carries `ticket_count` (the tickets *user* may see) and its
    prefetched `addresses`: two queries whatever the number of results.
    """
    qs = customers_visible_to(user)
    query = query.strip()
    if query:
        # A subquery, not a join: a customer with two matching addresses is listed once
        # and its ticket count is not multiplied.
        matching = CustomerAddress.objects.filter(address__icontains=query).values("customer_id")
        qs = qs.filter(Q(name__icontains=query) | Q(pk__in=Subquery(matching)))
    qs = qs.annotate(ticket_count=Coalesce(Subquery(_visible_ticket_counts(user), output_field=IntegerField()),
                                           Value(0)))
    qs = qs.prefetch_related(Prefetch("addresses", queryset=CustomerAddress.objects.order_by("pk")))
    # Newest first by id: the primary key's order, no sort over every customer.
    return list(qs.order_by("-pk")[:limit])
