"""The Spectrum Data Exchange client the engines use: one facade over the connector's parts.

- :mod:`~connectors.spectrum.transport` sends every request (auth, deadline, error translation);
- :mod:`~connectors.spectrum.gets` reads every row of a Get through the row cap;
- :mod:`~connectors.spectrum.readers` declares how each record type is read and builds the records;
- :mod:`~connectors.spectrum.puts` and :mod:`~connectors.spectrum.rest` write;
- :mod:`~connectors.spectrum.checks` tests the connection and probes the services.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import datetime
from typing import Any

import requests

from connectors.spectrum import layouts
from connectors.spectrum.checks import Checks, ConnectionTest
from connectors.spectrum.config import DataExchangeConfig
from connectors.spectrum.errors import PutResult, SpectrumMessage
from connectors.spectrum.gets import GET_ATTEMPTS, Gets
from connectors.spectrum.puts import Puts, new_batch_guid
from connectors.spectrum.readers import read_records
from connectors.spectrum.records import SpectrumRecord, Vendor
from connectors.spectrum.rest import Rest, RestResult
from connectors.spectrum.soap import DEFAULT_MAX_BYTES
from connectors.spectrum.transport import Transport


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
        self.transport = Transport(config, session)
        self.base_url = self.transport.base_url
        self.gets = Gets(self.transport, max_reply_bytes=max_reply_bytes, attempts=get_attempts, sleep=sleep)
        self.puts = Puts(self.transport, max_reply_bytes=max_reply_bytes)
        self.rest = Rest(self.transport)
        self._checks = Checks(self.gets, self.puts, self.rest)

    @property
    def cut_replies(self) -> int:
        """Get replies accepted although cut after a whole row (see :class:`Gets`)."""
        return self.gets.cut_replies

    def close(self) -> None:
        self.transport.close()

    def __enter__(self) -> SpectrumClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ checks

    def test_connection(self, company: str = "") -> ConnectionTest:
        """WSTestConnection, then whether the Authorization ID may read ``company`` (if given)."""
        return self._checks.test_connection(company)

    def check_services(self, names: Iterable[str], company: str = "") -> dict[str, bool]:
        """Is each service authorized on this Authorization ID (and company)? Nothing is written."""
        return self._checks.check_services(names, company or self.config.default_company)

    # ------------------------------------------------------------------ reads

    def iter_records(self, object_type: str, company: str) -> Iterator[SpectrumRecord]:
        return read_records(self.gets, object_type, company)

    def iter_rows(self, service: str, params: Mapping[str, str]) -> Iterator[dict[str, str]]:
        """Every row of a Get, partitioning around the row cap: the raw rows (tests, tools)."""
        return self.gets.read_all(layouts.layout_for(service), params)

    def iter_vendors_rest(self, company: str, **filters: str) -> Iterator[Vendor]:
        """REST Get Vendors (active vendors only), paged."""
        return self.rest.iter_vendors(company, **filters)

    # ------------------------------------------------------------------ writes

    def validate(self, service: str, fields: Mapping[str, str]) -> list[SpectrumMessage]:
        """Client-side check of one record against the layout: Spectrum's code / message / column."""
        return layouts.validate(layouts.layout_for(service), fields)

    def new_batch_guid(self) -> str:
        """One GUID per logical batch of Puts to the same service."""
        return new_batch_guid()

    def put(self, service: str, fields: Mapping[str, str], *, guid: str = "") -> PutResult:
        """One record, validated against the layout first; the G / S messages, or the error they mean."""
        return self.puts.put(service, fields, guid=guid)

    def post_customer_invoices(self, company: str, invoices: list[dict[str, Any]]) -> list[RestResult]:
        return self.rest.post_documents(layouts.CUSTOMER_INVOICE.name, company, invoices)

    def post_purchase_orders(self, company: str, orders: list[dict[str, Any]]) -> list[RestResult]:
        return self.rest.post_documents(layouts.PURCHASE_ORDERS.name, company, orders)

    def post_vendor_invoices(self, company: str, invoices: list[dict[str, Any]]) -> list[RestResult]:
        return self.rest.post_documents(layouts.VENDOR_INVOICE.name, company, invoices)

    def post_po_receipts(self, company: str, receipts: list[dict[str, Any]]) -> list[RestResult]:
        return self.rest.post_documents(layouts.PACKING_LIST_RECEIPT.name, company, receipts)

    def rotate_secret(self) -> tuple[str, datetime]:
        """Enhanced Authentication secret rotation: the new secret and its expiry, for the caller to
        store (encrypted). This client uses the new secret from now on."""
        return self.transport.rotate_secret()


__all__ = ["ConnectionTest", "RestResult", "SpectrumClient"]
