"""Writes on customers and queues."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from postroom.accounts.models import Customer, CustomerAddress


def customer_for_address(*, address: str, name: str = "") -> Customer:
    """Return the customer who owns *address*, creating one on first contact."""
    address = address.strip().lower()
    row = CustomerAddress.objects.select_related("customer").filter(address=address).first()
    if row is not None:
        customer = row.customer
        if name and not customer.name:
            customer.name = name[:200]
            customer.save(update_fields=["name"])
        return customer
    try:
        with transaction.atomic():
            customer = Customer.objects.create(name=name[:200])
            CustomerAddress.objects.create(customer=customer, address=address)
            return customer
    except IntegrityError:
        # Another process created the address meanwhile.
        return CustomerAddress.objects.select_related("customer").get(address=address).customer
