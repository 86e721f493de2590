"""A changed policy or calendar applies to open tickets too (issue #5)."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from postroom.sla.due import sla_policies_changed
from postroom.sla.models import BusinessCalendar, SlaPolicy


def connect() -> None:
    """Connect the receivers (called from SlaConfig.ready)."""
    for model in (SlaPolicy, BusinessCalendar):
        post_save.connect(sla_policies_changed, sender=model, dispatch_uid=f"sla-changed-{model.__name__}-save")
        post_delete.connect(sla_policies_changed, sender=model, dispatch_uid=f"sla-changed-{model.__name__}-del")
