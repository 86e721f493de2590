"""Reply templates: variables filled in, the customer's language chosen, nothing else reachable."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest

from postroom.mail.models import OutboundMessage, OutboundState
from postroom.mail.outbound import transports
from postroom.replies.models import ReplyTemplate, ReplyTemplateVariant
from postroom.replies.services import (
    template_render,
    template_reply_send,
    template_syntax_error,
    template_variant_for,
)
from postroom.replies.tasks import send_template_reply
from postroom.tickets.models import Direction, EventKind, Message, Ticket, TicketEvent, TicketStatus

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2025, 3, 3, 9, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def memory_transport(settings):
    settings.POSTROOM = {**settings.POSTROOM, "OUTBOUND_TRANSPORT": "postroom.mail.outbound.transports.MemoryTransport"}
    transports.outbox.clear()
    yield transports.outbox
    transports.outbox.clear()


@pytest.fixture
def ticket(queues, mailboxes):
    from postroom.accounts.models import Customer, CustomerAddress

    anna = Customer.objects.create(name="Anna Berg", language="de")
    CustomerAddress.objects.create(customer=anna, address="anna@customer.example")
    ticket = Ticket.objects.create(
        subject="Charged twice", queue=queues["billing"], customer=anna, our_address="billing@example.test",
        language="de", facts={"order_number": ["A-1", "A-2"], "product": ["Pulse 3"]},
        created_at=T0, updated_at=T0,
    )
    Message.objects.create(ticket=ticket, direction=Direction.INBOUND, from_address="anna@customer.example",
                           from_name="Anna Berg", subject="Charged twice", message_id="in-1@customer.example",
                           body_text="I was charged twice.", created_at=T0)
    return ticket


def _template(name="Billing", **bodies: str) -> ReplyTemplate:
    template = ReplyTemplate.objects.create(name=name)
    for language, body in bodies.items():
        ReplyTemplateVariant.objects.create(template=template, language=language, body=body)
    return template


def test_variables_are_filled_in_as_plain_text(ticket, django_user_model):
    agent = django_user_model.objects.create_user("mia", first_name="Mia", last_name="Lund")
    variant = ReplyTemplateVariant(
        language="en", subject="About {{ ticket.reference }}",
        body="Hi {{ customer.first_name }} & team,\n{{ ticket.subject }} / orders {{ facts.order_number }} / "
             "{{ facts.product }} / {{ facts.serial_number|default:'no serial' }}\n{{ agent.name }}",
    )
    rendered = template_render(variant=variant, ticket=ticket, agent=agent)
    assert rendered.subject == f"About {ticket.reference}"
    assert rendered.body == ("Hi Anna & team,\nCharged twice / orders A-1, A-2 / Pulse 3 / no serial\nMia Lund")


def test_the_customers_name_comes_from_the_message_when_the_customer_has_none(ticket):
    ticket.customer.name = ""
    message = ticket.messages.get()
    rendered = template_render(variant=ReplyTemplateVariant(body="Hi {{ customer.first_name }}"), ticket=ticket,
                               message=message)
    assert rendered.body == "Hi Anna"


@pytest.mark.parametrize(
    "body",
    [
        "{{ ticket.customer.addresses.all }}",
        "{{ ticket.customer.name }}{{ ticket.queue.members.all }}{{ ticket.pk }}{{ ticket.reply_token }}",
        "{{ customer.addresses.all }}{{ customer.pk }}{{ settings.SECRET_KEY }}{{ request }}",
    ],
)
def test_templates_reach_nothing_but_their_variables(ticket, body):
    assert template_render(variant=ReplyTemplateVariant(body=body), ticket=ticket).body == ""


@pytest.mark.parametrize(
    "body",
    ['{% include "admin/base.html" %}', "{% debug %}", "{{ ticket.subject.__class__.__mro__ }}", "{% load static %}", '{% extends "admin/base.html" %}',
     "{% url 'admin:index' %}", "{% csrf_token %}"],
)
def test_tags_that_load_files_libraries_or_debug_output_and_private_attributes_are_refused(ticket, body):
    assert template_syntax_error(body)
    with pytest.raises(ValueError, match="broken"):
        template_render(variant=ReplyTemplateVariant(body=body), ticket=ticket)


def test_control_flow_and_filters_still_work(ticket):
    body = "{% if facts.order_number %}Order {{ facts.order_number|upper }}{% else %}No order{% endif %}"
    assert template_syntax_error(body) == ""
    assert template_render(variant=ReplyTemplateVariant(body=body), ticket=ticket).body == "Order A-1, A-2"


def test_the_variant_is_chosen_by_language_then_english_then_any():
    template = _template(en="en", de="de", fr="fr")
    assert template_variant_for(template=template, language="de").language == "de"
    assert template_variant_for(template=template, language="DE-at").language == "de"
    assert template_variant_for(template=template, language="sv").language == "en"
    assert template_variant_for(template=template, language="").language == "en"
    only_french = _template(name="fr only", fr="fr")
    assert template_variant_for(template=only_french, language="sv").language == "fr"
    assert template_variant_for(template=_template(name="empty"), language="en") is None


def test_sending_a_template_replies_automatically_counts_it_and_keeps_the_status(
    ticket, memory_transport, django_capture_on_commit_callbacks
):
    template = _template(en="Hello {{ customer.first_name }}", de="Hallo {{ customer.first_name }}")
    with django_capture_on_commit_callbacks(execute=True):
        outbound = template_reply_send(ticket=ticket, template=template)

    assert outbound is not None
    outbound.refresh_from_db()
    assert outbound.state == OutboundState.SENT and outbound.automatic
    msg = message_from_bytes(memory_transport[0].data, policy=policy.default)
    assert msg.get_content().strip() == "Hallo Anna"
    assert msg["Auto-Submitted"] == "auto-replied"
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.NEW
    template.refresh_from_db()
    assert template.uses == 1
    event = TicketEvent.objects.get(ticket=ticket, source=f"template:{template.pk}")
    assert event.kind == EventKind.REPLY and "Billing" in event.summary and event.detail["language"] == "de"


def test_an_agent_sending_a_template_leaves_the_ticket_pending(ticket, django_user_model):
    agent = django_user_model.objects.create_user("mia", first_name="Mia")
    template = _template(en="Thanks, {{ agent.name }}")
    outbound = template_reply_send(ticket=ticket, template=template, actor=agent)
    assert outbound is not None and not outbound.automatic
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.PENDING


def test_an_inactive_template_or_one_without_variants_is_not_sent(ticket):
    inactive = _template(name="old", en="x")
    inactive.active = False
    inactive.save()
    assert template_reply_send(ticket=ticket, template=inactive) is None
    assert template_reply_send(ticket=ticket, template=_template(name="empty")) is None
    assert not OutboundMessage.objects.exists()


def test_the_job_sends_by_ids_and_shrugs_at_missing_rows(ticket, memory_transport):
    template = _template(en="Hello")
    outbound_id = send_template_reply.enqueue(ticket.pk, template.pk).return_value
    assert OutboundMessage.objects.get(pk=outbound_id).ticket_id == ticket.pk
    assert send_template_reply.enqueue(ticket.pk, 999_999).return_value is None
