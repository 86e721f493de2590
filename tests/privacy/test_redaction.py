"""Card numbers, IBANs, national IDs and passwords are masked; look-alikes are not.

False positives are the main risk (an agent who cannot read an order or tracking number
cannot help), so most cases here are numbers that must stay as written.
"""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum import luhn
from stdnum.us import ssn as us_ssn

from postroom.privacy.redaction import (
    REDACTION_KINDS,
    REMOVED,
    Finding,
    Redacted,
    card_brand,
    mask_keeping_last,
    redact_text,
)

TEST_CARDS = {
    "4111111111111111": "visa",
    "5555555555554444": "mastercard",
    "378282246310005": "amex",
    "6011111111111117": "discover",
    "3530111333300000": "jcb",
    "2223003122003222": "mastercard",
    "36227206271667": "diners",
    "6200000000000005": "unionpay",
    "6759649826438453": "maestro",
}


def _grouped(number: str, separator: str) -> str:
    """Return *number* printed the way its brand prints it: 4-6-5, 4-6-4 or groups of 4."""
    if len(number) == 15:
        sizes = [4, 6, 5]
    elif len(number) == 14:
        sizes = [4, 6, 4]
    else:
        sizes = [4] * (len(number) // 4) + ([len(number) % 4] if len(number) % 4 else [])
    groups, position = [], 0
    for size in sizes:
        groups.append(number[position : position + size])
        position += size
    return separator.join(groups)


def _unchanged(text: str) -> None:
    result = redact_text(text)
    assert result.text == text, result.findings
    assert result.findings == ()
    assert not result.changed


def _masked_once(text: str, kind: str) -> Finding:
    result = redact_text(text)
    assert result.changed
    assert [finding.kind for finding in result.findings] == [kind]
    return result.findings[0]


# --- the result types ----------------------------------------------------------------


def test_text_without_anything_sensitive_comes_back_as_is() -> None:
    text = "Hello, my watch stopped syncing after the 4.2 update on 12 March."
    result = redact_text(text)
    assert result == Redacted(text)
    assert result.changed is False


def test_findings_and_results_are_frozen() -> None:
    result = redact_text("card 4111 1111 1111 1111")
    with pytest.raises(AttributeError):
        result.text = "x"  # type: ignore[misc]
    with pytest.raises(AttributeError):
        result.findings[0].masked = "x"  # type: ignore[misc]


def test_every_kind_has_a_label() -> None:
    assert set(REDACTION_KINDS) == {"card", "iban", "national_id", "password"}
    assert all(REDACTION_KINDS.values())


def test_a_finding_never_holds_the_clear_value() -> None:
    result = redact_text("Visa 4111 1111 1111 1111, IBAN DE89370400440532013000, pw: s3cret!")
    for finding in result.findings:
        assert "4111 1111 1111" not in finding.masked
        assert "370400440532" not in finding.masked
        assert "s3cret" not in repr(finding)
    assert "s3cret" not in result.text


def test_mask_keeps_separators_and_the_last_four() -> None:
    assert mask_keeping_last("4111 1111 1111 1111") == "**** **** **** 1111"
    assert mask_keeping_last("DE89 3704 0044 0532 0130 00", keep_first=2) == (
        "DE** **** **** **** **30 00"
    )


# --- card numbers: found -------------------------------------------------------------


@pytest.mark.parametrize("number,brand", sorted(TEST_CARDS.items()))
@pytest.mark.parametrize(
    "separator", ["", " ", "-", "."], ids=["plain", "spaces", "dashes", "dots"]
)
def test_test_card_numbers_are_masked_in_every_separator_style(
    number: str, brand: str, separator: str
) -> None:
    written = _grouped(number, separator) if separator else number
    finding = _masked_once(f"My card is {written}, thanks.", "card")
    assert finding.detail == brand
    assert finding.masked.endswith(number[-4:])
    assert finding.masked.count("*") == len(number) - 4
    assert (
        redact_text(f"My card is {written}, thanks.").text
        == f"My card is {finding.masked}, thanks."
    )


def test_visa_card_is_masked_keeping_the_last_four_digits() -> None:
    assert redact_text("4111 1111 1111 1111").text == "**** **** **** 1111"


def test_card_number_in_html_source_is_masked() -> None:
    result = redact_text("<tr><td>Card</td><td>4111 1111 1111 1111</td></tr>")
    assert result.text == "<tr><td>Card</td><td>**** **** **** 1111</td></tr>"


def test_card_number_at_the_end_of_a_sentence_is_masked() -> None:
    assert redact_text("Charged to 5555555555554444.").text == "Charged to ************4444."


def test_card_number_followed_by_expiry_group_is_masked_without_it() -> None:
    result = redact_text("4111 1111 1111 1111 12/27")
    assert result.text == "**** **** **** 1111 12/27"


def test_card_number_followed_by_a_security_code_group_is_masked() -> None:
    result = redact_text("4111 1111 1111 1111 123")
    assert result.text == "**** **** **** 1111 123"


def test_security_code_next_to_a_card_number_is_removed() -> None:
    result = redact_text("Visa 4111 1111 1111 1111, exp 12/27, CVV: 123")
    assert result.text == f"Visa **** **** **** 1111, exp 12/27, CVV: {REMOVED}"
    assert [(f.kind, f.detail) for f in result.findings] == [("card", "visa"), ("card", "cvv")]


def test_security_code_without_a_card_number_is_left_alone() -> None:
    _unchanged("The CVC: 123 field on the payment page rejects my input.")


@pytest.mark.parametrize(
    "text",
    [
        "Kartennummer: 4111 1111 1111 1111",
        "numéro de carte : 4111 1111 1111 1111",
        "número de tarjeta 4111 1111 1111 1111",
        "número do cartão: 4111 1111 1111 1111",
        "numero della carta 4111 1111 1111 1111",
        "kaartnummer 4111 1111 1111 1111",
        "I paid order 100234567 with my card 4111 1111 1111 1111",
    ],
)
def test_card_number_after_a_card_label_in_any_language_is_masked(text: str) -> None:
    assert redact_text(text).text.endswith("**** **** **** 1111")


def test_two_cards_in_one_message_are_both_masked() -> None:
    result = redact_text("old 4111111111111111 new 5555 5555 5555 4444")
    assert result.text == "old ************1111 new **** **** **** 4444"
    assert [f.detail for f in result.findings] == ["visa", "mastercard"]


# --- card numbers: look-alikes -------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111112",  # Luhn fails
        "4111 1111 1111 1112",
        "1234 5678 9012 3456",
        "0000 0000 0000 0000",
    ],
)
def test_number_failing_luhn_is_not_masked(text: str) -> None:
    _unchanged(f"Reference {text}")


