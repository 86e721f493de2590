"""Sign-in rate limiting (issue #4): failed attempts per account and per client address.

After `ACCOUNT_LIMIT` failures for one account (or `ADDRESS_LIMIT` from one address)
within `WINDOW`, further attempts are refused — even with the right password — until
the oldest counted failure leaves the window. Password and two-factor code steps count
separately per account (scopes "login" and "totp") and together per address.

Counts live in Django's default cache. The embedded default's cache is local memory,
which is right for one `postroom serve` process; a deployment with several web processes
needs a shared cache (CACHES pointing at Redis/Memcached or the database cache) or each
process counts on its own. Time comes from `core.clock.now()`, so tests pin it.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import math
from dataclasses import dataclass

from django.core.cache import cache

from postroom.core import clock

log = logging.getLogger(__name__)

WINDOW = dt.timedelta(minutes=15)
ACCOUNT_LIMIT = 5
ADDRESS_LIMIT = 20
_PREFIX = "postroom:signin-failures"


@dataclass(frozen=True)
class Lockout:
    """Attempts are refused until `until`."""

    until: dt.datetime
    reason: str  # "account" or "address", for the log

    def minutes_left(self) -> int:
        """Return the whole minutes until attempts are allowed again (at least 1)."""
        seconds = (self.until - clock.now()).total_seconds()
        return max(1, math.ceil(seconds / 60))

    def seconds_left(self) -> int:
        """Return the seconds until attempts are allowed again (for Retry-After)."""
        return max(1, math.ceil((self.until - clock.now()).total_seconds()))

    def message(self) -> str:
        """Return the sentence shown to the person locked out."""
        minutes = self.minutes_left()
        unit = "minute" if minutes == 1 else "minutes"
        return f"Too many attempts; try again in {minutes} {unit}."


def signin_lockout(*, scope: str, account: str, address: str) -> Lockout | None:
    """Return the lockout that refuses an attempt on *account* from *address*, if any."""
    now = clock.now()
    found = [
        lock
        for lock in (
            _lockout(_account_key(scope, account), ACCOUNT_LIMIT, now, "account"),
            _lockout(_address_key(address), ADDRESS_LIMIT, now, "address"),
        )
        if lock is not None
    ]
    return max(found, key=lambda lock: lock.until) if found else None


def signin_failure_record(*, scope: str, account: str, address: str) -> Lockout | None:
    """Count a failed attempt; return the lockout it starts, if it reaches a limit.

    Logs a warning for each lockout it starts (never the password or code tried).
    """
    now = clock.now()
    _append(_account_key(scope, account), ACCOUNT_LIMIT, now)
    _append(_address_key(address), ADDRESS_LIMIT, now)
    lockout = signin_lockout(scope=scope, account=account, address=address)
    if lockout is not None:
        log.warning(
            "Sign-in locked out (%s step, too many failures per %s) for account %r from %s "
            "until %s",
            scope, lockout.reason, account, address or "unknown address", lockout.until.isoformat(),
        )
    return lockout


def signin_failures_clear(*, scope: str, account: str) -> None:
    """Forget *account*'s failures in *scope* after a successful attempt."""
    cache.delete(_account_key(scope, account))


def _account_key(scope: str, account: str) -> str:
    # Hashed: usernames may hold characters some cache backends refuse in keys.
    digest = hashlib.sha256(account.casefold().encode("utf-8")).hexdigest()
    return f"{_PREFIX}:{scope}:account:{digest}"


def _address_key(address: str) -> str:
    digest = hashlib.sha256(address.encode("utf-8")).hexdigest()
    return f"{_PREFIX}:address:{digest}"


def _recent(key: str, now: dt.datetime) -> list[float]:
    """Return the failure times (epoch seconds) of *key* still inside the window."""
    since = (now - WINDOW).timestamp()
    return [t for t in cache.get(key, []) if since < t <= now.timestamp()]


def _lockout(key: str, limit: int, now: dt.datetime, reason: str) -> Lockout | None:
    recent = _recent(key, now)
    if len(recent) < limit:
        return None
    # Free again once all but limit-1 of the counted failures have left the window.
    oldest_counted = sorted(recent)[-limit]
    until = dt.datetime.fromtimestamp(oldest_counted, tz=dt.UTC) + WINDOW
    return Lockout(until=until, reason=reason)


def _append(key: str, limit: int, now: dt.datetime) -> None:
    # Keep only the newest `limit` failures: that is all a lockout needs, and it bounds
    # what one attacker can make us store. Not atomic across processes; a lost update
    # costs one counted attempt at most.
    recent = sorted([*_recent(key, now), now.timestamp()])[-limit:]
    cache.set(key, recent, timeout=int(WINDOW.total_seconds()) + 60)
