"""Header fields decode: encoded words, parameters, addresses, Message-IDs and dates."""

from __future__ import annotations

import datetime as dt

from postroom.mail.parsing.headers import (
    content_type,
    decode_header,
    decode_words,
    parse_addresses,
    parse_date,
    parse_message_ids,
    parse_parameters,
)
from tests.mail.parsing.conftest import fixture_mail


def test_rfc2047_subject_in_two_charsets_is_decoded():
    assert (
        decode_header("=?utf-8?q?Gr=C3=BC=C3=9Fe?= =?iso-8859-1?q?_aus_K=F6ln?=")
        == "Grüße aus Köln"
    )


def test_whitespace_between_encoded_words_is_dropped():
    # RFC 2047 §6.2
    assert decode_words("=?utf-8?b?SGVs?= \r\n =?utf-8?b?bG8=?=") == "Hello"


def test_character_split_across_two_encoded_words_survives():
    encoded = "ü".encode()
    first = "=?utf-8?q?=" + f"{encoded[0]:02X}" + "?="
    second = "=?utf-8?q?=" + f"{encoded[1]:02X}" + "?="
    assert decode_words(f"{first} {second}") == "ü"


def test_encoded_word_without_padding_or_with_spaces_still_decodes():
    assert decode_words("=?UTF-8?B?SGFsbG8gV2VsdA?=") == "Hallo Welt"
    assert decode_words("=?iso-8859-1?q?this is some text?=") == "this is some text"


def test_encoded_word_in_unknown_charset_does_not_fail():
    assert decode_words("=?x-klingon?q?hello?=") == "hello"


def test_raw_utf8_header_is_decoded(parse):
    mail = parse("From: José <jose@example.test>\nSubject: Ärger mit dem Akku\n\nx\n")
    assert mail.subject == "Ärger mit dem Akku"
    assert mail.from_name == "José"


def test_broken_encoded_headers_give_text_not_errors():
    mail = fixture_mail("broken_encoded_headers.eml")
    assert mail.from_address == "headers@gmail.com"
    assert mail.from_name.startswith("Юникод")
    assert isinstance(mail.subject, str)


def test_folded_subject_is_unfolded_and_tabs_collapsed():
    assert decode_header("Re: TEST\r\n\tテスト") == "Re: TEST テスト"


def test_rfc2231_continued_filename_is_joined_and_decoded():
    _value, params = parse_parameters(
        "attachment;\r\n\tfilename*0*=utf-8''%E3%81%8B%E3%81%8D;\r\n\tfilename*1*=%E3%81%8F.txt"
    )
    assert params["filename"] == "かきく.txt"


def test_rfc2231_value_wins_over_the_plain_one():
    _value, params = parse_parameters(
        "attachment; filename=\"fallback.txt\"; filename*=iso-8859-1''caf%E9.txt"
    )
    assert params["filename"] == "café.txt"


def test_quoted_parameter_keeps_semicolons_and_escapes():
    _value, params = parse_parameters('attachment; filename="a;b \\"c\\".txt"')
    assert params["filename"] == 'a;b "c".txt'


def test_content_type_without_semicolon_before_charset_is_read():
    ctype, params, valid = content_type("text/plain charset=utf-8")
    assert (ctype, params["charset"], valid) == ("text/plain", "utf-8", True)


def test_invalid_content_type_means_text_plain():
    # RFC 2045 §5.2
    assert content_type("garbage")[0] == "text/plain"
    assert content_type("garbage")[2] is False


def test_addresses_are_lower_cased_with_display_names():
    mailboxes, clean = parse_addresses('"Doe, Jane" <Jane.Doe@Example.TEST>, bob@EXAMPLE.test')
    assert [(m.name, m.address) for m in mailboxes] == [
        ("Doe, Jane", "jane.doe@example.test"),
        ("", "bob@example.test"),
    ]
    assert clean


def test_encoded_display_name_with_a_comma_stays_one_address():
    mail = fixture_mail("encoded_display_name_with_comma.eml")
    assert (mail.from_name, mail.from_address) == ("Foo, Bar", "foo.bar@example.com")


def test_group_syntax_is_flattened_and_empty_groups_are_fine():
    mailboxes, clean = parse_addresses("undisclosed-recipients:;")
    assert (mailboxes, clean) == ([], True)
    mailboxes, _clean = parse_addresses("Team: a@example.test, b@example.test;")
    assert [m.address for m in mailboxes] == ["a@example.test", "b@example.test"]


def test_unparseable_address_header_still_yields_the_address():
    mailboxes, clean = parse_addresses("Jane Doe jane@example.test (via web")
    assert [m.address for m in mailboxes] == ["jane@example.test"]


def test_message_ids_are_stored_without_brackets():
    assert parse_message_ids("<a@example.test>\r\n <b@example.test> <a@example.test>") == (
        "a@example.test",
        "b@example.test",
    )


def test_message_id_without_brackets_is_accepted():
    assert parse_message_ids("abc@example.test") == ("abc@example.test",)
    assert parse_message_ids("") == ()


def test_very_long_references_keep_the_root_and_the_newest():
    ids = " ".join(f"<m{i}@example.test>" for i in range(500))
    parsed = parse_message_ids(ids)
    assert len(parsed) == 100
    assert parsed[0] == "m0@example.test"
    assert parsed[-1] == "m499@example.test"


def test_threading_headers_reach_the_parsed_mail(parse):
    mail = parse(
        "Message-ID: <new@example.test>\nIn-Reply-To: <old@example.test>\n"
        "References: <root@example.test>\n <old@example.test>\n\nx\n"
    )
    assert mail.message_id == "new@example.test"
    assert mail.in_reply_to == ("old@example.test",)
    assert mail.references == ("root@example.test", "old@example.test")


def test_date_becomes_an_aware_datetime():
    assert parse_date("Tue, 1 Jul 2025 10:00:00 +0200") == dt.datetime(
        2025, 7, 1, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=2))
    )


def test_date_without_zone_is_read_as_utc():
    assert parse_date("Tue, 1 Jul 2025 10:00:00 -0000").tzinfo == dt.UTC
    assert parse_date("1 Jul 2025 10:00:00").utcoffset() == dt.timedelta(0)


def test_date_with_dotted_time_and_comment_is_read():
    assert parse_date("Mon, 3 Mar 2008 12.30.00 +0100 (CET)") == dt.datetime(
        2008, 3, 3, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=1))
    )


def test_nonsense_date_is_none_and_noted():
    assert parse_date("yesterday-ish") is None
    assert parse_date("Mon, 3 Mar 1066 12:00:00 +0000") is None
    mail = fixture_mail("bad_date_header.eml")
    assert mail.date is None
    assert "header: Date unparseable" in mail.defects


def test_headers_mapping_is_decoded_and_keeps_repeats_in_order(parse):
    mail = parse("Received: one\nReceived: two\nX-Note: =?utf-8?q?caf=C3=A9?=\n\nx\n")
    assert mail.headers["received"] == ("one", "two")
    assert mail.header("X-NOTE") == "café"
    assert mail.header("missing", "-") == "-"


def test_nul_bytes_never_reach_header_values(parse):
    mail = parse("Subject: a\x00b\n\nx\n")
    assert mail.subject == "ab"


def test_date_with_an_impossible_offset_is_kept_as_its_utc_instant():
    import datetime as dt

    from postroom.mail.parsing.headers import parse_date

    parsed = parse_date("Wed, 21 Aug 2002 20:31:57 -1600")
    assert parsed == dt.datetime(2002, 8, 22, 12, 31, 57, tzinfo=dt.UTC)
    assert parsed.utcoffset() == dt.timedelta(0)
