"""The desk's inbox (issue #4): views and counts, filters, saved views, sorts with keyset
pages, bulk actions and search, always limited to the queues the agent works in."""

from __future__ import annotations

import base64
import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from postroom.core import clock
from postroom.desk.inbox import _snippet_parts
from postroom.desk.models import SavedView
from postroom.routing.models import Category
from postroom.search.services import search_document_refresh
from postroom.sla.models import TicketSla
from postroom.tickets.models import EventKind, Tag, Ticket, TicketEvent

from .conftest import signed_in

INBOX = "/desk/"


@pytest.fixture(autouse=True)
def _fresh_cache():
    """The spam/all counts are cached for a minute; each test starts without them."""
    cache.clear()
    yield
    cache.clear()


def _ids(response) -> list[int]:
    assert response.status_code == 200
    return [row.ticket.pk for row in response.context["page"].rows]


def _counts(response) -> dict[str, int]:
    return {v.key: v.count for v in response.context["views"]}


def _walk(client: Client, params: dict[str, str]) -> tuple[list[int], int]:
    """Follow `after` tokens to the end; return every id in order and the number of pages."""
    ids: list[int] = []
    pages = 0
    after = ""
    while True:
        response = client.get(INBOX, {**params, **({"after": after} if after else {})})
        ids += _ids(response)
        pages += 1
        after = response.context["next_after"]
        if not after:
            return ids, pages
        assert pages < 50


def _set_times(ticket: Ticket, *, updated: dt.datetime, created: dt.datetime | None = None) -> None:
    Ticket.objects.filter(pk=ticket.pk).update(updated_at=updated, created_at=created or updated)


# --- views, counts and visibility --------------------------------------------------------


def test_an_agent_sees_only_their_queues_tickets_in_every_view_and_count(agent, make_ticket):
    mine = make_ticket(subject="Mine", assignee=agent)
    unassigned = make_ticket(subject="Unassigned", status="new")
    triage = make_ticket(subject="Needs triage", needs_triage=True, assignee=agent)
    pending = make_ticket(subject="Waiting", status="pending")
    spam = make_ticket(subject="Buy pills", status="spam")
    closed = make_ticket(subject="Done", status="closed")
    # The same in Billing, which Alex does not work in.
    others = [make_ticket(queue="billing", subject=f"Billing {s}", status=s, needs_triage=True)
              for s in ("new", "open", "pending", "spam", "closed")]
    make_ticket(queue="billing", subject="Billing mine", assignee=agent)
    client = signed_in(agent)

    expected = {
        "mine": {mine.pk, triage.pk},
        "unassigned": {unassigned.pk},
        "triage": {triage.pk},
        "pending": {pending.pk},
        "queue:support": {mine.pk, unassigned.pk, triage.pk, pending.pk},
        "spam": {spam.pk},
        "all": {mine.pk, unassigned.pk, triage.pk, pending.pk, spam.pk, closed.pk},
    }
    for view, ids in expected.items():
        response = client.get(INBOX, {"view": view})
        assert set(_ids(response)) == ids, view
        assert response.context["view"].key == view
    counts = _counts(client.get(INBOX))
    assert counts == {key: len(ids) for key, ids in expected.items()}
    assert "queue:billing" not in counts
    page = client.get(INBOX, {"view": "all"}).content.decode()
    assert all(t.subject not in page for t in others)
    assert "Billing mine" not in page


def test_counts_match_the_lists_for_a_supervisor_of_two_queues(supervisor, agent, make_ticket):
    for queue in ("support", "billing"):
        for status in ("new", "open", "pending", "solved", "closed", "spam", "merged"):
            make_ticket(queue=queue, status=status)
            make_ticket(queue=queue, status=status, assignee=supervisor)
            make_ticket(queue=queue, status=status, assignee=agent, needs_triage=True)
    client = signed_in(supervisor)
    response = client.get(INBOX)
    counts = _counts(response)
    assert set(counts) == {"mine", "unassigned", "triage", "pending", "queue:billing", "queue:support", "spam", "all"}
    for key, count in counts.items():
        assert len(_ids(client.get(INBOX, {"view": key, "per": "100"}))) == count, key
    assert counts["triage"] == 10  # every status but spam and merged, both queues
    assert counts["all"] == 36


