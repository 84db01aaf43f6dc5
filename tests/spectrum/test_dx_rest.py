"""REST services (Basic and Bearer) and Enhanced Authentication against the simulator."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from connectors.spectrum.errors import SpectrumAuthorizationError, SpectrumUnknownOutcome
from tests.fixtures_spectrum import SpectrumSimulatorHandle

Sim = SpectrumSimulatorHandle
TODAY = date.today().strftime("%m/%d/%Y")


def customer(sim: Sim) -> str:
    return str(sim.store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1", Status="A")[0]["Customer_Code"])


def revenue_gl(sim: Sim) -> str:
    rows = sim.store.find("GL_ACCOUNT_MASTER_MC", Company_Code="DC1", Account_Type_Code="I", Status="A")
    return str(rows[0]["GL_Account"])


def invoice(sim: Sim, number: str) -> dict[str, Any]:
    # The shape of the help page's sample body (docs/spectrum.md#customer-invoice-rest): flat header,
    # invoiceDetails lines, "" for unused numeric fields.
    return {
        "Company_Code": "DC1",
        "GL_Date": TODAY,
        "Batch_Code": "SSYNC",
        "Customer_Code": customer(sim),
        "Job_Number": "",
        "Invoice_Or_Transaction": number,
        "Transaction_Type": "I",
        "Invoice_Date": TODAY,
        "Sales_Tax_Amount": "",
        "Retention_Percent": 0,
        "Customer_PO": "PO123456",
        "invoiceDetails": [
            {
                "Quantity": 2,
                "Detail_Description": "Labor",
                "Unit_Of_Measure": "HR",
                "Line_Extension": 180.5,
                "GL_Account": revenue_gl(sim),
                "Taxable_Flag": "N",
                "Message": "",
            },
            {
                "Quantity": 0,
                "Detail_Description": "",
                "Line_Extension": 0,
                "Taxable_Flag": "N",
                "Message": "Thank you for your business",
            },
        ],
    }


def open_po(sim: Sim, number: str = "") -> dict[str, Any]:
    job = sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1", Status_Code="A")[0]["Job_Number"]
    vendor = sim.store.find("VN_VENDOR_MASTER_MC", Company_Code="DC1", Status="A")[0]["Vendor_Code"]
    return {
        "Company_Code": "DC1",
        "PO_Number": number,
        "Vendor_Code": vendor,
        "Job_Number": job,
        "Status_Flag": "O",
        "PO_Order_Date": TODAY,
        "poDetails": [
            {
                "Detail_Entry_Type": "N",
                "PO_Quantity": 10,
                "Item_ID": "!PIPE",
                "Item_Description": "Pipe",
                "Unit_Of_Measure": "EA",
                "Item_Price": 12.5,
                "Phase_Code": "0300",
                "Cost_Type": "M",
            },
        ],
    }


def test_multi_line_customer_invoices_import_the_good_and_reject_the_bad(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    results = client.post_customer_invoices("DC1", [invoice(sim, "ML100"), invoice(sim, "ML101")])
    assert [(r.ok, r.key) for r in results] == [(True, "ML100"), (True, "ML101")]
    lines = sim.store.find("CR_INVOICE_DETAIL_MC", Company_Code="DC1", Invoice_Or_Transaction="ML100")
    assert [line["Message"] for line in lines] == [None, "Thank you for your business"]
    assert sim.store.find("CR_INVOICE_HEADER_MC", Invoice_Or_Transaction="ML100")[0]["Invoice_Extension"] == 180.5
    duplicate, fresh, broken = client.post_customer_invoices(
        "DC1", [invoice(sim, "ML100"), invoice(sim, "ML102"), {**invoice(sim, "ML103"), "Transaction_Type": ""}]
    )
    assert not duplicate.ok and duplicate.messages[0].column == "Invoice_Or_Transaction"
    assert fresh.ok
    assert not broken.ok and broken.client_side and broken.messages[0].code == "M"
    assert sim.accepted("customer/invoice") == {"DC1|ML100": 1, "DC1|ML101": 1, "DC1|ML102": 1}


def test_purchase_order_batch_then_packing_list_receipt(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client()
    [po] = client.post_purchase_orders("DC1", [open_po(sim)])
    assert po.ok and po.key  # blank PO_Number: the next number was assigned
    line = sim.store.find("PO_PURCHASE_ORDER_DETAIL_MC", Company_Code="DC1", PO_Number=po.key)[0]
    assert line["Extension"] == 125
    receipt = {
        "Company_Code": "DC1",
        "PO_Number": po.key,
        "Pack_List_Number": "PL-1",
        "Receipt_Date": TODAY,
        "PO_Line_Number": "001",
        "Item_Code": "!PIPE",
        "Quantity_Received": 6,
    }
    [first] = client.post_po_receipts("DC1", [receipt])
    assert first.ok and first.key == "001"
    [too_many] = client.post_po_receipts("DC1", [{**receipt, "Quantity_Received": 5}])
    assert not too_many.ok and "quantity due" in too_many.messages[0].message
    [rest] = client.post_po_receipts("DC1", [{**receipt, "Quantity_Received": 4}])
    assert rest.ok and rest.key == "002"
    received = sim.store.find("PO_RECEIVING_HISTORY_MC", Company_Code="DC1", PO_Number=po.key)
    assert [r["Quantity_Received"] for r in received] == [6, 4]
    [closed] = client.post_purchase_orders("DC1", [open_po(sim, po.key)])
    assert not closed.ok and "cannot be updated" in closed.messages[0].message


def test_vendor_invoice_multi_line_refuses_a_duplicate_number(dx_sim: Sim) -> None:
    sim = dx_sim
    vendor = sim.store.find("VN_VENDOR_MASTER_MC", Company_Code="DC1", Status="A")[0]["Vendor_Code"]
    bill = {
        "Company_Code": "DC1",
        "Vendor_Code": vendor,
        "Invoice_Number": "V-5501",
        "Invoice_Date": TODAY,
        "Invoice_Amount": 300,
        "APInvoiceDetails": [{"Amount": 100, "Remark": "a"}, {"Amount": 200, "Remark": "b"}],
    }
    client = sim.client()
    assert [r.ok for r in client.post_vendor_invoices("DC1", [bill])] == [True]
    [again] = client.post_vendor_invoices("DC1", [bill])
    assert not again.ok and "already exists" in again.messages[0].message
    assert len(sim.store.find("VN_GL_DISTRIBUTION_DETAIL_MC", Invoice_Number="V-5501")) == 2


def test_rest_get_vendors_returns_active_vendors_only(dx_sim: Sim) -> None:
    sim = dx_sim
    vendors = list(sim.client().iter_vendors_rest("DC1"))
    active = sim.store.find("VN_VENDOR_MASTER_MC", Company_Code="DC1", Status="A")
    assert sorted(v.vendor_code for v in vendors) == sorted(r["Vendor_Code"] for r in active)


def test_rest_without_credentials_is_refused(dx_sim: Sim) -> None:
    request = urllib.request.Request(f"{dx_sim.url}/customer/invoice", data=b'{"arInvoices": []}', method="POST")
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=5)
    assert caught.value.code == 401


def test_rest_with_a_wrong_authorization_id_is_an_authorization_error(dx_sim: Sim) -> None:
    client = dx_sim.client(authorization_id="BADID")
    with pytest.raises(SpectrumAuthorizationError):
        client.post_customer_invoices("DC1", [invoice(dx_sim, "ML1")])


def test_lost_rest_reply_is_an_unknown_outcome(dx_sim: Sim) -> None:
    sim = dx_sim
    sim.set_faults(queue=["drop"])
    with pytest.raises(SpectrumUnknownOutcome):
        sim.client().post_customer_invoices("DC1", [invoice(sim, "ML900")])
    assert sim.accepted("customer/invoice") == {"DC1|ML900": 1}


def test_enhanced_authentication_token_is_fetched_once_and_renewed_when_refused(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client(auth_mode="enhanced")
    client.post_customer_invoices("DC1", [invoice(sim, "EA1")])
    list(client.iter_records("vendor", "DC1"))  # SOAP carries the Bearer header too
    assert sim.counters()["requests"]["connect/token"] == 1
    sim.configure(advance_clock_seconds=7200)  # the server's token expired while ours looks fresh
    client.post_customer_invoices("DC1", [invoice(sim, "EA2")])
    assert sim.counters()["requests"]["connect/token"] == 2
    assert set(sim.accepted("customer/invoice")) == {"DC1|EA1", "DC1|EA2"}


def test_wrong_client_secret_is_an_authorization_error(dx_sim: Sim) -> None:
    client = dx_sim.client(auth_mode="enhanced", client_secret="not-the-secret")
    with pytest.raises(SpectrumAuthorizationError):
        client.post_customer_invoices("DC1", [invoice(dx_sim, "EA3")])


def test_secret_rotation_returns_the_new_secret_and_its_expiry(dx_sim: Sim) -> None:
    sim = dx_sim
    client = sim.client(auth_mode="enhanced")
    secret, expires = client.rotate_secret()
    assert secret and secret != sim.client_secret
    assert timedelta(days=29) < expires - datetime.now(UTC) < timedelta(days=31)
    assert [r.ok for r in client.post_customer_invoices("DC1", [invoice(sim, "ROT1")])] == [True]
    with pytest.raises(SpectrumAuthorizationError):
        sim.client(auth_mode="enhanced").post_customer_invoices("DC1", [invoice(sim, "ROT2")])  # old secret
    fresh = sim.client(auth_mode="enhanced", client_secret=secret)
    assert [r.ok for r in fresh.post_customer_invoices("DC1", [invoice(sim, "ROT3")])] == [True]
