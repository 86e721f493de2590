"""Mail in the admin: received raw mail (and its replay), the outbox, mailboxes,
bounces and suppressions. Everything shown from a message is escaped."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator

from postroom.core import clock
from postroom.mail.models import (
    Bounce,
    ImapCursor,
    Mailbox,
    MailboxAddress,
    OutboundMessage,
    RawMessage,
    RawState,
    Suppression,
)
from postroom.mail.outbound.outbox import outbound_message_retry


def _short(value: str, length: int = 80) -> str:
    return Truncator(" ".join((value or "").split())).chars(length)


def _eml_response(data: bytes, filename: str) -> HttpResponse:
    """Return *data* as a downloaded .eml file that the browser will not render."""
    response = HttpResponse(bytes(data), content_type="application/octet-stream")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response


class _EmlDownloadMixin:
    """Adds `<id>/eml/` to a model admin: the stored bytes as a .eml download."""

    eml_prefix = "message"

    def get_urls(self) -> list[Any]:
        opts = self.model._meta  # type: ignore[attr-defined]
        urls = [
            path(
                "<path:object_id>/eml/",
                self.admin_site.admin_view(self.eml_view),  # type: ignore[attr-defined]
                name=f"{opts.app_label}_{opts.model_name}_eml",
            )
        ]
        return urls + super().get_urls()  # type: ignore[misc]

    def eml_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, object_id)  # type: ignore[attr-defined]
        if obj is None or not self.has_view_permission(request, obj):  # type: ignore[attr-defined]
            raise Http404("No such message.")
        return _eml_response(obj.data, f"{self.eml_prefix}-{obj.pk}.eml")

    @admin.display(description="Raw message")
    def eml_link(self, obj: Any) -> str:
        if obj.pk is None:
            return "-"
        opts = obj._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_eml", args=[obj.pk])
        return format_html('<a href="{}">Download .eml</a>', url)


class QuarantinedFilter(admin.SimpleListFilter):
    title = "needs attention"
    parameter_name = "attention"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("quarantined", "Quarantined"), ("waiting", "Received, waiting")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "quarantined":
            return queryset.filter(state=RawState.QUARANTINED)
        if self.value() == "waiting":
            return queryset.filter(state=RawState.RECEIVED)
        return queryset


@admin.register(RawMessage)
class RawMessageAdmin(_EmlDownloadMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "received_at",
        "source",
        "mailbox",
        "envelope_from",
        "message_id_short",
        "state",
        "outcome",
        "failed_step",
        "error_short",
        "ticket_link",
    )
    list_filter = (QuarantinedFilter, "state", "outcome", "source", "mailbox")
    search_fields = ("message_id", "envelope_from", "sha256", "origin")
    list_select_related = ("mailbox", "ticket")
    date_hierarchy = "received_at"
    actions = ["retry_processing"]
    eml_prefix = "raw"
    fields = (
        "eml_link",
        "size",
        "sha256",
        "message_id",
        "source",
        "mailbox",
        "envelope_from",
        "envelope_to",
        "origin",
        "received_at",
        "state",
        "outcome",
        "ticket_link",
        "duplicate_of",
        "failed_step",
        "error",
        "attempts",
        "processed_at",
    )
    readonly_fields = fields

    @admin.display(description="Message-ID")
    def message_id_short(self, obj: RawMessage) -> str:
        return _short(obj.message_id, 50)

    @admin.display(description="Error")
    def error_short(self, obj: RawMessage) -> str:
        return _short(obj.error)

    @admin.display(description="Ticket")
    def ticket_link(self, obj: RawMessage) -> str:
        if obj.ticket is None:
            return "-"
        url = reverse("admin:tickets_ticket_change", args=[obj.ticket.pk])
        return format_html('<a href="{}">{}</a>', url, obj.ticket.reference)

    def get_queryset(self, request: HttpRequest) -> QuerySet[RawMessage]:
        qs = super().get_queryset(request).defer("data")
        if request.user.is_superuser:
            return qs
        user = request.user
        return qs.filter(
            Q(mailbox__queue__members=user) | Q(ticket__queue__members=user)
        ).distinct()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # received mail is stored by the sources, never typed in

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the bytes are evidence; only their processing state changes

    @admin.action(description="Retry processing")
    def retry_processing(self, request: HttpRequest, queryset: QuerySet[RawMessage]) -> None:
        # The pipeline runner is imported here: it loads the whole pipeline.
        from postroom.mail.pipeline.runner import raw_message_retry

        done = 0
        for raw_id in queryset.values_list("pk", flat=True):
            try:
                raw_message_retry(raw_id=raw_id)
            except Exception as exc:  # one bad message must not stop the others
                self.message_user(request, f"Raw message {raw_id}: {exc}", messages.ERROR)
            else:
                done += 1
        if done:
            self.message_user(
                request, f"{done} message(s) sent back through the pipeline.", messages.SUCCESS
            )


@admin.register(OutboundMessage)
class OutboundMessageAdmin(_EmlDownloadMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "created_at",
        "kind",
        "automatic",
        "recipients_short",
        "subject",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error_short",
        "ticket_link",
    )
    list_filter = ("state", "kind", "automatic")
    search_fields = ("subject", "message_id", "recipients")
    list_select_related = ("ticket",)
    date_hierarchy = "created_at"
    actions = ["retry_now"]
    eml_prefix = "outbound"
    fields = (
        "eml_link",
        "ticket_link",
        "kind",
        "automatic",
        "from_address",
        "recipients",
        "subject",
        "message_id",
        "state",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
        "sent_at",
        "source_text",
    )
    readonly_fields = fields

    @admin.display(description="Recipients")
    def recipients_short(self, obj: OutboundMessage) -> str:
        return _short(", ".join(obj.recipients), 60)

    @admin.display(description="Last error")
    def last_error_short(self, obj: OutboundMessage) -> str:
        return _short(obj.last_error)

    @admin.display(description="Ticket")
    def ticket_link(self, obj: OutboundMessage) -> str:
        if obj.ticket is None:
            return "-"
        url = reverse("admin:tickets_ticket_change", args=[obj.ticket.pk])
        return format_html('<a href="{}">{}</a>', url, obj.ticket.reference)

    @admin.display(description="Message as sent")
    def source_text(self, obj: OutboundMessage) -> str:
        text = bytes(obj.data).decode("utf-8", "replace")
        return format_html('<pre style="white-space: pre-wrap">{}</pre>', text)

    def get_queryset(self, request: HttpRequest) -> QuerySet[OutboundMessage]:
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(ticket__queue__members=request.user).distinct()

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # replies are written on the ticket page

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a stored message is what was (or will be) sent, byte for byte

    @admin.action(description="Retry now", permissions=["view"])
    def retry_now(self, request: HttpRequest, queryset: QuerySet[OutboundMessage]) -> None:
        queued = sum(outbound_message_retry(outbound=o) for o in queryset)
        skipped = queryset.count() - queued
        self.message_user(
            request,
            f"{queued} message(s) queued for sending now."
            + (f" {skipped} already sent or suppressed." if skipped else ""),
        )


class MailboxAddressInline(admin.TabularInline):
    model = MailboxAddress
    extra = 1


class MailboxForm(forms.ModelForm):
    """Mailbox settings; the IMAP password is write-only (empty keeps the stored one)."""

    imap_password = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"}),
        help_text="Leave empty to keep the stored password (or to use the environment "
        "variable named below).",
    )
    clear_imap_password = forms.BooleanField(required=False, label="Remove the stored password")

    class Meta:
        model = Mailbox
        fields = (
            "name",
            "kind",
            "queue",
            "active",
            "imap_host",
            "imap_port",
            "imap_ssl",
            "imap_username",
            "imap_password",
            "imap_password_env",
            "imap_folder",
            "imap_processed_folder",
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("clear_imap_password"):
            data["imap_password"] = ""
        elif not data.get("imap_password") and self.instance.pk:
            data["imap_password"] = self.instance.imap_password
        return data


@admin.register(Mailbox)
class MailboxAdmin(admin.ModelAdmin):
    form = MailboxForm
    list_display = ("name", "kind", "queue", "active", "address_list", "imap_host")
    list_filter = ("kind", "active", "queue")
    search_fields = ("name", "addresses__address", "imap_host", "imap_username")
    inlines = [MailboxAddressInline]
    fieldsets = (
        (None, {"fields": ("name", "kind", "queue", "active")}),
        (
            "IMAP account",
            {
                "classes": ("collapse",),
                "fields": (
                    "imap_host",
                    "imap_port",
                    "imap_ssl",
                    "imap_username",
                    "imap_password",
                    "clear_imap_password",
                    "imap_password_env",
                    "imap_folder",
                    "imap_processed_folder",
                ),
            },
        ),
    )

    @admin.display(description="Addresses")
    def address_list(self, obj: Mailbox) -> str:
        return ", ".join(a.address for a in obj.addresses.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[Mailbox]:
        return super().get_queryset(request).prefetch_related("addresses")


@admin.register(ImapCursor)
class ImapCursorAdmin(admin.ModelAdmin):
    list_display = ("mailbox", "folder", "uidvalidity", "last_uid", "updated_at")
    readonly_fields = ("mailbox", "folder", "uidvalidity", "last_uid", "updated_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


@admin.register(Bounce)
class BounceAdmin(admin.ModelAdmin):
    list_display = (
        "created_at",
        "recipient",
        "action",
        "status",
        "hard",
        "diagnostic_short",
        "ticket",
        "outbound",
    )
    list_filter = ("hard", "action")
    search_fields = ("recipient", "diagnostic", "status")
    list_select_related = ("ticket", "outbound")
    readonly_fields = (
        "raw",
        "ticket",
        "outbound",
        "recipient",
        "action",
        "status",
        "diagnostic",
        "hard",
        "created_at",
    )

    @admin.display(description="Diagnostic")
    def diagnostic_short(self, obj: Bounce) -> str:
        return _short(obj.diagnostic)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ActiveSuppressionFilter(admin.SimpleListFilter):
    title = "in force"
    parameter_name = "active"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", "In force"), ("no", "Expired")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() == "yes":
            return queryset.filter(until__gt=clock.now())
        if self.value() == "no":
            return queryset.filter(until__lte=clock.now())
        return queryset


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ("address", "reason", "until", "created_at")
    list_filter = (ActiveSuppressionFilter,)
    search_fields = ("address", "reason")
    date_hierarchy = "created_at"
