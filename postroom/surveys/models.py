"""Satisfaction surveys: one per solve of a ticket, rated once through a signed link."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from postroom.core import clock


class Rating(models.IntegerChoices):
    """The five answers, best last; `SURVEY_BAD_RATING` and below alert supervisors."""

    VERY_BAD = 1, "Very bad"
    BAD = 2, "Bad"
    OKAY = 3, "Okay"
    GOOD = 4, "Good"
    GREAT = 5, "Great"


class Survey(models.Model):
    """One survey mailed for one solve of a ticket (issue #5).

    The link's secret is a random nonce; only its sha256 is kept (`token_hash`), so the
    table alone cannot be turned into working links.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="surveys")
    # The solve this survey asks about: a ticket solved, reopened and solved again gets
    # a new survey, but one solve never gets two.
    ticket_solved_at = models.DateTimeField()
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="surveys",
        help_text="Assignee at solve time, else the author of the last reply.",
    )
    queue = models.ForeignKey("accounts.Queue", on_delete=models.PROTECT, related_name="surveys")
    language = models.CharField(max_length=8)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    outbound = models.ForeignKey(
        "mail.OutboundMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField()
    rating = models.PositiveSmallIntegerField(choices=Rating.choices, null=True, blank=True)
    rated_at = models.DateTimeField(null=True, blank=True, db_index=True)
    comment = models.TextField(blank=True)
    comment_at = models.DateTimeField(null=True, blank=True)
    reopened_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "ticket_solved_at"], name="survey_one_per_solve"
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="survey_rating_1_to_5",
            ),
        ]
        indexes = [
            models.Index(fields=["queue", "rated_at"]),
            models.Index(fields=["agent", "rated_at"]),
        ]

    def __str__(self) -> str:
        rated = f"{self.rating}/5" if self.rating else "not rated"
        return f"Survey on ticket {self.ticket_id} ({rated})"
