"""A seeded randomised run interleaving faults, checking the same four invariants after each round.

``make faults SEED=... RUNS=...`` runs more rounds with a chosen seed (FAULTS_SEED / FAULTS_RUNS);
``make test`` runs this short version (two rounds, fixed seed). A failure names its seed and round,
so it can be replayed exactly: the fault choices depend on nothing but the seed.
"""

from __future__ import annotations

import os
import random
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings

from spectrum_sync.exports import queueing, sweeper
from spectrum_sync.models import SyncRecord, SyncStatus
from tests.exports.test_flow import Exports, wait_for
from tests.faults.conftest import fast_worker
from tests.faults.invariants import assert_all
from tests.faults.test_process_faults import _terminate_test_db_connections
from tests.workers import WorkerProcess

pytestmark = [pytest.mark.flow, pytest.mark.django_db(transaction=True)]

SPECTRUM_FAULTS = [
    "none",
    "http500",
    "http503",
    "fault",
    "drop",
    "truncate_mid",
    "garbage",
    "reset_mid",
    "timeout",
    "drip",
]
PROCESS_FAULTS = [
    "none",
    "kill_worker",
    "terminate_worker",
    "kill_pool_process",
    "drop_db_connections",
    "duplicate_delivery",
]
PER_ROUND = 3
SEED = int(os.environ.get("FAULTS_SEED", "9"))
RUNS = int(os.environ.get("FAULTS_RUNS", "2"))
# pytest's default 300 s limit fits about 60 rounds; a round takes about 5 s and may wait up to
# 120 s to converge, so the limit grows with the rounds asked for instead of cutting a long run.
SETUP_SECONDS = 120
SECONDS_PER_ROUND = 30


def time_limit(runs: int) -> int:
    """The whole randomised run's timeout, in seconds, for ``runs`` rounds."""
    return SETUP_SECONDS + SECONDS_PER_ROUND * max(runs, 1)


# The workers this test started (a round may replace the one it was given).
STARTED: list[WorkerProcess] = []


def _plan(seed: int, round_no: int) -> tuple[list[str], str]:
    rng = random.Random(f"{seed}:{round_no}")
    spectrum = [rng.choice(SPECTRUM_FAULTS) for _ in range(PER_ROUND)]
    return [f for f in spectrum if f != "none"], rng.choice(PROCESS_FAULTS)


def _kill_one_pool_process(worker: WorkerProcess) -> None:
    assert worker.proc is not None
    children = Path(f"/proc/{worker.proc.pid}/task/{worker.proc.pid}/children").read_text().split()
    if children:
        os.kill(int(children[0]), signal.SIGKILL)


def _run_round(exports: Exports, worker: WorkerProcess, seed: int, round_no: int) -> WorkerProcess:
    spectrum_faults, process_fault = _plan(seed, round_no)
    label = f"seed={seed} round={round_no} spectrum={spectrum_faults} process={process_fault}"
    exports.spectrum.set_faults(
        queue=spectrum_faults, services=["customer/invoice"], timeout_seconds=4.0, latency_ms=300
    )
    ids = [
        exports.post("ar-invoices", exports.invoice(f"RZ{seed % 1000:03d}{round_no:02d}{i}")) for i in range(PER_ROUND)
    ]
    if process_fault != "none":
        wait_for(lambda: SyncRecord.objects.filter(pk__in=ids).exclude(status="pending").exists(), 30, label)
    if process_fault in ("kill_worker", "terminate_worker"):
        if process_fault == "kill_worker":
            worker.kill()
        else:
            worker.kill(signal.SIGTERM)  # graceful: the pool finishes or gives back what it holds
        worker.stop()
        worker = fast_worker()
        STARTED.append(worker)  # stopped by the test even if this round fails
        worker.start()
    elif process_fault == "kill_pool_process":
        _kill_one_pool_process(worker)  # the main process stays: Celery re-sends what that process held
    elif process_fault == "drop_db_connections":
        _terminate_test_db_connections()
    elif process_fault == "duplicate_delivery":
        for record_id in ids:
            queueing.enqueue(record_id)

    def done() -> bool:
        sweeper.sweep()
        return SyncRecord.objects.filter(pk__in=ids, status=SyncStatus.SUCCEEDED).count() == len(ids)

    try:
        wait_for(done, 120, f"{label}: not converged")
    except AssertionError as exc:
        rows = SyncRecord.objects.filter(pk__in=ids).values_list("pk", "status", "error_code", "error_message")
        exc.add_note("records: " + "; ".join(f"{pk} {st} {code} {msg[:200]}" for pk, st, code, msg in rows))
        raise
    exports.spectrum.set_faults()
    assert_all(ids, exports.spectrum, exports.db.store, exports.tenant)
    return worker


@pytest.mark.timeout(time_limit(RUNS))
def test_seeded_randomised_faults(exports: Exports, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(django_settings, "EXPORT_STALE_SECONDS", 2)
    worker = fast_worker()
    STARTED.append(worker)
    worker.start()
    try:
        run_rounds(lambda w, round_no: _run_round(exports, w, SEED, round_no), worker, SEED, RUNS)
    finally:
        # Every worker a round started, not only the last one handed back: a failed round must not
        # leave a worker consuming the next tests' messages.
        while STARTED:
            STARTED.pop().stop()


def run_rounds(run_round: Callable[[Any, int], Any], worker: Any, seed: int, runs: int) -> Any:
    """Run the rounds in order; a failure (the timeout's own too) names the seed and round to replay."""
    round_no = 0
    try:
        for round_no in range(runs):
            worker = run_round(worker, round_no)
    except BaseException as exc:
        reached = (
            f"seed={seed}: stopped in round {round_no} of {runs} (counting from 0); "
            f"replay with: make faults SEED={seed} RUNS={round_no + 1}"
        )
        print(reached, file=sys.stderr, flush=True)
        exc.add_note(reached)
        raise
    return worker
