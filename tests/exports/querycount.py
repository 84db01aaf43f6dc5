"""Ledger queries of one export, split by who made them (tests/exports/test_query_budget.py and
bench/export_throughput.py): the read-back's own apart from the rest of the run.

Each query counts once, for the innermost part it ran in: ``readback`` is what reading back adds
(``readback.first_look`` before the move, and ``readback.confirm_record`` when the document must be
looked at again, without the outcome it reports), ``outcome`` the notification and the
platform's result every export has (``after_outcome`` and ``tell_platform``), ``export`` the rest.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from spectrum_sync.exports import engine, readback, results


@contextmanager
def counted_parts(counts: dict[str, int]) -> Iterator[CaptureQueriesContext]:
    """While inside: ``counts`` gains each part's queries; yields the capture of all of them."""
    stack: list[list[Any]] = []  # [part, queries seen when it began, queries of the parts inside]

    def wrap(part: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any, **kwargs: Any) -> Any:
            frame = [part, len(connection.queries_log), 0]
            stack.append(frame)
            try:
                return function(*args, **kwargs)
            finally:
                stack.pop()
                inclusive = len(connection.queries_log) - frame[1]
                counts[part] = counts.get(part, 0) + inclusive - frame[2]
                if stack:
                    stack[-1][2] += inclusive

        return counted

    patches = [
        (readback, "first_look", "readback"),
        (readback, "confirm_record", "readback"),
        (readback, "after_outcome", "outcome"),
        (engine, "after_outcome", "outcome"),
        (results, "tell_platform", "outcome"),
    ]
    originals = [(module, name, getattr(module, name)) for module, name, _ in patches]
    wrapped = {id(getattr(module, name)): wrap(part, getattr(module, name)) for module, name, part in patches}
    # The log keeps the last 9,000 queries: once full its length no longer grows, and every count
    # here (lengths of it) would be 0. A long-running caller (bench/) has filled it long before.
    connection.queries_log.clear()
    with ExitStack() as exits:
        capture = exits.enter_context(CaptureQueriesContext(connection))
        for module, name, _ in patches:
            setattr(module, name, wrapped[id(getattr(module, name))])
        try:
            yield capture
        finally:
            for module, name, original in originals:
                setattr(module, name, original)
            counts["all"] = len(capture.captured_queries)
            counts["export"] = counts["all"] - counts.get("readback", 0) - counts.get("outcome", 0)


def export_queries(record_id: int) -> tuple[dict[str, int], list[str]]:
    """Process one record in this process: its queries by part, and the SQL of them all."""
    counts: dict[str, int] = {}
    with counted_parts(counts) as capture:
        engine.process(record_id)
    return counts, [q["sql"] for q in capture.captured_queries]
