"""The report on seeded data: a Spectrum-only and a mismatched invoice are listed; a clean month lists nothing."""

from __future__ import annotations

import datetime as dt

import pytest

from spectrum_sync.models import MirrorRecord, PollSchedule, SpectrumConnection, Tenant
from spectrum_sync.reconciliation import report as recon
from spectrum_sync.reconciliation.period import parse_month
from tests.fixtures_spectrum_db import SpectrumDB
from tests.reconciliation.conftest import COMPANY, a_customer, exported_invoice, spectrum_invoice

pytestmark = pytest.mark.django_db

MARCH = parse_month("2026-03")
APRIL = parse_month("2026-04")


def seed_march(tenant: Tenant, spectrum: SpectrumDB) -> None:
    customer = a_customer(spectrum)
    spectrum_invoice(spectrum, "S2001", dt.date(2026, 3, 10), "1000.00", "82.50")  # typed in Spectrum by hand
    # The platform totalled 596.50 with its tax line 16.50; Spectrum taxed 580 at the job's rate: 14.56.
    spectrum_invoice(spectrum, "S2002", dt.date(2026, 3, 12), "580.00", "14.56")
    exported_invoice(tenant, "S2002", dt.date(2026, 3, 12), "580.00", "16.50", customer)
    spectrum_invoice(spectrum, "S2003", dt.date(2026, 3, 20), "200.00", "16.50")  # the same on both sides
    exported_invoice(tenant, "S2003", dt.date(2026, 3, 20), "200.00", "16.50", customer)


def invoice_line(report: object) -> dict:
    return next(line for line in report.summary["documents"] if line["type"] == "ar_invoice")  # type: ignore[attr-defined]


