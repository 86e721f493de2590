"""Routing in the admin: the rule editor and its "Test against a message" page, categories,
products, and (read-only) trained models and agents' corrections (issue #3).

Mail content shown on the test page is hostile: everything goes through template
auto-escaping, and the test itself runs inside a transaction that is rolled back.
"""

from __future__ import annotations

import hashlib
import re
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from postroom.mail.models import RawMessage, Source
from postroom.mail.pipeline.decisions import IntakeContext
from postroom.mail.pipeline.runner import StepFailed
from postroom.routing.facts import FACT_KINDS
from postroom.routing.models import (
    ActionKind,
    Category,
    ConditionField,
    Operator,
    Product,
    RoutingFeedback,
    RoutingModel,
    Rule,
    RuleAction,
    RuleCondition,
)
from postroom.routing.rule_preview import rule_preview
from postroom.routing.rules import (
    NAMED_FIELDS,
    VALUELESS_OPERATORS,
    list_items,
    regex_error,
    rule_spec,
    rule_summary,
)
from postroom.tickets.models import Direction, Message, Priority

# RFC 5322 §2.2: a field name is printable US-ASCII except the colon.
_HEADER_NAME = re.compile(r"[!-9;-~]+")

# -- rules --------------------------------------------------------------------------------


class RuleForm(forms.ModelForm):
    class Meta:
        model = Rule
        fields = ("name", "enabled", "position", "match", "stop_processing")
        labels = {"match": "Applies when", "stop_processing": "Stop after this rule"}
        help_texts = {
            "match": "A rule without conditions never applies.",
            "position": "Rules run in this order, lowest first (ties: oldest first).",
            "stop_processing": "When this rule applies, run no later rule.",
        }


class RuleConditionForm(forms.ModelForm):
    class Meta:
        model = RuleCondition
        fields = ("field", "name", "operator", "value")
        labels = {
            "field": "When",
            "name": "Header name / fact kind",
            "operator": "Test",
            "value": "Value",
        }
        help_texts = {
            "name": "Only for a header (e.g. X-Priority) or a fact (e.g. order_number).",
            "value": "Case-insensitive. “is one of”: comma-separated; on subject or body it means "
            "“contains one of”. Empty for “is present” / “is missing”.",
        }

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        field, operator = data.get("field"), data.get("operator")
        name = (data.get("name") or "").strip()
        value = data.get("value") or ""
        data["name"] = name
        if field in NAMED_FIELDS and not name:
            what = (
                "header (e.g. X-Priority)"
                if field == ConditionField.HEADER
                else "fact kind (e.g. order_number)"
            )
            self.add_error("name", f"Name the {what}.")
        elif field not in NAMED_FIELDS and name:
            self.add_error("name", "Only header and fact conditions take a name; leave it empty.")
        elif field == ConditionField.HEADER and not _HEADER_NAME.fullmatch(name):
            self.add_error(
                "name", "Not a header name (letters, digits and dashes, no colon or spaces)."
            )
        elif field == ConditionField.FACT and name.lower() not in FACT_KINDS:
            self.add_error("name", f"Unknown fact kind; one of: {', '.join(FACT_KINDS)}.")
        elif field == ConditionField.FACT:
            data["name"] = name.lower()
        if operator in VALUELESS_OPERATORS:
            if value.strip():
                self.add_error(
                    "value", "“is present” and “is missing” take no value; leave it empty."
                )
        elif not value.strip():
            self.add_error("value", "Give a value to compare with.")
        elif operator == Operator.REGEX and (error := regex_error(value)):
            self.add_error("value", f"Not a valid regular expression: {error}")
        elif operator == Operator.IN_LIST and not list_items(value):
            self.add_error("value", "Give at least one item, separated by commas.")
        return data


# The one target each action kind needs; kinds missing here take none.
_ACTION_TARGET = {
    ActionKind.SET_QUEUE: ("queue", "Choose the queue to move the ticket to."),
    ActionKind.SET_CATEGORY: ("category", "Choose the category to set."),
    ActionKind.ASSIGN: ("agent", "Choose the agent to assign."),
    ActionKind.SEND_TEMPLATE: ("template", "Choose the reply template to send."),
    ActionKind.SET_PRIORITY: ("value", f"Give the priority: {', '.join(Priority.values)}."),
    ActionKind.ADD_TAG: ("value", "Give the tag to add."),
}
_ACTION_FIELDS = ("queue", "category", "agent", "template", "value")


