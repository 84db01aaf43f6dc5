"""Failed import deliveries sent again, under the poll's lease, as a run of their own
(the accountant's retry of an import record: spectrum_sync/imports/actions.py)."""

from __future__ import annotations

import logging
import time

from spectrum_sync import connections
from spectrum_sync.imports import leases
from spectrum_sync.imports.declarations import get
from spectrum_sync.imports.engine import Change, DeliveryFailed, PlatformSender, Poll
from spectrum_sync.imports.runs import Counts, finish
from spectrum_sync.models import PollSchedule, SyncRun
from spectrum_sync.redaction import redact

logger = logging.getLogger(__name__)


def run_redelivery(
    schedule: PollSchedule, token: int, changes: list[Change], *, platform: PlatformSender | None = None
) -> SyncRun:
    """Deliver failed changes again under the poll's lease, as a run of their own.

    What succeeds is recorded exactly like a poll's delivery (mirror, a new import record, the
    earlier failures resolved); what fails again gets a new failed record with today's reason.
    """
    declaration = get(schedule.object_type)
    started = time.monotonic()
    run = SyncRun.objects.create(
        tenant=schedule.tenant, object_type=declaration.object_type, trigger=SyncRun.Trigger.RETRY, fencing_token=token
    )
    counts = Counts()
    error = ""
    owned_client = None
    try:
        if platform is None:
            platform = owned_client = connections.platform_client(schedule.tenant)
        poll = Poll(schedule, token, run, declaration, platform, counts=counts)
        for change in changes:
            poll.queue(change)
        poll.flush()
    except (DeliveryFailed, leases.LeaseLost) as exc:
        error = redact(str(exc))
    except Exception as exc:  # a bug must still end the run visibly, not leave it "running"
        logger.exception("redelivery of %s %s failed", schedule.tenant.slug, declaration.object_type)
        error = redact(f"Internal error ({type(exc).__name__}): {exc}")
    if owned_client is not None:
        owned_client.close()
    finish(schedule, token, run, counts, error, started, tell=False, is_poll=False)
    return run
