"""Searching tickets, on the database the suite runs on (SQLite or PostgreSQL)."""

from __future__ import annotations

import pytest

from postroom.search.queries import tickets_search
from postroom.search.services import search_document_refresh, search_rebuild

pytestmark = pytest.mark.django_db(transaction=False)


def ids(query: str, **kwargs) -> list[int]:
    return tickets_search(query=query, **kwargs).ticket_ids


def test_a_word_from_a_customer_message_finds_the_ticket(make_ticket):
    ticket = make_ticket(text="My watch stopped syncing after the update.")
    make_ticket(text="Please send an invoice.")
    assert ids("syncing") == [ticket.pk]


def test_accents_are_ignored(make_ticket):
    ticket = make_ticket(text="La montre ne se synchronise plus depuis la mise à jour, très déçu.")
    assert ids("decu") == [ticket.pk]
    assert ids("DÉÇU") == [ticket.pk]
    assert ids("tres") == [ticket.pk]


def test_a_reference_finds_that_ticket(make_ticket, settings):
    tickets = [make_ticket(text="hello") for _ in range(3)]
    prefix = settings.POSTROOM["TICKET_PREFIX"]
    target = tickets[1]
    assert ids(f"{prefix}-{target.pk}") == [target.pk]
    assert ids(f"{prefix.lower()}-{target.pk}") == [target.pk]
    assert ids(str(target.pk))[0] == target.pk


def test_an_email_address_finds_the_customers_tickets(make_ticket, queues):
    from postroom.accounts.models import Customer, CustomerAddress

    bob = Customer.objects.create(name="Bob Stone")
    CustomerAddress.objects.create(customer=bob, address="bob.stone@example.org")
    first = make_ticket(text="one", customer_=bob)
    second = make_ticket(text="two", customer_=bob)
    make_ticket(text="three")
    assert sorted(ids("bob.stone@example.org")) == sorted([first.pk, second.pk])
    assert sorted(ids("Bob Stone")) == sorted([first.pk, second.pk])


def test_a_version_and_an_order_number_from_facts_are_found(make_ticket):
    ticket = make_ticket(
        text="it broke",
        facts={"firmware_version": ["2.3.1"], "order_number": ["SO-2024-00123"]},
    )
    make_ticket(text="version 2.3.2 and 1.3.1 and order SO-2024-00124")
    assert ids("2.3.1") == [ticket.pk]
    assert ids("SO-2024-00123") == [ticket.pk]
    assert ids("so-2024-00123 2.3.1") == [ticket.pk]


def test_a_notes_text_is_found(make_ticket):
    from postroom.tickets.models import Direction, Message

    ticket = make_ticket(text="the strap broke")
    Message.objects.create(ticket=ticket, direction=Direction.NOTE, body_text="Escalated to Hardwareteam")
    search_document_refresh(ticket_ids=[ticket.pk])
    assert ids("hardwareteam") == [ticket.pk]


def test_automatic_messages_are_not_indexed(make_ticket):
    from postroom.tickets.models import Direction, Message

    ticket = make_ticket(text="the strap broke")
    Message.objects.create(ticket=ticket, direction=Direction.AUTO, body_text="We received your request")
    search_document_refresh(ticket_ids=[ticket.pk])
    assert ids("received") == []


def test_quoted_history_of_a_customer_message_is_not_indexed(make_ticket):
    from postroom.tickets.models import Direction, Message

    ticket = make_ticket(text="first")
    Message.objects.create(ticket=ticket, direction=Direction.INBOUND, visible_text="thanks",
                           body_text="thanks\n> an old quoted zebra")
    search_document_refresh(ticket_ids=[ticket.pk])
    assert ids("thanks") == [ticket.pk]
    assert ids("zebra") == []


def test_the_queryset_restriction_hides_tickets_of_other_queues(make_ticket):
    from postroom.tickets.models import Ticket

    support = make_ticket(text="refund please", queue="support")
    billing = make_ticket(text="refund please", queue="billing")
    assert sorted(ids("refund")) == sorted([support.pk, billing.pk])
    assert ids("refund", queryset=Ticket.objects.filter(queue__slug="billing")) == [billing.pk]
    assert ids("refund", queryset=Ticket.objects.none()) == []


def test_a_user_sees_only_their_queues_tickets(make_ticket, queues, django_user_model):
    agent = django_user_model.objects.create_user("agent", password="x", is_staff=True)  # a desk agent
    queues["billing"].members.add(agent)
    make_ticket(text="refund please", queue="support")
    billing = make_ticket(text="refund please", queue="billing")
    assert ids("refund", user=agent) == [billing.pk]