def test_lists_the_spectrum_only_and_the_mismatched_invoice(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    seed_march(wired, spectrum_db)
    report = recon.run(wired, COMPANY, *MARCH)
    assert report.error == ""
    found = sorted((d["kind"], d["number"]) for d in report.differences)
    assert found == [("mismatch", "S2002"), ("only_spectrum", "S2001")]
    mismatch = next(d for d in report.differences if d["kind"] == "mismatch")
    assert (mismatch["ours"], mismatch["spectrum"], mismatch["difference"]) == ("596.50", "594.56", "-1.94")
    assert "tax is 14.56" in mismatch["reason"] and "16.50" in mismatch["reason"]
    line = invoice_line(report)
    assert line["ours"] == {"count": 2, "total": "813.00"}
    assert line["spectrum"] == {"count": 3, "total": "1893.56"}
    assert (line["only_ours"], line["only_spectrum"], line["mismatched"]) == (0, 1, 1)
    assert report.summary["counts"]["differences"] == 2
    assert ReconciliationStored.count(wired) == 1


def test_a_clean_month_lists_nothing(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    """Negative control: the same documents on both sides, to the cent."""
    seed_march(wired, spectrum_db)
    customer = a_customer(spectrum_db)
    spectrum_invoice(spectrum_db, "S3001", dt.date(2026, 4, 2), "750.00", "61.88")
    exported_invoice(wired, "S3001", dt.date(2026, 4, 2), "750.00", "61.88", customer)
    report = recon.run(wired, COMPANY, *APRIL)
    assert report.error == "" and report.differences == []
    assert invoice_line(report)["ours"] == invoice_line(report)["spectrum"] == {"count": 1, "total": "811.88"}


def test_an_export_spectrum_lost_and_one_dated_differently(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    customer = a_customer(spectrum_db)
    exported_invoice(wired, "S4001", dt.date(2026, 3, 5), "100.00", "0", customer)  # never reached Spectrum
    spectrum_invoice(spectrum_db, "S4002", dt.date(2026, 4, 1), "300.00", "0")
    exported_invoice(wired, "S4002", dt.date(2026, 3, 31), "300.00", "0", customer)
    report = recon.run(wired, COMPANY, *MARCH)
    found = {d["number"]: d for d in report.differences}
    assert set(found) == {"S4001", "S4002"}
    assert found["S4001"]["kind"] == "only_ours" and found["S4001"]["record_id"]
    assert found["S4002"]["kind"] == "mismatch" and "Dated 2026-04-01 in Spectrum" in found["S4002"]["reason"]
    # April: Spectrum's S4002 is the platform's (dated in March), not a stranger.
    april = recon.run(wired, COMPANY, *APRIL)
    assert [(d["kind"], d["number"]) for d in april.differences] == [("mismatch", "S4002")]


def test_without_database_access_the_report_says_so(tenant: Tenant) -> None:
    exported_invoice(tenant, "S5001", dt.date(2026, 3, 5), "100.00", "0")
    SpectrumConnection.objects.filter(tenant=tenant).update(company_codes=COMPANY)
    report = recon.run(tenant, COMPANY, *MARCH)
    assert "no Info-Link database access" in report.error
    assert report.differences == []
    assert invoice_line(report)["ours"] == {"count": 1, "total": "100.00"}
    assert invoice_line(report)["spectrum"]["count"] is None


def test_unreachable_database_is_an_error_not_a_crash(wired: Tenant) -> None:
    SpectrumConnection.objects.filter(tenant=wired).update(db_port=1)
    wired.refresh_from_db()
    report = recon.run(wired, COMPANY, *MARCH)
    assert report.error.startswith("Spectrum's database could not be read")
    assert len(report.summary["documents"]) == 6


def test_mirror_drift_names_the_record_a_poll_missed(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    PollSchedule.objects.create(tenant=wired, object_type="gl_department")
    departments = [
        r["Department"] for r in spectrum_db.seed_rows["GL_DEPARTMENT_MASTER_MC"] if r["Company_Code"] == COMPANY
    ]
    for department in departments:
        MirrorRecord.objects.create(
            tenant=wired,
            object_type="gl_department",
            key=f"{COMPANY}|{department}",
            company_code=COMPANY,
            row_hash="0" * 32,
        )
    clean = recon.run(wired, COMPANY, *MARCH).summary["mirror"]
    assert clean == [
        {**clean[0], "type": "gl_department", "mirror": len(departments), "spectrum": len(departments), "drift": 0}
    ]
    spectrum_db.store.insert("GL_DEPARTMENT_MASTER_MC", {"Company_Code": COMPANY, "Department": "99", "Status": "A"})
    drift = recon.run(wired, COMPANY, *MARCH).summary["mirror"][0]
    assert (drift["mirror"], drift["spectrum"], drift["drift"]) == (len(departments), len(departments) + 1, 1)
    assert drift["missing_from_mirror"] == ["99"]


class ReconciliationStored:
    @staticmethod
    def count(tenant: Tenant) -> int:
        return tenant.reconciliations.count()


def test_a_job_updated_in_the_month_is_not_dated_differently(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    """A job carries no date of its own: an update accepted in March of a job Spectrum created earlier
    matches by number; its contract amount still counts."""
    from django.utils import timezone

    from spectrum_sync.models import Direction, SyncRecord, SyncStatus

    job = next(
        r for r in spectrum_db.seed_rows["JC_JOB_MASTER_MC"] if r["Company_Code"] == COMPANY and r["Original_Contract"]
    )
    accepted = timezone.make_aware(dt.datetime(2026, 3, 15, 12))
    for number, contract in (("1", job["Original_Contract"]), ("2", job["Original_Contract"] + 1)):
        SyncRecord.objects.create(
            tenant=wired,
            direction=Direction.EXPORT,
            object_type="job",
            platform_id=f"job-{number}",
            version="1",
            document_number=job["Job_Number"],
            company_code=COMPANY,
            status=SyncStatus.SUCCEEDED,
            idempotency_key=f"job-{number}",
            payload={
                "job_number": job["Job_Number"] if number == "1" else "NOSUCHJOB",
                "original_contract": str(contract),
            },
            finished_at=accepted,
        )
    found = [(d["kind"], d["number"]) for d in recon.run(wired, COMPANY, *MARCH).differences if d["type"] == "job"]
    assert found == [("only_ours", "NOSUCHJOB")]  # the real job matches; the other is missing (negative control)


def test_read_back_says_whether_spectrum_changed_since(wired: Tenant, spectrum_db: SpectrumDB) -> None:
    """The difference was already there at read-back (the tenant chose to send and warn) — or it was not."""
    customer = a_customer(spectrum_db)
    spectrum_invoice(spectrum_db, "S6001", dt.date(2026, 3, 12), "580.00", "14.56")
    exported_invoice(
        wired, "S6001", dt.date(2026, 3, 12), "580.00", "16.50", customer, readback={"spectrum": {"total": "594.56"}}
    )
    spectrum_invoice(spectrum_db, "S6002", dt.date(2026, 3, 13), "500.00", "0")
    exported_invoice(
        wired, "S6002", dt.date(2026, 3, 13), "600.00", "0", customer, readback={"spectrum": {"total": "600.00"}}
    )
    found = {d["number"]: d for d in recon.run(wired, COMPANY, *MARCH).differences}
    assert found["S6001"]["readback"] == "594.56" and "Read-back saw the same amount" in found["S6001"]["reason"]
    assert "It was 600.00 when read back after the export: changed in Spectrum since." in found["S6002"]["reason"]
