"""The one Spectrum-shaped database behind both simulators (web services and Info-Link / ODBC).

Spectrum keeps its data in Microsoft SQL Server; every PRO-IV "file" is a table whose multi-company
base table ends in ``_MC`` and has a single-company view without the suffix (docs/spectrum.md#access-model,
docs/spectrum.md#tables-read-by-imports).
This module declares those tables once (:data:`TABLES`), generates their DDL for SQLite (``make run``),
PostgreSQL (tests, benchmarks) and SQL Server (documentation / a real lab), and gives the simulators
a tiny data-access API:

    store = Store.open("sqlite:///var/spectrum.sqlite3")      # or "postgresql://postgres@127.0.0.1/x"
    store.create_schema()
    store.insert("CR_CUSTOMER_MASTER_MC", {"Company_Code": "DC1", "Customer_Code": "C1001", ...})
    store.update("CR_CUSTOMER_MASTER_MC", {"Company_Code": "DC1", "Customer_Code": "C1001"}, {"Name": "X"})
    store.delete("GL_DEPARTMENT_MASTER_MC", {"Company_Code": "DC1", "Department": "30"})
    rows = store.query("SELECT Name FROM CR_CUSTOMER_MASTER_MC WHERE Company_Code = ?", ["DC1"])

Conventions copied from Spectrum (docs/spectrum.md#access-model):

- Key columns are ``varchar`` and **padded**: ``Job_Number`` varchar(10) right-justified
  (``"      1001"``), ``Customer_Code`` / ``Vendor_Code`` varchar(10) and ``Phase_Code`` varchar(20) and
  ``Cost_Type`` varchar(3) blank-filled on the right (Trimble: "may be left or right justified"; VN.CODE
  is "right-filled blank"). :meth:`Store.insert`, :meth:`Store.update`, :meth:`Store.delete` and
  :meth:`Store.get` pad these columns for you wherever they appear (:data:`PADDED_COLUMNS`), so callers
  pass the plain codes; raw SQL through :meth:`Store.query` sees the padded values, as an ODBC reader would.
- Money, rates and quantities are ``decimal``; dates ``date``; NULL where Spectrum leaves a value unset.
- Text columns of the store are unquoted identifiers, so PostgreSQL folds them to lower case;
  :meth:`Store.query` hands rows back with Spectrum's spelling (``Customer_Code``) on both engines and
  the same Python types (``Decimal``, ``date``) on both engines.

Two namings (docs/spectrum.md#info-link-schema): ``"ours"`` (the default) creates every table under the
name the reader reads first; ``"public"`` creates the tables public schema listings of hosted Spectrum
name differently under those names (:data:`PUBLIC_NAMES`, e.g. ``GL_MASTER_MC``), so a test can show
schema discovery finding them. Choose it with ``Store.open(url, naming="public")`` or the environment
variable ``SPECTRUM_SIM_NAMING=public``; the helpers below take our names either way
(``store.insert("GL_ACCOUNT_MASTER_MC", ...)`` writes into ``GL_MASTER_MC``), raw SQL must use the
store's own (``store.table(name).name``).

Placeholders are ``?`` on both engines (psycopg's ``%s`` is produced here), so a statement written for
the simulator is the statement an ODBC reader sends.

Where Spectrum's real table or column name is not public (docs/spectrum.md#access-model) the name is
chosen to follow the documented conventions and the Data Exchange field names, and the table's
``note`` says so. Nothing here imports Django.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import unquote, urlparse

# ---------------------------------------------------------------------------------------------------
# Declarations


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "varchar", "decimal", "date", "datetime", "int"
    size: int = 0  # varchar length or decimal precision
    scale: int = 0  # decimal scale

    def ddl_type(self, dialect: str) -> str:
        if self.kind == "varchar":
            return f"varchar({self.size})"
        if self.kind == "decimal":
            return f"decimal({self.size},{self.scale})"
        if self.kind == "int":
            return "integer" if dialect != "mssql" else "int"
        if self.kind == "date":
            return "date"
        return {"postgresql": "timestamp", "sqlite": "datetime", "mssql": "datetime"}[dialect]


@dataclass(frozen=True)
class Table:
    name: str
    key: tuple[str, ...]
    columns: tuple[Column, ...]
    note: str = ""

    @property
    def view_name(self) -> str:
        return self.name[: -len("_MC")] if self.name.endswith("_MC") else ""

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.name} has no column {name}")

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)


def V(name: str, size: int) -> Column:
    return Column(name, "varchar", size)


def M(name: str, precision: int = 14, scale: int = 2) -> Column:
    return Column(name, "decimal", precision, scale)


def D(name: str) -> Column:
    return Column(name, "date")


def DT(name: str) -> Column:
    return Column(name, "datetime")


def I(name: str) -> Column:  # noqa: E743 - one letter like its siblings
    return Column(name, "int")


CO = V("Company_Code", 3)

# Padding of key columns, by column name, wherever they appear (docs/spectrum.md#access-model): (width, justify).
# "right" = right-justified (left-padded with blanks), "left" = blank-filled on the right.
PADDED_COLUMNS: dict[str, tuple[int, str]] = {
    "Company_Code": (3, "left"),
    "Customer_Code": (10, "left"),
    "Vendor_Code": (10, "left"),
    "Job_Number": (10, "right"),
    "Phase_Code": (20, "left"),
    "Cost_Type": (3, "left"),
}


def _udfs() -> tuple[Column, ...]:
    return tuple(V(f"UDF{n}", 20) for n in range(1, 21))


TABLES: tuple[Table, ...] = (
    # --- AR ------------------------------------------------------------------------------------------
    Table(
        "CR_CUSTOMER_MASTER_MC",
        ("Company_Code", "Customer_Code"),
        (
            CO,
            V("Customer_Code", 10),
            V("Name", 30),
            V("Alpha_Sort", 8),
            V("Type", 10),
            V("Address_1", 30),
            V("Address_2", 30),
            V("City", 25),
            V("State", 2),
            V("Zip_Code", 10),
            V("Phone", 14),
            V("Fax_Phone", 14),
            V("Contact_First_Name", 20),
            V("Contact_Last_Name", 30),
            V("Contact_Phone", 14),
            V("Customer_Email", 80),
            V("Salesperson", 3),
            V("Terms_Code", 1),
            V("Sales_Tax_Code", 15),
            V("Taxable_Flag", 1),  # Y / N / blank = "No Default"
            V("Price_Level_Material", 1),
            M("Credit_Limit"),
            M("Standard_Retention_Percent", 7, 4),
            V("Status", 1),  # A / I / N (Not Used)
            D("Date_Created"),
        ),
        note="CR.MSTR. Spectrum keeps contacts in a Contact Master; the primary contact GetCustomers "
        "returns is flattened into Contact_* columns here (names chosen).",
    ),
    Table(
        "CR_CUSTOMER_UDF_MC",
        ("Company_Code", "Customer_Code"),
        (CO, V("Customer_Code", 10), *_udfs()),
        note="Customer UDFs (PRO-IV CR.U*); table name chosen.",
    ),
    Table(
        "CR_SALES_TAX_MASTER_MC",
        ("Company_Code", "Sales_Tax_Code"),
        (
            CO,
            V("Sales_Tax_Code", 15),
            V("Description", 20),
            V("GL_Account", 12),
            V("Freight_Tax_Flag", 1),
            M("Sales_Tax_Percent", 7, 4),
            V("Status", 1),
        ),
        note="AR sales tax codes (Update_AR_Sales_Tax fields, no Get service); table name chosen.",
    ),
    Table(
        "CR_SALES_TAX_RATE_HISTORY_MC",
        ("Company_Code", "Sales_Tax_Code", "Effective_Date"),
        (CO, V("Sales_Tax_Code", 15), D("Effective_Date"), M("Sales_Tax_Percent", 7, 4), V("Comments", 40)),
        note="Rate history the tax services append to (Put services only); table name chosen.",
    ),
    Table(
        "CR_PAY_ADJUST_HISTORY_MC",
        ("Company_Code", "Customer_Code", "Invoice_Number", "Reference_Number", "Sequence_Number"),
        (
            CO,
            V("Customer_Code", 10),
            V("Invoice_Number", 10),
            V("Reference_Number", 10),  # check / deposit number (AddCash_Receipts)
            I("Sequence_Number"),
            V("Transaction_Type", 1),  # P payment, A adjustment
            D("Reference_Date"),
            M("Payment_Amount"),
            M("Discount_Taken"),
            V("Job_Number", 10),
            V("Batch_Code", 10),
            V("Remark", 100),
        ),
        note="CR.PHIST payment / adjustment history (documented name); columns follow AddCash_Receipts.",
    ),
    Table(
        "CR_INVOICE_HEADER_MC",
        ("Company_Code", "Invoice_Or_Transaction"),
        (
            CO,
            V("Invoice_Or_Transaction", 10),
            V("Customer_Code", 10),
            V("Job_Number", 10),
            V("Transaction_Type", 1),
            D("Invoice_Date"),
            D("GL_Date"),
            V("Batch_Code", 10),
            V("Terms_Code", 1),
            V("Salesperson_Code", 3),
            V("Sales_Tax_Code", 15),
            V("Taxable_Flag", 1),
            M("Retention_Percent", 6, 2),
            V("Remarks", 65),
            V("Customer_PO", 25),
            V("AR_GL_Account", 12),
            M("Invoice_Extension", 13, 2),
            M("Sales_Tax_Amount", 13, 2),
            M("Retention_Amount", 13, 2),
            V("Posted_Flag", 1),  # N = still in Customer Invoice Entry (DX Puts land unposted)
        ),
        note="AR invoice header (integrator-documented name); columns follow AddARInvoice.",
    ),
    Table(
        "CR_INVOICE_DETAIL_MC",
        ("Company_Code", "Invoice_Or_Transaction", "Line_Number"),
        (
            CO,
            V("Invoice_Or_Transaction", 10),
            I("Line_Number"),
            V("Detail_Description", 30),
            M("Quantity", 12, 2),
            V("Unit_Of_Measure", 3),
            M("Line_Extension", 13, 2),
            V("GL_Account", 12),
            V("Taxable_Flag", 1),
            V("Income_Cost_Center", 10),
            V("Message", 250),
        ),
        note="AR invoice lines (integrator-documented name); columns follow Multi-Line Customer Invoice.",
    ),
    Table(
        "CR_CONTRACT_MASTER_MC",
        ("Company_Code", "Job_Number"),
        (
            CO,
            V("Job_Number", 10),
            V("Customer_Code", 10),
            V("Contract_Number", 30),
            V("Description", 30),
            M("Original_Contract_Amount"),
            M("Approved_Change_Orders"),
            M("Revised_Contract_Amount"),
            M("Billed_To_Date"),
            M("Retention_Percent", 6, 2),
            V("Status", 1),
        ),
        note="CR.CNTR prime (owner) contracts, one per job (documented name; columns chosen).",
    ),
    Table(
        "CR_CHANGE_ORDER_HEADER_MC",
        ("Company_Code", "Job_Number", "Customer_Code", "Change_Order_Number"),
        (
            CO,
            V("Job_Number", 10),
            V("Customer_Code", 10),
            V("Change_Order_Number", 8),
            V("Description", 250),
            V("Status_Code", 2),
            D("Change_Order_Date"),
            D("Approved_Date"),
            M("Approved_Days", 4, 0),
            M("Fee_Percent", 6, 2),
            M("Fee_Amount"),
        ),
        note="CR.COEH executed change orders (documented name); columns follow ARChangeOrder.",
    ),
    Table(
        "CR_CHANGE_ORDER_DETAIL_MC",
        ("Company_Code", "Job_Number", "Customer_Code", "Change_Order_Number", "Line_Number"),
        (
            CO,
            V("Job_Number", 10),
            V("Customer_Code", 10),
            V("Change_Order_Number", 8),
            I("Line_Number"),
            M("CO_Billing_Group_Code", 2, 0),
            M("CO_Billing_Item_Code", 10, 0),
            V("Additional_Description", 40),
            M("Unit_Price", 11, 2),
            M("Quantity", 12, 2),
            M("Revenue"),
        ),
        note="Change order lines; table name chosen (ARChangeOrder detail fields).",
    ),
    # --- AP ------------------------------------------------------------------------------------------
    Table(
        "VN_VENDOR_MASTER_MC",
        ("Company_Code", "Vendor_Code"),
        (
            CO,
            V("Vendor_Code", 10),
            V("Name", 30),
            V("Alpha_Sort", 6),
            V("Type", 6),
            V("Address_1", 30),
            V("Address_2", 30),
            V("City", 30),
            V("State", 2),
            V("Zip_Code", 10),
            V("Phone", 14),
            V("Fax_Phone", 14),
            V("Contact_First_Name", 20),
            V("Contact_Last_Name", 30),
            V("Vendor_Email", 80),
            V("Our_Account_Number", 25),
            V("Terms_Code", 1),
            M("Terms_Days", 3, 0),
            V("Terms_Disc_Code", 1),
            M("Terms_Disc_Days", 3, 0),
            M("Terms_Disc_Percent", 6, 2),
            V("Use_Tax_Code", 15),
            V("Default_GL_Account", 12),
            V("Hold_Flag", 1),
            V("Status", 1),  # A / I / N
            V("Cost_Center", 10),
        ),
        note="VN.MSTR (documented name); columns follow AddVendor / UpdateVendor.",
    ),
    Table(
        "VN_USE_TAX_MASTER_MC",
        ("Company_Code", "Use_Tax_Code"),
        (
            CO,
            V("Use_Tax_Code", 15),
            V("Use_Tax_Description", 20),
            V("Tax_GL_Account", 12),
            V("Tax_Type", 1),  # S sales / U use
            M("Tax_Percent", 7, 4),
            V("Status", 1),
        ),
        note="AP purchase / use tax codes (Update_AP_Use_Tax fields, no Get service); table name chosen.",
    ),
    Table(
        "VN_USE_TAX_RATE_HISTORY_MC",
        ("Company_Code", "Use_Tax_Code", "Effective_Date"),
        (CO, V("Use_Tax_Code", 15), D("Effective_Date"), M("Tax_Percent", 7, 4), V("Comments", 40)),
        note="Use tax rate history; table name chosen.",
    ),
    Table(
        "VN_GL_DISTRIBUTION_HEADER_MC",
        ("Company_Code", "Vendor_Code", "Invoice_Number"),
        (
            CO,
            V("Vendor_Code", 10),
            V("Invoice_Number", 20),
            V("Invoice_Type_Code", 1),
            D("Invoice_Date"),
            D("GL_Date"),
            D("Payment_Due_Date"),
            D("Discount_Due_Date"),
            M("Invoice_Amount"),
            M("Sales_Tax_Amount", 12, 2),
            M("Retention_Amount", 12, 2),
            M("Discount_Amount", 12, 2),
            V("PO_Number", 10),
            V("Receipt_Number", 10),
            V("Contract_Number", 10),
            V("Job_Number", 10),
            V("Status", 1),  # H hold / O open / P paid
            V("Payment_Status", 1),
            V("Batch_Code", 10),
            V("Remarks", 30),
        ),
        note="VN.GLHDR AP invoice header (documented name). Receipt_Number (the PO receipt a PO bill was "
        "created from by PO receiving) is a chosen name.",
    ),
    Table(
        "VN_GL_DISTRIBUTION_DETAIL_MC",
        ("Company_Code", "Vendor_Code", "Invoice_Number", "Line_Number"),
        (
            CO,
            V("Vendor_Code", 10),
            V("Invoice_Number", 20),
            I("Line_Number"),
            V("Distribution_GL_Account", 12),
            M("Amount"),
            V("Job_Number", 10),
            V("Phase_Code", 20),
            V("Cost_Type", 3),
            V("Tax_Code", 15),
            V("Remark", 30),
        ),
        note="VN.GLDET AP invoice distribution (documented name); columns follow AddAPInvoice.",
    ),
    Table(
        "VN_SUBCONTRACT_MC",
        ("Company_Code", "Vendor_Code", "Subcontract_Number"),
        (
            CO,
            V("Vendor_Code", 10),
            V("Subcontract_Number", 10),
            V("Job_Number", 10),
            V("Default_Phase_Code", 20),
            V("Default_Cost_Type", 3),
            V("Status_Code", 1),
            V("Contract_Type", 15),
            D("Sent_Date"),
            D("Date_Issued"),
            V("Contact_Person", 20),
            V("Comment", 120),
            V("GL_Account", 12),
            M("Retention_Percent", 5, 2),
            M("Original_Contract_Amount", 13, 2),
        ),
        note="VN.SUB (documented name); columns follow UpdateSubcontract.",
    ),
    Table(
        "VN_SUBCONTRACT_DETAIL_MC",
        ("Company_Code", "Vendor_Code", "Subcontract_Number", "Phase_Code", "Cost_Type", "Bid_Item_Number"),
        (
            CO,
            V("Vendor_Code", 10),
            V("Subcontract_Number", 10),
            V("Phase_Code", 20),
            V("Cost_Type", 3),
            V("Bid_Item_Number", 10),
            V("Bill_Description", 25),
            V("Unit_Of_Measure", 3),
            V("Retention_Flag", 1),
            M("Unit_Price", 12, 2),
            M("Original_Contract_Quantity", 12, 2),
            M("Original_Contract_Amount", 13, 2),
        ),
        note="Subcontract schedule of values; table name chosen (UpdateSubcontractPhases fields).",
    ),
    # --- PO ------------------------------------------------------------------------------------------
    Table(
        "PO_PURCHASE_ORDER_HEADER_MC",
        ("Company_Code", "PO_Number"),
        (
            CO,
            V("PO_Number", 10),
            V("Vendor_Code", 10),
            V("Job_Number", 10),
            V("Status_Flag", 1),  # P proposed / O open / C closed
            D("PO_Order_Date"),
            V("Ordered_By", 20),
            V("Tax_Code", 15),
            V("PO_Type", 1),
            V("Batch_Code", 10),
            V("Remarks", 29),
            M("PO_Total"),
        ),
        note="PO.HDR (documented name); columns follow Purchase Order Batch.",
    ),
    Table(
        "PO_PURCHASE_ORDER_DETAIL_MC",
        ("Company_Code", "PO_Number", "Line_Number"),
        (
            CO,
            V("PO_Number", 10),
            I("Line_Number"),
            V("Detail_Entry_Type", 1),
            V("Item_ID", 15),
            V("Item_Description", 35),
            V("Unit_Of_Measure", 3),
            M("PO_Quantity", 12, 2),
            M("Item_Price", 14, 4),
            M("Extension"),
            V("GL_Account", 12),
            V("Job_Number", 10),
            V("Phase_Code", 20),
            V("Cost_Type", 3),
            V("Tax_Code", 15),
            M("Quantity_Received", 12, 2),
        ),
        note="PO.DET (documented name).",
    ),
    Table(
        "PO_RECEIVING_HISTORY_MC",
        ("Company_Code", "PO_Number", "Receipt_Number", "Line_Number"),
        (
            CO,
            V("PO_Number", 10),
            V("Receipt_Number", 10),
            I("Line_Number"),
            D("Receipt_Date"),
            V("Vendor_Code", 10),
            V("Job_Number", 10),
            V("Phase_Code", 20),
            V("Cost_Type", 3),
            M("Quantity_Received", 12, 2),
            M("Unit_Cost", 14, 4),
            M("Received_Amount"),
            V("Invoice_Number", 20),  # the AP invoice PO receiving created; NULL until invoiced
        ),
        note="PO.HIST (documented name); Receipt_Number / Received_Amount are chosen names.",
    ),
    # --- JC ------------------------------------------------------------------------------------------
    Table(
        "JC_JOB_MASTER_MC",
        ("Company_Code", "Job_Number"),
        (
            CO,
            V("Job_Number", 10),
            V("Job_Description", 25),
            V("Division", 5),
            V("Address_1", 30),
            V("Address_2", 30),
            V("City", 25),
            V("State", 2),
            V("Zip_Code", 10),
            V("Phone", 14),
            V("Project_Manager", 15),
            V("Superintendent", 15),
            V("Estimator", 15),
            V("Certified_Flag", 1),
            V("Customer_Code", 10),
            V("Status_Code", 1),  # A / I / C
            V("Work_State_Tax_Code", 10),
            V("Tax_Class_Code", 15),
            V("Contract_Number", 30),
            V("Cost_Center", 10),
            M("Original_Contract"),
            V("Price_Method_Code", 1),
            V("Owner_Name", 50),
            D("Create_Date"),
            D("Start_Date"),
            D("Complete_Date"),
        ),
        note="JC.JOB (documented name); columns follow GetJob / GetJobMain / AddJob.",
    ),
    Table(
        "JC_JOB_UDF_MC",
        ("Company_Code", "Job_Number"),
        (CO, V("Job_Number", 10), *_udfs()),
        note="Job UDFs (GetJobUDF / UpdateJob_UDF); table name chosen.",
    ),
    Table(
        "JC_PHASE_MASTER_MC",
        ("Company_Code", "Job_Number", "Phase_Code", "Cost_Type"),
        (
            CO,
            V("Job_Number", 10),
            V("Phase_Code", 20),
            V("Cost_Type", 3),
            V("Description", 25),
            V("Status_Code", 1),
            V("Unit_of_Measure", 3),
            V("Price_Method_Code", 1),
            V("Bid_Item_Number", 10),
            V("Cost_Center", 10),
            M("Original_Est_Quantity", 11, 2),
            M("Original_Est_Hours", 10, 2),
            M("Original_Est_Cost", 12, 2),
            M("Current_Est_Quantity", 11, 2),
            M("Current_Est_Hours", 10, 2),
            M("Current_Est_Cost", 12, 2),
            M("JTD_Quantity", 11, 2),
            M("JTD_Hours", 10, 2),
            M("JTD_Actual_Dollars", 12, 2),
            M("Projected_Quantity", 11, 2),
            M("Projected_Hours", 10, 2),
            M("Projected_Dollars", 12, 2),
        ),
        note="JC.PHSE (documented name: 'original vs current budget'); columns follow GetPhase / AddPhase.",
    ),
    Table(
        "JC_COST_TYPE_MASTER_MC",
        ("Company_Code", "Cost_Type"),
        (CO, V("Cost_Type", 3), V("Description", 30), V("Abbreviation", 5), V("Post_In_Detail", 1)),
        note="Cost Type File Maintenance; table name chosen (no public name).",
    ),
    # --- GL ------------------------------------------------------------------------------------------
    Table(
        "GL_ACCOUNT_MASTER_MC",
        ("Company_Code", "GL_Account"),
        (
            CO,
            V("GL_Account", 12),
            V("Description", 30),
            V("Short_Description", 18),
            V("Account_Type_Code", 1),  # A L C I E S
            V("Direct_Cost_Flag", 1),  # Y E N W
            V("Cost_Type", 3),
            V("Department", 5),
            V("Status", 1),  # A / I / N
        ),
        note="GL account master; table name chosen (no public name); columns follow AddGLAccount.",
    ),
    Table(
        "GL_DEPARTMENT_MASTER_MC",
        ("Company_Code", "Department"),
        (CO, V("Department", 5), V("Description", 30), V("Status", 1)),
        note="G/L Department File Maintenance; table name chosen (no public name).",
    ),
    # --- Service -------------------------------------------------------------------------------------
    Table(
        "WO_HEADER_MC",
        ("Company_Code", "WO_Number"),
        (
            CO,
            V("WO_Number", 10),
            V("WO_Reference_Code", 1),  # S site / J job
            V("WO_Job_Number", 10),
            V("WO_Job_Division", 5),
            V("Bill_Customer_Code", 10),
            V("Contract_Number", 10),
            V("Customer_PO_Number", 25),
            V("Price_Type", 1),
            M("Total_Quote_Amount", 10, 2),
            V("Dispatch_Status_Code", 1),
            V("Summary_Description", 250),
            D("Ordered_Date"),
            D("Requested_Date"),
            D("Scheduled_Start_Date"),
            D("Complete_Date"),
            V("Sales_Tax_Code", 15),
            V("Taxable_Flag", 1),
            V("GL_Department", 5),
            V("Cost_Center", 10),
        ),
        note="WO.HDR (documented name); columns follow WorkOrderHeader.",
    ),
    Table(
        "SC_CONTRACT_MC",
        ("Company_Code", "Site_ID", "Contract_Number"),
        (
            CO,
            V("Site_ID", 10),
            V("Contract_Number", 10),
            V("Description", 30),
            V("Contract_Type", 2),
            V("Customer_Code", 10),
            D("Begin_Date"),
            D("End_Date"),
            V("WO_Type", 5),
            M("Contract_Amount", 13, 2),
            V("Basis", 1),
            V("Sales_Tax_Code", 15),
            V("Taxable_Flag", 1),
            V("Status", 1),
        ),
        note="SC service contracts (documented name); columns follow UpdateServiceContract.",
    ),
    Table(
        "SC_CONTRACT_VISIT_MC",
        ("Company_Code", "Site_ID", "Contract_Number", "Visit_Number"),
        (
            CO,
            V("Site_ID", 10),
            V("Contract_Number", 10),
            I("Visit_Number"),
            D("Visit_Date"),
            V("Work_Summary", 250),
            M("Budget_Hours", 8, 2),
            M("Budget_Cost", 13, 2),
            V("Preupdate_Alert", 250),
            V("SC_Visit_Notes", 1000),
        ),
        note="Scheduled visits of a service contract; table and columns chosen after the visit service.",
    ),
    Table(
        "SC_VISIT_TASK_MC",
        ("Company_Code", "Site_ID", "Contract_Number", "Visit_Number", "Line_Number"),
        (
            CO,
            V("Site_ID", 10),
            V("Contract_Number", 10),
            I("Visit_Number"),
            I("Line_Number"),
            V("Equipment", 8),
            V("Task", 15),
            M("Task_Unit_Price", 13, 2),
            M("Quantity", 12, 2),
            V("SC_Equip_Task_Notes", 1000),
        ),
        note="Equipment tasks of a visit; table and columns chosen after the visit service.",
    ),
    Table(
        "JC_PHASE_UDF_MC",
        ("Company_Code", "Job_Number", "Phase_Code", "Cost_Type"),
        (CO, V("Job_Number", 10), V("Phase_Code", 20), V("Cost_Type", 3), *_udfs()),
        note="Phase UDFs (UpdatePhase_UDF); table name chosen.",
    ),
    Table(
        "VN_SUBCONTRACT_UDF_MC",
        ("Company_Code", "Vendor_Code", "Subcontract_Number"),
        (CO, V("Vendor_Code", 10), V("Subcontract_Number", 10), *_udfs()),
        note="Subcontract UDFs (UpdateSubcontract_UDF); table name chosen.",
    ),
    Table(
        "WO_HEADER_UDF_MC",
        ("Company_Code", "WO_Number"),
        (CO, V("WO_Number", 10), *_udfs()),
        note="Work order header UDFs (UpdateWokOrderHeader_UDF); table name chosen.",
    ),
    Table(
        "SC_CONTRACT_UDF_MC",
        ("Company_Code", "Site_ID", "Contract_Number"),
        (CO, V("Site_ID", 10), V("Contract_Number", 10), *_udfs()),
        note="Service contract UDFs (UpdateServiceContract_UDF); table name chosen.",
    ),
)

TABLES_BY_NAME: dict[str, Table] = {t.name: t for t in TABLES}

OURS, PUBLIC = "ours", "public"
NAMINGS = (OURS, PUBLIC)
# Where a public schema snapshot of a Trimble-hosted Spectrum names one of our tables differently
# (docs/spectrum.md#info-link-schema); the "public" naming creates these tables under those names.
PUBLIC_NAMES: dict[str, str] = {
    "GL_ACCOUNT_MASTER_MC": "GL_MASTER_MC",
    "GL_DEPARTMENT_MASTER_MC": "GL_DEPARTMENT_MC",
    "VN_SUBCONTRACT_DETAIL_MC": "VN_SUBCONTRACT_PHASE_MC",
}


def table_spec(name: str, naming: str = OURS) -> Table:
    """Our table ``name`` as the store of ``naming`` holds it (``.name`` is the name to use in SQL)."""
    try:
        spec = TABLES_BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown Spectrum table {name!r}") from None
    if naming == PUBLIC and name in PUBLIC_NAMES:
        return replace(spec, name=PUBLIC_NAMES[name])
    return spec


def default_naming() -> str:
    naming = os.environ.get("SPECTRUM_SIM_NAMING", OURS) or OURS
    if naming not in NAMINGS:
        raise ValueError(f"SPECTRUM_SIM_NAMING={naming!r}: use one of {', '.join(NAMINGS)}")
    return naming


# Literal texts GetCustomers returns for the stored one-letter codes (docs/spectrum.md#getcustomers), shared by the
# web-service simulator and the database reader so both give equal records.
CUSTOMER_STATUS_TEXT = {"A": "Active", "I": "Inactive", "N": "Not Used"}
CUSTOMER_TAXABLE_TEXT = {"Y": "Taxable", "N": "Non-Taxable", "": "No Default"}


def _column_index() -> dict[str, Column]:
    """Spectrum spelling and type of every column name; one name has one type family everywhere."""
    index: dict[str, Column] = {}
    for table in TABLES:
        for col in table.columns:
            seen = index.get(col.name)
            if seen is not None and (seen.kind, seen.scale) != (col.kind, col.scale):
                raise AssertionError(f"column {col.name} declared with two types")
            index.setdefault(col.name, col)
    return index


COLUMNS: dict[str, Column] = _column_index()
_CANONICAL: dict[str, str] = {name.lower(): name for name in COLUMNS}


# ---------------------------------------------------------------------------------------------------
# Padding and value conversion


def pad(column: str, value: Any) -> Any:
    """Pad a key value the way Spectrum stores it in ``column`` (no-op for other columns / NULL)."""
    rule = PADDED_COLUMNS.get(column)
    if rule is None or value is None:
        return value
    width, justify = rule
    text = str(value).strip()
    if len(text) > width:
        raise ValueError(f"{column} {text!r} is longer than {width}")
    return text.rjust(width) if justify == "right" else text.ljust(width)


def pad_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {name: pad(name, value) for name, value in row.items()}


def trim(value: Any) -> Any:
    """Spectrum's padding off a text value (``LTRIM(RTRIM(...))`` in integrator SQL)."""
    return value.strip() if isinstance(value, str) else value


