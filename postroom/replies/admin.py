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
    list_display = ("name", "active", "languages", "uses")
    list_filter = ("active",)
    search_fields = ("name", "variants__subject", "variants__body")
    readonly_fields = ("uses",)
    inlines = [ReplyTemplateVariantInline]

    @admin.display(description="Languages")
    def languages(self, obj: ReplyTemplate) -> str:
        return ", ".join(v.language for v in obj.variants.all())

    def get_queryset(self, request: HttpRequest) -> QuerySet[ReplyTemplate]:
        return super().get_queryset(request).prefetch_related("variants")
