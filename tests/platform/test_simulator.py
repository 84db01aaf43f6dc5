"""The platform simulator as a platform developer would poke it: plain HTTP on loopback."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from connectors.platform.client import PlatformClient, upsert
from connectors.platform.signing import sign
from tests.fixtures_platform import ACME_SECRET, ROOT, PlatformSimulatorHandle
from tests.platform.helpers import http, recorder


def signed(body: dict[str, object] | bytes, secret: str = ACME_SECRET, **extra: str) -> tuple[bytes, dict[str, str]]:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return raw, {"Content-Type": "application/json", **sign(secret, raw), **extra}


def delivery(
    delivery_id: str = "d1", resource: str = "customers", items: list[object] | None = None
) -> dict[str, object]:
    return {"delivery_id": delivery_id, "resource": resource, "items": items or [upsert("AC1:C1", {"name": "A"})]}


def test_missing_signature_is_401_with_a_reason(platform_simulator: PlatformSimulatorHandle) -> None:
    status, answer = http("POST", platform_simulator.tenant_url("acme") + "/customers", json.dumps(delivery()).encode())
    assert status == 401
    assert "missing X-Spectrum-Sync-Signature" in answer["error"]


def test_a_replayed_old_signature_is_401(platform_simulator: PlatformSimulatorHandle) -> None:
    raw = json.dumps(delivery()).encode()
    headers = {"Content-Type": "application/json", **sign(ACME_SECRET, raw, now=time.time() - 3600)}
    status, answer = http("POST", platform_simulator.tenant_url("acme") + "/customers", raw, headers)
    assert status == 401
    assert "timestamp" in answer["error"]
    assert platform_simulator.deliveries() == []


def test_malformed_bodies_are_400_and_store_nothing(platform_simulator: PlatformSimulatorHandle) -> None:
    url = platform_simulator.tenant_url("acme") + "/customers"
    cases = {
        b"not json": "not JSON",
        json.dumps([1, 2]).encode(): "JSON object",
        json.dumps({"resource": "customers", "items": []}).encode(): "delivery_id",
        json.dumps(delivery(resource="vendors")).encode(): "differs from the URL",
        json.dumps(delivery(items=[{"action": "upsert", "key": "k"}])).encode(): "data must be an object",
        json.dumps(delivery(items=[{"action": "delete", "key": ""}])).encode(): "key must be",
    }
    for raw, reason in cases.items():
        status, answer = http("POST", url, *signed(raw))
        assert (status, reason in answer["error"]) == (400, True), (raw, answer)
    raw, headers = signed(delivery(), **{"Idempotency-Key": "other"})
    status, answer = http("POST", url, raw, headers)
    assert status == 400 and "Idempotency-Key" in answer["error"]
    assert platform_simulator.deliveries() == []


def test_unknown_tenant_is_404(platform_simulator: PlatformSimulatorHandle) -> None:
    status, answer = http("POST", platform_simulator.tenant_url("nobody") + "/customers", *signed(delivery()))
    assert status == 404
    assert "unknown tenant" in answer["error"]


def test_a_repeated_delivery_id_answers_duplicate(platform_simulator: PlatformSimulatorHandle) -> None:
    url = platform_simulator.tenant_url("acme") + "/customers"
    first = http("POST", url, *signed(delivery("same")))
    second = http("POST", url, *signed(delivery("same", items=[upsert("AC1:C2", {"name": "B"})])))

    assert first[0] == 200 and first[1]["duplicate"] is False and first[1]["created"] == 1
    assert second == (
        200,
        {
            "created": 0,
            "updated": 0,
            "deleted": 0,
            "unchanged": 0,
            "duplicate": True,
            "delivery_id": "same",
            "accepted": 1,
        },
    )
    assert platform_simulator.state("acme", "customers") == {"AC1:C1": {"name": "A"}}


def test_tenants_can_be_added_at_run_time(platform_simulator: PlatformSimulatorHandle) -> None:
    platform_simulator.add_tenant("zeta", "zeta-secret")
    status, _ = http(
        "POST", platform_simulator.tenant_url("zeta") + "/vendors", *signed(delivery(resource="vendors"), "zeta-secret")
    )
    assert status == 200
    assert list(platform_simulator.state("zeta", "vendors")) == ["AC1:C1"]


def test_page_shows_state_history_and_export_results_escaped(platform_simulator: PlatformSimulatorHandle) -> None:
    client = PlatformClient(platform_simulator.tenant_url("acme"), ACME_SECRET)
    client.deliver("customers", [upsert("AC1:EVIL", {"name": "<script>alert(1)</script>"})], delivery_id="c")
    result = {
        "sync_record_id": 42,
        "document_type": "ar_invoice",
        "platform_id": "inv_1",
        "status": "failed",
        "document_number": "",
        "error_code": "I",
        "error_message": "Customer_Code is invalid",
        "error_column": "Customer_Code",
    }
    ok = {
        **result,
        "sync_record_id": 43,
        "status": "succeeded",
        "document_number": "S1000001",
        "error_code": "",
        "error_message": "",
        "error_column": "",
    }
    client.deliver("export-results", [upsert("42", result), upsert("43", ok)], delivery_id="x")

    status, page = http("GET", platform_simulator.url + "/")
    assert status == 200
    assert "acme / customers" in page and "acme / export-results" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;" in page
    assert "I: Customer_Code is invalid [Customer_Code]" in page
    assert "S1000001" in page
    assert "c.0" in page and "x.0" in page  # delivery history
    assert "<form method='post' action='/_sim/post-document'>" in page


def test_export_results_need_a_known_status(platform_simulator: PlatformSimulatorHandle) -> None:
    url = platform_simulator.tenant_url("acme") + "/export-results"
    body = delivery(resource="export-results", items=[upsert("1", {"sync_record_id": 1, "status": "great"})])
    status, answer = http("POST", url, *signed(body))
    assert status == 400 and "status" in answer["error"]


def test_reset_forgets_everything(platform_simulator: PlatformSimulatorHandle) -> None:
    http("POST", platform_simulator.tenant_url("acme") + "/customers", *signed(delivery()))
    platform_simulator.fail(3, 503)
    platform_simulator.reset()
    assert platform_simulator.deliveries() == [] and platform_simulator.requests() == []
    status, _ = http("POST", platform_simulator.tenant_url("acme") + "/customers", *signed(delivery()))
    assert status == 200  # the pending failures went too


def test_the_page_form_posts_a_sample_to_spectrum_sync(platform_simulator: PlatformSimulatorHandle) -> None:
    with recorder(status=202) as api:
        answer = platform_simulator.post_sample("ar-invoice", sync_url=api.url, api_key="ssk_test_key")

    assert answer["status"] == 202
    [sent] = api.requests
    assert sent["path"] == "/api/v1/ar-invoices/"
    assert sent["headers"]["Authorization"] == "Bearer ssk_test_key"
    document = json.loads(sent["body"])
    assert [line["kind"] for line in document["lines"]] == ["labor", "material", "discount", "tax"]
    [logged] = platform_simulator.documents()
    assert logged["status"] == 202 and logged["document_type"] == "ar-invoices"
    _, page = http("GET", platform_simulator.url + "/")
    assert document["document_id"] in page
    assert "ssk_test_key" not in page  # the key is never shown back


def test_simulator_process_keeps_deliveries_in_its_store(platform_simulator_process: PlatformSimulatorHandle) -> None:
    client = PlatformClient(platform_simulator_process.tenant_url("acme"), ACME_SECRET)
    platform_simulator_process.fail(1, 503)
    result = client.deliver("vendors", [upsert("DC1:V1", {"name": "Supply"})], delivery_id="p")

    assert result.attempts == 2
    assert platform_simulator_process.state("acme", "vendors") == {"DC1:V1": {"name": "Supply"}}
    assert platform_simulator_process.health()["tenants"] == ["acme", "demo"]


def test_post_sample_from_the_command_line(tmp_path: Path) -> None:
    key_file = tmp_path / "key.txt"
    key_file.write_text("ssk_from_file\n")
    with recorder(status=202) as api:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "connectors.platform.simulator",
                "--post-sample",
                "po-receipt",
                "--sync-url",
                api.url,
                "--api-key-file",
                str(key_file),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["status"] == 202
    [sent] = api.requests
    assert sent["path"] == "/api/v1/po-receipts/"
    assert sent["headers"]["Authorization"] == "Bearer ssk_from_file"


def test_post_sample_reports_a_refusal_with_a_failing_exit_code() -> None:
    with recorder(status=400, answer=b'{"invoice_number": ["required"]}') as api:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "connectors.platform.simulator",
                "--post-sample",
                "ar-invoice",
                "--sync-url",
                api.url,
                "--api-key",
                "k",
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    assert done.returncode == 1
    assert json.loads(done.stdout)["answer"] == {"invoice_number": ["required"]}


def test_use_for_points_a_tenant_at_the_simulator_process(
    tenant: Any, platform_simulator_process: PlatformSimulatorHandle
) -> None:
    from spectrum_sync.connections import platform_client

    tenant.platform_signing_secret = "a-fresh-secret-for-this-test"
    platform_simulator_process.use_for(tenant)
    tenant.refresh_from_db()
    with platform_client(tenant) as client:
        client.deliver("projects", [upsert("DC1:24001", {"name": "Timber Plant"})], delivery_id="glue")

    assert tenant.platform_url == platform_simulator_process.tenant_url("acme")
    assert platform_simulator_process.state("acme", "projects") == {"DC1:24001": {"name": "Timber Plant"}}


def test_the_contract_is_served_as_openapi(platform_simulator: PlatformSimulatorHandle) -> None:
    status, spec = http("GET", platform_simulator.url + "/openapi.json")
    assert status == 200
    operation = spec["paths"]["/{resource}"]["post"]
    headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
    assert headers == {"X-Spectrum-Sync-Signature", "X-Spectrum-Sync-Timestamp", "Idempotency-Key"}
    assert spec["components"]["schemas"]["Item"]["properties"]["action"]["enum"] == ["upsert", "delete"]


def test_the_page_can_show_one_tenant(platform_simulator: PlatformSimulatorHandle) -> None:
    platform_simulator.add_tenant("zeta", "zeta-secret")
    http("POST", platform_simulator.tenant_url("acme") + "/customers", *signed(delivery("a")))
    http("POST", platform_simulator.tenant_url("zeta") + "/vendors", *signed(delivery("z", "vendors"), "zeta-secret"))
    _, page = http("GET", platform_simulator.url + "/?tenant=zeta")
    assert "zeta / vendors" in page and "acme / customers" not in page
