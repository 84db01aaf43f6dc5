"""Spectrum Data Exchange service layouts, as data: one declaration per service.

Each declaration lists the elements in the documented (Excel column) order with Req / Type / Max and
the allowed values where the help page gives them. The client builds every envelope from these
(every declared element present, in order: docs/spectrum.md#soap-envelope) and validates a record before sending it;
the simulator serves its WSDLs from them and validates with the very same function, so an
accountant reads one kind of message whichever side found the problem (docs/spectrum.md#replies-and-codes).

Each declaration's ``reference`` names the section of ``docs/spectrum.md`` for its service, which gives
the help page. Where the facts are unsure (GetVendors over SOAP, GetPhaseEnhanced returns, the
packing-list receipt lengths) the declaration says so.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from connectors.spectrum.errors import SpectrumMessage

TEXT, NUMERIC, DATE = "Text", "Numeric", "Date"
YES_NO = ("Y", "N")


@dataclass(frozen=True)
class Field:
    """One element of a layout: name, Req, Type, Max and allowed values (blank is always allowed
    unless the element is required)."""

    name: str
    max_length: int
    required: bool = False
    kind: str = TEXT
    allowed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Layout:
    """A service: its WSDL / method name, family and elements.

    ``kind`` is "get" (parameters in, one ``response`` row per record out), "put" (one record in,
    ``error_code``/``desc``/``column`` out), "test" (WSTestConnection) or "rest" (a JSON document;
    ``fields`` is the header and ``detail`` the lines).
    """

    name: str
    kind: str
    fields: tuple[Field, ...]
    reference: str
    returns: tuple[str, ...] = ()
    detail: tuple[Field, ...] = ()
    key: tuple[str, ...] = ()  # natural key of what a Put writes (simulator counters, lookups)
    # The web method, where the help page names it other than the WSDL (``name``); "" = the same.
    method: str = ""

    @property
    def method_name(self) -> str:
        """The SOAP body's method element (the page's "Method:"); the request goes to ``/ws/<name>``."""
        return self.method or self.name

    @property
    def wrapper(self) -> str:
        """The lowerCamel element between ``returnData`` and the rows of a Get (docs/spectrum.md#soap-envelope)."""
        return self.name[:1].lower() + self.name[1:]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.fields)

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None


def T(name: str, max_length: int, required: bool = False, allowed: tuple[str, ...] = ()) -> Field:
    return Field(name, max_length, required, TEXT, allowed)


def N(name: str, max_length: int, required: bool = False) -> Field:
    return Field(name, max_length, required, NUMERIC)


def D(name: str, required: bool = False) -> Field:
    return Field(name, 10, required, DATE)


def YN(name: str, required: bool = False) -> Field:
    return Field(name, 1, required, TEXT, YES_NO)


def UDFS() -> tuple[Field, ...]:
    # "+" type: depends on the UDF definition in Spectrum, max 20 (docs/spectrum.md#field-conventions).
    return tuple(T(f"UDF{i}", 20) for i in range(1, 21))


# Authorization_ID and GUID lead every SOAP layout (docs/spectrum.md#authorization-id-and-guid); they
# are not in ``fields``.
AUTHORIZATION_ID = T("Authorization_ID", 20, required=True)
GUID = T("GUID", 36)

ERROR_RETURNS = ("Error_Code", "Error_Description", "Error_Column")

# ----------------------------------------------------------------------------------------------
# Get services (docs/spectrum.md#services)

_JOB_PARAMS = (
    T("pCompany_Code", 3),
    T("pDivision", 5),
    T("pStatus_Code", 1, allowed=("A", "I", "C")),
    T("pProject_Manager", 15),
    T("pSuperintendent", 15),
    T("pEstimator", 15),
    T("pCustomer_Code", 10),
    T("pCost_Center", 10),
)
_SORT_JOB = T("pSort_By", 1, allowed=("D", "P", "S", "E", "C"))
_PHASE_PARAMS = (
    T("pCompany_Code", 3),
    T("pCost_Type", 3),
    T("pJob_Number", 10),
    T("pStatus_Code", 1, allowed=("A", "I", "C")),
    T("pCost_Center", 10),
    T("pSort_By", 1, allowed=("C",)),
)
_PHASE_RETURNS = (
    "Company_Code",
    "Job_Number",
    "Phase_Code",
    "Cost_Type",
    "Description",
    "Status_Code",
    "Unit_of_Measure",
    "JTD_Quantity",
    "JTD_Hours",
    "JTD_Actual_Dollars",
    "Projected_Quantity",
    "Projected_Hours",
    "Projected_Dollars",
    "Estimated_Quantity",
    "Estimated_Hours",
    "Current_Estimated_Dollars",
    "Cost_Center",
)

WS_TEST_CONNECTION = Layout(
    "WSTestConnection",
    "test",
    (T("Version", 36, required=True),),
    reference="docs/spectrum.md#wstestconnection",
)

