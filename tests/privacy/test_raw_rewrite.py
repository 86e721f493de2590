"""Raw messages come back with their bodies and Subject masked, everything else as received.

Each rewritten message must still parse, carry the mask instead of the number in every
body part (whatever its transfer encoding and charset), keep attachments byte for byte,
and never make `raw_redact` raise, however broken the MIME.
"""

from __future__ import annotations

import base64
import hashlib
import quopri
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path

import pytest

from postroom.mail.parsing import parse_message
from postroom.privacy import raw_rewrite
from postroom.privacy.raw_rewrite import REMOVED_PART_NOTICE, RawRedaction, raw_redact
from tests.conftest import CORPUS

CARD = "4111 1111 1111 1111"
CARD_MASK = "**** **** **** 1111"
IBAN = "DE89 3704 0044 0532 0130 00"
IBAN_MASK = "DE** **** **** **** **30 00"
PDF = b"%PDF-1.4\n" + bytes(range(256)) * 8 + b"\n4111 1111 1111 1111\n%%EOF\n"

HEAD = (
    b"From: Anna Example <anna@example.com>\n"
    b"To: support@example.test\n"
    b"Subject: Refund please\n"
    b"Date: Mon, 15 Jan 2024 10:30:00 +0100\n"
    b"Message-ID: <20240115103000.4111111111111111@example.com>\n"
    b"MIME-Version: 1.0\n"
)


def _parts(data: bytes) -> list[EmailMessage]:
    message = BytesParser(policy=policy.default).parsebytes(data)
    return [part for part in message.walk() if not part.is_multipart()]


def _texts(data: bytes) -> list[str]:
    return [part.get_content() for part in _parts(data) if part.get_content_maintype() == "text"]


def _alternative(plain_cte: str = "7bit", html_cte: str = "7bit") -> bytes:
    plain = f"Hello,\nplease refund {CARD} to IBAN {IBAN}.\nThanks, Anna\n".encode()
    html = (
        f"<html><body><p>Hello,</p><p>please refund <b>{CARD}</b> to IBAN {IBAN}.</p>"
        f"</body></html>\n"
    ).encode()
    return (
        HEAD
        + b'Content-Type: multipart/alternative; boundary="ALT"\n\n'
        + b"--ALT\n"
        + b'Content-Type: text/plain; charset="us-ascii"\n'
        + f"Content-Transfer-Encoding: {plain_cte}\n\n".encode()
        + _encode(plain, plain_cte)
        + b"--ALT\n"
        + b'Content-Type: text/html; charset="us-ascii"\n'
        + f"Content-Transfer-Encoding: {html_cte}\n\n".encode()
        + _encode(html, html_cte)
        + b"--ALT--\n"
    )


def _encode(body: bytes, cte: str) -> bytes:
    if cte == "base64":
        return base64.encodebytes(body)
    if cte == "quoted-printable":
        return quopri.encodestring(body)
    return body


def _with_attachment(body: str, *, attachment: bytes = PDF) -> bytes:
    encoded = base64.encodebytes(attachment)
    return (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="MIX"\n\n'
        + b"This is a multi-part message in MIME format.\n"
        + b"--MIX\n"
        + b"Content-Type: text/plain; charset=utf-8\n\n"
        + body.encode()
        + b"\n--MIX\n"
        + b'Content-Type: application/pdf; name="invoice.pdf"\n'
        + b'Content-Disposition: attachment; filename="invoice.pdf"\n'
        + b"Content-Transfer-Encoding: base64\n\n"
        + encoded
        + b"--MIX\n"
        + b'Content-Type: text/plain; name="card.txt"\n'
        + b'Content-Disposition: attachment; filename="card.txt"\n\n'
        + f"my card: {CARD}\n".encode()
        + b"--MIX--\n"
    )


# --- nothing to mask -----------------------------------------------------------------