def test_the_nav_lists_the_views_with_counts_and_marks_the_current_one(agent, make_ticket):
    make_ticket(status="new")
    make_ticket(status="new")
    page = signed_in(agent).get(INBOX, {"view": "unassigned"}).content.decode()
    nav = page[page.index('class="sidenav"'):page.index("</nav>", page.index('class="sidenav"'))]
    assert re.search(r'href="\?view=unassigned" id="view-unassigned" aria-current="page">\s*'
                     r'<span>Unassigned</span><span class="count">2<span class="visually-hidden"> tickets</span></span>', nav)
    assert "Technical Support" in nav and "Billing" not in nav
    assert "<title>Inbox · Unassigned · Postroom</title>" in page
    assert '<h1 id="inbox-title">Unassigned</h1>' in page


def test_the_default_view_is_mine_when_the_agent_has_open_tickets_else_unassigned(agent, make_ticket):
    client = signed_in(agent)
    assert client.get(INBOX).context["view"].key == "unassigned"
    make_ticket(assignee=agent)
    response = client.get(INBOX)
    assert response.context["view"].key == "mine"
    assert response.context["query"] == "view=mine"


def test_a_queue_the_agent_does_not_see_falls_back_to_the_default_view(agent, make_ticket):
    make_ticket(queue="billing", status="new")
    response = signed_in(agent).get(INBOX, {"view": "queue:billing"})
    assert response.context["view"].key == "unassigned"
    assert _ids(response) == []


def test_an_empty_view_says_so(agent):
    page = signed_in(agent).get(INBOX, {"view": "triage"}).content.decode()
    assert "Nothing waits for triage." in page


def test_the_spam_and_all_counts_are_cached_for_a_minute(agent, make_ticket):
    make_ticket(status="spam")
    client = signed_in(agent)
    assert _counts(client.get(INBOX))["spam"] == 1
    make_ticket(status="spam")
    counts = _counts(client.get(INBOX))
    assert counts["spam"] == 1  # cached
    assert counts["unassigned"] == 0
    cache.clear()
    assert _counts(client.get(INBOX))["spam"] == 2


# --- filters ------------------------------------------------------------------------------


def test_each_filter_narrows_the_list(agent, billing_agent, supervisor, make_ticket):
    now = clock.now()
    a = make_ticket(subject="A", status="open", priority="urgent", language="de", assignee=supervisor)
    b = make_ticket(subject="B", status="pending", priority="low", language="en")
    c = make_ticket(queue="billing", subject="C", status="closed", priority="high", language="fr", assignee=supervisor)
    d = make_ticket(subject="D", status="new", priority="normal", language="en", assignee=agent)
    a.tags.add(Tag.objects.create(name="vip"))
    _set_times(a, updated=now - dt.timedelta(days=10))
    _set_times(b, updated=now - dt.timedelta(days=3))
    client = signed_in(supervisor)

    def found(**params: str | list[str]) -> set[int]:
        return set(_ids(client.get(INBOX, {"view": "all", **params})))

    assert found() == {a.pk, b.pk, c.pk, d.pk}
    assert found(status=["open", "pending"]) == {a.pk, b.pk}
    assert found(priority=["urgent", "high"]) == {a.pk, c.pk}
    assert found(queue="billing") == {c.pk}
    assert found(assignee="me") == {a.pk, c.pk}
    assert found(assignee="none") == {b.pk}
    assert found(assignee=str(agent.pk)) == {d.pk}
    assert found(tag="VIP") == {a.pk}
    assert found(language="fr") == {c.pk}
    assert found(since=(now - dt.timedelta(days=5)).date().isoformat()) == {b.pk, c.pk, d.pk}
    assert found(until=(now - dt.timedelta(days=5)).date().isoformat()) == {a.pk}
    assert found(status="open", priority="low") == set()
    # Filters combine with views too: unassigned ∩ pending.
    assert set(_ids(client.get(INBOX, {"view": "unassigned", "status": "pending"}))) == set()
    assert set(_ids(client.get(INBOX, {"view": "queue:support", "priority": "urgent"}))) == {a.pk}
    # Values that are not valid are dropped rather than failing the page.
    assert found(status="bogus", since="yesterday", assignee="x'; drop") == {a.pk, b.pk, c.pk, d.pk}


