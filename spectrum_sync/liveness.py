"""Worker liveness: notice a worker that has stopped consuming, and restart it.

The failure: after a Redis restart or failover, or a network device forgetting a connection, the
worker's consumer connection can be left half-open. No reset ever arrives, the socket looks alive,
the BRPOP it sent is never answered, and the worker sits "connected" and idle while its queues
fill up. Celery reconnects only when it sees an error, and here it never sees one.

First line of defence: kombu's own check of the BRPOP connection (``health_check_interval`` in
CELERY_BROKER_TRANSPORT_OPTIONS, settings.py), which drops a connection whose reply is overdue.
Second line, here, for any other way a consumer can stop: a watchdog thread in the worker's main
process publishes a tiny canary task every WORKER_LIVENESS_INTERVAL seconds to a queue that only
this worker consumes (Celery's ``worker_direct`` queue), over a fresh broker connection with short
timeouts, never the worker's own and possibly dead one. The consumer marks each canary as seen
when it receives it. A canary that waited WORKER_LIVENESS_TIMEOUT seconds while the pool had a
free slot means the worker has stopped consuming: it is logged at CRITICAL and the worker restarts
in place (a warm shutdown, then ``execv`` of the same command line, as Celery's own SIGHUP restart
does; same PID, same log). If that warm shutdown has not finished WORKER_LIVENESS_RESTART_GRACE
seconds after the last running task did (its loop can be blocked on a dead connection too), the
pool processes are killed and the worker exits with code 70, for the process supervisor to start
it again (``make run``'s does).

Nothing is lost or doubled by a restart: tasks acknowledge late, so an unacknowledged message
returns to the queue, and the export engine claims each record before sending it; a record whose
worker was killed mid-send is reconciled by the sweeper.

What is not a stuck worker: a worker whose every pool slot is busy (it does not fetch messages
then, canaries included), and a broker that cannot be reached at all (the canary cannot even be
published; Celery's reconnection deals with that).
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from celery import Celery, bootsteps
from celery.signals import task_received
from celery.utils.nodenames import worker_direct
from celery.worker import state as worker_state
from celery.worker.control import inspect_command

logger = logging.getLogger(__name__)

CANARY_TASK = "spectrum_sync.tasks.liveness_canary"
EXIT_STUCK = 70  # EX_SOFTWARE: the supervisor starts the worker again
# Transports whose messages other processes can see; with ``memory://`` a canary never leaves.
SUPPORTED_TRANSPORTS = {"redis", "rediss", "filesystem", "amqp", "pyamqp"}


@dataclass
class Watch:
    """The decision, without threads or clocks of its own (times are ``time.monotonic()``).

    A canary counts against the worker only for the time the pool had a free slot since it was
    published: a worker whose slots are all taken fetches nothing, and that is not a fault.
    """

    timeout: float
    pending: dict[str, float] = field(default_factory=dict)  # canary id -> when it was published
    last_full_at: float | None = None  # when the pool was last seen with no free slot
    last_seen_at: float | None = None  # when a canary last arrived

    def publishing(self, canary_id: str, now: float) -> None:
        self.pending[canary_id] = now

    def publish_failed(self) -> None:
        """The broker could not be reached: nothing is owed, Celery's reconnection has the job."""
        self.pending.clear()

    def received(self, canary_id: str, now: float) -> None:
        sent = self.pending.get(canary_id)
        if sent is None:
            return  # published by an earlier run of this worker, or already superseded
        # A canary that arrived proves the consumer took everything published before it, or
        # may still do so: older canaries lost with a flushed or restarted Redis are forgiven.
        self.pending = {cid: at for cid, at in self.pending.items() if at > sent}
        self.last_seen_at = now

    def pool_full(self, now: float) -> None:
        self.last_full_at = now

    def overdue(self, now: float) -> float | None:
        """Seconds the oldest canary waited with a free pool slot, once that reaches the timeout."""
        if not self.pending:
            return None
        waiting_since = min(self.pending.values())
        if self.last_full_at is not None:
            waiting_since = max(waiting_since, self.last_full_at)
        waited = now - waiting_since
        return waited if waited >= self.timeout else None