def from_db(column: str, value: Any) -> Any:
    """One value as Python sees it on every engine: Decimal, date, datetime, int, str or None."""
    if value is None:
        return None
    col = COLUMNS.get(column)
    if col is None:
        return value
    if col.kind == "decimal":
        return Decimal(str(value)).quantize(Decimal(1).scaleb(-col.scale))
    if col.kind == "date":
        if isinstance(value, datetime):
            return value.date()
        return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])
    if col.kind == "datetime" and not isinstance(value, datetime):
        return datetime.fromisoformat(str(value))
    if col.kind == "int":
        return int(value)
    return value


def _to_sqlite(value: Any) -> Any:
    # sqlite3 has no Decimal / date adapters we want to rely on (deprecated in 3.12): store text.
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, date):  # datetime included
        return value.isoformat(sep=" ") if isinstance(value, datetime) else value.isoformat()
    return value


def qmark_to_format(sql: str) -> str:
    """``?`` placeholders to psycopg's ``%s`` (and literal ``%`` to ``%%``), string literals left alone."""
    out: list[str] = []
    in_string = False
    for ch in sql:
        if ch == "'":
            in_string = not in_string
            out.append(ch)
        elif ch == "%":
            out.append("%%")
        elif ch == "?" and not in_string:
            out.append("%s")
        else:
            out.append(ch)
    return "".join(out)


