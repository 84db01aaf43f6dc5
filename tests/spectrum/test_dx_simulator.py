"""The simulator seen from outside our client: hand-written envelopes from the help pages' examples,
its WSDLs, zeep as an independent SOAP client, concurrent callers, and the shared PostgreSQL store."""

from __future__ import annotations

import datetime
import re
import threading
import urllib.error
import urllib.request
from typing import Any

import pytest
import zeep
from lxml import etree

from connectors.spectrum.layouts import ADD_JOB, GET_CUSTOMERS, SOAP_SERVICES
from connectors.spectrum.soap import PROIV_NS, iter_rows
from tests.fixtures_spectrum import SpectrumSimulatorHandle
from tests.fixtures_spectrum_db import SpectrumDB

Sim = SpectrumSimulatorHandle

# docs/spectrum.md#soap-envelope: the GetJob request of working clients, with our demo Authorization ID and company.
GET_JOB_ENVELOPE = """<?xml version="1.0" encoding="UTF-8"?>
<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">
  <soap:Body>
    <GetJob xmlns="http://www.northgate-is.com/proiv/webservices/types">
      <Authorization_ID>SSYNCDEMO</Authorization_ID>
      <GUID>{guid}</GUID>
      <pCompany_Code>DC1</pCompany_Code>
      <pDivision></pDivision>
      <pStatus_Code></pStatus_Code>
      <pProject_Manager></pProject_Manager>
      <pSuperintendent></pSuperintendent>
      <pEstimator></pEstimator>
      <pCustomer_Code></pCustomer_Code>
      <pCost_Center></pCost_Center>
      {sort}
    </GetJob>
  </soap:Body>
</soap:Envelope>"""


