"""What the simulator's Put and REST services check against its store: master data and the
processing window (docs/spectrum.md#rules-per-service), plus the GL account kinds of
``rules.DATA_RULES``. The record-only rules are in ``connectors/spectrum/rules.py``, which the
server runs before any handler (docs/spectrum.md#rules-by-page).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from connectors.spectrum import layouts, rules
from connectors.spectrum.errors import SpectrumMessage
from connectors.spectrum.simulator.state import SimulatorState
from connectors.spectrum.simulator.store import Store

Msg = SpectrumMessage
Result = tuple[list[Msg], str]


@dataclass
class PutContext:
    store: Store
    state: SimulatorState
    company: str


# ---------------------------------------------------------------------------------------------
# helpers


def invalid(column: str, text: str) -> Msg:
    return Msg("I", text, column)


def good(column: str, value: str) -> Msg:
    return Msg("G", value, column)


def number(value: Any) -> Decimal | None:
    text = layouts.as_text(value).strip()
    if not text:
        return None
    try:
        return Decimal(text)
    except InvalidOperation:
        return None


def day(value: Any) -> date | None:
    return layouts.parse_date(layouts.as_text(value))


def to_row(store: Store, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Non-blank values of ``values`` that are columns of ``table``, converted to the column type."""
    spec = store.table(table)
    row: dict[str, Any] = {}
    for name, raw in values.items():
        text = layouts.as_text(raw).strip()
        if not text or name not in spec.column_names:
            continue
        kind = spec.column(name).kind
        if kind == "decimal":
            row[name] = number(text)
        elif kind == "date":
            row[name] = day(text)
        elif kind == "int":
            row[name] = int(Decimal(text))
        else:
            row[name] = text.upper() if name in _UPPER_KEYS else text
    return row


_UPPER_KEYS = {"Customer_Code", "Vendor_Code", "Job_Number", "Cost_Type", "Phase_Code"}


def exists(store: Store, table: str, **key: Any) -> dict[str, Any] | None:
    rows = store.find(table, **key)
    return rows[0] if rows else None


def v(rec: Mapping[str, Any], name: str) -> str:
    return layouts.as_text(rec.get(name, "")).strip()


def check_customer(ctx: PutContext, code: str, column: str = "Customer_Code") -> list[Msg]:
    if code and not exists(ctx.store, "CR_CUSTOMER_MASTER_MC", Company_Code=ctx.company, Customer_Code=code.upper()):
        return [invalid(column, f"{column} is invalid, customer {code} does not exist")]
    return []


def check_vendor(ctx: PutContext, code: str) -> list[Msg]:
    found = exists(ctx.store, "VN_VENDOR_MASTER_MC", Company_Code=ctx.company, Vendor_Code=code.upper())
    if not found:
        return [invalid("Vendor_Code", f"Vendor_Code is invalid, vendor {code} does not exist")]
    if found["Status"] == "N":
        return [invalid("Vendor_Code", f"Vendor_Code is invalid, vendor {code} is Not Used")]
    return []


def job_of(ctx: PutContext, job: str) -> dict[str, Any] | None:
    return exists(ctx.store, "JC_JOB_MASTER_MC", Company_Code=ctx.company, Job_Number=job.upper())


def check_job(ctx: PutContext, job: str, column: str = "Job_Number", *, open_only: bool = True) -> list[Msg]:
    if not job:
        return []
    found = job_of(ctx, job)
    if not found:
        return [invalid(column, f"{column} is invalid, job {job} does not exist")]
    if open_only and found["Status_Code"] == "C":
        return [invalid(column, f"{column} is invalid, job {job} is Complete")]
    return []


def check_tax(ctx: PutContext, code: str, column: str = "Sales_Tax_Code") -> list[Msg]:
    if code and not exists(ctx.store, "CR_SALES_TAX_MASTER_MC", Company_Code=ctx.company, Sales_Tax_Code=code.upper()):
        return [invalid(column, f"{column} is invalid, sales tax code {code} does not exist")]
    return []


def check_gl(ctx: PutContext, account: str, column: str) -> list[Msg]:
    if not account:
        return []
    if "-" in account:
        return [invalid(column, "GL Account does not match GL Mask")]  # no dashes (docs/spectrum.md#formats)
    found = exists(ctx.store, "GL_ACCOUNT_MASTER_MC", Company_Code=ctx.company, GL_Account=account)
    if not found or found["Status"] != "A":
        return [invalid(column, f"{column} is invalid, GL account {account} does not exist or is not active")]
    return []


def check_cost_type(ctx: PutContext, cost_type: str, column: str = "Cost_Type") -> list[Msg]:
    if cost_type and not exists(
        ctx.store, "JC_COST_TYPE_MASTER_MC", Company_Code=ctx.company, Cost_Type=cost_type.upper()
    ):
        return [invalid(column, f"{column} is invalid, cost type {cost_type} does not exist")]
    return []


def check_phase(ctx: PutContext, job: str, phase: str, cost_type: str) -> list[Msg]:
    if not (job and phase and cost_type):
        return []
    if not exists(
        ctx.store,
        "JC_PHASE_MASTER_MC",
        Company_Code=ctx.company,
        Job_Number=job.upper(),
        Phase_Code=phase.upper(),
        Cost_Type=cost_type.upper(),
    ):
        return [
            invalid("Phase_Code", f"Phase_Code is invalid, phase {phase} / {cost_type} does not exist on job {job}")
        ]
    return []


def check_ar_dates(ctx: PutContext, rec: Mapping[str, Any]) -> list[Msg]:
    low, high = ctx.state.ar_window()
    out = []
    for column in ("GL_Date", "Invoice_Date"):
        when = day(rec.get(column, ""))
        if when and not (low <= when <= high):
            out.append(invalid(column, f"{column} is invalid, date is outside the AR processing date range"))
    return out


def check_positive(rec: Mapping[str, Any], *columns: str) -> list[Msg]:
    out = []
    for column in columns:
        amount = number(rec.get(column, ""))
        if amount is not None and amount < 0:
            out.append(invalid(column, f"{column} is invalid, amount must be positive"))
    return out


def check_gl_kind(ctx: PutContext, account: str, column: str, *, direct: bool) -> list[Msg]:
    """A direct job-cost account where the page wants one, a non-direct one elsewhere (rules.DATA_RULES).
    An account that does not exist is ``check_gl``'s message, not this one."""
    found = exists(ctx.store, "GL_ACCOUNT_MASTER_MC", Company_Code=ctx.company, GL_Account=account) if account else None
    if found is None:
        return []
    is_direct = (found["Direct_Cost_Flag"] or "N").strip().upper() == "Y"
    if is_direct == direct:
        return []
    return [invalid(column, f"{column} is invalid, {rules.DIRECT if direct else rules.NOT_DIRECT}")]
