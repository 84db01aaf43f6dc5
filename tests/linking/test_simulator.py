"""The platform simulator's side of a link: an item naming a platform_id updates that record."""

from __future__ import annotations

import json

import pytest

from connectors.platform.simulator.app import BadDelivery, parse_delivery
from connectors.platform.simulator.store import SimulatorStore


def test_an_item_with_a_platform_id_updates_the_platforms_own_record() -> None:
    store = SimulatorStore()
    store.add_own_records("acme", "vendors", [{"platform_id": "co-1", "name": "Acme Supply, Inc."}])
    linked = {"action": "upsert", "key": "AC1|ACME01", "platform_id": "co-1", "data": {"name": "ACME SUPPLY"}}
    applied = store.apply_delivery("acme", "vendors", "d1", [linked])
    assert (applied.created, applied.updated) == (0, 1)
    assert store.state("acme", "vendors") == {
        "co-1": {"name": "ACME SUPPLY", "platform_id": "co-1", "spectrum_key": "AC1|ACME01"}
    }
    # Control: the same item without its platform_id is a record of its own.
    plain = {key: value for key, value in linked.items() if key != "platform_id"}
    assert store.apply_delivery("acme", "vendors", "d2", [plain]).created == 1
    assert set(store.state("acme", "vendors")) == {"co-1", "AC1|ACME01"}
    store.close()


def test_an_empty_platform_id_is_refused() -> None:
    item = {"action": "upsert", "key": "k", "platform_id": "", "data": {}}
    body = json.dumps({"delivery_id": "d1", "resource": "vendors", "items": [item]}).encode()
    with pytest.raises(BadDelivery, match="platform_id"):
        parse_delivery(body, "vendors", "d1")
