"""The report as a whole: its reconciliation line and its file formats (SPEC 1.3, 1.4, 4).

``file_bytes`` picks the writer: one table for CSV and Parquet, every table for
JSON, XLSX and HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import polars as pl

from licaudit.audit import COST_DTYPE, USAGE_SCHEMA, AuditResult, Period
from licaudit.ingest.events import Ingested
from licaudit.ingest.roster import Roster
from licaudit.report.files import csv_bytes, json_bytes, json_rows, parquet_bytes
from licaudit.report.html import html_bytes
from licaudit.report.xlsx import xlsx_bytes

REASON_NAMES = {
    "malformed": "malformed record",
    "missing_ts": "missing timestamp",
    "unparseable_ts": "unreadable timestamp",
    "unparseable_end": "unreadable end",
    "out_of_range": "time out of range",
    "end_before_ts": "end before start",
}
"""How a person reads each reject reason; files and JSON keep the codes (SPEC 1.4)."""


def reconciliation_line(ingested: Ingested) -> str:
    """``rows_read = rows_used + rows_rejected``, with the rejects by reason in words."""
    line = (
        f"rows read {ingested.rows_read:,} = used {ingested.rows_used:,}"
        f" + rejected {ingested.rows_rejected:,}"
    )
    if ingested.rows_rejected:
        reasons = ", ".join(
            f"{REASON_NAMES.get(r, r)} {n:,}" for r, n in ingested.rejects_by_reason.items()
        )
        line += f" ({reasons}); see each rejected row with --rejects FILE"
    return line


def timezone_line(input_timezone: str) -> str:
    """Which timezone naive timestamps (no offset, dates alone) were read in (SPEC 1.2)."""
    return f"times without offset read in {input_timezone} (set input_timezone or --input-tz)"


def _counts(audit: AuditResult, roster: Roster | None) -> dict[str, Any]:
    """The reconciliation of the events (and of the roster, when one was read)."""
    ingested = audit.ingested
    counts: dict[str, Any] = {
        "rows_read": ingested.rows_read,
        "rows_used": ingested.rows_used,
        "rows_rejected": ingested.rows_rejected,
        "rejects_by_reason": ingested.rejects_by_reason,
        "input_timezone": audit.input_timezone,
    }
    if roster is not None:
        counts |= {
            "roster_rows_read": roster.rows_read,
            "roster_rows_used": roster.rows_used,
            "roster_rows_rejected": roster.rows_rejected,
        }
    return counts


def _csv(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    return csv_bytes(audit.table(table, period))


def _parquet(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    return parquet_bytes(audit.table(table, period))


def _tables(audit: AuditResult, period: Period) -> dict[str, pl.DataFrame]:
    return {name: audit.table(name, period) for name in audit.table_names()}


def _json(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    # SPEC 1.4: the reconciliation and every table, by name.
    rows = {name: json_rows(frame) for name, frame in _tables(audit, period).items()}
    return json_bytes(_counts(audit, roster) | {"tables": rows})


def localized(frame: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Instants as the contract's wall-clock time, without offset (what Excel can hold)."""
    return frame.with_columns(
        pl.col(name).dt.convert_time_zone(timezone).dt.replace_time_zone(None)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    )


def local_tables(audit: AuditResult, period: Period) -> dict[str, pl.DataFrame]:
    """Every table as ``_tables``, its instants in each row's contract timezone, naive."""
    tables = {"usage": audit.usage(period)}
    for name in audit.table_names()[1:]:
        frames = [
            localized(result.details[name], result.contract.timezone)
            for result in audit.results
            if name in result.details
        ]
        tables[name] = pl.concat(frames, how="diagonal_relaxed")
    return tables


def month_summary(audit: AuditResult) -> pl.DataFrame:
    """Per contract and month: units, capacity, excess, the prices, cost; partial months marked."""
    frames = []
    for result in audit.results:
        contract = result.contract
        # SPEC 3, Money: a missing price or excess price counts as 0 once either is given.
        zero = Decimal(0) if contract.priced else None
        frames.append(
            result.month_rows.with_columns(
                month_days=pl.col("period")
                .str.to_date("%Y-%m")
                .dt.month_end()
                .dt.day()
                .cast(pl.Int64),
                price=pl.lit(contract.price or zero, COST_DTYPE),
                excess_price=pl.lit(contract.excess_price or zero, COST_DTYPE),
            )
        )
    months = (
        pl.concat(frames)
        if frames
        else pl.DataFrame(schema=USAGE_SCHEMA).with_columns(
            month_days=pl.lit(None, pl.Int64),
            price=pl.lit(None, COST_DTYPE),
            excess_price=pl.lit(None, COST_DTYPE),
        )
    )
    partial = pl.col("days") < pl.col("month_days")
    return months.select(
        "contract",
        "model",
        "scope",
        month="period",
        days_in_range="days",
        month_days="month_days",
        partial=pl.when(partial).then(pl.format("partial: {} of {} days", "days", "month_days")),
        units="units",
        capacity="capacity",
        excess="excess",
        price="price",
        excess_price="excess_price",
        cost="cost",
        currency="currency",
    )


def _xlsx(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    counts = _counts(audit, roster)
    by_reason = counts.pop("rejects_by_reason")
    counts |= {f"rejected: {reason}": count for reason, count in by_reason.items()}
    return xlsx_bytes(month_summary(audit), local_tables(audit, period), counts, audit.currency)


def _html(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    # One page whatever --period: the month summary and the daily usage are both in it.
    lines = [reconciliation_line(audit.ingested)]
    files = [str(report.path) for report in audit.ingested.files]
    if roster is not None:
        files.append(f"{roster.path} (roster)")
    return html_bytes(
        audit,
        month_summary(audit),
        lines,
        [*audit.ingested.warnings, *audit.warnings],
        files,
        datetime.now().astimezone(),
    )


Writer = Callable[[AuditResult, str, Period, "Roster | None"], bytes]

WRITERS: dict[str, Writer] = {
    "csv": _csv,
    "parquet": _parquet,
    "json": _json,
    "xlsx": _xlsx,
    "html": _html,
}
"""File formats: one table (csv, parquet) or every table (json, xlsx, html)."""

BINARY_FORMATS = ("parquet", "xlsx")


def file_bytes(
    output_format: str, audit: AuditResult, table: str, period: Period, roster: Roster | None
) -> bytes:
    """The report as bytes of a file format."""
    return WRITERS[output_format](audit, table, period, roster)
