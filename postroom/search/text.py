"""Fold text the same way on both databases: lower case, no accents, words only.

SQLite's FTS5 `unicode61 remove_diacritics 2` tokenizer does this itself; PostgreSQL's
parser does not (it keeps e-mail addresses, hosts and versions as single lexemes and
needs the `unaccent` extension for accents), so the PostgreSQL document and every query
are folded here first. One folding for both keeps "PR-123", "2.3.1" and
"anna@customer.example" findable the same way everywhere: as phrases of their words.
"""

from __future__ import annotations

import re
import unicodedata

# A word is a run of letters and digits; everything else (including "_") separates words,
# as in FTS5's unicode61 tokenizer.
WORD = re.compile(r"[^\W_]+")


def text_fold(text: str) -> str:
    """Return *text* lower-cased, without diacritics (é → e), its words joined by spaces."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(WORD.findall(plain))


def text_words(text: str) -> list[str]:
    """Return the folded words of *text*."""
    return text_fold(text).split()
