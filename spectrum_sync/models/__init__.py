"""The sync engine's data: tenants, their Spectrum connection, and the ledger.

The ledger has one row per synced item (:class:`SyncRecord`), one per attempt
(:class:`SyncAttempt`) and one per poll (:class:`SyncRun`); see :mod:`.ledger` for the state machine.
Every model is importable from here (``from spectrum_sync.models import SyncRecord``).
"""

from spectrum_sync.models.control import ApprovalRule, ReconciliationReport
from spectrum_sync.models.ledger import (
    ALLOWED_TRANSITIONS,
    Direction,
    IllegalTransition,
    ObjectType,
    SyncAttempt,
    SyncRecord,
    SyncStatus,
    Verification,
    type_choices,
    type_label,
)
from spectrum_sync.models.polling import BeatHeartbeat, MirrorRecord, PendingDeletion, PollSchedule, SyncRun
from spectrum_sync.models.tenants import SpectrumConnection, Tenant, company_code_list, validate_timezone

__all__ = [
    "ALLOWED_TRANSITIONS",
    "ApprovalRule",
    "BeatHeartbeat",
    "Direction",
    "IllegalTransition",
    "MirrorRecord",
    "ObjectType",
    "PendingDeletion",
    "PollSchedule",
    "ReconciliationReport",
    "SpectrumConnection",
    "SyncAttempt",
    "SyncRecord",
    "SyncRun",
    "SyncStatus",
    "Tenant",
    "Verification",
    "company_code_list",
    "type_choices",
    "type_label",
    "validate_timezone",
]
