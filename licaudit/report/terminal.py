"""The report and inspection as Rich tables, for a person at a terminal (SPEC 5).

Layout of ``report``: the one-line reconciliation, then per contract the month
summary (units, capacity, excess, cost), the days over capacity, and the model's
details. Piped, the same tables come without colour.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

import polars as pl
from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from licaudit.audit import AuditResult, ContractResult
from licaudit.chargeback import UNASSIGNED
from licaudit.ingest.events import FileReport, Ingested
from licaudit.ingest.roster import Roster
from licaudit.models import MODELS
from licaudit.report.document import (
    header_lines,
    price_text,
    reconciliation_line,
    timezone_line,
)
from licaudit.report.files import as_text_friendly

DETAIL_ROWS_SHOWN = 20
CHARGEBACK, UNGROUPED = "chargeback", "ungrouped"
ANONYMOUS = "(anonymous visitors)"


def roster_line(roster: Roster) -> str:
    return (
        f"roster {roster.path}: rows read {roster.rows_read:,} = used {roster.rows_used:,}"
        f" + rejected {roster.rows_rejected:,}"
    )


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        # Exact in files; two decimals are what a person reads (minutes, rates).
        return f"{value:,.2f}"
    return str(value)


def new_table(console: Console, title: str | None) -> Table:
    """A table with borders on a terminal; piped, plain aligned columns (SPEC 4)."""
    return Table(
        title=title,
        title_justify="left",
        box=box.HEAVY_HEAD if console.is_terminal else None,
        pad_edge=console.is_terminal,
    )


def heading(console: Console, text: str, short: str | None = None) -> None:
    """A rule naming the section; on a narrow terminal the rule holds ``short`` and the
    whole ``text`` follows on its own lines, rather than being cut."""
    if console.is_terminal:
        if short is not None and cell_len(text) + 6 > console.width:
            console.rule(f"[bold]{escape(short)}[/]")
            console.print(text, markup=False, highlight=False)
        else:
            console.rule(f"[bold]{escape(text)}[/]")
    else:
        console.print(f"\n== {text} ==", markup=False)


def frame_table(
    console: Console,
    frame: pl.DataFrame,
    title: str | None = None,
    limit: int | None = None,
    table_name: str | None = None,
) -> Table:
    """``frame`` as a table; past ``limit`` rows, a caption names ``--table table_name``."""
    table = new_table(console, title)
    for name, dtype in frame.schema.items():
        table.add_column(name, justify="right" if dtype.is_numeric() else "left")
    shown = as_text_friendly(frame if limit is None else frame.head(limit))
    for row in shown.iter_rows():
        table.add_row(*(_cell(value) for value in row))
    if limit is not None and frame.height > limit:
        table.caption = _more_rows(frame.height - limit, table_name)
    return table


def _more_rows(count: int, table_name: str | None) -> Text:
    """Where the rows not shown are, on one line even under a narrow table."""
    hint = f"{count:,} more rows: see --format csv --table {table_name or '...'}"
    return Text(hint, no_wrap=True, overflow="ignore")


def short_instants(frame: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Instants as local text a person reads at a glance, in ``timezone``.

    Under a day (a ``period`` column of days) an instant is its time ``HH:MM:SS``;
    one on another local day than its row's (a window ending the next day), and
    every instant of a table without days, is ``YYYY-MM-DD HH:MM``.
    """
    instants = [
        name
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    ]
    if not instants:
        return frame
    day = _days_of(frame)
    columns = []
    for name in instants:
        local = pl.col(name).dt.convert_time_zone(timezone)
        dated = local.dt.strftime("%Y-%m-%d %H:%M")
        if day is not None:
            timed = local.dt.strftime("%H:%M:%S")
            columns.append(pl.when(local.dt.date() == day).then(timed).otherwise(dated).alias(name))
        else:
            columns.append(dated.alias(name))
    return frame.with_columns(columns)


def _days_of(frame: pl.DataFrame) -> pl.Expr | None:
    """The local day of each row, when the table's ``period`` column holds days."""
    if "period" in frame.columns and frame.schema["period"] == pl.String:
        periods = frame["period"].drop_nulls()
        if periods.len() and (periods.str.len_chars() == 10).all():
            return pl.col("period").str.to_date("%Y-%m-%d", strict=False)
    return None


def _split_header(name: str) -> str:
    """``running_total`` on two lines (``running_`` / ``total``): narrow tables fit."""
    return name.replace("_", "_\n")


