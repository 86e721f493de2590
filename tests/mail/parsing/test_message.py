"""The MIME tree becomes bodies and attachments: what a customer sent, nothing lost."""

from __future__ import annotations

import binascii

import pytest

from postroom.mail.parsing import DEFAULT_MAX_ATTACHMENT_BYTES, parse_message
from tests.mail.parsing.conftest import fixture_mail, raw_mail


def test_plain_mail_gives_sender_recipients_subject_and_text(parse):
    mail = parse(
        """
From: "Jane Doe" <Jane@Customer.TEST>
To: support@example.test, Billing <billing@example.test>
Cc: boss@customer.test
Reply-To: jane.private@customer.test
Subject: Watch does not sync
Date: Tue, 1 Jul 2025 10:00:00 +0200
Message-ID: <abc@customer.test>

My watch stopped syncing after the update.
"""
    )
    assert (mail.from_name, mail.from_address) == ("Jane Doe", "jane@customer.test")
    assert mail.to == ("support@example.test", "billing@example.test")
    assert mail.cc == ("boss@customer.test",)
    assert mail.reply_to == ("jane.private@customer.test",)
    assert mail.subject == "Watch does not sync"
    assert mail.message_id == "abc@customer.test"
    assert mail.text == "My watch stopped syncing after the update."
    assert mail.visible_text == mail.text
    assert mail.html == ""
    assert mail.defects == ()
    assert mail.size > 0


def test_alternative_mail_keeps_plain_text_and_original_html(parse):
    mail = parse(
        """
From: a@example.test
Content-Type: multipart/alternative; boundary=ALT

--ALT
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: quoted-printable

Caf=C3=A9 is open.
--ALT
Content-Type: text/html; charset=utf-8

<p>Caf&eacute; is <b>open</b>.</p>
--ALT--
"""
    )
    assert mail.text == "Café is open."
    assert mail.html == "<p>Caf&eacute; is <b>open</b>.</p>"
    assert "text_source" not in mail.extra


def test_first_plain_alternative_wins_over_later_mislabelled_markup():
    mail = fixture_mail("alternative_quoted_printable.eml")
    assert mail.text.startswith("Hello Bob,")
    assert "u=http%3A%2F%2Fwww.horizont.at%2Fhome" in mail.text  # soft breaks joined
    assert "=3D" not in mail.text and "<div" not in mail.text


def test_empty_plain_alternative_falls_back_to_the_html_text(parse):
    mail = parse(
        """
From: a@example.test
Content-Type: multipart/alternative; boundary=ALT

--ALT
Content-Type: text/plain

--ALT
Content-Type: text/html

<p>Only here</p>
--ALT--
"""
    )
    assert mail.text == "Only here"


def test_attachment_with_rfc2231_name_is_kept_with_its_bytes():
    mail = fixture_mail("rfc2231_continued_filename.eml")
    (attachment,) = mail.attachments
    assert attachment.filename == "かきくけこ" * 5 + ".txt"
    assert attachment.content_type == "text/plain"
    assert attachment.data
    assert not attachment.inline


def test_raw_8bit_file_name_is_decoded():
    (attachment,) = fixture_mail("raw_8bit_filename.eml").attachments
    assert attachment.filename == "ciële.txt"


def test_inline_image_keeps_its_content_id_without_brackets():
    mail = fixture_mail("html_only_with_cid_image.eml")
    image = next(a for a in mail.attachments if a.content_type == "image/png")
    assert image.inline
    assert image.content_id == "emedfeb92f-a786-4718-a446-98db8afb53fb@kronos"
    assert f"cid:{image.content_id}" in mail.html


def test_forwarded_message_is_kept_as_an_eml_attachment():
    mail = fixture_mail("forwarded_message_attached.eml")
    assert mail.text == "This is the first part."
    (forwarded,) = mail.attachments
    assert forwarded.content_type == "message/rfc822"
    assert forwarded.filename.endswith(".eml")
    inner = parse_message(forwarded.data)
    assert inner.subject
    assert inner.from_address


def test_unnamed_forwarded_message_is_named_after_its_subject(parse):
    mail = parse(
        """
From: a@example.test
Content-Type: multipart/mixed; boundary=B

--B
Content-Type: text/plain

FYI
--B
Content-Type: message/rfc822

From: b@example.test
Subject: Order 1234 / delayed?

Where is my order?
--B--
"""
    )
    (forwarded,) = mail.attachments
    assert forwarded.filename == "Order 1234 _ delayed_.eml"
    assert b"Where is my order?" in forwarded.data


