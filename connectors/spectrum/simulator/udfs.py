"""The simulator's UDF-only Put services of the records our exports write (docs/spectrum.md#udf-services).

Each page says the same: the record must exist in the company, only the UDFs given are added or
updated, a blank UDF is left unchanged and nothing is deleted. The UDFs are kept one row per record
in a table of their own (names chosen, connectors/spectrum/simulator/store.py).

This module builds on the store and the layouts only, so :mod:`connectors.spectrum.simulator.puts`
can register these services without an import cycle.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from connectors.spectrum import layouts
from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.simulator import writes
from connectors.spectrum.simulator.store import Store

Result = tuple[list[SpectrumMessage], str]
UDF_NAMES = tuple(f"UDF{i}" for i in range(1, 21))
_UPPER = {"Vendor_Code", "Job_Number", "Phase_Code", "Cost_Type"}


class Context(Protocol):
    """What a Put handler is given (``puts.PutContext``)."""

    store: Store
    company: str


@dataclass(frozen=True)
class UdfService:
    """One UDF service: the record it writes the UDFs of, and where."""

    record_table: str  # the record that must exist
    udf_table: str  # where its UDFs are kept
    key: tuple[str, ...]  # the layout's key columns after Company_Code
    what: str  # the record, in a message ("subcontract")

    def __call__(self, ctx: Context, rec: Mapping[str, Any]) -> Result:
        key = {"Company_Code": ctx.company, **{name: _value(rec, name) for name in self.key}}
        if ctx.store.get(self.record_table, key) is None:
            shown = " / ".join(key[name] for name in self.key)
            column = self.key[-1]
            return [SpectrumMessage("I", f"{column} is invalid, {self.what} {shown} does not exist", column)], ""
        udfs = {name: _value(rec, name) for name in UDF_NAMES if _value(rec, name)}
        if udfs:  # blank UDFs are left alone; nothing is deleted (docs/spectrum.md#formats)
            writes.upsert(ctx.store, self.udf_table, {**key, **udfs})
        return [SpectrumMessage("G", key[self.key[-1]], self.key[-1])], "|".join(key.values())


def _value(rec: Mapping[str, Any], name: str) -> str:
    text = layouts.as_text(rec.get(name, "")).strip()
    return text.upper() if name in _UPPER else text


PUTS: dict[str, Callable[[Context, Mapping[str, Any]], Result]] = {
    # docs/spectrum.md#updatephase_udf: the job, phase and cost type must exist
    "UpdatePhase_UDF": UdfService(
        "JC_PHASE_MASTER_MC", "JC_PHASE_UDF_MC", ("Job_Number", "Phase_Code", "Cost_Type"), "phase"
    ),
    # docs/spectrum.md#updatesubcontract_udf
    "UpdateSubcontract_UDF": UdfService(
        "VN_SUBCONTRACT_MC", "VN_SUBCONTRACT_UDF_MC", ("Vendor_Code", "Subcontract_Number"), "subcontract"
    ),
    # docs/spectrum.md#updatewokorderheader_udf: the work order must exist
    "UpdateWokOrderHeader_UDF": UdfService("WO_HEADER_MC", "WO_HEADER_UDF_MC", ("WO_Number",), "work order"),
    # docs/spectrum.md#updateservicecontract_udf: the site + contract must exist, any status
    "UpdateServiceContract_UDF": UdfService(
        "SC_CONTRACT_MC", "SC_CONTRACT_UDF_MC", ("Site_ID", "Contract_Number"), "service contract"
    ),
}
