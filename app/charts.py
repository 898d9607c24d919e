"""Charts as accessible SVG, drawn on the server: a `<title>` and `<desc>`, `role="img"`, and
text as well as colour; every page puts a table with the same figures beside each chart.

Hand-drawn, in one small module: the charts are a few lines, bands and boxes, and this
renders a page of them in a millisecond or two with no import cost and no script (see
the README's "Why these libraries"). No web imports here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 48, 120, 12, 28
BAND_FILL = {"good": "#cce2d8", "fair": "#fff7bf", "below fair": "#f6d7d2"}
BAND_TEXT = {"good": "✓ Good", "fair": "~ Fair", "below fair": "✗ Below fair", "": "no threshold"}
SERIES = [("#1d70b8", ""), ("#942514", "6 3"), ("#005a30", "2 3"), ("#6f2c91", "8 3 2 3"),
          ("#594d00", "1 2"), ("#28a197", "10 4")]
MARKS = ["circle", "square", "diamond", "triangle", "circle", "square"]


@dataclass
class Series:
    name: str
    points: list[tuple[date, float]]


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _fmt(v: float) -> str:
    return f"{v:.0f}" if abs(v) >= 10 or v == int(v) else f"{v:.1f}"


def _open(chart_id: str, title: str, desc: str, height: int = HEIGHT) -> list[str]:
    return [f'<svg class="chart" id="{_e(chart_id)}" viewBox="0 0 {WIDTH} {height}" role="img" '
            f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" '
            f'xmlns="http://www.w3.org/2000/svg" focusable="false">',
            f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
            f'<desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>']


def line_chart(chart_id: str, title: str, desc: str, series: Sequence[Series], *,
               fair: float | None = None, good: float | None = None,
               lower_is_better: bool = False) -> Markup:
    """Values over time, one line per series (each with its own dash and name at its end),
    over the fair and good bands with their names written on them."""
    points = [p for s in series for p in s.points]
    legend = [s for s in series if s.points] if len(series) > 1 else []
    rows = (len(legend) + 1) // 2
    out = _open(chart_id, title, desc, HEIGHT + 18 * rows)
    if not points:
        out.append(f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle">No sessions yet</text></svg>')
        return Markup("".join(out))
    values = [v for _, v in points] + [t for t in (fair, good) if t is not None]
    lo, hi = min(0.0, min(values)), max(values) * 1.1 or 1.0
    days = [d.toordinal() for d, _ in points]
    d0, d1 = min(days), max(days)
    span = max(d1 - d0, 1)
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(d: date) -> float:
        return LEFT + (d.toordinal() - d0) / span * pw if d1 > d0 else LEFT + pw / 2

    def y(v: float) -> float:
        return TOP + ph - (v - lo) / (hi - lo) * ph

    if fair is not None or good is not None:
        edges = sorted({lo, hi, *(t for t in (fair, good) if t is not None)})
        for a, b in zip(edges, edges[1:]):
            mid = (a + b) / 2
            band = _band(mid, fair, good, lower_is_better)
            out.append(f'<rect x="{LEFT}" y="{y(b):.1f}" width="{pw}" height="{y(a) - y(b):.1f}" '
                       f'fill="{BAND_FILL[band]}"/>')
            if y(a) - y(b) >= 12:
                out.append(f'<text x="{LEFT + pw + 4}" y="{(y(a) + y(b)) / 2 + 4:.1f}" '
                           f'class="chart-band">{_e(BAND_TEXT[band])}</text>')
    out.append(f'<line x1="{LEFT}" y1="{TOP + ph}" x2="{LEFT + pw}" y2="{TOP + ph}" stroke="#505a5f"/>')
    out.append(f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + ph}" stroke="#505a5f"/>')
    for v in (lo, (lo + hi) / 2, hi):
        out.append(f'<text x="{LEFT - 4}" y="{y(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    dates = sorted({d for d, _ in points})
    for d in dates if len(dates) <= 6 else [dates[0], dates[-1]]:
        out.append(f'<text x="{x(d):.1f}" y="{HEIGHT - 8}" text-anchor="middle">{d.strftime("%-d %b %y")}</text>')
    for i, s in enumerate(series):
        if not s.points:
            continue
        colour, dash = SERIES[i % len(SERIES)]
        pts = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in s.points)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"{dashed}/>')
        for d, v in s.points:
            out.append(_mark(MARKS[i % len(MARKS)], x(d), y(v), colour))
    for i, s in enumerate(legend):  # a key below the plot: the line's dash and mark, then its name
        k = series.index(s)
        colour, dash = SERIES[k % len(SERIES)]
        lx, ly = LEFT + (i % 2) * (WIDTH - LEFT) / 2, HEIGHT + 18 * (i // 2) + 4
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(f'<line x1="{lx:.1f}" y1="{ly:.1f}" x2="{lx + 24:.1f}" y2="{ly:.1f}" stroke="{colour}" '
                   f'stroke-width="2"{dashed}/>')
        out.append(_mark(MARKS[k % len(MARKS)], lx + 12, ly, colour))
        out.append(f'<text x="{lx + 30:.1f}" y="{ly + 4:.1f}" class="chart-label">{_e(s.name[:40])}</text>')
    out.append("</svg>")
    return Markup("".join(out))


def _mark(kind: str, cx: float, cy: float, colour: str) -> str:
    if kind == "square":
        return f'<rect x="{cx - 3.5:.1f}" y="{cy - 3.5:.1f}" width="7" height="7" fill="{colour}"/>'
    if kind == "diamond":
        return (f'<polygon points="{cx:.1f},{cy - 5:.1f} {cx + 5:.1f},{cy:.1f} {cx:.1f},{cy + 5:.1f} '
                f'{cx - 5:.1f},{cy:.1f}" fill="{colour}"/>')
    if kind == "triangle":
        return (f'<polygon points="{cx:.1f},{cy - 5:.1f} {cx + 5:.1f},{cy + 4:.1f} '
                f'{cx - 5:.1f},{cy + 4:.1f}" fill="{colour}"/>')
    return f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="3.5" fill="{colour}"/>'


def _band(v: float, fair: float | None, good: float | None, lower_is_better: bool) -> str:
    better = (lambda a, b: a <= b) if lower_is_better else (lambda a, b: a >= b)
    if good is not None and better(v, good):
        return "good"
    if fair is not None and better(v, fair):
        return "fair"
    return "below fair"


def heatmap(chart_id: str, title: str, desc: str, rows: Sequence[str], columns: Sequence[str],
            cells: Sequence[Sequence[tuple[str, str]]]) -> Markup:
    """A grid of (text, band) cells: each coloured by its band and carrying its value and a
    band symbol (✓ ~ ✗) as text, so it reads without colour."""
    cw, rh, lw, hh = 92, 26, 150, 44
    width, height = lw + cw * len(columns) + 4, hh + rh * len(rows) + 4
    out = [f'<svg class="chart heatmap" id="{_e(chart_id)}" viewBox="0 0 {width} {height}" role="img" '
           f'aria-labelledby="{_e(chart_id)}-title {_e(chart_id)}-desc" '
           f'xmlns="http://www.w3.org/2000/svg" focusable="false">',
           f'<title id="{_e(chart_id)}-title">{_e(title)}</title>',
           f'<desc id="{_e(chart_id)}-desc">{_e(desc)}</desc>']
    for j, c in enumerate(columns):
        words = c.split()
        half = (len(words) + 1) // 2
        for k, line in enumerate([" ".join(words[:half]), " ".join(words[half:])]):
            out.append(f'<text x="{lw + j * cw + cw / 2}" y="{16 + k * 14}" text-anchor="middle" '
                       f'class="chart-head">{_e(line[:18])}</text>')
    for i, r in enumerate(rows):
        yy = hh + i * rh
        out.append(f'<text x="{lw - 6}" y="{yy + 17}" text-anchor="end">{_e(r[:22])}</text>')
        for j, (text, band) in enumerate(cells[i]):
            fill = BAND_FILL.get(band, "#f3f2f1")
            symbol = {"good": "✓ ", "fair": "~ ", "below fair": "✗ "}.get(band, "")
            out.append(f'<rect x="{lw + j * cw + 1}" y="{yy + 1}" width="{cw - 2}" height="{rh - 2}" '
                       f'fill="{fill}" stroke="#ffffff"/>')
            out.append(f'<text x="{lw + j * cw + cw / 2}" y="{yy + 17}" text-anchor="middle">'
                       f'{_e(symbol + text)}</text>')
    out.append("</svg>")
    return Markup("".join(out))
