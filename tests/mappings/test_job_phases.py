"""A job Spectrum already has: AddPhase only for the phases that are new or changed since the mirror
read them; a new job sends every phase."""

from __future__ import annotations

from typing import Any

from mappings.rules import Known, MappingRules
from spectrum_sync.catalogue.job import map_job

MIRRORED = {  # as the import mirrors JC_PHASE_MASTER_MC (connectors.spectrum.records.Phase.as_dict)
    "AC1|J100|0100|L": {"description": "Labor     ", "unit_of_measure": "HR", "original_estimated_dollars": "1500.00"},
    "AC1|J100|0200|M": {"description": "Materials", "unit_of_measure": "", "original_estimated_dollars": "800.00"},
}


def job(*phases: dict[str, Any]) -> dict[str, Any]:
    return {"job_number": "J100", "description": "Main street", "phases": list(phases)}


def labor(**changes: Any) -> dict[str, Any]:
    return {"phase_code": "0100", "cost_type": "L", "description": "Labor", "unit_of_measure": "HR",
            "budget_amount": "1500", **changes}  # fmt: skip


def materials(**changes: Any) -> dict[str, Any]:
    return {"phase_code": "0200", "cost_type": "M", "description": "Materials", "budget_amount": "800.00", **changes}


def sent_phases(document: dict[str, Any], known: Known) -> list[str]:
    mapped = map_job(document, MappingRules(), known, "AC1")
    assert mapped.problems == []
    return [f"{c.fields['Phase_Code']}|{c.fields['Cost_Type']}" for c in mapped.calls if c.service == "AddPhase"]


KNOWN = Known(job_exists_in_spectrum=True, phases=MIRRORED)


def test_unchanged_phases_of_a_known_job_are_not_sent_again() -> None:
    mapped = map_job(job(labor(), materials()), MappingRules(), KNOWN, "AC1")
    assert [c.service for c in mapped.calls] == ["UpdateJob"]


def test_a_changed_budget_is_sent() -> None:
    # Negative control of the one above: the same job with one budget changed.
    assert sent_phases(job(labor(budget_amount="1750.00"), materials()), KNOWN) == ["0100|L"]


def test_a_changed_description_or_unit_and_a_new_phase_are_sent() -> None:
    assert sent_phases(job(labor(description="Site labor"), materials()), KNOWN) == ["0100|L"]
    assert sent_phases(job(labor(unit_of_measure="DAY"), materials()), KNOWN) == ["0100|L"]
    new = {"phase_code": "0300", "cost_type": "L", "description": "Cleanup"}
    assert sent_phases(job(labor(), materials(), new), KNOWN) == ["0300|L"]


def test_a_phase_the_mirror_cannot_show_unchanged_is_sent() -> None:
    # The mirror holds the current estimate's quantity and hours, not the originals AddPhase sends.
    assert sent_phases(job(labor(budget_hours="40"), materials()), KNOWN) == ["0100|L"]
    # Read through web services the mirror has no original budget: it cannot be compared.
    current_only = {key: {**row, "original_estimated_dollars": None} for key, row in MIRRORED.items()}
    assert sent_phases(job(labor()), Known(job_exists_in_spectrum=True, phases=current_only)) == ["0100|L"]


def test_a_new_job_sends_every_phase_whatever_the_mirror_holds() -> None:
    known = Known(job_exists_in_spectrum=False, phases=MIRRORED)
    mapped = map_job(job(labor(), materials()), MappingRules(), known, "AC1")
    assert [c.service for c in mapped.calls] == ["AddJob", "AddPhase", "AddPhase"]
