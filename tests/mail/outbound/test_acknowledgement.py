"""The acknowledgement: in the customer's language, with the reference and reply promise,
threaded, marked automatic — and never a storm (cap, suppression, queue switch)."""

from __future__ import annotations

import datetime as dt
from email import message_from_bytes, policy

import pytest

from postroom.core.clock import pinned
from postroom.mail.models import OutboundKind, OutboundMessage, OutboundState, Suppression
from postroom.mail.outbound.ack_texts import TEXTS, promise_phrase
from postroom.mail.outbound.acknowledgement import acknowledgement_send
from postroom.tickets.models import Direction, EventKind, Message, TicketEvent

from .conftest import T0


def send_ack(ticket, inbound, capture):
    with pinned(T0), capture(execute=True):
        return acknowledgement_send(ticket=ticket, message=inbound)


def body_of(outbound):
    return message_from_bytes(bytes(outbound.data), policy=policy.default).get_content()


# Per language: the greeting with the name, the default promise translated, the
# details list, and the automatic-message notice.
LANGUAGES = {
    "en": (
        "Hello Anna Berg,",
        "within 1 business day",
        "firmware version",
        "phone or computer model",
        "This is an automatic confirmation",
    ),
    "de": (
        "Guten Tag Anna Berg,",
        "innerhalb eines Werktages",
        "Firmware-Version",
        "Modell Ihres Smartphones",
        "Dies ist eine automatische Bestätigung",
    ),
    "fr": (
        "Bonjour Anna Berg,",
        "sous un jour ouvré",
        "version de firmware",
        "modèle de votre téléphone",
        "Ceci est une confirmation automatique",
    ),
    "es": (
        "Hola, Anna Berg:",
        "en un plazo de un día hábil",
        "versión del firmware",
        "modelo de su teléfono",
        "Este es un mensaje de confirmación automático",
    ),
    "pt": (
        "Olá, Anna Berg!",
        "em até um dia útil",
        "versão do firmware",
        "modelo do seu celular",
        "Esta é uma confirmação automática",
    ),
    "it": (
        "Gentile Anna Berg,",
        "entro un giorno lavorativo",
        "versione del firmware",
        "modello del suo smartphone",
        "Questo è un messaggio di conferma automatico",
    ),
    "nl": (
        "Beste Anna Berg,",
        "binnen één werkdag",
        "firmwareversie",
        "model van uw telefoon",
        "Dit is een automatische bevestiging",
    ),
}


@pytest.mark.parametrize("language", sorted(LANGUAGES))
def test_acknowledgement_is_written_in_the_tickets_language(
    language, ticket, inbound, django_capture_on_commit_callbacks
):
    ticket.language = language
    ticket.save()
    outbound = send_ack(ticket, inbound, django_capture_on_commit_callbacks)

    body = body_of(outbound)
    for phrase in LANGUAGES[language]:
        assert phrase in body
    assert body.count(ticket.reference) >= 2  # the reference, and "keep it in the subject"
    assert "Technical Support" in body
    msg = message_from_bytes(bytes(outbound.data), policy=policy.default)
    assert msg["Content-Language"] == language
    assert Message.objects.get(message_id=outbound.message_id).language == language


def test_every_language_lists_the_same_details_as_english():
    for language, text in TEXTS.items():
        assert text.body.count("\n  - ") == 5, language
        for field in ("{team}", "{reference}", "{promise}"):
            assert field in text.body, (language, field)


def test_regional_and_unknown_languages_fall_back_sensibly(
    ticket, inbound, django_capture_on_commit_callbacks
):
    ticket.language = "pt-BR"
    ticket.save()
    assert "em até um dia útil" in body_of(
        send_ack(ticket, inbound, django_capture_on_commit_callbacks)
    )

    OutboundMessage.objects.all().delete()
    ticket.language = "ja"
    ticket.save()
    assert "You can expect a first reply within 1 business day." in body_of(
        send_ack(ticket, inbound, django_capture_on_commit_callbacks)
    )


@pytest.mark.parametrize(
    ("promise", "language", "expected"),
    [
        ("within 4 hours", "de", "innerhalb von 4 Stunden"),
        ("within 2 business days", "fr", "sous 2 jours ouvrés"),
        ("Within one hour", "es", "en un plazo de una hora"),
        ("within 24 hours", "pt", "em até 24 horas"),
        ("within 3 working days", "nl", "binnen 3 werkdagen"),
        ("within 1 week", "it", "entro una settimana"),
        ("by Monday 9:00 CET", "de", "by Monday 9:00 CET"),
        ("within 4 hours", "en", "within 4 hours"),
    ],
)
def test_common_promises_are_translated_and_custom_ones_shown_as_written(
    promise, language, expected
):
    assert promise_phrase(promise, language=language) == expected


def test_custom_promise_appears_as_written(ticket, inbound, django_capture_on_commit_callbacks):
    ticket.queue.first_reply_promise = "by the end of the next business day"
    ticket.queue.save()
    ticket.language = "de"
    ticket.save()
    body = body_of(send_ack(ticket, inbound, django_capture_on_commit_callbacks))
    assert "Eine erste Antwort erhalten Sie by the end of the next business day." in body


