"""Bar charts as inline SVG (diagram), drawn on the server so the HTML report prints as it shows.

Labels are never cut: a long row label wraps onto as many lines as it needs and its row grows.
Every text meets WCAG AA contrast (4.5:1): counts inside a bar are black or white, whichever
reads better on that fill, and a bar too light for either gets its count beside it.
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from workflow.reports.model import Chart, Column

PALETTE = ("#1b6ca8", "#6aa84f", "#e69138", "#cc0000", "#674ea7", "#767676")
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
LINE_H = 12
#: Characters of an 11 px sans-serif label that fit in LABEL_W (DejaVu Sans, average glyph ~6.6 px).
LABEL_CHARS = 36


def luminance(hex_colour: str) -> float:
    """Relative luminance of an sRGB colour (WCAG 2.1)."""
    digits = hex_colour.lstrip("#")
    if len(digits) == 3:
        digits = "".join(d * 2 for d in digits)
    rgb = [int(digits[i : i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    """WCAG contrast ratio of two colours, 1 to 21."""
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def text_on(fill: str) -> str:
    """Black or white, whichever contrasts more with ``fill``."""
    return "#000000" if contrast(fill, "#000000") >= contrast(fill, "#ffffff") else "#ffffff"


def wrap(text: str, width: int = LABEL_CHARS) -> list[str]:
    """``text`` in lines of at most ``width`` characters, broken between words (a longer word on its own line)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def render(chart: Chart, columns: list[Column], rows: list[dict[str, Any]]) -> Markup:
    """The chart for a table's rows; rows holding a total are left out of the bars."""
    rows = [r for r in rows if not r.get("_total") and r.get(chart.label_key) != "Total"]
    if not rows:
        return Markup("")
    labels = {c.key: c.label for c in columns}
    if chart.kind == "stacked":
        body, height = _stacked(chart, rows, labels)
    else:
        body, height = _grouped(chart, rows, labels)
    legend_y = height + 8
    legend = []
    x = LABEL_W
    for i, key in enumerate(chart.series):
        raw = labels.get(key, key)
        item_w = 14 + 7 * len(raw) + 16
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
        f'height="{total_h}" viewBox="0 0 {WIDTH} {total_h}" font-family="DejaVu Sans, sans-serif">'
        f"<title>{title}</title>{body}{''.join(legend)}</svg>"
    )


def _label(top: float, height: float, text: str) -> str:
    """A row label, wrapped, its lines centred on the row (``top`` to ``top + height``)."""
    lines = wrap(text)
    first = top + height / 2 - (len(lines) - 1) * LINE_H / 2 + 4
    spans = "".join(
        f'<tspan x="{LABEL_W - 6}" y="{first + i * LINE_H:.1f}">{escape(line)}</tspan>' for i, line in enumerate(lines)
    )
    return f'<text font-size="11" text-anchor="end">{spans}</text>'


def _row_h(text: str, least: int) -> int:
    return max(least, len(wrap(text)) * LINE_H + 6)


def _stacked(chart: Chart, rows: list[dict[str, Any]], labels: dict[str, str]) -> tuple[str, int]:
    span = WIDTH - LABEL_W - 60
    parts = []
    y = 4
    for row in rows:
        text = str(row.get(chart.label_key, ""))
        h = _row_h(text, ROW_H)
        top, y = y, y + h
        n = sum(int(row.get(k) or 0) for k in chart.series)
        parts.append(_label(top, h, text))
        y_bar = top + (h - ROW_H) / 2
        parts.append(_stacked_row(chart, row, n, y_bar, span, labels))
    return "".join(parts), y


def _stacked_row(chart: Chart, row: dict[str, Any], n: int, y: float, span: float, labels: dict[str, str]) -> str:
    parts: list[str] = []
    if row.get("suppressed"):
        parts.append(f'<text x="{LABEL_W}" y="{y + 12:.1f}" font-size="10">{escape(row["suppressed"])}</text>')
        return "".join(parts)
    x = float(LABEL_W)
    for j, key in enumerate(chart.series):
        count = int(row.get(key) or 0)
        if n == 0 or count == 0:
            continue
        w = span * count / n
        fill = _colour(key, j)
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" height="{ROW_H - 6}" fill="{fill}">'
            f"<title>{escape(labels.get(key, key))}: {count} / {n}</title></rect>"
        )
        if w > 18:
            parts.append(
                f'<text x="{x + w / 2:.1f}" y="{y + 12:.1f}" font-size="10" fill="{text_on(fill)}" '
                f'text-anchor="middle">{count}</text>'
            )
        x += w
    parts.append(f'<text x="{LABEL_W + span + 6}" y="{y + 12:.1f}" font-size="10">n = {n}</text>')
    return "".join(parts)


def _grouped(chart: Chart, rows: list[dict[str, Any]], labels: dict[str, str]) -> tuple[str, int]:
    span = WIDTH - LABEL_W - 50
    most = max((int(r.get(k) or 0) for r in rows for k in chart.series), default=0) or 1
    bar_h = 9
    parts = []
    y = 4
    for row in rows:
        text = str(row.get(chart.label_key, ""))
        h = _row_h(text, bar_h * len(chart.series) + 8)
        top, y = y, y + h
        parts.append(_label(top, h, text))
        first = top + (h - bar_h * len(chart.series)) / 2
        for j, key in enumerate(chart.series):
            count = int(row.get(key) or 0)
            w = span * count / most
            by = first + j * bar_h
            parts.append(
                f'<rect x="{LABEL_W}" y="{by:.1f}" width="{w:.1f}" height="{bar_h - 1}" '
                f'fill="{_colour(key, j)}"><title>{escape(labels.get(key, key))}: {count}</title></rect>'
                f'<text x="{LABEL_W + w + 4:.1f}" y="{by + 8:.1f}" font-size="9">{count}</text>'
            )
    return "".join(parts), y
