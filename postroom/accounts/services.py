"""Writes on customers and queues."""

from __future__ import annotations

from django.db import IntegrityError, connection, transaction

from postroom.accounts.models import Customer, CustomerAddress


def customer_for_address(*, address: str, name: str = "", language: str = "") -> Customer:
    """Return the customer who owns *address*, creating one on first contact.

    A known customer's missing name or language is filled in from what we learnt now.
    """
    address = address.strip().lower()
    row = CustomerAddress.objects.select_related("customer").filter(address=address).first()
    if row is not None:
        customer = row.customer
        missing = {"name": name[:200], "language": language}
        changed = [f for f, v in missing.items() if v and not getattr(customer, f)]
        for field in changed:
            setattr(customer, field, missing[field])
        if changed:
            customer.save(update_fields=changed)
        return customer
    if connection.vendor == "sqlite":
        # SQLite serialises writers (IMMEDIATE transactions): no one can insert the same
        # address between our read and our write, so the savepoint below is not needed.
        customer = Customer.objects.create(name=name[:200], language=language)
        CustomerAddress.objects.create(customer=customer, address=address)
        return customer
    try:
        with transaction.atomic():
            customer = Customer.objects.create(name=name[:200], language=language)
            CustomerAddress.objects.create(customer=customer, address=address)
            return customer
    except IntegrityError:
        # Another process created the address meanwhile.
        return CustomerAddress.objects.select_related("customer").get(address=address).customer
