"""Troubleshooting facts are read from what the customer wrote, and only when named."""

from __future__ import annotations

from datetime import date

import pytest

from postroom.routing.facts import (
    FACT_KINDS,
    FACT_LABELS,
    CatalogueEntry,
    Fact,
    Facts,
    facts_extract,
    facts_missing,
)

TODAY = date(2025, 6, 1)


def values(kind, body, *, subject="", **options):
    """Return the values of one kind found in a message."""
    facts = facts_extract(subject=subject, body=body, **options)
    return facts.as_dict().get(kind, [])


# --- firmware version ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Since updating to firmware 2.3.1 the watch restarts at night.", ["2.3.1"]),
        ("My band runs FW v4.10 and keeps losing its pairing.", ["4.10"]),
        ("The firmware on my watch is 2.3.1b.", ["2.3.1b"]),
        ("Firmware version: 1.0.7 (shown in the app)", ["1.0.7"]),
        ("Firmware:\n3.2.0", ["3.2.0"]),
    ],
)
def test_firmware_version_is_found_in_english(body, expected):
    assert values("firmware_version", body) == expected


def test_firmware_version_is_found_in_german():
    body = "Meine Uhr hat die Firmware-Version 1.2 und Firmwareversion 1.3 wird nicht angeboten."
    assert values("firmware_version", body) == ["1.2", "1.3"]


@pytest.mark.parametrize(
    "body",
    [
        "La version du micrologiciel 3.0.2 est installée.",
        "Tengo la versión de firmware 3.0.2 instalada.",
        "A versão do firmware é 3.0.2.",
        "La versione del firmware è 3.0.2.",
        "Mijn firmware versie is 3.0.2.",
        "De firmwareversie 3.0.2 geeft problemen.",
        "Nach dem Update auf Version 3.0.2 der Firmware geht nichts mehr.",
    ],
)
def test_firmware_version_is_found_in_other_languages(body):
    assert values("firmware_version", body) == ["3.0.2"]


def test_forwarded_subject_is_not_a_firmware_cue():
    assert values("firmware_version", "", subject="FW: 2.3 release party") == []


def test_firmware_version_is_not_taken_from_the_app_or_the_phone():
    body = "After the firmware update the app 5.2.0 on iOS 17.4 crashes."
    facts = facts_extract(subject="", body=body).as_dict()
    assert "firmware_version" not in facts
    assert facts["app_version"] == ["5.2.0"]
    assert facts["os"] == ["iOS 17.4"]


def test_a_date_after_firmware_is_not_a_version():
    assert values("firmware_version", "Firmware update on 05.03.2024 failed.") == []


def test_a_frequency_is_not_a_firmware_version():
    assert values("firmware_version", "The firmware only uses 2.4GHz wifi.") == []


# --- app version ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected", "display"),
    [
        ("I use app version 5.2.0.", "5.2.0", "5.2.0"),
        ("I am on version 5.2 of the app.", "5.2", "5.2"),
        ("App-Version: 5.2.1", "5.2.1", "5.2.1"),
        ("The iOS app 3.1 does not sync.", "3.1", "3.1 (iOS)"),
        ("Android app v2.0.7 crashes at start.", "2.0.7", "2.0.7 (Android)"),
        ("Die App-Version ist 5.2.", "5.2", "5.2"),
        ("J'utilise la version de l'application 5.2.", "5.2", "5.2"),
        ("Uso la versión 5.2 de la aplicación.", "5.2", "5.2"),
        ("Estou usando a versão do aplicativo 5.2.", "5.2", "5.2"),
        ("Ho la versione dell'app 5.2.", "5.2", "5.2"),
        ("Mijn app-versie is 5.2.", "5.2", "5.2"),
    ],
)
def test_app_version_is_found(body, expected, display):
    fact = facts_extract(subject="", body=body).first("app_version")
    assert fact is not None
    assert (fact.value, fact.display) == (expected, display)


