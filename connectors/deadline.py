"""A deadline on the whole reply of one outbound HTTP request (to Spectrum or to the platform).

requests' ``(connect, read)`` timeouts bound each socket read, not the reply: a server that sends
one byte a second never trips a 60 s read timeout, and holds the worker for as long as it likes.

:class:`ReplyWatch` is a stopwatch per request; one alarm thread per process serves them all. When
the reply is still arriving at its deadline, the alarm shuts the request's socket down, which wakes
the worker's blocked read at once (it sees the connection end); the client then finds
``watch.expired`` and raises its own error in plain words. Nothing is raised into the worker from
outside, and no signal is used (Celery's time limits own those).

The sockets are found through :class:`DeadlineAdapter`, a requests adapter whose connections
register themselves with the watch of the calling thread each time they send a request (new and
kept-alive connections alike). A session without it still gets ``expired`` set, but only notices
once the slow reply ends by itself.

Two kinds of deadline:

- fixed (``min_rate=0``): ``seconds`` from sending the request to the last byte of the reply. For
  replies that are small whatever happens (a Put's messages, a REST batch result, a token).
- a minimum pace (``min_rate>0``), for streamed replies that are big when healthy (a 100k-customer
  Get is ~57 MB, and no fixed time suits every size and link): the reply may fall behind
  ``min_rate`` bytes a second by at most ``seconds``. It starts with ``seconds`` of slack; waiting
  spends slack, every ``min_rate`` bytes received give one second back, never more than
  ``seconds`` in all. So a reply at ``min_rate`` or faster is never cut, however big; a drip is cut
  about ``seconds`` after it begins, even after megabytes came at full speed (slack does not pile
  up); and a pause of up to ``seconds`` is forgiven. Only time spent waiting for the server counts
  (:meth:`pause` / :meth:`resume` around the caller's own work): a slow consumer (our parsing and
  database writes) costs the server nothing. It is curl's "low speed limit" in another form.
"""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from connectors.outbound import OutboundPolicy, OutboundRefused, guarded_pools

logger = logging.getLogger("connectors.deadline")

_current = threading.local()  # the watch of the request this thread is sending, if any
_RETRY_SHUTDOWN = 0.05  # seconds: the socket was still being opened when the deadline passed


class _Alarms:
    """One daemon thread per process that calls each watch back when its time may be up.

    A thread per request would cost ~0.4 ms to start, a tenth of a loopback Put. Entries of
    finished watches are not removed, only ignored when due. Started lazily, and again in a forked
    child (Celery's prefork pool), which does not inherit the parent's thread.
    """

    def __init__(self) -> None:
        self._reset()
        os.register_at_fork(after_in_child=self._reset)

    def _reset(self) -> None:
        self._cond = threading.Condition()
        self._heap: list[tuple[float, int, ReplyWatch]] = []
        self._order = itertools.count()
        self._thread: threading.Thread | None = None

    def schedule(self, due: float, watch: ReplyWatch) -> None:
        with self._cond:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="reply-deadlines", daemon=True)
                self._thread.start()
            heapq.heappush(self._heap, (due, next(self._order), watch))
            self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._heap or self._heap[0][0] > time.monotonic():
                    self._cond.wait(self._heap[0][0] - time.monotonic() if self._heap else None)
                due, _, watch = heapq.heappop(self._heap)
            try:
                watch._alarm_due(due)
            except Exception:  # never let one watch stop the thread that serves them all
                logger.exception("reply deadline check failed")


_ALARMS = _Alarms()


