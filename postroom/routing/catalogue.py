"""The product catalogue as facts extraction needs it, loaded once per process."""

from __future__ import annotations

import threading

from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from postroom.routing.facts import CatalogueEntry
from postroom.routing.models import Product

_lock = threading.Lock()
_entries: tuple[CatalogueEntry, ...] | None = None


def product_catalogue() -> tuple[CatalogueEntry, ...]:
    """Return the active products as catalogue entries (cached until a product changes)."""
    global _entries
    with _lock:
        if _entries is None:
            _entries = tuple(
                CatalogueEntry(
                    key=key,
                    name=name,
                    aliases=tuple(str(a) for a in aliases or () if str(a).strip()),
                )
                for key, name, aliases in Product.objects.filter(active=True).values_list(
                    "key", "name", "aliases"
                )
            )
        return _entries


@receiver(post_save, sender=Product)
@receiver(post_delete, sender=Product)
def product_catalogue_changed(**kwargs) -> None:
    """Forget the cached catalogue (a product was added, changed or removed)."""
    global _entries
    with _lock:
        _entries = None
