"""Parse what an agent types into a safe search query: user input never becomes FTS5 or
tsquery syntax.

Supported: words (all must match), "quoted phrases", a trailing `*` for a prefix
(`firmw*`), and tokens that tokenizers split — references (PR-123), e-mail addresses,
versions (2.3.1), order numbers (SO-2024-00123) — which become phrases of their words.
Operators (AND, OR, NEAR, -, :, parentheses) are read as plain words or dropped.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from postroom.search.text import text_words

# Bounds that keep a pasted e-mail or a hostile string cheap to parse and to run.
MAX_QUERY_CHARS = 1000
MAX_TERMS = 16
MAX_WORDS_PER_TERM = 16

_CHUNK = re.compile(r'"([^"]*)"?|(\S+)')


@dataclass(frozen=True)
class SearchTerm:
    """One term of a query: its folded words, to match in order, the last maybe as a prefix."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: every term must match."""

    terms: tuple[SearchTerm, ...]

    def __bool__(self) -> bool:
        return bool(self.terms)

    def as_fts5(self) -> str:
        """Return the query in FTS5 syntax; every word is quoted, so nothing is an operator."""
        # Words are letters and digits only (text.WORD), so a quote cannot occur in them.
        return " ".join(
            '"' + " ".join(term.words) + '"' + ("*" if term.prefix else "") for term in self.terms
        )

    def as_tsquery(self) -> str:
        """Return the query in `to_tsquery` syntax: quoted lexemes joined by <-> and &."""
        parts = []
        for term in self.terms:
            lexemes = [f"'{word}'" for word in term.words]
            if term.prefix:
                lexemes[-1] += ":*"
            phrase = " <-> ".join(lexemes)
            parts.append(f"({phrase})" if len(lexemes) > 1 else phrase)
        return " & ".join(parts)


def search_query_parse(text: str) -> SearchQuery:
    """Return the query that *text* asks for; an empty one if it holds no words."""
    terms: list[SearchTerm] = []
    seen: set[SearchTerm] = set()
    for match in _CHUNK.finditer((text or "")[:MAX_QUERY_CHARS]):
        quoted, bare = match.group(1), match.group(2)
        chunk = quoted if quoted is not None else bare
        prefix = bare is not None and bare.endswith("*")
        words = tuple(text_words(chunk)[:MAX_WORDS_PER_TERM])
        if not words:
            continue
        term = SearchTerm(words=words, prefix=prefix)
        if term not in seen:
            seen.add(term)
            terms.append(term)
        if len(terms) == MAX_TERMS:
            break
    return SearchQuery(terms=tuple(terms))