def test_a_version_without_app_cue_is_not_an_app_version():
    body = "Zoom crashes since updating to version 5.11.0. PyCharm 2024.1 too."
    assert values("app_version", body) == []


def test_app_version_is_not_the_version_of_the_phone_system():
    assert values("app_version", "The app on iOS 17.4 keeps crashing.") == []


def test_app_store_is_not_the_app():
    assert values("app_version", "The App Store shows 4.9 stars.") == []


# --- phone model ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("I have an iPhone 15 Pro.", "iPhone 15 Pro"),
        ("Using an iphone 15 pro max", "iPhone 15 Pro Max"),
        ("iPhone XR, iOS 17", "iPhone XR"),
        ("Mein Samsung Galaxy S23 Ultra verbindet nicht.", "Samsung Galaxy S23 Ultra"),
        ("Tengo un Galaxy A54 5G.", "Samsung Galaxy A54 5G"),
        ("Mon Pixel 8 Pro ne trouve pas la montre.", "Google Pixel 8 Pro"),
        ("Ho un OnePlus 11 e non funziona.", "OnePlus 11"),
        ("Xiaomi Redmi Note 12 Pro", "Xiaomi Redmi Note 12 Pro"),
        ("O meu Huawei P30 não sincroniza.", "Huawei P30"),
        ("My Moto G84 drops the connection.", "Motorola Moto G84"),
        ("Sony Xperia 1 V", "Sony Xperia 1 V"),
        ("Galaxy S23+ with the app", "Samsung Galaxy S23+"),
    ],
)
def test_phone_model_is_found(body, expected):
    assert values("phone_model", body) == [expected]


def test_sent_from_my_iphone_gives_the_phone_but_no_version():
    body = "The strap broke.\n\nSent from my iPhone"
    facts = facts_extract(subject="", body=body).as_dict()
    assert facts == {"phone_model": ["iPhone"]}


def test_a_named_model_replaces_the_bare_brand_of_the_signature():
    body = "It fails with my iPhone 13 mini.\n\nSent from my iPhone"
    assert values("phone_model", body) == ["iPhone 13 Mini"]


@pytest.mark.parametrize(
    "body",
    [
        "There is a dead pixel 3 rows from the top.",
        "Un poco más de batería, por favor.",
        "Vendo la mia moto G e il casco.",
        "The Galaxy Watch 6 is not a phone.",
        "Nothing happens when I press the button.",
    ],
)
def test_ordinary_words_are_not_phone_models(body):
    assert values("phone_model", body) == []


# --- operating system ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("On iOS 17.4 the widget is blank.", "iOS 17.4"),
        ("iPadOS 17 on my iPad", "iPadOS 17"),
        ("Mein Handy hat Android 14.", "Android 14"),
        ("Android-Version 13 installiert.", "Android 13"),
        ("Le programme plante sous Windows 11.", "Windows 11"),
        ("Win10 laptop", "Windows 10"),
        ("Updated to macOS 14.3 yesterday.", "macOS 14.3"),
        ("Since macOS Sonoma the sync fails.", "macOS Sonoma"),
        ("Mi reloj con Wear OS 4 no sincroniza.", "Wear OS 4"),
        ("Il telefono ha HarmonyOS 3.0.", "HarmonyOS 3.0"),
        ("Op mijn Chromebook met ChromeOS werkt het niet.", "ChromeOS"),
        ("We run it on Linux.", "Linux"),
    ],
)
def test_operating_system_is_found(body, expected):
    assert values("os", body) == [expected]


def test_windows_without_a_version_is_not_an_operating_system():
    assert values("os", "I opened the windows to cool the charger.") == []


@pytest.mark.parametrize(
    "body",
    [
        "The VPN drops on Cisco IOS 15.4.",
        "Android Studio crashes when I build.",
        "Version: GnuPG v1.0.7 (GNU/Linux)",
    ],
)
def test_look_alike_names_are_not_operating_systems(body):
    assert values("os", body) == []


