"""Satisfaction surveys in the admin: read-only, filtered by rating, queue and agent."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html

from postroom.surveys.models import Survey
from postroom.tickets.queries import tickets_visible_to


@admin.register(Survey)
class SurveyAdmin(admin.ModelAdmin):
    list_display = (
        "ticket_link",
        "rating",
        "agent",
        "queue",
        "language",
        "sent_at",
        "rated_at",
        "has_comment",
        "reopened_at",
    )
    list_filter = ("rating", "queue", "agent", "language")
    list_select_related = ("ticket", "agent", "queue")
    search_fields = ("comment",)
    date_hierarchy = "created_at"
    # The token hash is never shown: it is only good for checking links.
    fields = (
        "ticket_link",
        "ticket_solved_at",
        "agent",
        "queue",
        "language",
        "rating",
        "rated_at",
        "comment",
        "comment_at",
        "reopened_at",
        "outbound",
        "sent_at",
        "expires_at",
        "created_at",
    )
    readonly_fields = fields

    @admin.display(description="Ticket", ordering="ticket")
    def ticket_link(self, obj: Survey) -> str:
        url = reverse("admin:tickets_ticket_change", args=[obj.ticket_id])
        return format_html('<a href="{}">{}</a>', url, obj.ticket.reference)

    @admin.display(description="Comment", boolean=True)
    def has_comment(self, obj: Survey) -> bool:
        return bool(obj.comment)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Survey]:
        """Show surveys on the tickets the user may see (superusers: all)."""
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(ticket__in=tickets_visible_to(request.user).values("pk"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # surveys come from solved tickets

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the customer's answer is theirs

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
