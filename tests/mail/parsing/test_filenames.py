"""Attachment names are safe to store and serve, whatever the sender wrote."""

from __future__ import annotations

import pytest

from postroom.mail.parsing.filenames import extension_for, safe_filename


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\eve\\invoice.pdf", "invoice.pdf"),
        (".htaccess", "htaccess"),
        ("report.pdf.", "report.pdf"),
        ("a<b>c:d|e?.txt", "a_b_c_d_e_.txt"),
        ("line\nbreak\ttab.txt", "line break tab.txt"),
        ("gpj\u202eexe.scr", "gpjexe.scr"),
        ("CON.txt", "_CON.txt"),
        ("Grüße.docx", "Grüße.docx"),
    ],
)
def test_file_name_is_reduced_to_a_safe_base_name(name, expected):
    assert safe_filename(name) == expected


def test_long_name_is_bounded_and_keeps_its_extension():
    name = safe_filename("ü" * 300 + ".pdf")
    assert name.endswith(".pdf")
    assert len(name.encode()) <= 200


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("application/pdf", "attachment-3.pdf"),
        ("image/jpeg", "attachment-3.jpg"),
        ("message/rfc822", "attachment-3.eml"),
        ("application/x-unheard-of", "attachment-3.bin"),
    ],
)
def test_missing_name_falls_back_to_one_from_the_content_type(content_type, expected):
    assert safe_filename(None, content_type=content_type, index=3) == expected
    assert safe_filename(" .. ", content_type=content_type, index=3) == expected


def test_extensions_do_not_depend_on_the_host_mime_tables():
    assert extension_for("text/plain") == ".txt"
    assert extension_for("application/pgp-signature") == ".asc"