GET_CUSTOMERS = Layout(
    "GetCustomers",
    "get",
    (T("pCompany_Code", 3), T("pStatus", 3, allowed=("I", "ALL"))),
    reference="docs/spectrum.md#getcustomers",
    returns=(
        "Company_Code",
        "Customer_Code",
        "Name",
        "Address_1",
        "Address_2",
        "City",
        "State",
        "Zip_Code",
        "First_Name",
        "Last_Name",
        "Phone_Number",
        "Email1",
        "Price_Level_Material",
        "Taxable_Flag",
        "Status",
        *ERROR_RETURNS,
    ),
)

# SOAP GetVendors exists (docs/spectrum.md#getvendors) but its parameter list is unverified: we take the REST
# page's p-fields in that page's order (docs/spectrum.md#get-vendors-rest).
GET_VENDORS = Layout(
    "GetVendors",
    "get",
    (
        T("pCompany_Code", 3),
        T("pType", 6),
        T("pCity", 25),
        T("pState", 2),
        T("pName", 30),
        T("pCostCenter", 3),
    ),
    reference="docs/spectrum.md#getvendors",
    returns=(
        "Company_Code",
        "Vendor_Code",
        "Name",
        "Address_1",
        "Address_2",
        "City",
        "State",
        "Zip_Code",
        "First_Name",
        "Last_Name",
        "Phone_Number",
        "Email",
        "Account_Reference",
        "Payment_Terms",
        "Payment_Term_Days",
        "Discount_Terms",
        "Discount_Term_Days",
        "Discount_Percent",
        "Type",  # not in the page's return table; the reader needs it to partition by pType (assumption)
        "Status",  # idem: REST returns active vendors only, SOAP status is our assumption
        *ERROR_RETURNS,
    ),
)

GET_JOB = Layout(
    "GetJob",
    "get",
    (*_JOB_PARAMS, _SORT_JOB),
    reference="docs/spectrum.md#getjob",
    returns=(
        "Company_Code",
        "Job_Number",
        "Job_Description",
        "Division",
        "Address_1",
        "Address_2",
        "City",
        "State",
        "Zip_Code",
        "Project_Manager",
        "Superintendent",
        "Estimator",
        "Certified_Flag",
        "Customer_Code",
        "Status_Code",
        "Work_State_Tax_Code",
        "Contract_Number",
        "Cost_Center",
        *ERROR_RETURNS,
    ),
)

GET_JOB_MAIN = Layout(
    "GetJobMain",
    "get",
    (*_JOB_PARAMS, _SORT_JOB),
    reference="docs/spectrum.md#getjobmain",
    returns=(
        "Company_Code",
        "Job_Number",
        "Job_Description",
        "Division",
        "Address_1",
        "Address_2",
        "City",
        "State",
        "Zip_Code",
        "Phone",
        "Fax_Phone",
        "Job_Site_Phone",
        "Customer_Code",
        "Customer_Name",
        "Original_Contract",
        "Contract_Number",
        "Owner_Name",
        "WO_Site",
        "Comment",
        "Price_Method_Code",
        "Total_Units",
        "Unit_of_Measure",
        "Status_Code",
        "Latitude",
        "Longitude",
        "Legal_Desc",
        "Cost_Center",
        # placeholders the page lists before the error fields (docs/spectrum.md#getjobmain)
        "Field_1",
        "Field_2",
        "Field_3",
        "Field_4",
        "Field_5",
        *ERROR_RETURNS,
    ),
)

GET_JOB_UDF = Layout(
    "GetJobUDF",
    "get",
    _JOB_PARAMS,  # as GetJob without pSort_By
    reference="docs/spectrum.md#getjobudf",
    returns=("Company_Code", "Job_Number", *(f"UDF{i}" for i in range(1, 21)), *ERROR_RETURNS),
)

GET_PHASE = Layout(
    "GetPhase",
    "get",
    _PHASE_PARAMS,
    reference="docs/spectrum.md#getphase",
    returns=(*_PHASE_RETURNS, *ERROR_RETURNS),
)

# No public page: parameters as a working client sends them, returns GetPhase's plus the extra
# columns that client reads (docs/spectrum.md#getphaseenhanced). The full return list is unknown.
GET_PHASE_ENHANCED = Layout(
    "GetPhaseEnhanced",
    "get",
    _PHASE_PARAMS,
    reference="docs/spectrum.md#getphaseenhanced",
    returns=(
        *_PHASE_RETURNS,
        "Price_Method_Code",
        "Start_Date",
        "End_Date",
        "Complete_Date",
        "Comment",
        *ERROR_RETURNS,
    ),
)

# ----------------------------------------------------------------------------------------------
# Put services