def test_the_date_filter_uses_the_site_time_zone(settings, agent, make_ticket):
    settings.TIME_ZONE = "America/New_York"
    ticket = make_ticket()
    # 03:00 UTC on 2 March is still 1 March in New York.
    _set_times(ticket, updated=dt.datetime(2030, 3, 2, 3, 0, tzinfo=dt.UTC))
    client = signed_in(agent)
    assert _ids(client.get(INBOX, {"view": "all", "since": "2030-03-01", "until": "2030-03-01"})) == [ticket.pk]
    assert _ids(client.get(INBOX, {"view": "all", "since": "2030-03-02"})) == []


def test_the_filter_bar_is_a_labelled_get_form_that_keeps_the_view(agent, make_ticket):
    page = signed_in(agent).get(INBOX, {"view": "pending", "status": "pending", "tag": "vip"}).content.decode()
    form = page[page.index('<form class="filters"'):page.index("</form>", page.index('<form class="filters"'))]
    assert 'method="get"' in form and 'hx-push-url="true"' in form
    assert '<input type="hidden" name="view" value="pending">' in form
    for field in ("status", "priority", "queue", "assignee", "tag", "language", "since", "until", "sort"):
        assert f'<label for="f-{field}">' in form and f'id="f-{field}"' in form
    assert '<option value="pending" selected>' in form
    assert 'name="tag" value="vip"' in form


def test_an_htmx_filter_request_gets_only_the_results(agent, make_ticket):
    make_ticket(subject="Strap broke", status="new")
    response = signed_in(agent).get(INBOX, {"view": "unassigned"}, HTTP_HX_REQUEST="true",
                                    HTTP_HX_TARGET="inbox-results")
    body = response.content.decode()
    assert '<div id="inbox-results">' in body and "Strap broke" in body
    assert "<html" not in body and 'class="sidenav"' not in body
    assert "HX-Request" in response["Vary"]


# --- saved views --------------------------------------------------------------------------


def test_a_saved_view_round_trip(agent, make_ticket):
    urgent = make_ticket(subject="Urgent one", priority="urgent", status="new")
    make_ticket(subject="Calm one", priority="low", status="new")
    client = signed_in(agent)
    page = client.get(INBOX, {"view": "unassigned", "priority": "urgent", "after": "junk"})
    assert page.context["query"] == "view=unassigned&priority=urgent"

    response = client.post(reverse("desk:view-save"), {"name": "  Urgent   new ", "query": page.context["query"] + "&after=x"})
    saved = SavedView.objects.get(owner=agent)
    assert (saved.name, saved.query) == ("Urgent new", "view=unassigned&priority=urgent")
    assert response["Location"] == f"{INBOX}?view=unassigned&priority=urgent"

    page = client.get(response["Location"])
    assert _ids(page) == [urgent.pk]
    body = page.content.decode()
    assert 'href="?view=unassigned&amp;priority=urgent" aria-current="page">Urgent new</a>' in body
    assert reverse("desk:view-delete", args=[saved.pk]) in body

    # The same name again replaces the query.
    client.post(reverse("desk:view-save"), {"name": "Urgent new", "query": "view=all"})
    assert list(SavedView.objects.filter(owner=agent).values_list("query", flat=True)) == ["view=all"]

    response = client.post(reverse("desk:view-delete", args=[saved.pk]))
    assert response.status_code == 302
    assert not SavedView.objects.filter(owner=agent).exists()


