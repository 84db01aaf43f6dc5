"""Get calls: every row of a Get, read through the row cap.

Rows stream in one by one while the reply arrives. A Get that hits Spectrum's row cap (the trailing
``W`` row, docs/spectrum.md#row-cap) is re-asked partitioned by the documented filters, with
SuperSelect's "everything but" for the rest (docs/spectrum.md#superselect), until every row has been
read; if no filter is left, the read fails rather than return a partial list that would look like
deletions.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterator, Mapping

import requests
import urllib3

from connectors.deadline import ReplyWatch, timed_body
from connectors.spectrum import rules
from connectors.spectrum.errors import (
    GUID_TIMEOUT_TEXT,
    SpectrumAuthorizationError,
    SpectrumBadReply,
    SpectrumMessage,
    SpectrumRejected,
    SpectrumRetryableError,
)
from connectors.spectrum.layouts import Layout
from connectors.spectrum.soap import HostileReply, SoapFault, UnreadableReply, build_envelope, iter_rows
from connectors.spectrum.transport import Transport, fault_error

logger = logging.getLogger("connectors.spectrum")

ROW_CAP_TEXT = "exceeds maximum"  # docs/spectrum.md#row-cap (third-party observation)
# "Error executing Web Service" under load: clients retry 3 times (docs/spectrum.md#soap-envelope)
GET_ATTEMPTS = 3
GET_BACKOFF_SECONDS = 0.4
CAP_BUFFER_ROWS = 1000  # a capped answer is ~500 rows; a longer answer streams straight through


class Capped(Exception):
    """A Get answered its row cap: the rows read (buffered, none yielded) and the W message."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        super().__init__("row cap")
        self.rows = rows


# Filters that partition each Get when its answer is capped: (parameter, return field giving the
# values). Only SuperSelect parameters qualify, because the rest of the rows is asked for with
# "everything but" (docs/spectrum.md#superselect); status, cost center and sort take one literal
# (docs/spectrum.md#field-conventions). Jobs and phases are first split by status (blank = Active +
# Inactive; Complete only when asked).
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


class Gets:
    """The Get calls of one connection, with their retries and the count of cut replies."""

    def __init__(
        self, transport: Transport, *, max_reply_bytes: int, attempts: int, sleep: Callable[[float], None]
    ) -> None:
        self.transport = transport
        self.max_reply_bytes = max_reply_bytes
        self.attempts = max(1, attempts)
        self.sleep = sleep
        # Get replies that ended in a cut after a whole row, accepted as the documented quirk. A
        # server dying mid-stream looks the same, so a reader of this count (an import deciding what
        # was deleted) must not treat such a read as complete.
        self.cut_replies = 0

    def read_all(
        self, layout: Layout, params: Mapping[str, str], dims: tuple[tuple[str, str], ...] | None = None, depth: int = 0
    ) -> Iterator[dict[str, str]]:
        dims = _PARTITIONS.get(layout.name, ()) if dims is None else dims
        try:
            yield from self.query(layout, params)
            return
        except Capped as capped:
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
                yield from self.read_all(layout, {**params, param: value}, usable[1:], depth + 1)
            if seen:
                # SuperSelect "everything but" (docs/spectrum.md#superselect): the rest, blanks included.
                rest = ",".join(f"#{v}" for v in [*excluded, *seen])
                yield from self.read_all(layout, {**params, param: rest}, usable, depth + 1)
            else:
                yield from self.read_all(layout, params, usable[1:], depth + 1)

    def query(self, layout: Layout, params: Mapping[str, str]) -> Iterator[dict[str, str]]:
        """One Get call, retried on transient failures before any row was handed out; raises
        :class:`Capped` (having yielded nothing) when the answer ends with the W row."""
        refuse_bad_selection(layout, params)
        for attempt in range(1, self.attempts + 1):
            buffer: list[dict[str, str]] = []
            streaming = False
            try:
                for row in self._get_once(layout, params):
                    code = error_fields(row)[0]
                    if code:
                        self._raise_for_get_error(layout.name, row)
                        if not streaming:
                            raise Capped(buffer)
                        raise SpectrumBadReply("row cap reached in a long answer", service=layout.name)
                    if not any(row.get(name) for name in ("Customer_Code", "Vendor_Code", "Job_Number")):
                        continue  # the one empty row of a consumed GUID (docs/spectrum.md#authorization-id-and-guid)
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
                if streaming or attempt >= self.attempts:
                    raise
                logger.warning("spectrum %s attempt %d failed; retrying", layout.name, attempt)
                self.sleep(GET_BACKOFF_SECONDS * attempt)

    def _get_once(self, layout: Layout, params: Mapping[str, str]) -> Iterator[dict[str, str]]:
        # A fresh GUID per Get call ("send empty GUID or a fresh uuid4 per call",
        # docs/spectrum.md#authorization-id-and-guid).
        elements = self.transport.elements(layout, params, str(uuid.uuid4()))
        # A Get reply may be big and healthy: it must keep a minimum pace rather than end by a fixed
        # time (config.py, connectors/deadline.py); the time our caller spends on rows does not count.
        config = self.transport.config
        watch = ReplyWatch(config.reply_deadline, min_rate=config.get_min_rate)
        resp = self.transport.send(
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
                raise self.transport.too_slow(layout.name, watch, put=False)

    def _parse_get(self, service: str, resp: requests.Response, watch: ReplyWatch) -> Iterator[dict[str, str]]:
        try:
            yield from iter_rows(timed_body(resp.raw, watch), max_bytes=self.max_reply_bytes)
        except (UnreadableReply, requests.RequestException, urllib3.exceptions.HTTPError) as exc:
            if watch.expired:
                raise self.transport.too_slow(service, watch, put=False) from None
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
            raise fault_error(service, exc) from None

    def _raise_for_get_error(self, service: str, row: Mapping[str, str]) -> None:
        """Error rows of a Get (docs/spectrum.md#replies-and-codes): A/E on the Authorization ID or
        company is an authorization problem; W is the row cap (returns); anything else is a rejection."""
        code, text, column = error_fields(row)
        if code == "W" or ROW_CAP_TEXT in text.lower():
            return
        if GUID_TIMEOUT_TEXT in text.lower():
            raise SpectrumRetryableError(text, service=service)
        if code == "A" or column in ("Authorization_ID", "pCompany_Code", "Company_Code"):
            raise SpectrumAuthorizationError(text, service=service, column=column)
        raise SpectrumRejected([SpectrumMessage(code, text, column)], service=service)


def error_fields(row: Mapping[str, str]) -> tuple[str, str, str]:
    """(code, text, column) of an error row, in either spelling Spectrum uses: the Gets'
    ``Error_Code`` / ``Error_Description`` / ``Error_Column`` or the Puts' lower-case ``error_code`` /
    ``desc`` / ``column`` (docs/spectrum.md#replies-and-codes). A data row answers ("", "", "")."""
    lowered = {str(k).lower(): v for k, v in row.items()}
    code = str(lowered.get("error_code") or "").strip()
    if not code:
        return "", "", ""
    text = lowered.get("error_description") or lowered.get("desc") or lowered.get("error_desc") or ""
    column = lowered.get("error_column") or lowered.get("column") or ""
    return code, str(text), str(column)


def refuse_bad_selection(layout: Layout, params: Mapping[str, str]) -> None:
    """The parameters by the Get and SuperSelect pages' rules, before sending (docs/spectrum.md#rules-by-page)."""
    problems = rules.selection_problems(layout, params)
    if problems:
        raise SpectrumRejected(problems, service=layout.name, client_side=True)
