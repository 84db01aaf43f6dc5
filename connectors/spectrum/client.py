"""The Spectrum Data Exchange client: SOAP and REST over one pooled ``requests`` session.

Every request goes through :meth:`SpectrumClient._send`, which owns the timeouts, the
authentication headers, the logging (service, tenant, duration; never the Authorization ID) and the
translation of transport failures into the error taxonomy (connectors/spectrum/errors.py).

What the caller gets:

- Gets yield typed records (connectors/spectrum/records.py) one by one while the reply streams in.
  A Get that hits Spectrum's row cap (the trailing ``W`` row, reference 1.4) is re-asked partitioned
  by the documented filters, with SuperSelect's "everything but" for the rest (reference 2.12),
  until every row has been read; if no filter is left, the read fails rather than return a partial
  list that would look like deletions.
- Puts validate the record against the layout first (same messages as Spectrum), send it with every
  declared element in order, and return the ``G``/``S`` messages or raise.
"""

from __future__ import annotations

import base64
import logging
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any, NoReturn, TypeVar
from urllib.parse import quote

import requests
import urllib3

from connectors.deadline import DeadlineAdapter, ReplyWatch, timed_body
from connectors.outbound import OutboundRefused
from connectors.redaction import redact, register_secret
from connectors.replies import IDENTITY, ReplyTooBig, read_capped, reply_text
from connectors.spectrum import layouts
from connectors.spectrum.config import DataExchangeConfig
from connectors.spectrum.errors import (
    PutResult,
    SpectrumAuthorizationError,
    SpectrumBadReply,
    SpectrumConfigurationError,
    SpectrumError,
    SpectrumMessage,
    SpectrumRejected,
    SpectrumRetryableError,
    SpectrumUnknownOutcome,
)
from connectors.spectrum.layouts import Layout
from connectors.spectrum.records import Budget, CostType, Customer, Job, JobCost, Phase, SpectrumRecord, Vendor
from connectors.spectrum.soap import (
    DEFAULT_MAX_BYTES,
    HostileReply,
    ReplyError,
    SoapFault,
    UnreadableReply,
    build_envelope,
    iter_rows,
)

logger = logging.getLogger("connectors.spectrum")

# The version we announce to WSTestConnection (reference 2.13: "n.n", validated against the
# PRO-IV file). When the server disagrees it names its own, which we then read and report.
CLIENT_VERSION = "2.0"
GUID_TIMEOUT_TEXT = "time out has occurred"  # reference 1.5
ROW_CAP_TEXT = "exceeds maximum"  # reference 1.4 (third-party observation)
GET_ATTEMPTS = 3  # "Error executing Web Service" under load: clients retry 3 times (reference 1.3)
GET_BACKOFF_SECONDS = 0.4
CAP_BUFFER_ROWS = 1000  # a capped answer is ~500 rows; a longer answer streams straight through
TOKEN_MARGIN = timedelta(seconds=30)
REST_PAGE = 500


@dataclass(frozen=True)
class ConnectionTest:
    ok: bool
    version: str
    message: str


@dataclass
class RestResult:
    """One document of a REST batch: imported or rejected, with Spectrum's messages."""

    index: int
    ok: bool
    key: str = ""  # the document number Spectrum used or assigned (invoice / PO number)
    messages: list[SpectrumMessage] = field(default_factory=list)
    client_side: bool = False