_ADDRESS = (T("Address_1", 30), T("Address_2", 30), T("City", 25), T("State", 2), T("Zip_Code", 10))
_JOB_COMMON = (
    T("Job_Description", 25),
    N("Division", 5),
    *_ADDRESS,
    T("Phone", 14),
    T("Fax_Phone", 14),
    T("Job_Site_Phone", 14),
    T("Superintendent", 15),
    T("Estimator", 15),
    T("Project_Manager", 15),
    T("Customer_Code", 10),
    T("Contract_Number", 30),
    T("Job_Type", 10),
    T("Tax_Class_Code", 15),
)
_JOB_MIDDLE = (
    N("Total_Units", 9),
    T("Unit_of_Measure", 5),
    T("Certified_Flag", 1),
    T("Work_Comp_Code", 6),
    N("Wage_Rate_Level", 1),
)
_JOB_DATES = (
    D("Est_Start_Date"),
    D("Est_Complete_Date"),
    D("Start_Date"),
    D("Complete_Date"),
    T("Work_State_Tax_Code", 10),
    T("Work_County_Tax_Code", 10),
    T("Work_Local_Tax_Cod", 10),  # sic: the AddJob page spells it so (docs/spectrum.md#addjob)
    N("Original_Contract", 14),
    T("WO_Site", 10),
    N("Latitude", 11),
    N("Longitude", 11),
    YN("Track_Davis_Bacon"),
    T("Track_Prevailing_Wage", 1, allowed=("Y", "F", "N")),
    D("Create_Date"),
)
_JOB_TAIL = (
    T("Cost_Center", 10),
    T("Master_Job", 10),
    YN("Bill_From_Master"),
    T("Standard_Phase_Category", 10),
    T("Phase_Display_Code", 20),
    N("Major_Group_Start", 2),
    N("Major_Group_End", 2),
    N("Minor_Group_Start", 2),
    N("Minor_Group_End", 2),
    T("Status_Code", 1, allowed=("A", "I", "C")),
)
_PRICE_METHODS = ("F", "T", "C", "U")
# UpdateJob spells the third work tax code in full, unlike AddJob (docs/spectrum.md#updatejob).
_UPDATE_JOB_DATES = tuple(T("Work_Local_Tax_Code", 10) if f.name == "Work_Local_Tax_Cod" else f for f in _JOB_DATES)

ADD_JOB = Layout(
    "AddJob",
    "put",
    (
        T("Company_Code", 3, required=True),
        T("Job_Number", 10, required=True),
        *_JOB_COMMON,
        YN("Taxable_Flag", required=True),
        *_JOB_MIDDLE,
        T("Price_Method_Code", 1, required=True, allowed=_PRICE_METHODS),
        *_JOB_DATES,
        *UDFS(),
        *_JOB_TAIL,
    ),
    reference="docs/spectrum.md#addjob",
    key=("Company_Code", "Job_Number"),
)

UPDATE_JOB = Layout(
    "UpdateJob",
    "put",
    (
        T("Company_Code", 3, required=True),
        T("Job_Number", 10, required=True),
        *_JOB_COMMON,
        YN("Taxable_Flag"),
        *_JOB_MIDDLE,
        T("Price_Method_Code", 1, allowed=_PRICE_METHODS),
        *_UPDATE_JOB_DATES,
        *_JOB_TAIL,
        T("Owner_Name", 50),
        T("Comment", 125),
        YN("Reports_Calc_Override"),
        N("Entered_Percent_Complete", 5),
        N("Entered_Projected_Cost", 14),
        T("Legal_Desc", 350),
        T("Job_Oh_Batch_Code", 10),
        T("Routing_Code1", 10),
        N("Routing_Limit", 13),
        T("Routing_Code2", 10),
        T("PO_Ship_Name", 30),
        T("PO_Ship_Address1", 30),
        T("PO_Ship_Address2", 30),
        T("PO_Ship_City", 25),
        T("PO_Ship_State", 2),
        T("PO_Ship_Zip_Code", 10),
        T("PO_Ship_Country", 25),
        T("PO_Ship_Comment", 250),
        T("Earned_Calc_Type", 1, allowed=("P", "B", "C", "M")),
        N("Under_Billed", 12),
        N("Cost_Markup_Percent", 5),
        YN("Job_Pay_When_Paid"),
        N("Job_Auto_Release_Percent", 5),
        N("Job_Review_Percent", 5),
        YN("Auto_Ot_Flag"),
        T("Certified_Project_ID", 50),
        YN("Burden_Flag"),
        N("Pre_TC_Burden_Percent", 5),
        T("Burden_Phase", 20),
        T("Burden_Cost_Type", 3),
        T("PR_OH_Type_Code", 1, allowed=("N", "P", "A")),
        N("Payroll_OH_Percent", 5),
        N("PR_OH_Amount", 12),
        T("OH_Phase", 20),
        T("OH_Cost_Type", 3),
        YN("Lock_Revenue_Entry"),
        T("Certified_Week_Type", 1, allowed=("F", "W", "C")),
        YN("Override_By_Job"),
        N("Daily_OT_Start", 5),
        N("Weekly_OT_Start", 6),
        T("Saturday_OT", 1, allowed=("S", "O", "D")),
        T("Sunday_OT", 1, allowed=("S", "O", "D")),
    ),
    reference="docs/spectrum.md#updatejob",
    key=("Company_Code", "Job_Number"),
)

