"""Helpers for parser tests: fixture bytes and small hand-written messages."""

from __future__ import annotations

import pytest

from postroom.mail.parsing import ParsedMail, parse_message
from tests.conftest import FIXTURES

PARSING_FIXTURES = FIXTURES / "parsing"


def fixture_mail(name: str) -> ParsedMail:
    """Return tests/fixtures/parsing/<name> parsed."""
    return parse_message((PARSING_FIXTURES / name).read_bytes())


def raw_mail(text: str, *, crlf: bool = True) -> bytes:
    """Return *text* (a message written with \\n line ends) as wire bytes."""
    data = text.lstrip("\n").encode("utf-8", "surrogateescape")
    return data.replace(b"\n", b"\r\n") if crlf else data


def parse_text(text: str, **kwargs: object) -> ParsedMail:
    """Return the ParsedMail of a message written as text."""
    return parse_message(raw_mail(text), **kwargs)  # type: ignore[arg-type]


@pytest.fixture
def parse():
    return parse_text