def test_bare_os_name_gives_way_to_the_named_version():
    assert values("os", "iOS app on iOS 17.4") == ["iOS 17.4"]


# --- error code ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Windows update fails with error 0x80070005.", "0x80070005"),
        ("The display shows E-102.", "E-102"),
        ("Device Manager says code 43.", "43"),
        ("Die Uhr zeigt Fehlercode 1234.", "1234"),
        ("La montre affiche l'erreur E12.", "E12"),
        ("Me aparece el código de error 500.", "500"),
        ("Aparece o código de erro 500.", "500"),
        ("Mi compare il codice errore 500.", "500"),
        ("Ik krijg foutcode 500.", "500"),
        ("The error code is: PAY-001.", "PAY-001"),
        ("The page says 404 error.", "404"),
        ("Fehler 0x8007000e beim Update", "0x8007000E"),
    ],
)
def test_error_code_is_found(body, expected):
    assert values("error_code", body) == [expected]


@pytest.mark.parametrize(
    "body",
    [
        "It beeped 43 times and then went dark.",
        "I got the error 3 times today.",
        "The error came back 30 minutes later.",
        "My verification code 1234 was not accepted.",
        "Our zip code 10115 is in Berlin.",
        "The registration code: EX8664 from the event.",
        "error: db3 error(-30998) from db->close",
        "Error 2.3 is not a thing.",
        "An error\nliba52: a52_block error",
    ],
)
def test_bare_number_is_not_an_error_code(body):
    assert values("error_code", body) == []


# --- order and serial numbers --------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("My order #A1234-5678 arrived broken.", "A1234-5678"),
        ("Order no. 123-4567890-1234567 (Amazon)", "123-4567890-1234567"),
        ("Order ID: SO-2024-00123", "SO-2024-00123"),
        ("Meine Bestellnummer lautet 40012345.", "40012345"),
        ("Auftragsnummer: AB-99812", "AB-99812"),
        ("Mon n° de commande est FR-778812.", "FR-778812"),
        ("Concernant la commande 778812, rien reçu.", "778812"),
        ("Mi número de pedido es 98765.", "98765"),
        ("O número da encomenda é PT-55123.", "PT-55123"),
        ("Il numero d'ordine è IT-44120.", "IT-44120"),
        ("Mijn bestelnummer is NL-33219.", "NL-33219"),
        ("the order number for my watch is 55501234", "55501234"),
    ],
)
def test_order_number_is_found(body, expected):
    assert values("order_number", body) == [expected]


@pytest.mark.parametrize(
    "body",
    [
        "My order was 49.99 EUR.",
        "I placed an order of 1500 units last year.",
        "In order to pair it, I restarted 2024 times.",
        "Call our order hotline at +49 30 1234567.",
        "My order is <order_num>.",
        "Bestellung vom 05.03.2024 ist nicht angekommen.",
        "Order 12 arrived.",
        "Fax your order form to: 1-415-873-2700",
        "Order hotline: 415-873-2700",
    ],
)
def test_numbers_near_order_words_that_are_not_order_numbers(body):
    assert values("order_number", body) == []


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Serial number: C02XK0ABJG5H", "C02XK0ABJG5H"),
        ("S/N 8JK2345", "8JK2345"),
        ("SN: 8JK2345", "8JK2345"),
        ("The serial number of my watch is 8JK2345.", "8JK2345"),
        ("Die Seriennummer meiner Uhr lautet AB-12345.", "AB-12345"),
        ("Le numéro de série est FR12345.", "FR12345"),
        ("Mi número de serie es ES12345.", "ES12345"),
        ("O número de série é PT12345.", "PT12345"),
        ("Il numero di serie è IT12345.", "IT12345"),
        ("Het serienummer is NL12345.", "NL12345"),
    ],
)
def test_serial_number_is_found(body, expected):
    assert values("serial_number", body) == [expected]


