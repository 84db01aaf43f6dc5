"""Spectrum's error codes, messages and columns, in plain words, with the screen to fix them in.

Spectrum answers a rejected Put with ``error_code`` (A abort, I invalid, M missing), ``desc`` and
``column`` (docs/spectrum.md#replies-and-codes). Accountants should not have to know that
``I / GL_Account`` means "the revenue GL account we sent does not exist in Spectrum". Each rule
below matches on the column and/or words of the message; the first match wins, so specific rules
come before general ones. ``fix`` names a screen (see :data:`FIX_SCREENS`). The admin's record
page and the notification emails both speak these words, so they live below both.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse

from spectrum_sync.models import Direction, SyncRecord


@dataclass(frozen=True)
class Rule:
    code: str  # "" matches any code
    column: str  # regular expression on Spectrum's column, "" matches any
    message: str  # regular expression on Spectrum's message, "" matches any; named groups fill ``plain``
    plain: str
    fix: str


@dataclass(frozen=True)
class Explanation:
    plain: str
    fix: str
    fix_label: str
    fix_url: str


# Where each kind of problem is fixed: (label, admin URL names tried in order).
FIX_SCREENS: dict[str, tuple[str, tuple[str, ...]]] = {
    "gl_mapping": (
        "GL account mapping",
        ("admin:mappings_glaccountmapping_changelist", "admin:mappings_glmapping_changelist"),
    ),
    "department_mapping": (
        "Department ↔ class mapping",
        ("admin:mappings_departmentmapping_changelist", "admin:mappings_departmentclassmapping_changelist"),
    ),
    "tax_mapping": (
        "Tax code defaults",
        ("admin:mappings_taxcodedefault_changelist", "admin:mappings_taxdefault_changelist"),
    ),
    "udf_mapping": (
        "UDF configuration",
        ("admin:mappings_udfmapping_changelist", "admin:mappings_udfconfig_changelist"),
    ),
    "connection": ("Tenant's Spectrum connection", ("admin:spectrum_sync_tenant_changelist",)),
    "spectrum_customer": ("Customers mirrored from Spectrum", ("admin:spectrum_sync_mirrorrecord_changelist",)),
    "spectrum_job": ("Jobs mirrored from Spectrum", ("admin:spectrum_sync_mirrorrecord_changelist",)),
    "spectrum": ("Spectrum itself (the setting lives there)", ()),
    "platform": ("The document on the operations platform", ()),
    "worker_logs": ("The worker logs (implementation staff)", ()),
}

RULES: tuple[Rule, ...] = (
    # Our own codes first (the export engine's): CFG = setup incomplete, E = configuration, U = unexpected,
    # WORKER = set aside because workers kept dying on it.
    Rule(
        "WORKER",
        "",
        "",
        "Our worker process stopped every time it worked on this document (a crash, running out of memory or "
        "being killed), so it was set aside to keep other documents flowing. Nothing was entered twice. Ask "
        "implementation staff to check the worker logs for this record; once the cause is fixed, retry it.",
        "worker_logs",
    ),
    Rule(
        "CFG",
        "",
        r"GL account mapping",
        "This tenant's GL account mappings do not cover this document; nothing was sent. Add the rows it "
        "needs (each is listed with a form to add it): once they are all there it is sent by itself.",
        "gl_mapping",
    ),
    Rule("CFG", "", r"tax", "No tax code default fits this document. Add one, then retry.", "tax_mapping"),
    Rule("CFG", "", r"UDF", "The UDF configuration does not fit this document. Fix it, then retry.", "udf_mapping"),
    Rule(
        "CFG",
        "",
        "",
        "This tenant's setup is incomplete for this document (see the message). Complete it, then retry.",
        "connection",
    ),
    Rule(
        "E",
        "",
        r"configuration",
        "This tenant's connection settings are incomplete or wrong; nothing was sent. Fix them on the tenant, "
        "then retry.",
        "connection",
    ),
    Rule(
        "U",
        "",
        "",
        "An unexpected error stopped the export before Spectrum answered. Retry; if it happens again, the "
        "attempt history below has the details for support.",
        "spectrum",
    ),
    Rule(
        "A",
        "",
        r"not authori[sz]ed|authorization id",
        "Spectrum refused the Authorization ID for this web service. In Spectrum, open System Administration > "
        "Installation > Data Exchange, select the Authorization ID, make sure it is Active and that this service "
        "is under Authorized Web Services, then run Test connection. Exports for this tenant wait until then.",
        "connection",
    ),
    Rule(
        "A",
        "",
        "",
        "Spectrum aborted the whole request (usually security). Check the tenant's Authorization ID and "
        "company codes, then run Test connection.",
        "connection",
    ),
    Rule(
        "",
        "",
        r"time out has occurred",
        "Spectrum's session (GUID) for this service expired. Retrying sends it with a new one.",
        "spectrum",
    ),
    Rule(
        "I",
        r"GL_Account|AR_GL_Account|Revenue_GL|Expense_GL",
        r"mask",
        "The GL account has the wrong shape for this company's GL mask (digits, no dashes, right length). "
        "Correct the GL account in the mapping for this department / line kind.",
        "gl_mapping",
    ),
    Rule(
        "I",
        r"GL_Account|AR_GL_Account|Revenue_GL|Expense_GL",
        "",
        "Spectrum does not accept this GL account (it does not exist, is inactive or is a direct account). "
        "Map the invoice's department and line kind to a valid revenue GL account, then retry.",
        "gl_mapping",
    ),
    Rule(
        "M",
        r"GL_Account",
        "",
        "No GL account was sent and Spectrum has no default for it. Add a GL account mapping for this department "
        "and line kind, then retry.",
        "gl_mapping",
    ),
    Rule(
        "",
        r"Cost_Center|Department",
        "",
        "The department / cost center is not valid in Spectrum for this GL account. Fix the department mapping.",
        "department_mapping",
    ),
    Rule(
        "",
        r"Customer_Code|Customer",
        "",
        "The customer is not in Spectrum under this code (or is inactive). Create it in Spectrum or correct the "
        "customer on the platform; the next customer poll makes it selectable here.",
        "spectrum_customer",
    ),
    Rule(
        "",
        r"Job_Number|Job",
        "",
        "The job is not in Spectrum, or is closed. Export the job first (or reopen it in Spectrum), then retry.",
        "spectrum_job",
    ),
    Rule(
        "M",
        r"Cost_Type",
        r"line (?P<line>\d+) has no cost type",
        "Line {line} of this PO receipt has no cost type: the platform sent it without a phase and cost type, "
        "so there is nothing to charge the material to. Assign the line's phase and cost type on the platform "
        "(the PO line in the purchase order), then export the receipt again.",
        "platform",
    ),
    Rule(
        "",
        r"Phase|Cost_Type",
        "",
        "The phase or cost type does not exist on this job in Spectrum. Add it to the job's phases, then retry.",
        "spectrum_job",
    ),
    Rule(
        "",
        r"Sales_Tax_Code|Tax",
        "",
        "Spectrum does not know this sales tax code, or needs one because its default is 'No Default'. Set the tax "
        "code default for this tenant.",
        "tax_mapping",
    ),
    Rule(
        "",
        r"Invoice_Or_Transaction|Invoice_Number",
        r"duplicate|already|exists|unique",
        "An invoice with this number is already in Spectrum. If it was entered by hand, bypass this record with a "
        "note; otherwise renumber it on the platform.",
        "platform",
    ),
    Rule(
        "",
        r"GL_Date|Invoice_Date|Date",
        r"range|period|processing",
        "The date is outside Spectrum's open processing range for this module. Ask accounting to open the period "
        "(or change the date on the platform), then retry.",
        "spectrum",
    ),
    Rule(
        "",
        r"Company_Code",
        "",
        "The company code is not one this Authorization ID may use. Check the tenant's company codes.",
        "connection",
    ),
    Rule(
        "",
        r"UDF",
        "",
        "A user-defined field value is not accepted. Check the UDF configuration for this object.",
        "udf_mapping",
    ),
    Rule(
        "I",
        "",
        r"positive|negative",
        "Spectrum needs positive amounts; a negative total must be sent as a credit memo. Correct the document "
        "on the platform.",
        "platform",
    ),
    Rule(
        "M",
        "",
        "",
        "Spectrum needs a value that was not sent (named in the column). Fill it on the platform or set a default "
        "in the mappings.",
        "platform",
    ),
    Rule(
        "I",
        "",
        "",
        "Spectrum rejected the value in the named column. Correct it on the platform or in the mappings, then retry.",
        "platform",
    ),
)

UNKNOWN_OUTCOME = (
    "Spectrum did not answer clearly (timeout or unreadable reply). Before any resend the document is looked up in "
    "Spectrum by its number, so it is never entered twice."
)


def _resolve(fix: str) -> tuple[str, str]:
    label, url_names = FIX_SCREENS[fix]
    for name in url_names:
        try:
            return label, reverse(name)
        except NoReverseMatch:
            continue
    return label, ""


def explain(code: str, message: str, column: str, held_reason: str = "") -> Explanation | None:
    """Plain words for Spectrum's (code, message, column); None when there is no error."""
    if not (code or message or column):
        if held_reason:
            return Explanation(held_reason, "", "", "")
        return None
    for rule in RULES:
        if rule.code and rule.code != code.upper():
            continue
        if rule.column and not re.search(rule.column, column or "", re.IGNORECASE):
            continue
        found = re.search(rule.message, message or "", re.IGNORECASE) if rule.message else None
        if rule.message and not found:
            continue
        label, url = _resolve(rule.fix)
        plain = (
            rule.plain.format(**{k: v.lstrip("0") or v for k, v in found.groupdict().items()}) if found else rule.plain
        )
        return Explanation(plain, rule.fix, label, url)
    return Explanation(UNKNOWN_OUTCOME if code.lower() == "unknown" else message, "", "", "")


# --- who found a record's problem: the admin's record page and the emails say it the same way ---------

FOUND_BEFORE_SENDING = "Found before sending (pre-flight):"
SPECTRUM_ANSWERED = "Spectrum answered:"
PLATFORM_ANSWERED = "The platform said:"
_SPECTRUM_OUTCOMES = ("rejected", "authorization")


def problem_source(record: SyncRecord) -> str:
    """Who found the record's problem: Spectrum, in an answer to this round's send, or our pre-flight."""
    if record.direction == Direction.IMPORT:
        return PLATFORM_ANSWERED
    answers = record.attempts.filter(outcome__in=_SPECTRUM_OUTCOMES)
    if record.sent_at:
        answers = answers.filter(started_at__gte=record.sent_at)
    return SPECTRUM_ANSWERED if answers.exists() else FOUND_BEFORE_SENDING
