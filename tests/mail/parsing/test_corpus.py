"""Every message of the shared evaluation corpus parses: no exception, something readable."""

from __future__ import annotations

import email.policy
from email.parser import BytesParser
from pathlib import Path

import pytest

from postroom.mail.parsing import parse_message
from tests.conftest import CORPUS

EMAILS = CORPUS / "emails"

pytestmark = [
    pytest.mark.corpus,
    pytest.mark.skipif(not EMAILS.is_dir(), reason="shared/corpus/emails not present"),
]


def _has_body(data: bytes) -> bool:
    """Return whether any leaf part of *data* has non-blank content (judged by the stdlib)."""
    message = BytesParser(policy=email.policy.compat32).parsebytes(data)
    for part in message.walk():
        if part.is_multipart():
            continue
        payload = part.get_payload(decode=True)
        if isinstance(payload, bytes) and payload.strip():
            return True
        if isinstance(part.get_payload(), list) and part.get_payload():
            return True
    return False


def _corpus_files() -> list[Path]:
    return sorted(EMAILS.rglob("*.eml"))


def test_every_corpus_message_parses_into_readable_parts():
    files = _corpus_files()
    assert len(files) > 3000
    problems: list[str] = []
    for path in files:
        data = path.read_bytes()
        mail = parse_message(data)
        name = str(path.relative_to(EMAILS))
        if not isinstance(mail.subject, str) or not isinstance(mail.text, str):
            problems.append(f"{name}: wrong types")
        if any(defect.startswith("internal:") for defect in mail.defects):
            problems.append(f"{name}: {mail.defects}")
        if _has_body(data) and not (mail.text.strip() or mail.html.strip() or mail.attachments):
            problems.append(f"{name}: body lost")
    assert not problems, "\n".join(problems[:20])


def test_corpus_bounces_are_found_and_ham_is_not_a_bounce():
    bounces = [p for p in _corpus_files() if parse_message(p.read_bytes()).delivery_report]
    names = {p.name for p in bounces}
    assert "tests_fixtures_messages_bounce_zed.eml" in names
    assert "tests_fixtures_messages_complaints_aol.eml" not in names
    # Only the few list bounces of the SpamAssassin ham are reports; no spam is.
    assert sum(1 for p in bounces if "spamassassin" in p.parts) <= 5