@pytest.mark.parametrize(
    "body",
    ["The serial port COM3 does not answer.", "The serial number is on the box.", "sn 12"],
)
def test_serial_cue_without_a_serial_gives_nothing(body):
    assert values("serial_number", body) == []


# --- purchase date -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "language", "expected"),
    [
        ("I bought it on 2024-03-05.", "en", "2024-03-05"),
        ("Purchase date: 05.03.2024", "en", "2024-03-05"),
        ("I purchased the watch on March 5, 2024.", "en", "2024-03-05"),
        ("Bought on 5th March 2024 from your shop.", "en", "2024-03-05"),
        ("Ich habe die Uhr am 5. März 2024 bei Amazon gekauft.", "de", "2024-03-05"),
        ("Kaufdatum: 05.03.24", "de", "2024-03-05"),
        ("Gekauft am 5.3.2024.", "de", "2024-03-05"),
        ("Je l'ai achetée le 5 mars 2024.", "fr", "2024-03-05"),
        ("Date d'achat : 05/03/2024", "fr", "2024-03-05"),
        ("Lo compré el 5 de marzo de 2024.", "es", "2024-03-05"),
        ("Fecha de compra: 05/03/2024", "es", "2024-03-05"),
        ("Comprei em 5 de março de 2024.", "pt", "2024-03-05"),
        ("Data de compra: 05/03/2024", "pt", "2024-03-05"),
        ("L'ho acquistato il 5 marzo 2024.", "it", "2024-03-05"),
        ("Data di acquisto: 05/03/2024", "it", "2024-03-05"),
        ("Ik heb het horloge op 5 maart 2024 gekocht.", "nl", "2024-03-05"),
        ("Aankoopdatum: 05-03-2024", "nl", "2024-03-05"),
    ],
)
def test_purchase_date_is_found(body, language, expected):
    assert values("purchase_date", body, language=language, today=TODAY) == [expected]


def test_purchase_date_in_french_words():
    body = "Bonjour, j'ai acheté la montre le 1er février 2025 et l'écran est noir."
    assert values("purchase_date", body, language="fr", today=TODAY) == ["2025-02-01"]


def test_slash_dates_are_day_first():
    assert values("purchase_date", "Bought 03/04/2024.", language="en") == ["2024-04-03"]


def test_english_slash_date_is_month_first_when_only_that_reads():
    assert values("purchase_date", "Bought 03/25/2024.", language="en") == ["2024-03-25"]
    assert values("purchase_date", "Bought 03/25/2024.", language="") == ["2024-03-25"]


def test_month_first_slash_date_is_not_read_in_other_languages():
    assert values("purchase_date", "Gekauft am 03/25/2024.", language="de") == []


@pytest.mark.parametrize(
    "body",
    [
        "I bought it on 31.02.2024.",
        "I bought it on 2024-13-01.",
        "I bought it on 5 Smarch 2024.",
        "Purchased on 01.01.1970.",
    ],
)
def test_impossible_purchase_dates_are_rejected(body):
    assert values("purchase_date", body, today=TODAY) == []


def test_purchase_date_in_the_future_is_rejected():
    assert values("purchase_date", "Bought on 2025-09-01.", today=TODAY) == []
    # Without today there is nothing to compare with.
    assert values("purchase_date", "Bought on 2025-09-01.") == ["2025-09-01"]


@pytest.mark.parametrize(
    "body",
    [
        "The watch stopped working on 05.03.2024.",
        "I bought it in May and since 05.04.2024 it fails.",
        "I bought it last year. On 05.04.2024 it broke.",
        "I bought it yesterday.",
        "Das Display ist seit dem 05.03.2024 schwarz, gekauft habe ich sie im Laden.",
    ],
)
def test_dates_without_a_purchase_cue_are_not_purchase_dates(body):
    assert values("purchase_date", body, today=TODAY) == []


# --- products from the catalogue -----------------------------------------------------