def detail_table(
    console: Console, detail: pl.DataFrame, name: str, timezone: str, limit: int = DETAIL_ROWS_SHOWN
) -> Table:
    """One contract's detail table, readable at 80 columns (SPEC 5).

    No ``contract`` column (the section heading names it); instants local and short
    (``short_instants``); text wraps, and long words (user names) fold onto the next
    line instead of being cut; numbers, days and times never wrap. Headers split at
    ``_`` when the table would be wider than the console. Past ``limit`` rows, the
    caption names the table to ask for: ``--table NAME``.
    """
    frame = short_instants(detail.drop("contract", strict=False), timezone)
    # The section heading names the contract and its timezone, in which times are shown.
    title = f"{name.capitalize()} ({detail.height:,})"
    shown = as_text_friendly(frame.head(limit))
    rows = [[_cell(value) for value in row] for row in shown.iter_rows()]
    plain = {n for n, dtype in detail.schema.items() if dtype == pl.String and n != "period"}
    # HH:MM:SS never wraps; YYYY-MM-DD HH:MM may, at its space.
    under_day = _days_of(frame) is not None

    widths = [max((cell_len(row[i]) for row in rows), default=0) for i in range(frame.width)]

    def build(split: bool) -> Table:
        table = new_table(console, title)
        for (column, dtype), width in zip(frame.schema.items(), widths, strict=True):
            table.add_column(
                _split_header(column) if split and cell_len(column) > width else column,
                justify="right" if dtype.is_numeric() else "left",
                overflow="fold",
                no_wrap=column not in plain and (not _is_instant(detail, column) or under_day),
            )
        for row in rows:
            table.add_row(*row)
        if detail.height > limit:
            table.caption = _more_rows(detail.height - limit, name)
        return table

    table = build(split=False)
    # Measured without the console's bound, which clamps the measure to its width.
    unbounded = console.options.update(width=10_000)
    if console.measure(table, options=unbounded).maximum > console.width:
        table = build(split=True)
    return table


def _is_instant(frame: pl.DataFrame, column: str) -> bool:
    dtype = frame.schema.get(column)
    return isinstance(dtype, pl.Datetime) and dtype.time_zone is not None


def _cost_notes(result: ContractResult, currency: str) -> list[str]:
    """The computation of each month billed more than its price: price + excess × excess price."""
    contract = result.contract
    if not contract.priced:
        return []
    price = contract.price or Decimal(0)
    excess_price = contract.excess_price or Decimal(0)
    billed = result.month_rows.filter(pl.col("excess") > 0)
    return [
        f"{row['scope']} {row['period']}: {price_text(price)} + {row['excess']:,} × "
        f"{price_text(excess_price)}"
        f" = {row['cost']:.2f} {currency}"
        for row in billed.iter_rows(named=True)
    ]


def _counted_rows(result: ContractResult) -> str:
    return "roster rows" if "roster" in MODELS[result.contract.model].reads else "events"


def _contract_section(console: Console, result: ContractResult, currency: str) -> None:
    contract = result.contract
    scope = f", scope {', '.join(contract.scope)}" if contract.scope else ""
    heading(
        console,
        f"{contract.name} ({contract.model}{scope}, {contract.timezone}): "
        f"{result.events_in_scope:,} {_counted_rows(result)} in scope",
        contract.name,
    )
    months = result.month_rows.with_columns(
        month_length=pl.col("period").str.to_date("%Y-%m").dt.month_end().dt.day().cast(pl.Int64)
    )
    partial = pl.col("days") < pl.col("month_length")
    table = frame_table(
        console,
        months.select(
            "scope",
            pl.when(partial).then(pl.col("period") + "*").otherwise(pl.col("period")),
            "units",
            "capacity",
            "excess",
            pl.col("cost").alias(f"cost ({currency})"),
        ),
        "Month summary",
    )
    notes = [
        f"* {row['period']}: partial month, {row['days']} of {row['month_length']} days "
        "in the report range"
        + ("; the monthly price applies in full." if row["cost"] is not None else ".")
        for row in months.filter(partial).iter_rows(named=True)
    ]
    notes += _cost_notes(result, currency)
    table.caption = "\n".join(notes) or None
    console.print(table)
    over = result.day_rows.filter(pl.col("excess") > 0).select(
        "scope", "period", "units", "capacity", "excess"
    )
    if contract.capacity is None:
        console.print("No capacity in this contract: nothing can be over it.")
    elif over.is_empty():
        console.print(f"No day over capacity ({contract.capacity:,}).")
    else:
        console.print(frame_table(console, over, f"Days over capacity ({over.height})"))
    for name, detail in result.details.items():
        if detail.is_empty():
            console.print(f"{name.capitalize()}: none.")
        else:
            console.print(detail_table(console, detail, name, contract.timezone))


def render_report(
    console: Console, audit: AuditResult, warnings: Sequence[str], roster: Roster | None
) -> None:
    for line in header_lines(audit.ingested, audit.input_timezone):
        console.print(line, markup=False)
    if roster is not None:
        console.print(roster_line(roster))
    for warning in [*warnings, *audit.warnings]:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    for result in audit.results:
        _contract_section(console, result, audit.currency)
    if CHARGEBACK in audit.added:
        _chargeback_section(console, audit)


