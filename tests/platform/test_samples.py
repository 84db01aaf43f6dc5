"""The sample documents: sound on their own, accepted by the real inbound API, pointing at seeded data."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from connectors.platform import samples
from tests.fixtures_platform import PlatformSimulatorHandle


def test_invoice_sample_adds_up() -> None:
    invoice = samples.ar_invoice()
    amounts = {line["kind"]: Decimal(line["amount"]) for line in invoice["lines"]}
    assert set(amounts) == {"labor", "material", "discount", "tax"}
    assert amounts["discount"] < 0
    taxable = sum(Decimal(line["amount"]) for line in invoice["lines"] if line["taxable"])
    assert amounts["tax"] == (taxable * Decimal("0.0825")).quantize(Decimal("0.01"))
    assert len(invoice["invoice_number"]) <= 10  # Spectrum's Invoice_Or_Transaction is Text 10


def test_each_sample_is_a_new_document() -> None:
    for sample in samples.SAMPLES.values():
        first, second = sample.build(), sample.build()
        assert first["document_id"] != second["document_id"]


def test_samples_name_master_data_the_spectrum_simulator_seeds() -> None:
    from connectors.spectrum.simulator.seed import seed
    from connectors.spectrum.simulator.store import Store

    store = Store.open("sqlite:///:memory:")
    store.create_schema()
    seed(store)

    def exists(sql: str, *params: str) -> bool:
        return bool(store.query(sql, params))

    company = samples.DEMO_COMPANY
    assert exists(
        "SELECT 1 FROM CR_CUSTOMER_MASTER_MC WHERE Company_Code = ? AND Customer_Code = ?",
        company,
        samples.DEMO_CUSTOMER.ljust(10),
    )
    assert exists(
        "SELECT 1 FROM JC_JOB_MASTER_MC WHERE Company_Code = ? AND Job_Number = ?", company, samples.DEMO_JOB.rjust(10)
    )
    for line, item, _ in samples.DEMO_PO_LINES:
        assert exists(
            "SELECT 1 FROM PO_PURCHASE_ORDER_DETAIL_MC WHERE Company_Code = ? AND PO_Number = ? AND Line_Number = ?"
            " AND Item_ID = ?",
            company,
            samples.DEMO_PO,
            str(line),
            item,
        )


@pytest.mark.parametrize("name", sorted(samples.SAMPLES))
def test_the_inbound_api_accepts_each_sample(
    name: str, tenant: Any, live_server: Any, platform_simulator: PlatformSimulatorHandle
) -> None:
    from spectrum_sync.models import SyncRecord

    tenant.connection.company_codes = "DC1"
    tenant.connection.save()
    key = tenant.generate_api_key()
    tenant.save()

    answer = platform_simulator.post_sample(name, sync_url=live_server.url, api_key=key)

    assert answer["status"] == 202, answer
    record = SyncRecord.objects.get(pk=answer["answer"]["id"])
    assert record.tenant_id == tenant.pk
    assert record.platform_id == platform_simulator.documents()[0]["document"]["document_id"]
