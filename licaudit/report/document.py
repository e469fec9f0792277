"""The report as a whole: its reconciliation line and its file formats (SPEC 1.3, 1.4, 4).

``file_bytes`` picks the writer: one table for CSV and Parquet, every table for
JSON, XLSX and HTML.
"""

from __future__ import annotations

from typing import Any

from licaudit.audit import AuditResult, Period
from licaudit.ingest.events import Ingested
from licaudit.ingest.roster import Roster
from licaudit.report.files import csv_bytes, json_bytes, json_rows, parquet_bytes
from licaudit.report.html import html_bytes
from licaudit.report.xlsx import xlsx_bytes


def reconciliation_line(ingested: Ingested) -> str:
    """``rows_read = rows_used + rows_rejected``, with the rejects by reason."""
    line = (
        f"rows read {ingested.rows_read:,} = used {ingested.rows_used:,}"
        f" + rejected {ingested.rows_rejected:,}"
    )
    if ingested.rows_rejected:
        reasons = ", ".join(f"{r} {n:,}" for r, n in ingested.rejects_by_reason.items())
        line += f" ({reasons})"
    return line


def _counts(audit: AuditResult, roster: Roster | None) -> dict[str, Any]:
    """The reconciliation of the events (and of the roster, when one was read)."""
    ingested = audit.ingested
    counts: dict[str, Any] = {
        "rows_read": ingested.rows_read,
        "rows_used": ingested.rows_used,
        "rows_rejected": ingested.rows_rejected,
        "rejects_by_reason": ingested.rejects_by_reason,
    }
    if roster is not None:
        counts |= {
            "roster_rows_read": roster.rows_read,
            "roster_rows_used": roster.rows_used,
            "roster_rows_rejected": roster.rows_rejected,
        }
    return counts


def file_bytes(
    output_format: str, audit: AuditResult, table: str, period: Period, roster: Roster | None
) -> bytes:
    """The report as bytes of a file format: one table (csv, parquet) or all (json, xlsx, html)."""
    if output_format == "csv":
        return csv_bytes(audit.table(table, period))
    if output_format == "parquet":
        return parquet_bytes(audit.table(table, period))
    tables = {name: audit.table(name, period) for name in audit.table_names()}
    counts = _counts(audit, roster)
    if output_format == "json":
        # SPEC 1.4: the reconciliation and every table, by name.
        rows = {name: json_rows(frame) for name, frame in tables.items()}
        return json_bytes(counts | {"tables": rows})
    if output_format == "xlsx":
        by_reason = counts.pop("rejects_by_reason")
        counts |= {f"rejected: {reason}": count for reason, count in by_reason.items()}
        return xlsx_bytes(tables, counts)
    lines = [reconciliation_line(audit.ingested), *audit.ingested.warnings]
    return html_bytes("licaudit report", lines, tables)