UPDATE_JOB_UDF = Layout(
    "UpdateJob_UDF",
    "put",
    (T("Company_Code", 3), T("Job_Number", 10, required=True), *UDFS()),
    reference="docs/spectrum.md#updatejob_udf",
    key=("Company_Code", "Job_Number"),
)

ADD_PHASE = Layout(
    "AddPhase",
    "put",
    (
        T("Company_Code", 3),
        T("Job_Number", 10, required=True),
        T("Phase_Code", 20, required=True),
        T("Description", 25),
        T("Cost_Type", 3, required=True),
        N("Original_Est_Quantity", 11),
        T("Unit_of_Measure", 3),
        N("Original_Est_Cost", 12),
        N("Original_Est_Hours", 10),
        T("Bid_Item_Number", 10),
        T("Alt_Phase_Code", 20),
        T("Work_Comp_Code", 6),
        T("Price_Method_Code", 1, required=True, allowed=(*_PRICE_METHODS, "J")),
        T("Phase_Cost_Center", 10),
        N("Current_Est_Hours", 10),
        N("Current_Est_Quantity", 11),
        N("Current_Est_Cost", 12),
        T("Status_Code", 1, allowed=("A", "I", "C")),
    ),
    reference="docs/spectrum.md#addphase",
    key=("Company_Code", "Job_Number", "Phase_Code", "Cost_Type"),
)

# The header fields AddARInvoice and the multi-line customer/invoice service share, in their
# documented order (docs/spectrum.md#addarinvoice); each service continues with fields of its own.
_AR_INVOICE_HEADER = (
    T("Company_Code", 3, required=True),
    D("GL_Date", required=True),
    T("Batch_Code", 10, required=True),
    T("Customer_Code", 10, required=True),
    T("Job_Number", 10),
    T("Invoice_Or_Transaction", 10, required=True),
    T("Transaction_Type", 1, required=True, allowed=("I", "C")),
    D("Invoice_Date", required=True),
    T("Terms_Code", 1),
    T("Salesperson_Code", 3),
    T("Sales_Tax_Code", 15),
)

ADD_AR_INVOICE = Layout(
    "AddARInvoice",
    "put",
    (
        *_AR_INVOICE_HEADER,
        YN("Taxable_Flag"),
        N("Retention_Percent", 6),
        YN("Print_Job_Address_Flag"),
        T("Remarks", 65),
        T("Customer_PO", 25),
        T("AR_GL_Account", 12),
        T("Detail_Description", 30),
        N("Line_Extension", 13, required=True),
        T("GL_Account", 12),
        N("Sales_Tax_Amount", 13),
        N("Retention_Amount", 13),
        T("VAT_Code", 10),
        N("Total_VAT_Amount", 12),
        T("Asset_Cost_Center", 10),
        T("Income_Cost_Center", 10),
    ),
    reference="docs/spectrum.md#addarinvoice",
    key=("Company_Code", "Invoice_Or_Transaction"),
)

UPDATE_SUBCONTRACT = Layout(
    "UpdateSubcontract",
    "put",
    (
        T("Company_Code", 3, required=True),
        T("Vendor_Code", 10, required=True),
        T("Subcontract_Number", 10, required=True),
        T("Job_Number", 10),  # required for a new subcontract (checked by Spectrum, not by layout)
        T("Default_Phase_Code", 20),
        T("Default_Cost_Type", 3),
        T("Status_Code", 1, allowed=("A", "I", "C")),
        T("Contract_Type", 15),
        T("Insurance_Cert_Flag", 1, allowed=("Y", "N", "A")),
        D("Sent_Date"),
        D("Date_Issued"),
        T("Contact_Person", 20),
        YN("Unit_Price_Flag"),
        T("Comment", 120),
        T("Routing_Code1", 10),
        N("Routing_Limit", 13),
        T("Routing_Code2", 10),
        N("GL_Account", 12),
        N("Retention_Percent", 5),
        N("Next_Payment_Number", 5),
        YN("Pay_Override"),
        T("Pay_Terms", 1, allowed=("A", "B")),
        N("Pay_Days", 3),
        YN("Disc_Override"),
        T("Disc_Terms", 1, allowed=("A", "B")),
        N("Disc_Days", 3),
        N("Disc_Perc", 6),
        YN("Pay_When_Paid"),
        N("Cost_Center_Override", 10),
    ),
    reference="docs/spectrum.md#updatesubcontract",
    key=("Company_Code", "Vendor_Code", "Subcontract_Number"),
)

UPDATE_SUBCONTRACT_PHASES = Layout(
    "UpdateSubcontractPhases",
    "put",
    (
        T("Company_Code", 3, required=True),
        T("Vendor_Code", 10, required=True),
        T("Subcontract_Number", 10, required=True),
        T("Phase_Code", 20),
        T("Cost_Type", 3),
        T("Bid_Item_Number", 10),
        T("Bill_Description", 25),
        T("Unit_Of_Measure", 3),
        YN("Retention_Flag"),
        N("Unit_Price", 12),
        N("Original_Contract_Quantity", 12),
        N("Original_Contract_Amount", 13),
    ),
    reference="docs/spectrum.md#updatesubcontractphases",
    key=("Company_Code", "Vendor_Code", "Subcontract_Number", "Phase_Code", "Cost_Type", "Bid_Item_Number"),
)

