"""Reply templates in the admin: one template, one variant per language."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from postroom.replies.models import ReplyTemplate, ReplyTemplateVariant
from postroom.replies.services import template_syntax_error

_PLACEHOLDERS = (
    "Variables: {{ customer.first_name }}, {{ customer.name }}, {{ ticket.reference }}, "
    "{{ ticket.subject }}, {{ agent.name }}, {{ facts.order_number }} (any fact kind). "
    "Plain text; {% if %} and filters such as {{ customer.first_name|default:\"there\" }} work."
)


class ReplyTemplateVariantForm(forms.ModelForm):
    class Meta:
        model = ReplyTemplateVariant
        fields = ("language", "subject", "body")
        help_texts = {"body": _PLACEHOLDERS}
        widgets = {"body": forms.Textarea(attrs={"rows": 8, "cols": 80})}

    def clean_language(self) -> str:
        return self.cleaned_data["language"].strip().lower()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for name in ("subject", "body"):
            error = template_syntax_error(data.get(name) or "")
            if error:
                self.add_error(name, f"Not a valid template: {error}")
        return data


class ReplyTemplateVariantInline(admin.StackedInline):
    model = ReplyTemplateVariant
    form = ReplyTemplateVariantForm
    extra = 1
    min_num = 1


@admin.register(ReplyTemplate)
class ReplyTemplateAdmin(admin.ModelAdmin):
    """Reply templates, which the desk offers as macros (issue #4): text per language,
    the actions sending one applies, the queues it is offered in and how often it was used."""

    list_display = ("name", "active", "languages", "offered_in", "action_summary", "uses")
    list_filter = ("active", "queues", "action_status")
    search_fields = ("name", "variants__subject", "variants__body")
    readonly_fields = ("uses",)
    filter_horizontal = ("action_tags", "queues")
    fieldsets = (
        (None, {"fields": ("name", "active", "uses")}),
        ("Where the desk offers it", {"fields": ("queues",)}),
        ("Actions when an agent sends it from the desk", {
            "fields": ("action_status", "action_assign", "action_tags"),
            "description": "Applied after the reply is queued. A status set here overrides "
                           "the agent's “send and set status” choice.",
        }),
    )
    inlines = [ReplyTemplateVariantInline]

    @admin.display(description="Languages")
    def languages(self, obj: ReplyTemplate) -> str:
        return ", ".join(v.language for v in obj.variants.all())

    @admin.display(description="Queues")
    def offered_in(self, obj: ReplyTemplate) -> str:
        return ", ".join(q.name for q in obj.queues.all()) or "every queue"

    @admin.display(description="Actions")
    def action_summary(self, obj: ReplyTemplate) -> str:
        parts = []
        if obj.action_status:
            parts.append(f"status {obj.action_status}")
        parts.extend(f"+{tag.name}" for tag in obj.action_tags.all())
        if obj.action_assign:
            parts.append(obj.get_action_assign_display().lower())
        return "; ".join(parts) or "—"

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReplyTemplate]:
        return super().get_queryset(request).prefetch_related("variants", "queues", "action_tags")
