"""The report's chart: per document type, the platform's total beside Spectrum's, as inline SVG bars.

Server-rendered like the dashboard (no script, nothing downloaded). Each type has its own scale
(its larger total fills the width): amounts and received quantities are not comparable across
types, only the two sides of one type are.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

OURS_COLOR, SPECTRUM_COLOR = "#2a6ebb", "#f0ad4e"
WIDTH, LABEL_W, VALUE_W = 720, 170, 150
BAR_H, GAP, GROUP_GAP = 14, 3, 14


def _number(text: str) -> Decimal | None:
    try:
        return Decimal(text) if text not in ("", None) else None
    except InvalidOperation:
        return None


def chart_lines(summary: dict[str, Any]) -> list[dict[str, Any]]:
    """The types with a total on either side, each with both values (None when a side has none)."""
    lines = []
    for line in summary.get("documents", []):
        ours = _number(line["ours"]["total"])
        theirs = _number(line["spectrum"]["total"])
        if ours is None and theirs is None:
            continue
        unit = "units received" if line.get("measure") == "quantity" else ""
        lines.append({"label": line["label"], "ours": ours, "spectrum": theirs, "unit": unit})
    return lines


def _bar(y: float, value: Decimal | None, top: Decimal, color: str, who: str, label: str) -> str:
    plot = WIDTH - LABEL_W - VALUE_W
    width = float(abs(value) / top * plot) if value is not None and top else 0.0
    shown = "none" if value is None else f"{value:,.2f}"
    title = escape(f"{label}, {who}: {shown}")
    return (
        f'<rect x="{LABEL_W}" y="{y:.1f}" width="{max(width, 1.0):.1f}" height="{BAR_H}" fill="{color}">'
        f"<title>{title}</title></rect>"
        f'<text x="{LABEL_W + width + 6:.1f}" y="{y + BAR_H - 3:.1f}" font-size="11" fill="#333">'
        f"{escape(who)} {escape(shown)}</text>"
    )


def render_svg(summary: dict[str, Any]) -> SafeString:
    """Grouped horizontal bars, "Platform" above "Spectrum" for each type; empty string without data."""
    lines = chart_lines(summary)
    if not lines:
        return mark_safe("")
    group_h = 2 * BAR_H + GAP + GROUP_GAP
    height = GROUP_GAP + group_h * len(lines)
    parts = [
        f'<svg class="recon-chart" role="img" aria-label="Totals per document type, platform and Spectrum" '
        f'viewBox="0 0 {WIDTH} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg"><title>Totals per document type: platform and Spectrum</title>'
    ]
    for index, line in enumerate(lines):
        y = GROUP_GAP + index * group_h
        values = [abs(v) for v in (line["ours"], line["spectrum"]) if v is not None]
        top = max(values, default=Decimal(0))
        caption = line["label"] + (f" ({line['unit']})" if line["unit"] else "")
        parts.append(
            f'<text x="{LABEL_W - 8}" y="{y + BAR_H + 2:.1f}" font-size="12" text-anchor="end" fill="#333">'
            f"{escape(caption)}</text>"
        )
        parts.append(_bar(y, line["ours"], top, OURS_COLOR, "Platform", line["label"]))
        parts.append(_bar(y + BAR_H + GAP, line["spectrum"], top, SPECTRUM_COLOR, "Spectrum", line["label"]))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 (every piece of text above is escaped)
