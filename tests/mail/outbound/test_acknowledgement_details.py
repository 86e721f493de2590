"""The acknowledgement asks only for the details a team needs and the customer left out,
in the customer's language; and says when sensitive data was removed (issue #3 §4–5)."""

from __future__ import annotations

from postroom.mail.outbound.acknowledgement import acknowledgement_text
from postroom.routing.models import Category
from tests.mail.builders import build_mail, deliver

GENERIC = "these details help us solve"


def test_without_required_facts_the_general_details_list_stays(ticket, inbound):
    text = acknowledgement_text(ticket=ticket, message=inbound, language="en")
    assert GENERIC in text


def test_only_the_missing_facts_are_asked_for(ticket, inbound):
    ticket.queue.required_facts = ["firmware_version", "order_number"]
    ticket.queue.save()
    ticket.facts = {"firmware_version": ["2.3.1"]}
    text = acknowledgement_text(ticket=ticket, message=inbound, language="en")
    assert GENERIC not in text
    assert "order number" in text.lower()
    assert "firmware" not in text.lower()


def test_nothing_is_asked_when_everything_was_given(ticket, inbound):
    ticket.queue.required_facts = ["firmware_version"]
    ticket.facts = {"firmware_version": ["2.3.1"]}
    text = acknowledgement_text(ticket=ticket, message=inbound, language="en")
    assert GENERIC not in text and "firmware" not in text.lower()
    assert ticket.reference in text


def test_the_category_list_comes_before_the_queue_list(ticket, inbound):
    ticket.queue.required_facts = ["order_number"]
    ticket.category = Category.objects.create(slug="battery", name="Battery", required_facts=["product"])
    text = acknowledgement_text(ticket=ticket, message=inbound, language="de")
    assert "Bestellnummer" not in text
    assert "Gerät" in text or "Produkt" in text


def test_missing_details_are_asked_in_the_customers_language(ticket, inbound):
    ticket.queue.required_facts = ["order_number"]
    text = acknowledgement_text(ticket=ticket, message=inbound, language="fr")
    assert "commande" in text


def test_a_reply_that_supplies_the_details_adds_them_to_the_ticket(mailboxes):
    raw = deliver(build_mail(subject="Watch stopped syncing", message_id="first@customer.test",
                             body="My watch stopped syncing with the app yesterday."))
    ticket = raw.ticket
    reply = deliver(build_mail(subject=f"Re: [{ticket.reference}] Watch stopped syncing",
                               in_reply_to="first@customer.test",
                               body="The firmware version is 4.2.1 and my order number is SO-2024-00123."))
    assert reply.ticket_id == ticket.pk
    ticket.refresh_from_db()
    assert ticket.facts["firmware_version"] == ["4.2.1"]
    assert ticket.facts["order_number"] == ["SO-2024-00123"]
