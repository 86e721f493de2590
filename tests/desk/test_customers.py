"""The desk's customer pages (issue #4): list and search, a customer's page, notes, merging."""

from __future__ import annotations

import pytest
from django.urls import reverse

from postroom.accounts.models import Customer, CustomerAddress, CustomerNote
from postroom.tickets.models import Ticket, TicketEvent
from tests.desk.conftest import desk_user, signed_in


def customer_url(customer: Customer) -> str:
    return reverse("desk:customer", args=[customer.pk])


def merge_url(customer: Customer) -> str:
    return reverse("desk:customer-merge", args=[customer.pk])


# The customer page


def test_an_agent_sees_a_customer_with_a_ticket_in_their_queue(agent_client, make_ticket):
    ticket = make_ticket(queue="support", address="anna@customer.example", subject="Watch will not sync")
    customer = ticket.customer
    CustomerAddress.objects.create(customer=customer, address="anna.berg@work.example")

    response = agent_client.get(customer_url(customer))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Anna Berg" in page
    assert "anna@customer.example" in page and "anna.berg@work.example" in page
    assert "Watch will not sync" in page and ticket.reference in page
    assert f'href="{reverse("desk:ticket", args=[ticket.pk])}"' in page
    assert "1 ticket in your queues" in page


def test_an_agent_gets_404_for_a_customer_with_only_other_queues_tickets(agent_client, make_ticket):
    ticket = make_ticket(queue="billing", address="payer@customer.example")

    assert agent_client.get(customer_url(ticket.customer)).status_code == 404


def test_an_agent_gets_404_for_a_customer_without_tickets(agent_client, customer):
    assert agent_client.get(customer_url(customer)).status_code == 404


def test_the_page_lists_and_counts_only_the_tickets_the_agent_may_see(agent_client, make_ticket):
    mine = make_ticket(queue="support", address="anna@customer.example", subject="Strap broke")
    make_ticket(queue="billing", address="anna@customer.example", subject="Refund for order SO-99")

    page = agent_client.get(customer_url(mine.customer)).content.decode()

    assert "Strap broke" in page
    assert "Refund for order SO-99" not in page
    assert "1 ticket in your queues" in page


def test_an_admin_sees_every_ticket_of_the_customer(desk_admin, make_ticket):
    ticket = make_ticket(queue="support", address="anna@customer.example", subject="Strap broke")
    make_ticket(queue="billing", address="anna@customer.example", subject="Refund for order SO-99")

    page = signed_in(desk_admin).get(customer_url(ticket.customer)).content.decode()

    assert "Strap broke" in page and "Refund for order SO-99" in page
    assert "2 tickets." in page


def test_tickets_are_paged_newest_first_with_an_older_link(agent_client, make_ticket, monkeypatch):
    from postroom.desk.views import customers

    monkeypatch.setattr(customers, "PAGE_SIZE", 2)
    tickets = [make_ticket(address="anna@customer.example", subject=f"Question {i}") for i in range(3)]
    url = customer_url(tickets[0].customer)

    first = agent_client.get(url)
    assert [t.pk for t in first.context["tickets"]] == [tickets[2].pk, tickets[1].pk]
    older = first.context["older"]
    assert older

    second = agent_client.get(url, {"older": older})
    assert [t.pk for t in second.context["tickets"]] == [tickets[0].pk]
    assert second.context["older"] == ""
    assert agent_client.get(url, {"older": "not-a-cursor"}).status_code == 200


def test_the_customer_page_runs_a_fixed_number_of_queries(agent, make_ticket, django_assert_max_num_queries):
    client = signed_in(agent)
    first = make_ticket(address="anna@customer.example")
    customer = first.customer
    client.get(customer_url(customer))
    with django_assert_max_num_queries(10) as few:
        client.get(customer_url(customer))
    for i in range(12):
        make_ticket(address="anna@customer.example", subject=f"More {i}")
        CustomerNote.objects.create(customer=customer, author=agent, text=f"note {i}")
        CustomerAddress.objects.create(customer=customer, address=f"anna{i}@customer.example")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(customer_url(customer))
    assert "13 tickets in your queues" in response.content.decode()


