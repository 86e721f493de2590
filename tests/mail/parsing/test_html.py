"""HTML bodies get readable text; the HTML itself is kept as received."""

from __future__ import annotations

from postroom.mail.parsing import parse_message
from postroom.mail.parsing.html import html_reply_to_text, html_to_text
from tests.mail.parsing.conftest import fixture_mail, parse_text


def test_html_only_mail_gets_readable_text():
    mail = fixture_mail("html_only_latin1.eml")
    assert mail.html.lstrip().lower().startswith("<html")
    assert mail.text and "<" not in mail.text.split("\n")[0]
    assert mail.extra["text_source"] == "html"


def test_html_text_keeps_paragraphs_lists_and_tables():
    text = html_to_text(
        "<p>Hello <b>there</b></p><ul><li>one</li><li>two</li></ul>"
        "<table><tr><td>a</td><td>b</td></tr></table><script>alert(1)</script>"
    )
    assert text.startswith("Hello there")
    assert "* one" in text and "* two" in text
    assert "a  b" in text
    assert "alert" not in text


def test_html_with_xml_declaration_and_control_characters_converts():
    html = '<?xml version="1.0" encoding="utf-8"?><html><body>ok\x00\x0b done</body></html>'
    assert html_to_text(html) == "ok done"


def test_broken_html_still_gives_text():
    assert "text" in html_to_text("<div><p>text<td></b></table>")
    assert html_to_text("") == ""


def test_quoted_reply_containers_are_left_out_of_the_reply_text():
    html = (
        '<div dir="ltr">Thanks, that worked.</div><br>'
        '<div class="gmail_quote"><div class="gmail_attr">On Mon, Bob wrote:</div>'
        "<blockquote>old question</blockquote></div>"
    )
    assert html_reply_to_text(html) == "Thanks, that worked."


def test_html_reply_text_is_empty_when_nothing_was_quoted():
    assert html_reply_to_text("<p>just text</p>") == ""


def test_html_only_reply_gets_a_visible_text_without_the_quote():
    mail = parse_text(
        """
From: a@example.test
Content-Type: text/html; charset=utf-8

<p>New battery arrived, all good.</p>
<blockquote type="cite">On 1 May 2025, support@example.test wrote:<br>Did it arrive?</blockquote>
"""
    )
    assert mail.visible_text == "New battery arrived, all good."
    assert "Did it arrive?" in mail.text


def test_html_charset_from_meta_tag_is_used():
    data = (
        b"From: a@example.test\r\nContent-Type: text/html\r\n\r\n"
        b'<meta charset="windows-1251"><p>' + "Привет".encode("cp1251") + b"</p>\r\n"
    )
    mail = parse_message(data)
    assert mail.text == "Привет"