@pytest.mark.parametrize(
    "query",
    ['"', "*", "NEAR(", "-", ":", "'); DROP TABLE tickets_ticket; --", "a" * 100_000,
     "x " * 5000, '"unterminated phrase', "^ ~ & | ! <-> :* \\", "OR AND NOT", "((((", "\x00\x01",
     "col:word", "-word", "+", "'", "*word*", "NEAR(a b, 3)", "😀 🙃", "", "   "],
)
def test_hostile_input_never_raises(make_ticket, query):
    make_ticket(text="ordinary words")
    page = tickets_search(query=query)
    assert isinstance(page.ticket_ids, list)


def test_punctuation_only_queries_find_nothing(make_ticket):
    make_ticket(text="- : * !")
    assert ids("- : * !") == []


def test_refresh_after_a_new_message_makes_it_findable(make_ticket):
    from postroom.tickets.models import Direction, Message

    ticket = make_ticket(text="hello")
    Message.objects.create(ticket=ticket, direction=Direction.OUTBOUND, body_text="Try a factory reset")
    assert ids("factory reset") == []
    search_document_refresh(ticket_ids=[ticket.pk])
    assert ids("factory reset") == [ticket.pk]
    assert ids('"factory reset"') == [ticket.pk]
    assert ids('"reset factory"') == []


def test_refresh_later_indexes_the_ticket_after_commit(make_ticket, django_capture_on_commit_callbacks):
    from postroom.search.services import search_document_refresh_later

    ticket = make_ticket(text="kangaroo", index=False)
    with django_capture_on_commit_callbacks(execute=True):
        search_document_refresh_later(ticket_ids=[ticket.pk])
        assert ids("kangaroo") == []
    assert ids("kangaroo") == [ticket.pk]


def test_a_deleted_ticket_is_no_longer_found(make_ticket):
    from postroom.tickets.models import Ticket

    ticket = make_ticket(text="ephemeral")
    pk = ticket.pk
    Ticket.objects.filter(pk=pk).delete()
    assert ids("ephemeral") == []
    assert search_document_refresh(ticket_ids=[pk]) == 0


def test_prefix_finds_words_that_start_with_it(make_ticket):
    ticket = make_ticket(text="firmware update failed")
    assert ids("firmw*") == [ticket.pk]
    assert ids("firmw") == []


def test_a_hit_in_the_subject_ranks_above_one_in_a_message(make_ticket):
    body = make_ticket(subject="Question", text="my battery is weak")
    subject = make_ticket(subject="Battery", text="see subject")
    assert ids("battery") == [subject.pk, body.pk]


def test_keyset_pagination_returns_disjoint_pages(make_ticket):
    created = {make_ticket(text=f"widget {'widget ' * (i % 4)} number {i}").pk for i in range(23)}
    seen: list[int] = []
    after = None
    pages = 0
    while True:
        page = tickets_search(query="widget", limit=5, after=after)
        seen += page.ticket_ids
        pages += 1
        if page.after is None:
            break
        after = page.after
    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert set(seen) == created


def test_snippets_mark_the_matched_words(make_ticket):
    make_ticket(text="The <b>strap</b> snapped off")
    page = tickets_search(query="strap", snippets=True)
    assert "<mark>strap</mark>" in page.hits[0].snippet_html
    assert "&lt;b&gt;" in page.hits[0].snippet_html
    assert "<b>" not in page.hits[0].snippet_html


def test_snippets_are_only_made_when_asked_for(make_ticket):
    make_ticket(text="The strap snapped off")
    assert tickets_search(query="strap").hits[0].snippet_html == ""


def test_rebuild_indexes_every_ticket(make_ticket):
    tickets = [make_ticket(text=f"llama {i}", index=False) for i in range(3)]
    assert ids("llama") == []
    calls: list[int] = []
    assert search_rebuild(progress=calls.append) == 3
    assert sum(calls) == 3
    assert sorted(ids("llama")) == sorted(t.pk for t in tickets)


def test_the_rebuild_command_reports_the_count(make_ticket):
    from io import StringIO

    from django.core.management import call_command

    make_ticket(text="alpaca", index=False)
    out = StringIO()
    call_command("search", "rebuild", verbosity=0, stdout=out)
    assert "Indexed 1 tickets." in out.getvalue()
    assert len(ids("alpaca")) == 1


