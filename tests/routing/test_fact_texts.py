"""The acknowledgement asks for exactly the missing details, in the customer's language."""

from __future__ import annotations

import pytest

from postroom.routing.fact_texts import LANGUAGES, fact_label, missing_details_request
from postroom.routing.facts import FACT_KINDS


def test_request_lists_only_the_missing_details_in_english():
    text = missing_details_request(language="en", kinds=["firmware_version", "order_number"])
    assert text == (
        "To help us solve this faster, please reply with:\n"
        "– the firmware version of your device (usually under Settings › About)\n"
        "– your order number (in your order confirmation email)"
    )


def test_request_is_written_in_german():
    text = missing_details_request(language="de", kinds=["serial_number", "purchase_date"])
    assert text.splitlines() == [
        "Damit wir Ihnen schneller helfen können, senden Sie uns bitte noch:",
        "– die Seriennummer Ihres Geräts (auf der Rückseite des Geräts oder auf der "
        "Verpackung, oft mit „S/N“ gekennzeichnet)",
        "– das Kaufdatum (gern mit einer Kopie des Kaufbelegs)",
    ]


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("fr", ["numéro de commande", "micrologiciel"]),
        ("es", ["número de pedido", "versión de firmware"]),
        ("pt", ["número do seu pedido", "versão do firmware"]),
        ("it", ["numero d'ordine", "versione del firmware"]),
        ("nl", ["bestelnummer", "firmwareversie"]),
    ],
)
def test_request_is_written_in_each_supported_language(language, words):
    text = missing_details_request(language=language, kinds=["order_number", "firmware_version"])
    for word in words:
        assert word in text
    assert "order number" not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_kind_has_a_phrase_and_a_label_in_every_language(language):
    text = missing_details_request(language=language, kinds=FACT_KINDS)
    lines = text.splitlines()
    assert len(lines) == 1 + len(FACT_KINDS)
    assert all(line.startswith("– ") for line in lines[1:])
    # Every phrase differs: no kind is asked for with another kind's words.
    assert len(set(lines)) == len(lines)
    labels = [fact_label(kind, language) for kind in FACT_KINDS]
    assert all(labels) and len(set(labels)) == len(labels)


def test_kinds_are_asked_for_in_the_order_given_and_once():
    text = missing_details_request(
        language="en", kinds=["order_number", "phone_model", "order_number"]
    )
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[1].startswith("– your order number")
    assert lines[2].startswith("– the make and model of your phone")


@pytest.mark.parametrize("language", ["pt-BR", "de_AT", "FR", "es-419"])
def test_regional_language_tags_use_their_language(language):
    base = language[:2].lower()
    assert missing_details_request(language=language, kinds=["os"]) == missing_details_request(
        language=base, kinds=["os"]
    )


@pytest.mark.parametrize("language", ["", "pl", "ja", "zz"])
def test_other_languages_fall_back_to_english(language):
    text = missing_details_request(language=language, kinds=["os"])
    assert text.startswith("To help us solve this faster")


def test_nothing_missing_gives_no_paragraph():
    assert missing_details_request(language="de", kinds=[]) == ""


def test_unknown_kind_is_an_error():
    with pytest.raises(ValueError, match="shoe_size"):
        missing_details_request(language="en", kinds=["shoe_size"])
    with pytest.raises(ValueError, match="shoe_size"):
        fact_label("shoe_size", "en")


@pytest.mark.parametrize(
    ("kind", "language", "label"),
    [
        ("firmware_version", "en", "Firmware version"),
        ("serial_number", "de", "Seriennummer"),
        ("purchase_date", "fr", "Date d'achat"),
        ("order_number", "es", "Número de pedido"),
        ("app_version", "pt", "Versão do aplicativo"),
        ("error_code", "it", "Codice di errore"),
        ("os", "nl", "Besturingssysteem"),
        ("phone_model", "pl", "Phone model"),
    ],
)
def test_fact_label_is_given_in_the_language(kind, language, label):
    assert fact_label(kind, language) == label
