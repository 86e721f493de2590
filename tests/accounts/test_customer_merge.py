"""customer_merge and customer_note_add (issue #4): one customer record out of two."""

from __future__ import annotations

import pytest

from postroom.accounts.models import Customer, CustomerAddress, CustomerNote, CustomerTier
from postroom.accounts.services import customer_for_address, customer_merge, customer_note_add
from postroom.tickets.models import EventKind, Ticket, TicketEvent


def _customer(*addresses: str, **fields) -> Customer:
    customer = Customer.objects.create(**fields)
    for address in addresses:
        CustomerAddress.objects.create(customer=customer, address=address)
    return customer


def _ticket(customer: Customer, queue, subject: str = "Watch will not sync") -> Ticket:
    return Ticket.objects.create(subject=subject, queue=queue, customer=customer, status="open")


@pytest.fixture
def actor(django_user_model):
    return django_user_model.objects.create_user("sam", "sam@staff.example.test", "x")


@pytest.fixture
def pair(queues):
    """Anna's old record (two addresses, two tickets, a note) and her new one."""
    old = _customer("anna@old.example", "anna.berg@work.example", name="Anna Berg", language="de",
                    timezone="Europe/Berlin", tier=CustomerTier.VIP)
    new = _customer("anna@new.example", tier=CustomerTier.PREMIUM)
    tickets = [_ticket(old, queues["support"]), _ticket(old, queues["billing"], "Charged twice")]
    kept = _ticket(new, queues["support"], "Strap broke")
    CustomerNote.objects.create(customer=old, text="Prefers German.")
    return old, new, tickets, kept


def test_a_merge_moves_addresses_tickets_and_notes_and_deletes_the_source(pair, actor):
    old, new, tickets, kept = pair

    result = customer_merge(source=old, target=new, actor=actor)

    assert not Customer.objects.filter(pk=old.pk).exists()
    assert set(new.addresses.values_list("address", flat=True)) == {
        "anna@old.example", "anna.berg@work.example", "anna@new.example"}
    assert set(Ticket.objects.filter(customer=new).values_list("pk", flat=True)) == {
        tickets[0].pk, tickets[1].pk, kept.pk}
    assert list(new.notes.values_list("text", flat=True)) == ["Prefers German."]
    assert (result.tickets, result.addresses, result.notes) == (2, 2, 1)


def test_a_merge_fills_the_targets_empty_fields_and_keeps_the_higher_tier(pair, actor):
    old, new, _, _ = pair

    customer_merge(source=old, target=new, actor=actor)

    new.refresh_from_db()
    assert (new.name, new.language, new.timezone, new.tier) == ("Anna Berg", "de", "Europe/Berlin", "vip")


def test_a_merge_keeps_the_targets_own_values_and_a_higher_target_tier(queues, actor):
    source = _customer("a@one.example", name="A. Berg", language="sv", tier=CustomerTier.PREMIUM)
    target = _customer("a@two.example", name="Anna Berg", language="en", tier=CustomerTier.VIP)

    customer_merge(source=source, target=target, actor=actor)

    target.refresh_from_db()
    assert (target.name, target.language, target.tier) == ("Anna Berg", "en", "vip")


def test_a_merge_writes_a_timeline_event_on_each_moved_ticket(pair, actor):
    old, new, tickets, kept = pair

    customer_merge(source=old, target=new, actor=actor)

    events = TicketEvent.objects.filter(kind=EventKind.FIELD, detail__field="customer")
    assert sorted(e.ticket_id for e in events) == sorted(t.pk for t in tickets)
    event = events.first()
    assert event is not None
    assert event.summary == f"Customer record Anna Berg (#{old.pk}) merged into anna@new.example (#{new.pk})"
    assert event.source == f"agent:{actor.pk}"
    assert event.actor == actor
    assert not TicketEvent.objects.filter(ticket=kept).exists()


def test_a_merge_of_a_large_customer_runs_a_fixed_number_of_queries(queues, actor, django_assert_max_num_queries):
    source = _customer("many@old.example", name="Busy")
    target = _customer("many@new.example")
    Ticket.objects.bulk_create([Ticket(subject=f"t{i}", queue=queues["support"], customer=source)
                                for i in range(120)])

    with django_assert_max_num_queries(20):
        customer_merge(source=source, target=target, actor=actor)

    assert Ticket.objects.filter(customer=target).count() == 120
    assert TicketEvent.objects.filter(detail__field="customer").count() == 120


def test_later_mail_from_a_merged_address_lands_on_the_target(pair, actor):
    old, new, _, _ = pair

    customer_merge(source=old, target=new, actor=actor)

    assert customer_for_address(address="Anna@Old.example").pk == new.pk
    assert Customer.objects.count() == 1


def test_a_merge_refreshes_the_search_documents_of_the_targets_tickets(pair, actor,
                                                                      django_capture_on_commit_callbacks):
    from postroom.search.queries import tickets_search
    from postroom.search.services import search_document_refresh

    old, new, tickets, kept = pair
    search_document_refresh(ticket_ids=[kept.pk, *(t.pk for t in tickets)])
    assert tickets_search(query="anna.berg@work.example").ticket_ids != []
    assert kept.pk not in tickets_search(query="anna.berg@work.example").ticket_ids

    with django_capture_on_commit_callbacks(execute=True):
        customer_merge(source=old, target=new, actor=actor)

    # The target's own ticket is now found by the merged record's address and name too.
    assert sorted(tickets_search(query="anna.berg@work.example").ticket_ids) == sorted(
        [kept.pk, *(t.pk for t in tickets)])
    assert kept.pk in tickets_search(query="Anna Berg").ticket_ids


def test_merging_a_customer_into_itself_is_refused(pair, actor):
    old, *_ = pair

    with pytest.raises(ValueError, match="into itself"):
        customer_merge(source=old, target=old, actor=actor)

    assert Customer.objects.filter(pk=old.pk).exists()


def test_a_note_is_added_with_its_author_and_trimmed(customer, actor):
    note = customer_note_add(customer=customer, author=actor, text="  Calls are better after 5pm.\n")

    assert (note.customer, note.author, note.text) == (customer, actor, "Calls are better after 5pm.")


@pytest.mark.parametrize("text", ["   ", "x" * 5_001])
def test_an_empty_or_overlong_note_is_refused(customer, actor, text):
    with pytest.raises(ValueError):
        customer_note_add(customer=customer, author=actor, text=text)

    assert not CustomerNote.objects.exists()