@pytest.mark.parametrize(
    "text",
    [
        "9999999999999995",  # Luhn-valid, no brand starts with 9
        "8000000000000003",  # Luhn-valid, 8 is no card IIN in use
        "1000000000000008",  # Luhn-valid, 1 is airlines, not cards here
        "7000000000000005",  # Luhn-valid, 7 is petroleum industry
    ],
)
def test_luhn_valid_number_without_a_card_prefix_is_not_masked(text: str) -> None:
    assert luhn.is_valid(text)
    _unchanged(f"Number {text}")


def test_ean13_barcode_is_not_masked() -> None:
    # German EAN-13 codes start with 40-44; one in ten passes Luhn as well.
    assert luhn.is_valid("4006381333932")
    _unchanged("Barcode 4006381333932 on the box")


def test_luhn_valid_visa_prefix_of_wrong_length_is_not_masked() -> None:
    # 13-digit Visa is no longer issued; a German mobile number in E.164 without "+"
    # looks just like one.
    assert luhn.is_valid("4917012345675")
    _unchanged("Call me on 4917012345675")


def test_amex_prefix_with_sixteen_digits_is_not_masked() -> None:
    number = "370000000000000" + luhn.calc_check_digit("370000000000000")
    assert luhn.is_valid(number) and len(number) == 16
    _unchanged(f"Ticket {number}")


