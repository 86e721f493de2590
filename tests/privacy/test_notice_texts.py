"""The customer is told, in their language, what we removed and what to do about it."""

from __future__ import annotations

import pytest

from postroom.privacy.notice_texts import NOTICE_LANGUAGES, redaction_notice
from postroom.privacy.redaction import REDACTION_KINDS

LANGUAGES = ["en", "de", "fr", "es", "pt", "it", "nl"]

# A word each language's notice must use for each kind, and for "change it now".
EXPECTED_WORDS = {
    "en": {
        "card": "card number",
        "iban": "IBAN",
        "national_id": "ID number",
        "password": "password",
        "change": "change it now",
        "email": "email",
    },
    "de": {
        "card": "Kartennummer",
        "iban": "IBAN",
        "national_id": "Identifikationsnummer",
        "password": "Passwort",
        "change": "ändern",
        "email": "E-Mail",
    },
    "fr": {
        "card": "numéro de carte",
        "iban": "IBAN",
        "national_id": "numéro d’identification",
        "password": "mot de passe",
        "change": "modifier",
        "email": "e-mail",
    },
    "es": {
        "card": "número de tarjeta",
        "iban": "IBAN",
        "national_id": "número de identificación",
        "password": "contraseña",
        "change": "cambie",
        "email": "correo electrónico",
    },
    "pt": {
        "card": "número do cartão",
        "iban": "IBAN",
        "national_id": "número de identificação",
        "password": "senha",
        "change": "altere",
        "email": "e-mail",
    },
    "it": {
        "card": "numero della carta",
        "iban": "IBAN",
        "national_id": "identificativo",
        "password": "password",
        "change": "cambiarla",
        "email": "e-mail",
    },
    "nl": {
        "card": "kaartnummer",
        "iban": "IBAN",
        "national_id": "identificatienummer",
        "password": "wachtwoord",
        "change": "wijzigen",
        "email": "e-mail",
    },
}


def test_every_customer_language_has_a_notice() -> None:
    assert set(LANGUAGES) == NOTICE_LANGUAGES


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", sorted(REDACTION_KINDS))
def test_notice_names_what_was_removed_and_warns_against_email(language: str, kind: str) -> None:
    notice = redaction_notice(language=language, kinds={kind})
    words = EXPECTED_WORDS[language]
    assert words[kind] in notice
    assert words["email"] in notice
    for other in REDACTION_KINDS:
        if other != kind and words[other] not in words[kind]:
            assert words[other] not in notice


@pytest.mark.parametrize("language", LANGUAGES)
def test_notice_asks_to_change_a_removed_password(language: str) -> None:
    notice = redaction_notice(language=language, kinds=["password"])
    assert EXPECTED_WORDS[language]["change"] in notice


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", ["card", "iban", "national_id"])
def test_notice_without_a_password_does_not_ask_to_change_one(language: str, kind: str) -> None:
    notice = redaction_notice(language=language, kinds=[kind])
    assert EXPECTED_WORDS[language]["change"] not in notice


@pytest.mark.parametrize("language", LANGUAGES)
def test_notice_lists_several_kinds_in_a_fixed_order(language: str) -> None:
    words = EXPECTED_WORDS[language]
    notice = redaction_notice(language=language, kinds=["password", "iban", "card"])
    positions = [notice.index(words[kind]) for kind in ("card", "iban", "password")]
    assert positions == sorted(positions)
    assert notice == redaction_notice(language=language, kinds=("card", "iban", "password"))


def test_english_notice_reads_as_prose() -> None:
    assert redaction_notice(language="en", kinds={"card", "password"}) == (
        "To protect you, we have removed the card number and the password from your message. "
        "Please never send details like these by email. "
        "As your password was readable in the email, please change it now."
    )


def test_three_items_are_joined_with_commas_and_a_conjunction() -> None:
    notice = redaction_notice(language="de", kinds={"card", "iban", "password"})
    assert "die Kartennummer, die Kontonummer (IBAN) und das Passwort" in notice


@pytest.mark.parametrize(
    "tag,expected",
    [("pt-BR", "pt"), ("de_CH", "de"), ("FR", "fr"), (" nl-BE ", "nl"), ("es-419", "es")],
)
def test_region_and_case_of_the_language_tag_do_not_matter(tag: str, expected: str) -> None:
    assert redaction_notice(language=tag, kinds={"card"}) == redaction_notice(
        language=expected, kinds={"card"}
    )


@pytest.mark.parametrize("tag", ["ja", "", "xx-YY", "zh-Hant"])
def test_unknown_language_falls_back_to_english(tag: str) -> None:
    assert redaction_notice(language=tag, kinds={"iban"}) == redaction_notice(
        language="en", kinds={"iban"}
    )


def test_no_known_kind_gives_no_notice() -> None:
    assert redaction_notice(language="en", kinds=[]) == ""
    assert redaction_notice(language="de", kinds=["unknown"]) == ""


def test_unknown_kinds_are_ignored_beside_known_ones() -> None:
    assert redaction_notice(language="fr", kinds=["card", "unknown"]) == redaction_notice(
        language="fr", kinds=["card"]
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_notice_has_no_template_leftovers(language: str) -> None:
    notice = redaction_notice(language=language, kinds=set(REDACTION_KINDS))
    assert "{" not in notice and "}" not in notice
    assert "  " not in notice
    assert notice.endswith(".")
