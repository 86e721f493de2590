"""Turn HTML mail bodies into readable plain text with `inscriptis`.

The HTML itself is kept unchanged in ParsedMail.html; sanitising for display happens in
`postroom.core`, not here.
"""

from __future__ import annotations

import html as html_entities
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from inscriptis.model.config import ParserConfig
    from lxml.html import HtmlElement

MAX_HTML_CHARS = 1_000_000

_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TRAILING_SPACE = re.compile(r"[ \t\u00a0]+$", re.MULTILINE)
_BLANK_RUNS = re.compile(r"\n{3,}")
_TAG = re.compile(r"<[^>]*>")
_SCRIPT_STYLE = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
_BLOCK_END = re.compile(r"<(br|/p|/div|/tr|/li|/h[1-6])\b[^>]*>", re.IGNORECASE)

# Containers in which mail clients put the quoted previous message of a reply.
_QUOTE_XPATHS = (
    "//blockquote[@type='cite']",  # Apple Mail, Thunderbird
    "//div[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]",
    "//div[contains(@class, 'gmail_quote_container')]",
    "//div[@class='moz-cite-prefix']",  # Thunderbird's "On … wrote:" line
    "//div[contains(@class, 'yahoo_quoted')]",
    "//div[@id='mail-editor-reference-message-container']",  # Outlook on the web (new)
)
# Markers after which Outlook puts the previous message; they and what follows go.
_CUT_FROM_XPATHS = ("//*[@id='divRplyFwdMsg']", "//*[@id='appendonsend']")

_config: ParserConfig | None = None


def _parser_config() -> ParserConfig:
    """Return the shared inscriptis configuration (strict CSS: no decorative indents)."""
    global _config
    if _config is None:
        from inscriptis.css_profiles import CSS_PROFILES
        from inscriptis.model.config import ParserConfig

        _config = ParserConfig(css=CSS_PROFILES["strict"].copy(), display_links=False)
    return _config


def _prepare(html: str) -> str:
    """Return *html* bounded in size and without what lxml refuses (declarations, controls)."""
    html = html[:MAX_HTML_CHARS]
    html = _XML_DECLARATION.sub("", html, count=1)
    return _CONTROL.sub("", html)


def _tidy(text: str) -> str:
    """Return *text* without trailing spaces and with at most one blank line in a row."""
    text = _TRAILING_SPACE.sub("", text.replace("\r\n", "\n").replace("\u00a0", " "))
    return _BLANK_RUNS.sub("\n\n", text).strip()


def _crude_text(html: str) -> str:
    """Return text from *html* with tags stripped; the fallback when lxml gives up."""
    html = _SCRIPT_STYLE.sub(" ", html)
    html = _BLOCK_END.sub("\n", html)
    return _tidy(html_entities.unescape(_TAG.sub("", html)))


def _render(tree: HtmlElement) -> str:
    """Return the text inscriptis renders for a parsed HTML tree."""
    from inscriptis.html_engine import Inscriptis

    return _tidy(Inscriptis(tree, _parser_config()).get_text())


def _tree(html: str) -> HtmlElement | None:
    """Return the lxml tree of *html*, or None when there is no markup at all."""
    from lxml.html import document_fromstring

    if not html.strip():
        return None
    return document_fromstring(html)


def html_to_text(html: str) -> str:
    """Return the readable text of an HTML body; never raises."""
    prepared = _prepare(html)
    try:
        tree = _tree(prepared)
        return _render(tree) if tree is not None else ""
    except Exception:  # lxml/inscriptis edge cases; strip tags instead
        return _crude_text(prepared)


def html_reply_to_text(html: str) -> str:
    """Return the text of an HTML body without the quoted message containers of replies.

    Returns "" when nothing would be left (the caller then uses the full text).
    """
    prepared = _prepare(html)
    try:
        tree = _tree(prepared)
        if tree is None:
            return ""
        removed = False
        for xpath in _CUT_FROM_XPATHS:
            for marker in tree.xpath(xpath)[:1]:
                for sibling in list(marker.itersiblings()):
                    sibling.drop_tree()
                marker.drop_tree()
                removed = True
        for xpath in _QUOTE_XPATHS:
            for element in tree.xpath(xpath):
                if element.getparent() is not None:
                    element.drop_tree()
                    removed = True
        if not removed:
            return ""
        return _render(tree)
    except Exception:  # fall back to the full text
        return ""