class _Capped(Exception):
    """A Get answered its row cap: the rows read (buffered, none yielded) and the W message."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        super().__init__("row cap")
        self.rows = rows


# Filters that partition each Get when its answer is capped: (parameter, return field giving the
# values). Only SuperSelect parameters qualify, because the rest of the rows is asked for with
# "everything but" (reference 2.12); status, cost center and sort take one literal (reference 1.10).
# Jobs and phases are first split by status (blank = Active + Inactive; Complete only when asked).
_JOB_DIMS = (
    ("pDivision", "Division"),
    ("pCustomer_Code", "Customer_Code"),
    ("pProject_Manager", "Project_Manager"),
    ("pSuperintendent", "Superintendent"),
    ("pEstimator", "Estimator"),
)
_PHASE_DIMS = (("pJob_Number", "Job_Number"), ("pCost_Type", "Cost_Type"))
_PARTITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "GetCustomers": (),  # only pStatus, which cannot split "ALL" into disjoint parts
    "GetVendors": (("pType", "Type"), ("pState", "State"), ("pCity", "City"), ("pName", "Name")),
    "GetJob": _JOB_DIMS,
    "GetJobMain": (("pDivision", "Division"), ("pCustomer_Code", "Customer_Code")),
    "GetJobUDF": (),
    "GetPhase": _PHASE_DIMS,
    "GetPhaseEnhanced": _PHASE_DIMS,
}


class SpectrumClient:
    """One Spectrum connection (one Authorization ID). Not shared between processes; thread-safe
    for the token cache."""

    def __init__(
        self,
        config: DataExchangeConfig,
        session: requests.Session | None = None,
        *,
        max_reply_bytes: int = DEFAULT_MAX_BYTES,
        get_attempts: int = GET_ATTEMPTS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.config = config
        self.base_url = config.base_url.rstrip("/")
        self._session = session or self._new_session()
        self._owns_session = session is None
        self._max_reply_bytes = max_reply_bytes
        self._get_attempts = max(1, get_attempts)
        self._sleep = sleep
        self._client_secret = config.client_secret
        self._token: tuple[str, datetime] | None = None
        self._token_lock = threading.Lock()
        # Get replies that ended in a cut after a whole row, accepted as the documented quirk. A
        # server dying mid-stream looks the same, so a reader of this count (an import deciding what
        # was deleted) must not treat such a read as complete.
        self.cut_replies = 0
        register_secret(config.authorization_id, config.tenant)
        register_secret(config.client_secret, config.tenant)

    # ------------------------------------------------------------------ lifecycle

    def _new_session(self) -> requests.Session:
        session = requests.Session()
        # DeadlineAdapter: a reply still arriving at its deadline can be cut (connectors/deadline.py).
        # The policy checks every address it connects to (connectors/outbound.py).
        adapter = DeadlineAdapter(pool_connections=2, pool_maxsize=8, max_retries=0, policy=self.config.policy)
        session.mount("https://", adapter)
        session.mount("http://", adapter)
        session.verify = self.config.verify_tls
        session.trust_env = False  # no proxies or netrc credentials picked up from the environment
        return session

    def _check_host(self, service: str) -> None:
        """Before every request (not when built, so a refused URL fails the call like any other
        configuration problem): the base URL against the outbound policy."""
        try:
            self.config.policy.check_url(self.base_url, "Spectrum base URL")
        except OutboundRefused as exc:
            raise SpectrumConfigurationError(str(exc), service=service) from None

    def close(self) -> None:
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> SpectrumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ public API

    def test_connection(self, company: str = "") -> ConnectionTest:
        """WSTestConnection, reading the server's version; then, if ``company`` is given, whether
        the Authorization ID may read that company."""
        # Reference: 2.13 WSTestConnection (LWS/test-connection)
        try:
            messages = self._call_put_like(layouts.WS_TEST_CONNECTION, {"Version": CLIENT_VERSION}, guid="")
            version = CLIENT_VERSION
            server_version = _version_named(messages)
            if server_version and _failed(messages):
                # The server told us its version: announce that one (reference 2.13 "validated").
                version = server_version
                messages = self._call_put_like(layouts.WS_TEST_CONNECTION, {"Version": version}, guid="")
            self._raise_for_put_messages("WSTestConnection", messages, raw="")
        except SpectrumError as exc:
            return ConnectionTest(ok=False, version="", message=str(exc))
        ok_text = "; ".join(m.message for m in messages if m.code == "S") or "Connected"
        if company:
            allowed = self.check_services(["GetJob"], company)
            if not allowed.get("GetJob"):
                message = f"Company {company} cannot be read with this Authorization ID (GetJob refused)"
                return ConnectionTest(False, version, message)
        return ConnectionTest(ok=True, version=_version_named(messages) or version, message=ok_text)

    def check_services(self, names: Iterable[str], company: str = "") -> dict[str, bool]:
        """Is each service authorized on this Authorization ID (and company)? Nothing is written:
        a Put is probed with an empty record (Spectrum checks authorization before the fields), a
        Get reads one row and hangs up, a REST service gets an empty batch."""
        result: dict[str, bool] = {}
        for name in names:
            try:
                self._probe(name, company or self.config.default_company)
                result[name] = True
            except SpectrumAuthorizationError:
                result[name] = False
        return result

    def iter_records(self, object_type: str, company: str) -> Iterator[SpectrumRecord]:
        readers: dict[str, Callable[[str], Iterator[SpectrumRecord]]] = {
            "customer": self._customers,
            "vendor": self._vendors,
            "job": self._jobs,
            "phase": self._phases,
            "cost_type": self._cost_types,
            "budget": self._budgets,
            "job_cost": self._job_costs,
        }
        try:
            reader = readers[object_type]
        except KeyError:
            raise SpectrumConfigurationError(
                f"the web services cannot read {object_type!r}; use the database"
            ) from None
        return reader(company)

    def validate(self, service: str, fields: Mapping[str, str]) -> list[SpectrumMessage]:
        """Client-side check of one record against the layout: Spectrum's code / message / column."""
        return layouts.validate(layouts.layout_for(service), fields)

    def new_batch_guid(self) -> str:
        """One GUID per logical batch of Puts to the same service (reference 1.5)."""
        return str(uuid.uuid4())

    def put(self, service: str, fields: Mapping[str, str], *, guid: str = "") -> PutResult:
        layout = layouts.layout_for(service)
        if layout.kind != "put":
            raise SpectrumConfigurationError(f"{service} is not a Put service", service=service)
        problems = layouts.validate(layout, fields)
        if problems:
            raise SpectrumRejected(problems, service=service, client_side=True)
        batch_guid = guid or self.new_batch_guid()
        messages, raw = self._put_once(layout, fields, batch_guid)
        if _guid_timed_out(messages):
            # The (method, Authorization ID, GUID) group expired (reference 1.5): nothing was
            # written, so the same record goes again under a fresh GUID.
            messages, raw = self._put_once(layout, fields, self.new_batch_guid())
        self._raise_for_put_messages(service, messages, raw)
        return PutResult(service=service, messages=[m for m in messages if m.code in ("G", "S")], raw=raw)

    def post_customer_invoices(self, company: str, invoices: list[dict[str, Any]]) -> list[RestResult]:
        # Reference: 2.5 Multi-Line Customer Invoice, POST /customer/invoice
        return self._post_documents(layouts.CUSTOMER_INVOICE, company, invoices, "arInvoices", "invoiceDetails")

    def post_purchase_orders(self, company: str, orders: list[dict[str, Any]]) -> list[RestResult]:
        # Reference: 2.8 Purchase Order Batch, POST /purchaseOrders
        return self._post_documents(layouts.PURCHASE_ORDERS, company, orders, "purchaseOrders", "poDetails")

    def post_vendor_invoices(self, company: str, invoices: list[dict[str, Any]]) -> list[RestResult]:
        # Reference: 2.8 Vendor Invoice Multi-Line, POST /vendor/invoice
        return self._post_documents(layouts.VENDOR_INVOICE, company, invoices, "APInvoices", "APInvoiceDetails")

    def post_po_receipts(self, company: str, receipts: list[dict[str, Any]]) -> list[RestResult]:
        """Two-step packing-list quantity receipts, one record per PO line received."""
        # Reference: help page packing-list-quantity-receipt---two-step, POST /purchaseOrder/PackingList
        return self._post_documents(layouts.PACKING_LIST_RECEIPT, company, receipts, "purchaseOrdersPackingLists", "")

    def iter_vendors_rest(self, company: str, **filters: str) -> Iterator[Vendor]:
        """REST Get Vendors (active vendors only), paged with ``$limit`` / ``$skip``."""
        # Reference: 2.2 Get Vendors, GET /vendors/{Company_Code}; paging per a third-party doc (1.2)
        skip = 0
        while True:
            params = {**filters, "$limit": str(REST_PAGE), "$skip": str(skip)}
            resp = self._send(
                "GetVendors(REST)", "GET", f"/vendors/{quote(company)}", params=params, rest_company=company
            )
            page = _json_list(resp, "GetVendors(REST)")
            for row in page:
                yield _vendor({k: layouts.as_text(v) for k, v in row.items()}, company)
            if len(page) < REST_PAGE:
                return
            skip += len(page)

    def rotate_secret(self) -> tuple[str, datetime]:
        """Enhanced Authentication secret rotation: the new secret and its expiry, for the caller to
        store (encrypted). This client uses the new secret from now on."""
        # Reference: 1.6 Enhanced Authentication, POST /secretRotation
        # A write: once the request may have left, a lost reply means the secret may have changed
        # in Spectrum without us learning the new one (SpectrumUnknownOutcome, never a blind retry).
        resp = self._send(
            "secretRotation", "POST", "/secretRotation", data=self._client_credentials(), auth=False, put=True
        )
        body = _json_object(resp, "secretRotation")
        secret = str(body.get("client_secret") or "")
        if not secret:
            raise SpectrumBadReply("secret rotation answered without a client_secret", service="secretRotation")
        register_secret(secret, self.config.tenant)
        expires = _parse_expiry(str(body.get("estimated_expiration") or ""))
        self._client_secret = secret
        with self._token_lock:
            self._token = None
        return secret, expires

    # ------------------------------------------------------------------ readers

    def _customers(self, company: str) -> Iterator[SpectrumRecord]:
        # Reference: 2.1 GetCustomers; pStatus "ALL" so inactive customers show as changes, not deletions
        for row in self._read_all(layouts.GET_CUSTOMERS, {"pCompany_Code": company, "pStatus": "ALL"}):
            yield _customer(row, company)

    def _vendors(self, company: str) -> Iterator[SpectrumRecord]:
        # Reference: 2.2 / 2.13 GetVendors (SOAP)
        for row in self._read_all(layouts.GET_VENDORS, {"pCompany_Code": company}):
            yield _vendor(row, company)

    def _jobs(self, company: str) -> Iterator[SpectrumRecord]:
        # Reference: 2.7 GetJobMain (for Original_Contract) then GetJob; blank status = A + I, so
        # Complete jobs are asked for separately (reference 1.10).
        contracts: dict[str, Decimal | None] = {}
        for status in ("", "C"):
            params = {"pCompany_Code": company, "pStatus_Code": status}
            for row in self._read_all(layouts.GET_JOB_MAIN, params):
                contracts[row.get("Job_Number", "")] = _decimal(row.get("Original_Contract", ""))
        for status in ("", "C"):
            for row in self._read_all(layouts.GET_JOB, {"pCompany_Code": company, "pStatus_Code": status}):
                yield _job(row, company, contracts.get(row.get("Job_Number", "")))

    def _phase_rows(self, company: str) -> Iterator[dict[str, str]]:
        # Reference: 2.7 GetPhase; Complete phases asked for separately as for jobs
        for status in ("", "C"):
            yield from self._read_all(layouts.GET_PHASE, {"pCompany_Code": company, "pStatus_Code": status})

    def _phases(self, company: str) -> Iterator[SpectrumRecord]:
        for row in self._phase_rows(company):
            yield _phase(row, company)

    def _cost_types(self, company: str) -> Iterator[SpectrumRecord]:
        # No Get service for the cost-type master (reference 2.7 "Cost types"): the codes in use on
        # phases are what the web services can tell; descriptions come only from the database.
        seen: set[str] = set()
        for row in self._phase_rows(company):
            code = row.get("Cost_Type", "")
            if code and code not in seen:
                seen.add(code)
                yield CostType(company_code=company, cost_type=code)

    def _budgets(self, company: str) -> Iterator[SpectrumRecord]:
        for row in self._phase_rows(company):
            yield Budget(
                company_code=company,
                job_number=row.get("Job_Number", ""),
                phase_code=row.get("Phase_Code", ""),
                cost_type=row.get("Cost_Type", ""),
                original_estimated_dollars=None,  # GetPhase returns the current estimate only
                current_estimated_dollars=_decimal(row.get("Current_Estimated_Dollars", "")),
                estimated_hours=_decimal(row.get("Estimated_Hours", "")),
                estimated_quantity=_decimal(row.get("Estimated_Quantity", "")),
            )

    def _job_costs(self, company: str) -> Iterator[SpectrumRecord]:
        for row in self._phase_rows(company):
            yield JobCost(
                company_code=company,
                job_number=row.get("Job_Number", ""),
                phase_code=row.get("Phase_Code", ""),
                cost_type=row.get("Cost_Type", ""),
                jtd_quantity=_decimal(row.get("JTD_Quantity", "")),
                jtd_hours=_decimal(row.get("JTD_Hours", "")),
                jtd_actual_dollars=_decimal(row.get("JTD_Actual_Dollars", "")),
                projected_dollars=_decimal(row.get("Projected_Dollars", "")),
            )

    # ------------------------------------------------------------------ Gets

    def iter_rows(self, service: str, params: Mapping[str, str]) -> Iterator[dict[str, str]]:
        """Every row of a Get, partitioning around the row cap: the raw rows (tests, tools)."""
        return self._read_all(layouts.layout_for(service), params)

    def _read_all(
        self, layout: Layout, params: Mapping[str, str], dims: tuple[tuple[str, str], ...] | None = None, depth: int = 0
    ) -> Iterator[dict[str, str]]:
        dims = _PARTITIONS.get(layout.name, ()) if dims is None else dims
        try:
            yield from self._query(layout, params)
            return
        except _Capped as capped:
            if depth > 25:
                raise SpectrumBadReply("row cap: partitioning does not converge", service=layout.name) from None
            # A parameter is still usable while it is blank or holds an "everything but" list we set.
            usable = tuple(d for d in dims if not params.get(d[0], "") or params[d[0]].startswith("#"))
            if not usable:
                raise SpectrumBadReply(
                    "more rows than Spectrum returns in one answer, and no filter left to split the request by",
                    service=layout.name,
                ) from None
            param, column = usable[0]
            excluded = [v[1:] for v in params.get(param, "").split(",") if v.startswith("#")]
            seen = sorted({row.get(column, "") for row in capped.rows} - {""} - set(excluded))
            logger.info("spectrum %s capped; partitioning by %s (%d values seen)", layout.name, param, len(seen))
            for value in seen:
                yield from self._read_all(layout, {**params, param: value}, usable[1:], depth + 1)
            if seen:
                # SuperSelect "everything but" (reference 2.12): the rest, blanks included.
                rest = ",".join(f"#{v}" for v in [*excluded, *seen])
                yield from self._read_all(layout, {**params, param: rest}, usable, depth + 1)
            else:
                yield from self._read_all(layout, params, usable[1:], depth + 1)

    def _query(self, layout: Layout, params: Mapping[str, str]) -> Iterator[dict[str, str]]:
        """One Get call, retried on transient failures before any row was handed out; raises
        :class:`_Capped` (having yielded nothing) when the answer ends with the W row."""
        for attempt in range(1, self._get_attempts + 1):
            buffer: list[dict[str, str]] = []
            streaming = False
            try:
                for row in self._get_once(layout, params):
                    code = row.get("Error_Code", "")
                    if code:
                        self._raise_for_get_error(layout.name, row)
                        if not streaming:
                            raise _Capped(buffer)
                        raise SpectrumBadReply("row cap reached in a long answer", service=layout.name)
                    if not any(row.get(name) for name in ("Customer_Code", "Vendor_Code", "Job_Number")):
                        continue  # the one empty row of a consumed GUID (reference 1.5)
                    if streaming:
                        yield row
                        continue
                    buffer.append(row)
                    if len(buffer) > CAP_BUFFER_ROWS:
                        streaming = True
                        yield from buffer
                        buffer.clear()
                yield from buffer
                return
            except SpectrumRetryableError:
                if streaming or attempt >= self._get_attempts:
                    raise
                logger.warning("spectrum %s attempt %d failed; retrying", layout.name, attempt)
                self._sleep(GET_BACKOFF_SECONDS * attempt)

    def _get_once(self, layout: Layout, params: Mapping[str, str]) -> Iterator[dict[str, str]]:
        # A fresh GUID per Get call (reference 1.5: "send empty GUID or a fresh uuid4 per call").
        elements = self._elements(layout, params, str(uuid.uuid4()))
        # A Get reply may be big and healthy: it must keep a minimum pace rather than end by a fixed
        # time (config.py, connectors/deadline.py); the time our caller spends on rows does not count.
        watch = ReplyWatch(self.config.reply_deadline, min_rate=self.config.get_min_rate)
        resp = self._send(
            layout.name,
            "POST",
            f"/ws/{layout.name}",
            data=build_envelope(layout.name, elements),
            stream=True,
            watch=watch,
        )
        with resp:
            try:
                yield from self._parse_get(layout.name, resp, watch)
            finally:
                on_time = watch.finish()
            if not on_time:
                # Even a reply that seemed to end well: the end may be the cut we made.
                raise self._too_slow(layout.name, watch, put=False)

    def _parse_get(self, service: str, resp: requests.Response, watch: ReplyWatch) -> Iterator[dict[str, str]]:
        try:
            yield from iter_rows(timed_body(resp.raw, watch), max_bytes=self._max_reply_bytes)
        except (UnreadableReply, requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            if watch.expired:
                raise self._too_slow(service, watch, put=False) from None
            if isinstance(exc, UnreadableReply) and exc.clean_cut:
                # The documented quirk: closing tags cut off after the last complete row.
                logger.info("spectrum %s reply truncated after %d complete rows; accepted", service, exc.rows)
                self.cut_replies += 1
                return
            if isinstance(exc, UnreadableReply):
                raise SpectrumBadReply(f"unreadable reply: {exc}", service=service) from None
            raise SpectrumRetryableError(f"reply interrupted: {type(exc).__name__}", service=service) from None
        except HostileReply as exc:
            raise SpectrumBadReply(f"hostile reply refused: {exc}", service=service) from None
        except SoapFault as exc:
            raise _fault_error(service, exc) from None

    def _raise_for_get_error(self, service: str, row: Mapping[str, str]) -> None:
        """Error rows of a Get (reference 1.4): A/E on the Authorization ID or company is an
        authorization problem; W is the row cap (returns); anything else is a rejection."""
        code = row.get("Error_Code", "")
        text = row.get("Error_Description", "")
        column = row.get("Error_Column", "")
        if code == "W" or ROW_CAP_TEXT in text.lower():
            return
        if GUID_TIMEOUT_TEXT in text.lower():
            raise SpectrumRetryableError(text, service=service)
        if code == "A" or column in ("Authorization_ID", "pCompany_Code", "Company_Code"):
            raise SpectrumAuthorizationError(text, service=service, column=column)
        raise SpectrumRejected([SpectrumMessage(code, text, column)], service=service)

    # ------------------------------------------------------------------ Puts

    def _elements(self, layout: Layout, values: Mapping[str, str], guid: str) -> list[tuple[str, str]]:
        # Every declared element, in the documented order, empty if unused (reference 1.3).
        head = [("Authorization_ID", self.config.authorization_id), ("GUID", guid)]
        return head + [(f.name, layouts.as_text(values.get(f.name, "")).strip()) for f in layout.fields]

    def _put_once(self, layout: Layout, fields: Mapping[str, str], guid: str) -> tuple[list[SpectrumMessage], str]:
        # Reference: the layout's section (layout.reference); Put reply shape reference 1.3 / 1.4
        envelope = build_envelope(layout.name, self._elements(layout, fields, guid))
        try:
            resp = self._send(layout.name, "POST", f"/ws/{layout.name}", data=envelope, put=True)
        except SpectrumUnknownOutcome:
            raise
        raw = self._redacted(reply_text(resp.content))
        try:
            rows = list(iter_rows([resp.content], max_bytes=self._max_reply_bytes))
        except UnreadableReply as exc:
            if not exc.clean_cut:
                raise SpectrumUnknownOutcome(
                    f"reply could not be read: {exc}", service=layout.name, detail=raw
                ) from None
            rows = list(_rows_before_cut(resp.content))
        except HostileReply as exc:
            raise SpectrumUnknownOutcome(f"hostile reply refused: {exc}", service=layout.name, detail=raw) from None
        except SoapFault as exc:
            raise _fault_error(layout.name, exc, detail=raw) from None
        return [_message(row) for row in rows], raw

    def _call_put_like(self, layout: Layout, fields: Mapping[str, str], guid: str) -> list[SpectrumMessage]:
        messages, _raw = self._put_once(layout, fields, guid)
        return messages

    def _raise_for_put_messages(self, service: str, messages: list[SpectrumMessage], raw: str) -> None:
        aborts = [m for m in messages if m.code == "A"]
        if aborts:
            first = aborts[0]
            raise SpectrumAuthorizationError(first.message, service=service, detail=raw, column=first.column)
        if _guid_timed_out(messages):
            raise SpectrumRetryableError("GUID timed out", service=service, detail=raw)
        problems = [m for m in messages if m.code not in ("G", "S", "W", "")]
        if problems:
            raise SpectrumRejected(problems, service=service, detail=raw)

    def _probe(self, name: str, company: str) -> None:
        if name not in layouts.SOAP_SERVICES and name not in layouts.REST_SERVICES:
            raise SpectrumConfigurationError(f"no layout declared for the {name} web service", service=name)
        if name in layouts.REST_SERVICES:
            self._send(name, "POST", f"/{name}", json_body={_REST_ROOTS[name]: []}, rest_company=company, put=True)
            return
        layout = layouts.layout_for(name)
        if layout.kind == "get":
            params = {f.name: "" for f in layout.fields}
            params["pCompany_Code"] = company
            try:
                for _row in self._query(layout, params):
                    break
            except (_Capped, SpectrumRejected, SpectrumBadReply):
                pass
            return
        fields = {"Company_Code": company} if layout.field("Company_Code") else {}
        messages, raw = self._put_once(layout, fields, "")
        if any(m.code == "A" for m in messages):
            self._raise_for_put_messages(name, messages, raw)

    # ------------------------------------------------------------------ REST

    def _post_documents(
        self, layout: Layout, company: str, documents: list[dict[str, Any]], root: str, detail_key: str
    ) -> list[RestResult]:
        results: dict[int, RestResult] = {}
        to_send: list[tuple[int, dict[str, Any]]] = []
        for index, doc in enumerate(documents):
            problems = _validate_document(layout, doc, detail_key)
            if problems:
                results[index] = RestResult(index, False, _doc_key(layout, doc), problems, client_side=True)
            else:
                to_send.append((index, doc))
        if to_send:
            body = {root: [doc for _i, doc in to_send]}
            resp = self._send(layout.name, "POST", f"/{layout.name}", json_body=body, rest_company=company, put=True)
            answers = _rest_results(resp, layout.name)
            if len(answers) != len(to_send):
                raise SpectrumUnknownOutcome(
                    f"answer lists {len(answers)} results for {len(to_send)} documents",
                    service=layout.name,
                    detail=self._redacted(reply_text(resp.content)[:4000]),
                )
            for (index, _doc), answer in zip(to_send, answers, strict=True):
                answer.index = index
                results[index] = answer
        return [results[i] for i in range(len(documents))]

    # ------------------------------------------------------------------ the choke point

    def _send(
        self,
        service: str,
        method: str,
        path: str,
        *,
        data: bytes | Mapping[str, str] | None = None,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        stream: bool = False,
        put: bool = False,
        rest_company: str = "",
        auth: bool = True,
        watch: ReplyWatch | None = None,
    ) -> requests.Response:
        """Send one request; translate transport and HTTP failures. ``put`` marks a request that
        may change Spectrum: once it may have left, a failure is an unknown outcome.

        The reply must be complete within ``config.reply_deadline`` (connectors/deadline.py). A
        streamed request passes its own ``watch``, which the caller finishes once it has read the
        body; otherwise the whole reply is read here, under a fixed deadline."""
        self._check_host(service)
        headers: dict[str, str] = {}
        if path.startswith("/ws/"):
            headers["Content-Type"] = "text/xml; charset=utf-8"
            headers["SOAPAction"] = f"{self.base_url}{path}"  # as working clients send it (reference 1.2)
        if auth:
            headers.update(self._auth_headers(rest_company, soap=path.startswith("/ws/")))
        if not stream:
            headers.update(IDENTITY)  # a small reply, read here with a cap (connectors/replies.py)
        started = time.monotonic()
        watch = watch or ReplyWatch(self.config.reply_deadline)
        for retry_auth in (True, False):
            try:
                with watch.sending():
                    resp = self._session.request(
                        method,
                        f"{self.base_url}{path}",
                        data=data,
                        json=json_body,
                        params=params,
                        headers=headers,
                        stream=True,
                        timeout=(self.config.connect_timeout, self.config.read_timeout),
                        allow_redirects=False,
                    )
            except OutboundRefused as exc:
                watch.finish()
                self._log(service, started, "refused")
                raise SpectrumConfigurationError(str(exc), service=service) from None
            except requests.RequestException as exc:
                watch.finish()
                if watch.expired:
                    self._log(service, started, "too slow")
                    raise self._too_slow(service, watch, put=put) from None
                self._raise_for_transport(service, started, exc, put=put)
            if resp.status_code == 401 and retry_auth and self.config.auth_mode == "enhanced" and auth:
                resp.close()
                with self._token_lock:
                    self._token = None  # expired early or revoked: one fresh token, one retry
                headers.update(self._auth_headers(rest_company, soap=path.startswith("/ws/")))
                continue
            break
        self._log(service, started, str(resp.status_code))
        try:
            self._raise_for_status(service, resp, put=put)
            if not stream:
                self._read_whole(service, resp, watch, put=put)
        except SpectrumError:
            watch.finish()
            raise
        if not stream and not watch.finish():
            # The whole reply was read here; if the timer cut it, what we hold may be partial.
            resp.close()
            raise self._too_slow(service, watch, put=put)
        return resp

    def _read_whole(self, service: str, resp: requests.Response, watch: ReplyWatch, *, put: bool) -> None:
        """Read a small reply (a Put's, a REST batch's, a token) here, at most 1 MB of it."""
        failure = SpectrumUnknownOutcome if put else SpectrumBadReply
        try:
            read_capped(resp, watch)
        except ReplyTooBig as exc:
            raise failure(str(exc), service=service) from None
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
            resp.close()
            if watch.expired:
                raise self._too_slow(service, watch, put=put) from None
            broken = SpectrumUnknownOutcome if put else SpectrumRetryableError
            raise broken(f"reply broken: {type(exc).__name__}", service=service) from None

    def _too_slow(self, service: str, watch: ReplyWatch, *, put: bool) -> SpectrumError:
        """The deadline passed while the reply was still arriving; we closed the connection."""
        what = f"Spectrum's reply was still arriving after {watch.elapsed:.0f} s"
        if watch.min_rate:
            limit = (
                f"too slowly: {_size(watch.received_bytes)} so far, and a Get must keep up "
                f"{_size(int(watch.min_rate))} a second, with {watch.seconds:g} s of slack"
            )
        else:
            limit = f"the limit is {watch.seconds:g} s"
        if put:
            return SpectrumUnknownOutcome(
                f"{what} ({limit}); the connection was closed. Spectrum may have applied the request, "
                "so it is looked up before anything is sent again",
                service=service,
            )
        return SpectrumRetryableError(
            f"{what} ({limit}); the connection was closed and the read will be tried again", service=service
        )

    def _raise_for_transport(
        self, service: str, started: float, exc: requests.RequestException, *, put: bool
    ) -> NoReturn:
        """Translate a failure of the request itself (no usable reply) into the error taxonomy."""
        if isinstance(exc, requests.ConnectTimeout):
            raise SpectrumRetryableError(f"could not connect: {type(exc).__name__}", service=service) from None
        if isinstance(exc, requests.ReadTimeout):
            self._log(service, started, "timeout")
            if put:
                raise SpectrumUnknownOutcome("no reply within the read timeout", service=service) from None
            raise SpectrumRetryableError("no reply within the read timeout", service=service) from None
        if isinstance(exc, requests.ConnectionError):
            self._log(service, started, "connection error")
            if put and not _refused(exc):
                raise SpectrumUnknownOutcome("connection lost before the reply", service=service) from None
            raise SpectrumRetryableError(f"connection failed: {type(exc).__name__}", service=service) from None
        # e.g. a chunked body cut off while it was read: the request had been sent.
        self._log(service, started, "broken reply")
        if put:
            raise SpectrumUnknownOutcome(f"reply broken: {type(exc).__name__}", service=service) from None
        raise SpectrumRetryableError(f"reply broken: {type(exc).__name__}", service=service) from None

    def _raise_for_status(self, service: str, resp: requests.Response, *, put: bool) -> None:
        status = resp.status_code
        if status < 400 or (status == 500 and _is_xml(resp)) or (status == 400 and _is_json(resp)):
            return  # SOAP faults come with 500; REST batches report per-document errors with 400
        # At most 4 KB of the body, even from a streamed reply: enough to explain, never a flood.
        try:
            head = next(resp.iter_content(4096), b"")
        except requests.RequestException:
            head = b""  # the status says enough
        detail = self._redacted(reply_text(head) if isinstance(head, bytes) else str(head))
        resp.close()
        if status in (401, 403):
            raise SpectrumAuthorizationError(f"HTTP {status}: not authorized", service=service, detail=detail)
        if status == 503 or (status >= 500 and not put):
            raise SpectrumRetryableError(f"HTTP {status}", service=service, detail=detail)
        if status >= 500:
            raise SpectrumUnknownOutcome(f"HTTP {status} after the request was sent", service=service, detail=detail)
        raise SpectrumConfigurationError(f"HTTP {status} for {service}", service=service, detail=detail)

    def _auth_headers(self, company: str, *, soap: bool) -> dict[str, str]:
        """Bearer with Enhanced Authentication (every service, reference 1.6); Basic
        ``Company_Code:Authorization_ID`` on REST otherwise (SOAP carries the ID in its body)."""
        if self.config.auth_mode == "enhanced":
            return {"Authorization": f"Bearer {self._bearer()}"}
        if soap:
            return {}
        pair = f"{company or self.config.default_company}:{self.config.authorization_id}".encode()
        return {"Authorization": "Basic " + base64.b64encode(pair).decode("ascii")}

    def _bearer(self) -> str:
        with self._token_lock:
            now = datetime.now(UTC)
            if self._token and self._token[1] - TOKEN_MARGIN > now:
                return self._token[0]
            # Reference: 1.6 Enhanced Authentication, POST /connect/token (client credentials)
            resp = self._send("connect/token", "POST", "/connect/token", data=self._client_credentials(), auth=False)
            body = _json_object(resp, "connect/token")
            token = str(body.get("access_token") or "")
            if not token:
                raise SpectrumAuthorizationError(
                    "token endpoint answered without an access_token", service="connect/token"
                )
            register_secret(token, self.config.tenant)
            lifetime = int(body.get("expires_in") or 0)
            self._token = (token, now + timedelta(seconds=lifetime))
            return token

    def _client_credentials(self) -> dict[str, str]:
        if not (self.config.client_id and self._client_secret):
            raise SpectrumConfigurationError("Enhanced Authentication needs a client ID and secret")
        return {
            "client_id": self.config.client_id,
            "client_secret": self._client_secret,
            "scope": "spectrumapi",
            "grant_type": "client_credentials",
        }

    def _redacted(self, text: str) -> str:
        return redact(text, extra=[self.config.authorization_id, self._client_secret], tenant=self.config.tenant)

    def _log(self, service: str, started: float, outcome: str) -> None:
        logger.info(
            "spectrum call service=%s tenant=%s outcome=%s duration_ms=%.0f",
            service,
            self.config.tenant,
            outcome,
            (time.monotonic() - started) * 1000,
        )


# ---------------------------------------------------------------------- helpers

_REST_ROOTS = {
    "customer/invoice": "arInvoices",
    "purchaseOrders": "purchaseOrders",
    "vendor/invoice": "APInvoices",
    "purchaseOrder/PackingList": "purchaseOrdersPackingLists",
}


def _refused(exc: requests.ConnectionError) -> bool:
    """Connection refused / name not resolved: the request never left."""
    text = repr(exc)
    return any(s in text for s in ("Connection refused", "NewConnectionError", "Name or service not known"))


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.0f} KB"
    return f"{count / 1024 / 1024:.1f} MB"