AR_CHANGE_ORDER = Layout(
    "ARChangeOrder",
    "put",
    (
        T("Company_Code", 3, required=True),
        T("Job_Number", 10, required=True),
        T("Customer_Code", 10, required=True),
        T("Change_Order_Number", 8),
        T("Description", 250),
        T("Status_Code", 2),
        D("Change_Order_Date"),
        D("Approved_Date"),
        N("Approved_Days", 4),
        N("Fee_Percent", 6),
        N("Fee_Amount", 14),
        T("Change_Request_Number", 8),
        N("CO_Billing_Group_Code", 2),
        N("CO_Billing_Item_Code", 10),
        T("Additional_Description", 40),
        N("Unit_Price", 11),
        N("Quantity", 11),
        N("Revenue", 14),
    ),
    reference="docs/spectrum.md#archangeorder",
    key=("Company_Code", "Job_Number", "Customer_Code", "Change_Order_Number"),
)

WORK_ORDER_HEADER = Layout(
    "WorkOrderHeader",
    "put",
    (
        T("Company_Code", 3),
        T("WO_Number", 10),
        T("WO_Reference_Code", 1, required=True, allowed=("S", "J")),
        T("WO_Job_Number", 10, required=True),
        T("WO_Job_Division", 5),
        T("Bill_Customer_Code", 10),
        T("Contract_Number", 10),
        T("Customer_PO_Number", 25),
        T("Customer_Job", 10),
        T("WO_Phone1", 14),
        T("WO_Phone2", 14),
        T("Bill_Contract", 20),
        T("Zone", 3),
        T("Priority_Code", 2),
        T("WO_Case_Type", 10),
        T("Price_Type", 1, allowed=("F", "T")),
        N("Total_Quote_Amount", 10),
        N("Projected_Hours", 8),
        T("Est_Arrival", 15),
        T("Dispatch_Status_Code", 1),
        T("Summary_Description", 250),
        D("Ordered_Date"),
        N("Time_Entered", 6),
        D("Requested_Date"),
        N("Estimated_Complete_Time", 6),
        D("Scheduled_Start_Date"),
        N("Scheduled_Start_Time", 6),
        D("Date_Assigned"),
        N("Time_Assigned", 6),
        D("Arrival_Date"),
        N("Arrival_Time", 6),
        D("Complete_Date"),
        N("Complete_Time", 6),
        T("Lead_Source", 15),
        T("Sales_Person", 3),
        T("Taken_By", 3),
        T("AR_Terms_Code", 1),
        T("Sales_Tax_Code", 15),
        YN("Taxable_Flag"),
        T("GL_Department", 5),
        T("Cost_Center", 10),
        T("Billto_Code", 4),
        N("Override_ERO_Markup", 6),
        N("Material_Price_Level", 1),
        N("Price_Level", 1),
        T("Markup_Code", 10),
    ),
    reference="docs/spectrum.md#workorderheader",
    key=("Company_Code", "WO_Number"),
)

UPDATE_SERVICE_CONTRACT = Layout(
    "UpdateServiceContract",
    "put",
    (
        T("Company_Code", 3),
        T("Site_ID", 10, required=True),
        T("Contract_Number", 10, required=True),
        YN("Create_New"),
        T("Description", 30),
        T("Contract_Type", 2),
        T("Salesman", 3),
        D("Begin_Date"),
        D("End_Date"),
        T("WO_Type", 5),
        N("Material_Level", 1),
        N("Labor_Level", 1),
        T("Markup_Code", 10),
        YN("Include_Notes"),
        YN("Include_Exceptions"),
        YN("Proposal_Flag"),
        D("Proposal_Date"),
        N("Proposal_Days_Honored", 3),
        T("Customer_Code", 10),
        N("Contract_Amount", 13),
        YN("Taxable_Flag"),
        T("Sales_Tax_Code", 15),
        D("Bill_Date_List1"),
        N("Number_Of_Bill_Periods", 3),
        T("Basis", 1, allowed=("B", "S", "V", "C", "O")),
        T("Billto_Code", 4),
        T("Cost_Center", 10),
    ),
    reference="docs/spectrum.md#updateservicecontract",
    key=("Company_Code", "Site_ID", "Contract_Number"),
)

UPDATE_CUSTOMER_UDF = Layout(
    "UpdateCustomer_UDF",
    "put",
    (T("Company_Code", 3), T("Customer_Code", 10, required=True), *UDFS()),
    reference="docs/spectrum.md#updatecustomer_udf",
    key=("Company_Code", "Customer_Code"),
)