def test_text_attachment_is_not_mixed_into_the_body(parse):
    mail = parse(
        """
From: a@example.test
Content-Type: multipart/mixed; boundary=B

--B
Content-Type: text/plain

See the log.
--B
Content-Type: text/plain; name=sync.log
Content-Disposition: attachment; filename=sync.log

ERROR 42
--B--
"""
    )
    assert mail.text == "See the log."
    assert [(a.filename, a.data) for a in mail.attachments] == [("sync.log", b"ERROR 42")]


def test_several_inline_text_parts_are_joined(parse):
    mail = parse(
        """
From: a@example.test
Content-Type: multipart/mixed; boundary=B

--B
Content-Type: text/plain

Before the photo.
--B
Content-Type: image/jpeg
Content-Disposition: inline

xx
--B
Content-Type: text/plain

After the photo.
--B--
"""
    )
    assert mail.text == "Before the photo.\n\nAfter the photo."
    assert mail.attachments[0].filename == "attachment-1.jpg"
    assert mail.attachments[0].inline


def test_attachment_over_the_limit_is_listed_without_its_data(parse):
    body = binascii.b2a_base64(b"x" * 3000).decode()
    mail = parse(
        f"""
From: a@example.test
Content-Type: multipart/mixed; boundary=B

--B
Content-Type: text/plain

Manual attached.
--B
Content-Type: application/pdf; name=manual.pdf
Content-Transfer-Encoding: base64

{body}--B--
""",
        max_attachment_bytes=1000,
    )
    (attachment,) = mail.attachments
    assert (attachment.filename, attachment.data) == ("manual.pdf", b"")
    assert attachment.dropped_reason == "too large (3 KB > 1000 bytes)"
    assert "attachment: manual.pdf dropped, too large (3 KB > 1000 bytes)" in mail.defects


def test_default_attachment_limit_comes_from_settings(settings, parse):
    settings.POSTROOM = {**settings.POSTROOM, "MAX_ATTACHMENT_BYTES": 10}
    mail = parse(
        """
From: a@example.test
Content-Type: application/octet-stream; name=blob.bin

0123456789ABCDEF
"""
    )
    assert mail.attachments[0].dropped_reason
    assert DEFAULT_MAX_ATTACHMENT_BYTES == 25 * 1024 * 1024


def test_uuencoded_file_in_the_body_becomes_an_attachment(parse):
    uu = "begin 644 notes.txt\n" + binascii.b2a_uu(b"hello uu world\n").decode() + "`\nend\n"
    mail = parse(f"From: a@example.test\n\nSee attached.\n\n{uu}\nThanks\n")
    assert mail.text == "See attached.\n\nThanks"
    assert [(a.filename, a.data) for a in mail.attachments] == [("notes.txt", b"hello uu world\n")]


def test_broken_uuencoded_block_stays_in_the_text(parse):
    mail = parse("From: a@example.test\n\nbegin 644 x.bin\n!!!!not uu at all\nend\n")
    assert "begin 644 x.bin" in mail.text
    assert mail.attachments == ()


def test_invalid_base64_is_repaired_and_noted(parse):
    mail = parse(
        """
From: a@example.test
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

SGFsbG8gV2VsdA!!
"""
    )
    assert mail.text == "Hallo Welt"
    assert "transfer: invalid base64 repaired" in mail.defects


def test_unknown_transfer_encoding_leaves_the_body_readable(parse):
    mail = parse("From: a@example.test\nContent-Transfer-Encoding: 7vladi\n\nplain words\n")
    assert mail.text == "plain words"
    assert "transfer: unknown encoding '7vladi' left as is" in mail.defects


def test_format_flowed_text_is_unwrapped(parse):
    mail = parse(
        "From: a@example.test\nContent-Type: text/plain; format=flowed\n\n"
        "This line is \nsoft wrapped.\n> quoted \n> too\n"
    )
    assert mail.text == "This line is soft wrapped.\n> quoted too"


def test_parts_without_boundaries_stay_in_the_text():
    mail = fixture_mail("missing_boundaries.eml")
    assert mail.text.startswith("Hi This is a broken message")
    assert mail.text.endswith("Hey")


