"""A worker whose broker connection went half-open stops consuming; it must notice and recover.

After a Redis restart or failover, or a firewall forgetting a connection, the worker's sockets can
stay "connected" to nobody: no reset arrives, the BRPOP it sent is never answered, and it sits
idle while its queue fills. Here the worker reaches our own redis-server through a loopback proxy
(tests/blackhole_proxy.py) that does this to every connection open at one moment, while new
connections go through; the test process publishes straight to Redis.

Two defences (spectrum_sync/liveness.py): kombu's check of the BRPOP connection
(``health_check_interval``), and the worker's watchdog, which sends itself a canary task and
restarts the worker when one is not received in time while it has a free slot.
"""

from __future__ import annotations

import io
import re
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import CommandError, call_command

from spectrum_sync.models import SyncRecord, SyncStatus
from tests.blackhole_proxy import BlackholeProxy
from tests.exports.test_flow import Exports, RedisServer, wait_for
from tests.faults.conftest import FAST_ENV
from tests.faults.invariants import assert_all
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]

STUCK = "has stopped consuming"
KOMBU_CHECK_OFF = {"CELERY_BROKER_HEALTH_CHECK_INTERVAL": "3600"}  # kombu's BRPOP check never runs
WATCHDOG = {
    "WORKER_LIVENESS_INTERVAL": "1",
    "WORKER_LIVENESS_TIMEOUT": "4",
    "WORKER_LIVENESS_RESTART_GRACE": "10",
    "CELERY_BROKER_SOCKET_TIMEOUT": "2",  # its warm shutdown waits on its dead connections this long
}
WATCHDOG_OFF = {"WORKER_LIVENESS_ENABLED": "false"}


@dataclass
class Broker:
    redis: RedisServer
    proxy: BlackholeProxy

    def worker(self, concurrency: int = 2, **env: str) -> WorkerProcess:
        """A worker that reaches Redis only through the proxy."""
        return WorkerProcess(
            "exports,notifications",
            concurrency=concurrency,
            extra_env={**FAST_ENV, "CELERY_BROKER_URL": self.proxy.url, **env},
        )


@pytest.fixture
def broker(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Broker]:
    from spectrum_sync.celery import app

    redis = RedisServer(tmp_path)
    redis.start()
    proxy = BlackholeProxy(redis.port).start()
    # The test process (the API's enqueue, check_workers) talks to Redis directly.
    monkeypatch.setenv("CELERY_BROKER_URL", redis.url)
    monkeypatch.setattr(app.conf, "broker_url", redis.url)
    monkeypatch.setattr(app, "_pool", None)
    monkeypatch.setattr(app.amqp, "_producer_pool", None)
    try:
        yield Broker(redis, proxy)
    finally:
        pool = getattr(app, "_pool", None)
        if pool is not None:
            pool.force_close_all()
        proxy.stop()
        redis.stop()


def check_workers() -> tuple[int, str]:
    """``manage.py check_workers``: its exit code and what it printed."""
    out = io.StringIO()
    try:
        call_command("check_workers", "--timeout", "1", stdout=out)
    except CommandError as error:
        return error.returncode, f"{out.getvalue()}{error}"
    return 0, out.getvalue()


def consuming(exports: Exports, number: str) -> int:
    """Prove the worker consumes through the proxy."""
    record_id = exports.post("ar-invoices", exports.invoice(number))
    assert exports.final(record_id, 30).status == SyncStatus.SUCCEEDED
    return record_id


def cut_off(broker: Broker) -> None:
    """Leave the worker's connections half-open.

    The BRPOP the worker sent last is still waiting in Redis for up to a second (kombu's
    ``brpop_timeout``): a message arriving then is popped into the void, lost from Redis, and
    only the sweeper would bring its document back. Wait that second out, so that the document
    sent next waits in Redis for a consumer, and what is measured is the worker's recovery.
    """
    assert broker.proxy.blackhole() > 0
    time.sleep(1.5)


def queued(broker: Broker, queue: str = "exports") -> int:
    with socket.create_connection(("127.0.0.1", broker.redis.port), timeout=5) as sock:
        name = queue.encode()
        sock.sendall(b"*2\r\n$4\r\nLLEN\r\n$%d\r\n%s\r\n" % (len(name), name))
        reply = sock.recv(64)
    assert reply.startswith(b":"), reply
    return int(reply[1:].strip())