def post(sim: Sim, path: str, body: str) -> tuple[int, str]:
    request = urllib.request.Request(
        f"{sim.url}{path}", data=body.encode(), method="POST", headers={"Content-Type": "text/xml; charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def get(sim: Sim, path: str) -> str:
    with urllib.request.urlopen(f"{sim.url}{path}", timeout=10) as resp:
        return str(resp.read().decode())


def put_envelope(method: str, values: dict[str, str], auth: str = "SSYNCDEMO") -> str:
    layout = SOAP_SERVICES[method]
    elements = "".join(f"<{f.name}>{values.get(f.name, '')}</{f.name}>" for f in layout.fields)
    return (
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>'
        f'<typ:{method} xmlns:typ="{PROIV_NS}"><Authorization_ID>{auth}</Authorization_ID><GUID></GUID>'
        f"{elements}</typ:{method}></soap:Body></soap:Envelope>"
    )


def test_get_job_envelope_from_the_reference_gets_the_documented_answer_shape(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    status, body = post(sim, "/ws/GetJob", GET_JOB_ENVELOPE.format(guid="", sort="<pSort_By></pSort_By>"))
    assert status == 200
    assert "<nis:GetJobResponse " in body and 'xmlns:nis="http://www.northgate-is.com/proiv/webservices/types"' in body
    root = etree.fromstring(body.encode())
    wrapper = root.find(".//returnArray/returnData/getJob")
    assert wrapper is not None
    rows = wrapper.findall("response")
    active_or_inactive = [r for r in sim.store.find("JC_JOB_MASTER_MC", Company_Code="DC1") if r["Status_Code"] != "C"]
    assert len(rows) == len(active_or_inactive)
    assert [child.tag for child in rows[0]][-3:] == ["Error_Code", "Error_Description", "Error_Column"]
    assert re.search(r"<Error_Code/>", body)  # empty values are self-closing elements


def test_a_missing_declared_parameter_is_a_soap_fault(spectrum_simulator_sqlite: Sim) -> None:
    status, body = post(spectrum_simulator_sqlite, "/ws/GetJob", GET_JOB_ENVELOPE.format(guid="", sort=""))
    assert status == 500
    assert "<SOAP-ENV:Fault>" in body and "pSort_By" in body


def test_unknown_authorization_id_gets_the_documented_abort(spectrum_simulator_sqlite: Sim) -> None:
    _status, body = post(spectrum_simulator_sqlite, "/ws/AddJob", put_envelope("AddJob", {}, auth="NOBODY"))
    assert list(iter_rows([body.encode()])) == [
        {
            "error_code": "A",
            "desc": "The Web Service is not authorized. Authorization ID is not setup in the system.",
            "column": "Authorization_ID",
        }
    ]


def test_gl_account_with_dashes_gets_the_documented_invalid_field_answer(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    customer = sim.store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1", Status="A")[0]["Customer_Code"]
    values = {
        "Company_Code": "DC1",
        "GL_Date": "",
        "Batch_Code": "B1",
        "Customer_Code": customer,
        "Invoice_Or_Transaction": "RAW1",
        "Transaction_Type": "I",
        "Line_Extension": "10",
        "GL_Account": "4000-10",
    }
    values["GL_Date"] = values["Invoice_Date"] = datetime.date.today().strftime("%m/%d/%Y")
    _status, body = post(sim, "/ws/AddARInvoice", put_envelope("AddARInvoice", values))
    assert list(iter_rows([body.encode()])) == [
        {"error_code": "I", "desc": "GL Account does not match GL Mask", "column": "GL_Account"}
    ]


def test_several_errors_of_one_record_are_several_responses(spectrum_simulator_sqlite: Sim) -> None:
    _status, body = post(spectrum_simulator_sqlite, "/ws/AddJob", put_envelope("AddJob", {"Taxable_Flag": "Q"}))
    rows = list(iter_rows([body.encode()]))
    assert [(r["error_code"], r["column"]) for r in rows] == [
        ("M", "Job_Number"),
        ("I", "Taxable_Flag"),
        ("M", "Price_Method_Code"),
    ]


def test_ws_test_connection_answers_s(spectrum_simulator_sqlite: Sim) -> None:
    body = put_envelope("WSTestConnection", {"Version": "2.0"})
    _status, text = post(spectrum_simulator_sqlite, "/ws/WSTestConnection", body)
    [row] = list(iter_rows([text.encode()]))
    assert row["error_code"] == "S"


def test_a_consumed_guid_on_a_get_answers_one_empty_row(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    envelope = GET_JOB_ENVELOPE.format(guid="6f1c0c0e-0d9b-4a63-9a3e-3b1f4c1a2b3c", sort="<pSort_By>D</pSort_By>")
    first = list(iter_rows([post(sim, "/ws/GetJob", envelope)[1].encode()]))
    again = list(iter_rows([post(sim, "/ws/GetJob", envelope)[1].encode()]))
    assert len(first) > 1
    assert len(again) == 1 and not any(again[0].values())
    divisions = [r["Division"] for r in first]
    assert divisions == sorted(divisions)  # pSort_By D: by division


def test_an_idle_guid_times_out(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    envelope = GET_JOB_ENVELOPE.format(guid="0b9e5b4c-1111-4a63-9a3e-3b1f4c1a2b3c", sort="<pSort_By></pSort_By>")
    post(sim, "/ws/GetJob", envelope)
    sim.configure(advance_clock_seconds=24 * 3600 + 60)
    [row] = list(iter_rows([post(sim, "/ws/GetJob", envelope)[1].encode()]))
    assert row["Error_Description"] == "Time out has occurred"


@pytest.mark.parametrize("path", ["/wsdls/GetJob.jws", "/wsdls/GetJob.jws?wsdl", "/ws/GetJob.jws?wsdl"])
def test_wsdl_is_served_with_every_parameter_in_order(spectrum_simulator_sqlite: Sim, path: str) -> None:
    text = get(spectrum_simulator_sqlite, path)
    assert "targetNamespace='http://www.northgate-is.com/proiv/webservices/types'" in text
    names = re.findall(r"<xsd:element name='(\w+)' type='xsd:string' minOccurs='1'", text)
    assert names == [
        "Authorization_ID",
        "GUID",
        "pCompany_Code",
        "pDivision",
        "pStatus_Code",
        "pProject_Manager",
        "pSuperintendent",
        "pEstimator",
        "pCustomer_Code",
        "pCost_Center",
        "pSort_By",
    ]


def test_zeep_loads_the_wsdls_and_calls_get_customers_and_add_job(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    settings = zeep.Settings(strict=True, forbid_dtd=True, forbid_entities=True, forbid_external=True)
    customers = zeep.Client(f"{sim.url}/wsdls/GetCustomers.jws", settings=settings)
    params = {f.name: "" for f in GET_CUSTOMERS.fields} | {"pCompany_Code": "DC1"}
    answer: Any = customers.service.GetCustomers(Authorization_ID=sim.auth_id, GUID="", **params)
    rows = answer["getCustomers"]["response"]
    active = sim.store.find("CR_CUSTOMER_MASTER_MC", Company_Code="DC1", Status="A")
    assert sorted(r["Customer_Code"] for r in rows) == sorted(c["Customer_Code"] for c in active)
    jobs = zeep.Client(f"{sim.url}/wsdls/AddJob.jws?wsdl", settings=settings)
    values = {f.name: "" for f in ADD_JOB.fields} | {
        "Company_Code": "DC1",
        "Job_Number": "ZEEP1",
        "Job_Description": "Added by zeep",
        "Taxable_Flag": "N",
        "Price_Method_Code": "F",
    }
    reply: Any = jobs.service.AddJob(Authorization_ID=sim.auth_id, GUID="", **values)
    assert [(r["error_code"], r["desc"]) for r in reply["response"]] == [("G", "ZEEP1")]
    assert sim.store.find("JC_JOB_MASTER_MC", Job_Number="ZEEP1")[0]["Job_Description"] == "Added by zeep"


def test_concurrent_callers_are_all_served(spectrum_simulator_sqlite: Sim) -> None:
    sim = spectrum_simulator_sqlite
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            client = sim.client()
            list(client.iter_records("customer", "DC1"))
            client.put(
                "AddJob",
                {"Company_Code": "DC1", "Job_Number": f"C{n}", "Taxable_Flag": "N", "Price_Method_Code": "F"},
            )
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert len(sim.accepted("AddJob")) == 6


def test_thread_simulator_shares_the_spectrum_db_store(spectrum_db: SpectrumDB, spectrum_simulator: Sim) -> None:
    spectrum_db.store.update(
        "CR_CUSTOMER_MASTER_MC", {"Company_Code": "DC1", "Customer_Code": "BLUEBO01"}, {"Name": "Renamed"}
    )
    names = {c.customer_code: c.name for c in spectrum_simulator.client().iter_records("customer", "DC1")}
    assert names["BLUEBO01"] == "Renamed"
    spectrum_simulator.client().put(
        "AddJob", {"Company_Code": "DC1", "Job_Number": "PG1", "Taxable_Flag": "N", "Price_Method_Code": "F"}
    )
    assert spectrum_db.store.find("JC_JOB_MASTER_MC", Job_Number="PG1")


def test_simulator_process_on_the_spectrum_db_store(spectrum_db: SpectrumDB, spectrum_simulator_process: Sim) -> None:
    sim = spectrum_simulator_process
    client = sim.client()
    assert client.test_connection("DC1").ok
    jobs = list(client.iter_records("job", "DC1"))
    assert len(jobs) == len(spectrum_db.store.find("JC_JOB_MASTER_MC", Company_Code="DC1"))
    client.put("AddJob", {"Company_Code": "DC1", "Job_Number": "PROC1", "Taxable_Flag": "N", "Price_Method_Code": "F"})
    assert spectrum_db.store.find("JC_JOB_MASTER_MC", Job_Number="PROC1")
    sim.set_faults(queue=["fault"])
    assert sim.counters()["requests"]["AddJob"] == 1
