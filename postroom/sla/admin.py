"""Admin for business calendars and SLA policies."""

from __future__ import annotations

from django.contrib import admin

from postroom.sla.models import BusinessCalendar, SlaNotice, SlaPolicy


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


@admin.register(SlaNotice)
class SlaNoticeAdmin(admin.ModelAdmin):
    list_display = ("created_at", "ticket", "kind", "target", "level", "user", "reason", "read_at")
    list_filter = ("kind", "target")
    readonly_fields = [f.name for f in SlaNotice._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
