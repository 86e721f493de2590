"""Saved replies: a template with one variant per language (issue #3 rules send them;
the desk's macros build on them)."""

from __future__ import annotations

from django.db import models


class ReplyTemplate(models.Model):
    name = models.CharField(max_length=200, unique=True)
    active = models.BooleanField(default=True)
    uses = models.PositiveIntegerField(default=0, editable=False)
    # Macro actions (issue #4), applied when an agent sends the reply from the desk.
    action_status = models.CharField(
        max_length=16, blank=True, choices=[("", "Leave as the composer says")] + [
            ("open", "Open"), ("pending", "Pending"), ("solved", "Solved"), ("closed", "Closed")],
        help_text="Status the ticket gets when this macro's reply is sent.",
    )
    action_assign = models.CharField(
        max_length=16, blank=True,
        choices=[("", "Leave the assignee"), ("me", "Assign to the sending agent"), ("nobody", "Unassign")],
    )
    action_tags = models.ManyToManyField("tickets.Tag", blank=True, related_name="+",
                                         help_text="Tags added to the ticket.")
    queues = models.ManyToManyField("accounts.Queue", blank=True, related_name="+",
                                    help_text="Offered in these queues' tickets; none = every queue.")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ReplyTemplateVariant(models.Model):
    """The template in one language; placeholders: {{ customer.first_name }},
    {{ ticket.reference }}, {{ ticket.subject }}, {{ facts.<kind> }}."""

    template = models.ForeignKey(ReplyTemplate, on_delete=models.CASCADE, related_name="variants")
    language = models.CharField(max_length=8, help_text="ISO 639-1, e.g. en, de.")
    subject = models.CharField(max_length=300, blank=True, help_text="Empty: 'Re: <ticket subject>'.")
    body = models.TextField()

    class Meta:
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["template", "language"], name="template_language")]

    def __str__(self) -> str:
        return f"{self.template} ({self.language})"