# Notes


def test_an_agent_adds_a_note_that_is_shown_escaped_with_its_line_breaks(agent, agent_client, make_ticket):
    customer = make_ticket(address="anna@customer.example").customer

    response = agent_client.post(reverse("desk:customer-note", args=[customer.pk]),
                                 {"text": "<script>alert(1)</script>\nsecond line"})

    assert response.status_code == 302
    note = CustomerNote.objects.get(customer=customer)
    assert (note.author, note.text) == (agent, "<script>alert(1)</script>\nsecond line")
    page = agent_client.get(customer_url(customer)).content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;\nsecond line" in page
    assert "<script>alert(1)" not in page
    assert "Alex" in page  # the author


@pytest.mark.parametrize("text", ["", "   ", "x" * 5_001])
def test_an_empty_or_overlong_note_is_refused_with_the_form_shown_again(agent_client, make_ticket, text):
    customer = make_ticket(address="anna@customer.example").customer

    response = agent_client.post(reverse("desk:customer-note", args=[customer.pk]), {"text": text})

    assert response.status_code == 400
    assert 'id="note-form"' in response.content.decode()
    assert not CustomerNote.objects.exists()


def test_an_agent_cannot_note_a_customer_they_may_not_see(agent_client, make_ticket):
    customer = make_ticket(queue="billing", address="payer@customer.example").customer

    response = agent_client.post(reverse("desk:customer-note", args=[customer.pk]), {"text": "hello"})

    assert response.status_code == 404
    assert not CustomerNote.objects.exists()


# The list


def test_the_list_shows_only_visible_customers_with_their_addresses_and_ticket_counts(agent_client, make_ticket):
    make_ticket(queue="support", address="anna@customer.example", name="Anna Berg")
    make_ticket(queue="support", address="anna@customer.example", name="Anna Berg")
    make_ticket(queue="billing", address="anna@customer.example", name="Anna Berg")
    make_ticket(queue="billing", address="payer@customer.example", name="Pat Payer")

    response = agent_client.get(reverse("desk:customers"))

    rows = response.context["customers"]
    assert [(c.name, c.ticket_count) for c in rows] == [("Anna Berg", 2)]
    page = response.content.decode()
    assert "anna@customer.example" in page and "Pat Payer" not in page


@pytest.mark.parametrize("query", ["berg", "WORK.example", "anna.b"])
def test_the_list_searches_by_name_or_address(agent_client, make_ticket, query):
    anna = make_ticket(address="anna@customer.example", name="Anna Berg").customer
    CustomerAddress.objects.create(customer=anna, address="anna.b@work.example")
    make_ticket(address="bob@customer.example", name="Bob Stone")

    response = agent_client.get(reverse("desk:customers"), {"q": query})

    assert [c.pk for c in response.context["customers"]] == [anna.pk]


def test_a_customer_with_two_matching_addresses_is_listed_once_with_its_true_count(agent_client, make_ticket):
    anna = make_ticket(address="anna@customer.example").customer
    make_ticket(address="anna@customer.example")
    CustomerAddress.objects.create(customer=anna, address="anna2@customer.example")

    response = agent_client.get(reverse("desk:customers"), {"q": "customer.example"})

    assert [(c.pk, c.ticket_count) for c in response.context["customers"]] == [(anna.pk, 2)]


def test_the_list_runs_a_fixed_number_of_queries(agent, make_ticket, django_assert_max_num_queries):
    client = signed_in(agent)
    make_ticket(address="first@customer.example", name="Anna Berg")
    client.get(reverse("desk:customers"), {"q": "anna"})
    with django_assert_max_num_queries(7) as few:
        client.get(reverse("desk:customers"), {"q": "anna"})
    for i in range(15):
        ticket = make_ticket(address=f"anna{i}@customer.example", name=f"Anna {i}")
        CustomerAddress.objects.create(customer=ticket.customer, address=f"anna{i}@work.example")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("desk:customers"), {"q": "anna"})
    assert len(response.context["customers"]) == 16