def test_an_agent_cannot_delete_another_agents_saved_view(agent, billing_agent):
    theirs = SavedView.objects.create(owner=billing_agent, name="Mine", query="view=mine")
    response = signed_in(agent).post(reverse("desk:view-delete", args=[theirs.pk]))
    assert response.status_code == 404
    assert SavedView.objects.filter(pk=theirs.pk).exists()
    assert signed_in(agent).get(reverse("desk:view-delete", args=[theirs.pk])).status_code == 405


def test_a_saved_view_needs_a_name(agent):
    response = signed_in(agent).post(reverse("desk:view-save"), {"name": " ", "query": "view=all"}, follow=True)
    assert not SavedView.objects.exists()
    assert "Give the view a name." in response.content.decode()


# --- sorts and keyset pages ---------------------------------------------------------------


def test_priority_sort_walks_urgent_to_low_across_pages_without_duplicates_or_gaps(agent, make_ticket):
    base = clock.now() - dt.timedelta(days=1)
    levels = ["low", "normal", "high", "urgent"]
    tickets = []
    for i in range(62):
        ticket = make_ticket(priority=levels[i % 4], status="open")
        # Pairs share an update time: the id breaks the tie.
        _set_times(ticket, updated=base + dt.timedelta(minutes=i // 2))
        tickets.append(ticket)
    make_ticket(queue="billing", priority="urgent")
    client = signed_in(agent)

    ids, pages = _walk(client, {"view": "all", "sort": "priority", "per": "25"})
    assert pages == 3
    rank = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
    by_pk = {t.pk: t for t in Ticket.objects.filter(pk__in=[t.pk for t in tickets])}
    expected = sorted(by_pk.values(), key=lambda t: (rank[t.priority], -t.updated_at.timestamp(), -t.pk))
    assert ids == [t.pk for t in expected]
    assert len(set(ids)) == 62


def test_priority_sort_with_a_priority_filter_skips_the_other_levels(agent, make_ticket):
    high = [make_ticket(priority="high") for _ in range(3)]
    low = [make_ticket(priority="low") for _ in range(3)]
    make_ticket(priority="normal")
    client = signed_in(agent)
    ids, _ = _walk(client, {"view": "all", "sort": "priority", "priority": ["low", "high"], "per": "2"})
    assert ids == [t.pk for t in reversed(high)] + [t.pk for t in reversed(low)]


def test_updated_sort_is_newest_first_and_pages_cover_every_ticket_once(agent, make_ticket):
    base = clock.now() - dt.timedelta(days=1)
    tickets = [make_ticket() for _ in range(30)]
    for i, ticket in enumerate(tickets):
        _set_times(ticket, updated=base + dt.timedelta(minutes=i % 7))
    ids, pages = _walk(signed_in(agent), {"view": "all", "per": "8"})
    assert pages == 4
    fresh = Ticket.objects.filter(pk__in=[t.pk for t in tickets])
    assert ids == [t.pk for t in sorted(fresh, key=lambda t: (t.updated_at, t.pk), reverse=True)]


def test_age_sort_lists_the_oldest_first(agent, make_ticket):
    now = clock.now()
    tickets = [make_ticket() for _ in range(7)]
    for i, ticket in enumerate(tickets):
        _set_times(ticket, updated=now, created=now - dt.timedelta(hours=(i * 3) % 5))
    ids, pages = _walk(signed_in(agent), {"view": "all", "sort": "age", "per": "3"})
    assert pages == 3
    fresh = Ticket.objects.filter(pk__in=[t.pk for t in tickets])
    assert ids == [t.pk for t in sorted(fresh, key=lambda t: (t.created_at, t.pk))]


@pytest.mark.parametrize("after", [
    "junk", "%%%", "e30", base64.urlsafe_b64encode(b'{"s":"updated","v":"not a date","i":1}').decode(),
    base64.urlsafe_b64encode(b'{"s":"priority","v":"2030-01-01T00:00:00+00:00","i":1,"l":9}').decode(),
    base64.urlsafe_b64encode(b'{"s":"updated","v":"2030-01-01T00:00:00","i":1}').decode(),
    base64.urlsafe_b64encode(b'[1,2,3]').decode(), "A" * 5000,
])
def test_a_malformed_after_token_starts_at_the_first_page(agent, make_ticket, after):
    tickets = [make_ticket() for _ in range(3)]
    response = signed_in(agent).get(INBOX, {"view": "all", "after": after, "sort": "priority"})
    assert sorted(_ids(response)) == sorted(t.pk for t in tickets)


def test_a_token_of_another_sort_is_ignored(agent, make_ticket):
    [make_ticket() for _ in range(3)]
    client = signed_in(agent)
    token = client.get(INBOX, {"view": "all", "per": "1"}).context["next_after"]
    assert len(_ids(client.get(INBOX, {"view": "all", "per": "1", "after": token}))) == 1
    assert _ids(client.get(INBOX, {"view": "all", "sort": "age", "after": token})) == _ids(
        client.get(INBOX, {"view": "all", "sort": "age"}))


def test_the_pager_links_to_the_next_page_and_back_to_the_first(agent, make_ticket):
    [make_ticket() for _ in range(3)]
    client = signed_in(agent)
    response = client.get(INBOX, {"view": "all", "per": "2"})
    token = response.context["next_after"]
    assert f'href="?view=all&amp;per=2&amp;after={token}" rel="next"' in response.content.decode()
    last = client.get(INBOX, {"view": "all", "per": "2", "after": token})
    body = last.content.decode()
    assert last.context["next_after"] is None and 'rel="next"' not in body
    assert 'href="?view=all&amp;per=2">First page</a>' in body


def test_the_query_count_does_not_grow_with_the_page_size(agent, make_ticket, django_assert_max_num_queries):
    category = Category.objects.create(name="Battery", slug="battery")
    tags = [Tag.objects.create(name=n) for n in ("vip", "firmware")]
    for i in range(60):
        ticket = make_ticket(status="open", assignee=agent if i % 2 else None, category=category,
                             priority=["urgent", "high", "normal", "low"][i % 4])
        ticket.tags.add(*tags[: i % 3])
        if i % 2:
            TicketSla.objects.create(ticket=ticket, next_due=clock.now() + dt.timedelta(hours=i - 30))
    client = signed_in(agent)
    for params in ({"view": "all"}, {"view": "all", "sort": "priority"}, {"view": "mine", "sort": "age"}):
        client.get(INBOX, params)  # warm: session, role, cached counts
        seen = []
        for per in ("5", "50"):
            with django_assert_max_num_queries(15), CaptureQueriesContext(connection) as ctx:
                response = client.get(INBOX, {**params, "per": per})
            assert len(_ids(response)) == (int(per) if params["view"] == "all" else min(int(per), 30))
            seen.append(len(ctx.captured_queries))
        if params.get("sort") != "priority":
            assert seen[0] == seen[1], params
        # The priority sort asks one small id query per level it walks (four at most).


def test_rows_show_the_ticket_fields_and_the_due_time(agent, make_ticket):
    ticket = make_ticket(subject="<b>Sync</b> broken", name="Anna <Berg>", address="anna@customer.example",
                         status="open", priority="urgent", assignee=agent)
    ticket.tags.add(Tag.objects.create(name="firmware"))
    TicketSla.objects.create(ticket=ticket, next_due=clock.now() - dt.timedelta(minutes=25))
    body = signed_in(agent).get(INBOX, {"view": "mine"}).content.decode()
    row = body[body.index("<tr data-row"):body.index("</tr>", body.index("<tr data-row"))]
    assert f'data-ticket="{ticket.pk}"' in row
    assert f'<label for="select-{ticket.pk}" class="visually-hidden">Select {ticket.reference}</label>' in row
    assert f'<a href="{reverse("desk:ticket", args=[ticket.pk])}" data-open>&lt;b&gt;Sync&lt;/b&gt; broken</a>' in row
    assert "Anna &lt;Berg&gt;" in row and "anna@customer.example" in row
    assert 'class="badge status-open"' in row and 'class="badge prio-urgent"' in row
    assert '<span class="badge tag">firmware</span>' in row
    assert 'class="small due-overdue">overdue 2' in row
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+"', row)


def test_select_all_asks_htmx_for_the_same_page_with_every_row_ticked(agent, make_ticket):
    tickets = [make_ticket() for _ in range(3)]
    client = signed_in(agent)
    first = client.get(INBOX, {"view": "all", "per": "2"})
    token = first.context["next_after"]
    body = first.content.decode()
    assert 'id="select-all"' in body and "checked" not in body.split('id="select-all"')[1].split(">")[0]
    assert 'hx-get="?view=all&amp;per=2&amp;select=all"' in body
    page = client.get(INBOX, {"view": "all", "per": "2", "after": token, "select": "all"},
                      HTTP_HX_REQUEST="true", HTTP_HX_TARGET="inbox-results")
    body = page.content.decode()
    assert f'value="{tickets[0].pk}" id="select-{tickets[0].pk}" checked>' in body
    assert f'hx-get="?view=all&amp;per=2&amp;after={token}"' in body  # unticks, same page
    assert page.context["query"] == "view=all&per=2"  # never saved into a view


def test_the_inbox_carries_no_inline_script(agent, make_ticket):
    make_ticket()
    body = signed_in(agent).get(INBOX, {"view": "all"}).content.decode()
    # The desk's Content-Security-Policy allows only its own static scripts.
    assert re.findall(r"<script(?![^>]*\bsrc=)", body) == []


# --- bulk actions -------------------------------------------------------------------------


def _bulk(client: Client, action: str, tickets: list[Ticket], **fields: str):
    return client.post(reverse("desk:inbox-bulk"), {"action": action, "ticket": [str(t.pk) for t in tickets],
                                                     "back": "view=all&sort=age", **fields}, follow=True)


def test_bulk_close_closes_the_agents_tickets_and_ignores_other_queues(agent, make_ticket):
    mine = [make_ticket(status="open") for _ in range(3)]
    theirs = make_ticket(queue="billing", status="open")
    response = _bulk(signed_in(agent), "close", [*mine, theirs])
    assert response.redirect_chain == [(f"{INBOX}?view=all&sort=age", 302)]
    body = response.content.decode()
    assert "3 tickets closed" in body
    assert "1 ticket ignored" in body
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in mine]).values_list("status", flat=True)) == {"closed"}
    assert Ticket.objects.get(pk=theirs.pk).status == "open"
    events = TicketEvent.objects.filter(kind=EventKind.STATUS, actor=agent)
    assert sorted(events.values_list("ticket_id", flat=True)) == sorted(t.pk for t in mine)
    assert not TicketEvent.objects.filter(ticket=theirs, kind=EventKind.STATUS).exists()