class ReplyWatch:
    """The deadline of one request's reply. Thread-safe; checked from the alarm thread."""

    def __init__(self, seconds: float, *, min_rate: float = 0.0) -> None:
        self.seconds = float(seconds)
        self.min_rate = float(min_rate)
        self.expired = False
        self._lock = threading.Lock()
        self._connections: list[Any] = []
        self._received = 0
        self._slack = self.seconds  # seconds left, as of _since (or as of the last pause)
        self._since: float | None = None  # while waiting for the server: when _slack was settled
        self._started: float | None = None
        self._alarm: float | None = None  # when the pending alarm is due; older ones are stale
        self._done = False

    # -- what the client calls ---------------------------------------------------------------------

    @contextmanager
    def sending(self) -> Iterator[ReplyWatch]:
        """Start (or resume) the clock, and watch the connections that send from this thread."""
        previous = getattr(_current, "watch", None)
        _current.watch = self
        self.resume()
        try:
            yield self
        finally:
            _current.watch = previous

    def resume(self) -> None:
        with self._lock:
            if self._done or self._since is not None:
                return
            now = time.monotonic()
            self._started = self._started or now
            self._since = now
            if self._alarm is None and not self.expired:
                self._arm(now + self._slack)

    def pause(self) -> None:
        """The caller is busy with what it received: this time is not the server's."""
        with self._lock:
            self._settle(time.monotonic())
            self._since = None

    def received(self, count: int) -> None:
        with self._lock:
            self._received += count
            if self.min_rate > 0:
                self._settle(time.monotonic())
                self._slack = min(self.seconds, self._slack + count / self.min_rate)

    def finish(self) -> bool:
        """Stop watching. True when the reply ended before the deadline (then it is whole)."""
        with self._lock:
            self._done = True
            self._alarm = None
            self._connections.clear()
        return not self.expired

    @property
    def elapsed(self) -> float:
        """Wall-clock seconds since the request was sent."""
        return time.monotonic() - self._started if self._started is not None else 0.0

    @property
    def received_bytes(self) -> int:
        return self._received

    # -- the timer ---------------------------------------------------------------------------------

    def _settle(self, now: float) -> None:
        if self._since is not None:
            self._slack -= now - self._since
            self._since = now

    def _arm(self, due: float) -> None:
        self._alarm = due
        _ALARMS.schedule(due, self)

    def _alarm_due(self, due: float) -> None:
        with self._lock:
            if due != self._alarm:
                return  # finished, or a newer alarm is pending
            self._alarm = None
            if self._done or self._since is None:
                return  # paused: resume() arms the alarm again
            now = time.monotonic()
            if not self.expired:
                self._settle(now)
                if self._slack > 0:  # the reply earned more time since the alarm was set
                    self._arm(now + self._slack)
                    return
                self.expired = True
            connections = list(self._connections)
            all_shut = bool(connections) and all(_shut_down(conn) for conn in connections)
            if not all_shut:
                self._arm(now + _RETRY_SHUTDOWN)

    def _register(self, connection: Any) -> None:
        with self._lock:
            if self._done:
                return
            self._connections.append(connection)
            expired = self.expired
        if expired:
            _shut_down(connection)


def _shut_down(connection: Any) -> bool:
    """Shut the connection's socket down under the reader's feet; False if it has none yet."""
    sock = getattr(connection, "sock", None)
    if sock is None:
        return False
    # The plain socket's shutdown, also for TLS: SSLSocket.shutdown would tear down the TLS object
    # the reading thread is using; this only makes its read see the end of the stream.
    with contextlib.suppress(OSError):  # already closed
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    return True


def _register_current(connection: Any) -> None:
    watch = getattr(_current, "watch", None)
    if watch is not None:
        watch._register(connection)


class _WatchedHTTPConnection(HTTPConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register_current(self)
        super().request(*args, **kwargs)


class _WatchedHTTPSConnection(HTTPSConnection):
    def request(self, *args: Any, **kwargs: Any) -> None:
        _register_current(self)
        super().request(*args, **kwargs)


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


class DeadlineAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose connections a :class:`ReplyWatch` can cut, and, given a ``policy``,
    open only the destinations it allows (connectors/outbound.py). It never uses a proxy: the
    proxy, not we, would open the connection the policy must check."""

    def __init__(self, *args: Any, policy: OutboundPolicy | None = None, **kwargs: Any) -> None:
        self._policy = policy
        super().__init__(*args, **kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        if self._policy is None:
            self.poolmanager.pool_classes_by_scheme = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}
        else:
            pools = guarded_pools(self._policy, _WatchedHTTPConnection, _WatchedHTTPSConnection)
            self.poolmanager.pool_classes_by_scheme = pools

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        raise OutboundRefused("outbound requests never go through a proxy")


def timed_body(raw: Any, watch: ReplyWatch, size: int = 256 * 1024) -> Iterator[bytes]:
    """The body of a streamed reply (``response.raw``, urllib3) read under ``watch``: each piece as
    soon as it is in (``read1``, never waiting to fill ``size``), counted as received, and only the
    time spent waiting for it on the clock. Raises urllib3's errors when the stream breaks."""
    while True:
        watch.resume()
        try:
            chunk = raw.read1(size, decode_content=True)
        finally:
            watch.pause()
        if not chunk:
            return
        watch.received(len(chunk))
        yield chunk


__all__ = ["DeadlineAdapter", "ReplyWatch", "timed_body"]