def test_acknowledgement_threads_and_is_marked_automatic(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    outbound = send_ack(ticket, inbound, django_capture_on_commit_callbacks)
    msg = message_from_bytes(memory_transport[0].data, policy=policy.default)

    assert outbound.kind == OutboundKind.ACK and outbound.automatic
    assert msg["Auto-Submitted"] == "auto-replied"
    assert msg["X-Auto-Response-Suppress"] == "All"
    assert msg["In-Reply-To"] == "<CAF-1234@mail.customer.example>"
    assert msg["References"] == "<root-1@mail.customer.example> <CAF-1234@mail.customer.example>"
    assert msg["Reply-To"].addresses[0].addr_spec == (
        f"support+t{ticket.pk}-{ticket.reply_token}@example.test"
    )
    assert msg["Subject"] == f"Re: Watch won't sync after update [{ticket.reference}]"
    assert msg["To"] == "anna@customer.example"
    stored = Message.objects.get(message_id=outbound.message_id)
    assert stored.direction == Direction.AUTO
    assert stored.in_reply_to == inbound.message_id


def test_greets_without_a_name_when_the_name_is_unusable(
    ticket, inbound, customer, django_capture_on_commit_callbacks
):
    customer.name = ""
    customer.save()
    inbound.from_name = "anna@customer.example"
    inbound.save()
    body = body_of(send_ack(ticket, inbound, django_capture_on_commit_callbacks))
    assert body.splitlines()[:2] == ["Hello,", ""]


def test_cap_stops_acknowledgements_to_a_busy_address(
    ticket, inbound, settings, django_capture_on_commit_callbacks
):
    settings.POSTROOM = {**settings.POSTROOM, "AUTO_REPLY_LIMIT": 2, "AUTO_REPLY_WINDOW_HOURS": 24}
    for hours_ago in (1, 23):
        OutboundMessage.objects.create(
            ticket=ticket,
            kind=OutboundKind.ACK,
            automatic=True,
            from_address="support@example.test",
            recipients=["Anna@Customer.example"],
            subject="x",
            message_id=f"m{hours_ago}@x",
            data=b"",
            created_at=T0 - dt.timedelta(hours=hours_ago),
        )
    # Not counted: outside the window, a person's reply, another address that contains it.
    OutboundMessage.objects.create(
        ticket=ticket,
        kind=OutboundKind.ACK,
        automatic=True,
        from_address="s@example.test",
        recipients=["anna@customer.example"],
        subject="x",
        message_id="old@x",
        data=b"",
        created_at=T0 - dt.timedelta(hours=25),
    )

    assert send_ack(ticket, inbound, django_capture_on_commit_callbacks) is None
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ACK_SKIPPED)
    assert event.source == "loop_guard:cap"
    assert "anna@customer.example" in event.summary
    assert event.detail["count"] == 2


def test_cap_counts_only_automatic_mail_to_that_exact_address(
    ticket, inbound, settings, django_capture_on_commit_callbacks
):
    settings.POSTROOM = {**settings.POSTROOM, "AUTO_REPLY_LIMIT": 1}
    OutboundMessage.objects.create(
        ticket=ticket,
        kind=OutboundKind.REPLY,
        automatic=False,
        from_address="s@example.test",
        recipients=["anna@customer.example"],
        subject="x",
        message_id="r@x",
        data=b"",
        created_at=T0 - dt.timedelta(hours=1),
    )
    OutboundMessage.objects.create(
        ticket=ticket,
        kind=OutboundKind.ACK,
        automatic=True,
        from_address="s@example.test",
        recipients=["joanna@customer.example"],
        subject="x",
        message_id="j@x",
        data=b"",
        created_at=T0 - dt.timedelta(hours=1),
    )
    assert send_ack(ticket, inbound, django_capture_on_commit_callbacks) is not None


def test_suppressed_sender_gets_no_acknowledgement(
    ticket, inbound, django_capture_on_commit_callbacks
):
    Suppression.objects.create(
        address="anna@customer.example",
        reason="5.1.1 user unknown",
        until=T0 + dt.timedelta(days=3),
    )
    assert send_ack(ticket, inbound, django_capture_on_commit_callbacks) is None
    event = TicketEvent.objects.get(ticket=ticket, kind=EventKind.ACK_SKIPPED)
    assert event.source == "loop_guard:suppressed"
    assert not OutboundMessage.objects.exists()


def test_queue_without_acknowledgements_sends_none(
    ticket, inbound, django_capture_on_commit_callbacks
):
    ticket.queue.send_acknowledgement = False
    ticket.queue.save()
    assert send_ack(ticket, inbound, django_capture_on_commit_callbacks) is None
    assert (
        TicketEvent.objects.get(ticket=ticket, kind=EventKind.ACK_SKIPPED).source == "queue:support"
    )


def test_a_message_is_acknowledged_only_once(
    ticket, inbound, memory_transport, django_capture_on_commit_callbacks
):
    assert send_ack(ticket, inbound, django_capture_on_commit_callbacks) is not None
    assert send_ack(ticket, inbound, django_capture_on_commit_callbacks) is None
    assert OutboundMessage.objects.filter(kind=OutboundKind.ACK).count() == 1
    assert OutboundMessage.objects.get().state == OutboundState.SENT
    assert len(memory_transport) == 1


def test_unusable_sender_address_is_skipped_not_crashed(
    ticket, inbound, django_capture_on_commit_callbacks
):
    inbound.from_address = "jürgen@customer.example"
    inbound.save()
    assert send_ack(ticket, inbound, django_capture_on_commit_callbacks) is None
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.ACK_SKIPPED).source == (
        "loop_guard:bad-address"
    )