# The UDF-only services of the records our exports write (docs/spectrum.md#udf-services): the record
# must exist; blank UDFs are left unchanged. Company_Code is "Req YES" on the phase and work-order pages.
UPDATE_PHASE_UDF = Layout(
    "UpdatePhase_UDF",
    "put",
    (
        T("Company_Code", 3, required=True),
        T("Job_Number", 10, required=True),
        T("Phase_Code", 20, required=True),
        T("Cost_Type", 3, required=True),
        *UDFS(),
    ),
    reference="docs/spectrum.md#updatephase_udf",
    key=("Company_Code", "Job_Number", "Phase_Code", "Cost_Type"),
)

# No help page for it was found in this check's page store; its key follows the other subcontract
# services (docs/spectrum.md#updatesubcontract_udf).
UPDATE_SUBCONTRACT_UDF = Layout(
    "UpdateSubcontract_UDF",
    "put",
    (
        T("Company_Code", 3),
        T("Vendor_Code", 10, required=True),
        T("Subcontract_Number", 10, required=True),
        *UDFS(),
    ),
    reference="docs/spectrum.md#updatesubcontract_udf",
    key=("Company_Code", "Vendor_Code", "Subcontract_Number"),
)

# The WSDL is spelled "UpdateWokOrderHeader_UDF.jws" on the help page (its method:
# UpdateWorkOrderHeader_UDF); the service is addressed by the WSDL's name (docs/spectrum.md#updatewokorderheader_udf).
UPDATE_WORK_ORDER_HEADER_UDF = Layout(
    "UpdateWokOrderHeader_UDF",
    "put",
    (T("Company_Code", 3, required=True), T("WO_Number", 10, required=True), *UDFS()),
    reference="docs/spectrum.md#updatewokorderheader_udf",
    key=("Company_Code", "WO_Number"),
    method="UpdateWorkOrderHeader_UDF",
)

UPDATE_SERVICE_CONTRACT_UDF = Layout(
    "UpdateServiceContract_UDF",
    "put",
    (T("Company_Code", 3), T("Site_ID", 10, required=True), T("Contract_Number", 10, required=True), *UDFS()),
    reference="docs/spectrum.md#updateservicecontract_udf",
    key=("Company_Code", "Site_ID", "Contract_Number"),
)

# ----------------------------------------------------------------------------------------------
# REST (JSON) services: header fields + detail fields

CUSTOMER_INVOICE = Layout(
    "customer/invoice",
    "rest",
    (
        *_AR_INVOICE_HEADER,
        N("Sales_Tax_Amount", 13),
        N("Retention_Percent", 6),
        YN("Print_Job_Address_Flag"),
        T("Remarks", 65),
        T("Customer_PO", 25),
        T("AR_GL_Account", 12),
        N("Retention_Amount", 13),
        T("VAT_Code", 10),
        N("Total_VAT_Amount", 12),
        T("Asset_Cost_Center", 10),
    ),
    detail=(
        N("Quantity", 12),
        T("Detail_Description", 30),
        T("Unit_Of_Measure", 3),
        N("Line_Extension", 13),
        T("GL_Account", 12),
        YN("Taxable_Flag"),
        T("Income_Cost_Center", 10),
        T("Message", 250),
    ),
    reference="docs/spectrum.md#customer-invoice-rest",
    key=("Company_Code", "Invoice_Or_Transaction"),
)

PURCHASE_ORDERS = Layout(
    "purchaseOrders",
    "rest",
    (
        T("Company_Code", 3, required=True),
        T("PO_Number", 10),
        T("Vendor_Code", 10, required=True),
        T("Warehouse_Code", 10),
        T("Job_Number", 10),
        T("WO_Number", 10),  # the page's sample spells these four so (docs/spectrum.md#purchase-orders-rest)
        T("Vat_Code", 10),
        T("Status_Flag", 1, allowed=("P", "O", "C")),
        YN("Create_Revision"),
        T("Cost_Center", 10),
        T("Remarks", 29),
        T("Special_Instructions", 29),
        T("Ship_To_Code", 1, allowed=("D", "J", "I")),
        T("Ship_Name", 30),
        T("Ship_Address_1", 30),
        T("Ship_Address_2", 30),
        T("Ship_City", 25),
        T("Ship_State", 2),
        T("Ship_Zip_Code", 10),
        T("Ship_Via", 15),
        T("Ship_Terms", 15),
        T("FOB", 15),
        T("Ordered_By", 20),
        T("Confirmed_By", 20),
        D("PO_Order_Date"),
        T("Batch_Code", 10),
        T("Terms_Code", 1, allowed=("A", "B")),
        N("Payment_Days", 3),
        T("Discount_From_Code", 1, allowed=("A", "B")),
        N("Discount_Days", 3),
        N("Terms_Percent", 6),
        T("Terms_Description", 20),
        YN("Resale_Flag"),
        T("Tax_Code", 15),
        T("Routing_Code", 10),
        D("PO_Delivery_Date"),
        T("PO_Method", 1, allowed=("1", "2")),
        T("PO_Type", 1, allowed=("U", "L")),
        T("Bank_Account_Code", 10),
        T("Card_Number", 20),
        T("Comment", 250),
    ),
    detail=(
        T("Detail_Entry_Type", 1, allowed=("D", "N", "M")),
        N("PO_Quantity", 12),
        T("Item_ID", 15),
        T("Item_Description", 35),
        T("Unit_Of_Measure", 3),
        N("Item_Price", 14),
        N("Item_Discount_Percent", 6),
        T("GL_Account", 12),
        T("Phase_Code", 20),
        T("Cost_Type", 3),
        T("Tax_Code", 15),
        D("Delivery_Date"),
        T("Message", 250),
        T("Warehouse", 10),
        # reserved: blank only (connectors/spectrum/rules.py, docs/spectrum.md#purchase-orders-rest)
        T("Equipment_Code", 10),
        T("Equipment_Category", 10),
        T("PM_Work_Order", 10),
        T("WO_Number", 10),
        T("System_ID", 8),
        T("Component_Number", 10),
        N("WO_Item_Price", 14),
        T("SC_Contract", 10),
        T("Cost_Center", 10),
    ),
    reference="docs/spectrum.md#purchase-orders-rest",
    key=("Company_Code", "PO_Number"),
)