def test_message_without_findings_comes_back_as_the_same_bytes() -> None:
    data = HEAD + b"Content-Type: text/plain\n\nMy watch does not sync. Order 100234567.\n"
    result = raw_redact(data)
    assert result == RawRedaction(data, (), False, hashlib.sha256(data).hexdigest())
    assert result.data is data


def test_message_with_findings_only_in_an_attachment_is_unchanged() -> None:
    data = _with_attachment("Invoice attached.")
    result = raw_redact(data)
    assert not result.changed
    assert result.data is data


def test_original_digest_is_of_the_received_bytes() -> None:
    data = _alternative()
    result = raw_redact(data)
    assert result.changed
    assert result.original_sha256 == hashlib.sha256(data).hexdigest()
    assert result.original_sha256 != hashlib.sha256(result.data).hexdigest()


# --- rewritten bodies ----------------------------------------------------------------


@pytest.mark.parametrize(
    "plain_cte,html_cte",
    [
        ("7bit", "7bit"),
        ("base64", "base64"),
        ("quoted-printable", "quoted-printable"),
        ("quoted-printable", "base64"),
    ],
)
def test_multipart_alternative_is_rewritten_in_both_parts(plain_cte: str, html_cte: str) -> None:
    data = _alternative(plain_cte, html_cte)
    result = raw_redact(data)
    assert result.changed and result.error == ""
    assert [f.kind for f in result.findings] == ["card", "iban", "card", "iban"]
    plain, html = _texts(result.data)
    for text in (plain, html):
        assert CARD_MASK in text and IBAN_MASK in text
        assert CARD not in text and IBAN not in text
    assert "<b>**** **** **** 1111</b>" in html
    assert b"4111 1111 1111 1111" not in result.data
    assert b"3704 0044" not in result.data


@pytest.mark.parametrize("cte", ["base64", "quoted-printable"])
def test_rewritten_part_keeps_its_transfer_encoding(cte: str) -> None:
    result = raw_redact(_alternative(cte, cte))
    for part in _parts(result.data):
        assert part["Content-Transfer-Encoding"] == cte


def test_rewritten_message_reads_the_same_to_parse_message() -> None:
    result = raw_redact(_alternative("quoted-printable", "base64"))
    parsed = parse_message(result.data)
    assert parsed.subject == "Refund please"
    assert parsed.from_address == "anna@example.com"
    assert parsed.message_id == "20240115103000.4111111111111111@example.com"
    assert CARD_MASK in parsed.text
    assert CARD_MASK in parsed.html
    assert parsed.defects == ()


def test_headers_and_unchanged_parts_keep_their_bytes() -> None:
    data = (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="MIX"\n\n'
        + b"--MIX\n"
        + b"Content-Type: text/plain; charset=us-ascii\n\n"
        + f"card {CARD}\n".encode()
        + b"--MIX\n"
        + b"Content-Type: text/plain; charset=us-ascii\n"
        + b"Content-Transfer-Encoding: quoted-printable\n\n"
        + b"A second part, soft=\nbroken, with no numbers.\n"
        + b"--MIX--\n"
    )
    result = raw_redact(data)
    assert result.changed
    assert result.data.startswith(HEAD)
    assert b"A second part, soft=\nbroken, with no numbers.\n" in result.data
    assert result.data.replace(CARD_MASK.encode(), CARD.encode()) == data


def test_attachments_are_kept_byte_for_byte() -> None:
    data = _with_attachment(f"Card {CARD}, invoice attached.")
    result = raw_redact(data)
    assert result.changed
    assert base64.encodebytes(PDF) in result.data
    attachments = {
        p.get_filename(): p.get_content() for p in _parts(result.data) if p.get_filename()
    }
    assert attachments["invoice.pdf"] == PDF
    # A customer's attached file is theirs as sent; only bodies and Subject are masked.
    assert f'filename="card.txt"\n\nmy card: {CARD}\n--MIX--\n'.encode() in result.data
    assert b"This is a multi-part message in MIME format.\n" in result.data


