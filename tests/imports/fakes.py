"""Small in-test stand-ins for a Spectrum reader and the platform client (shared-contract shapes)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from connectors.platform.client import BatchResult, DeliveryResult
from connectors.platform.errors import PlatformError
from connectors.spectrum.errors import SpectrumError
from connectors.spectrum.records import SpectrumRecord


@dataclass
class FakeReader:
    """Yields the records it holds per company; can raise after yielding some."""

    records: dict[str, list[SpectrumRecord]] = field(default_factory=dict)
    fail_with: SpectrumError | None = None
    fail_after: int = 0
    closed: bool = False

    def iter_records(self, object_type: str, company: str) -> Iterator[SpectrumRecord]:
        for index, record in enumerate(self.records.get(company, [])):
            if self.fail_with is not None and index >= self.fail_after:
                raise self.fail_with
            yield record
        if self.fail_with is not None and self.fail_after >= len(self.records.get(company, [])):
            raise self.fail_with

    def close(self) -> None:
        self.closed = True

    def factory(self) -> Any:
        @contextmanager
        def opened(tenant: Any, declaration: Any) -> Iterator[FakeReader]:
            yield self

        return opened


@dataclass
class FakePlatform:
    """Applies deliveries to a dict per resource, like the platform would; can fail on demand."""

    batch_size: int = 500
    state: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: list[dict[str, Any]] = field(default_factory=list)
    deliveries: list[str] = field(default_factory=list)
    fail: PlatformError | None = None
    fail_after_batches: int = 0

    def deliver(self, resource: str, items: list[dict[str, Any]], *, delivery_id: str) -> DeliveryResult:
        done: list[BatchResult] = []
        for index, start in enumerate(range(0, len(items), self.batch_size)):
            if self.fail is not None and index >= self.fail_after_batches:
                self.fail.delivered = tuple(done)
                raise self.fail
            batch = items[start : start + self.batch_size]
            self.apply(resource, batch)
            done.append(BatchResult(f"{delivery_id}.{index}", len(batch), 200, 1, False, 0.0))
            self.deliveries.append(f"{delivery_id}.{index}")
        return DeliveryResult(resource, delivery_id, tuple(done), 0.0)

    def apply(self, resource: str, batch: list[dict[str, Any]]) -> None:
        records = self.state.setdefault(resource, {})
        for item in batch:
            self.items.append(item)
            if item["action"] == "delete":
                records.pop(item["key"], None)
            else:
                records[item["key"]] = item["data"]
