"""The query language: user input never becomes FTS5 or tsquery syntax."""

from __future__ import annotations

from postroom.search.syntax import MAX_TERMS, SearchTerm, search_query_parse


def test_words_become_quoted_terms():
    query = search_query_parse("battery drains")
    assert query.as_fts5() == '"battery" "drains"'
    assert query.as_tsquery() == "'battery' & 'drains'"


def test_split_tokens_become_phrases():
    query = search_query_parse("PR-123 anna@customer.example 2.3.1 SO-2024-00123")
    assert query.terms == (
        SearchTerm(words=("pr", "123")),
        SearchTerm(words=("anna", "customer", "example")),
        SearchTerm(words=("2", "3", "1")),
        SearchTerm(words=("so", "2024", "00123")),
    )
    assert query.as_tsquery().startswith("('pr' <-> '123') & ")


def test_quoted_phrase_and_prefix():
    query = search_query_parse('"does not sync" firmw*')
    assert query.as_fts5() == '"does not sync" "firmw"*'
    assert query.as_tsquery() == "('does' <-> 'not' <-> 'sync') & 'firmw':*"


def test_accents_are_folded():
    assert search_query_parse("Café Ünïcödé").terms == (
        SearchTerm(words=("cafe",)), SearchTerm(words=("unicode",))
    )


def test_operators_are_plain_words_or_dropped():
    query = search_query_parse('NEAR( a OR b ) - : " \' ); DROP TABLE x; --')
    for term in query.terms:
        assert all(word.isalnum() for word in term.words)
    assert '"near"' in query.as_fts5()


def test_punctuation_only_is_empty():
    assert not search_query_parse(" \"\" * - : ()' ")
    assert not search_query_parse("")


def test_long_input_is_bounded():
    query = search_query_parse("word " * 10_000)
    assert len(query.terms) == 1
    query = search_query_parse(" ".join(f"w{i}" for i in range(1000)))
    assert len(query.terms) == MAX_TERMS