class Watchdog:
    """The thread: publish canaries, watch for them, restart the worker when one is overdue."""

    def __init__(
        self,
        app: Celery,
        hostname: str,
        slots: int,
        interval: float,
        timeout: float,
        restart_grace: float,
        task_time_limit: float = 0,
        restart: Callable[[], None] | None = None,
    ) -> None:
        self.app, self.hostname, self.slots = app, hostname, slots
        self.interval, self.restart_grace = interval, restart_grace
        self.task_time_limit = task_time_limit
        self.queue = worker_direct(hostname)
        self.watch = Watch(timeout=timeout)
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.stuck = False
        self.restart = restart or self._restart
        self.thread = threading.Thread(target=self._run, name="liveness-watchdog", daemon=True)

    def start(self) -> None:
        logger.info(
            "Liveness watchdog on for %s: a canary every %.0f s, restart when one waits %.0f s",
            self.hostname,
            self.interval,
            self.watch.timeout,
        )
        self.thread.start()

    def stop(self) -> None:
        self.stopping.set()

    # --- called from the consumer's thread ---------------------------------------------------------

    def received(self, canary_id: str) -> None:
        with self.lock:
            self.watch.received(canary_id, time.monotonic())

    def status(self) -> dict[str, Any]:
        now = time.monotonic()
        with self.lock:
            seen = self.watch.last_seen_at
            oldest = min(self.watch.pending.values(), default=None)
        return {
            "enabled": True,
            "last_canary_age": None if seen is None else round(now - seen, 1),
            "oldest_pending_canary_age": None if oldest is None else round(now - oldest, 1),
            "timeout": self.watch.timeout,
            "stuck": self.stuck,
        }

    # --- the thread ------------------------------------------------------------------------------

    def _run(self) -> None:
        tick = min(1.0, self.interval / 2)
        next_publish = time.monotonic() + self.interval
        while not self.stopping.wait(tick):
            now = time.monotonic()
            with self.lock:
                if self._pool_full():
                    self.watch.pool_full(now)
            if now >= next_publish:
                self._publish()
                next_publish = now + self.interval
            with self.lock:
                waited = self.watch.overdue(time.monotonic())
            if waited is not None:
                self.stuck = True
                logger.critical(
                    "Worker %s has stopped consuming: its liveness canary waited %.0f s (limit %.0f s) "
                    "with a free pool slot, so its broker connection is dead without knowing it. "
                    "Restarting the worker.",
                    self.hostname,
                    waited,
                    self.watch.timeout,
                )
                self.restart()
                return

    def _pool_full(self) -> bool:
        return max(len(worker_state.reserved_requests), len(worker_state.active_requests)) >= self.slots

    def _publish(self) -> None:
        canary_id = f"liveness-{uuid.uuid4()}"
        with self.lock:
            self.watch.publishing(canary_id, time.monotonic())
        short = {"socket_timeout": 5, "socket_connect_timeout": 5, "max_retries": 1}
        try:
            with self.app.connection_for_write(connect_timeout=5, transport_options=short) as connection:
                # Straight to this worker's own queue (a Queue, not a name the router would look up).
                route: dict[str, Any] = {"queue": self.queue, "declare": [self.queue]}
                self.app.send_task(
                    CANARY_TASK,
                    args=[self.hostname],
                    task_id=canary_id,
                    expires=self.watch.timeout,
                    connection=connection,
                    retry=False,
                    **route,
                )
        except Exception as exc:  # whatever the transport raises, the watchdog must keep running
            with self.lock:
                self.watch.publish_failed()
            logger.warning(
                "Liveness canary for %s could not be published (broker unreachable?): %r", self.hostname, exc
            )

    def _restart(self) -> None:
        """Warm restart in place; if the worker cannot even shut down, kill its pool and exit.

        A warm shutdown lets running tasks finish, so the grace starts again while any task runs
        (at most until the tasks' hard time limit: past that the pool kills them anyway).
        """
        atexit.register(_exec_same_command)
        worker_state.should_stop = 0  # type: ignore[assignment]  # the consumer loop checks it on every turn
        now = time.monotonic()
        deadline, last_resort = now + self.restart_grace, now + self.restart_grace + self.task_time_limit
        while not self.stopping.wait(min(1.0, self.restart_grace)):
            now = time.monotonic()
            if worker_state.active_requests:
                deadline = now + self.restart_grace
            if now >= min(deadline, last_resort):
                break
        else:
            return
        logger.critical(
            "Worker %s did not shut down within %.0f s; killing its pool processes and exiting with code %d "
            "for the supervisor to start it again",
            self.hostname,
            self.restart_grace,
            EXIT_STUCK,
        )
        _kill_pool_processes()
        for stream in (sys.stdout, sys.stderr):
            with contextlib.suppress(Exception):
                stream.flush()
        os._exit(EXIT_STUCK)


def _exec_same_command() -> None:
    """Run the worker's own command line again in this process (same PID, same log)."""
    os.execv(sys.executable, [sys.executable, *sys.orig_argv[1:]])  # noqa: S606 (our own argv, no shell)


def _kill_pool_processes() -> None:
    import billiard.process

    for child in billiard.process.active_children():
        if child.pid:
            with contextlib.suppress(ProcessLookupError):
                os.kill(child.pid, signal.SIGKILL)


# --- wiring into the worker ------------------------------------------------------------------------

_watchdog: Watchdog | None = None


@task_received.connect
def _canary_received(sender: Any = None, request: Any = None, **_: Any) -> None:
    watchdog = _watchdog
    if watchdog is not None and request is not None and request.name == CANARY_TASK:
        watchdog.received(request.id)


@inspect_command()
def liveness(state: Any) -> dict[str, Any]:
    """``celery inspect liveness`` (and ``manage.py check_workers``): the watchdog's view."""
    watchdog = _watchdog
    return watchdog.status() if watchdog is not None else {"enabled": False}


def _not_a_canary(record: logging.LogRecord) -> bool:
    return CANARY_TASK not in record.getMessage()


class LivenessStep(bootsteps.StartStopStep):
    """Starts the watchdog with the worker (after its pool, before its consumer)."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        # Two lines per canary would drown the log; steps are built before the pool forks.
        for name in ("celery.worker.strategy", "celery.app.trace"):
            logging.getLogger(name).addFilter(_not_a_canary)

    def start(self, worker: Any) -> None:
        global _watchdog
        from django.conf import settings

        if not settings.WORKER_LIVENESS_ENABLED:
            logger.info("Liveness watchdog off (WORKER_LIVENESS_ENABLED)")
            return
        transport = str(worker.app.conf.broker_url or "").split("://", 1)[0]
        if transport not in SUPPORTED_TRANSPORTS:
            logger.warning("Liveness watchdog off: it cannot watch the %r broker transport", transport)
            return
        _watchdog = Watchdog(
            worker.app,
            hostname=worker.hostname,
            slots=getattr(worker, "max_concurrency", None) or worker.concurrency,
            interval=settings.WORKER_LIVENESS_INTERVAL,
            timeout=settings.WORKER_LIVENESS_TIMEOUT,
            restart_grace=settings.WORKER_LIVENESS_RESTART_GRACE,
            task_time_limit=worker.app.conf.task_time_limit or 0,
        )
        _watchdog.start()

    def stop(self, worker: Any) -> None:
        if _watchdog is not None:
            _watchdog.stop()
