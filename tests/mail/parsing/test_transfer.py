"""Transfer encodings and format=flowed are undone tolerantly."""

from __future__ import annotations

import binascii

from postroom.mail.parsing.flowed import unflow
from postroom.mail.parsing.transfer import decode_base64, decode_transfer, extract_uuencoded


def test_base64_with_junk_and_missing_padding_decodes():
    assert decode_base64(b"SGVsbG8h\n!!") == (b"Hello!", True)
    assert decode_base64(b"SGVsbG8") == (b"Hello", False)


def test_quoted_printable_with_space_in_the_name_is_decoded_and_noted():
    data, defect = decode_transfer(b"caf=C3=A9 =\r\nau lait", "Quoted Printable")
    assert data == "café au lait".encode()
    assert defect == "transfer: 'quoted printable' read as quoted-printable"


def test_x_uuencode_part_is_decoded():
    encoded = b"begin 600 a.bin\n" + binascii.b2a_uu(b"\x00\x01binary") + b"`\nend\n"
    assert decode_transfer(encoded, "x-uuencode") == (b"\x00\x01binary", "")


def test_two_uuencoded_files_are_both_extracted():
    block = "begin 644 {}\n{}`\nend\n"
    text = (
        block.format("a.txt", binascii.b2a_uu(b"A").decode())
        + "mid\n"
        + block.format("b.txt", binascii.b2a_uu(b"B").decode())
    )
    rest, files = extract_uuencoded(text)
    assert [(f.filename, f.data) for f in files] == [("a.txt", b"A"), ("b.txt", b"B")]
    assert rest.strip() == "mid"


def test_flowed_text_keeps_signature_separator_and_hard_breaks():
    assert unflow("a \nb\n-- \nsig") == "a b\n-- \nsig"
    assert unflow("a  \nb", delsp=True) == "a b"
    assert unflow(" >not a quote") == ">not a quote"