def _is_xml(resp: requests.Response) -> bool:
    return "xml" in resp.headers.get("Content-Type", "")


def _is_json(resp: requests.Response) -> bool:
    return "json" in resp.headers.get("Content-Type", "")


def _fault_error(service: str, fault: SoapFault, detail: str = "") -> SpectrumError:
    if fault.is_client_fault:
        return SpectrumConfigurationError(f"SOAP fault: {fault.string}", service=service, detail=detail)
    return SpectrumRetryableError(f"SOAP fault: {fault.string}", service=service, detail=detail)


def _message(row: Mapping[str, str]) -> SpectrumMessage:
    # Put replies use lower-case error_code / desc / column (reference 1.4).
    return SpectrumMessage(row.get("error_code", "").upper(), row.get("desc", ""), row.get("column", ""))


def _failed(messages: list[SpectrumMessage]) -> bool:
    return any(m.code in ("I", "M") for m in messages)


def _version_named(messages: list[SpectrumMessage]) -> str:
    for m in messages:
        found = re.search(r"[Vv]ersion\D*(\d+(?:\.\d+)*)", m.message)
        if found:
            return found.group(1)
    return ""


def _guid_timed_out(messages: list[SpectrumMessage]) -> bool:
    return any(GUID_TIMEOUT_TEXT in m.message.lower() for m in messages)


