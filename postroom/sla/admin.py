"""Admin for business calendars and SLA policies."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from postroom.core import clock
from postroom.sla.models import BusinessCalendar, QueueEscalation, SlaNotice, SlaPolicy


@admin.register(BusinessCalendar)
class BusinessCalendarAdmin(admin.ModelAdmin):
    list_display = ("name", "timezone", "country", "subdivision", "hours")
    search_fields = ("name",)

    @admin.display(description="Weekly hours")
    def hours(self, obj: BusinessCalendar) -> str:
        return "; ".join(f"{days} {hours}" for days, hours in (obj.weekly_hours or {}).items())


@admin.register(SlaPolicy)
class SlaPolicyAdmin(admin.ModelAdmin):
    list_display = ("name", "position", "active", "queue", "priority", "customer_tier", "calendar",
                    "first_response_minutes", "next_response_minutes", "resolution_minutes")
    list_editable = ("position", "active")
    list_filter = ("active", "queue", "priority", "customer_tier")


@admin.register(QueueEscalation)
class QueueEscalationAdmin(admin.ModelAdmin):
    list_display = ("queue", "supervisor", "manager", "manager_after_minutes", "bump_priority")


@admin.register(SlaNotice)
class SlaNoticeAdmin(admin.ModelAdmin):
    """The in-app side of warnings and escalations: each person sees their own notices."""

    list_display = ("created_at", "ticket", "kind", "target", "level", "user", "reason", "read_at")
    list_filter = ("kind", "target", ("read_at", admin.EmptyFieldListFilter))
    list_select_related = ("ticket", "user")
    readonly_fields = [f.name for f in SlaNotice._meta.fields]
    actions = ("mark_read",)

    def get_queryset(self, request: HttpRequest) -> QuerySet[SlaNotice]:
        rows = super().get_queryset(request)
        return rows if request.user.is_superuser else rows.filter(user=request.user)

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.is_active and request.user.is_staff)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Mark as read", permissions=["view"])
    def mark_read(self, request: HttpRequest, queryset: QuerySet[SlaNotice]) -> None:
        updated = queryset.filter(read_at__isnull=True).update(read_at=clock.now())
        self.message_user(request, f"{updated} notice(s) marked as read.")
