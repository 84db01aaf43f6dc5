"""Small in-process stand-ins for the Spectrum client, database reader and platform client.

They implement the shared contract's interfaces with a little state (what Spectrum "has"), so the
engine's decisions can be checked quickly; the flow tests use the real simulators instead.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from types import SimpleNamespace
from typing import Any

import pytest

from connectors.spectrum.errors import (
    PutResult,
    SpectrumAuthorizationError,
    SpectrumMessage,
    SpectrumRejected,
    SpectrumRetryableError,
    SpectrumUnknownOutcome,
)


@dataclass
class FakeSpectrum:
    """Remembers what was created; ``faults`` is a queue of what the next calls do."""

    invoices: dict[str, dict[str, Any]] = field(default_factory=dict)
    jobs: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)  # "retryable", "lost-after-apply", "auth", "reject"
    creates: dict[str, int] = field(default_factory=dict)

    def _fault(self, service: str) -> str:
        return self.faults.pop(0) if self.faults else ""

    def _raise_before(self, fault: str, service: str) -> None:
        if fault == "retryable":
            raise SpectrumRetryableError("503 Service Unavailable", service=service)
        if fault == "auth":
            raise SpectrumAuthorizationError(
                "The Web Service is not authorized. Authorization ID is not setup in the system.", service=service
            )
        if fault == "reject":
            raise SpectrumRejected([SpectrumMessage("I", "GL Account does not match GL Mask", "GL_Account")])

    def put(self, service: str, fields: Mapping[str, str], *, guid: str = "") -> PutResult:
        fault = self._fault(service)
        self._raise_before(fault, service)
        self.calls.append((service, dict(fields)))
        if service == "AddJob":
            if fields["Job_Number"] in self.jobs:
                raise SpectrumRejected([SpectrumMessage("I", "Job number already exists", "Job_Number")])
            self.jobs[fields["Job_Number"]] = dict(fields)
            self.creates[f"job:{fields['Job_Number']}"] = self.creates.get(f"job:{fields['Job_Number']}", 0) + 1
        if fault == "lost-after-apply":
            raise SpectrumUnknownOutcome("read timed out after sending", service=service)
        return PutResult(service, [], "<response><error_code>G</error_code></response>")

    def validate(self, service: str, fields: Mapping[str, str]) -> list[SpectrumMessage]:
        return []

    def post_customer_invoices(self, company: str, invoices: list[dict[str, Any]]) -> list[Any]:
        fault = self._fault("customer/invoice")
        self._raise_before(fault, "customer/invoice")
        results = []
        for inv in invoices:
            self.calls.append(("customer/invoice", inv))
            number = inv["Invoice_Or_Transaction"]
            if number in self.invoices:
                results.append(
                    SimpleNamespace(
                        ok=False,
                        key=number,
                        client_side=False,
                        messages=[SpectrumMessage("I", "Duplicate invoice number", "Invoice_Or_Transaction")],
                    )
                )
                continue
            self.invoices[number] = inv
            self.creates[f"invoice:{number}"] = self.creates.get(f"invoice:{number}", 0) + 1
            results.append(SimpleNamespace(ok=True, key=number, client_side=False, messages=[]))
        if fault == "lost-after-apply":
            raise SpectrumUnknownOutcome("connection reset after sending", service="customer/invoice")
        return results

    def post_po_receipts(self, company: str, lines: list[dict[str, Any]]) -> list[Any]:
        self.calls.append(("purchaseOrder/PackingList", {"lines": lines}))
        return [SimpleNamespace(ok=True, key="", client_side=False, messages=[]) for _ in lines]

    def iter_records(self, object_type: str, company: str) -> Iterator[Any]:
        if object_type == "job":
            for number in self.jobs:
                yield SimpleNamespace(job_number=number)

    def close(self) -> None:
        pass


@dataclass
class FakeDatabase:
    spectrum: FakeSpectrum
    lookups: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def find_document(self, kind: str, company: str, key: Mapping[str, str]) -> dict[str, Any] | None:
        self.lookups.append((kind, dict(key)))
        if kind == "ar_invoice":
            return self.spectrum.invoices.get(key["invoice_number"])
        if kind == "job":
            return self.spectrum.jobs.get(key["job_number"])
        return None

    def close(self) -> None:
        pass


@dataclass
class FakePlatform:
    deliveries: list[tuple[str, list[dict[str, Any]], str]] = field(default_factory=list)

    def deliver(self, resource: str, items: list[dict[str, Any]], *, delivery_id: str) -> Any:
        self.deliveries.append((resource, items, delivery_id))
        return SimpleNamespace(ok=True)

    def close(self) -> None:
        pass

    def statuses(self) -> list[str]:
        return [item["data"]["status"] for _, items, _ in self.deliveries for item in items]


@dataclass
class Wiring:
    spectrum: FakeSpectrum
    platform: FakePlatform
    database: FakeDatabase | None
    enqueued: list[int]


@pytest.fixture
def wired(monkeypatch: pytest.MonkeyPatch) -> Wiring:
    """Engine wired to the fakes; enqueued ids are collected instead of sent to the broker."""
    from spectrum_sync import connections, enqueue
    from spectrum_sync.exports import queueing

    wiring = Wiring(FakeSpectrum(), FakePlatform(), None, [])
    monkeypatch.setattr(connections, "spectrum_client", lambda tenant: wiring.spectrum)
    monkeypatch.setattr(connections, "spectrum_database", lambda tenant, keep=False: wiring.database)
    monkeypatch.setattr(connections, "platform_client", lambda tenant: wiring.platform)
    monkeypatch.setattr(queueing, "enqueue", lambda record_id, countdown=None: wiring.enqueued.append(record_id))
    monkeypatch.setattr(enqueue, "send", partial(run_results_inline, enqueue.send))
    return wiring


def run_results_inline(send: Any, name: str, *args: Any, **options: Any) -> Any:
    """The result task runs at once, as a worker would (the engine tests start no worker)."""
    from spectrum_sync.enqueue import EXPORT_RESULT
    from spectrum_sync.exports import results

    if name == EXPORT_RESULT:
        return results.post_result(*args)
    return send(name, *args, **options)