def _rows_before_cut(content: bytes) -> Iterator[dict[str, str]]:
    try:
        yield from iter_rows([content])
    except ReplyError:
        return


def _json_object(resp: requests.Response, service: str) -> dict[str, Any]:
    try:
        body = resp.json()
    except ValueError:
        raise SpectrumBadReply("reply is not JSON", service=service) from None
    if not isinstance(body, dict):
        raise SpectrumBadReply("reply is not a JSON object", service=service)
    return body


def _json_list(resp: requests.Response, service: str) -> list[dict[str, Any]]:
    try:
        body = resp.json()
    except ValueError:
        raise SpectrumBadReply("reply is not JSON", service=service) from None
    if isinstance(body, dict):
        body = body.get("vendors", body.get("value", []))
    if not isinstance(body, list) or not all(isinstance(r, dict) for r in body):
        raise SpectrumBadReply("reply is not a list of vendors", service=service)
    return body


def _rest_results(resp: requests.Response, service: str) -> list[RestResult]:
    """Per-document results of a REST batch. The reply shape is not documented (reference 4.3);
    this reads the simulator's ``{"results": [{"status", "key", "messages": [...]}]}``."""
    try:
        body = resp.json()
    except ValueError:
        raise SpectrumUnknownOutcome(
            "reply is not JSON", service=service, detail=reply_text(resp.content)[:2000]
        ) from None
    items = body.get("results") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise SpectrumUnknownOutcome(
            "reply has no results list", service=service, detail=reply_text(resp.content)[:2000]
        )
    out: list[RestResult] = []
    for i, item in enumerate(items):
        messages = [
            SpectrumMessage(str(m.get("error_code", "")), str(m.get("desc", "")), str(m.get("column", "")))
            for m in item.get("messages", [])
        ]
        if any(m.code == "A" for m in messages):
            first = next(m for m in messages if m.code == "A")
            raise SpectrumAuthorizationError(first.message, service=service, column=first.column)
        out.append(RestResult(i, item.get("status") == "imported", str(item.get("key", "")), messages))
    return out


