"""Unwrap text/plain; format=flowed bodies (RFC 3676)."""

from __future__ import annotations

SIGNATURE_SEPARATOR = "-- "


def unflow(text: str, *, delsp: bool = False) -> str:
    """Return *text* with RFC 3676 soft line breaks joined into paragraphs.

    Quote depth is kept as a ">" prefix; space-stuffing (§4.4) is removed; with DelSp=yes
    (§4.2) the trailing space of a flowed line is deleted when joining.
    """
    out: list[str] = []
    paragraph: list[str] = []
    paragraph_depth = 0

    def flush() -> None:
        """Write the paragraph collected so far as one line."""
        if paragraph:
            prefix = ">" * paragraph_depth + (" " if paragraph_depth else "")
            out.append(prefix + "".join(paragraph))
            paragraph.clear()

    for line in text.split("\n"):
        line = line.removesuffix("\r")
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]  # §4.4 space-stuffing, or the space after ">"
        # §4.3: the signature separator "-- " is never flowed.
        flowed = content.endswith(" ") and content != SIGNATURE_SEPARATOR
        if paragraph and depth != paragraph_depth:
            flush()  # §4.5: a change of quote depth ends a paragraph
        paragraph_depth = depth
        paragraph.append(content[:-1] if flowed and delsp else content)
        if not flowed:
            flush()
    flush()
    return "\n".join(out)
