"""The report as a whole: its reconciliation line and its file formats (SPEC 1.3, 1.4, 4).

``file_bytes`` picks the writer: one table for CSV and Parquet, every table for
JSON, XLSX and HTML.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl

from licaudit.audit import AuditResult, Period
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


def _xlsx(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    counts = _counts(audit, roster)
    by_reason = counts.pop("rejects_by_reason")
    counts |= {f"rejected: {reason}": count for reason, count in by_reason.items()}
    return xlsx_bytes(_tables(audit, period), counts)


def _html(audit: AuditResult, table: str, period: Period, roster: Roster | None) -> bytes:
    lines = [
        reconciliation_line(audit.ingested),
        timezone_line(audit.input_timezone),
        *audit.ingested.warnings,
        *audit.warnings,
    ]
    return html_bytes("licaudit report", lines, _tables(audit, period))


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