def test_latin1_part_keeps_its_charset_and_accents() -> None:
    body = f"Grüße aus Köln, meine IBAN ist {IBAN}. Danke schön!\n".encode("iso-8859-1")
    data = (
        HEAD
        + b"Content-Type: text/plain; charset=iso-8859-1\n"
        + b"Content-Transfer-Encoding: 8bit\n\n"
        + body
    )
    result = raw_redact(data)
    (part,) = _parts(result.data)
    assert part.get_content_charset() == "iso-8859-1"
    assert part["Content-Transfer-Encoding"] == "8bit"
    assert part.get_content() == f"Grüße aus Köln, meine IBAN ist {IBAN_MASK}. Danke schön!\n"
    assert "Grüße".encode("iso-8859-1") in result.data


def test_latin1_quoted_printable_part_is_rewritten() -> None:
    body = f"Olá, o meu cartão é {CARD}, obrigado.\n".encode("iso-8859-1")
    data = (
        HEAD
        + b"Content-Type: text/plain; charset=ISO-8859-1\n"
        + b"Content-Transfer-Encoding: quoted-printable\n\n"
        + quopri.encodestring(body)
    )
    result = raw_redact(data)
    (part,) = _parts(result.data)
    assert part.get_content() == f"Olá, o meu cartão é {CARD_MASK}, obrigado.\n"
    assert part.get_content_charset() == "iso-8859-1"


def test_utf8_bytes_declared_as_ascii_are_rewritten_as_utf8() -> None:
    body = f"Grüße, Karte {CARD}\n".encode()
    data = HEAD + b"Content-Type: text/plain; charset=us-ascii\n\n" + body
    result = raw_redact(data)
    (part,) = _parts(result.data)
    assert part.get_content_charset() == "utf-8"
    assert part.get_content() == f"Grüße, Karte {CARD_MASK}\n"


def test_rfc2231_charset_is_replaced_not_duplicated() -> None:
    data = HEAD + b"Content-Type: text/plain; charset*=us-ascii''\n\n"
    result = raw_redact(data + f"Gr\u00fc\u00dfe, Karte {CARD}\n".encode())
    (part,) = _parts(result.data)
    assert part["Content-Type"].params == {"charset": "utf-8"}
    assert part.get_content() == f"Grüße, Karte {CARD_MASK}\n"


def test_7bit_part_whose_new_text_needs_8_bits_becomes_quoted_printable() -> None:
    # A 7bit part with an unknown charset is decoded by the parser's fallback; the new
    # text goes out as UTF-8, which 7bit cannot carry.
    body = b"Karte 4111111111111111, Gruss\n"
    data = (
        HEAD + b"Content-Type: text/plain; charset=x-unknown\nContent-Transfer-Encoding: 7bit\n\n"
    )
    result = raw_redact(data + body + "Grüße\n".encode())
    (part,) = _parts(result.data)
    assert part["Content-Transfer-Encoding"] == "quoted-printable"
    assert "************1111" in part.get_content()
    assert "Grüße" in part.get_content()


def test_subject_is_masked() -> None:
    data = HEAD.replace(b"Subject: Refund please", f"Subject: Card {CARD} charged twice".encode())
    data += b"Content-Type: text/plain\n\nSee subject.\n"
    result = raw_redact(data)
    assert [f.kind for f in result.findings] == ["card"]
    assert parse_message(result.data).subject == f"Card {CARD_MASK} charged twice"
    assert CARD.encode() not in result.data


def test_folded_subject_is_masked_across_the_fold() -> None:
    data = HEAD.replace(b"Subject: Refund please", b"Subject: Card 4111 1111\n 1111 1111 charged")
    data += b"Content-Type: text/plain\n\nSee subject.\n"
    result = raw_redact(data)
    assert [f.kind for f in result.findings] == ["card"]
    assert parse_message(result.data).subject == f"Card {CARD_MASK} charged"