def test_without_its_checks_a_worker_on_a_half_open_connection_stays_idle(exports: Exports, broker: Broker) -> None:
    """The negative control: the fault is real, and the tests below could fail."""
    worker = broker.worker(**KOMBU_CHECK_OFF, **WATCHDOG_OFF)
    worker.start()
    try:
        consuming(exports, "LV001")
        cut_off(broker)
        waiting = exports.post("ar-invoices", exports.invoice("LV002"))
        time.sleep(10)  # either defence, on, recovers within this in the tests below
        assert SyncRecord.objects.get(pk=waiting).status == SyncStatus.PENDING
        assert queued(broker) == 1  # its message waits in Redis; the worker does not ask for it
        assert exports.spectrum.accepted("customer/invoice") == {"DC1|LV001": 1}
        code, report = check_workers()  # the stuck worker does not even answer a ping
        assert code == 1, report
        assert worker.proc is not None and worker.proc.poll() is None  # alive, "connected", useless
    finally:
        worker.kill()  # a warm shutdown would wait on its dead connections
        worker.stop()


def test_watchdog_restarts_a_worker_that_stopped_consuming(exports: Exports, broker: Broker) -> None:
    worker = broker.worker(**KOMBU_CHECK_OFF, **WATCHDOG)
    worker.start()
    try:
        first = consuming(exports, "LV101")
        cut_off(broker)
        waiting = exports.post("ar-invoices", exports.invoice("LV102"))
        assert exports.final(waiting, 30).status == SyncStatus.SUCCEEDED
        log = worker.own_output()
        assert re.search(r"CRITICAL/MainProcess\] Worker \S+ has stopped consuming", log), log[-3000:]
        assert log.count(" ready.") == 2  # restarted in place, once
        code, report = check_workers()
        assert code == 0, report
        assert "last canary" in report
    finally:
        worker.stop()
    assert exports.spectrum.accepted("customer/invoice") == {"DC1|LV101": 1, "DC1|LV102": 1}
    assert_all([first, waiting], exports.spectrum, exports.db.store, exports.tenant)


def test_kombu_drops_a_half_open_consumer_connection_by_itself(
    exports: Exports, broker: Broker, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first line of defence, as settings.py configures it (with short timers).

    kombu notices the overdue BRPOP reply and reconnects, but the message it pops while the
    worker's loop is still stuck on its other dead connections can be lost from Redis (seen
    here: gone from the list, never in the unacked set). The export sweeper (beat, every minute)
    sends the document again from the database, and the worker, consuming again, exports it once.
    """
    from spectrum_sync.exports import sweeper

    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    worker = broker.worker(CELERY_BROKER_HEALTH_CHECK_INTERVAL="2", CELERY_BROKER_SOCKET_TIMEOUT="3", **WATCHDOG_OFF)
    worker.start()
    try:
        first = consuming(exports, "LV201")
        cut_off(broker)
        waiting = exports.post("ar-invoices", exports.invoice("LV202"))

        def exported() -> bool:
            sweeper.sweep()
            return SyncRecord.objects.get(pk=waiting).status == SyncStatus.SUCCEEDED

        wait_for(exported, 30, "the worker never consumed again")
        assert "dropping stale connection" in worker.own_output()
        assert STUCK not in worker.own_output()
    finally:
        worker.stop()
    assert exports.spectrum.accepted("customer/invoice") == {"DC1|LV201": 1, "DC1|LV202": 1}
    assert_all([first, waiting], exports.spectrum, exports.db.store, exports.tenant)


def test_a_worker_busy_with_a_long_export_is_not_restarted(exports: Exports, broker: Broker) -> None:
    # One slot, taken for 7 s by a Put whose reply comes late: no canary can be fetched meanwhile.
    worker = broker.worker(concurrency=1, HTTP_READ_TIMEOUT="20", EXPORT_LEASE_SECONDS="60", **WATCHDOG)
    worker.start()
    try:
        exports.spectrum.set_faults(queue=["timeout"], services=["customer/invoice"], timeout_seconds=7)
        slow = exports.post("ar-invoices", exports.invoice("LV301"))
        assert exports.final(slow, 40).status == SyncStatus.SUCCEEDED
        time.sleep(2)  # canaries flow again once the slot is free
        assert "Liveness watchdog on for" in worker.own_output()  # it was watching all along
        assert STUCK not in worker.own_output()
        assert worker.own_output().count(" ready.") == 1
        code, report = check_workers()
        assert code == 0, report
        assert re.search(r"last canary \d+s ago", report), report  # and it received canaries
        assert worker.proc is not None and worker.proc.poll() is None
    finally:
        worker.stop()
    assert exports.spectrum.accepted("customer/invoice") == {"DC1|LV301": 1}
    assert_all([slow], exports.spectrum, exports.db.store, exports.tenant)