@pytest.mark.parametrize(
    "text",
    [
        "Order no. 4111111111111111 has not arrived.",
        "Order #4111 1111 1111 1111 has not arrived.",
        "Bestellnummer: 5555555555554444",
        "Invoice number 4111111111111111",
        "Tracking number: 378282246310005",
        "Serial number: 4111111111111111",
        "S/N 5555555555554444",
        "Seriennummer 6011111111111117",
        "IMEI: 4111111111111111",
        "my order number is 4111 1111 1111 1111",
        "numéro de commande : 4111111111111111",
        "número de seguimiento 5555555555554444",
        "Ihre Kundennummer lautet 4111111111111111",
        "klantnummer: 6011111111111117",
    ],
)
def test_luhn_valid_number_after_an_order_serial_or_tracking_label_is_not_masked(text: str) -> None:
    _unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        "IMEI 490154203237518",
        "IMEI: 356938035643809",
        "356938035643809",  # unlabelled IMEI: 15 digits, Luhn-valid, TAC 35 is no 15-digit brand
        "490154203237518",
        "IMEI 35-209900-176148-1",
        "IMEISV: 3568800376543201",
    ],
)
def test_imei_is_not_masked(text: str) -> None:
    _unchanged(f"My device {text} will not pair.")


@pytest.mark.parametrize(
    "text",
    [
        "Order 100234567",
        "Your order number is 1234567890123",
        "Order ORD-2024-000123456",
        "Ticket #4521789",
        "Case 00012345678",
        "RMA-4111111111111111",
        "Bestellung Nr. 2024 1234 5678",
    ],
)
def test_order_number_is_not_masked(text: str) -> None:
    _unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        "+49 30 12345678",
        "+49 170 1234567",
        "+4917012345675",
        "0049 170 1234567",
        "+1 (555) 123-4567",
        "555-123-4567",
        "+44 20 7946 0958",
        "+33 1 42 68 53 00",
        "+34 912 345 678",
        "+351 21 123 4567",
        "+39 06 1234 5678",
        "+31 20 123 4567",
        "+55 11 91234-5678",
        "030 1234 5678 9",
        "(0)30-1234-5678",
    ],
)
def test_phone_number_is_not_masked(text: str) -> None:
    _unchanged(f"Please call me back on {text} tomorrow.")


@pytest.mark.parametrize(
    "text",
    [
        "1Z999AA10123456784",  # UPS
        "1Z 999 AA1 01 2345 6784",
        "123456789012",  # FedEx 12
        "612999988208211",  # FedEx 15
        "61299998820821171811",  # FedEx 20
        "9400100000000000000000",  # USPS 22
        "9400 1000 0000 0000 0000 00",
        "92055901755477000271",  # USPS 20
        "JD014600006281230704",  # DHL
        "00340434161094042557",  # DHL / SSCC 20
        "RR123456785DE",  # UPU S10
    ],
)
def test_tracking_number_is_not_masked(text: str) -> None:
    _unchanged(f"Your parcel {text} is on its way.")


@pytest.mark.parametrize(
    "text",
    [
        "2024-01-15",
        "15.01.2024 10:30:00",
        "2024-01-15T10:30:00+01:00",
        "Mon, 15 Jan 2024 10:30:00 +0100",
        "15/01/2024",
        "20240115103000",
        "1705311000",  # a Unix timestamp
    ],
)
def test_date_and_time_are_not_masked(text: str) -> None:
    _unchanged(f"Sent {text}")


@pytest.mark.parametrize(
    "text",
    [
        "€ 1.234.567.890,12",
        "$4,111,111,111,111.11",
        "USD 4111111111.11",
        "1 234 567,89 €",
        "-4111111111111111",
    ],
)
def test_amount_is_not_masked(text: str) -> None:
    _unchanged(f"You charged me {text} twice.")


@pytest.mark.parametrize(
    "text",
    [
        "v4.1.1.1111",
        "4.111.1111.1111.1111",
        "firmware 2.1.0-4111111111111111",
        "build 4111111111111111-beta",
    ],
)
def test_version_number_is_not_masked(text: str) -> None:
    _unchanged(f"Running {text} now")


