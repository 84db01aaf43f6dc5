"""The screens of this app on the admin site: Django autodiscovers this module, which loads them.

Each screen lives in :mod:`spectrum_sync.adminsite` and registers itself with ``@admin.register``:
tenants and poll schedules in ``tenants``, the history and failed queue in ``records``, attempts,
runs and the mirror in ``ledger``, deletions waiting for confirmation in ``deletions``. Every one
is scoped to the tenants the user serves.
"""

from __future__ import annotations

# approvals: the approval rules and the accountants' approval queue.
from spectrum_sync.adminsite import approvals, deletions, ledger, records, tenants  # noqa: F401  (registers the screens)
from spectrum_sync.reconciliation import admin as reconciliation_admin  # noqa: F401  (the reconciliation screen)