def test_multipart_without_its_boundary_is_read_as_text(parse):
    mail = parse("From: a@example.test\nContent-Type: multipart/mixed\n\nHello anyway\n")
    assert mail.text == "Hello anyway"
    assert "mime: multipart without parts read as text" in mail.defects


def test_pgp_signed_mail_has_text_and_the_signature_as_attachment():
    mail = fixture_mail("pgp_signed.eml")
    assert mail.text.startswith("hi, thanks for looking into this")
    assert [a.filename for a in mail.attachments] == ["signature.asc"]


def test_smime_signed_mail_keeps_the_signature_file():
    mail = fixture_mail("smime_signed.eml")
    assert "smime.p7s" in [a.filename for a in mail.attachments]


def test_smime_encrypted_mail_is_one_attachment(parse):
    mail = parse(
        """
From: a@example.test
Content-Type: application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m
Content-Transfer-Encoding: base64
Content-Disposition: attachment; filename=smime.p7m

MIAGCSqGSIb3DQEHA6CAMIACAQAx
"""
    )
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("smime.p7m", "application/pkcs7-mime")
    ]
    assert mail.text == ""


def test_message_partial_is_kept_and_noted(parse):
    mail = parse(
        """
From: a@example.test
Content-Type: message/partial; id="abc@example.test"; number=1; total=2

Subject: part one

first half
"""
    )
    assert mail.attachments[0].content_type == "message/partial"
    assert "mime: message/partial fragment kept as attachment, not reassembled" in mail.defects


def test_multipart_digest_parts_default_to_messages(parse):
    mail = parse(
        """
From: list@example.test
Content-Type: multipart/digest; boundary=D

--D

From: one@example.test
Subject: first

one
--D

From: two@example.test
Subject: second

two
--D--
"""
    )
    assert [a.filename for a in mail.attachments] == ["first.eml", "second.eml"]


def test_mbox_from_line_and_leading_blank_lines_are_tolerated():
    data = b"\r\n\r\nFrom jane@customer.test Tue Jul  1 10:00:00 2025\r\nFrom: jane@customer.test\r\nSubject: hi\r\n\r\nbody\r\n"
    mail = parse_message(data)
    assert (mail.from_address, mail.subject, mail.text) == ("jane@customer.test", "hi", "body")


def test_missing_from_falls_back_to_sender_and_is_noted(parse):
    mail = parse("Sender: robot@example.test\nSubject: x\n\nbody\n")
    assert mail.from_address == "robot@example.test"
    mail = parse("Subject: x\n\nbody\n")
    assert mail.from_address == ""
    assert "header: From missing or unparseable" in mail.defects


def test_crlf_and_nul_characters_do_not_reach_the_text():
    mail = parse_message(b"From: a@example.test\r\n\r\nline one\r\nline\x00 two\r\n")
    assert mail.text == "line one\nline two"


def test_absurdly_nested_multiparts_stop_at_a_depth_limit():
    deep = "From: a@example.test\nContent-Type: multipart/mixed; boundary=b0\n\n"
    for level in range(200):
        deep += f"--b{level}\nContent-Type: multipart/mixed; boundary=b{level + 1}\n\n"
    mail = parse_message(raw_mail(deep + "--b200\nContent-Type: text/plain\n\ndeep\n"))
    assert any(d.startswith("mime: more than") for d in mail.defects)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   \r\n",
        b"\x00\xff" * 50,
        b"Subject: only headers",
        b"no colon line\r\n\r\nbody",
        b"\r\n\r\n\r\n",
    ],
)
def test_degenerate_input_gives_a_result_not_an_exception(data):
    mail = parse_message(data)
    assert isinstance(mail.subject, str)
    assert isinstance(mail.text, str)
    assert mail.defects


def test_non_bytes_input_is_accepted():
    assert parse_message(bytearray(b"Subject: hi\r\n\r\nx")).subject == "hi"
    assert parse_message(memoryview(b"Subject: hi\r\n\r\nx")).text == "x"


@pytest.mark.parametrize(
    "content_type",
    ["text/plain; charset*=''x-odd", 'text/plain; charset="utf\x00-8"', 'text/plain; charset=""'],
)
def test_broken_charset_parameters_do_not_stop_the_parse(content_type):
    data = f"From: a@example.test\r\nContent-Type: {content_type}\r\n\r\nGrüße\r\n".encode()
    mail = parse_message(data)
    assert mail.text == "Grüße"
    assert not [d for d in mail.defects if d.startswith("internal")]
