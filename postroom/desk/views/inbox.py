"""Desk views: the inbox, its bulk actions and saved views (issue #4).

The inbox is one GET page: a view (mine, unassigned, a queue …), filters, a sort and a
keyset `after` token, or a search (`q`) over the same view and filters. An htmx request
aimed at #inbox-results gets only the results fragment; every other request the page.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import URLPattern, path, reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_POST

from postroom.accounts.roles import queue_ids_visible_to
from postroom.desk.access import desk_view
from postroom.desk.inbox import (
    PER_PAGE,
    PER_PAGE_CHOICES,
    PER_PAGE_MAX,
    SEARCH_SORT,
    SORTS,
    assignees_for,
    customers_matching,
    inbox_counts,
    inbox_filters_from,
    inbox_page,
    inbox_query,
    inbox_search_page,
    inbox_tickets,
    inbox_view_chosen,
    inbox_views,
    queues_visible_to,
    saved_views_of,
)
from postroom.desk.models import SavedView
from postroom.tickets.models import Priority, Ticket, TicketStatus
from postroom.tickets.queries import tickets_visible_to
from postroom.tickets.services import ticket_fields_change, ticket_set_status, ticket_tags_change

RESULTS_ID = "inbox-results"
MAX_QUERY_CHARS = 200
# One bulk request changes at most this many tickets (a page holds at most 100).
MAX_BULK = 500


def _per(params: QueryDict) -> int:
    text = params.get("per", "")
    return max(1, min(int(text), PER_PAGE_MAX)) if text.isdigit() and len(text) < 4 else PER_PAGE


def _plural(n: int, word: str = "ticket") -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


@desk_view
@require_GET
def inbox(request: HttpRequest) -> HttpResponse:
    """Show a view of the inbox (or search results) with counts, filters and one keyset page."""
    params = request.GET
    user = request.user
    q = " ".join(params.get("q", "").split())[:MAX_QUERY_CHARS]
    filters = inbox_filters_from(params)
    queues = queues_visible_to(user)
    partial = (request.headers.get("HX-Request") == "true" and request.headers.get("HX-Target") == RESULTS_ID
               and not request.headers.get("HX-History-Restore-Request"))
    view_key = params.get("view", "")
    # A fragment keeps the page's side navigation: counts only when they are shown or decide
    # the default view.
    counts = None if partial and view_key else inbox_counts(user=user)
    views = inbox_views(queues=queues, counts=counts)
    view = inbox_view_chosen(key=view_key, views=views, searching=bool(q))
    tickets = inbox_tickets(user=user, view=view, filters=filters)
    per = _per(params)
    after = params.get("after", "")
    if q:
        sort = SEARCH_SORT
        page = inbox_search_page(queryset=tickets, user=user, query=q, after=after, per=per)
        customers = customers_matching(user=user, text=q) if not after else []
    else:
        sort = params.get("sort", "") if params.get("sort", "") in SORTS else "updated"
        page = inbox_page(queryset=tickets, sort=sort, after=after, per=per)
        customers = []

    # The view is written into every link and form, so a saved view or a shared URL keeps
    # showing what it showed even when the default view changes.
    current = QueryDict(mutable=True)
    current.update(params)
    current["view"] = view.key
    query = inbox_query(current)
    next_url = ""
    if page.after:
        following = QueryDict(query, mutable=True)
        following["after"] = page.after
        next_url = "?" + following.urlencode()
    this_page = QueryDict(query, mutable=True)
    if after:
        this_page["after"] = after
    unselect_url = "?" + this_page.urlencode()
    this_page["select"] = "all"
    select_url = "?" + this_page.urlencode()
    saved = saved_views_of(user=user)
    context: dict[str, Any] = {
        "nav": "inbox",
        "search_query": q,
        "q": q,
        "view": view,
        "views": views,
        "saved_views": saved,
        "current_saved": next((s for s in saved if s.query == query), None),
        "filters": filters,
        "page": page,
        "next_after": page.after,
        "next_url": next_url,
        "first_url": "?" + query if after else "",
        "query": query,
        "sort": sort,
        "sorts": SORTS,
        "per": per,
        "per_choices": PER_PAGE_CHOICES,
        "queues": queues,
        "assignees": assignees_for(queues=queues),
        # "Pending (waiting on customer)" is too wide for the filter bar.
        "statuses": [(value, label.split(" (")[0]) for value, label in TicketStatus.choices],
        "priorities": Priority.choices,
        "customers": customers,
        "results_id": RESULTS_ID,
        # The select-all box asks for this page again with every row ticked.
        "select_all": params.get("select") == "all",
        "select_url": select_url,
        "unselect_url": unselect_url,
    }
    template = "desk/inbox/_results.html" if partial else "desk/inbox.html"
    response = render(request, template, context)
    patch_vary_headers(response, ("HX-Request", "HX-Target"))
    return response


def _inbox_url(query: str) -> str:
    """Return the inbox URL with *query* re-encoded: only inbox keys, never another place."""
    kept = inbox_query(QueryDict(query[:2000]), drop=())
    return reverse("desk:inbox") + (f"?{kept}" if kept else "")


def _bulk_apply(request: HttpRequest, action: str, tickets: list[Ticket]) -> tuple[str, list[Ticket]]:
    """Apply *action* to each ticket through the ticket services; return (done message, skipped)."""
    user: Any = request.user  # signed in: desk_view checked
    post = request.POST
    skipped: list[Ticket] = []
    if action in ("close", "solve"):
        status = TicketStatus.CLOSED if action == "close" else TicketStatus.SOLVED
        for ticket in tickets:
            ticket_set_status(ticket=ticket, status=status, actor=user)
        return f"{_plural(len(tickets))} {'closed' if action == 'close' else 'solved'}", skipped
    if action == "tag":
        names = [n for n in (" ".join(part.split()) for part in post.get("tags", "").split(",")) if n]
        if not names:
            raise ValueError("Type the tags to add, separated by commas.")
        for ticket in tickets:
            ticket_tags_change(ticket=ticket, add=names, actor=user)
        return f"{_plural(len(tickets))} tagged {', '.join(n.lower() for n in names)}", skipped
    if action == "move":
        queue = next((q for q in queues_visible_to(user) if q.slug == post.get("queue", "")), None)
        if queue is None:
            raise ValueError("Choose a queue to move the tickets to.")
        for ticket in tickets:
            ticket_fields_change(ticket=ticket, changes={"queue": queue}, actor=user)
        return f"{_plural(len(tickets))} moved to {queue.name}", skipped
    if action == "assign":
        choice = post.get("assignee", "")
        if choice == "none":
            for ticket in tickets:
                ticket_fields_change(ticket=ticket, changes={"assignee": None}, actor=user)
            return f"{_plural(len(tickets))} unassigned", skipped
        if choice == "me":
            target: Any = user
            member_of = queue_ids_visible_to(user)  # the user sees these tickets: they may take them
        elif choice.isdigit() and len(choice) < 12:
            target = get_user_model().objects.filter(pk=int(choice), is_active=True).first()
            if target is None:
                raise ValueError("Choose who to assign the tickets to.")
            member_of = list(target.queues.values_list("pk", flat=True))
        else:
            raise ValueError("Choose who to assign the tickets to.")
        done = 0
        for ticket in tickets:
            # Issue #4: a ticket goes only to a member of its queue.
            if member_of is not None and ticket.queue_id not in member_of:
                skipped.append(ticket)
                continue
            ticket_fields_change(ticket=ticket, changes={"assignee": target}, actor=user)
            done += 1
        name = "you" if target.pk == user.pk else (target.get_full_name() or target.get_username())
        return f"{_plural(done)} assigned to {name}", skipped
    raise ValueError("Choose an action.")


@desk_view
@require_POST
def inbox_bulk(request: HttpRequest) -> HttpResponse:
    """Apply a bulk action (assign, close, solve, tag, move) to the selected tickets the
    agent may see; the ids of other tickets are ignored and reported."""
    back = _inbox_url(request.POST.get("back", ""))
    ids = list(dict.fromkeys(int(v) for v in request.POST.getlist("ticket") if v.isdigit() and len(v) < 19))
    if not ids:
        messages.warning(request, "Select at least one ticket first.")
        return HttpResponseRedirect(back)
    ids = ids[:MAX_BULK]
    tickets = list(
        tickets_visible_to(request.user).filter(pk__in=ids).exclude(status=TicketStatus.MERGED)
        .select_related("queue", "assignee", "category").order_by("pk")
    )
    ignored = len(ids) - len(tickets)
    try:
        with transaction.atomic():
            done, skipped = _bulk_apply(request, request.POST.get("action", ""), tickets)
    except ValueError as exc:
        messages.error(request, str(exc))
        return HttpResponseRedirect(back)
    messages.success(request, done)
    if ignored:
        messages.warning(request, f"{_plural(ignored)} ignored: not found in your queues, or merged.")
    if skipped:
        refs = ", ".join(t.reference for t in skipped[:10])
        messages.warning(request, f"{_plural(len(skipped))} skipped ({refs}): the assignee is not a member "
                                  "of the ticket's queue.")
    return HttpResponseRedirect(back)


@desk_view
@require_POST
def view_save(request: HttpRequest) -> HttpResponse:
    """Save the current inbox query string under a name for the agent (same name: replaced)."""
    name = " ".join(request.POST.get("name", "").split())[:100]
    query = inbox_query(QueryDict(request.POST.get("query", "")[:2000]))
    back = reverse("desk:inbox") + (f"?{query}" if query else "")
    if not name:
        messages.error(request, "Give the view a name.")
        return HttpResponseRedirect(back)
    if len(query) > SavedView._meta.get_field("query").max_length:  # type: ignore[operator]
        messages.error(request, "This view has too many filters to save.")
        return HttpResponseRedirect(back)
    owner: Any = request.user
    SavedView.objects.update_or_create(owner=owner, name=name, defaults={"query": query})
    messages.success(request, f"View “{name}” saved.")
    return HttpResponseRedirect(back)


@desk_view
@require_POST
def view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    """Delete one of the agent's saved views (another agent's answers 404)."""
    owner: Any = request.user
    saved = get_object_or_404(SavedView, pk=view_id, owner=owner)
    saved.delete()
    messages.success(request, f"View “{saved.name}” deleted.")
    return HttpResponseRedirect(reverse("desk:inbox"))


urlpatterns: list[URLPattern] = [
    path("", inbox, name="inbox"),
    path("bulk/", inbox_bulk, name="inbox-bulk"),
    path("views/", view_save, name="view-save"),
    path("views/<int:view_id>/delete/", view_delete, name="view-delete"),
]
