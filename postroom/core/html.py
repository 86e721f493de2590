"""Sanitise untrusted HTML (customer mail) with nh3 before anything shows it."""

from __future__ import annotations

import nh3

_ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "caption", "code", "col", "colgroup", "dd", "del",
    "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img",
    "ins", "kbd", "li", "ol", "p", "pre", "q", "s", "small", "span", "strike", "strong",
    "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
}
_ALLOWED_ATTRIBUTES = {
    "*": {"title", "lang", "dir", "align", "valign"},
    "a": {"href", "name"},
    "img": {"src", "alt", "width", "height"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan"},
    "font": {"color"},
}


def sanitize_html(html: str, *, remote_images: bool = True) -> str:
    """Return *html* with scripts, event handlers, styles and unsafe URLs removed.

    Links keep only http(s)/mailto and get rel="noopener noreferrer nofollow"; images keep
    only cid: (inline parts) and http(s) sources, which the desk blocks until asked.
    With `remote_images=False` (for display) images keep only cid: sources, so nothing
    shown can make the browser fetch anything.
    """
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "cid"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
        attribute_filter=None if remote_images else _inline_images_only,
    )


def _inline_images_only(element: str, attribute: str, value: str) -> str | None:
    """Drop an image source unless it names an inline part (cid:)."""
    # Tracking pixels: the desk's frame also carries a <meta> CSP, but Chromium applies a
    # srcdoc's <meta> policy too late for some images (tests/browser/test_admin_desk.py
    # saw a few of 46 http images fetched), so remote and relative sources never reach it.
    if element == "img" and attribute == "src" and not value.strip().lower().startswith("cid:"):
        return None
    return value
