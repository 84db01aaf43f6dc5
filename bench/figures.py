"""The last lines of every benchmark: one per figure, beside what it is measured against.

    burst throughput: 17.2 docs/s = 0.86 of ceiling 20.0

``ceiling`` is a limit the figure should stay under (or the most it can reach), ``target`` a floor it
should reach, ``baseline`` the naive way measured in the same run.
"""

from __future__ import annotations


def figure(name: str, value: float, unit: str, reference: float, against: str, digits: int = 1) -> str:
    """``<name>: <figure> = <ratio> of <against> <reference>``, printed and returned."""
    shown = f"{value:,.{digits}f}" + (f" {unit}" if unit else "")
    ratio = value / reference if reference else float("inf")
    line = f"{name}: {shown} = {ratio:.2f} of {against} {reference:,.{digits}f}"
    print(line, flush=True)
    return line
