"""Queues (teams and their members) and customers with their addresses in the admin."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from postroom.accounts.models import Customer, CustomerAddress, Queue


@admin.register(Queue)
class QueueAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "slug",
        "first_reply_promise",
        "send_acknowledgement",
        "is_default",
        "member_count",
    )
    list_filter = ("send_acknowledgement", "is_default")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}
    filter_horizontal = ("members",)

    @admin.display(description="Members", ordering="member_count")
    def member_count(self, obj: Queue) -> int:
        return obj.member_count  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Queue]:
        return super().get_queryset(request).annotate(member_count=Count("members"))


class CustomerAddressInline(admin.TabularInline):
    model = CustomerAddress
    extra = 1


@admin.register(Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = ("name", "address_list", "language", "ticket_count", "created_at")
    search_fields = ("name", "addresses__address")
    list_filter = ("language",)
    inlines = [CustomerAddressInline]
    readonly_fields = ("created_at",)

    @admin.display(description="Addresses")
    def address_list(self, obj: Customer) -> str:
        return ", ".join(a.address for a in obj.addresses.all())

    @admin.display(description="Tickets", ordering="ticket_count")
    def ticket_count(self, obj: Customer) -> int:
        return obj.ticket_count  # type: ignore[attr-defined]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Customer]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related("addresses")
            .annotate(ticket_count=Count("tickets", distinct=True))
        )
