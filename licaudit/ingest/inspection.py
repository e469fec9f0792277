"""What ``licaudit inspect`` reports about the input: files, mapping, counts, range (SPEC 5)."""

from __future__ import annotations

from typing import Any

import polars as pl

from licaudit.ingest.events import FileReport, Ingested
from licaudit.ingest.roster import Roster
from licaudit.periods import TIMESTAMP_FORMAT


def _file_summary(report: FileReport) -> dict[str, Any]:
    mapping = {canonical: match.name for canonical, match in report.mapping.chosen.items()}
    if report.combined_date_time and report.mapping.date_time_pair is not None:
        date, time = report.mapping.date_time_pair
        mapping["ts"] = f"{date.name} + {time.name}"
    return {
        "path": str(report.path),
        "format": report.format,
        "compressed": report.compressed,
        "encoding": report.encoding,
        "delimiter": report.delimiter,
        # None: the file holds no slash date, so no order was needed (SPEC 1.2).
        "date_order": None if report.date_order_basis == "none" else report.date_order,
        "date_order_basis": report.date_order_basis,
        "columns": report.columns,
        "mapping": mapping,
        "ignored": {key: names for key, names in report.mapping.ignored.items() if names},
        "rows_read": report.rows_read,
        "rows_rejected": report.rows_rejected,
    }


def inspection_summary(ingested: Ingested) -> dict[str, Any]:
    """A JSON-ready description of the input, shown by ``inspect``."""
    events = ingested.events
    stats = events.select(
        first_event=pl.col("ts").min().dt.strftime(TIMESTAMP_FORMAT),
        last_event=pl.col("ts").max().dt.strftime(TIMESTAMP_FORMAT),
        users=pl.col("user").filter(~pl.col("anonymous")).n_unique(),
        anonymous_rows=pl.col("anonymous").sum(),
        methods=pl.col("method").n_unique(),
        products=pl.col("product").n_unique(),
    ).row(0, named=True)
    return {
        "files": [_file_summary(report) for report in ingested.files],
        "rows_read": ingested.rows_read,
        "rows_used": ingested.rows_used,
        "rows_rejected": ingested.rows_rejected,
        "rejects_by_reason": ingested.rejects_by_reason,
        **stats,
        "method_names": sorted(events.get_column("method").unique().to_list()),
        "product_names": sorted(events.get_column("product").unique().to_list()),
        "warnings": ingested.warnings,
    }


def roster_summary(roster: Roster) -> dict[str, Any]:
    """What a roster holds: its reconciliation, mode, and the snapshots (instants) found."""
    snapshots = (
        roster.states.group_by("ts")
        .agg(rows=pl.len(), accounts=pl.col("user").n_unique())
        .sort("ts")
        .with_columns(pl.col("ts").dt.strftime(TIMESTAMP_FORMAT))
    )
    return {
        "path": str(roster.path),
        "mode": roster.mode,
        "rows_read": roster.rows_read,
        "rows_used": roster.rows_used,
        "rows_rejected": roster.rows_rejected,
        "snapshots": snapshots.height,
        "first": snapshots["ts"].first() if snapshots.height else None,
        "last": snapshots["ts"].last() if snapshots.height else None,
        "accounts_per_snapshot": snapshots.select("ts", "accounts").rows(named=True),
    }
