"""The survey's wording: every language complete, placeholders intact, the browser's choice."""

from __future__ import annotations

import dataclasses
import string

import pytest

from postroom.surveys.texts import EN, TEXTS, language_from_header, survey_language


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("language", sorted(TEXTS))
def test_every_language_says_everything_with_the_same_placeholders(language):
    text = TEXTS[language]
    assert sorted(text.answers) == [1, 2, 3, 4, 5]
    assert len(set(text.answers.values())) == 5
    for field in dataclasses.fields(text):
        if field.name == "answers":
            continue
        value = getattr(text, field.name)
        assert value.strip(), field.name
        assert placeholders(value) == placeholders(getattr(EN, field.name)), field.name


def test_the_seven_languages_are_there():
    assert set(TEXTS) == {"en", "de", "fr", "es", "pt", "it", "nl"}


@pytest.mark.parametrize(
    ("candidates", "expected"),
    [(("pt-BR",), "pt"), (("", "de_AT"), "de"), (("sv", "nl"), "nl"), (("sv",), "en"), ((), "en")],
)
def test_the_first_language_we_speak_wins(candidates, expected):
    assert survey_language(*candidates) == expected


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("de-CH,de;q=0.9,en;q=0.8", "de"),
        ("sv,nl;q=0.5,fr;q=0.7", "fr"),
        ("it;q=0, es;q=0.1", "es"),
        ("*", "en"),
        ("", "en"),
        ("fr;q=abc,nl", "nl"),
    ],
)
def test_a_broken_links_page_follows_the_browsers_language(header, expected):
    assert language_from_header(header) == expected