def _validate_document(layout: Layout, doc: Mapping[str, Any], detail_key: str) -> list[SpectrumMessage]:
    header = {k: v for k, v in doc.items() if k not in (detail_key, "Images")}
    problems = layouts.validate_fields(layout.fields, header)
    if detail_key:
        details = doc.get(detail_key) or []
        if not details:
            problems.append(SpectrumMessage("M", f"{detail_key} is missing, a document needs detail lines", detail_key))
        for line in details:
            flat = {k: v for k, v in line.items() if not isinstance(v, dict)}
            problems.extend(layouts.validate_fields(layout.detail, flat))
    return problems


def _doc_key(layout: Layout, doc: Mapping[str, Any]) -> str:
    return layouts.as_text(doc.get(layout.key[-1], "")) if layout.key else ""


def _parse_expiry(text: str) -> datetime:
    text = text.strip()
    for fmt in ("%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"):
        try:
            parsed = datetime.strptime(text.replace("Z", "+0000"), fmt)
        except ValueError:
            continue
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    raise SpectrumBadReply(f"secret rotation returned an unreadable expiry {text!r}", service="secretRotation")


R = TypeVar("R", bound=SpectrumRecord)


def _record(cls: type[R], **values: Any) -> R:
    """A frozen record built without its generated ``__init__``.

    That ``__init__`` costs one ``object.__setattr__`` per field, a third of the parse time of a
    100k-row poll; the records have no ``__post_init__`` (checked), so filling ``__dict__`` gives
    the very same object. Callers pass every field.
    """
    if hasattr(cls, "__post_init__"):
        return cls(**values)
    record = object.__new__(cls)
    record.__dict__.update(values)
    return record


