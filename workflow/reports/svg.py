"""Bar charts as inline SVG (diagram), drawn on the server so the HTML report prints as it shows."""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from workflow.reports.model import Chart, Column

PALETTE = ("#1b6ca8", "#6aa84f", "#e69138", "#cc0000", "#674ea7", "#999999")
#: Ordinal scales read from good (green) to bad (red), whatever their position.
COLOURS = {
    "compliant": "#2e7d32",
    "compliant_after_supplement": "#689f38",
    "largely_compliant_minor_remaining": "#ef8f00",
    "non_compliant": "#c62828",
    "very_good": "#2e7d32",
    "approved": "#689f38",
    "could_do_better": "#ef8f00",
    "deficient": "#c62828",
    "terminations": "#1b6ca8",
    "rescissions": "#8e24aa",
}


def _colour(key: str, i: int) -> str:
    return COLOURS.get(key, PALETTE[i % len(PALETTE)])


WIDTH = 720
LABEL_W = 260
ROW_H = 22


def render(chart: Chart, columns: list[Column], rows: list[dict[str, Any]]) -> Markup:
    """The chart for a table's rows; rows labelled 'Total' are left out of the bars."""
    rows = [r for r in rows if r.get(chart.label_key) != "Total"]
    if not rows:
        return Markup("")
    labels = {c.key: c.label for c in columns}
    if chart.kind == "stacked":
        body, height = _stacked(chart, rows)
    else:
        body, height = _grouped(chart, rows)
    legend_y = height + 8
    legend = []
    x = LABEL_W
    for i, key in enumerate(chart.series):
        raw = labels.get(key, key)
        item_w = 14 + 6 * len(raw) + 16
        if x + item_w > WIDTH and x > LABEL_W:
            x = LABEL_W
            legend_y += 14
        legend.append(
            f'<rect x="{x}" y="{legend_y}" width="10" height="10" fill="{_colour(key, i)}"/>'
            f'<text x="{x + 14}" y="{legend_y + 9}" font-size="10">{escape(raw)}</text>'
        )
        x += item_w
    total_h = legend_y + 20
    title = escape(chart.title)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{title}" width="{WIDTH}" '
        f'height="{total_h}" viewBox="0 0 {WIDTH} {total_h}" font-family="sans-serif">'
        f"<title>{title}</title>{body}{''.join(legend)}</svg>"
    )


def _label(y: float, text: str) -> str:
    short = text if len(text) <= 42 else text[:40] + "…"
    return f'<text x="{LABEL_W - 6}" y="{y}" font-size="11" text-anchor="end">{escape(short)}</text>'


def _stacked(chart: Chart, rows: list[dict[str, Any]]) -> tuple[str, int]:
    span = WIDTH - LABEL_W - 60
    parts = []
    for i, row in enumerate(rows):
        y = 4 + i * ROW_H
        n = sum(int(row.get(k) or 0) for k in chart.series)
        parts.append(_label(y + 13, str(row.get(chart.label_key, ""))))
        if row.get("suppressed"):
            parts.append(f'<text x="{LABEL_W}" y="{y + 12}" font-size="10">{escape(row["suppressed"])}</text>')
            continue
        x = float(LABEL_W)
        for j, key in enumerate(chart.series):
            count = int(row.get(key) or 0)
            if n == 0 or count == 0:
                continue
            w = span * count / n
            parts.append(
                f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{ROW_H - 6}" fill="{_colour(key, j)}">'
                f"<title>{escape(key)}: {count} of {n}</title></rect>"
            )
            if w > 18:
                parts.append(
                    f'<text x="{x + w / 2:.1f}" y="{y + 12}" font-size="10" fill="#fff" '
                    f'text-anchor="middle">{count}</text>'
                )
            x += w
        parts.append(f'<text x="{LABEL_W + span + 6}" y="{y + 12}" font-size="10">n = {n}</text>')
    return "".join(parts), 4 + len(rows) * ROW_H


def _grouped(chart: Chart, rows: list[dict[str, Any]]) -> tuple[str, int]:
    span = WIDTH - LABEL_W - 50
    top = max((int(r.get(k) or 0) for r in rows for k in chart.series), default=0) or 1
    bar_h = 8
    group_h = bar_h * len(chart.series) + 8
    parts = []
    for i, row in enumerate(rows):
        y = 4 + i * group_h
        parts.append(_label(y + group_h / 2, str(row.get(chart.label_key, ""))))
        for j, key in enumerate(chart.series):
            count = int(row.get(key) or 0)
            w = span * count / top
            by = y + j * bar_h
            parts.append(
                f'<rect x="{LABEL_W}" y="{by}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{_colour(key, j)}"><title>{escape(key)}: {count}</title></rect>'
                f'<text x="{LABEL_W + w + 4:.1f}" y="{by + 7}" font-size="9">{count}</text>'
            )
    return "".join(parts), 4 + len(rows) * group_h