@pytest.mark.parametrize(
    "text",
    [
        "Message-ID: <4111111111111111@mail.example.com>",
        "<4111111111111111.5555555555554444@example.net>",
        "https://shop.example.com/orders/4111111111111111",
        "https://example.com/track?id=4111111111111111&x=1",
        "http://example.com/p/4111-1111-1111-1111/details",
        "www.example.com/4111111111111111",
        "4111111111111111@example.com",
        "mailto:user+4111111111111111@example.com",
    ],
)
def test_numbers_inside_urls_and_message_ids_are_not_masked(text: str) -> None:
    _unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        "4111111111111111000000000",  # 25 digits
        "41111111111111110",  # 17 digits, Luhn fails for the whole
        "12 4111 1111 1111 1111",
        "AB4111111111111111",
        "4111111111111111XY",
        "x4111 1111 1111 1111",
        "4111 1111 1111 1111abc",
        "4111_1111_1111_1111",
        "4111 1111-1111 1111",  # mixed separators
        "4111  1111  1111  1111",  # double spaces
    ],
)
def test_digits_in_longer_runs_or_next_to_letters_are_not_masked(text: str) -> None:
    _unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        "d41d8cd98f00b204e9800998ecf8427e",
        "sha256 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        "commit 4111111111111111aa0c55ad015a3bf4f1b2b0b8",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    ],
)
def test_hex_hash_is_not_masked(text: str) -> None:
    _unchanged(text)


@pytest.mark.parametrize(
    "text",
    [
        "SN C02XK0ABJG5H",
        "Serial 4111111111111111",
        "S/N: 123456789012345",
        "Part no. 6011111111111117",
    ],
)
def test_serial_number_is_not_masked(text: str) -> None:
    _unchanged(text)


def test_card_brand_matches_prefix_and_length() -> None:
    assert card_brand("4111111111111111") == "visa"
    assert card_brand("4111111111111") == ""  # 13-digit Visa left out on purpose
    assert card_brand("2720990000000000") == "mastercard"
    assert card_brand("2721000000000000") == ""
    assert card_brand("2220990000000000") == ""
    assert card_brand("341111111111111") == "amex"
    assert card_brand("3411111111111111") == ""
    assert card_brand("3530111333300000") == "jcb"
    assert card_brand("353011133330000") == ""  # 15 digits: an IMEI's length
    assert card_brand("30569309025904") == "diners"
    assert card_brand("abc") == ""


# --- IBANs ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "iban",
    [
        "DE89 3704 0044 0532 0130 00",
        "GB82 WEST 1234 5698 7654 32",
        "FR14 2004 1010 0505 0001 3M02 606",
        "NL91 ABNA 0417 1643 00",
        "ES91 2100 0418 4502 0005 1332",
        "IT60 X054 2811 1010 0000 0123 456",
        "PT50 0002 0123 1234 5678 9015 4",
        "AT61 1904 3002 3457 3201",
        "CH93 0076 2011 6238 5295 7",
        "BE71 0961 2345 6769",
        "NO93 8601 1117 947",
    ],
)
@pytest.mark.parametrize("grouped", [True, False], ids=["grouped", "compact"])
def test_valid_iban_is_masked_keeping_country_and_last_four(iban: str, grouped: bool) -> None:
    written = iban if grouped else iban.replace(" ", "")
    finding = _masked_once(f"Please refund to IBAN: {written} thank you", "iban")
    assert finding.detail == iban[:2]
    assert finding.masked.startswith(iban[:2] + "**")
    compact = iban.replace(" ", "")
    assert finding.masked.replace(" ", "").endswith(compact[-4:])
    assert finding.masked.replace(" ", "")[2:-4] == "*" * (len(compact) - 6)


def test_german_iban_is_masked_as_in_the_example() -> None:
    result = redact_text("IBAN DE89 3704 0044 0532 0130 00")
    assert result.text == "IBAN DE** **** **** **** **30 00"


def test_grouped_iban_followed_by_a_capitalised_word_is_masked_without_it() -> None:
    result = redact_text("BE71 0961 2345 6769 DANK U")
    assert result.text == "BE** **** **** 6769 DANK U"


