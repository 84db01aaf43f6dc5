"""Deterministic seed data for the Spectrum simulator store (both simulators read the same rows).

Profiles:

- ``"demo"``: companies DC1 and DC2 (spectrum_sync/demo.py), each with a few dozen customers and
  vendors, a dozen jobs with phases / cost types / budgets / job cost, prime contracts, GL accounts
  with departments, AR sales and AP use tax codes, AR invoices with cash receipts, POs with receipts
  and the AP invoices (PO bills) PO receiving created, subcontracts, change orders, work orders and
  service contracts. Some columns are NULL where Spectrum leaves them unset.
- ``"large"``: the demo's reference data plus ``customers`` customers (default 100,000) in DC1 and
  proportionally many vendors, jobs and phases, for benchmarks.

Same profile and arguments → byte-identical rows (a seeded ``random.Random``, fixed dates).

Command line: ``python -m connectors.spectrum.simulator.seed sqlite:///var/spectrum.sqlite3 [--profile large]``
(creates the schema when the database is empty).
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from connectors.spectrum.simulator.store import NAMINGS, Store

COMPANIES = ("DC1", "DC2")
BASE_DATE = date(2026, 1, 15)  # fixed so seeds are reproducible
CENT = Decimal("0.01")

COST_TYPES = (
    ("L", "Labor", "LAB", "Y"),
    ("M", "Material", "MAT", "N"),
    ("S", "Subcontract", "SUB", "Y"),
    ("E", "Equipment", "EQP", "N"),
    ("O", "Other", "OTH", "N"),
)
DEPARTMENTS = {
    "DC1": (("10", "Construction"), ("20", "Service"), ("30", "Administration")),
    "DC2": (("10", "Construction"), ("20", "Service"), ("40", "Fabrication")),
}
BALANCE_SHEET = (
    ("001010", "Cash - Operating", "A"),
    ("001200", "Accounts Receivable", "A"),
    ("001250", "Retention Receivable", "A"),
    ("002000", "Accounts Payable", "L"),
    ("002310", "Sales Tax Payable", "L"),
    ("002320", "Use Tax Payable", "L"),
    ("003000", "Retained Earnings", "C"),
)
DEPARTMENT_ACCOUNTS = (
    ("4000", "Contract Revenue", "I", "N", None),
    ("4100", "Service Revenue", "I", "N", None),
    ("5000", "Direct Labor", "E", "Y", "L"),
    ("5100", "Materials", "E", "Y", "M"),
    ("5200", "Subcontract Costs", "E", "Y", "S"),
    ("6000", "Overhead", "E", "N", None),
)
SALES_TAX = (
    ("AUSTIN", "Austin TX combined", "002310", Decimal("8.2500")),
    ("TRAVIS", "Travis County", "002310", Decimal("6.7500")),
    ("DALLAS", "Dallas TX combined", "002310", Decimal("8.2500")),
    ("EXEMPT", "Tax exempt", "002310", Decimal("0.0000")),
)
USE_TAX = (
    ("UT-TX", "Texas use tax", "002320", "U", Decimal("6.2500")),
    ("ST-TX", "Texas sales tax", "002310", "S", Decimal("8.2500")),
    ("NONTAX", "Non-taxable", "002320", "U", Decimal("0.0000")),
)
WORDS = (
    "Apex",
    "Bayview",
    "Cedar",
    "Delta",
    "Eagle",
    "Falcon",
    "Granite",
    "Harbor",
    "Iron",
    "Juniper",
    "Keystone",
    "Lakeside",
    "Summit",
    "Meridian",
    "Northgate",
    "Oakridge",
    "Pioneer",
    "Quarry",
    "Redwood",
    "Sterling",
    "Timber",
    "Union",
    "Valley",
    "Westfield",
    "Yellowstone",
    "Zenith",
    "Bluebonnet",
    "Canyon",
    "Frontier",
    "Heritage",
    "Liberty",
    "Magnolia",
    "Pecan",
    "Prairie",
    "Riverside",
    "Sandstone",
)
SUFFIXES = ("Builders", "Properties", "Holdings", "Developers", "Partners", "Medical Center", "ISD", "Church")
VENDOR_SUFFIXES = ("Supply", "Electric", "Plumbing", "Concrete", "Steel", "Rentals", "Lumber", "Mechanical")
CITIES = (("Austin", "TX", "787"), ("Round Rock", "TX", "786"), ("Dallas", "TX", "752"), ("Waco", "TX", "767"))
STREETS = ("Main St", "Congress Ave", "Lamar Blvd", "Oak Hollow Dr", "Industrial Blvd", "Burnet Rd")
FIRST = ("Maria", "James", "Linda", "Robert", "Ana", "David", "Karen", "Luis", "Megan", "Tom")
LAST = ("Garcia", "Smith", "Nguyen", "Johnson", "Patel", "Brown", "Lopez", "Miller", "Davis", "Wilson")
PHASES = (
    ("0100", "General Conditions", ("L", "O")),
    ("0300", "Concrete", ("L", "M", "S")),
    ("0500", "Structural Steel", ("M", "S")),
    ("2200", "Plumbing", ("L", "M")),
    ("2600", "Electrical", ("L", "M", "E")),
)


def money(rng: random.Random, low: int, high: int) -> Decimal:
    return (Decimal(rng.randint(low * 100, high * 100)) / 100).quantize(CENT)


def _address(rng: random.Random) -> dict[str, Any]:
    city, state, zip3 = rng.choice(CITIES)
    return {
        "Address_1": f"{rng.randint(100, 9999)} {rng.choice(STREETS)}",
        "Address_2": f"Suite {rng.randint(100, 400)}" if rng.random() < 0.2 else None,
        "City": city,
        "State": state,
        "Zip_Code": f"{zip3}{rng.randint(1, 99):02d}",
    }


def _phone(rng: random.Random) -> str:
    return f"512{rng.randint(2000000, 9999999)}"


# ---------------------------------------------------------------------------------------------------
# Reference data (GL, departments, tax, cost types)


def _reference_rows(company: str) -> dict[str, list[dict[str, Any]]]:
    co = {"Company_Code": company}
    rows: dict[str, list[dict[str, Any]]] = {
        "JC_COST_TYPE_MASTER_MC": [
            {**co, "Cost_Type": ct, "Description": d, "Abbreviation": ab, "Post_In_Detail": pd}
            for ct, d, ab, pd in COST_TYPES
        ],
        "GL_DEPARTMENT_MASTER_MC": [
            {**co, "Department": dep, "Description": d, "Status": "A"} for dep, d in DEPARTMENTS[company]
        ],
        "GL_ACCOUNT_MASTER_MC": [],
        "CR_SALES_TAX_MASTER_MC": [],
        "CR_SALES_TAX_RATE_HISTORY_MC": [],
        "VN_USE_TAX_MASTER_MC": [],
        "VN_USE_TAX_RATE_HISTORY_MC": [],
    }
    for account, desc, kind in BALANCE_SHEET:
        rows["GL_ACCOUNT_MASTER_MC"].append(
            {
                **co,
                "GL_Account": account,
                "Description": desc,
                "Short_Description": desc[:18],
                "Account_Type_Code": kind,
                "Direct_Cost_Flag": "N",
                "Cost_Type": None,
                "Department": None,
                "Status": "A",
            }
        )
    for dep, dep_name in DEPARTMENTS[company]:
        for base, desc, kind, direct, cost_type in DEPARTMENT_ACCOUNTS:
            full = f"{desc} - {dep_name}"[:30]
            rows["GL_ACCOUNT_MASTER_MC"].append(
                {
                    **co,
                    "GL_Account": dep + base,
                    "Description": full,
                    "Short_Description": full[:18],
                    "Account_Type_Code": kind,
                    "Direct_Cost_Flag": direct,
                    "Cost_Type": cost_type,
                    "Department": dep,
                    "Status": "I" if (dep, base) == ("30", "4100") else "A",
                }
            )
    for code, desc, gl, rate in SALES_TAX:
        rows["CR_SALES_TAX_MASTER_MC"].append(
            {
                **co,
                "Sales_Tax_Code": code,
                "Description": desc,
                "GL_Account": gl,
                "Freight_Tax_Flag": "N",
                "Sales_Tax_Percent": rate,
                "Status": "A",
            }
        )
        rows["CR_SALES_TAX_RATE_HISTORY_MC"].append(
            {
                **co,
                "Sales_Tax_Code": code,
                "Effective_Date": date(2024, 1, 1),
                "Sales_Tax_Percent": rate,
                "Comments": "Initial Entry",
            }
        )
    for code, desc, gl, kind, rate in USE_TAX:
        rows["VN_USE_TAX_MASTER_MC"].append(
            {
                **co,
                "Use_Tax_Code": code,
                "Use_Tax_Description": desc,
                "Tax_GL_Account": gl,
                "Tax_Type": kind,
                "Tax_Percent": rate,
                "Status": "A",
            }
        )
        rows["VN_USE_TAX_RATE_HISTORY_MC"].append(
            {
                **co,
                "Use_Tax_Code": code,
                "Effective_Date": date(2024, 1, 1),
                "Tax_Percent": rate,
                "Comments": "Initial Entry",
            }
        )
    return rows


# ---------------------------------------------------------------------------------------------------
# Masters


def customer_rows(rng: random.Random, company: str, count: int, prefix: str = "") -> Iterator[dict[str, Any]]:
    """Customers; codes from the name in the demo (``BAYVIE01``), numbered for large profiles."""
    used: set[str] = set()
    for i in range(count):
        name = f"{rng.choice(WORDS)} {rng.choice(SUFFIXES)}"
        if prefix:
            code = f"{prefix}{i + 1:06d}"
        else:
            stem = name.split()[0].upper()[:6]
            n = 1
            while f"{stem}{n:02d}" in used:
                n += 1
            code = f"{stem}{n:02d}"
        used.add(code)
        first, last = rng.choice(FIRST), rng.choice(LAST)
        status = "A" if i % 11 else ("I" if i % 22 else "N")
        yield {
            "Company_Code": company,
            "Customer_Code": code,
            "Name": name[:30],
            "Alpha_Sort": code[:8],
            "Type": rng.choice(("COMM", "GOVT", "RES")),
            **_address(rng),
            "Phone": _phone(rng),
            "Fax_Phone": None,
            "Contact_First_Name": first,
            "Contact_Last_Name": last,
            "Contact_Phone": _phone(rng),
            "Customer_Email": f"{first.lower()}.{last.lower()}@example.com" if rng.random() < 0.8 else None,
            "Salesperson": rng.choice(("JDS", "MKT", None)),
            "Terms_Code": "1",
            "Sales_Tax_Code": rng.choice(("AUSTIN", "TRAVIS", "DALLAS", "EXEMPT")),
            "Taxable_Flag": rng.choice(("Y", "Y", "N", "")),
            "Price_Level_Material": rng.choice(("1", "2", "3", "")),
            "Credit_Limit": money(rng, 5000, 250000) if rng.random() < 0.7 else None,
            "Standard_Retention_Percent": Decimal("10.0000") if rng.random() < 0.3 else None,
            "Status": status,
            "Date_Created": BASE_DATE - timedelta(days=rng.randint(30, 3000)) if rng.random() < 0.9 else None,
        }


def vendor_rows(rng: random.Random, company: str, count: int, prefix: str = "") -> Iterator[dict[str, Any]]:
    used: set[str] = set()
    for i in range(count):
        name = f"{rng.choice(WORDS)} {rng.choice(VENDOR_SUFFIXES)}"
        if prefix:
            code = f"{prefix}{i + 1:06d}"
        else:
            stem = name.split()[0].upper()[:6]
            n = 1
            while f"{stem}{n:02d}" in used:
                n += 1
            code = f"{stem}{n:02d}"
        used.add(code)
        disc = rng.random() < 0.4
        yield {
            "Company_Code": company,
            "Vendor_Code": code,
            "Name": name[:30],
            "Alpha_Sort": code[:6],
            "Type": rng.choice(("SUPPLY", "SUB", "SERV")),
            **_address(rng),
            "Phone": _phone(rng),
            "Fax_Phone": None,
            "Contact_First_Name": rng.choice(FIRST),
            "Contact_Last_Name": rng.choice(LAST),
            "Vendor_Email": f"ap@{name.split()[0].lower()}{i}.example.com" if rng.random() < 0.85 else None,
            "Our_Account_Number": f"ACCT{rng.randint(1000, 9999)}" if rng.random() < 0.5 else None,
            "Terms_Code": "A",
            "Terms_Days": Decimal(rng.choice((10, 30, 45))),
            "Terms_Disc_Code": "A" if disc else None,
            "Terms_Disc_Days": Decimal(10) if disc else None,
            "Terms_Disc_Percent": Decimal("2.00") if disc else None,
            "Use_Tax_Code": rng.choice(("UT-TX", "NONTAX")),
            "Default_GL_Account": "105100",
            "Hold_Flag": "N",
            "Status": "A" if i % 13 else "I",
            "Cost_Center": None,
        }


def job_rows(
    rng: random.Random, company: str, count: int, customers: list[str], first_number: int
) -> Iterator[dict[str, Any]]:
    for i in range(count):
        number = str(first_number + i)
        status = "C" if i % 9 == 8 else ("I" if i % 7 == 6 else "A")
        created = BASE_DATE - timedelta(days=rng.randint(20, 700))
        contract = money(rng, 80000, 4000000) if i % 10 != 5 else None
        yield {
            "Company_Code": company,
            "Job_Number": number,
            "Job_Description": f"{rng.choice(WORDS)} {rng.choice(('Tower', 'Clinic', 'School', 'Retail', 'Plant'))}",
            "Division": rng.choice(("100", "200")),
            **_address(rng),
            "Phone": _phone(rng),
            "Project_Manager": rng.choice(("MGARCIA", "JSMITH", "LNGUYEN")),
            "Superintendent": rng.choice(("RJOHNSON", "DPATEL", None)),
            "Estimator": rng.choice(("KBROWN", None)),
            "Certified_Flag": "N",
            "Customer_Code": customers[i % len(customers)],
            "Status_Code": status,
            "Work_State_Tax_Code": "TX",
            "Tax_Class_Code": rng.choice(("AUSTIN", "TRAVIS")),
            "Contract_Number": f"PC-{number}",
            "Cost_Center": None,
            "Original_Contract": contract,
            "Price_Method_Code": "F",
            "Owner_Name": None,
            "Create_Date": created,
            "Start_Date": created + timedelta(days=14),
            "Complete_Date": created + timedelta(days=300) if status == "C" else None,
        }


def phase_rows(rng: random.Random, job: dict[str, Any], phases: int = len(PHASES)) -> Iterator[dict[str, Any]]:
    for phase_code, desc, cost_types in PHASES[:phases]:
        for ct in cost_types:
            original = money(rng, 2000, 250000)
            current = (original * Decimal(rng.choice(("1", "1", "1.05", "1.12")))).quantize(CENT)
            jtd = (current * Decimal(rng.randint(0, 95)) / 100).quantize(CENT)
            hours = Decimal(rng.randint(10, 2000)) if ct == "L" else None
            yield {
                "Company_Code": job["Company_Code"],
                "Job_Number": job["Job_Number"],
                "Phase_Code": phase_code,
                "Cost_Type": ct,
                "Description": desc,
                "Status_Code": "A" if job["Status_Code"] != "C" else "C",
                "Unit_of_Measure": "HR" if ct == "L" else "LS",
                "Price_Method_Code": "F",
                "Bid_Item_Number": None,
                "Cost_Center": None,
                "Original_Est_Quantity": None,
                "Original_Est_Hours": hours,
                "Original_Est_Cost": original if rng.random() < 0.95 else None,
                "Current_Est_Quantity": None,
                "Current_Est_Hours": hours,
                "Current_Est_Cost": current,
                "JTD_Quantity": None,
                "JTD_Hours": (hours * Decimal(rng.randint(0, 90)) / 100).quantize(CENT) if hours else None,
                "JTD_Actual_Dollars": jtd,
                "Projected_Quantity": None,
                "Projected_Hours": hours,
                "Projected_Dollars": max(current, jtd),
            }


def _contract_row(rng: random.Random, job: dict[str, Any]) -> dict[str, Any]:
    original = job["Original_Contract"] or Decimal("0.00")
    approved = money(rng, 0, 40000) if rng.random() < 0.5 else Decimal("0.00")
    revised = original + approved
    return {
        "Company_Code": job["Company_Code"],
        "Job_Number": job["Job_Number"],
        "Customer_Code": job["Customer_Code"],
        "Contract_Number": job["Contract_Number"],
        "Description": job["Job_Description"],
        "Original_Contract_Amount": job["Original_Contract"],
        "Approved_Change_Orders": approved,
        "Revised_Contract_Amount": revised,
        "Billed_To_Date": (revised * Decimal(rng.randint(0, 80)) / 100).quantize(CENT),
        "Retention_Percent": Decimal("10.00") if rng.random() < 0.6 else None,
        "Status": "C" if job["Status_Code"] == "C" else "A",
    }


# ---------------------------------------------------------------------------------------------------
# Documents: AR invoices + payments, POs + receipts + PO bills, subcontracts, COs, WOs, service contracts


def _ar_documents(rng: random.Random, company: str, jobs: list[dict[str, Any]], out: dict[str, list[Any]]) -> None:
    for i, job in enumerate(jobs[:8]):
        number = f"{company[-1]}{1000 + i}"
        amount = money(rng, 5000, 90000)
        tax = (amount * Decimal("0.0825")).quantize(CENT)
        invoice_date = BASE_DATE - timedelta(days=rng.randint(10, 90))
        out["CR_INVOICE_HEADER_MC"].append(
            {
                "Company_Code": company,
                "Invoice_Or_Transaction": number,
                "Customer_Code": job["Customer_Code"],
                "Job_Number": job["Job_Number"],
                "Transaction_Type": "I",
                "Invoice_Date": invoice_date,
                "GL_Date": invoice_date,
                "Batch_Code": "SEED",
                "Terms_Code": "1",
                "Salesperson_Code": None,
                "Sales_Tax_Code": job["Tax_Class_Code"],
                "Taxable_Flag": "Y",
                "Retention_Percent": Decimal("10.00"),
                "Remarks": None,
                "Customer_PO": f"PO{rng.randint(10000, 99999)}",
                "AR_GL_Account": "001200",
                "Invoice_Extension": amount,
                "Sales_Tax_Amount": tax,
                "Retention_Amount": (amount / 10).quantize(CENT),
                "Posted_Flag": "Y",
            }
        )
        out["CR_INVOICE_DETAIL_MC"].append(
            {
                "Company_Code": company,
                "Invoice_Or_Transaction": number,
                "Line_Number": 1,
                "Detail_Description": "Progress billing",
                "Quantity": Decimal("1.00"),
                "Unit_Of_Measure": "LS",
                "Line_Extension": amount,
                "GL_Account": "104000",
                "Taxable_Flag": "Y",
                "Income_Cost_Center": None,
                "Message": None,
            }
        )
        if i % 3 == 2:
            continue  # still open
        check = f"{rng.randint(10000, 99999)}"
        paid = amount + tax if i % 2 == 0 else (amount / 2).quantize(CENT)
        out["CR_PAY_ADJUST_HISTORY_MC"].append(
            {
                "Company_Code": company,
                "Customer_Code": job["Customer_Code"],
                "Invoice_Number": number,
                "Reference_Number": check,
                "Sequence_Number": 1,
                "Transaction_Type": "P",
                "Reference_Date": invoice_date + timedelta(days=rng.randint(5, 30)),
                "Payment_Amount": paid,
                "Discount_Taken": Decimal("0.00") if i % 4 else None,
                "Job_Number": job["Job_Number"],
                "Batch_Code": "CR0101",
                "Remark": None if i % 2 else "Thank you",
            }
        )
        if i % 4 == 1:  # a second, partial payment on the same check
            out["CR_PAY_ADJUST_HISTORY_MC"].append(
                {
                    "Company_Code": company,
                    "Customer_Code": job["Customer_Code"],
                    "Invoice_Number": number,
                    "Reference_Number": check,
                    "Sequence_Number": 2,
                    "Transaction_Type": "P",
                    "Reference_Date": invoice_date + timedelta(days=40),
                    "Payment_Amount": Decimal("125.50"),
                    "Discount_Taken": Decimal("2.51"),
                    "Job_Number": job["Job_Number"],
                    "Batch_Code": "CR0102",
                    "Remark": "Balance",
                }
            )


def _po_documents(
    rng: random.Random, company: str, jobs: list[dict[str, Any]], vendors: list[str], out: dict[str, list[Any]]
) -> None:
    for i, job in enumerate(jobs[:8]):
        po = f"{company[-1]}{7000 + i}"
        vendor = vendors[i % len(vendors)]
        order_date = BASE_DATE - timedelta(days=rng.randint(20, 120))
        lines = []
        for line in (1, 2):
            qty = Decimal(rng.randint(5, 200))
            price = money(rng, 3, 400)
            lines.append(
                {
                    "Company_Code": company,
                    "PO_Number": po,
                    "Line_Number": line,
                    "Detail_Entry_Type": "N",
                    "Item_ID": f"!ITEM{line}",
                    "Item_Description": rng.choice(("Rebar #5", "Conduit 3/4", "Copper pipe")),
                    "Unit_Of_Measure": "EA",
                    "PO_Quantity": qty,
                    "Item_Price": price,
                    "Extension": (qty * price).quantize(CENT),
                    "GL_Account": "105100",
                    "Job_Number": job["Job_Number"],
                    "Phase_Code": "0300",
                    "Cost_Type": "M",
                    "Tax_Code": "UT-TX",
                    "Quantity_Received": Decimal("0.00"),
                }
            )
        out["PO_PURCHASE_ORDER_HEADER_MC"].append(
            {
                "Company_Code": company,
                "PO_Number": po,
                "Vendor_Code": vendor,
                "Job_Number": job["Job_Number"],
                "Status_Flag": "O",
                "PO_Order_Date": order_date,
                "Ordered_By": "MGARCIA",
                "Tax_Code": "UT-TX",
                "PO_Type": "U",
                "Batch_Code": "SEED",
                "Remarks": None,
                "PO_Total": sum((ln["Extension"] for ln in lines), Decimal("0.00")),
            }
        )
        out["PO_PURCHASE_ORDER_DETAIL_MC"].extend(lines)
        if i % 4 == 3:
            continue  # not received yet
        receipt = f"R{po}"
        invoice = f"INV-{rng.randint(100000, 999999)}" if i % 3 else None  # received, not yet invoiced
        total = Decimal("0.00")
        for ln in lines:
            ln["Quantity_Received"] = ln["PO_Quantity"]
            total += ln["Extension"]
            out["PO_RECEIVING_HISTORY_MC"].append(
                {
                    "Company_Code": company,
                    "PO_Number": po,
                    "Receipt_Number": receipt,
                    "Line_Number": ln["Line_Number"],
                    "Receipt_Date": order_date + timedelta(days=7),
                    "Vendor_Code": vendor,
                    "Job_Number": job["Job_Number"],
                    "Phase_Code": "0300",
                    "Cost_Type": "M",
                    "Quantity_Received": ln["PO_Quantity"],
                    "Unit_Cost": ln["Item_Price"],
                    "Received_Amount": ln["Extension"],
                    "Invoice_Number": invoice,
                }
            )
        if invoice:
            _ap_invoice(
                out, company, vendor, invoice, order_date + timedelta(days=9), total, job, po=po, receipt=receipt
            )
    for i in range(4):  # AP invoices without a PO (non-PO bills)
        job = jobs[i]
        _ap_invoice(
            out,
            company,
            vendors[-1 - i],
            f"NP-{2000 + i}",
            BASE_DATE - timedelta(days=30 + i),
            money(rng, 100, 5000),
            job,
            po=None,
            receipt=None,
        )


def _ap_invoice(
    out: dict[str, list[Any]],
    company: str,
    vendor: str,
    invoice: str,
    when: date,
    amount: Decimal,
    job: dict[str, Any],
    *,
    po: str | None,
    receipt: str | None,
) -> None:
    out["VN_GL_DISTRIBUTION_HEADER_MC"].append(
        {
            "Company_Code": company,
            "Vendor_Code": vendor,
            "Invoice_Number": invoice,
            "Invoice_Type_Code": "I",
            "Invoice_Date": when,
            "GL_Date": when,
            "Payment_Due_Date": when + timedelta(days=30),
            "Discount_Due_Date": None,
            "Invoice_Amount": amount,
            "Sales_Tax_Amount": (amount * Decimal("0.0625")).quantize(CENT) if po else None,
            "Retention_Amount": None,
            "Discount_Amount": None,
            "PO_Number": po,
            "Receipt_Number": receipt,
            "Contract_Number": None,
            "Job_Number": job["Job_Number"],
            "Status": "O",
            "Payment_Status": "U",
            "Batch_Code": "SEED",
            "Remarks": None,
        }
    )
    out["VN_GL_DISTRIBUTION_DETAIL_MC"].append(
        {
            "Company_Code": company,
            "Vendor_Code": vendor,
            "Invoice_Number": invoice,
            "Line_Number": 1,
            "Distribution_GL_Account": "105100",
            "Amount": amount,
            "Job_Number": job["Job_Number"],
            "Phase_Code": "0300",
            "Cost_Type": "M",
            "Tax_Code": "UT-TX",
            "Remark": None,
        }
    )


def _other_documents(
    rng: random.Random, company: str, jobs: list[dict[str, Any]], vendors: list[str], out: dict[str, list[Any]]
) -> None:
    for i, job in enumerate(jobs[:4]):
        amount = money(rng, 20000, 200000)
        out["VN_SUBCONTRACT_MC"].append(
            {
                "Company_Code": company,
                "Vendor_Code": vendors[i],
                "Subcontract_Number": f"SC{job['Job_Number']}",
                "Job_Number": job["Job_Number"],
                "Default_Phase_Code": "0500",
                "Default_Cost_Type": "S",
                "Status_Code": "A",
                "Contract_Type": "LUMP SUM",
                "Sent_Date": None,
                "Date_Issued": BASE_DATE - timedelta(days=60),
                "Contact_Person": rng.choice(FIRST),
                "Comment": None,
                "GL_Account": "105200",
                "Retention_Percent": Decimal("10.00"),
                "Original_Contract_Amount": amount,
            }
        )
        out["VN_SUBCONTRACT_DETAIL_MC"].append(
            {
                "Company_Code": company,
                "Vendor_Code": vendors[i],
                "Subcontract_Number": f"SC{job['Job_Number']}",
                "Phase_Code": "0500",
                "Cost_Type": "S",
                "Bid_Item_Number": "",
                "Bill_Description": "Steel erection",
                "Unit_Of_Measure": "LS",
                "Retention_Flag": "Y",
                "Unit_Price": None,
                "Original_Contract_Quantity": None,
                "Original_Contract_Amount": amount,
            }
        )
        out["CR_CHANGE_ORDER_HEADER_MC"].append(
            {
                "Company_Code": company,
                "Job_Number": job["Job_Number"],
                "Customer_Code": job["Customer_Code"],
                "Change_Order_Number": f"CO{i + 1:03d}",
                "Description": "Owner requested scope change",
                "Status_Code": "A",
                "Change_Order_Date": BASE_DATE - timedelta(days=15),
                "Approved_Date": BASE_DATE - timedelta(days=10) if i % 2 == 0 else None,
                "Approved_Days": Decimal(5),
                "Fee_Percent": None,
                "Fee_Amount": None,
            }
        )
        out["CR_CHANGE_ORDER_DETAIL_MC"].append(
            {
                "Company_Code": company,
                "Job_Number": job["Job_Number"],
                "Customer_Code": job["Customer_Code"],
                "Change_Order_Number": f"CO{i + 1:03d}",
                "Line_Number": 1,
                "CO_Billing_Group_Code": None,
                "CO_Billing_Item_Code": Decimal(10),
                "Additional_Description": "Added scope",
                "Unit_Price": None,
                "Quantity": None,
                "Revenue": money(rng, 1000, 30000),
            }
        )
        site = f"SITE{i + 1:02d}"
        out["WO_HEADER_MC"].append(
            {
                "Company_Code": company,
                "WO_Number": str(5000 + i),
                "WO_Reference_Code": "S",
                "WO_Job_Number": site,
                "WO_Job_Division": "SVC",
                "Bill_Customer_Code": job["Customer_Code"],
                "Contract_Number": f"SA{i + 1:03d}",
                "Customer_PO_Number": None,
                "Price_Type": "T",
                "Total_Quote_Amount": None,
                "Dispatch_Status_Code": "O",
                "Summary_Description": "Quarterly preventive maintenance",
                "Ordered_Date": BASE_DATE,
                "Requested_Date": BASE_DATE + timedelta(days=7),
                "Scheduled_Start_Date": None,
                "Complete_Date": None,
                "Sales_Tax_Code": "AUSTIN",
                "Taxable_Flag": "Y",
                "GL_Department": "20",
                "Cost_Center": None,
            }
        )
        out["SC_CONTRACT_MC"].append(
            {
                "Company_Code": company,
                "Site_ID": site,
                "Contract_Number": f"SA{i + 1:03d}",
                "Description": "HVAC maintenance agreement",
                "Contract_Type": "PM",
                "Customer_Code": job["Customer_Code"],
                "Begin_Date": date(2026, 1, 1),
                "End_Date": date(2026, 12, 31),
                "WO_Type": "SVC",
                "Contract_Amount": money(rng, 2000, 20000),
                "Basis": "S",
                "Sales_Tax_Code": "AUSTIN",
                "Taxable_Flag": "Y",
                "Status": "A",
            }
        )


# ---------------------------------------------------------------------------------------------------
# Entry point


def _company_rows(
    rng: random.Random, company: str, customers: int, vendors: int, jobs: int, prefix: str = "", phases: int = 5
) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[Any]] = {t: [] for t in _TABLE_ORDER}
    for table, rows in _reference_rows(company).items():
        out[table].extend(rows)
    cust = list(customer_rows(rng, company, customers, prefix=f"C{prefix}" if prefix else ""))
    out["CR_CUSTOMER_MASTER_MC"] = cust
    for c in cust[:10]:
        out["CR_CUSTOMER_UDF_MC"].append(
            {
                "Company_Code": company,
                "Customer_Code": c["Customer_Code"],
                "UDF1": rng.choice(("North", "South")),
                "UDF2": None,
                **{f"UDF{n}": None for n in range(3, 21)},
            }
        )
    vend = list(vendor_rows(rng, company, vendors, prefix=f"V{prefix}" if prefix else ""))
    out["VN_VENDOR_MASTER_MC"] = vend
    active_customers = [c["Customer_Code"] for c in cust if c["Status"] == "A"]
    job_list = list(job_rows(rng, company, jobs, active_customers, 24001 if company == "DC1" else 34001))
    out["JC_JOB_MASTER_MC"] = job_list
    for job in job_list:
        out["JC_PHASE_MASTER_MC"].extend(phase_rows(rng, job, phases))
        out["CR_CONTRACT_MASTER_MC"].append(_contract_row(rng, job))
        out["JC_JOB_UDF_MC"].append(
            {
                "Company_Code": company,
                "Job_Number": job["Job_Number"],
                "UDF1": rng.choice(("Commercial", "Public")),
                "UDF2": f"Bid {rng.randint(100, 999)}",
                **{f"UDF{n}": None for n in range(3, 21)},
            }
        )
    vendor_codes = [v["Vendor_Code"] for v in vend if v["Status"] == "A"]
    _ar_documents(rng, company, job_list, out)
    _po_documents(rng, company, job_list, vendor_codes, out)
    _other_documents(rng, company, job_list, vendor_codes, out)
    return out


_TABLE_ORDER = (
    "JC_COST_TYPE_MASTER_MC",
    "GL_DEPARTMENT_MASTER_MC",
    "GL_ACCOUNT_MASTER_MC",
    "CR_SALES_TAX_MASTER_MC",
    "CR_SALES_TAX_RATE_HISTORY_MC",
    "VN_USE_TAX_MASTER_MC",
    "VN_USE_TAX_RATE_HISTORY_MC",
    "CR_CUSTOMER_MASTER_MC",
    "CR_CUSTOMER_UDF_MC",
    "VN_VENDOR_MASTER_MC",
    "JC_JOB_MASTER_MC",
    "JC_JOB_UDF_MC",
    "JC_PHASE_MASTER_MC",
    "CR_CONTRACT_MASTER_MC",
    "CR_INVOICE_HEADER_MC",
    "CR_INVOICE_DETAIL_MC",
    "CR_PAY_ADJUST_HISTORY_MC",
    "PO_PURCHASE_ORDER_HEADER_MC",
    "PO_PURCHASE_ORDER_DETAIL_MC",
    "PO_RECEIVING_HISTORY_MC",
    "VN_GL_DISTRIBUTION_HEADER_MC",
    "VN_GL_DISTRIBUTION_DETAIL_MC",
    "VN_SUBCONTRACT_MC",
    "VN_SUBCONTRACT_DETAIL_MC",
    "CR_CHANGE_ORDER_HEADER_MC",
    "CR_CHANGE_ORDER_DETAIL_MC",
    "WO_HEADER_MC",
    "SC_CONTRACT_MC",
)


def build(
    profile: str = "demo", customers: int | None = None, seed_value: int = 482
) -> dict[str, list[dict[str, Any]]]:
    """All seed rows by table, without touching a database (tests compare what they read with these)."""
    rng = random.Random(seed_value)
    merged: dict[str, list[dict[str, Any]]] = {t: [] for t in _TABLE_ORDER}
    if profile == "demo":
        plan = [("DC1", customers or 36, 24, 12, ""), ("DC2", customers or 24, 16, 9, "")]
        phases = 5
    elif profile == "large":
        n = customers if customers is not None else 100_000
        plan = [("DC1", n, max(n // 10, 16), max(n // 100, 9), "L"), ("DC2", 24, 16, 9, "")]
        phases = 3
    else:
        raise ValueError(f"unknown seed profile {profile!r}: use 'demo' or 'large'")
    for company, n_customers, n_vendors, n_jobs, prefix in plan:
        rows = _company_rows(rng, company, n_customers, n_vendors, n_jobs, prefix=prefix, phases=phases)
        for table, table_rows in rows.items():
            merged[table].extend(table_rows)
    return merged


def seed(store: Store, profile: str = "demo", customers: int | None = None, seed_value: int = 482) -> dict[str, int]:
    """Insert the profile's rows into ``store`` (schema must exist); returns row counts by table."""
    counts: dict[str, int] = {}
    for table, rows in build(profile, customers, seed_value).items():
        if rows:
            store.insert_many(table, rows)
        counts[table] = len(rows)
    store.analyze()
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Create and seed the Spectrum simulator store.")
    parser.add_argument("url", help="sqlite:///path or postgresql://...")
    parser.add_argument("--profile", default="demo", choices=("demo", "large"))
    parser.add_argument("--customers", type=int, default=None)
    parser.add_argument(
        "--naming", choices=NAMINGS, default=None, help="table names (docs/spectrum.md#info-link-schema)"
    )
    args = parser.parse_args(argv)
    with Store.open(args.url, naming=args.naming) as store:
        existing = store.query(_EXISTS_SQL[store.dialect])
        if int(existing[0]["n"]) == 0:
            store.create_schema()
        counts = seed(store, args.profile, args.customers)
    print(", ".join(f"{t}={n}" for t, n in counts.items() if n))


_EXISTS_SQL = {
    "sqlite": "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = 'CR_CUSTOMER_MASTER_MC'",
    "postgresql": "SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = 'cr_customer_master_mc'",
}


if __name__ == "__main__":
    main()
