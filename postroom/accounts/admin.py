"""Queues (teams and their members), customers with their addresses, and desk users
(role, queues, two-factor state on Django's user page) in the admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest

from postroom.accounts.models import AgentProfile, Customer, CustomerAddress, Queue
from postroom.accounts.totp import totp_disable


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


class AgentProfileInline(admin.StackedInline):
    """The desk role and signature; the two-factor secret is never shown or edited here."""

    model = AgentProfile
    can_delete = False
    verbose_name = "desk profile"
    verbose_name_plural = "desk profile"
    fields = ("role", "totp_enabled", "signature")
    readonly_fields = ("totp_enabled",)


class QueueMembershipInline(admin.TabularInline):
    """The queues (teams) whose tickets this user works on."""

    model = Queue.members.through
    extra = 0
    verbose_name = "queue membership"
    verbose_name_plural = "queue memberships"


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class DeskUserAdmin(UserAdmin):
    """Django's user admin with the desk role, queues and a two-factor reset."""

    inlines = [AgentProfileInline, QueueMembershipInline]
    list_display = ("username", "email", "first_name", "last_name", "desk_role", "two_factor",
                    "is_staff", "is_active")
    list_select_related = ("agent_profile",)
    list_filter = ("agent_profile__role", "agent_profile__totp_enabled", *UserAdmin.list_filter)
    actions = ["reset_two_factor"]

    @admin.display(description="Desk role", ordering="agent_profile__role")
    def desk_role(self, obj: Any) -> str:
        profile = getattr(obj, "agent_profile", None)
        if profile is not None:
            return profile.get_role_display()
        return "Admin (superuser)" if obj.is_superuser else ("Agent (staff)" if obj.is_staff else "—")

    @admin.display(description="Two-factor", boolean=True)
    def two_factor(self, obj: Any) -> bool:
        profile = getattr(obj, "agent_profile", None)
        return bool(profile and profile.totp_enabled)

    @admin.action(description="Reset two-factor sign-in (lost phone)")
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        count = 0
        for user in queryset.select_related("agent_profile"):
            if self.two_factor(user):
                totp_disable(user=user)
                count += 1
        self.message_user(request, f"Two-factor sign-in reset for {count} user(s).", messages.SUCCESS)