class RuleActionForm(forms.ModelForm):
    class Meta:
        model = RuleAction
        fields = ("kind", "queue", "category", "agent", "template", "value")
        labels = {"kind": "Then", "template": "Reply template", "value": "Priority or tag"}
        help_texts = {"value": f"Priority: {', '.join(Priority.values)}; or the tag to add."}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        kind = data.get("kind")
        if not kind:
            return data
        target, missing = _ACTION_TARGET.get(kind, ("", ""))
        label = ActionKind(kind).label
        data["value"] = (data.get("value") or "").strip()
        for name in _ACTION_FIELDS:
            given = data.get(name) not in (None, "")
            if name == target and not given:
                self.add_error(name, missing)
            elif name != target and given:
                self.add_error(name, f"“{label}” does not use this; leave it empty.")
        if kind == ActionKind.SET_PRIORITY and data["value"]:
            data["value"] = data["value"].lower()
            if data["value"] not in Priority.values:
                self.add_error("value", f"Not a priority; one of: {', '.join(Priority.values)}.")
        template = data.get("template")
        if kind == ActionKind.SEND_TEMPLATE and template is not None and not template.active:
            self.add_error("template", "This template is inactive.")
        agent = data.get("agent")
        if kind == ActionKind.ASSIGN and agent is not None and not agent.is_active:
            self.add_error("agent", "This agent's account is inactive.")
        return data


class RuleConditionInline(admin.TabularInline):
    model = RuleCondition
    form = RuleConditionForm
    extra = 1
    verbose_name = "condition"
    verbose_name_plural = "Conditions (case-insensitive)"


class RuleActionInline(admin.TabularInline):
    model = RuleAction
    form = RuleActionForm
    extra = 1
    verbose_name = "action"
    verbose_name_plural = "Actions (in this order)"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "agent":
            kwargs["queryset"] = db_field.related_model.objects.filter(is_active=True).order_by(
                "username"
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class RuleTestForm(forms.Form):
    """The message to test the rules against: pasted, or a stored one."""

    raw = forms.CharField(
        label="Raw email",
        required=False,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 14, "cols": 90, "spellcheck": "false"}),
        help_text="Paste the whole message: headers, an empty line, then the body "
        "(your mail program's “Show original” / “View source”).",
    )
    raw_id = forms.IntegerField(
        label="…or a stored message (raw message id)", required=False, min_value=1
    )
    ticket = forms.CharField(
        label="…or a ticket",
        required=False,
        max_length=40,
        help_text=f"{settings.POSTROOM['TICKET_PREFIX']}-123 or 123: its first message from the customer.",
    )

    def clean_ticket(self) -> int | None:
        text = self.cleaned_data["ticket"].strip().strip("[]").upper()
        if not text:
            return None
        number = text.removeprefix(f"{str(settings.POSTROOM['TICKET_PREFIX']).upper()}-")
        if not number.isdigit():
            raise ValidationError(
                f"Write a ticket number like {settings.POSTROOM['TICKET_PREFIX']}-123 or 123."
            )
        return int(number)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        given = [
            n
            for n in ("raw", "raw_id", "ticket")
            if data.get(n) not in (None, "") and str(data[n]).strip()
        ]
        if not given:
            raise ValidationError("Paste a message, or give a stored message's id or a ticket.")
        if len(given) > 1:
            raise ValidationError(
                "Give one message only: pasted, a stored message id, or a ticket."
            )
        return data