@pytest.mark.parametrize(
    "text",
    [
        "DE89 3704 0044 0532 0130 01",  # checksum fails
        "DE00370400440532013000",
        "XX89370400440532013000",  # no such country
        "GB82WEST12345698765432XYZ",  # longer token
        "https://bank.example/DE89370400440532013000",
        "<DE89370400440532013000@example.com>",
        "de89370400440532013000",  # lower case is not looked for
    ],
)
def test_invalid_or_embedded_iban_is_not_masked(text: str) -> None:
    _unchanged(text)


# --- national IDs --------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,detail,masked",
    [
        ("My SSN is 536-90-4399.", "us.ssn", "***-**-4399"),
        ("SSN: 536904399", "us.ssn", "*****4399"),
        ("social security number 536 90 4399", "us.ssn", "*** ** 4399"),
        ("536-90-4399", "us.ssn", "***-**-4399"),
        ("DNI: 54362315K", "es.dni", "*****315K"),
        ("mi DNI es 54362315-K", "es.dni", "*****315-K"),
        ("NIE X2482300W", "es.nie", "*****300W"),
        ("Mein NIE lautet X-2482300-W", "es.nie", "*-****300-W"),
        ("NIF: 54362315K", "es.nif", "*****315K"),
        ("NIF 123456789", "pt.nif", "*****6789"),
        ("número de contribuinte 123 456 789", "pt.nif", "*** **6 789"),
        ("codice fiscale: RCCMNL83S18D969H", "it.codicefiscale", "************969H"),
        ("Il mio C.F. è RCCMNL83S18D969H", "it.codicefiscale", "************969H"),
        ("BSN: 111222333", "nl.bsn", "*****2333"),
        ("burgerservicenummer 1112.22.333", "nl.bsn", "****.*2.333"),
        ("CPF 390.533.447-05", "br.cpf", "***.***.*47-05"),
        ("meu CPF: 39053344705", "br.cpf", "*******4705"),
        ("Steuer-ID: 36 574 261 809", "de.idnr", "** *** **1 809"),
        ("Steueridentifikationsnummer 36574261809", "de.idnr", "*******1809"),
        ("numéro de sécurité sociale : 2 95 10 99 126 111 93", "fr.nir", "* ** ** ** *** *11 93"),
        ("NIR 295109912611193", "fr.nir", "***********1193"),
        ("rijksregisternummer 85.07.30-033.28", "be.nn", "**.**.**-*33.28"),
        ("Sozialversicherungsnummer 1237 010180", "at.vnr", "**** **0180"),
        ("AHV-Nummer 756.9217.0769.85", "ch.ssn", "***.****.**69.85"),
        ("cartão de cidadão 00000000 0 ZZ4", "pt.cc", "******** 0 ZZ4"),
    ],
)
def test_national_id_after_its_keyword_is_masked(text: str, detail: str, masked: str) -> None:
    finding = _masked_once(text, "national_id")
    assert finding.detail == detail
    assert finding.masked == masked


@pytest.mark.parametrize(
    "text",
    [
        "536904399",  # nine digits are not an SSN without a keyword
        "Order 536904399",
        "Please call 536 90 4399",
        "54362315K",  # a DNI needs its keyword
        "X2482300W",
        "RCCMNL83S18D969H",
        "111222333",
        "390.533.447-05",
        "36 574 261 809",
        "2 95 10 99 126 111 93",
    ],
)
def test_id_like_number_without_keyword_is_not_masked(text: str) -> None:
    _unchanged(f"Reference {text} from the form")


@pytest.mark.parametrize(
    "text",
    [
        "SSN: 000-12-3456",  # area 000 is never issued
        "SSN 666-12-3456",
        "SSN 912-34-5678",
        "DNI: 54362315A",  # wrong letter
        "BSN: 111222334",
        "codice fiscale RCCMNL83S18D969X",
        "CPF 390.533.447-06",
        "Steuer-ID 36574261890",
    ],
)
def test_id_that_fails_validation_is_not_masked(text: str) -> None:
    _unchanged(text)