# Merging


def test_a_supervisor_merges_another_customer_into_this_one(supervisor, make_ticket):
    old = make_ticket(queue="billing", address="anna@old.example", name="Anna Berg").customer
    new_ticket = make_ticket(queue="support", address="anna@new.example", name="")
    new = new_ticket.customer
    CustomerNote.objects.create(customer=old, text="Prefers German.")

    response = signed_in(supervisor).post(merge_url(new), {"other": "ANNA@old.example"})

    assert response.status_code == 302
    assert response["Location"] == customer_url(new)
    assert not Customer.objects.filter(pk=old.pk).exists()
    new.refresh_from_db()
    assert new.name == "Anna Berg"
    assert set(new.addresses.values_list("address", flat=True)) == {"anna@old.example", "anna@new.example"}
    assert Ticket.objects.filter(customer=new).count() == 2
    assert new.notes.count() == 1
    assert TicketEvent.objects.filter(source=f"agent:{supervisor.pk}", detail__field="customer").count() == 1


def test_a_customer_can_be_named_by_number(supervisor, make_ticket):
    old = make_ticket(address="anna@old.example").customer
    new = make_ticket(address="anna@new.example").customer

    response = signed_in(supervisor).post(merge_url(new), {"other": f"#{old.pk}"})

    assert response.status_code == 302
    assert not Customer.objects.filter(pk=old.pk).exists()


def test_an_agent_gets_403_for_merge_and_does_not_see_the_form(agent_client, make_ticket):
    old = make_ticket(address="anna@old.example").customer
    new = make_ticket(address="anna@new.example").customer

    assert agent_client.post(merge_url(new), {"other": "anna@old.example"}).status_code == 403

    assert Customer.objects.filter(pk=old.pk).exists()
    page = agent_client.get(customer_url(new)).content.decode()
    assert 'id="merge-form"' not in page and "Merge another customer" not in page


def test_a_supervisor_sees_the_merge_form_and_an_admin_the_edit_link(supervisor, desk_admin, make_ticket,
                                                                     django_user_model):
    customer = make_ticket(address="anna@customer.example").customer
    root = django_user_model.objects.create_superuser("root", "root@staff.example.test", "x")

    supervisor_page = signed_in(supervisor).get(customer_url(customer)).content.decode()
    root_page = signed_in(root).get(customer_url(customer)).content.decode()

    assert 'id="merge-form"' in supervisor_page and "Merge into Anna Berg" in supervisor_page
    assert reverse("admin:accounts_customer_change", args=[customer.pk]) not in supervisor_page
    assert reverse("admin:accounts_customer_change", args=[customer.pk]) in root_page


def test_merging_a_customer_into_itself_is_refused(supervisor, make_ticket):
    customer = make_ticket(address="anna@customer.example").customer

    response = signed_in(supervisor).post(merge_url(customer), {"other": "anna@customer.example"})

    assert response.status_code == 400
    assert "cannot be merged into itself" in response.content.decode()
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_merging_an_invisible_customer_answers_404(django_user_model, queues, make_ticket):
    lead = desk_user(django_user_model, "lee", role="supervisor", queues=(queues["support"],))
    mine = make_ticket(queue="support", address="anna@new.example").customer
    theirs = make_ticket(queue="billing", address="anna@old.example").customer
    client = signed_in(lead)

    by_address = client.post(merge_url(mine), {"other": "anna@old.example"})
    by_number = client.post(merge_url(mine), {"other": str(theirs.pk)})
    into_theirs = client.post(merge_url(theirs), {"other": "anna@new.example"})
    unknown = client.post(merge_url(mine), {"other": "nobody@nowhere.example"})

    assert [r.status_code for r in (by_address, by_number, into_theirs, unknown)] == [404, 404, 404, 404]
    assert Customer.objects.filter(pk__in=[mine.pk, theirs.pk]).count() == 2