def _chargeback_section(console: Console, audit: AuditResult) -> None:
    """The month rows of ``chargeback`` (a bill is monthly, whatever ``--period``), then
    the users charged to ``unassigned``: each with the contracts they use."""
    heading(console, "Chargeback: units and cost per group and month", "Chargeback")
    months = audit.added[CHARGEBACK]["month"]
    table = frame_table(
        console,
        months.drop("currency").rename({"cost": f"cost ({audit.currency})"}),
        "Chargeback",
    )
    table.caption = (
        "a month's cost shared in proportion to the groups' units, each share in cents, the "
        "cents left over to the largest; day rows: --format csv --table chargeback"
    )
    table.caption_justify = "left"
    console.print(table)
    ungrouped = audit.added.get(UNGROUPED, {}).get("month")
    if ungrouped is None or ungrouped.is_empty():
        console.print("Every user has a group.")
        return
    users = (
        ungrouped.group_by("user", maintain_order=True)
        .agg(contracts=pl.col("contract").unique(maintain_order=True).str.join(", "))
        .sort("user", nulls_last=True)
        .with_columns(pl.col("user").fill_null(ANONYMOUS))
    )
    # The title on its own line: a table's title wraps at the (narrow) table's width.
    console.print(f"Ungrouped ({users.height:,}): charged to {UNASSIGNED}", markup=False)
    console.print(frame_table(console, users, None, DETAIL_ROWS_SHOWN, UNGROUPED))


def _mapping_rows(report: FileReport) -> list[tuple[str, str, str]]:
    rows: list[tuple[str, str, str]] = []
    if report.combined_date_time and report.mapping.date_time_pair is not None:
        date, time = report.mapping.date_time_pair
        rows.append(("ts", f"{date.name} + {time.name}", ""))
    for canonical, match in report.mapping.chosen.items():
        if canonical == "ts" and report.combined_date_time:
            continue
        how = {
            "seconds": " (duration, s)",
            "minutes": " (duration, min)",
            "inverted": " (inverted)",
        }
        ignored = ", ".join(report.mapping.ignored.get(canonical, []))
        rows.append((canonical, match.name + how.get(match.reading, ""), ignored))
    return rows


def _date_order(report: FileReport) -> str:
    if report.date_order_basis == "none":
        return "—"
    return report.date_order + {"assumed": " (assumed)", "forced": " (--date-order)"}.get(
        report.date_order_basis, ""
    )


def render_inspection(
    console: Console, summary: dict[str, Any], ingested: Ingested, input_timezone: str
) -> None:
    files = new_table(console, "Files")
    for column in ("file", "format", "encoding", "delimiter", "date order", "rows", "rejected"):
        files.add_column(column, justify="right" if column in ("rows", "rejected") else "left")
    for report in ingested.files:
        fmt = report.format + (" (gzip)" if report.compressed else "")
        delimiter = {"\t": "tab", None: ""}.get(report.delimiter, report.delimiter or "")
        files.add_row(
            str(report.path), fmt, report.encoding or "", delimiter, _date_order(report),
            f"{report.rows_read:,}", f"{report.rows_rejected:,}",
        )  # fmt: skip
    console.print(files)
    for report in ingested.files:
        mapping = new_table(console, f"Columns of {report.path}")
        for column in ("canonical", "source column", "ignored"):
            mapping.add_column(column)
        for row in _mapping_rows(report):
            mapping.add_row(*row)
        unused = [c for c in report.columns if c not in _used_names(report)]
        if unused:
            mapping.caption = "not used: " + ", ".join(unused)
        console.print(mapping)
    console.print(reconciliation_line(ingested))
    console.print(timezone_line(input_timezone, ingested.files), markup=False)
    for key in ("first_event", "last_event", "users", "methods", "products"):
        console.print(f"{key.replace('_', ' ')}: {summary[key]}")
    for warning in summary["warnings"]:
        console.print(f"[yellow]warning:[/] {escape(warning)}")
    if "roster" in summary:
        _roster_section(console, summary["roster"])


def _roster_section(console: Console, roster: dict[str, Any]) -> None:
    console.print(
        f"roster {roster['path']} ({roster['mode']}): rows read {roster['rows_read']:,} = "
        f"used {roster['rows_used']:,} + rejected {roster['rows_rejected']:,}",
        markup=False,
    )
    console.print(
        f"snapshots (distinct ts): {roster['snapshots']:,}, first {roster['first']}, "
        f"last {roster['last']}",
        markup=False,
    )
    rows = roster["accounts_per_snapshot"]
    if rows:
        frame = pl.DataFrame(rows, orient="row")
        console.print(frame_table(console, frame, "Accounts per snapshot", DETAIL_ROWS_SHOWN))


def _used_names(report: FileReport) -> set[str]:
    used = {match.name for match in report.mapping.chosen.values()}
    for names in report.mapping.ignored.values():
        used.update(names)
    if report.mapping.date_time_pair is not None and report.combined_date_time:
        used.update(match.name for match in report.mapping.date_time_pair)
    return used


def render_frame(console: Console, frame: pl.DataFrame, title: str) -> None:
    """One table, whole."""
    console.print(frame_table(console, frame, title))
