"""The reconciliation report: the platform's exports of a period against what Spectrum holds.

See docs/architecture.md#reconciliation.
"""