def test_dashed_ssn_form_is_validated_without_keyword() -> None:
    assert not us_ssn.is_valid("000-12-3456")
    _unchanged("Part 000-12-3456 and 666-45-6789")


def test_keyword_far_from_the_number_does_not_count() -> None:
    _unchanged("SSN questions go to the office; unrelated, our shipment ref is 536904399.")


def test_lower_case_acronym_is_not_a_keyword() -> None:
    # "nie" is German for "never"; "cf" and "nif" are ordinary letters elsewhere.
    _unchanged("Ich habe nie X2482300W bestellt, siehe cf 111222333")


def test_phone_number_after_ssn_keyword_stays_when_it_is_no_ssn() -> None:
    _unchanged("SSN office: call 555-123-4567")


# --- passwords -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text,label",
    [
        ("Password: hunter2", "password"),
        ("my password is: Tr0ub4dor&3", "password"),
        ("pw: s3cret!", "pw"),
        ("PIN: 4921", "pin"),
        ("Passcode: 812-332", "passcode"),
        ("Passwort: Sommer2024!", "passwort"),
        ("Kennwort = geheim123", "kennwort"),
        ("Mein Passwort lautet: Kaffee&Kuchen", "passwort"),
        ("Mot de passe : soleil2024", "mot de passe"),
        ("mot de passe: Azerty123", "mot de passe"),
        ("Contraseña: perro1234", "contraseña"),
        ("clave: Madrid2024", "clave"),
        ("Senha: saudade99", "senha"),
        ("palavra-passe: lisboa77", "palavra-passe"),
        ("password: Roma2024", "password"),
        ("Parola d'ordine: gattino5", "parola d'ordine"),
        ("Wachtwoord: fiets2024", "wachtwoord"),
        ("Pincode: 1234", "pincode"),
    ],
)
def test_password_line_value_is_removed_entirely(text: str, label: str) -> None:
    finding = _masked_once(f"Hello,\n{text}\nThanks", "password")
    assert finding.detail == label
    assert finding.masked == REMOVED
    separator = ":" if ":" in text else "="
    written_label, value = text.split(separator, 1)
    result = redact_text(f"Hello,\n{text}\nThanks")
    assert result.text == f"Hello,\n{written_label}{separator} {REMOVED}\nThanks"
    assert value.strip() not in result.text


def test_password_value_with_spaces_is_removed_whole() -> None:
    result = redact_text("Password: correct horse battery\nThanks")
    assert result.text == f"Password: {REMOVED}\nThanks"


def test_password_followed_by_a_sentence_loses_only_its_first_word() -> None:
    result = redact_text("Password: hunter2 but I think the login page is broken")
    assert result.text == f"Password: {REMOVED} but I think the login page is broken"


def test_password_in_html_source_is_removed() -> None:
    result = redact_text("<tr><td><b>Password:</b></td><td>hunter2</td></tr>")
    assert result.text == f"<tr><td><b>Password:</b></td><td>{REMOVED}</td></tr>"


def test_password_in_a_query_string_is_removed() -> None:
    result = redact_text("https://example.com/login?user=bob&password=hunter2&next=/")
    assert result.text == f"https://example.com/login?user=bob&password={REMOVED}&next=/"


def test_password_in_json_is_removed() -> None:
    result = redact_text('{"user": "bob", "password": "hunter2"}')
    assert "hunter2" not in result.text
    assert result.text.startswith('{"user": "bob", "password": "[removed]')


def test_username_and_password_on_one_line_lose_the_password() -> None:
    result = redact_text("user: bob, password: hunter2")
    assert result.text == f"user: bob, password: {REMOVED}"


@pytest.mark.parametrize(
    "text",
    [
        "I forgot my password.",
        "Password reset does not work",
        "Password: reset does not work",
        "Password: forgotten",
        "Passwort: vergessen",
        "Mot de passe : oublié",
        "Contraseña: olvidada",
        "Wachtwoord: vergeten",
        "Password: ********",
        "Password: [removed]",
        "Password: <hidden>",
        "Your password must be at least 8 characters.",
        "Password is incorrect",
        "Forgot password? Click here",
        "The PIN code is wrong",
        "pin: 5",  # lower-case "pin" is a connector pin
        "Palabra clave: reloj",
        "PIN: I never received my PIN letter",
        "Password: will send it separately",
        "Kennwort: bitte zurücksetzen",
        "passwords: see the admin guide",
        "Password:",
        'password: "',
        "Password: \n",
        "a password-protected file",
        "Subject: Password change",
    ],
)
def test_text_about_passwords_is_not_masked(text: str) -> None:
    _unchanged(text)