CATALOGUE = (
    CatalogueEntry(key="pulse-3", name="Pulse 3", aliases=("Pulse3",)),
    CatalogueEntry(key="pulse-3-pro", name="Pulse 3 Pro"),
    CatalogueEntry(key="aura", name="Aura Band", aliases=("Aura", "AB-1")),
    CatalogueEntry(key="x", name="X"),
)


@pytest.mark.parametrize("spelling", ["Pulse 3", "pulse-3", "PULSE3", "pulse 3", "Pulse - 3"])
def test_catalogue_product_is_matched_in_any_spelling(spelling):
    fact = facts_extract(
        subject="", body=f"My {spelling} won't charge.", catalogue=CATALOGUE
    ).first("product")
    assert fact == Fact(kind="product", value="pulse-3", display="Pulse 3", source="body")


def test_longest_catalogue_name_wins():
    body = "My Pulse 3 Pro won't charge."
    assert values("product", body, catalogue=CATALOGUE) == ["pulse-3-pro"]


def test_catalogue_alias_gives_the_entry():
    assert values("product", "The AB-1 strap broke", catalogue=CATALOGUE) == ["aura"]


@pytest.mark.parametrize(
    "body", ["My Pulse 30 won't charge.", "The impulse3 project", "Aurora lights", "X marks it"]
)
def test_catalogue_names_match_whole_words_only(body):
    assert values("product", body, catalogue=CATALOGUE) == []


def test_several_products_are_found_in_text_order():
    body = "I have an Aura band and a Pulse 3."
    assert values("product", body, catalogue=CATALOGUE) == ["aura", "pulse-3"]


def test_no_catalogue_gives_no_product():
    assert values("product", "My Pulse 3 won't charge.") == []


# --- the message as a whole ----------------------------------------------------------


def test_quoted_history_is_ignored():
    body = (
        "Thanks, it still fails.\n\n"
        "On Mon, 4 Mar 2024, Support wrote:\n"
        "> Which firmware do you have? Firmware 1.0.0 is old.\n"
        ">> Order #A1234-5678 arrived broken.\n"
    )
    assert facts_extract(subject="", body=body).as_dict() == {}


def test_subject_is_read_and_named_as_the_source():
    facts = facts_extract(
        subject="Error E-102 on Pulse 3", body="Firmware 2.3.1", catalogue=CATALOGUE
    )
    assert facts.first("error_code") == Fact("error_code", "E-102", "E-102", "subject")
    assert facts.first("product").source == "subject"
    assert facts.first("firmware_version").source == "body"


def test_subject_and_body_do_not_run_together():
    assert values("firmware_version", "2.3.1 is what I have", subject="About the firmware") == []


def test_attachment_name_gives_firmware_version():
    facts = facts_extract(
        subject="", body="See attached.", attachment_names=["crash_log_fw2.3.1.txt", "IMG_1234.jpg"]
    )
    assert facts.items == (
        Fact("firmware_version", "2.3.1", "2.3.1", "attachment:crash_log_fw2.3.1.txt"),
    )


def test_attachment_name_gives_order_number_only_with_a_long_number():
    names = ["invoice-order-123456.pdf", "order-1234.pdf", "Screenshot 2024-03-05 at 10.23.45.png"]
    facts = facts_extract(subject="", body="", attachment_names=names)
    assert facts.as_dict() == {"order_number": ["123456"]}
    assert facts.first("order_number").source == "attachment:invoice-order-123456.pdf"


def test_repeated_values_are_listed_once_with_their_first_source():
    facts = facts_extract(subject="Firmware 2.3.1", body="I have firmware 2.3.1. FW 2.3.1!")
    assert facts.items == (Fact("firmware_version", "2.3.1", "2.3.1", "subject"),)


