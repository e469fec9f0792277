"""The report as one self-contained HTML page, readable offline and when mailed.

Layout: a header (contracts, timezones, input files, report range, generation time,
the reconciliation), then per contract its charts (daily units against the capacity
line, for ``concurrent`` the busy slots through the peak day, activity by hour and
weekday, Flex pack balances), the month summary with the cost spelled out, the days over
capacity, the top users, the daily usage and the detail tables.
Charts are inline SVG (``charts.py``); the page has no script and fetches nothing.
Instants are written in the contract's timezone with their offset.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from html import escape
from zoneinfo import ZoneInfo

import polars as pl

from licaudit.audit import AuditResult, ContractResult
from licaudit.periods import day_start
from licaudit.report import charts
from licaudit.report.document import price_text, read_in
from licaudit.report.files import instant_text

TOP_USERS = 10
"""How many users the per-contract "Top users" table lists."""

OPEN_ROWS = 20
"""Detail tables up to this many rows are shown open; longer ones are folded."""

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", sans-serif; margin: 2rem auto;
       max-width: 1100px; padding: 0 1rem; color: #222; font-size: 14px; }
h1 { margin-bottom: 0.2rem; } h2 { margin-top: 2.5rem; border-bottom: 2px solid #4e79a7; }
h3 { margin: 1.2rem 0 0.4rem; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.facts dt { font-weight: 600; } dl.facts dd { margin: 0; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; }
th, td { border: 1px solid #ccc; padding: 0.15rem 0.5rem; }
th { background: #f2f2f2; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.over td { background: #fde8e8; }
p.note, p.line { margin: 0.2rem 0; color: #444; }
p.warning { color: #8a4b00; }
svg.chart { display: block; max-width: 100%; height: auto; margin: 0.4rem 0; }
svg.chart text { font: 11px system-ui, sans-serif; fill: #444; }
details > summary { cursor: pointer; font-weight: 600; margin: 0.6rem 0 0.3rem; }
nav a { margin-right: 0.8rem; }
figure { margin: 1rem 0; } figcaption { font-weight: 600; color: #333; }
"""


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:,.2f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, Decimal):
        return f"{value:,.2f}"
    return str(value)


