"""The web-service readers: how each record type is read through the SOAP Gets.

One :class:`ServiceQuery` per record type says which Get it reads, with which parameters, and how a
row becomes a typed record (connectors/spectrum/records.py); :func:`read_records` reads any of them.
The row builders are here too, shared with the REST Get Vendors and the parsing benchmark.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

from connectors.spectrum import layouts
from connectors.spectrum.errors import SpectrumConfigurationError
from connectors.spectrum.gets import Gets
from connectors.spectrum.layouts import Layout
from connectors.spectrum.records import Budget, CostType, Customer, Job, JobCost, Phase, SpectrumRecord, Vendor
from connectors.spectrum.soap import iter_rows

Row = Mapping[str, str]
# A row builder: the row, the company asked for, and what the query's ``context`` read first.
Builder = Callable[[Row, str, Any], SpectrumRecord]


@dataclass(frozen=True)
class ServiceQuery:
    """How one record type is read through the web services."""

    layout: Layout  # the Get service
    build: Builder
    params: Mapping[str, str] = field(default_factory=dict)  # fixed parameters besides pCompany_Code
    # Each value is asked for in turn: a blank status means Active + Inactive, so Complete is asked
    # for separately (docs/spectrum.md#field-conventions).
    statuses: tuple[str, ...] = ()
    context: Callable[[Gets, str], Any] | None = None  # read once before the rows
    distinct: str = ""  # one record per non-blank value of this column, in order of appearance


def read_records(gets: Gets, object_type: str, company: str) -> Iterator[SpectrumRecord]:
    """Every record of ``object_type`` in ``company``; unknown types fail at once, before any call."""
    try:
        query = QUERIES[object_type]
    except KeyError:
        raise SpectrumConfigurationError(f"the web services cannot read {object_type!r}; use the database") from None
    return _read(gets, query, company)


def _read(gets: Gets, query: ServiceQuery, company: str) -> Iterator[SpectrumRecord]:
    context = query.context(gets, company) if query.context else None
    seen: set[str] = set()
    for row in _rows(gets, query.layout, {"pCompany_Code": company, **query.params}, query.statuses):
        if query.distinct:
            value = row.get(query.distinct, "")
            if not value or value in seen:
                continue
            seen.add(value)
        yield query.build(row, company, context)


def _rows(gets: Gets, layout: Layout, params: Mapping[str, str], statuses: tuple[str, ...]) -> Iterator[Row]:
    if not statuses:
        yield from gets.read_all(layout, params)
    for status in statuses:
        yield from gets.read_all(layout, {**params, "pStatus_Code": status})


def _contracts(gets: Gets, company: str) -> dict[str, Decimal | None]:
    """Original_Contract by job number, which only GetJobMain returns (docs/spectrum.md#getjobmain)."""
    params = {"pCompany_Code": company}
    rows = _rows(gets, layouts.GET_JOB_MAIN, params, _ALL_STATUSES)
    return {row.get("Job_Number", ""): _decimal(row.get("Original_Contract", "")) for row in rows}


_ALL_STATUSES = ("", "C")

QUERIES: dict[str, ServiceQuery] = {
    # docs/spectrum.md#getcustomers; pStatus "ALL" so inactive customers show as changes, not deletions
    "customer": ServiceQuery(layouts.GET_CUSTOMERS, lambda r, c, _: _customer(r, c), {"pStatus": "ALL"}),
    # docs/spectrum.md#getvendors (SOAP): only when the connection chose it; the default is REST Get Vendors
    "vendor": ServiceQuery(layouts.GET_VENDORS, lambda r, c, _: _vendor(r, c)),
    # docs/spectrum.md#getjob, with Original_Contract from GetJobMain
    "job": ServiceQuery(
        layouts.GET_JOB,
        lambda r, c, contracts: _job(r, c, contracts.get(r.get("Job_Number", ""))),
        statuses=_ALL_STATUSES,
        context=_contracts,
    ),
    # docs/spectrum.md#getphase: phases, budgets and job costs are three views of the same rows
    "phase": ServiceQuery(layouts.GET_PHASE, lambda r, c, _: _phase(r, c), statuses=_ALL_STATUSES),
    "budget": ServiceQuery(layouts.GET_PHASE, lambda r, c, _: _budget(r, c), statuses=_ALL_STATUSES),
    "job_cost": ServiceQuery(layouts.GET_PHASE, lambda r, c, _: _job_cost(r, c), statuses=_ALL_STATUSES),
    # No Get service for the cost-type master (docs/spectrum.md#cost-types): the codes in use on
    # phases are what the web services can tell; descriptions come only from the database.
    "cost_type": ServiceQuery(
        layouts.GET_PHASE,
        lambda r, c, _: CostType(company_code=c, cost_type=r.get("Cost_Type", "")),
        statuses=_ALL_STATUSES,
        distinct="Cost_Type",
    ),
}


# ---------------------------------------------------------------------- row builders

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


def _party(row: Row, company: str) -> dict[str, str]:
    """The company, name, address and contact columns customers and vendors share."""
    g = row.get
    return {
        "company_code": g("Company_Code", "") or company,
        "name": g("Name", ""),
        "address_1": g("Address_1", ""),
        "address_2": g("Address_2", ""),
        "city": g("City", ""),
        "state": g("State", ""),
        "zip_code": g("Zip_Code", ""),
        "first_name": g("First_Name", ""),
        "last_name": g("Last_Name", ""),
        "phone_number": g("Phone_Number", ""),
    }


def _customer(row: Row, company: str) -> Customer:
    g = row.get
    return _record(
        Customer,
        **_party(row, company),
        customer_code=g("Customer_Code", ""),
        email=g("Email1", ""),
        price_level_material=g("Price_Level_Material", ""),
        taxable_flag=g("Taxable_Flag", ""),
        status=g("Status", ""),
    )


def _vendor(row: Row, company: str) -> Vendor:
    g = row.get
    return _record(
        Vendor,
        **_party(row, company),
        vendor_code=g("Vendor_Code", ""),
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


def _job(row: Row, company: str, original_contract: Decimal | None) -> Job:
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


def _phase(row: Row, company: str) -> Phase:
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


def _budget(row: Row, company: str) -> Budget:
    return Budget(
        company_code=company,
        job_number=row.get("Job_Number", ""),
        phase_code=row.get("Phase_Code", ""),
        cost_type=row.get("Cost_Type", ""),
        original_estimated_dollars=None,  # GetPhase returns the current estimate only
        current_estimated_dollars=_decimal(row.get("Current_Estimated_Dollars", "")),
        estimated_hours=_decimal(row.get("Estimated_Hours", "")),
        estimated_quantity=_decimal(row.get("Estimated_Quantity", "")),
    )


def _job_cost(row: Row, company: str) -> JobCost:
    return JobCost(
        company_code=company,
        job_number=row.get("Job_Number", ""),
        phase_code=row.get("Phase_Code", ""),
        cost_type=row.get("Cost_Type", ""),
        jtd_quantity=_decimal(row.get("JTD_Quantity", "")),
        jtd_hours=_decimal(row.get("JTD_Hours", "")),
        jtd_actual_dollars=_decimal(row.get("JTD_Actual_Dollars", "")),
        projected_dollars=_decimal(row.get("Projected_Dollars", "")),
    )


def parse_customers(chunks: Iterable[bytes]) -> Iterator[Customer]:
    """The GetCustomers parser on its own (for the benchmark and tests): bytes in, records out."""
    for row in iter_rows(chunks):
        if not any(k.lower() == "error_code" and v for k, v in row.items()):
            yield _customer(row, row.get("Company_Code", ""))
