"""A job update: AddPhase only for the phases that changed, beside sending every phase.

A job Spectrum already has (its row in the mirror) with 200 phases mirrored as the phase poll
writes them (``bulk.record_data`` of each ``Phase``). The platform sends the job again with 3 of
the 200 phases changed (a budget, a description, a unit). What is measured is what the export
would send: the calls of ``preflight.run``, the same function the export worker maps with (it reads
the tenant's rules and the mirror from the database).

Baseline in the same run: the same update with the phases not compared (the job known, its
phases not in the mirror), which is what sending every phase on every update amounts to. The
time of one pre-flight is printed for both: comparing 200 phases costs one query and a few
milliseconds.

Run (PostgreSQL on loopback; uses its own database ``bench_jobs``, emptied first):

    .venv/bin/python bench/job_update.py [--phases 200] [--changed 3]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from figures import figure  # noqa: E402 (bench/ itself is on the path of a script run from it)
from local import PG, fresh_database  # noqa: E402

DATABASE = "bench_jobs"
JOB = "J500"


def phase_code(i: int) -> str:
    return f"{i:04d}"


def platform_phase(i: int) -> dict[str, Any]:
    return {
        "phase_code": phase_code(i),
        "cost_type": "L",
        "description": f"Phase {i}",
        "unit_of_measure": "HR",
        "budget_amount": f"{1000 + i}.00",
    }


def changed_document(phases: int, changed: int) -> dict[str, Any]:
    """The job as the platform sends it again: ``changed`` phases differ from what Spectrum holds."""
    lines = [platform_phase(i) for i in range(1, phases + 1)]
    edits = ({"budget_amount": "99999.00"}, {"description": "Renamed on the platform"}, {"unit_of_measure": "DAY"})
    for n in range(changed):
        lines[n * (phases // max(changed, 1))].update(edits[n % len(edits)])
    return {"document_id": "job-500", "version": "2", "job_number": JOB, "description": "Main street", "phases": lines}


def mirror(tenant: Any, phases: int) -> None:
    """The job and its phases as the import mirrors them from JC_PHASE_MASTER_MC."""
    from connectors.spectrum.records import Phase
    from spectrum_sync.imports import bulk
    from spectrum_sync.models import MirrorRecord

    rows = [MirrorRecord(tenant=tenant, object_type="job", key=f"DC1|{JOB}", company_code="DC1", row_hash="j")]
    for i in range(1, phases + 1):
        held = Phase(
            company_code="DC1",
            job_number=JOB,
            phase_code=phase_code(i),
            cost_type="L",
            description=f"Phase {i}",
            unit_of_measure="HR",
            original_estimated_dollars=Decimal(f"{1000 + i}.00"),
        )
        rows.append(
            MirrorRecord(
                tenant=tenant,
                object_type="phase",
                key=held.key,
                company_code="DC1",
                row_hash=f"p{i}",
                data=bulk.record_data(held),
            )
        )
    MirrorRecord.objects.bulk_create(rows)


def add_phases(tenant: Any, document: dict[str, Any], repeats: int) -> tuple[int, float, list[str]]:
    """(AddPhase calls, median ms of one pre-flight, problems) for ``document``."""
    from spectrum_sync.exports import preflight

    times: list[float] = []
    calls: list[Any] = []
    problems: list[str] = []
    for _ in range(repeats):
        started = time.perf_counter()
        check = preflight.run(tenant, "job", document)
        times.append((time.perf_counter() - started) * 1000)
        calls = check.mapped.calls
        problems = [p.message for p in check.mapped.problems] + check.config_problems
    return sum(1 for c in calls if c.service == "AddPhase"), statistics.median(times), problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--phases", type=int, default=200)
    parser.add_argument("--changed", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=21)
    args = parser.parse_args()
    os.environ.update(
        {"DATABASE_URL": f"{PG}/{DATABASE}", "DJANGO_SETTINGS_MODULE": "spectrum_sync.settings", "LOG_LEVEL": "WARNING"}
    )
    fresh_database(DATABASE)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from spectrum_sync.models import MirrorRecord, SpectrumConnection, Tenant

    tenant = Tenant.objects.create(name="Bench jobs", slug="bench-jobs")
    SpectrumConnection.objects.create(
        tenant=tenant, base_url="http://127.0.0.1:9", authorization_id="bench", company_codes="DC1"
    )
    mirror(tenant, args.phases)
    document = changed_document(args.phases, args.changed)

    sent, compared_ms, problems = add_phases(tenant, document, args.repeats)
    if problems:
        raise SystemExit(f"the job does not map cleanly: {problems}")
    unchanged, _ms, _ = add_phases(tenant, changed_document(args.phases, 0), 3)
    MirrorRecord.objects.filter(tenant=tenant, object_type="phase").delete()  # the baseline: nothing to compare
    every, baseline_ms, _ = add_phases(tenant, document, args.repeats)

    print(f"job {JOB} known to Spectrum, {args.phases} phases mirrored, {args.changed} changed on the platform")
    print(f"{'':44} {'AddPhase calls':>15} {'pre-flight ms p50':>18}")
    print(f"{'phases compared with the mirror':44} {sent:>15} {compared_ms:>18.1f}")
    print(f"{'the same update, nothing changed':44} {unchanged:>15}")
    print(f"{'baseline: every phase sent':44} {every:>15} {baseline_ms:>18.1f}")
    if sent != args.changed or unchanged != 0:
        raise SystemExit(f"expected {args.changed} AddPhase calls and none unchanged; got {sent} and {unchanged}")
    print()
    figure(f"AddPhase calls, {args.changed} of {args.phases} phases changed", sent, "", every, "baseline", 0)
    figure("job pre-flight with the phases compared", compared_ms, "ms", baseline_ms, "baseline")


if __name__ == "__main__":
    main()
