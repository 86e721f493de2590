"""Queues and customers in the admin."""

from __future__ import annotations

from django.urls import reverse

from postroom.accounts.models import Customer, CustomerAddress


def test_queue_admin_lists_queues_with_member_counts(admin_client, queues, admin_user):
    queues["support"].members.add(admin_user)
    page = admin_client.get(reverse("admin:accounts_queue_changelist")).content.decode()
    assert "Technical Support" in page
    change = admin_client.get(reverse("admin:accounts_queue_change", args=[queues["support"].pk]))
    assert change.status_code == 200
    assert "selectfilter" in change.content.decode().lower()  # filter_horizontal members


def test_customer_admin_shows_addresses_escaped(admin_client, db):
    customer = Customer.objects.create(name="<script>alert(1)</script>")
    CustomerAddress.objects.create(customer=customer, address="anna@customer.example")
    page = admin_client.get(reverse("admin:accounts_customer_changelist")).content.decode()
    assert "anna@customer.example" in page
    assert "<script>alert(1)</script>" not in page
    change = admin_client.get(reverse("admin:accounts_customer_change", args=[customer.pk]))
    assert change.status_code == 200
    assert "anna@customer.example" in change.content.decode()
