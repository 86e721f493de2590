"""Queues (teams), customers and their addresses."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from postroom.core import clock


class Queue(models.Model):
    """A team that owns tickets: Technical Support, Billing, Warranty & Returns …"""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    # Shown in the acknowledgement: "We aim to reply within 1 business day."
    first_reply_promise = models.CharField(
        max_length=200,
        default="within 1 business day",
        help_text="Completes the sentence 'You can expect a first reply …' (English; "
        "translated phrases for the common defaults are built in).",
    )
    send_acknowledgement = models.BooleanField(default=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="queues")
    is_default = models.BooleanField(
        default=False, help_text="Receives mail that no mailbox address claims (imports)."
    )
    required_facts = models.JSONField(
        default=list, blank=True,
        help_text="Facts a useful report to this team needs (firmware_version, order_number …); "
        "the acknowledgement asks for the missing ones (a category's list comes first).",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class CustomerTier(models.TextChoices):
    STANDARD = "standard", "Standard"
    PREMIUM = "premium", "Premium"
    VIP = "vip", "VIP"


class Customer(models.Model):
    """A person who writes in; may have several addresses."""

    name = models.CharField(max_length=200, blank=True)
    language = models.CharField(max_length=8, blank=True)
    tier = models.CharField(max_length=16, choices=CustomerTier.choices, default=CustomerTier.STANDARD)
    timezone = models.CharField(max_length=64, blank=True,
                                help_text="IANA name, e.g. America/New_York: promised times are shown in it.")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        primary = self.addresses.first()
        return self.name or (primary.address if primary else f"Customer {self.pk}")


class CustomerAddress(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="addresses")
    address = models.EmailField(max_length=320, unique=True)

    class Meta:
        verbose_name_plural = "customer addresses"

    def __str__(self) -> str:
        return self.address


class Role(models.TextChoices):
    """What a desk user may do (issue #4); queue membership says which tickets they see."""

    AGENT = "agent", "Agent"  # their queues' tickets
    SUPERVISOR = "supervisor", "Supervisor"  # + service figures, customer merges, macros
    ADMIN = "admin", "Admin"  # every queue, the settings pages


class AgentProfile(models.Model):
    """A desk user's role, two-factor secret and reply signature."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                primary_key=True, related_name="agent_profile")
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.AGENT)
    # RFC 6238 TOTP: base32 secret; enabled once the agent confirmed a code from their app.
    totp_secret = models.CharField(max_length=64, blank=True)
    totp_enabled = models.BooleanField(default=False)
    # The last time step accepted, so a code cannot be replayed within its 30 s window.
    totp_last_step = models.BigIntegerField(default=0)
    signature = models.TextField(blank=True)

    def __str__(self) -> str:
        return f"{self.user} ({self.role})"


class CustomerNote(models.Model):
    """An agent's internal note on a customer, shown on the desk's customer page (issue #4)."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                               related_name="+")
    text = models.TextField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Note on customer {self.customer_id}"