def test_facts_are_ordered_by_kind_then_place():
    body = "Order #A1234-5678. Firmware 2.0.1, then firmware 2.0.2 on my Pixel 8."
    facts = facts_extract(subject="", body=body)
    assert [fact.kind for fact in facts.items] == [
        "firmware_version",
        "firmware_version",
        "phone_model",
        "order_number",
    ]
    assert facts.as_dict()["firmware_version"] == ["2.0.1", "2.0.2"]


def test_a_support_request_in_german_gives_all_its_facts():
    body = (
        "Hallo,\n\nmeine Pulse 3 (Firmware-Version 2.3.1) synchronisiert nicht mehr mit der "
        "App-Version 5.2.0 auf meinem Samsung Galaxy S23 mit Android 14. Es erscheint "
        "Fehlercode E-102.\nSeriennummer: PX3-448812\nBestellnummer: 302-1234567-7654321\n"
        "Gekauft am 12.01.2024.\n\nViele Grüße\n> Alte Nachricht: Firmware 1.0.0"
    )
    facts = facts_extract(
        subject="Sync-Problem", body=body, catalogue=CATALOGUE, language="de", today=TODAY
    )
    assert facts.as_dict() == {
        "product": ["pulse-3"],
        "firmware_version": ["2.3.1"],
        "app_version": ["5.2.0"],
        "phone_model": ["Samsung Galaxy S23"],
        "os": ["Android 14"],
        "error_code": ["E-102"],
        "serial_number": ["PX3-448812"],
        "order_number": ["302-1234567-7654321"],
        "purchase_date": ["2024-01-12"],
    }
    assert facts.kinds() == set(FACT_KINDS)


def test_prices_and_phone_numbers_give_no_facts():
    body = (
        "The replacement costs 49.99 EUR, shipping 4,95 €. Call me on +44 20 7946 0958 or "
        "0170 1234567. Meeting on 05.03.2024 at 10.30."
    )
    assert facts_extract(subject="", body=body, today=TODAY).as_dict() == {}


def test_only_the_first_part_of_a_huge_body_is_read():
    body = "x " * 20_000 + "Firmware 2.3.1"
    assert values("firmware_version", body) == []


def test_text_whose_length_changes_when_lower_cased_is_still_read():
    # "İ" lower-cases to two characters, which would shift every position.
    body = "İstanbul: firmware 2.3.1, order #A1234-5678."
    assert facts_extract(subject="", body=body).as_dict() == {
        "firmware_version": ["2.3.1"],
        "order_number": ["A1234-5678"],
    }


# --- Facts and facts_missing ---------------------------------------------------------


def test_facts_first_and_kinds():
    facts = Facts(
        items=(
            Fact("firmware_version", "2.3.1", "2.3.1", "body"),
            Fact("firmware_version", "2.3.2", "2.3.2", "body"),
        )
    )
    assert facts.first("firmware_version").value == "2.3.1"
    assert facts.first("order_number") is None
    assert facts.kinds() == {"firmware_version"}
    assert Facts().as_dict() == {}


def test_every_kind_has_an_english_label():
    assert set(FACT_LABELS) == set(FACT_KINDS)
    assert FACT_LABELS["firmware_version"] == "Firmware version"


def test_missing_facts_are_listed_in_the_order_required():
    facts = facts_extract(subject="", body="Firmware 2.3.1 on my Pixel 8")
    required = ["order_number", "firmware_version", "serial_number", "order_number"]
    assert facts_missing(facts=facts, required=required) == ("order_number", "serial_number")


def test_missing_facts_are_read_from_the_stored_dict():
    stored = {"firmware_version": ["2.3.1"], "order_number": []}
    required = ["firmware_version", "order_number"]
    assert facts_missing(facts=stored, required=required) == ("order_number",)


def test_nothing_is_missing_when_nothing_is_required():
    assert facts_missing(facts=Facts(), required=()) == ()


def test_unknown_required_kind_is_an_error():
    with pytest.raises(ValueError, match="warranty_colour"):
        facts_missing(facts=Facts(), required=["warranty_colour"])
