"""Body text decodes whatever charset a sender declared, or failed to declare."""

from __future__ import annotations

import pytest

from postroom.mail.parsing.charsets import codecs_for, decode_bytes, decode_surrogates
from tests.mail.parsing.conftest import fixture_mail, parse_text


def test_shift_jis_body_is_decoded():
    mail = fixture_mail("shift_jis_body.eml")
    assert mail.text.startswith("あいうえお")
    assert "このメールはテスト用のメールです。" in mail.text


def test_iso_2022_jp_body_is_decoded():
    mail = fixture_mail("iso_2022_jp_body.eml")
    assert mail.text == "すみません。"
    assert mail.subject == "まみむめも"


def test_ks_c_5601_1987_label_reads_as_windows_949():
    mail = fixture_mail("ks_c_5601_1987_body.eml")
    assert mail.text == "스티해"
    assert not [d for d in mail.defects if d.startswith("charset")]


def test_gb2312_label_on_utf8_bytes_still_gives_the_chinese_text():
    mail = fixture_mail("gb2312_label_on_utf8_body.eml")
    assert mail.text.startswith("你好！我公司可代开各类增值税发票")
    assert any("gb2312" in d for d in mail.defects)


def test_unknown_charset_label_is_decoded_and_noted():
    mail = fixture_mail("x_unknown_charset_body.eml")
    assert "Envoyé par le service" in mail.text
    assert "charset: unknown 'x-unknown'; decoded as utf-8" in mail.defects


def test_gb2312_label_reads_gb18030_only_characters():
    # 𠀀 (U+20000) exists only in GB 18030; GB 2312 mail in the wild contains such bytes.
    data = "你好𠀀".encode("gb18030")
    assert decode_bytes(data, "gb2312").text == "你好𠀀"


def test_iso_8859_8_i_label_is_hebrew():
    assert decode_bytes("שלום".encode("iso8859_8"), "iso-8859-8-i").text == "שלום"


@pytest.mark.parametrize("label", ["unknown-8bit", "x-user-defined", "default", "", None])
def test_undeclared_utf8_is_read_as_utf8(label):
    result = decode_bytes("Grüße aus Köln".encode(), label)
    assert result.text == "Grüße aus Köln"


def test_declared_us_ascii_with_utf8_bytes_keeps_the_text():
    mail = parse_text(
        """
From: a@example.test
Content-Type: text/plain; charset=us-ascii

Mein Gerät lädt nicht.
"""
    )
    assert mail.text == "Mein Gerät lädt nicht."
    assert "charset: declared us-ascii but has 8-bit bytes; decoded as utf-8" in mail.defects


def test_declared_utf8_with_windows_1252_bytes_is_not_mojibake():
    result = decode_bytes("Grüße aus München".encode("cp1252"), "utf-8")
    assert result.text == "Grüße aus München"
    assert result.defect


def test_mostly_utf8_with_one_broken_byte_keeps_the_utf8_text():
    data = "Grüße aus München, Straße 1".encode() + b"\xff"
    result = decode_bytes(data, "utf-8")
    assert result.text.startswith("Grüße aus München, Straße 1")
    assert result.charset == "utf-8"


def test_latin1_label_reads_windows_1252_punctuation():
    assert decode_bytes(b"It\x92s \x93fine\x94 \x80", "iso-8859-1").text == "It’s “fine” €"


def test_windows_1252_undefined_bytes_do_not_fail():
    assert decode_bytes(b"a\x81b", "windows-1252").text == "a\x81b"


def test_c1_controls_from_a_latin1_conversion_become_punctuation():
    assert decode_bytes("It\x92s".encode(), "utf-8").text == "It’s"


def test_cyrillic_without_a_label_is_detected():
    text = "Здравствуйте, у меня не работает синхронизация часов с телефоном."
    assert decode_bytes(text.encode("cp1251"), None).text == text


def test_polish_without_a_label_is_detected():
    text = "Zażółć gęślą jaźń, proszę o pomoc z fakturą. Dziękuję bardzo."
    assert decode_bytes(text.encode("cp1250"), None).text == text


def test_utf8_byte_order_mark_wins_over_the_label():
    assert decode_bytes("\ufeffhé".encode(), "iso-8859-1").text == "hé"


def test_refused_python_codecs_are_not_used_as_charsets():
    assert codecs_for("rot13") == ()
    assert codecs_for("unicode_escape") == ()
    assert decode_bytes(b"\\u0041", "unicode_escape").text == "\\u0041"


def test_raw_8bit_in_strings_from_email_is_decoded():
    raw = "Ren\udcc3\udca9".encode("utf-8", "surrogateescape").decode("utf-8", "surrogateescape")
    assert decode_surrogates(raw) == "René"


def test_every_byte_sequence_decodes_to_text():
    data = bytes(range(256)) * 2
    for label in ("utf-8", "big5", "shift_jis", "iso-2022-jp", "bogus", None, "us-ascii"):
        assert isinstance(decode_bytes(data, label).text, str)