VENDOR_INVOICE = Layout(
    "vendor/invoice",
    "rest",
    (
        T("Company_Code", 3, required=True),
        T("Vendor_Code", 10, required=True),
        T("Invoice_Number", 20, required=True),
        T("Invoice_Type_Code", 1, allowed=("I", "C")),
        T("Approval_Status", 1, allowed=("U", "A")),
        T("Routing_Code", 10),
        D("GL_Date"),
        D("Invoice_Date"),
        N("Invoice_Amount", 14),
        N("Sales_Tax_Amount", 12),
        T("VAT_Code", 10),
        N("Total_VAT_Amt", 13),
        T("Contract_Number", 10),
        N("Retention_Amount", 12),
        T("Batch_Code", 10),
        D("Payment_Due_Date"),
        D("Discount_Due_Date"),
        N("Discount_Amount", 12),
        T("Status", 1, allowed=("H", "O")),
        T("Payment_Status", 1, allowed=("U", "M", "C")),
        T("Remarks", 30),
    ),
    detail=(
        T("Item_Code", 15),
        T("Item_Description", 35),
        T("Unit_Of_Measure", 3),
        N("Quantity", 12),
        N("Amount", 14),
        T("Tax_Code", 15),
        T("Remark", 30),
    ),
    reference="docs/spectrum.md#vendor-invoice-rest",
    key=("Company_Code", "Vendor_Code", "Invoice_Number"),
)

# Packing List Quantity Receipt - Two-Step: REST POST /purchaseOrder/PackingList, body
# {"purchaseOrdersPackingLists": [...]}, one record per PO line received (help page in
# docs/spectrum.md#packing-list-receipt-rest). The page's lengths were not captured: PO_Number and
# Item_Code follow the PO batch page, Receipt_Number / PO_Line_Number are the 3-digit sequence and
# line numbers of Packing List Quantity Entry, Remarks 65 from the page's sample; Pack_List_Number 15
# is our assumption.
PACKING_LIST_RECEIPT = Layout(
    "purchaseOrder/PackingList",
    "rest",
    (
        T("Company_Code", 3),
        T("PO_Number", 10, required=True),
        T("Receipt_Number", 3),
        T("Pack_List_Number", 15),
        D("Receipt_Date", required=True),
        T("Remarks", 65),
        T("PO_Line_Number", 3, required=True),
        T("Item_Code", 15, required=True),
        N("Quantity_Received", 12, required=True),
    ),
    reference="docs/spectrum.md#packing-list-receipt-rest",
    key=("Company_Code", "PO_Number", "Receipt_Number", "PO_Line_Number"),
)

# Service Contract Visit with Equipment Task: REST POST /serviceContract/Visit, body
# {"serviceContractVisits": [...]}, each visit with its optional "Visit_Tasks"
# (docs/spectrum.md#service-contract-visit-rest). The page's field table was not captured: the names
# are its sample's; Site_ID 10 (the site pages), Equipment 8 and Task 15 (Add Work Order Site
# Equipment, Add Work Order Task), notes 1000 (the notes services); the other lengths are ours.
SERVICE_CONTRACT_VISIT = Layout(
    "serviceContract/Visit",
    "rest",
    (
        T("Company_Code", 3),
        T("Site_ID", 10, required=True),
        T("Contract_Number", 10, required=True),
        D("Visit_Date", required=True),
        T("Work_Summary", 250),
        N("Budget_Hours", 8),
        N("Budget_Cost", 13),
        T("Preupdate_Alert", 250),
        T("SC_Visit_Notes", 1000),
    ),
    detail=(
        T("Equipment", 8),
        T("Task", 15),
        N("Task_Unit_Price", 13),
        N("Quantity", 3),
        T("SC_Equip_Task_Notes", 1000),
    ),
    reference="docs/spectrum.md#service-contract-visit-rest",
    # A visit with the same header fields is the same visit (more equipment added to it).
    key=("Company_Code", "Site_ID", "Contract_Number", "Visit_Date", "Work_Summary", "Budget_Hours", "Budget_Cost"),
)