# ---------------------------------------------------------------------------------------------------
# DDL


def _view_filter(dialect: str) -> str:
    # Single-company views filter on the first three letters of the SQL login (docs/spectrum.md#access-model).
    # SQLite has no login, so the demo store keeps the "login company" in a one-row table.
    return {
        "postgresql": "UPPER(SUBSTR(CURRENT_USER, 1, 3))",
        "mssql": "UPPER(LEFT(SUSER_SNAME(), 3))",
        "sqlite": "(SELECT Company_Code FROM SIM_LOGIN_COMPANY)",
    }[dialect]


def ddl(dialect: str, naming: str = OURS) -> list[str]:
    """CREATE statements for every table and single-company view, for "sqlite", "postgresql", "mssql"."""
    statements: list[str] = []
    if dialect == "sqlite":
        statements.append("CREATE TABLE SIM_LOGIN_COMPANY (Company_Code varchar(3) NOT NULL)")
    for table in (table_spec(t.name, naming) for t in TABLES):
        cols = []
        for col in table.columns:
            not_null = " NOT NULL" if col.name in table.key else ""
            cols.append(f"    {col.name} {col.ddl_type(dialect)}{not_null}")
        cols.append(f"    CONSTRAINT PK_{table.name} PRIMARY KEY ({', '.join(table.key)})")
        statements.append(f"CREATE TABLE {table.name} (\n" + ",\n".join(cols) + "\n)")
        if table.view_name:
            statements.append(
                f"CREATE VIEW {table.view_name} AS SELECT * FROM {table.name} "  # noqa: S608 - identifiers from TABLES only
                f"WHERE Company_Code = {_view_filter(dialect)}"
            )
    return statements