def test_bulk_solve_sets_solved(agent, make_ticket):
    ticket = make_ticket(status="open")
    assert "1 ticket solved" in _bulk(signed_in(agent), "solve", [ticket]).content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "solved"


def test_bulk_assign_to_a_member_me_or_nobody(agent, billing_agent, supervisor, make_ticket):
    support = [make_ticket(), make_ticket()]
    billing = make_ticket(queue="billing")
    client = signed_in(supervisor)

    body = _bulk(client, "assign", [*support, billing], assignee=str(agent.pk)).content.decode()
    assert "2 tickets assigned to Alex" in body
    assert f"1 ticket skipped ({billing.reference})" in body  # Alex is not in Billing
    assert set(Ticket.objects.filter(pk__in=[t.pk for t in support]).values_list("assignee", flat=True)) == {agent.pk}
    assert Ticket.objects.get(pk=billing.pk).assignee is None
    assert TicketEvent.objects.filter(kind=EventKind.ASSIGNED, actor=supervisor).count() == 2

    assert "3 tickets assigned to you" in _bulk(client, "assign", [*support, billing], assignee="me").content.decode()
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {supervisor.pk}

    assert "3 tickets unassigned" in _bulk(client, "assign", [*support, billing], assignee="none").content.decode()
    assert set(Ticket.objects.values_list("assignee", flat=True)) == {None}