def _local_text(frame: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Instants as local ISO 8601 with offset, seconds unless a fraction exists; dates as ISO."""
    columns = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            instant = pl.col(name)
            if dtype.time_zone is not None:
                columns.append(instant_text(instant.dt.convert_time_zone(timezone)))
            else:
                columns.append(instant.dt.strftime("%Y-%m-%dT%H:%M:%S%.f"))
        elif isinstance(dtype, pl.Date):
            columns.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Duration):
            columns.append(pl.col(name).dt.total_seconds())
    return frame.with_columns(columns) if columns else frame


def table_html(frame: pl.DataFrame, timezone: str) -> str:
    """A table; numbers right-aligned, rows with a positive ``excess`` highlighted."""
    numeric = [dtype.is_numeric() and not isinstance(dtype, pl.Boolean) for dtype in frame.dtypes]
    over = frame.get_column("excess").to_list() if "excess" in frame.columns else None
    ready = _local_text(frame, timezone)
    head = "".join(f"<th>{escape(name)}</th>" for name in ready.columns)
    rows = []
    for index, values in enumerate(ready.iter_rows()):
        cells = "".join(
            f'<td class="number">{escape(_cell(value))}</td>'
            if is_number
            else f"<td>{escape(_cell(value))}</td>"
            for value, is_number in zip(values, numeric, strict=True)
        )
        css = ' class="over"' if over is not None and (over[index] or 0) > 0 else ""
        rows.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _usage_charts(result: ContractResult) -> list[str]:
    """Daily units against capacity: one chart per scope, stacked scopes without capacity."""
    contract = result.contract
    rows = result.day_rows
    if rows.is_empty():
        return []
    days = [date.fromisoformat(day) for day in rows["period"].unique(maintain_order=True)]
    scopes = rows["scope"].unique(maintain_order=True).to_list()

    def units_of(scope: str) -> list[int]:
        return rows.filter(pl.col("scope") == scope)["units"].to_list()

    if contract.capacity is None and len(scopes) > 1:
        label = f"{contract.name}: units per day, by {', '.join(scopes)}"
        return [charts.daily_units(days, [(s, units_of(s)) for s in scopes], None, label)]
    return [
        charts.daily_units(
            days,
            [(scope, units_of(scope))],
            contract.capacity,
            f"{contract.name}: units per day ({scope}) against capacity",
        )
        for scope in scopes
    ]


def _reported_events(audit: AuditResult, result: ContractResult) -> pl.LazyFrame | None:
    """The used events of the contract's scope on its reported local days, with ``local``
    (``ts`` in the contract's timezone); None when no day is reported."""
    contract = result.contract
    if result.day_rows.is_empty():
        return None
    if audit.events is None:
        return None  # read in parts (licaudit.scale): the events are not kept whole
    first, last = (date.fromisoformat(result.day_rows["period"][i]) for i in (0, -1))
    events = audit.events
    if contract.scope is not None:
        events = events.filter(pl.col("product").is_in(list(contract.scope)))
    local = pl.col("ts").dt.convert_time_zone(contract.timezone)
    return events.with_columns(local=local).filter(
        pl.col("local").dt.date().is_between(first, last)
    )


def _activity_chart(audit: AuditResult, result: ContractResult) -> str | None:
    """Events of the contract's scope per local hour and weekday, over the reported days."""
    contract = result.contract
    events = _reported_events(audit, result)
    if events is None:
        return None
    local = pl.col("local")
    counts = (
        events.group_by(weekday=local.dt.weekday() - 1, hour=local.dt.hour())
        .agg(events=pl.len())
        .collect()
    )
    if counts.is_empty():
        return None
    grid = [[0] * 24 for _ in range(7)]
    for weekday, hour, count in counts.iter_rows():
        grid[weekday][hour] = count
    return charts.weekly_heatmap(
        grid, f"{contract.name}: events per hour and weekday ({contract.timezone})"
    )


def _top_users(audit: AuditResult, result: ContractResult) -> pl.DataFrame | None:
    """The authenticated users of the contract's scope most often active on the reported
    days: ``user``, ``active_days`` (local days with an event), ``events``; the first
    ``TOP_USERS`` by active days, then events, then name. A reading aid, no licence rule:
    visitors and anonymous rows are left out."""
    events = _reported_events(audit, result)
    if events is None:
        return None
    return (
        events.filter(~pl.col("anonymous") & pl.col("user").is_not_null())
        .group_by("user")
        .agg(active_days=pl.col("local").dt.date().n_unique().cast(pl.Int64), events=pl.len())
        .sort(["active_days", "events", "user"], descending=[True, True, False])
        .head(TOP_USERS)
        .collect()
    )


def _profile_chart(result: ContractResult) -> str | None:
    """Concurrent: the busy slots over the range's peak day, in local time, against capacity."""
    profile = result.details.get("peak_profile")
    if profile is None or profile.is_empty():
        return None
    contract = result.contract
    points = list(profile.select("instant", "busy").iter_rows())
    day = points[0][0].astimezone(ZoneInfo(contract.timezone)).date()
    end = day_start(day + timedelta(days=1), contract.timezone)
    label = (
        f"{contract.name}: busy slots on the peak day, {day.isoformat()} "
        f"(local time, {contract.timezone})"
    )
    return charts.intraday_steps(
        points, points[0][0], end, contract.timezone, contract.capacity, label
    )


def _balance_chart(result: ContractResult) -> str | None:
    """Flex: each pack's balance over the reported days, denied charges and expiries marked."""
    ledger = result.details.get("ledger")
    if ledger is None or ledger.is_empty() or result.day_rows.is_empty():
        return None
    timezone = result.contract.timezone

    def local(column: str) -> pl.Expr:
        return pl.col(column).dt.convert_time_zone(timezone).dt.replace_time_zone(None)

    ledger = ledger.with_columns(time=local("time")).sort("time")
    packs = [
        (str(pack), list(group.select("time", "balance").iter_rows()))
        for (pack,), group in ledger.group_by("pack_id", maintain_order=True)
    ]
    marks = [
        (instant, f"{instant:%Y-%m-%d %H:%M} expiry of {pack}: {-change:,} tokens")
        for instant, pack, change in ledger.filter(pl.col("reason") == "expire")
        .select("time", "pack_id", "change")
        .iter_rows()
    ]
    charges = result.details.get("charges")
    if charges is not None and "status" in charges.columns:
        denied = charges.filter(pl.col("status") == "denied").with_columns(
            window_start=local("window_start")
        )
        marks += [
            (instant, f"{instant:%Y-%m-%d %H:%M} denied: {user}, {product}, {tokens:,} tokens")
            for instant, user, product, tokens in denied.select(
                "window_start", "user", "product", "tokens"
            ).iter_rows()
        ]
    days = result.day_rows["period"]
    start = datetime.fromisoformat(days.min())  # type: ignore[arg-type]
    end = datetime.fromisoformat(days.max()) + timedelta(days=1)  # type: ignore[arg-type]
    label = f"{result.contract.name}: balance of each pack ({timezone})"
    return charts.balance_steps(packs, marks, start, end, label)


def _month_table(summary: pl.DataFrame, currency: str, timezone: str) -> str:
    """The month summary with the cost spelled out; partial months starred and explained."""
    spelled = [
        f"{price_text(price, grouped=True)} + {excess or 0:,} × "
        f"{price_text(excess_price, grouped=True)} = {cost:,.2f} {currency}"
        if cost is not None
        else ""
        for price, excess, excess_price, cost in summary.select(
            "price", "excess", "excess_price", "cost"
        ).iter_rows()
    ]
    shown = summary.select(
        "scope",
        month=pl.when(pl.col("partial").is_not_null())
        .then(pl.col("month") + "*")
        .otherwise(pl.col("month")),
        days="days_in_range",
        units="units",
        capacity="capacity",
        excess="excess",
        cost="cost",
    ).with_columns(computation=pl.Series(spelled, dtype=pl.String))
    notes = [
        f"* {month}: {partial} in the report range"
        + ("; the monthly price applies in full." if cost is not None else ".")
        for month, partial, cost in summary.filter(pl.col("partial").is_not_null())
        .select("month", "partial", "cost")
        .iter_rows()
    ]
    return table_html(shown.rename({"cost": f"cost ({currency})"}), timezone) + "".join(
        f'<p class="note">{escape(note)}</p>' for note in notes
    )


def _figure(svg: str) -> str:
    """A chart with its title as a visible caption (the SVG's own title is the tooltip)."""
    caption = svg[svg.index("<title>") + 7 : svg.index("</title>")]
    return f"<figure><figcaption>{caption}</figcaption>{svg}</figure>"


def _table_block(title: str, frame: pl.DataFrame, timezone: str, opened: bool = True) -> str:
    """A table under a foldable heading: open when short, folded when long."""
    if frame.is_empty():
        return f"<h3>{escape(title)}: none.</h3>"
    shown = " open" if opened and frame.height <= OPEN_ROWS else ""
    return (
        f"<details{shown}><summary>{escape(title)} ({frame.height:,} rows)</summary>"
        f"{table_html(frame, timezone)}</details>"
    )


def _contract_section(
    audit: AuditResult, result: ContractResult, summary: pl.DataFrame, anchor: str
) -> str:
    contract = result.contract
    timezone = contract.timezone
    facts = [
        f"model {contract.model}",
        f"scope {', '.join(contract.scope) if contract.scope else 'every product'}",
        f"timezone {timezone}",
        f"capacity {contract.capacity:,}" if contract.capacity is not None else "no capacity",
        f"{result.events_in_scope:,} rows in scope",
    ]
    parts = [f'<section id="{anchor}"><h2>{escape(contract.name)}</h2>']
    parts.append(f'<p class="line">{escape(" · ".join(facts))}</p>')
    drawn = [
        *_usage_charts(result),
        _profile_chart(result),
        _activity_chart(audit, result),
        _balance_chart(result),
    ]
    parts.extend(_figure(svg) for svg in drawn if svg is not None)
    parts.append("<h3>Month summary</h3>")
    parts.append(_month_table(summary, audit.currency, timezone))
    over = result.day_rows.filter(pl.col("excess") > 0).select(
        "scope", "period", "units", "capacity", "excess"
    )
    if contract.capacity is None:
        parts.append('<p class="line">No capacity in this contract: nothing can be over it.</p>')
    elif over.is_empty():
        parts.append(f'<p class="line">No day over capacity ({contract.capacity:,}).</p>')
    else:
        parts.append(_table_block("Days over capacity", over, timezone))
    top = _top_users(audit, result)
    if top is not None:
        parts.append(_table_block("Top users", top, timezone))
    if audit.events is None:
        parts.append(
            '<p class="note">The events were read in parts (--parts): the chart of events per '
            "hour and the top users, drawn from every event, are left out. Run without "
            "--parts (--parts 1) on a smaller range to see them.</p>"
        )
    daily = result.day_rows.select("scope", "period", "units", "capacity", "excess")
    parts.append(_table_block("Daily usage", daily, timezone, opened=False))
    for name, detail in result.details.items():
        parts.append(_table_block(name.capitalize(), detail.drop("contract"), timezone))
    parts.append("</section>")
    return "".join(parts)


def _header(
    audit: AuditResult, input_files: Sequence[str], generated_at: datetime
) -> list[tuple[str, str]]:
    contracts = ", ".join(f"{r.contract.name} ({r.contract.model})" for r in audit.results)
    timezones = sorted({r.contract.timezone for r in audit.results})
    days = [p for r in audit.results for p in r.day_rows["period"].to_list()]
    span = f"{min(days)} to {max(days)}" if days else "no day"
    return [
        ("Contracts", contracts or "none"),
        ("Timezone", ", ".join(timezones) + f" (times without offset read in "
         f"{read_in(audit.input_timezone, audit.ingested.files)})"),
        ("Input files", ", ".join(input_files)),
        ("Report range", span),
        ("Generated at", generated_at.isoformat(timespec="seconds")),
    ]  # fmt: skip


def html_bytes(
    audit: AuditResult,
    summary: pl.DataFrame,
    lines: Sequence[str],
    warnings: Sequence[str],
    input_files: Sequence[str],
    generated_at: datetime,
) -> bytes:
    """The page: header facts, ``lines`` (the reconciliation), ``warnings``, each contract.

    ``summary`` is the month summary of every contract (``document.month_summary``).
    """
    facts = "".join(
        f"<dt>{escape(key)}</dt><dd>{escape(value)}</dd>"
        for key, value in _header(audit, input_files, generated_at)
    )
    anchors = [f"contract-{index}" for index in range(len(audit.results))]
    nav = "".join(
        f'<a href="#{anchor}">{escape(result.contract.name)}</a>'
        for anchor, result in zip(anchors, audit.results, strict=True)
    )
    text = "".join(f'<p class="line">{escape(line)}</p>' for line in lines) + "".join(
        f'<p class="warning">warning: {escape(warning)}</p>' for warning in warnings
    )
    sections = "".join(
        _contract_section(
            audit, result, summary.filter(pl.col("contract") == result.contract.name), anchor
        )
        for anchor, result in zip(anchors, audit.results, strict=True)
    )
    # Tables made across contracts after the run (the chargeback, issue 13): month rows.
    timezone = audit.results[0].contract.timezone if audit.results else "UTC"
    sections += "".join(
        f'<section id="{escape(name)}"><h2>{escape(name.capitalize())}</h2>'
        + _table_block(name.capitalize(), by_period["month"], timezone)
        + "</section>"
        for name, by_period in audit.added.items()
    )
    title = "licaudit report"
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f'<body><header><h1>{escape(title)}</h1><dl class="facts">{facts}</dl>{text}'
        f"<nav>{nav}</nav></header>{sections}</body></html>\n"
    )
    return page.encode("utf-8")
