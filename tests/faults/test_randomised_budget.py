"""The randomised fault run's time limit grows with the rounds asked for, and a failure names its
seed and round (both shown without running a single round)."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

import pytest

import tests.faults.test_randomised as randomised


@pytest.fixture
def reloaded(monkeypatch: pytest.MonkeyPatch) -> Iterator[ModuleType]:
    """The module as ``make faults SEED=2026 RUNS=100`` imports it; put back as it was afterwards."""
    monkeypatch.setenv("FAULTS_SEED", "2026")
    monkeypatch.setenv("FAULTS_RUNS", "100")
    yield importlib.reload(randomised)
    monkeypatch.undo()
    importlib.reload(randomised)


def timeout_of(module: ModuleType) -> float:
    marker = next(m for m in module.test_seeded_randomised_faults.pytestmark if m.name == "timeout")
    return float(marker.args[0])


def test_a_hundred_rounds_get_more_than_pytests_default_limit(reloaded: ModuleType) -> None:
    # Seed 2026 × 100 rounds took 467 s once the default 300 s limit was out of the way.
    assert reloaded.RUNS == 100 and reloaded.SEED == 2026
    assert timeout_of(reloaded) >= 2 * 467


def test_the_limit_grows_with_the_rounds() -> None:
    assert randomised.time_limit(10) < randomised.time_limit(100) < randomised.time_limit(1000)
    assert randomised.time_limit(2) <= 300  # the short run in `make test` keeps a tight limit


def test_a_failing_round_names_the_seed_and_the_round_to_replay(capsys: pytest.CaptureFixture[str]) -> None:
    def run_round(worker: object, round_no: int) -> object:
        if round_no == 3:
            raise pytest.fail.Exception("Timeout (>3120.0s) from pytest-timeout.")
        return worker

    with pytest.raises(pytest.fail.Exception) as caught:
        randomised.run_rounds(run_round, "worker", 2026, 100)

    expected = "seed=2026: stopped in round 3 of 100 (counting from 0); replay with: make faults SEED=2026 RUNS=4"
    assert expected in capsys.readouterr().err
    assert expected in caught.value.__notes__
