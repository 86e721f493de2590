"""Keep per-process caches right when admins change mailboxes."""

from __future__ import annotations

from django.db.models.signals import post_delete, post_save

from postroom.accounts.models import Queue
from postroom.mail.models import Mailbox, MailboxAddress
from postroom.mail.store import mailbox_addresses_changed


def connect() -> None:
    """Connect the cache-invalidating receivers (called from MailConfig.ready)."""
    for model in (Mailbox, MailboxAddress, Queue):
        post_save.connect(mailbox_addresses_changed, sender=model, dispatch_uid=f"addr-save-{model.__name__}")
        post_delete.connect(mailbox_addresses_changed, sender=model, dispatch_uid=f"addr-del-{model.__name__}")
