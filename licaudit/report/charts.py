"""Inline SVG charts for the HTML report: no script, no library, nothing fetched.

A mailed report must open anywhere, offline, and a chart here is a few hundred
rectangles: SVG text written directly is smaller than any charting bundle and has
nothing to break. Every mark carries a ``<title>`` (the browser's tooltip) with its
exact value, so the picture can be read as precisely as the tables below it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from html import escape
from zoneinfo import ZoneInfo

WIDTH = 760
HEIGHT = 240
LEFT, RIGHT, TOP, BOTTOM = 52, 16, 16, 44
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f")
OVER = "#d62728"
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")

Series = tuple[str, Sequence[int]]
"""A named series: its label and one value per x position."""


def _nice_top(value: float) -> float:
    """The smallest 1, 2 or 5 × 10^k at or above ``value``: a readable axis maximum."""
    if value <= 0:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    return float(next(step * magnitude for step in (1, 2, 5, 10) if step * magnitude >= value))


def _svg(label: str, body: str, height: int = HEIGHT) -> str:
    text = escape(label)
    return (
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-label="{text}">'
        f"<title>{text}</title>{body}</svg>"
    )


def _y_axis(top: float, plot_height: float) -> str:
    """Gridlines and labels at round steps of ``top`` (1, 2 or 5 × 10^k)."""
    leading = round(top / 10 ** math.floor(math.log10(top)))
    divisions = 4 if leading == 2 else 5
    marks = []
    for step in range(divisions + 1):
        value = top * step / divisions
        y = TOP + plot_height - plot_height * step / divisions
        text = f"{value:,.0f}" if top >= 10 else f"{value:,.1f}"
        marks.append(
            f'<line x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e5e5"/>'
            f'<text x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{text}</text>'
        )
    return "".join(marks)


def _legend(names: Sequence[str], colours: Sequence[str], y: float) -> str:
    items, x = [], LEFT
    for name, colour in zip(names, colours, strict=True):
        items.append(
            f'<rect x="{x}" y="{y - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="{y}">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    return "".join(items)


def daily_units(
    days: Sequence[date], series: Sequence[Series], capacity: int | None, label: str
) -> str:
    """Bars of units per day (stacked when several series) against the capacity line.

    A day whose total is above ``capacity`` is drawn in red: the days over capacity.
    """
    totals = [sum(values[i] for _, values in series) for i in range(len(days))]
    top = _nice_top(max([*totals, capacity or 0, 1]) * 1.05)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_width / max(len(days), 1)
    bar = max(step * 0.75, 1)
    marks = [_y_axis(top, plot_height)]
    for index, day in enumerate(days):
        x = LEFT + index * step + (step - bar) / 2
        over = capacity is not None and totals[index] > capacity
        base = float(TOP + plot_height)
        for number, (name, values) in enumerate(series):
            value = values[index]
            if value <= 0:
                continue
            height = plot_height * value / top
            base -= height
            colour = OVER if over else PALETTE[number % len(PALETTE)]
            css = ' class="over"' if over else ""
            excess = f" ({totals[index] - (capacity or 0):,} over capacity)" if over else ""
            what = f"{name}: " if len(series) > 1 else ""
            marks.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{colour}"{css}>'
                f"<title>{day.isoformat()}: {escape(what)}{value:,}{excess}</title></rect>"
            )
        if index % max(1, math.ceil(len(days) / 16)) == 0:
            marks.append(
                f'<text x="{x + bar / 2:.1f}" y="{TOP + plot_height + 14}" '
                f'text-anchor="middle">{day.strftime("%d/%m")}</text>'
            )
    names, colours = [name for name, _ in series], list(PALETTE[: len(series)])
    if capacity is not None:
        y = TOP + plot_height - plot_height * capacity / top
        marks.append(
            f'<line class="capacity" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#222" stroke-width="1.5" stroke-dasharray="6 4">'
            f"<title>capacity {capacity:,}</title></line>"
        )
        names, colours = [*names, f"over capacity ({capacity:,})"], [*colours, OVER]
    marks.append(_legend(names, colours, HEIGHT - 8))
    return _svg(label, "".join(marks))


def weekly_heatmap(counts: Sequence[Sequence[int]], label: str) -> str:
    """Events per hour (columns) and weekday (rows, Monday first): darker is busier."""
    cell_width, cell_height = (WIDTH - LEFT - RIGHT) / 24, 22
    height = TOP + 7 * cell_height + 28
    peak = max((max(row) for row in counts), default=0) or 1
    marks = []
    for weekday, row in enumerate(counts):
        y = TOP + weekday * cell_height
        marks.append(
            f'<text x="{LEFT - 6}" y="{y + cell_height / 2 + 4:.1f}" text-anchor="end">'
            f"{WEEKDAYS[weekday]}</text>"
        )
        for hour, count in enumerate(row):
            shade = 0.06 + 0.94 * count / peak if count else 0
            fill = f'fill="#08519c" fill-opacity="{shade:.2f}"' if count else 'fill="#f7f7f7"'
            marks.append(
                f'<rect x="{LEFT + hour * cell_width:.1f}" y="{y:.1f}" '
                f'width="{cell_width - 1:.1f}" height="{cell_height - 1}" {fill}>'
                f"<title>{WEEKDAYS[weekday]} {hour:02d}:00–{hour + 1:02d}:00: "
                f"{count:,} events</title></rect>"
            )
    for hour in range(0, 24, 2):
        marks.append(
            f'<text x="{LEFT + (hour + 0.5) * cell_width:.1f}" y="{TOP + 7 * cell_height + 14}" '
            f'text-anchor="middle">{hour:02d}h</text>'
        )
    return _svg(label, "".join(marks), int(height))


def balance_steps(
    packs: Sequence[tuple[str, Sequence[tuple[datetime, int]]]],
    marks_at: Sequence[tuple[datetime, str]],
    start: datetime,
    end: datetime,
    label: str,
) -> str:
    """Each pack's balance as a step line over [start, end]; ``marks_at`` as red rules.

    ``marks_at`` holds (instant, what) pairs: denied charges, expiries.
    """
    span = max((end - start).total_seconds(), 1)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_top(max([balance for _, points in packs for _, balance in points] or [1]) * 1.05)

    def x_of(instant: datetime) -> float:
        seconds = min(max((instant - start).total_seconds(), 0), span)
        return LEFT + plot_width * seconds / span

    def y_of(balance: int) -> float:
        return TOP + plot_height - plot_height * balance / top

    body = [_y_axis(top, plot_height)]
    for number, (name, points) in enumerate(packs):
        if not points:
            continue
        colour = PALETTE[number % len(PALETTE)]
        path = [f"M{x_of(points[0][0]):.1f},{y_of(points[0][1]):.1f}"]
        for instant, balance in points[1:]:
            path.append(f"H{x_of(instant):.1f}V{y_of(balance):.1f}")
        path.append(f"H{x_of(end):.1f}")
        body.append(
            f'<path d="{"".join(path)}" fill="none" stroke="{colour}" stroke-width="2">'
            f"<title>{escape(name)}: {points[-1][1]:,} left</title></path>"
        )
    for instant, what in marks_at:
        x = x_of(instant)
        body.append(
            f'<line class="event" x1="{x:.1f}" x2="{x:.1f}" y1="{TOP}" y2="{TOP + plot_height}" '
            f'stroke="{OVER}" stroke-width="1" stroke-dasharray="3 3">'
            f"<title>{escape(what)}</title></line>"
        )
    day = start.replace(hour=0, minute=0, second=0, microsecond=0)
    every = max(1, math.ceil((end - start).days / 12))
    while day <= end:
        if day >= start:
            body.append(
                f'<text x="{x_of(day):.1f}" y="{TOP + plot_height + 14}" text-anchor="middle">'
                f"{day.strftime('%d/%m')}</text>"
            )
        day += timedelta(days=every)
    names = [name for name, _ in packs]
    colours = [PALETTE[i % len(PALETTE)] for i in range(len(packs))]
    if marks_at:
        names, colours = [*names, "denied charge or expiry"], [*colours, OVER]
    body.append(_legend(names, colours, HEIGHT - 8))
    return _svg(label, "".join(body))


def intraday_steps(
    points: Sequence[tuple[datetime, int]],
    start: datetime,
    end: datetime,
    timezone: str,
    capacity: int | None,
    label: str,
) -> str:
    """A count over one day as a step line from ``start`` to ``end``, against ``capacity``.

    ``points`` holds (instant, count) pairs, sorted, each count holding until the next
    instant (the last until ``end``); instants are timezone-aware and placed by their
    real time, so a 23- or 25-hour DST day is drawn whole. The axis shows local hours of
    ``timezone``; the steps above capacity are red bars, each with its times and count.
    """
    zone = ZoneInfo(timezone)
    origin, span = start.timestamp(), max(end.timestamp() - start.timestamp(), 1)
    plot_width, plot_height = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    top = _nice_top(max([count for _, count in points] + [capacity or 0, 1]) * 1.05)

    def x_of(instant: datetime) -> float:
        seconds = min(max(instant.timestamp() - origin, 0), span)
        return LEFT + plot_width * seconds / span

    def y_of(count: float) -> float:
        return TOP + plot_height - plot_height * count / top

    def clock(instant: datetime) -> str:
        return instant.astimezone(zone).strftime("%H:%M:%S")

    body = [_y_axis(top, plot_height)]
    ends = [instant for instant, _ in points[1:]] + [end]
    if points:
        peak = max(count for _, count in points)
        at = next(instant for instant, count in points if count == peak)
        path = [f"M{x_of(points[0][0]):.1f},{y_of(points[0][1]):.1f}"]
        for (_, count), until in zip(points, ends, strict=True):
            path.append(f"V{y_of(count):.1f}H{x_of(until):.1f}")
        body.append(
            f'<path d="{"".join(path)}" fill="none" stroke="{PALETTE[0]}" stroke-width="1.5">'
            f"<title>peak {peak:,} busy at {clock(at)}</title></path>"
        )
    if capacity is not None:
        for (instant, count), until in zip(points, ends, strict=True):
            if count <= capacity:
                continue
            x, y = x_of(instant), y_of(count)
            body.append(
                f'<rect class="over" x="{x:.1f}" y="{y:.1f}" '
                f'width="{max(x_of(until) - x, 1):.1f}" height="{y_of(capacity) - y:.1f}" '
                f'fill="{OVER}" fill-opacity="0.7"><title>{clock(instant)}–{clock(until)}: '
                f"{count:,} busy ({count - capacity:,} over capacity)</title></rect>"
            )
        y = y_of(capacity)
        body.append(
            f'<line class="capacity" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#222" stroke-width="1.5" stroke-dasharray="6 4">'
            f"<title>capacity {capacity:,}</title></line>"
        )
    # A label at every even local hour, found on a 15-minute grid of real time (whole-hour
    # local times are on it in every timezone, DST days included).
    tick = start.astimezone(UTC).replace(second=0, microsecond=0)
    tick -= timedelta(minutes=tick.minute % 15)
    while tick <= end:
        local = tick.astimezone(zone)
        if tick >= start and local.minute == 0 and local.hour % 2 == 0:
            body.append(
                f'<text x="{x_of(tick):.1f}" y="{TOP + plot_height + 14}" text-anchor="middle">'
                f"{'24' if tick == end else f'{local:%H}'}h</text>"
            )
        tick += timedelta(minutes=15)
    names, colours = ["busy slots"], [PALETTE[0]]
    if capacity is not None:
        names, colours = [*names, f"over capacity ({capacity:,})"], [*colours, OVER]
    body.append(_legend(names, colours, HEIGHT - 8))
    return _svg(label, "".join(body))
