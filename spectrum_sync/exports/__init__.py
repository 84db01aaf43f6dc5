"""Exports: platform documents to Spectrum, exactly once.

- :mod:`.documents` — one declaration per document type (API name, mapper, how to look it up).
- :mod:`.intake` — the one write path for a new document (used by the inbound API).
- :mod:`.preflight` — builds what the mirror knows and maps the document (dry-run uses it too).
- :mod:`.engine` — claim, send, record attempts, decide the outcome, back off, reconcile, sweep.
- :mod:`.actions` — what an accountant does from the admin: retry, bypass, release holds.
"""