def test_bulk_tag_adds_tags_with_a_timeline_event(agent, make_ticket):
    tickets = [make_ticket(), make_ticket()]
    other = make_ticket(queue="billing")
    body = _bulk(signed_in(agent), "tag", [*tickets, other], tags="VIP, refund ,").content.decode()
    assert "2 tickets tagged vip, refund" in body
    for ticket in tickets:
        assert sorted(ticket.tags.values_list("name", flat=True)) == ["refund", "vip"]
        assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELD, actor=agent).summary == "tags: +vip +refund"
    assert not other.tags.exists()


def test_bulk_move_only_to_a_queue_the_agent_sees(agent, supervisor, make_ticket):
    ticket = make_ticket()
    body = _bulk(signed_in(agent), "move", [ticket], queue="billing").content.decode()
    assert "Choose a queue to move the tickets to." in body
    assert Ticket.objects.get(pk=ticket.pk).queue.slug == "support"

    body = _bulk(signed_in(supervisor), "move", [ticket], queue="billing").content.decode()
    assert "1 ticket moved to Billing" in body
    assert Ticket.objects.get(pk=ticket.pk).queue.slug == "billing"
    assert TicketEvent.objects.get(ticket=ticket, kind=EventKind.FIELD, actor=supervisor).summary == "queue: support → billing"


