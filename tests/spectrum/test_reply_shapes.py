"""Replies we can justify are read as such; any other 2xx is "accepted, unconfirmed", never a guess.

docs/spectrum.md#rest-replies and #replies-and-codes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests

from connectors.spectrum.errors import SpectrumAuthorizationError, SpectrumRejected, SpectrumUnknownOutcome
from connectors.spectrum.gets import error_fields
from connectors.spectrum.rest import _rest_results
from spectrum_sync.exports.writer import _rest_answer


def reply(status: int, body: Any) -> requests.Response:
    resp = requests.Response()
    resp.status_code = status
    resp._content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return resp


def test_the_per_document_results_list_is_read_document_by_document() -> None:
    body = {
        "results": [
            {"status": "imported", "key": "A1"},
            {"status": "rejected", "messages": [{"error_code": "I", "desc": "bad", "column": "GL_Account"}]},
        ]
    }
    first, second = _rest_results(reply(400, body), "customer/invoice", ["A1", "A2"])
    assert first.ok and first.key == "A1" and not first.unconfirmed
    assert not second.ok and second.messages[0].column == "GL_Account"


def test_put_style_messages_answer_a_batch_of_one() -> None:
    refused = [{"error_code": "I", "desc": "Customer_Code is invalid", "column": "Customer_Code"}]
    (result,) = _rest_results(reply(200, refused), "customer/invoice", ["A1"])
    assert not result.ok and result.messages[0].message == "Customer_Code is invalid"
    (good,) = _rest_results(
        reply(200, {"messages": [{"error_code": "G", "desc": "A1", "column": "Invoice_Or_Transaction"}]}),
        "customer/invoice",
        ["A1"],
    )
    assert good.ok and not good.unconfirmed


def test_an_abort_in_put_style_messages_is_an_authorization_refusal() -> None:
    with pytest.raises(SpectrumAuthorizationError):
        _rest_results(
            reply(200, [{"error_code": "A", "desc": "not authorized", "column": "Authorization_ID"}]),
            "customer/invoice",
            ["A1"],
        )


@pytest.mark.parametrize("body", [{"Status": "Success"}, b"OK", [], {"results": "done"}, b""])
def test_any_other_2xx_is_accepted_but_unconfirmed(body: Any) -> None:
    results = _rest_results(reply(200, body), "customer/invoice", ["A1", "A2"])
    assert [(r.ok, r.unconfirmed, r.key) for r in results] == [(True, True, "A1"), (True, True, "A2")]
    answer = _rest_answer("customer/invoice", results)
    assert answer.unconfirmed and json.loads(answer.raw)["unconfirmed"] is True
    assert answer.value_for("key") == ""  # no number is made up from an unknown reply


def test_an_unknown_400_is_a_refusal_quoting_the_reply() -> None:
    (result,) = _rest_results(reply(400, {"oops": "Invalid request"}), "customer/invoice", ["A1"])
    assert (
        not result.ok and "HTTP 400" in result.messages[0].message and "Invalid request" in result.messages[0].message
    )
    with pytest.raises(SpectrumRejected):
        _rest_answer("customer/invoice", [result])


@pytest.mark.parametrize(
    "row",
    [
        {"Error_Code": "E", "Error_Description": "Invalid Authorization_ID", "Error_Column": "Authorization_ID"},
        {"error_code": "E", "desc": "Invalid Authorization_ID", "column": "Authorization_ID"},
        {"ERROR_CODE": "E", "Error_Desc": "Invalid Authorization_ID", "error_column": "Authorization_ID"},
    ],
)
def test_a_get_error_row_is_an_error_in_either_spelling(row: dict[str, str]) -> None:
    assert error_fields(row) == ("E", "Invalid Authorization_ID", "Authorization_ID")


def test_a_data_row_is_no_error() -> None:
    # Negative control: a customer row, even one with a "column"-like field, is data.
    assert error_fields({"Customer_Code": "ACME", "Name": "Acme", "Error_Code": ""}) == ("", "", "")


@pytest.mark.parametrize(("status", "body"), [(500, b"<SOAP-ENV:Envelope>fault</SOAP-ENV:Envelope>"), (502, {"x": 1})])
def test_a_server_error_leaves_the_outcome_unknown(status: int, body: Any) -> None:
    # It may have been applied: never "refused" (a retry could double it), never "accepted".
    with pytest.raises(SpectrumUnknownOutcome):
        _rest_results(reply(status, body), "customer/invoice", ["A1"])
