"""``licaudit whatif --format html``: one self-contained page (issue 13, item 1).

Layout: a header (what was compared, the currency, input files, report range,
generation time, the reconciliation and the warnings), then per contract and scope
with a price a chart of the cost over the report range against the candidate
capacity, one line per pricing (the contract's own, an ``[offers]`` one), the
optimum marked; then the ``whatif`` and ``candidates`` tables. The chart is inline
SVG written here: the page has no script, fetches nothing and needs no library.
Every point carries its exact cost as a ``<title>`` (the browser's tooltip).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from html import escape
from typing import Any

import polars as pl

from licaudit.advisor import COST_NOTE, Advice
from licaudit.report.html import STYLE as REPORT_STYLE

WIDTH = 760
HEIGHT = 260
LEFT, RIGHT, TOP, BOTTOM = 76, 24, 16, 52
PLOT_WIDTH, PLOT_HEIGHT = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
COLOURS = {"contract": "#4e79a7", "offer": "#f28e2b"}
LEGEND = {"contract": "contract's price", "offer": "[offers] price"}
COST_COLUMN = {"contract": "cost", "offer": "offer_cost"}
OPEN_ROWS = 40
"""The candidates table is shown open up to this many rows; longer, it is folded."""

# The report page's look, and the optimum's row.
STYLE = REPORT_STYLE + "tr.optimum td { background: #e8f4e8; font-weight: 600; }\n"


@dataclass(frozen=True)
class Line:
    """One pricing of a contract and scope: its cost at each capacity and its optimum."""

    pricing: str
    costs: list[Decimal]
    optimum: int
    optimum_cost: Decimal


def _money(value: Decimal) -> str:
    return f"{value:,.2f}"


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return _money(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)


def _nice(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above ``value`` (1 for nothing above 0)."""
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    return float(next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value))


class _Scale:
    """Capacity to x and cost to y, in the chart's pixels.

    The cost axis spans the costs drawn in round steps, not from 0: a few percent
    between two capacities must show, and the axis labels say where it starts.
    """

    def __init__(self, low: int, high: int, costs: Sequence[float]) -> None:
        self.low, self.high = low, high
        least, most = min(costs, default=0.0), max(costs, default=0.0)
        self.step = _nice((most - least) / 4 if most > least else max(most, 1.0) / 4)
        self.bottom = math.floor(least / self.step) * self.step
        self.top = max(math.ceil(most / self.step), 1) * self.step
        if self.top - most < self.step * 0.2:  # room for the optimum's label
            self.top += self.step
        if least - self.bottom < self.step * 0.1 and self.bottom >= self.step:
            self.bottom -= self.step  # the least cost (often the optimum) above the axis
        if self.top == self.bottom:
            self.top += self.step

    def x(self, capacity: float) -> float:
        if self.high == self.low:
            return LEFT + PLOT_WIDTH / 2
        return LEFT + PLOT_WIDTH * (capacity - self.low) / (self.high - self.low)

    def y(self, cost: float) -> float:
        share = (cost - self.bottom) / (self.top - self.bottom)
        return TOP + PLOT_HEIGHT - PLOT_HEIGHT * share


def _axes(scale: _Scale, currency: str) -> str:
    """Cost gridlines at round steps, capacity ticks at round steps, the axes' names."""
    marks = []
    steps = round((scale.top - scale.bottom) / scale.step)
    decimals = 0 if scale.step >= 1 else 2
    for step in range(steps + 1):
        value = scale.bottom + scale.step * step
        y = scale.y(value)
        marks.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:,.{decimals}f}</text>'
        )
    span = scale.high - scale.low
    tick = max(1, int(_nice(span / 10))) if span else 1
    first = -(-scale.low // tick) * tick
    base = TOP + PLOT_HEIGHT
    for capacity in range(first, scale.high + 1, tick):
        x = scale.x(capacity)
        marks.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{base}" y2="{base + 4}" stroke="#888"/>'
            f'<text x="{x:.1f}" y="{base + 16}" text-anchor="middle">{capacity:,}</text>'
        )
    marks.append(
        f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{base}" y2="{base}" stroke="#888"/>'
        f'<text x="{LEFT + PLOT_WIDTH / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
        f"capacity (licences)</text>"
        f'<text x="14" y="{TOP + PLOT_HEIGHT / 2:.1f}" text-anchor="middle" '
        f'transform="rotate(-90 14 {TOP + PLOT_HEIGHT / 2:.1f})">cost ({escape(currency)})</text>'
    )
    return "".join(marks)