def test_bulk_without_a_selection_changes_nothing(agent, make_ticket):
    ticket = make_ticket(status="open")
    body = _bulk(signed_in(agent), "close", []).content.decode()
    assert "Select at least one ticket first." in body
    assert Ticket.objects.get(pk=ticket.pk).status == "open"


def test_bulk_needs_post_and_a_csrf_token(agent, make_ticket):
    ticket = make_ticket(status="open")
    url = reverse("desk:inbox-bulk")
    assert signed_in(agent).get(url, {"action": "close", "ticket": ticket.pk}).status_code == 405
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)
    assert browser.post(url, {"action": "close", "ticket": ticket.pk}).status_code == 403
    assert Ticket.objects.get(pk=ticket.pk).status == "open"
    # With the page's token it goes through.
    page = browser.get(INBOX, {"view": "all"})
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.content.decode()).group(1)
    assert browser.post(url, {"action": "close", "ticket": ticket.pk, "csrfmiddlewaretoken": token}).status_code == 302
    assert Ticket.objects.get(pk=ticket.pk).status == "closed"


def test_the_bulk_back_link_cannot_leave_the_inbox(agent, make_ticket):
    ticket = make_ticket()
    response = signed_in(agent).post(reverse("desk:inbox-bulk"), {"action": "close", "ticket": ticket.pk,
                                                                  "back": "//evil.example/?view=all"})
    assert response["Location"].startswith(f"{INBOX}")


def test_the_inbox_needs_a_desk_sign_in(client, make_ticket):
    response = client.get(INBOX)
    assert response.status_code == 302 and response["Location"].startswith(reverse("desk:login"))


# --- search -------------------------------------------------------------------------------


def test_search_finds_a_ticket_by_a_word_in_a_message_body(agent, make_ticket):
    hit = make_ticket(subject="Help", body="The <b>bezel</b> cracked after a drop.", status="closed")
    make_ticket(subject="Other", body="Battery drains overnight.")
    hidden = make_ticket(queue="billing", subject="Billing bezel", body="My bezel cracked too.")
    search_document_refresh(ticket_ids=Ticket.objects.values_list("pk", flat=True))
    client = signed_in(agent)
    response = client.get(INBOX, {"q": "bezel"})
    assert _ids(response) == [hit.pk]
    assert response.context["view"].key == "all"
    assert response.context["search_query"] == "bezel"
    body = response.content.decode()
    # The snippet marks the word and escapes the mail's markup (FTS5 or Python on PostgreSQL).
    assert '<p class="snippet">' in body and "<mark>bezel</mark>" in body
    assert "&lt;b&gt;" in body
    assert "<b>bezel" not in body
    assert 'id="desk-search" type="search" name="q" value="bezel"' in body
    assert "Billing bezel" not in body and hidden.pk not in _ids(response)