def test_encoded_word_subject_is_masked() -> None:
    subject = f"Rückerstattung, Passwort: Geheim!42, Karte {CARD}"
    message = EmailMessage()
    message["From"] = "anna@example.com"
    message["Subject"] = subject
    message.set_content("siehe Betreff")
    data = message.as_bytes()
    assert b"=?utf-8?" in data
    result = raw_redact(data)
    # Five words and more after "Passwort:" read as a sentence: only the first word,
    # with its comma, is taken for the password.
    assert parse_message(result.data).subject == (
        f"Rückerstattung, Passwort: [removed] Karte {CARD_MASK}"
    )


def test_crlf_message_stays_crlf() -> None:
    data = _alternative("quoted-printable", "7bit").replace(b"\n", b"\r\n")
    result = raw_redact(data)
    assert result.changed
    assert b"\n" not in result.data.replace(b"\r\n", b"")
    assert CARD_MASK in parse_message(result.data).text


def test_mbox_from_line_is_kept() -> None:
    data = b"From anna@example.com Mon Jan 15 10:30:00 2024\n" + _alternative()
    result = raw_redact(data)
    assert result.data.startswith(b"From anna@example.com Mon Jan 15 10:30:00 2024\n")


def test_password_line_is_removed_from_the_body() -> None:
    data = HEAD + b"Content-Type: text/plain\n\nLogin: anna\nPasswort: Sommer2024!\n"
    result = raw_redact(data)
    assert [f.kind for f in result.findings] == ["password"]
    assert b"Sommer2024" not in result.data
    assert b"Passwort: [removed]" in result.data


def test_forwarded_message_attachment_is_left_alone() -> None:
    inner = b"Subject: old\n\ncard " + CARD.encode() + b"\n"
    data = (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="MIX"\n\n'
        + b"--MIX\nContent-Type: text/plain\n\nSee the forwarded mail.\n"
        + b"--MIX\nContent-Type: message/rfc822\n\n"
        + inner
        + b"--MIX--\n"
    )
    result = raw_redact(data)
    assert not result.changed


# --- broken input --------------------------------------------------------------------


