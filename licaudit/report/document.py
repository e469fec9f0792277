"""The report as a whole: its reconciliation line and its file formats (SPEC 1.3, 1.4, 4).

``file_bytes`` picks the writer: one table for CSV and Parquet, every table for
JSON, XLSX and HTML.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl

from licaudit.audit import COST_DTYPE, USAGE_SCHEMA, AuditResult, Period
from licaudit.ingest.events import FileReport, Ingested
from licaudit.ingest.roster import Roster
from licaudit.report.files import (
    csv_bytes,
    csv_excel_bytes,
    json_bytes,
    json_rows,
    local_instants,
    parquet_bytes,
    typed_for_parquet,
)

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


def timezone_line(input_timezone: str, files: Sequence[FileReport] = ()) -> str:
    """Which timezone naive timestamps (no offset, dates alone) were read in (SPEC 1.2),
    and the W3C/IIS date + time pairs of ``files`` where that differs (UTC by default)."""
    return f"times without offset read in {read_in(input_timezone, files)}" + (
        " (set input_timezone or --input-tz)"
    )


def header_lines(ingested: Ingested, input_timezone: str) -> list[str]:
    """What a report says of its input before its numbers: the reconciliation, the
    timezone naive times were read in, and the columns chosen over others."""
    return [
        reconciliation_line(ingested),
        timezone_line(input_timezone, ingested.files),
        *column_lines(ingested.files),
    ]


def column_choices(files: Sequence[FileReport]) -> list[dict[str, Any]]:
    """Where a file offered several columns for one field: which it used, which it ignored
    (SPEC 1.4: "inspect and the report's header say which column was used and which
    ignored")."""
    return [
        {"file": str(report.path), "field": field, "used": match.name, "ignored": ignored}
        for report in files
        for field, match in report.mapping.chosen.items()
        # A W3C date + time pair is ts (the date and time columns together, read_in).
        if not (field == "ts" and report.combined_date_time)
        and (ignored := report.mapping.ignored.get(field, []))
    ]


def column_lines(files: Sequence[FileReport]) -> list[str]:
    """``column_choices`` as a person reads them, one line a file."""
    by_file: dict[str, list[str]] = {}
    for choice in column_choices(files):
        ignored = ", ".join(choice["ignored"])
        by_file.setdefault(Path(choice["file"]).name, []).append(
            f"{choice['field']} from {choice['used']} ({ignored} ignored)"
        )
    return [f"columns of {name}: {'; '.join(fields)}" for name, fields in by_file.items()]


def read_in(input_timezone: str, files: Sequence[FileReport] = ()) -> str:
    """``input_timezone``, and the W3C/IIS date + time pairs read in another, by file."""
    pairs = [
        f"{report.path.name}'s date + time in {report.w3c_timezone}"
        for report in files
        if report.w3c_timezone is not None and report.w3c_timezone != input_timezone
    ]
    return ", ".join([input_timezone, *pairs])


def reconciliation_counts(ingested: Ingested) -> dict[str, Any]:
    """``rows_read = rows_used + rows_rejected`` and the rejects by reason: the keys every
    JSON output starts with (SPEC 1.4)."""
    return {
        "rows_read": ingested.rows_read,
        "rows_used": ingested.rows_used,
        "rows_rejected": ingested.rows_rejected,
        "rejects_by_reason": ingested.rejects_by_reason,
    }


def _counts(audit: AuditResult, roster: Roster | None) -> dict[str, Any]:
    """The reconciliation of the events (and of the roster, when one was read)."""
    ingested = audit.ingested
    counts = reconciliation_counts(ingested) | {"input_timezone": audit.input_timezone}
    if choices := column_choices(ingested.files):
        counts["column_choices"] = choices
    if roster is not None:
        counts |= {
            "roster_rows_read": roster.rows_read,
            "roster_rows_used": roster.rows_used,
            "roster_rows_rejected": roster.rows_rejected,
        }
    return counts


def contract_timezones(audit: AuditResult) -> dict[str, str]:
    """Each contract's timezone by name: the ``contract`` column of a table maps through it."""
    return {result.contract.name: result.contract.timezone for result in audit.results}


def local_table(audit: AuditResult, table: str, period: Period) -> pl.DataFrame:
    """``audit.table``, each row's instants as ISO text in its contract's timezone."""
    return local_instants(audit.table(table, period), contract_timezones(audit))


def _csv(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    return csv_bytes(local_table(audit, table, period))


def _csv_excel(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    return csv_excel_bytes(local_table(audit, table, period))


def _parquet(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    typed = typed_for_parquet(audit.table(table, period), contract_timezones(audit))
    return parquet_bytes(typed)


def _tables(audit: AuditResult, period: Period) -> dict[str, pl.DataFrame]:
    return {name: local_table(audit, name, period) for name in audit.table_names()}


def cost_computation(
    price: Decimal | None, excess: int | None, excess_price: Decimal | None, cost: Decimal | None,
    currency: str,
) -> str | None:  # fmt: skip
    """``price + excess × excess price = cost currency``, exact, for a priced month."""
    if cost is None:
        return None
    return (
        f"{price_text(price)} + {excess or 0} × {price_text(excess_price)} = {cost:.2f} {currency}"
    )


def price_text(value: Decimal | None, grouped: bool = False) -> str:
    """A contract's price as written, to the cent at least: ``1500.00``, ``10.005``.

    Not rounded: in ``price + excess × excess price`` it is a factor, and a price of
    10.005 shown as 10.00 makes the sum look wrong (only the cost is rounded, SPEC 3).
    ``grouped``: thousands separated by commas.
    """
    value = value or Decimal(0)
    exponent = value.normalize().as_tuple().exponent
    places = max(2, -exponent) if isinstance(exponent, int) else 2
    return f"{value:,.{places}f}" if grouped else f"{value:.{places}f}"


def _decimal_text(value: Decimal | None) -> str | None:
    """Money as exact decimal text (``1920.50``): a JSON number would be a float."""
    return None if value is None else str(value)


def contract_documents(audit: AuditResult) -> list[dict[str, Any]]:
    """Per contract what the terminal shows, whatever ``--period``.

    Its terms (prices as exact decimal text), the month summary (cost and its
    computation, partial months flagged), the days over capacity, the daily usage,
    and the names of its detail tables (their rows are in ``tables``).
    """
    summary = month_summary(audit)
    documents = []
    for result in audit.results:
        contract = result.contract
        months = summary.filter(pl.col("contract") == contract.name)
        month_rows = [
            {
                "scope": row["scope"],
                "month": row["month"],
                "days_in_range": row["days_in_range"],
                "month_days": row["month_days"],
                "partial": row["partial"] is not None,
                "units": row["units"],
                "capacity": row["capacity"],
                "excess": row["excess"],
                "cost": _decimal_text(row["cost"]),
                "computation": cost_computation(
                    row["price"], row["excess"], row["excess_price"], row["cost"], audit.currency
                ),
            }
            for row in months.iter_rows(named=True)
        ]
        days = result.day_rows.select("scope", "period", "units", "capacity", "excess")
        documents.append(
            {
                "name": contract.name,
                "model": contract.model,
                "scope": list(contract.scope) if contract.scope is not None else None,
                "timezone": contract.timezone,
                "capacity": contract.capacity,
                "price": _decimal_text(contract.price),
                "excess_price": _decimal_text(contract.excess_price),
                "currency": audit.currency,
                "events_in_scope": result.events_in_scope,
                "warnings": list(result.warnings),
                "months": month_rows,
                "days_over_capacity": days.filter(pl.col("excess") > 0).to_dicts(),
                "days": days.to_dicts(),
                "tables": list(result.details),
            }
        )
    return documents


def _json(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    # SPEC 1.4: the reconciliation and every table, by name; then per contract its
    # month summary, days over capacity and detail tables' names, whatever --period.
    rows = {name: json_rows(frame) for name, frame in _tables(audit, period).items()}
    return json_bytes(
        _counts(audit, roster) | {"tables": rows, "contracts": contract_documents(audit)}
    )


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
        if name in audit.added:  # the chargeback: no instants
            tables[name] = audit.table(name, period)
            continue
        frames = [
            localized(result.details[name], result.contract.timezone)
            for result in audit.results
            if name in result.details
        ]
        # A table added after the run (``AuditResult.add_table``) is no contract's detail.
        tables[name] = (
            pl.concat(frames, how="diagonal_relaxed") if frames else audit.table(name, period)
        )
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
    # The writers of workbooks and pages are imported when one is written: xlsxwriter and
    # the chart code cost 0.03 s of every run's start-up otherwise.
    from licaudit.report.xlsx import xlsx_bytes

    counts = _counts(audit, roster)
    by_reason = counts.pop("rejects_by_reason")
    counts |= {f"rejected: {reason}": count for reason, count in by_reason.items()}
    return xlsx_bytes(month_summary(audit), local_tables(audit, period), counts, audit.currency)


def _html(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    from licaudit.report.html import html_bytes

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
    output_format: str,
    audit: AuditResult,
    table: str,
    period: Period,
    roster: Roster | None,
    csv_dialect: str = "rfc4180",
) -> bytes:
    """The report as bytes of a file format; ``csv_dialect`` ``excel``: ``csv_excel_bytes``."""
    if output_format == "csv" and csv_dialect == "excel":
        return _csv_excel(audit, table, period, roster)
    return WRITERS[output_format](audit, table, period, roster)