def _decimal(text: str) -> Decimal | None:
    cleaned = text.replace(",", "").replace("$", "").strip()
    if not cleaned:
        return None
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        return None


def _customer(row: Mapping[str, str], company: str) -> Customer:
    g = row.get
    return _record(
        Customer,
        company_code=g("Company_Code", "") or company,
        customer_code=g("Customer_Code", ""),
        name=g("Name", ""),
        address_1=g("Address_1", ""),
        address_2=g("Address_2", ""),
        city=g("City", ""),
        state=g("State", ""),
        zip_code=g("Zip_Code", ""),
        first_name=g("First_Name", ""),
        last_name=g("Last_Name", ""),
        phone_number=g("Phone_Number", ""),
        email=g("Email1", ""),
        price_level_material=g("Price_Level_Material", ""),
        taxable_flag=g("Taxable_Flag", ""),
        status=g("Status", ""),
    )


def _vendor(row: Mapping[str, str], company: str) -> Vendor:
    g = row.get
    return _record(
        Vendor,
        company_code=g("Company_Code", "") or company,
        vendor_code=g("Vendor_Code", ""),
        name=g("Name", ""),
        address_1=g("Address_1", ""),
        address_2=g("Address_2", ""),
        city=g("City", ""),
        state=g("State", ""),
        zip_code=g("Zip_Code", ""),
        first_name=g("First_Name", ""),
        last_name=g("Last_Name", ""),
        phone_number=g("Phone_Number", ""),
        email=g("Email", ""),
        account_reference=g("Account_Reference", ""),
        payment_terms=g("Payment_Terms", ""),
        payment_term_days=_decimal(g("Payment_Term_Days", "")),
        discount_terms=g("Discount_Terms", ""),
        discount_term_days=_decimal(g("Discount_Term_Days", "")),
        discount_percent=_decimal(g("Discount_Percent", "")),
        vendor_type=g("Type", ""),
        status=g("Status", ""),
    )


