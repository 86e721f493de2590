"""Priority comes from headers, urgency cues in any supported language and the customer's
tier, each with its source on the timeline; frustration is flagged on the ticket."""

from __future__ import annotations

from postroom.accounts.models import Customer, CustomerAddress
from postroom.tickets.models import EventKind
from tests.mail.builders import build_mail, deliver


def test_outage_in_spanish_makes_the_ticket_urgent(mailboxes):
    raw = deliver(build_mail(subject="Servicio caído",
                             body="Hola, el servicio está fuera de servicio para todos nuestros usuarios desde "
                                  "esta mañana. ¡Es urgente!"))
    ticket = raw.ticket
    assert ticket.priority in {"urgent", "high"}
    assert ticket.auto_fields["priority"]["source"].startswith("cue:")
    assert ticket.events.filter(summary__startswith=f"priority: {ticket.priority}").exists()


def test_x_priority_header_raises_priority(mailboxes):
    raw = deliver(build_mail(headers={"X-Priority": "1 (Highest)"}))
    assert raw.ticket.priority == "high"
    assert raw.ticket.auto_fields["priority"]["source"] == "header:x-priority"


def test_a_vip_customer_gets_high_priority(mailboxes):
    vip = Customer.objects.create(name="Vera", tier="vip")
    CustomerAddress.objects.create(customer=vip, address="alice@customer.test")
    assert deliver(build_mail()).ticket.priority == "high"


def test_an_ordinary_question_stays_normal(mailboxes):
    raw = deliver(build_mail(subject="Strap colours", body="Hello, which strap colours do you sell? Thanks!"))
    assert raw.ticket.priority == "normal"
    assert "priority" not in raw.ticket.auto_fields


def test_angry_german_message_is_flagged_negative(mailboxes):
    raw = deliver(build_mail(subject="Zum dritten Mal!!!",
                             body="Ich schreibe Ihnen zum dritten Mal. Das ist absolut inakzeptabel, niemand "
                                  "antwortet. Ich will mit Ihrem Vorgesetzten sprechen."))
    ticket = raw.ticket
    assert ticket.tone == "negative" and ticket.tone_score < 0
    assert ticket.events.filter(kind=EventKind.DECISION, summary__startswith="tone: negative").exists()
    assert ticket.events.filter(summary__startswith="asks_for_manager: yes").exists()
