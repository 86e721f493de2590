"""Routing's data: categories, the product catalogue, admin rules, trained model
versions and agents' corrections (issue #3)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from postroom.core import clock


class Category(models.Model):
    """What a request is about (sync problem, battery, refund …); routed like the queue."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    required_facts = models.JSONField(
        default=list, blank=True,
        help_text="Facts a useful report of this kind needs (firmware_version, order_number …); "
        "the acknowledgement asks for the missing ones.",
    )

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """One entry of the product catalogue that facts extraction matches against."""

    key = models.SlugField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    aliases = models.JSONField(default=list, blank=True, help_text='Other names, e.g. ["Pulse3", "P3"].')
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Rule(models.Model):
    """An admin's ordered rule: when its conditions hold, its actions are taken."""

    class Match(models.TextChoices):
        ALL = "all", "all conditions hold"
        ANY = "any", "any condition holds"

    name = models.CharField(max_length=200)
    position = models.PositiveIntegerField(default=100, db_index=True, help_text="Lower runs first.")
    enabled = models.BooleanField(default=True)
    match = models.CharField(max_length=3, choices=Match.choices, default=Match.ALL)
    stop_processing = models.BooleanField(default=False, help_text="Run no later rule when this one applies.")
    hits = models.PositiveIntegerField(default=0, editable=False)
    last_hit_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(default=clock.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.name


class ConditionField(models.TextChoices):
    FROM = "from", "Sender address"
    FROM_DOMAIN = "from_domain", "Sender domain"
    TO = "to", "Recipient address (To/Cc/envelope)"
    SUBJECT = "subject", "Subject"
    BODY = "body", "Body (the new text)"
    SUBJECT_OR_BODY = "text", "Subject or body"
    HEADER = "header", "Header (name below)"
    LANGUAGE = "language", "Language"
    CATEGORY = "category", "Category (slug)"
    QUEUE = "queue", "Queue (slug)"
    PRIORITY = "priority", "Priority"
    FACT = "fact", "Extracted fact (kind below)"
    CUSTOMER_TIER = "customer_tier", "Customer tier"
    CUSTOMER_NAME = "customer_name", "Customer name"
    ATTACHMENT_NAME = "attachment", "Attachment file name"


class Operator(models.TextChoices):
    CONTAINS = "contains", "contains"
    NOT_CONTAINS = "not_contains", "does not contain"
    EQUALS = "equals", "equals"
    NOT_EQUALS = "not_equals", "does not equal"
    STARTS_WITH = "starts_with", "starts with"
    ENDS_WITH = "ends_with", "ends with"
    REGEX = "regex", "matches regular expression"
    IN_LIST = "in_list", "is one of (comma-separated)"
    EXISTS = "exists", "is present"
    MISSING = "missing", "is missing"


class RuleCondition(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    field = models.CharField(max_length=16, choices=ConditionField.choices)
    name = models.CharField(max_length=100, blank=True, help_text="Header name or fact kind.")
    operator = models.CharField(max_length=16, choices=Operator.choices, default=Operator.CONTAINS)
    value = models.CharField(max_length=1000, blank=True, help_text="Case-insensitive.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        name = f"[{self.name}]" if self.name else ""
        return f"{self.get_field_display()}{name} {self.get_operator_display()} {self.value!r}"


class ActionKind(models.TextChoices):
    SET_QUEUE = "set_queue", "Move to queue (team)"
    SET_CATEGORY = "set_category", "Set category"
    SET_PRIORITY = "set_priority", "Set priority"
    ADD_TAG = "add_tag", "Add tag"
    ASSIGN = "assign", "Assign to agent"
    SEND_TEMPLATE = "send_template", "Reply with template"
    SKIP_ACK = "skip_ack", "Do not send the acknowledgement"
    MARK_SPAM = "mark_spam", "Mark as spam"
    NEEDS_TRIAGE = "needs_triage", "Send to Needs triage"


class RuleAction(models.Model):
    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="actions")
    kind = models.CharField(max_length=16, choices=ActionKind.choices)
    queue = models.ForeignKey("accounts.Queue", on_delete=models.CASCADE, null=True, blank=True)
    category = models.ForeignKey(Category, on_delete=models.CASCADE, null=True, blank=True)
    agent = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True)
    template = models.ForeignKey("replies.ReplyTemplate", on_delete=models.CASCADE, null=True, blank=True)
    value = models.CharField(max_length=100, blank=True, help_text="Priority or tag.")

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        target = self.queue or self.category or self.agent or self.template or self.value
        return f"{self.get_kind_display()} {target or ''}".strip()


class RoutedField(models.TextChoices):
    QUEUE = "queue", "Queue"
    CATEGORY = "category", "Category"
    PRIORITY = "priority", "Priority"


class RoutingModel(models.Model):
    """One trained version of a field's classifier; at most one per field is active."""

    class State(models.TextChoices):
        ACTIVE = "active", "Active"
        CANDIDATE = "candidate", "Candidate (not better than the active one)"
        RETIRED = "retired", "Retired"

    field = models.CharField(max_length=16, choices=RoutedField.choices)
    version = models.PositiveIntegerField()
    state = models.CharField(max_length=16, choices=State.choices, default=State.CANDIDATE)
    path = models.CharField(max_length=500, help_text="The model file, relative to DATA_DIR.")
    sha256 = models.CharField(max_length=64)
    card = models.JSONField(default=dict, help_text="How it was made and its cross-validated figures.")
    source = models.CharField(max_length=200, blank=True, help_text="desk history, or the CSV it came from")
    created_at = models.DateTimeField(default=clock.now)
    promoted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["field", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["field", "version"], name="routing_model_version"),
            models.UniqueConstraint(fields=["field"], condition=models.Q(state="active"),
                                    name="routing_model_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.field} v{self.version} ({self.state})"


class RoutingFeedback(models.Model):
    """An agent changed a field that was decided automatically: a label for the next model."""

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="routing_feedback")
    field = models.CharField(max_length=16, choices=RoutedField.choices)
    decided = models.CharField(max_length=200, help_text="The automatic value.")
    decided_source = models.CharField(max_length=200, blank=True)
    corrected = models.CharField(max_length=200, help_text="The agent's value.")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "routing feedback"

    def __str__(self) -> str:
        return f"{self.field}: {self.decided} → {self.corrected} on {self.ticket_id}"