def _marks(scale: _Scale, marks: Sequence[tuple[str, int | None]]) -> str:
    """Dashed vertical lines at the ``marks`` (the contract's capacity, p95, the peak) in
    range, one per capacity (``p95, peak 7``), their labels stepped down so none overlap."""
    names: dict[int, list[str]] = {}
    for name, capacity in marks:
        if capacity is not None and scale.low <= capacity <= scale.high:
            names.setdefault(capacity, []).append(name)
    drawn = []
    for row, (capacity, named) in enumerate(sorted(names.items())):
        x = scale.x(capacity)
        text = f"{', '.join(named)} {capacity:,}"
        near_end = x > LEFT + PLOT_WIDTH * 0.85
        anchor, shift = ("end", -3) if near_end else ("start", 3)
        drawn.append(
            f'<line class="mark" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + PLOT_HEIGHT}" '
            f'stroke="#999" stroke-dasharray="4 3"><title>{escape(text)}</title></line>'
            f'<text x="{x + shift:.1f}" y="{TOP + 10 + 12 * row}" text-anchor="{anchor}">'
            f"{escape(text)}</text>"
        )
    return "".join(drawn)


def cost_chart(
    label: str,
    capacities: Sequence[int],
    lines: Sequence[Line],
    marks: Sequence[tuple[str, int | None]],
    currency: str,
) -> str:
    """The cost against capacity: one ``polyline.cost`` per pricing, its optimum a
    ``circle.optimum``, ``marks`` (name, capacity) as dashed vertical lines."""
    costs = [float(cost) for line in lines for cost in line.costs]
    scale = _Scale(min(capacities), max(capacities), costs)
    body = [_axes(scale, currency), _marks(scale, marks)]
    legend_x = LEFT + 8.0
    for line in lines:
        colour = COLOURS.get(line.pricing, "#59a14f")
        points = [
            (scale.x(capacity), scale.y(float(cost)), capacity, cost)
            for capacity, cost in zip(capacities, line.costs, strict=True)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _, _ in points)
        body.append(
            f'<polyline class="cost" data-pricing="{escape(line.pricing)}" points="{path}" '
            f'fill="none" stroke="{colour}" stroke-width="2"/>'
        )
        body.extend(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="{colour}"><title>'
            f"{escape(line.pricing)}: capacity {capacity:,}, {_money(cost)} "
            f"{escape(currency)}</title></circle>"
            for x, y, capacity, cost in points
        )
        x, y = scale.x(line.optimum), scale.y(float(line.optimum_cost))
        text = f"optimum {line.optimum:,}: {_money(line.optimum_cost)}"
        anchor = "end" if x > LEFT + PLOT_WIDTH * 0.7 else "start"
        shift = -8 if anchor == "end" else 8
        body.append(
            f'<circle class="optimum" data-pricing="{escape(line.pricing)}" cx="{x:.1f}" '
            f'cy="{y:.1f}" r="6" fill="#fff" stroke="{colour}" stroke-width="3"><title>'
            f"{escape(line.pricing)}: {escape(text)} {escape(currency)} (least cost)"
            f"</title></circle>"
            f'<text x="{x + shift:.1f}" y="{y - 9:.1f}" text-anchor="{anchor}">'
            f"{escape(text)}</text>"
        )
        name = LEGEND.get(line.pricing, line.pricing)
        body.append(
            f'<rect x="{legend_x:.1f}" y="{HEIGHT - 28}" width="10" height="10" '
            f'fill="{colour}"/><text x="{legend_x + 14:.1f}" y="{HEIGHT - 19}">'
            f"{escape(name)}</text>"
        )
        legend_x += 28 + 7 * len(name)
    text = escape(label)
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{text}">'
        f"<title>{text}</title>{''.join(body)}</svg>"
    )


