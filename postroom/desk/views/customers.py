"""Desk views: customers (issue #4) — the list with search, a customer's page, notes, merging.

An agent sees a customer only through a ticket in one of their queues
(`customers_visible_to`); any other customer answers 404, merges included.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import URLPattern, path, reverse
from django.views.decorators.http import require_POST, require_safe

from postroom.accounts.models import Customer
from postroom.accounts.queries import (
    TicketCursor,
    customer_by_reference,
    customer_notes,
    customer_tickets,
    customer_visible_for,
    customers_search,
)
from postroom.accounts.roles import is_supervisor, sees_every_queue
from postroom.accounts.services import NOTE_MAX_CHARS, customer_merge, customer_note_add
from postroom.desk.access import desk_view

PAGE_SIZE = 50  # tickets per page on a customer's page, customers per search
NOTES_SHOWN = 100


class CustomerNoteForm(forms.Form):
    text = forms.CharField(label="Note", max_length=NOTE_MAX_CHARS, strip=True,
                           widget=forms.Textarea(attrs={"id": "note-text", "rows": 4, "maxlength": NOTE_MAX_CHARS}))


class CustomerMergeForm(forms.Form):
    other = forms.CharField(label="Address or number of the other customer", max_length=320, strip=True,
                            widget=forms.TextInput(attrs={"id": "merge-other", "autocomplete": "off",
                                                          "placeholder": "anna@example.com or 1234"}))


def _customer_or_404(request: HttpRequest, customer_id: int) -> Customer:
    customer = customer_visible_for(request.user, customer_id)
    if customer is None:
        raise Http404("No such customer.")
    return customer


def _customer_url(customer: Customer) -> str:
    return reverse("desk:customer", args=[customer.pk])


def _customer_page(request: HttpRequest, customer: Customer, *, note_form: CustomerNoteForm | None = None,
                   merge_form: CustomerMergeForm | None = None, status: int = 200) -> HttpResponse:
    user: Any = request.user
    after = TicketCursor.parse(request.GET.get("older", ""))
    page = customer_tickets(customer=customer, user=user, limit=PAGE_SIZE, after=after)
    addresses = list(customer.addresses.order_by("pk"))
    notes = customer_notes(customer=customer, limit=NOTES_SHOWN)
    supervisor = is_supervisor(user)
    context = {
        "nav": "customers",
        "customer": customer,
        "title": customer.name or (addresses[0].address if addresses else f"Customer #{customer.pk}"),
        "addresses": addresses,
        "tickets": page.tickets,
        "ticket_total": page.total,
        "older": str(page.older) if page.older else "",
        "paged": after is not None,
        "all_queues": sees_every_queue(user),
        "notes": notes,
        "notes_capped": len(notes) >= NOTES_SHOWN,
        "note_form": note_form or CustomerNoteForm(),
        "note_max": NOTE_MAX_CHARS,
        "can_merge": supervisor,
        "merge_form": (merge_form or CustomerMergeForm()) if supervisor else None,
        # The admin only opens to staff with the change permission.
        "can_edit": supervisor and user.is_staff and user.has_perm("accounts.change_customer"),
    }
    return render(request, "desk/customers/detail.html", context, status=status)


@desk_view
@require_safe
def customer_list(request: HttpRequest) -> HttpResponse:
    """Show the customers the agent may see, newest first, searched by name or address."""
    query = request.GET.get("q", "").strip()[:200]
    customers = customers_search(user=request.user, query=query, limit=PAGE_SIZE)
    return render(request, "desk/customers/list.html", {
        "nav": "customers",
        "query": query,
        "customers": customers,
        "capped": len(customers) >= PAGE_SIZE,
        "page_size": PAGE_SIZE,
        "all_queues": sees_every_queue(request.user),
    })


@desk_view
@require_safe
def customer_detail(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Show a customer: details, every address, their tickets in the agent's queues, notes."""
    return _customer_page(request, _customer_or_404(request, customer_id))


@desk_view
@require_POST
def customer_note(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Add an internal note on the customer."""
    customer = _customer_or_404(request, customer_id)
    form = CustomerNoteForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, customer, note_form=form, status=400)
    try:
        customer_note_add(customer=customer, author=request.user, text=form.cleaned_data["text"])  # type: ignore[arg-type]
    except ValueError as error:
        form.add_error("text", str(error))
        return _customer_page(request, customer, note_form=form, status=400)
    messages.success(request, "Note added.")
    return HttpResponseRedirect(_customer_url(customer) + "#notes")


@desk_view(supervisor=True)
@require_POST
def customer_merge_view(request: HttpRequest, customer_id: int) -> HttpResponse:
    """Merge another customer (named by address or number) into this one; supervisors only."""
    target = _customer_or_404(request, customer_id)
    form = CustomerMergeForm(request.POST)
    if not form.is_valid():
        return _customer_page(request, target, merge_form=form, status=400)
    source = customer_by_reference(request.user, form.cleaned_data["other"])
    if source is None:
        # Not found and not visible read the same: a 404 that does not disclose which.
        form.add_error("other", "No customer you can see has that address or number.")
        return _customer_page(request, target, merge_form=form, status=404)
    try:
        result = customer_merge(source=source, target=target, actor=request.user)  # type: ignore[arg-type]
    except ValueError as error:
        form.add_error("other", str(error))
        return _customer_page(request, target, merge_form=form, status=400)
    messages.success(
        request,
        f"Merged {result.source_label} into this customer: {result.tickets} ticket(s), "
        f"{result.addresses} address(es) and {result.notes} note(s) moved.",
    )
    return HttpResponseRedirect(_customer_url(result.target))


urlpatterns: list[URLPattern] = [
    path("customers/", customer_list, name="customers"),
    path("customers/<int:customer_id>/", customer_detail, name="customer"),
    path("customers/<int:customer_id>/merge/", customer_merge_view, name="customer-merge"),
    path("customers/<int:customer_id>/notes/", customer_note, name="customer-note"),
]
