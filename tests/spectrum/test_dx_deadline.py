"""Slow-drip replies: the simulator sends a valid reply a few bytes at a time; the client's deadline
on the whole reply cuts it, with the right error, while big or slowly consumed healthy Gets go
through whole. Over loopback against the simulator (connectors/deadline.py has the rule)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from connectors.spectrum.client import SpectrumClient
from connectors.spectrum.errors import SpectrumRetryableError, SpectrumUnknownOutcome
from connectors.spectrum.simulator.seed import customer_rows
from spectrum_sync import connections
from tests.fixtures_spectrum import SpectrumSimulatorHandle
from tests.spectrum.test_dx_puts import ar_invoice
from tests.spectrum.test_dx_rest import invoice as rest_invoice
from tests.test_settings import _manage

Sim = SpectrumSimulatorHandle
DEADLINE = 1.0
MARGIN = 0.6  # thread wake-up and the last piece in flight; far below what the drip would take
SLOW = {"drip_bytes": 8, "drip_seconds": 0.2}  # a demo GetCustomers reply would take minutes


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    return fn(), time.monotonic() - started


def hang_up_seen(sim: Sim) -> dict[str, Any]:
    """The simulator's record of the drip it was sending when the client hung up."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        drips = sim.counters()["drips"]
        if drips:
            assert len(drips) == 1, drips
            return dict(drips[0])
        time.sleep(0.05)
    raise AssertionError("the simulator never noticed the client hang up")


def more_customers(sim: Sim, count: int) -> None:
    sim.store.insert_many("CR_CUSTOMER_MASTER_MC", customer_rows(random.Random(7), "DC1", count, prefix="DRIP"))
    sim.configure(row_cap=0)


def one_attempt(sim: Sim, **config: Any) -> SpectrumClient:
    client = SpectrumClient(sim.config(**{"reply_deadline": DEADLINE, **config}), get_attempts=1)
    sim._clients.append(client)
    return client


# ---------------------------------------------------------------------- cut


@pytest.mark.parametrize("fast", [0, 3000], ids=["headers-drip", "body-drips-after-3kb"])
def test_dripping_get_is_cut_at_the_deadline_as_retryable(spectrum_simulator_sqlite: Sim, fast: int) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["drip"], drip_after_bytes=fast, **SLOW)
    client = one_attempt(sim, read_timeout=5.0)  # every piece comes well within the read timeout
    with pytest.raises(SpectrumRetryableError) as caught:
        timed(lambda: list(client.iter_records("customer", "DC1")))
    message = str(caught.value)
    assert "Spectrum's reply was still arriving after 1 s" in message
    assert "the connection was closed" in message
    drip = hang_up_seen(sim)
    assert drip["completed"] is False
    assert drip["seconds"] < DEADLINE + MARGIN
    assert drip["bytes"] < fast + 200  # it was far from done


