"""Keep the database's planner statistics fresh (issue #4: the desk's pages at scale).

SQLite has no autovacuum: without `ANALYZE` its planner cannot tell a selective index
from a useless one, and the inbox at 100,000 tickets sorts every row (300 ms instead of
5 ms). PostgreSQL analyses on its own, but a bulk import outruns autovacuum for a while.
"""

from __future__ import annotations

import logging
import time

from django.db import connection

from postroom.core import clock

logger = logging.getLogger(__name__)

REFRESH_SECONDS = 24 * 3600
_last_refresh = {"at": 0.0}


def database_statistics_refresh() -> float:
    """Run ANALYZE on the whole database now; returns the seconds it took."""
    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    elapsed = time.perf_counter() - started
    _last_refresh["at"] = clock.now().timestamp()
    logger.info("database statistics refreshed in %.2f s", elapsed)
    return elapsed


def database_statistics_refresh_due() -> bool:
    """Refresh the statistics if the last refresh in this process is a day old; returns whether it ran."""
    if clock.now().timestamp() - _last_refresh["at"] < REFRESH_SECONDS:
        return False
    database_statistics_refresh()
    return True