BROKEN = {
    "no_closing_boundary": HEAD
    + b'Content-Type: multipart/mixed; boundary="X"\n\n--X\nContent-Type: text/plain\n\n'
    + CARD.encode()
    + b"\n",
    "boundary_never_used": HEAD
    + b'Content-Type: multipart/alternative; boundary="NOPE"\n\ncard '
    + CARD.encode()
    + b"\n",
    "bad_base64": HEAD
    + b"Content-Type: text/plain\nContent-Transfer-Encoding: base64\n\n"
    + base64.encodebytes(f"card {CARD} thanks".encode())
    + b"!!*=\n",
    "unknown_charset": HEAD
    + b"Content-Type: text/plain; charset=x-klingon\n\ncard "
    + CARD.encode()
    + b" \xff\xfe\n",
    "nul_in_charset": HEAD
    + b'Content-Type: text/plain; charset="utf\x00-8"\n\ncard '
    + CARD.encode()
    + b"\n",
    "unknown_cte": HEAD
    + b"Content-Type: text/plain\nContent-Transfer-Encoding: x-weird\n\ncard "
    + CARD.encode()
    + b"\n",
    "garbage_headers": b"\x00\xff: \x01\n:::\nSubject: card "
    + CARD.encode()
    + b"\n\nbody "
    + CARD.encode(),
    "no_header_separator": b"Subject: hi\nthis line is no header, card "
    + CARD.encode()
    + b"\n\nmore",
    "only_body": b"card " + CARD.encode(),
    "empty": b"",
    "rfc2231_charset_tuple": HEAD
    + b"Content-Type: text/plain; charset*=utf-8''%FF%FE\n\ncard "
    + CARD.encode()
    + b"\n",
    "header_line_too_long": HEAD + b"X-Long: " + b"a" * 100_000 + b"\n\ncard " + CARD.encode(),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_malformed_mime_does_not_raise_and_keeps_no_card_in_the_body(name: str) -> None:
    result = raw_redact(BROKEN[name])
    assert isinstance(result, RawRedaction)
    if name != "empty":
        assert CARD.encode() not in result.data, result
        assert result.changed


def _nested(depth: int) -> bytes:
    opening = b"".join(
        f'--B{i}\nContent-Type: multipart/mixed; boundary="B{i + 1}"\n\n'.encode()
        for i in range(depth)
    )
    return (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="B0"\n\n'
        + opening
        + f"--B{depth}\nContent-Type: text/plain\n\ncard {CARD}\n".encode()
    )


@pytest.mark.parametrize("depth", [5, 100, 2000])
def test_deeply_nested_multipart_does_not_raise_and_is_masked(depth: int) -> None:
    result = raw_redact(_nested(depth))
    assert result.changed
    assert CARD.encode() not in result.data
    if depth > raw_rewrite.MAX_DEPTH:
        assert result.error


def test_message_with_too_many_parts_is_masked_beyond_the_limit() -> None:
    parts = b"".join(
        b"--P\nContent-Type: text/plain\n\nnothing here\n" for _ in range(raw_rewrite.MAX_PARTS)
    )
    data = (
        HEAD
        + b'Content-Type: multipart/mixed; boundary="P"\n\n'
        + parts
        + f"--P\nContent-Type: text/plain\n\ncard {CARD}\n--P--\n".encode()
    )
    result = raw_redact(data)
    assert CARD.encode() not in result.data
    assert "parts" in result.error


def test_part_that_cannot_be_rewritten_becomes_a_notice(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise UnicodeEncodeError("ascii", "x", 0, 1, "refused for the test")

    monkeypatch.setattr(raw_rewrite, "_set_text", refuse)
    result = raw_redact(_alternative())
    assert result.changed
    assert "notice" in result.error
    plain, html = _texts(result.data)
    assert plain == REMOVED_PART_NOTICE
    assert html == f"<p>{REMOVED_PART_NOTICE}</p>"
    assert b"4111" not in result.data.split(b"\n\n", 1)[1]


def test_message_the_email_package_cannot_handle_is_masked_in_its_bytes(monkeypatch) -> None:
    def explode(self, data, headersonly=False):
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(raw_rewrite.BytesParser, "parsebytes", explode)
    data = _alternative()
    result = raw_redact(data)
    assert result.changed
    assert "RecursionError" in result.error
    assert CARD.encode() not in result.data
    assert len(result.data) == len(data)  # masks are as long as what they hide


def test_utf16_body_with_byte_order_mark_is_rewritten() -> None:
    body = f"card {CARD}\n".encode("utf-16")
    data = HEAD + b"Content-Type: text/plain\nContent-Transfer-Encoding: binary\n\n" + body
    result = raw_redact(data)
    assert result.changed
    assert CARD_MASK in parse_message(result.data).text


def test_quick_look_agrees_with_the_full_rewrite_on_the_examples() -> None:
    for data in [_alternative(), _with_attachment("x"), *BROKEN.values()]:
        if not raw_rewrite._may_hold_sensitive(data):
            assert not raw_rewrite._rewrite(data, "").findings


@pytest.mark.corpus
def test_quick_look_never_skips_a_corpus_message_with_findings() -> None:
    folder = CORPUS / "emails"
    if not folder.exists():
        pytest.skip("corpus not present")
    files = sorted(Path(folder).rglob("*.eml"))
    for path in files:
        data = path.read_bytes()
        if not raw_rewrite._may_hold_sensitive(data):
            assert not raw_rewrite._rewrite(data, "").findings, path
        raw_redact(data)  # and never raises