# REST Get Vendors' parameters (docs/spectrum.md#get-vendors-rest), sent as query parameters; the
# credentials travel in the Authorization header, the company in the path.
GET_VENDORS_REST_PARAMS = (
    T("Authorization_ID", 20),
    GUID,
    T("pCompany_Code", 3),
    T("pType", 6),
    T("pCity", 25),
    T("pState", 2),
    T("pName", 30),
    T("pCostCenter", 3),
)

SOAP_SERVICES: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        WS_TEST_CONNECTION,
        GET_CUSTOMERS,
        GET_VENDORS,
        GET_JOB,
        GET_JOB_MAIN,
        GET_JOB_UDF,
        GET_PHASE,
        GET_PHASE_ENHANCED,
        ADD_JOB,
        UPDATE_JOB,
        UPDATE_JOB_UDF,
        ADD_PHASE,
        ADD_AR_INVOICE,
        UPDATE_SUBCONTRACT,
        UPDATE_SUBCONTRACT_PHASES,
        AR_CHANGE_ORDER,
        WORK_ORDER_HEADER,
        UPDATE_SERVICE_CONTRACT,
        UPDATE_CUSTOMER_UDF,
        UPDATE_PHASE_UDF,
        UPDATE_SUBCONTRACT_UDF,
        UPDATE_WORK_ORDER_HEADER_UDF,
        UPDATE_SERVICE_CONTRACT_UDF,
    )
}
REST_SERVICES: dict[str, Layout] = {
    layout.name: layout
    for layout in (CUSTOMER_INVOICE, PURCHASE_ORDERS, VENDOR_INVOICE, PACKING_LIST_RECEIPT, SERVICE_CONTRACT_VISIT)
}


def soap_service(name: str) -> Layout | None:
    """The SOAP layout addressed as ``name``: its WSDL name, or its method where the two differ."""
    found = SOAP_SERVICES.get(name)
    if found is None:
        found = next((layout for layout in SOAP_SERVICES.values() if layout.method == name), None)
    return found


def layout_for(service: str) -> Layout:
    try:
        return SOAP_SERVICES[service]
    except KeyError:
        try:
            return REST_SERVICES[service]
        except KeyError:
            raise KeyError(f"unknown Spectrum service {service!r}") from None


# ----------------------------------------------------------------------------------------------
# Validation: the same messages on both sides (codes I / M: docs/spectrum.md#replies-and-codes;
# formats: docs/spectrum.md#formats)

_NUMBER = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")
_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")


def msg_missing(name: str) -> SpectrumMessage:
    return SpectrumMessage("M", f"{name} is missing, a value must be supplied", name)


def msg_mask(name: str) -> SpectrumMessage:
    # Wording of the documented example (docs/spectrum.md#replies-and-codes: "... is invalid, value does not match
    # specified field mask").
    return SpectrumMessage("I", f"{name} is invalid, value does not match specified field mask", name)


def msg_too_long(name: str, max_length: int) -> SpectrumMessage:
    return SpectrumMessage("I", f"{name} is invalid, value exceeds maximum length of {max_length}", name)


def msg_unknown(name: str) -> SpectrumMessage:
    return SpectrumMessage("I", f"{name} is not an element of this web service", name)


def parse_date(value: str) -> date | None:
    """MM/DD/CCYY (M/D/YYYY accepted, as Gets return it) → date, or None if not a real date."""
    m = _DATE.match(value.strip())
    if not m:
        return None
    month, day, year = (int(g) for g in m.groups())
    try:
        return date(year, month, day)
    except ValueError:
        return None


def check_field(f: Field, value: str) -> list[SpectrumMessage]:
    value = value.strip()
    if not value:
        return [msg_missing(f.name)] if f.required else []
    if len(value) > f.max_length:
        return [msg_too_long(f.name, f.max_length)]
    if f.kind == NUMERIC and not _NUMBER.match(value):
        return [msg_mask(f.name)]
    if f.kind == DATE and parse_date(value) is None:
        return [msg_mask(f.name)]
    if f.allowed and value.upper() not in f.allowed:
        return [msg_mask(f.name)]
    return []


def validate_fields(fields: Iterable[Field], values: Mapping[str, object]) -> list[SpectrumMessage]:
    """Every problem of one record, in layout order, then unknown elements."""
    declared = list(fields)
    known = {f.name for f in declared}
    messages: list[SpectrumMessage] = []
    for f in declared:
        messages.extend(check_field(f, as_text(values.get(f.name, ""))))
    messages.extend(msg_unknown(name) for name in values if name not in known)
    return messages


def validate(layout: Layout, values: Mapping[str, object]) -> list[SpectrumMessage]:
    return validate_fields(layout.fields, values)


def as_text(value: object) -> str:
    """JSON bodies carry numbers or "" for numeric fields (docs/spectrum.md#customer-invoice-rest)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return repr(value)
    return str(value)