def _figures(advice: Advice, currency: str) -> tuple[list[str], list[str]]:
    """A chart per priced contract and scope, and the names of those without a price."""
    figures: list[str] = []
    unpriced: list[str] = []
    keys = advice.whatif.select("contract", "model", "scope").unique(maintain_order=True)
    for contract, model, scope in keys.iter_rows():
        rows = advice.whatif.filter(
            (pl.col("contract") == contract) & (pl.col("scope") == scope)
        ).filter(pl.col("pricing").is_not_null())
        name = f"{contract} ({model}, {scope})"
        candidates = advice.candidates.filter(
            (pl.col("contract") == contract) & (pl.col("scope") == scope)
        ).sort("capacity")
        if rows.is_empty() or candidates.is_empty():
            unpriced.append(name)
            continue
        lines = [
            Line(
                row["pricing"],
                candidates[COST_COLUMN[row["pricing"]]].to_list(),
                row["optimum"],
                row["optimum_cost"],
            )
            for row in rows.iter_rows(named=True)
        ]
        first = rows.row(0, named=True)
        label = f"{name}: cost over the report range against capacity"
        svg = cost_chart(
            label,
            candidates["capacity"].to_list(),
            lines,
            [("capacity", first["capacity"]), ("p95", first["p95"]), ("peak", first["peak"])],
            currency,
        )
        anchor = f"chart-{len(figures)}"
        figures.append(
            f'<figure id="{anchor}"><figcaption>{escape(label)}</figcaption>{svg}</figure>'
        )
    return figures, unpriced


def table_html(frame: pl.DataFrame, optimum: set[tuple[Any, ...]] | None = None) -> str:
    """A table, numbers right-aligned; rows whose (contract, scope, capacity) is in
    ``optimum`` highlighted."""
    numeric = [dtype.is_numeric() for dtype in frame.dtypes]
    head = "".join(f"<th>{escape(name)}</th>" for name in frame.columns)
    rows = []
    for row in frame.iter_rows(named=True):
        cells = "".join(
            f'<td class="number">{escape(_cell(value))}</td>'
            if is_number
            else f"<td>{escape(_cell(value))}</td>"
            for value, is_number in zip(row.values(), numeric, strict=True)
        )
        key = (row.get("contract"), row.get("scope"), row.get("capacity"))
        css = ' class="optimum"' if optimum is not None and key in optimum else ""
        rows.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def whatif_html_bytes(
    advice: Advice,
    currency: str,
    lines: Sequence[str],
    warnings: Sequence[str],
    facts: Sequence[tuple[str, str]],
    generated_at: datetime,
) -> bytes:
    """The page: ``facts`` (input files, report range...), ``lines`` (the reconciliation),
    ``warnings``, a cost chart per priced contract and scope, the two tables."""
    compared = ", ".join(
        f"{contract} ({model})"
        for contract, model in advice.whatif.select("contract", "model")
        .unique(maintain_order=True)
        .iter_rows()
    )
    header = [
        ("Compared", compared or "nothing"),
        ("Currency", currency),
        *facts,
        ("Generated at", generated_at.isoformat(timespec="seconds")),
    ]
    facts_html = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in header)
    text = "".join(f'<p class="line">{escape(line)}</p>' for line in lines) + "".join(
        f'<p class="warning">warning: {escape(warning)}</p>' for warning in warnings
    )
    figures, unpriced = _figures(advice, currency)
    parts = ['<section id="costs"><h2>Cost against capacity</h2>']
    parts.append(f'<p class="note">{escape(COST_NOTE)}</p>')
    parts.extend(figures)
    if not figures:
        parts.append('<p class="line">No model has a price: nothing to compare.</p>')
    if unpriced:
        parts.append(
            f'<p class="note">Without a price (no price and capacity in the contract, no '
            f"[offers.MODEL]), not charted: {escape(', '.join(unpriced))}.</p>"
        )
    parts.append("</section>")
    optima = {
        (row["contract"], row["scope"], row["optimum"])
        for row in advice.whatif.iter_rows(named=True)
        if row["optimum"] is not None
    }
    parts.append('<section id="whatif"><h2>What if</h2>')
    parts.append(table_html(advice.whatif.drop("currency"), None))
    parts.append("</section>")
    candidates = advice.candidates.drop("currency")
    opened = " open" if candidates.height <= OPEN_ROWS else ""
    parts.append(
        f'<section id="candidates"><h2>Candidates</h2><p class="note">At each capacity '
        f"tried: the days and months over it, the refusals and users refused (models with "
        f"a refused table, run again at that capacity), the cost under the contract's and "
        f"the offer's price; the optimum rows highlighted.</p><details{opened}><summary>"
        f"Candidates ({candidates.height:,} rows)</summary>"
        f"{table_html(candidates, optima)}</details></section>"
    )
    title = "licaudit what if"
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f'<body><header><h1>{escape(title)}</h1><dl class="facts">{facts_html}</dl>{text}'
        '<nav><a href="#costs">Cost against capacity</a><a href="#whatif">What if</a>'
        f'<a href="#candidates">Candidates</a></nav></header>{"".join(parts)}</body></html>\n'
    )
    return page.encode("utf-8")