def test_a_long_thread_is_capped(make_ticket):
    from postroom.search.documents import MAX_BODY_CHARS, ticket_documents

    ticket = make_ticket(text="start " + "filler " * (MAX_BODY_CHARS // 7 + 10) + "needle")
    (document,) = ticket_documents(ticket_ids=[ticket.pk])
    assert len(document.body) <= MAX_BODY_CHARS
    assert ids("start") == [ticket.pk]
    assert ids("needle") == []


def test_later_pages_stay_within_the_queryset(make_ticket):
    from postroom.tickets.models import Ticket

    billing = {make_ticket(text=f"gadget {i}", queue="billing").pk for i in range(6)}
    for i in range(6):
        make_ticket(text=f"gadget {i}", queue="support")
    scope = Ticket.objects.filter(queue__slug="billing")
    first = tickets_search(query="gadget", queryset=scope, limit=4)
    second = tickets_search(query="gadget", queryset=scope, limit=4, after=first.after)
    assert set(first.ticket_ids + second.ticket_ids) == billing
    assert second.after is None


def test_mail_imported_and_delivered_is_findable_from_the_desk(mailboxes, tmp_path,
                                                               django_capture_on_commit_callbacks):
    from django.core.management import call_command

    from postroom.search.queries import tickets_search
    from tests.mail.builders import build_mail, deliver

    with django_capture_on_commit_callbacks(execute=True):  # the refresh job runs after commit
        live = deliver(build_mail(subject="Strap broke", body="The magnetic clasp snapped off."))
    (tmp_path / "old.eml").write_bytes(build_mail(subject="Old one", body="Bluetooth pairing loops forever."))
    call_command("mail", "import", str(tmp_path), "--json", stdout=__import__("io").StringIO())
    assert list(tickets_search(query="clasp").ticket_ids) == [live.ticket_id]
    assert len(tickets_search(query="pairing loops").ticket_ids) == 1


# --- PostgreSQL: the newest matches are ranked, found the cheapest way ---------------------

@pytest.fixture
def postgresql(connection_vendor):
    if connection_vendor != "postgresql":
        pytest.skip("PostgreSQL's search: run with POSTROOM_TEST_DATABASE_URL")


@pytest.mark.parametrize(
    ("matching", "scoped", "way"),
    [
        (60_000, 66_000, "walk"),  # "card" among an agent's tickets: the newest thousand are near
        (5_000, 66_000, "matches"),  # a word in one ticket of twenty: the GIN index
        (200, 66_000, "matches"),
        (60_000, 1_400, "scope"),  # open, high priority: look its tickets up
        (14_000, 5_300, "scope"),
        (1_000, 5_300, "matches"),
    ],
)
def test_the_cheapest_way_to_the_newest_matches_is_chosen(matching, scoped, way):
    from postroom.search.queries import _search_way

    assert _search_way(documents=100_000, matching=matching, scoped=scoped) == way


def test_words_found_together_more_than_the_planner_expects_are_walked():
    from postroom.search.queries import _search_way

    # "top up": the planner expects 11 % (11 % of "top" × "up"), the rarer word is in 30 %.
    assert _search_way(documents=100_000, matching=11_000, scoped=66_000) == "matches"
    assert _search_way(documents=100_000, matching=11_000, scoped=66_000, matching_most=30_000) == "walk"


def test_without_statistics_the_index_is_used():
    from postroom.search.queries import _search_way

    assert _search_way(documents=-1, matching=0, scoped=0) == "matches"


@pytest.mark.parametrize("way", ["walk", "matches", "scope"])
def test_every_way_finds_the_same_tickets_in_the_same_order(postgresql, make_ticket, monkeypatch, way):
    from postroom.search import queries
    from postroom.tickets.models import Ticket

    billing = [make_ticket(text=f"gadget {'gadget ' * (i % 3)}{i}", queue="billing").pk for i in range(9)]
    support = [make_ticket(text=f"gadget {i}", queue="support").pk for i in range(4)]
    make_ticket(text="nothing to see", queue="billing")
    monkeypatch.setattr(queries, "_search_way", lambda **_: "matches")
    expected = ids("gadget", limit=50)
    monkeypatch.setattr(queries, "_search_way", lambda **_: way)
    assert ids("gadget", limit=50) == expected
    assert sorted(expected) == sorted(billing + support)
    scope = Ticket.objects.filter(queue__slug="billing")
    seen: list[int] = []
    after = None
    while True:
        page = tickets_search(query="gadget", queryset=scope, limit=4, after=after)
        seen += page.ticket_ids
        if page.after is None:
            break
        after = page.after
    assert len(seen) == len(set(seen)) and sorted(seen) == sorted(billing)


def test_only_the_newest_matches_are_ranked(make_ticket, monkeypatch):
    # Both databases: a word matching most tickets ranks only the newest PG_RANKED_MAX.
    from postroom.search import queries

    older_but_better = make_ticket(subject="Battery", text="battery battery battery")
    newer = [make_ticket(text=f"my battery {i}") for i in range(3)]
    assert ids("battery")[0] == older_but_better.pk
    monkeypatch.setattr(queries, "PG_RANKED_MAX", 3)
    assert sorted(ids("battery")) == sorted(t.pk for t in newer)
    first = tickets_search(query="battery", limit=2)
    assert first.ticket_ids + ids("battery", after=first.after) == ids("battery")


def test_the_choice_reads_the_statistics_of_an_analysed_table(postgresql, make_ticket,
                                                              django_assert_max_num_queries):
    from django.db import connection

    tickets = [make_ticket(text=f"common word {i}") for i in range(30)]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE search_ticketdocument")
        cursor.execute("ANALYZE tickets_ticket")
    # reltuples, two estimates, the search; the snippets' messages.
    with django_assert_max_num_queries(5):
        page = tickets_search(query="common", limit=10, snippets=True)
    assert len(page.hits) == 10 and all("<mark>common</mark>" in hit.snippet_html for hit in page.hits)
    assert set(ids("common", limit=50)) == {t.pk for t in tickets}


def test_a_search_page_runs_the_same_queries_whatever_its_size(make_ticket):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for i in range(30):
        make_ticket(text=f"lantern {i}")
    counts = []
    for limit in (5, 25):
        with CaptureQueriesContext(connection) as ctx:
            assert len(tickets_search(query="lantern", limit=limit, snippets=True).hits) == limit
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1]


# --- snippets made in Python (PostgreSQL keeps no text to make them from) ---------------------


def snippet(query: str, text: str) -> str:
    from postroom.search.queries import snippet_html
    from postroom.search.syntax import search_query_parse

    return snippet_html(search_query_parse(query), text)


def test_a_snippet_marks_the_words_around_the_best_match():
    text = (
        "Hello there. I was charged twice for my subscription this month, please refund. The "
        "battery drains overnight even when the screen is off and the app crashes. More words "
        "here to see the end."
    )
    assert snippet("battery", text) == (
        "…The <mark>battery</mark> drains overnight even when the screen is off and the app "
        "crashes. More words…"
    )
    phrase = snippet('"charged twice"', text)
    assert phrase.startswith("…I was <mark>charged</mark> <mark>twice</mark> for my")
    # The window holding both words wins over one holding only the first.
    both = snippet("refund battery", text)
    assert "<mark>refund</mark>" in both and "<mark>battery</mark>" in both
    assert "<mark>subscription</mark>" in snippet("sub*", text)


def test_a_snippet_without_a_match_shows_the_start():
    assert snippet("zebra", "one two three") == "one two three"
    assert snippet("zebra", " ".join(f"w{i}" for i in range(40))).endswith("w15…")


def test_a_snippet_escapes_the_text_and_matches_folded_words():
    decomposed = "tre\u0300s de\u0301c\u0327u <script>&"
    assert snippet("decu", decomposed) == "très <mark>déçu</mark> &lt;script&gt;&amp;"
    assert snippet("anna", "anna@customer.example wrote") == "<mark>anna</mark>@customer.example wrote"
    assert snippet("x", "") == ""


def test_a_snippet_shortens_long_words_and_long_punctuation():
    text = "strap " + "=" * 500 + " " + "A" * 500
    shown = snippet("strap", text)
    assert shown.startswith("<mark>strap</mark> ====") and len(shown) < 100


def test_ticket_bodies_are_the_indexed_text_cut_short(make_ticket, django_assert_num_queries):
    from postroom.search.documents import ticket_bodies
    from postroom.tickets.models import Direction, Message

    ticket = make_ticket(subject="Strap", text="the strap broke")
    Message.objects.create(ticket=ticket, direction=Direction.AUTO, body_text="We received your request")
    Message.objects.create(ticket=ticket, direction=Direction.OUTBOUND, body_text="Sorry " * 100)
    with django_assert_num_queries(1):
        bodies = ticket_bodies(ticket_ids=[ticket.pk, ticket.pk + 1000], max_chars=60)
    assert list(bodies) == [ticket.pk]
    assert bodies[ticket.pk].startswith("Strap\nAnna Berg anna@customer.example\nthe strap broke")
    assert "received" not in bodies[ticket.pk] and len(bodies[ticket.pk]) <= 61


def test_every_way_of_scoring_on_sqlite_finds_the_same_tickets(make_ticket, monkeypatch):
    # SQLite scores from the newest matches' floor, or all of a few matches, or (when the
    # scope holds too few of the newest matches) every match in SQL: the answers agree.
    from django.db import connection

    from postroom.search import queries

    if connection.vendor != "sqlite":
        pytest.skip("SQLite's search")
    tickets = [make_ticket(text=f"battery {'battery ' * (i % 3)}{i}") for i in range(8)]
    expected = ids("battery", limit=50)
    assert sorted(expected) == sorted(t.pk for t in tickets)
    monkeypatch.setattr(queries, "_FLOOR_CHUNK", 2)
    monkeypatch.setattr(queries, "_FLOOR_CHUNKS", 1)  # the walk gives up: SQL scores all
    assert ids("battery", limit=50) == expected
    first = tickets_search(query="battery", limit=3)
    assert first.ticket_ids + ids("battery", after=first.after, limit=50) == expected
