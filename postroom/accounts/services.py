"""Writes on customers and queues."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from postroom.accounts.models import Customer, CustomerAddress
from postroom.core import clock
from postroom.core.rows import row_as_instance, row_update, rows_insert


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