def test_a_search_snippet_becomes_plain_text_parts_for_the_template_to_escape():
    assert _snippet_parts("a &lt;script&gt; <mark>bezel</mark> &amp;amp; <mark>x</mark>") == (
        ("a <script> ", False), ("bezel", True), (" &amp; ", False), ("x", True))
    assert _snippet_parts("") == ()


def test_search_respects_the_view_and_filters(agent, make_ticket):
    open_one = make_ticket(body="Firmware update failed", status="open", priority="high")
    closed_one = make_ticket(body="Firmware update failed again", status="closed", priority="low")
    search_document_refresh(ticket_ids=[open_one.pk, closed_one.pk])
    client = signed_in(agent)
    assert set(_ids(client.get(INBOX, {"q": "firmware"}))) == {open_one.pk, closed_one.pk}
    assert _ids(client.get(INBOX, {"q": "firmware", "status": "closed"})) == [closed_one.pk]
    assert _ids(client.get(INBOX, {"q": "firmware", "priority": "high"})) == [open_one.pk]
    assert _ids(client.get(INBOX, {"q": "firmware", "view": "queue:support"})) == [open_one.pk]


def test_search_results_page_by_relevance(agent, make_ticket):
    tickets = [make_ticket(body=f"strap buckle {'strap ' * i}") for i in range(5)]
    search_document_refresh(ticket_ids=[t.pk for t in tickets])
    ids, pages = _walk(signed_in(agent), {"q": "strap", "per": "2"})
    assert pages == 3
    assert sorted(ids) == sorted(t.pk for t in tickets)


def test_search_finds_nothing_for_punctuation(agent, make_ticket):
    make_ticket()
    response = signed_in(agent).get(INBOX, {"q": '"*()'})
    assert _ids(response) == []
    assert "No tickets match" in response.content.decode()


def test_the_customers_box_lists_customers_the_agent_can_see(agent, make_ticket):
    make_ticket(name="Mia Keller", address="mia@keller.example")
    make_ticket(name="Someone", address="keller.family@mail.example")
    make_ticket(queue="billing", name="Ola Keller", address="ola@billing.example")
    search_document_refresh(ticket_ids=Ticket.objects.values_list("pk", flat=True))
    response = signed_in(agent).get(INBOX, {"q": "KELLER"})
    names = [c.name for c in response.context["customers"]]
    assert names == ["Mia Keller", "Someone"]
    body = response.content.decode()
    box = body[body.index('id="customers-title"'):body.index("</section>", body.index('id="customers-title"'))]
    mia = response.context["customers"][0]
    assert f'<a href="{reverse("desk:customer", args=[mia.pk])}">Mia Keller</a>' in box
    assert "Ola Keller" not in body


def test_the_customers_box_is_absent_without_a_search(agent, make_ticket):
    make_ticket(name="Mia Keller")
    response = signed_in(agent).get(INBOX, {"view": "all"})
    assert response.context["customers"] == []
    assert 'id="customers-title"' not in response.content.decode()


def test_dates_at_the_ends_of_the_calendar_are_ignored_not_a_server_error(agent, make_ticket):
    ticket = make_ticket()
    client = signed_in(agent)
    for params in ({"until": "9999-12-31"}, {"since": "0001-01-01"}, {"until": "not-a-date"}):
        response = client.get(INBOX, {"view": "all", **params})
        assert response.status_code == 200, params
        assert _ids(response) == [ticket.pk], params