def _job(row: Mapping[str, str], company: str, original_contract: Decimal | None) -> Job:
    g = row.get
    return _record(
        Job,
        company_code=g("Company_Code", "") or company,
        job_number=g("Job_Number", ""),
        job_description=g("Job_Description", ""),
        division=g("Division", ""),
        address_1=g("Address_1", ""),
        address_2=g("Address_2", ""),
        city=g("City", ""),
        state=g("State", ""),
        zip_code=g("Zip_Code", ""),
        project_manager=g("Project_Manager", ""),
        superintendent=g("Superintendent", ""),
        estimator=g("Estimator", ""),
        certified_flag=g("Certified_Flag", ""),
        customer_code=g("Customer_Code", ""),
        status_code=g("Status_Code", ""),
        work_state_tax_code=g("Work_State_Tax_Code", ""),
        contract_number=g("Contract_Number", ""),
        cost_center=g("Cost_Center", ""),
        original_contract=original_contract,
    )


def _phase(row: Mapping[str, str], company: str) -> Phase:
    g = row.get
    return _record(
        Phase,
        company_code=g("Company_Code", "") or company,
        job_number=g("Job_Number", ""),
        phase_code=g("Phase_Code", ""),
        cost_type=g("Cost_Type", ""),
        description=g("Description", ""),
        status_code=g("Status_Code", ""),
        unit_of_measure=g("Unit_of_Measure", ""),
        jtd_quantity=_decimal(g("JTD_Quantity", "")),
        jtd_hours=_decimal(g("JTD_Hours", "")),
        jtd_actual_dollars=_decimal(g("JTD_Actual_Dollars", "")),
        projected_quantity=_decimal(g("Projected_Quantity", "")),
        projected_hours=_decimal(g("Projected_Hours", "")),
        projected_dollars=_decimal(g("Projected_Dollars", "")),
        estimated_quantity=_decimal(g("Estimated_Quantity", "")),
        estimated_hours=_decimal(g("Estimated_Hours", "")),
        original_estimated_dollars=None,  # GetPhase returns the current estimate only
        current_estimated_dollars=_decimal(g("Current_Estimated_Dollars", "")),
        cost_center=g("Cost_Center", ""),
    )


def parse_customers(chunks: Iterable[bytes]) -> Iterator[Customer]:
    """The GetCustomers parser on its own (for the benchmark and tests): bytes in, records out."""
    for row in iter_rows(chunks):
        if not row.get("Error_Code"):
            yield _customer(row, row.get("Company_Code", ""))


__all__ = ["ConnectionTest", "RestResult", "SpectrumClient", "parse_customers"]
