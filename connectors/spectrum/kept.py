"""ODBC connections a process keeps open between short reads of Spectrum's database.

An export's read-back is two statements; logging in to SQL Server costs more than both.
``SpectrumDatabase(keep=True)`` takes a kept connection when it connects and hands it back when it
closes, unless a statement failed on it.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

log = logging.getLogger(__name__)

# ODBC connections a process keeps open between short reads (``keep=True``: an export's read-back):
# logging in to SQL Server costs more than the two statements of a read-back. One per connection
# string (keyed by its digest: the string holds the password), idle at most KEEP_IDLE_SECONDS,
# never one opened by another process (a forked worker does not inherit its parent's).
KEEP_IDLE_SECONDS = 60.0
_kept: dict[str, tuple[int, float, Any]] = {}


def close_quietly(conn: Any) -> None:
    try:
        conn.close()
    except Exception:  # a dead connection may refuse even to close
        log.debug("closing a kept ODBC connection failed", exc_info=True)


def take(key: str) -> Any:
    """A kept connection for ``key`` (taken out: one user at a time), or None."""
    entry = _kept.pop(key, None)
    if entry is None:
        return None
    pid, since, conn = entry
    if pid != os.getpid():
        return None  # the parent's socket: leave it alone
    if time.monotonic() - since > KEEP_IDLE_SECONDS:
        close_quietly(conn)  # the server may have dropped it meanwhile
        return None
    return conn


def forget() -> None:
    """Close every connection this process keeps (tests; at exit the process closes them anyway)."""
    while _kept:
        _, (pid, _, conn) = _kept.popitem()
        if pid == os.getpid():
            close_quietly(conn)


def put(key: str, conn: Any) -> None:
    """Keep ``conn`` for the next reader of ``key`` (closing one kept before it)."""
    earlier = _kept.pop(key, None)
    if earlier is not None and earlier[0] == os.getpid():
        close_quietly(earlier[2])
    _kept[key] = (os.getpid(), time.monotonic(), conn)
