"""The streaming SOAP reader on its own: the documented quirks and hostile replies (no server)."""

from __future__ import annotations

import resource
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connectors.spectrum.soap import (
    HostileReply,
    ReplyError,
    SoapFault,
    UnreadableReply,
    build_envelope,
    iter_rows,
)

HEAD = (
    b'<SOAP-ENV:Envelope SOAP-ENV:encodingStyle="http://schemas.xmlsoap.org/soap/encoding/" '
    b'xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Header/><SOAP-ENV:Body>'
    b'<nis:GetJobResponse xmlns:nis="http://www.northgate-is.com/proiv/webservices/types">'
    b"<returnArray><returnData><getJob>"
)
ROWS = (
    b"<response><Job_Number>  24001</Job_Number><Job_Description>Timber Plant</Job_Description>"
    b"<Division/><Error_Code/></response>"
    b"<response><Job_Number>24002</Job_Number><Job_Description>School &amp; Gym</Job_Description>"
    b"<Division>200</Division><Error_Code/></response>"
)
TAIL = b"</getJob></returnData></returnArray></nis:GetJobResponse></SOAP-ENV:Body></SOAP-ENV:Envelope>"


def chunks(data: bytes, size: int = 7) -> Iterator[bytes]:
    return (data[i : i + size] for i in range(0, len(data), size))


def test_rows_come_out_as_dicts_with_empty_elements_as_blank_text() -> None:
    rows = list(iter_rows(chunks(HEAD + ROWS + TAIL)))
    assert rows == [
        {"Job_Number": "24001", "Job_Description": "Timber Plant", "Division": "", "Error_Code": ""},
        {"Job_Number": "24002", "Job_Description": "School & Gym", "Division": "200", "Error_Code": ""},
    ]


def test_envelope_cut_after_the_last_complete_row_reports_a_clean_cut() -> None:
    with pytest.raises(UnreadableReply) as caught:
        list(iter_rows([HEAD + ROWS]))
    assert caught.value.clean_cut
    assert caught.value.rows == 2


def test_envelope_cut_inside_a_row_is_not_a_clean_cut() -> None:
    with pytest.raises(UnreadableReply) as caught:
        list(iter_rows([HEAD + ROWS + b"<response><Job_Number>240"]))
    assert not caught.value.clean_cut


def test_soap_fault_is_reported_with_its_code_and_text() -> None:
    fault = (
        b'<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/"><SOAP-ENV:Body>'
        b"<SOAP-ENV:Fault><faultcode>SOAP-ENV:Server</faultcode><faultstring>Error executing Web Service"
        b"</faultstring></SOAP-ENV:Fault></SOAP-ENV:Body></SOAP-ENV:Envelope>"
    )
    with pytest.raises(SoapFault) as caught:
        list(iter_rows([fault]))
    assert caught.value.string == "Error executing Web Service"
    assert not caught.value.is_client_fault


def test_html_error_page_is_unreadable() -> None:
    with pytest.raises(UnreadableReply) as caught:
        list(iter_rows([b"<html><body><h1>502 Bad Gateway</h1></body></html>"]))
    assert not caught.value.clean_cut


def test_external_entity_pointing_at_a_local_file_is_refused() -> None:
    xxe = b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>' + HEAD + b"&x;" + TAIL
    with pytest.raises(HostileReply, match="DOCTYPE"):
        list(iter_rows(chunks(xxe, 5)))


def test_entity_expansion_bomb_is_refused() -> None:
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    bomb = f'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e0 "lol">{entities}]><r>&e9;</r>'.encode()
    with pytest.raises(HostileReply):
        list(iter_rows([bomb]))


def test_undeclared_entity_reference_is_not_expanded() -> None:
    with pytest.raises(UnreadableReply):
        list(iter_rows([HEAD + b"<response><Name>&secret;</Name></response>" + TAIL]))


def test_200_mb_text_node_is_refused_with_bounded_memory() -> None:
    def huge() -> Iterator[bytes]:
        yield HEAD + b"<response><Name>"
        block = b"A" * (1024 * 1024)
        for _ in range(200):
            yield block
        yield b"</Name></response>" + TAIL

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(HostileReply, match="size limits"):
        list(iter_rows(huge()))
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 100


def test_reply_over_the_byte_cap_is_refused() -> None:
    with pytest.raises(HostileReply, match="cap"):
        list(iter_rows(chunks(HEAD + ROWS * 100 + TAIL, 1024), max_bytes=4096))


def test_request_envelope_has_every_element_in_order_in_the_proiv_namespace() -> None:
    envelope = build_envelope("GetJob", [("Authorization_ID", "ID<1>"), ("GUID", ""), ("pCompany_Code", "DC1")])
    assert envelope.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    assert b'<GetJob xmlns="http://www.northgate-is.com/proiv/webservices/types">' in envelope
    assert (
        b"<Authorization_ID>ID&lt;1&gt;</Authorization_ID><GUID></GUID><pCompany_Code>DC1</pCompany_Code>" in envelope
    )


def test_records_built_by_the_fast_path_equal_normally_built_ones() -> None:
    from dataclasses import fields

    from connectors.spectrum.readers import _customer, _job, _phase, _vendor

    row = {
        "Company_Code": "DC1",
        "Customer_Code": "C1",
        "Vendor_Code": "V1",
        "Job_Number": "J1",
        "Phase_Code": "0100",
        "Cost_Type": "L",
        "Name": "Acme",
        "Payment_Term_Days": "30",
        "JTD_Hours": "12.50",
    }
    for record in (_customer(row, "DC1"), _vendor(row, "DC1"), _job(row, "DC1", None), _phase(row, "DC1")):
        cls = type(record)
        assert set(vars(record)) == {f.name for f in fields(cls)}
        rebuilt = cls(**vars(record))
        assert rebuilt == record
        assert hash(rebuilt) == hash(record)
        assert rebuilt.as_dict() == record.as_dict()


def test_rows_with_namespace_qualified_fields_read_by_local_name() -> None:
    qualified = (
        b'<e:Envelope xmlns:e="http://schemas.xmlsoap.org/soap/envelope/"><e:Body>'
        b'<n:GetJobResponse xmlns:n="http://www.northgate-is.com/proiv/webservices/types"><n:response>'
        b"<n:Job_Number>J9</n:Job_Number><n:Division/></n:response></n:GetJobResponse></e:Body></e:Envelope>"
    )
    assert list(iter_rows([qualified])) == [{"Job_Number": "J9", "Division": ""}]


SEED = HEAD + ROWS + TAIL


@settings(max_examples=300, deadline=None)
@given(
    position=st.integers(min_value=0, max_value=len(SEED)),
    junk=st.binary(max_size=40),
    cut=st.integers(min_value=0, max_value=len(SEED)),
    chunk=st.integers(min_value=1, max_value=64),
)
def test_mutated_replies_give_rows_or_a_reply_error_never_anything_else(
    position: int, junk: bytes, cut: int, chunk: int
) -> None:
    # For any bytes the parser yields records or raises our error, nothing else.
    mutated = (SEED[:position] + junk + SEED[position:])[: max(cut, position)]
    try:
        rows = list(iter_rows(chunks(mutated, chunk)))
    except ReplyError:
        return
    assert all(isinstance(row, dict) for row in rows)