# ---------------------------------------------------------------------------------------------------
# The store
#
# Statements below interpolate table and column names only after checking them against TABLES
# (``Store.table`` / ``Table.column``); every value travels as a ``?`` parameter.


class _TableLookup:
    """``Store.table(name)`` is our declaration; ``store.table(name)`` the table under that store's naming."""

    def __get__(self, store: Store | None, owner: type) -> Callable[[str], Table]:
        naming = store.naming if store is not None else OURS
        return lambda name: table_spec(name, naming)


class Store:
    """A connection to the simulator database with ``?``-placeholder SQL on SQLite and PostgreSQL.

    Thread-safe (one lock): the web-service simulator may serve requests from several threads.
    """

    table = _TableLookup()

    def __init__(self, conn: Any, dialect: str, url: str, naming: str = OURS) -> None:
        self._conn = conn
        self.dialect = dialect
        self.url = url
        self.naming = naming
        self._lock = threading.RLock()
        self._depth = 0  # nesting of transaction() blocks, guarded by the lock

    # -- opening ----------------------------------------------------------------------------------

    @classmethod
    def open(cls, url: str, naming: str | None = None) -> Store:
        """``sqlite:///relative/or//abs/path.sqlite3``, ``sqlite://:memory:`` or ``postgresql://...``;
        ``naming`` "ours" or "public" (default: ``SPECTRUM_SIM_NAMING``, else "ours")."""
        naming = naming or default_naming()
        if naming not in NAMINGS:
            raise ValueError(f"unknown naming {naming!r}: use one of {', '.join(NAMINGS)}")
        parsed = urlparse(url)
        if parsed.scheme == "sqlite":
            path = unquote(parsed.path[1:] if parsed.path.startswith("/") else parsed.path) or ":memory:"
            if parsed.netloc == ":memory:":
                path = ":memory:"
            lite = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
            if path != ":memory:":
                lite.execute("PRAGMA journal_mode=WAL")  # the simulator writes while the reader reads
            return cls(lite, "sqlite", url, naming)
        if parsed.scheme in ("postgres", "postgresql"):
            import psycopg

            pg = psycopg.connect(url.replace("postgres://", "postgresql://", 1), autocommit=True)
            return cls(pg, "postgresql", url, naming)
        raise ValueError(f"unsupported store URL {url!r}: use sqlite:///path or postgresql://...")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- raw SQL ----------------------------------------------------------------------------------

    def _sql(self, sql: str) -> str:
        return qmark_to_format(sql) if self.dialect == "postgresql" else sql

    def _params(self, params: Sequence[Any]) -> list[Any]:
        return [_to_sqlite(p) for p in params] if self.dialect == "sqlite" else list(params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """Run one statement; returns the affected row count."""
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute(self._sql(sql), self._params(params))
                return int(cur.rowcount)
            finally:
                cur.close()

    def executemany(self, sql: str, rows: Iterable[Sequence[Any]]) -> None:
        """One statement for many parameter rows, in one transaction."""
        with self._lock, self.transaction():
            cur = self._conn.cursor()
            try:
                cur.executemany(self._sql(sql), [self._params(r) for r in rows])
            finally:
                cur.close()

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts keyed by Spectrum's column spelling, with the same Python types on both engines."""
        return list(self.iter_query(sql, params))

    def iter_query(self, sql: str, params: Sequence[Any] = (), batch: int = 1000) -> Iterator[dict[str, Any]]:
        """Like :meth:`query`, streamed in batches. The lock is held per statement and per batch,
        never while the caller works on a row, so an abandoned iterator blocks no other thread."""
        with self._lock:
            cur = self._conn.cursor()
            try:
                cur.execute(self._sql(sql), self._params(params))
            except Exception:
                cur.close()
                raise
        try:
            names = [_CANONICAL.get(d[0].lower(), d[0]) for d in cur.description or ()]
            while True:
                with self._lock:
                    rows = cur.fetchmany(batch)
                if not rows:
                    return
                for row in rows:
                    yield {n: from_db(n, v) for n, v in zip(names, row, strict=True)}
        finally:
            with self._lock:
                cur.close()

    class _Transaction:
        """Only the outermost ``with`` begins and commits (or rolls back); inner ones join it."""

        def __init__(self, store: Store) -> None:
            self.store = store

        def __enter__(self) -> None:
            store = self.store
            store._lock.acquire()
            store._depth += 1
            if store._depth > 1:
                return
            if store.dialect == "sqlite":
                store._conn.execute("BEGIN")
            else:
                store._conn.autocommit = False

        def __exit__(self, exc_type: object, *exc: object) -> None:
            store = self.store
            store._depth -= 1
            try:
                if store._depth == 0:
                    try:
                        if exc_type is None:
                            store._conn.commit()
                        else:
                            store._conn.rollback()
                    finally:
                        if store.dialect == "postgresql":
                            store._conn.autocommit = True
            finally:
                store._lock.release()

    def transaction(self) -> Store._Transaction:
        """``with store.transaction():`` groups statements (e.g. an invoice header and its lines)."""
        return Store._Transaction(self)

    # -- schema -----------------------------------------------------------------------------------

    def create_schema(self, login_company: str = "DC1") -> None:
        """Create every table and single-company view (``login_company`` feeds SQLite's views)."""
        with self.transaction():
            for statement in ddl(self.dialect, self.naming):
                self.execute(statement)
            if self.dialect == "sqlite":
                self.execute("INSERT INTO SIM_LOGIN_COMPANY (Company_Code) VALUES (?)", [login_company])

    def analyze(self) -> None:
        """Refresh the planner's statistics after a bulk load (SQL Server keeps them automatically;
        without them PostgreSQL sorts whole tables instead of walking the primary key)."""
        self.execute("ANALYZE")

    def drop_schema(self) -> None:
        with self.transaction():
            for table in (self.table(t.name) for t in reversed(TABLES)):
                if table.view_name:
                    self.execute(f"DROP VIEW IF EXISTS {table.view_name}")
                self.execute(f"DROP TABLE IF EXISTS {table.name}")
            self.execute("DROP TABLE IF EXISTS SIM_LOGIN_COMPANY")

    # -- row helpers (keys padded for the caller) -------------------------------------------------

    def insert(self, table: str, row: Mapping[str, Any]) -> None:
        self.insert_many(table, [row])

    def insert_many(self, table: str, rows: Iterable[Mapping[str, Any]]) -> None:
        """Insert rows (dicts by column name; missing columns are NULL) in one transaction."""
        spec = self.table(table)
        names = spec.column_names
        rows = list(rows)
        sql = f"INSERT INTO {spec.name} ({', '.join(names)}) VALUES ({', '.join('?' * len(names))})"  # noqa: S608 - identifiers from TABLES only
        unknown = {k for r in rows for k in r} - set(names)
        if unknown:
            raise KeyError(f"{table} has no column(s) {sorted(unknown)}")
        self.executemany(sql, ([pad(n, r.get(n)) for n in names] for r in rows))

    def _where(self, spec: Table, key: Mapping[str, Any]) -> tuple[str, list[Any]]:
        missing = [k for k in spec.key if k not in key]
        if missing:
            raise KeyError(f"{spec.name} key needs {missing}")
        return " AND ".join(f"{k} = ?" for k in spec.key), [pad(k, key[k]) for k in spec.key]

    def update(self, table: str, key: Mapping[str, Any], changes: Mapping[str, Any]) -> int:
        """Change columns of the row with this full key; returns 1 when it existed, else 0."""
        spec = self.table(table)
        for name in changes:
            spec.column(name)
        where, params = self._where(spec, key)
        sets = ", ".join(f"{n} = ?" for n in changes)
        return self.execute(f"UPDATE {spec.name} SET {sets} WHERE {where}", [*pad_row(changes).values(), *params])  # noqa: S608 - identifiers from TABLES only

    def delete(self, table: str, key: Mapping[str, Any]) -> int:
        spec = self.table(table)
        where, params = self._where(spec, key)
        return self.execute(f"DELETE FROM {spec.name} WHERE {where}", params)  # noqa: S608 - identifiers from TABLES only

    def get(self, table: str, key: Mapping[str, Any]) -> dict[str, Any] | None:
        """The row with this full key (values as stored, keys still padded), or None when absent."""
        spec = self.table(table)
        where, params = self._where(spec, key)
        rows = self.query(f"SELECT * FROM {spec.name} WHERE {where}", params)  # noqa: S608 - identifiers from TABLES only
        return rows[0] if rows else None

    def find(self, table: str, **filters: Any) -> list[dict[str, Any]]:
        """Rows matching column = value filters (padded for you), keys trimmed; for simulators and tests."""
        spec = self.table(table)
        for name in filters:
            spec.column(name)
        where = " AND ".join(f"{n} = ?" for n in filters) or "1 = 1"
        order = ", ".join(spec.key)
        rows = self.query(f"SELECT * FROM {spec.name} WHERE {where} ORDER BY {order}", list(pad_row(filters).values()))  # noqa: S608 - identifiers from TABLES only
        return [{k: trim(v) for k, v in r.items()} for r in rows]

    def upsert(self, table: str, row: Mapping[str, Any]) -> bool:
        """Insert, or update the non-key columns given when the key exists. True when inserted."""
        spec = self.table(table)
        key = {k: row[k] for k in spec.key}
        with self.transaction():
            if self.get(table, key) is None:
                self.insert(table, row)
                return True
            changes = {k: v for k, v in row.items() if k not in spec.key}
            if changes:
                self.update(table, key, changes)
            return False

    def count(self, table: str, company: str | None = None) -> int:
        spec = self.table(table)
        if company is None:
            rows = self.query(f"SELECT COUNT(*) AS n FROM {spec.name}")  # noqa: S608 - identifiers from TABLES only
        else:
            rows = self.query(
                f"SELECT COUNT(*) AS n FROM {spec.name} WHERE Company_Code = ?",  # noqa: S608 - from TABLES
                [pad("Company_Code", company)],
            )
        return int(rows[0]["n"])

    def next_number(self, table: str, column: str, company: str, start: int = 1) -> str:
        """The next free numeric document number in ``column`` (e.g. WO_Number, PO_Number)."""
        spec = self.table(table)
        spec.column(column)
        best = start - 1
        for row in self.query(
            f"SELECT {column} FROM {spec.name} WHERE Company_Code = ?",  # noqa: S608 - from TABLES
            [pad("Company_Code", company)],
        ):
            text = str(row[column] or "").strip()
            if text.isdigit():
                best = max(best, int(text))
        return str(best + 1)