# --- overlaps and idempotence --------------------------------------------------------


def test_mixed_message_masks_each_value_once() -> None:
    text = (
        "Hi, my order 100234567 was charged twice to 4111 1111 1111 1111.\n"
        "Please refund to DE89 3704 0044 0532 0130 00.\n"
        "Login: anna@example.com\nPassword: Anna!2024\n"
        "SSN 536-90-4399, call +49 30 12345678."
    )
    result = redact_text(text)
    assert [f.kind for f in result.findings] == ["card", "iban", "password", "national_id"]
    assert "100234567" in result.text
    assert "anna@example.com" in result.text
    assert "+49 30 12345678" in result.text
    assert "4111 1111 1111 1111" not in result.text
    assert "Anna!2024" not in result.text


def test_redacting_twice_finds_nothing_new() -> None:
    first = redact_text(
        "card 4111111111111111 pw: x9y8z7 SSN 536-90-4399 IBAN DE89370400440532013000"
    )
    assert first.changed
    assert redact_text(first.text).findings == ()


def test_text_whose_lower_case_changes_length_is_still_redacted() -> None:
    # "İ".lower() is two characters: positions found in the lower-cased copy would drift.
    result = redact_text("İİİ DNI 54362315K\nPIN: 4921")
    assert "4921" not in result.text
    assert "54362315K" not in result.text


# --- properties ----------------------------------------------------------------------


def _original_at_masks(original: str, result: Redacted) -> list[tuple[Finding, str]]:
    """Return each finding with the original characters under its mask (same length)."""
    pairs: list[tuple[Finding, str]] = []
    position = 0
    for finding in result.findings:
        index = result.text.index(finding.masked, position)
        pairs.append((finding, original[index : index + len(finding.masked)]))
        position = index + len(finding.masked)
    return pairs


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet="0123456789 -.", max_size=120))
def test_digits_and_separators_only_mask_luhn_valid_cards_or_valid_ssns(text: str) -> None:
    result = redact_text(text)
    assert len(result.text) == len(text)
    for before, after in zip(text, result.text, strict=True):
        assert before == after or after == "*"
    for finding, original in _original_at_masks(text, result):
        digits = re.sub(r"\D", "", original)
        if finding.kind == "card":
            assert luhn.is_valid(digits)
            assert card_brand(digits) == finding.detail
        else:
            assert (finding.kind, finding.detail) == ("national_id", "us.ssn")
            assert us_ssn.is_valid(original)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.one_of(
            st.text(max_size=30),
            st.sampled_from(sorted(TEST_CARDS)),
            st.sampled_from(["Password: hunter2", "IBAN DE89370400440532013000", "SSN 536904399"]),
        ),
        max_size=8,
    )
)
def test_any_text_is_redacted_without_error_and_masks_are_never_masked_again(
    pieces: list[str],
) -> None:
    result = redact_text(" ".join(pieces))
    assert all(finding.masked in result.text for finding in result.findings)
    again = redact_text(result.text)
    assert all(finding.masked in again.text for finding in result.findings)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=300))
def test_arbitrary_unicode_never_raises(text: str) -> None:
    redact_text(text)


# --- speed ---------------------------------------------------------------------------


def test_plain_two_kilobyte_message_is_scanned_quickly() -> None:
    text = ("My watch stopped syncing after the update on 12 March, order 100234. " * 40)[:2048]
    redact_text(text)
    start = time.perf_counter()
    for _ in range(50):
        redact_text(text)
    per_message = (time.perf_counter() - start) / 50
    # Measured at about 30 µs; the bound only catches a catastrophic regression.
    assert per_message < 0.005