def test_dripping_get_is_asked_again_and_the_second_answer_is_read_whole(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["drip"], **SLOW)
    client = sim.client(reply_deadline=DEADLINE)
    client.gets.sleep = lambda seconds: None
    records, elapsed = timed(lambda: list(client.iter_records("customer", "DC1")))
    assert len(records) == len(sim.store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1"))
    assert sim.counters()["requests"]["GetCustomers"] == 2
    assert elapsed < DEADLINE + MARGIN + 1


def test_a_get_cut_after_rows_were_handed_out_fails_rather_than_end_short(spectrum_simulator_sqlite: Sim) -> None:
    # ~1300 rows (700 KB) arrive at full speed and the client hands them on; then the rest drips.
    # The megabyte that came fast buys the drip no extra time (slack does not pile up), and a cut
    # at a row boundary must not pass for Spectrum's "closing tags cut off" quirk: a short list
    # would read as deletions.
    sim = spectrum_simulator_sqlite
    more_customers(sim, 2000)
    sim.set_faults(queue=["drip"], drip_after_bytes=700_000, **SLOW)
    client = one_attempt(sim)
    seen: list[Any] = []
    with pytest.raises(SpectrumRetryableError, match="still arriving"):
        seen.extend(client.iter_records("customer", "DC1"))
    assert 1000 < len(seen) < 2036
    assert hang_up_seen(sim)["seconds"] < DEADLINE + MARGIN


@pytest.mark.parametrize("fast", [0, 200], ids=["headers-drip", "body-drips"])
def test_dripping_put_is_an_unknown_outcome_and_spectrum_applied_it(dx_sim: Sim, fast: int) -> None:
    sim = dx_sim
    sim.set_faults(queue=["drip"], drip_after_bytes=fast, **SLOW)
    client = sim.client(reply_deadline=DEADLINE, read_timeout=5.0)
    with pytest.raises(SpectrumUnknownOutcome) as caught:
        client.put("AddARInvoice", ar_invoice(sim, "DRIP1"))
    message = str(caught.value)
    assert "Spectrum's reply was still arriving after 1 s (the limit is 1 s)" in message
    assert "looked up before anything is sent again" in message
    # Spectrum applied it before the reply began: that is why the outcome is unknown, not failed.
    assert sim.accepted("AddARInvoice") == {"DC1|DRIP1": 1}
    assert len(sim.store.find("CR_INVOICE_HEADER_MC", Invoice_Or_Transaction="DRIP1")) == 1
    drip = hang_up_seen(sim)
    assert drip["completed"] is False and drip["seconds"] < DEADLINE + MARGIN


def test_dripping_rest_reply_is_an_unknown_outcome_and_spectrum_applied_it(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["drip"], **SLOW)
    client = sim.client(reply_deadline=DEADLINE, read_timeout=5.0)
    with pytest.raises(SpectrumUnknownOutcome, match="still arriving after 1 s"):
        client.post_customer_invoices("DC1", [rest_invoice(sim, "DRIPR1")])
    assert sim.accepted("customer/invoice") == {"DC1|DRIPR1": 1}
    assert hang_up_seen(sim)["seconds"] < DEADLINE + MARGIN


# ---------------------------------------------------------------------- not cut


def test_a_patient_client_reads_a_dripped_reply_whole(spectrum_simulator_sqlite: Sim) -> None:
    # The drip is a valid reply: with time enough it is read to the end and applied once.
    sim = spectrum_simulator_sqlite
    sim.set_faults(queue=["drip"], drip_bytes=64, drip_seconds=0.02)
    answer = sim.client(reply_deadline=60).put("AddARInvoice", ar_invoice(sim, "DRIP2"))
    assert answer.service == "AddARInvoice"
    assert sim.accepted("AddARInvoice") == {"DC1|DRIP2": 1}
    assert hang_up_seen(sim)["completed"] is True


def test_a_big_healthy_get_slower_than_the_deadline_is_read_whole(spectrum_simulator_sqlite: Sim) -> None:
    # ~1 MB at ~800 KB/s: longer than the 1 s deadline, far faster than the 16 KB/s floor.
    sim = spectrum_simulator_sqlite
    more_customers(sim, 2000)
    sim.set_faults(queue=["drip"], drip_bytes=16 * 1024, drip_seconds=0.02)
    records, elapsed = timed(lambda: list(one_attempt(sim).iter_records("customer", "DC1")))
    assert len(records) == 2036
    assert elapsed > DEADLINE  # the fixed deadline alone would have cut it
    assert hang_up_seen(sim)["completed"] is True


def test_the_same_stream_is_cut_when_it_is_slower_than_the_floor(spectrum_simulator_sqlite: Sim) -> None:
    # The control for the test above: only the rate floor decides.
    sim = spectrum_simulator_sqlite
    more_customers(sim, 2000)
    sim.set_faults(queue=["drip"], drip_bytes=16 * 1024, drip_seconds=0.02)
    client = one_attempt(sim, get_min_rate=10 * 1024 * 1024)
    with pytest.raises(SpectrumRetryableError, match="too slowly"):
        list(client.iter_records("customer", "DC1"))


def test_time_spent_on_the_rows_is_not_spectrums(spectrum_simulator_sqlite: Sim) -> None:
    # The reply is fast; our side takes 1.8 s over its rows. That must not count against Spectrum.
    sim = spectrum_simulator_sqlite
    client = one_attempt(sim, reply_deadline=0.5)
    records = []
    for record in client.iter_records("customer", "DC1"):
        time.sleep(0.05)
        records.append(record)
    assert len(records) == 36
    assert sim.counters()["requests"]["GetCustomers"] == 1


# ---------------------------------------------------------------------- settings


@pytest.mark.django_db
def test_the_deadlines_come_from_settings(tenant: Any, settings: Any) -> None:
    settings.SPECTRUM_REPLY_DEADLINE = 7
    settings.PLATFORM_REPLY_DEADLINE = 11
    assert connections.dx_config(tenant.connection).reply_deadline == 7
    assert connections.platform_client(tenant).reply_deadline == 11


@pytest.mark.parametrize("variable", ["SPECTRUM_REPLY_DEADLINE", "PLATFORM_REPLY_DEADLINE"])
@pytest.mark.parametrize("value", ["soon", "0"])
def test_a_bad_deadline_stops_start_up_naming_it(tmp_path: Path, variable: str, value: str) -> None:
    result = _manage(["check"], {variable: value}, tmp_path)
    assert result.returncode != 0
    assert variable in result.stderr and "ImproperlyConfigured" in result.stderr
