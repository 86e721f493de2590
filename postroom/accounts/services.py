"""Writes on customers and queues."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import IntegrityError, connection, transaction

from postroom.accounts.models import Customer, CustomerAddress, CustomerNote, CustomerTier
from postroom.core import clock
from postroom.core.rows import row_as_instance, row_update, rows_insert
from postroom.search.services import search_document_refresh_later
from postroom.sla.due import OPEN_STATUSES
from postroom.sla.tasks import sla_refresh_later
from postroom.tickets.models import EventKind, Ticket, TicketEvent

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def customer_for_address(*, address: str, name: str = "", language: str = "") -> Customer:
    """Return the customer who owns *address*, creating one on first contact.

    A known customer's missing name or language is filled in from what we learnt now.
    Runs for every received message, so it reads and writes without the ORM's query
    building (`postroom.core.rows`); Customer and CustomerAddress have no signal receivers.
    """
    address = address.strip().lower()
    found = _customer_row(address)
    if found is not None:
        pk, known_name, known_language = found
        missing = {"name": name[:200], "language": language}
        changed = {f: v for f, v in missing.items() if v and not (known_name if f == "name" else known_language)}
        if changed:
            row_update(Customer, pk, changed)
        return row_as_instance(Customer, pk, {"name": changed.get("name", known_name),
                                              "language": changed.get("language", known_language)})
    values = {"name": name[:200], "language": language, "created_at": clock.now()}
    if connection.vendor == "sqlite":
        # SQLite serialises writers (IMMEDIATE transactions): no one can insert the same
        # address between our read and our write, so no savepoint is needed.
        return _customer_create(address, values)
    try:
        with transaction.atomic():
            return _customer_create(address, values)
    except IntegrityError:
        # Another process created the address meanwhile.
        return CustomerAddress.objects.select_related("customer").get(address=address).customer


def _customer_row(address: str) -> tuple[int, str, str] | None:
    qn = connection.ops.quote_name
    customers, addresses = qn(Customer._meta.db_table), qn(CustomerAddress._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT c.id, c.name, c.language FROM {addresses} a JOIN {customers} c ON c.id = a.customer_id "  # noqa: S608
            "WHERE a.address = %s",
            [address],
        )
        row = cursor.fetchone()
    return (row[0], row[1], row[2]) if row else None


def _customer_create(address: str, values: dict) -> Customer:
    (pk,) = rows_insert(Customer, [values])
    rows_insert(CustomerAddress, [{"customer_id": pk, "address": address}])
    return row_as_instance(Customer, pk, values)


# Issue #4: customer notes and merging two customer records from the desk.

NOTE_MAX_CHARS = 5_000

# Lowest first: a merge keeps the higher of the two tiers.
_TIER_RANK = {tier: rank for rank, tier in enumerate(CustomerTier.values)}


@dataclass(frozen=True)
class CustomerMergeResult:
    """What a customer merge moved onto the surviving customer."""

    target: Customer
    source_label: str  # the deleted record, as the timeline names it
    tickets: int
    addresses: int
    notes: int


def customer_note_add(*, customer: Customer, author: User | None, text: str) -> CustomerNote:
    """Add an internal note on *customer*, written by *author* (1–5,000 characters)."""
    text = text.strip()
    if not text:
        raise ValueError("A note needs some text.")
    if len(text) > NOTE_MAX_CHARS:
        raise ValueError(f"A note can have at most {NOTE_MAX_CHARS:,} characters.")
    return CustomerNote.objects.create(customer=customer, author=author, text=text, created_at=clock.now())


def customer_label(customer: Customer, address: str = "") -> str:
    """Return how a customer is named in timelines: "Anna Berg (#12)", or its address."""
    return f"{customer.name or address or 'customer'} (#{customer.pk})"


def customer_merge(*, source: Customer, target: Customer, actor: User | None) -> CustomerMergeResult:
    """Merge *source* into *target*: move its addresses, tickets and notes, then delete it.

    The target's empty name, language and time zone are filled from the source and the
    higher tier is kept. Each moved ticket gets a timeline event; the search documents of
    the target's tickets are refreshed (they index the customer's name and addresses),
    and the due times of open tickets whose customer tier changed. One transaction, a
    fixed number of queries however many tickets move.
    """
    if source.pk == target.pk:
        raise ValueError("A customer cannot be merged into itself.")
    with transaction.atomic():
        # Lock both rows and read them afresh: a concurrent merge may have removed one.
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
        if source.pk not in locked or target.pk not in locked:
            raise ValueError("One of the customers no longer exists (merged or deleted meanwhile).")
        source, target = locked[source.pk], locked[target.pk]
        first_address = (
            CustomerAddress.objects.filter(customer=source).order_by("pk").values_list("address", flat=True).first()
        )
        target_address = (
            CustomerAddress.objects.filter(customer=target).order_by("pk").values_list("address", flat=True).first()
        )
        source_label = customer_label(source, first_address or "")
        summary = f"Customer record {source_label} merged into {customer_label(target, target_address or '')}"[:500]

        moved = list(Ticket.objects.filter(customer=source).values_list("pk", "status"))
        previous_tier = target.tier
        addresses = CustomerAddress.objects.filter(customer=source).update(customer=target)
        tickets = Ticket.objects.filter(customer=source).update(customer=target)
        notes = CustomerNote.objects.filter(customer=source).update(customer=target)
        _customer_relations_move(source=source, target=target)

        for field in ("name", "language", "timezone"):
            if not getattr(target, field) and getattr(source, field):
                setattr(target, field, getattr(source, field))
        if _TIER_RANK.get(source.tier, 0) > _TIER_RANK.get(target.tier, 0):
            target.tier = source.tier
        target.save(update_fields=["name", "language", "timezone", "tier"])

        event_source = f"agent:{actor.pk}" if actor is not None else "system"
        now = clock.now()
        detail = {"field": "customer", "from": source.pk, "to": target.pk}
        TicketEvent.objects.bulk_create(
            [TicketEvent(ticket_id=pk, kind=EventKind.FIELD, summary=summary, source=event_source,
                         detail=detail, actor=actor, created_at=now) for pk, _ in moved],
            batch_size=500,
        )
        source.delete()

        # Every ticket of the target now belongs to a customer with more addresses (and
        # maybe a name): their search documents change, not only the moved ones'.
        search_document_refresh_later(ticket_ids=Ticket.objects.filter(customer=target).values_list("pk", flat=True))
        # SLA policies may depend on the customer's tier (postroom/sla/due.py).
        due_ids: set[int] = set()
        if source.tier != target.tier:
            due_ids.update(pk for pk, status in moved if status in OPEN_STATUSES)
        if previous_tier != target.tier:
            due_ids.update(Ticket.objects.filter(customer=target, status__in=OPEN_STATUSES)
                           .values_list("pk", flat=True))
        for pk in sorted(due_ids):
            sla_refresh_later(pk)
    return CustomerMergeResult(target=target, source_label=source_label, tickets=tickets, addresses=addresses, notes=notes)


def _customer_relations_move(*, source: Customer, target: Customer) -> None:
    """Point every other many-to-one relation of *source* at *target*.

    Rows of apps added later (warranty purchases, portal links …) would otherwise be
    deleted with the source or block its deletion. One-to-one relations are left alone:
    the target may already have its own.
    """
    handled = {CustomerAddress, CustomerNote, Ticket}
    for relation in Customer._meta.related_objects:
        model = relation.related_model
        if not relation.one_to_many or model in handled:
            continue
        model._base_manager.filter(**{relation.field.name: source}).update(**{relation.field.name: target})
