"""``python -m connectors.platform.simulator``: the simulator without Django (tests start it this way)."""

from __future__ import annotations

import sys

from connectors.platform.simulator.cli import main

sys.exit(main())
