"""Fixtures of the Spectrum simulators for every test in this directory."""

import pytest

from tests.fixtures_spectrum import (  # noqa: F401
    SpectrumSimulatorHandle,
    spectrum_simulator,
    spectrum_simulator_process,
    spectrum_simulator_sqlite,
)
from tests.fixtures_spectrum_db import spectrum_db  # noqa: F401


@pytest.fixture(params=["sqlite", "postgresql"])
def dx_sim(request: pytest.FixtureRequest) -> SpectrumSimulatorHandle:
    """The simulator on either store engine: Put landing SQL must work on both."""
    name = "spectrum_simulator_sqlite" if request.param == "sqlite" else "spectrum_simulator"
    handle: SpectrumSimulatorHandle = request.getfixturevalue(name)
    return handle