def _context_of(raw: RawMessage) -> IntakeContext:
    return IntakeContext(
        raw_id=raw.pk,
        sha256=raw.sha256,
        source=raw.source,
        envelope_from=raw.envelope_from,
        envelope_to=tuple(raw.envelope_to or ()),
        mailbox_id=raw.mailbox_id,
    )


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    form = RuleForm
    list_display = ("position", "enabled", "name", "summary", "hits", "last_hit_at")
    list_display_links = ("name",)
    list_editable = ("position", "enabled")
    list_filter = ("enabled",)
    search_fields = ("name",)
    ordering = ("position", "id")
    readonly_fields = ("hits", "last_hit_at")
    fieldsets = (
        (None, {"fields": ("name", "enabled", "position", "match", "stop_processing")}),
        ("Hits", {"fields": ("hits", "last_hit_at")}),
    )
    inlines = [RuleConditionInline, RuleActionInline]

    @admin.display(description="Rule")
    def summary(self, obj: Rule) -> str:
        return rule_summary(rule_spec(obj))

    def get_queryset(self, request: HttpRequest) -> QuerySet[Rule]:
        return (
            super()
            .get_queryset(request)
            .prefetch_related(
                "conditions",
                Prefetch(
                    "actions",
                    queryset=RuleAction.objects.select_related(
                        "queue", "category", "agent", "template"
                    ),
                ),
            )
        )

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        if not form.instance.conditions.exists():
            messages.warning(request, "This rule has no conditions, so it never applies.")

    def get_urls(self) -> list[Any]:
        info = (self.opts.app_label, self.opts.model_name)
        return [
            path(
                "test/",
                self.admin_site.admin_view(self.test_view),
                name=f"{info[0]}_{info[1]}_test",
            ),
            path(
                "<path:object_id>/test/",
                self.admin_site.admin_view(self.test_view),
                name=f"{info[0]}_{info[1]}_test_rule",
            ),
            *super().get_urls(),
        ]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        extra_context = {
            **(extra_context or {}),
            "can_test_rules": self.has_change_permission(request),
        }
        return super().changelist_view(request, extra_context)

    def test_view(self, request: HttpRequest, object_id: str | None = None) -> HttpResponse:
        """Show what the rules (and the whole pipeline) would do with a message; writes nothing."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        rule = None
        if object_id is not None:
            rule = self.get_object(request, unquote(object_id))
            if rule is None:
                raise Http404("No such rule.")
        form = RuleTestForm(request.POST if request.method == "POST" else None)
        preview, error = None, ""
        if form.is_valid():
            source = self._message_source(request, form)
            if source is not None:
                data, context = source
                try:
                    preview = rule_preview(
                        data=data, context=context, rule_id=rule.pk if rule else None
                    )
                except StepFailed as exc:
                    error = f"Intake would fail on this message at step “{exc.step}”: {exc.error}"
        return TemplateResponse(
            request,
            "admin/routing/rule/test.html",
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": f"Test “{rule}” against a message"
                if rule
                else "Test the rules against a message",
                "rule": rule,
                "form": form,
                "preview": preview,
                "error": error,
            },
        )

    def _message_source(
        self, request: HttpRequest, form: RuleTestForm
    ) -> tuple[bytes, IntakeContext] | None:
        data = form.cleaned_data
        if data.get("raw"):
            raw_bytes = data["raw"].encode("utf-8")
            return raw_bytes, IntakeContext(
                raw_id=None, sha256=hashlib.sha256(raw_bytes).hexdigest(), source=Source.ADMIN
            )
        # Stored mail is customers' data: only for those who may read raw messages.
        if not request.user.has_perm("mail.view_rawmessage"):
            form.add_error(None, "You may not read stored messages; paste one instead.")
            return None
        if data.get("raw_id"):
            raw = RawMessage.objects.filter(pk=data["raw_id"]).first()
            if raw is None:
                form.add_error("raw_id", f"No stored message {data['raw_id']}.")
                return None
            return bytes(raw.data), _context_of(raw)
        from postroom.tickets.queries import tickets_visible_to

        number = data["ticket"]
        ticket = tickets_visible_to(request.user).filter(pk=number).first()
        if ticket is None:
            form.add_error(
                "ticket",
                f"No ticket {settings.POSTROOM['TICKET_PREFIX']}-{number} that you may see.",
            )
            return None
        first = (
            Message.objects.filter(ticket=ticket, direction=Direction.INBOUND, raw__isnull=False)
            .select_related("raw")
            .order_by("created_at", "id")
            .first()
        )
        if first is None or first.raw is None:
            form.add_error("ticket", f"{ticket.reference} has no stored message from the customer.")
            return None
        return bytes(first.raw.data), _context_of(first.raw)


# -- categories and the product catalogue --------------------------------------------------


class FactListField(forms.Field):
    """A list of fact kinds, written comma-separated."""

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return ", ".join(str(v) for v in value)
        return value

    def to_python(self, value: Any) -> list[str]:
        text = "" if value in self.empty_values else str(value)
        kinds = [k.strip().lower() for k in str(text).split(",") if k.strip()]
        unknown = [k for k in kinds if k not in FACT_KINDS]
        if unknown:
            raise ValidationError(
                f"Unknown fact kind: {', '.join(unknown)}. Known: {', '.join(FACT_KINDS)}."
            )
        return list(dict.fromkeys(kinds))


class CategoryForm(forms.ModelForm):
    required_facts = FactListField(
        required=False,
        label="Required facts",
        help_text=f"Comma-separated; the acknowledgement asks for the missing ones. Known: {', '.join(FACT_KINDS)}.",
    )

    class Meta:
        model = Category
        fields = ("name", "slug", "description", "required_facts")


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    form = CategoryForm
    list_display = ("name", "slug", "facts_list", "description")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    @admin.display(description="Required facts")
    def facts_list(self, obj: Category) -> str:
        return ", ".join(str(k) for k in obj.required_facts or ())


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("name", "key", "active")
    list_filter = ("active",)
    search_fields = ("name", "key")
    prepopulated_fields = {"key": ("name",)}


# -- read-only records -----------------------------------------------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the system: looked at, never edited here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(RoutingModel)
class RoutingModelAdmin(ReadOnlyAdmin):
    list_display = ("field", "version", "state", "source", "created_at", "promoted_at")
    list_filter = ("field", "state")


@admin.register(RoutingFeedback)
class RoutingFeedbackAdmin(ReadOnlyAdmin):
    list_display = (
        "created_at",
        "ticket",
        "field",
        "decided",
        "decided_source",
        "corrected",
        "actor",
    )
    list_filter = ("field",)
    list_select_related = ("ticket", "actor")
    date_hierarchy = "created_at"
