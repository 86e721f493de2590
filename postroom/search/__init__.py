"""Full-text search across tickets, their messages and customers (issue #4).

One search document per ticket, kept in an SQLite FTS5 table (the embedded default) or a
PostgreSQL tsvector column with a GIN index (at scale). Writes: `services`; reads:
`queries`; the query language: `syntax`.
"""
