"""The report as an Excel workbook: one sheet per table, safe against formula injection.

Text cells are written as text, never as formulas (XlsxWriter would otherwise turn
``=...`` into one), and still carry the ``'`` prefix of SPEC 4 so that a copy into
another sheet stays inert. Numbers stay numbers; cost keeps two decimals.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

import polars as pl
import xlsxwriter

from licaudit.report.files import as_text_friendly, guard_formulas

MAX_SHEET_NAME = 31  # Excel's limit


def _sheet_name(name: str, taken: set[str]) -> str:
    base = "".join(c if c not in "[]:*?/\\" else "_" for c in name)[:MAX_SHEET_NAME] or "table"
    candidate, count = base, 1
    while candidate.lower() in taken:
        count += 1
        suffix = f" ({count})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


def xlsx_bytes(tables: Mapping[str, pl.DataFrame], summary: Mapping[str, Any]) -> bytes:
    """A workbook with a ``summary`` sheet (the reconciliation) and one sheet per table."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False},
    )
    bold = workbook.add_format({"bold": True})
    money = workbook.add_format({"num_format": "0.00"})
    taken: set[str] = set()
    sheet = workbook.add_worksheet(_sheet_name("summary", taken))
    for row, (key, value) in enumerate(summary.items()):
        sheet.write_string(row, 0, key, bold)
        if isinstance(value, int | float):
            sheet.write_number(row, 1, value)
        else:
            sheet.write_string(row, 1, str(value))
    for name, frame in tables.items():
        sheet = workbook.add_worksheet(_sheet_name(name, taken))
        decimals = {
            column for column, dtype in frame.schema.items() if isinstance(dtype, pl.Decimal)
        }
        ready = guard_formulas(
            as_text_friendly(frame.with_columns(pl.col(decimals).cast(pl.Float64)))
        )
        for column, header in enumerate(ready.columns):
            sheet.write_string(0, column, header, bold)
        for row, values in enumerate(ready.iter_rows(), 1):
            for column, value in enumerate(values):
                _write(
                    sheet, row, column, value, money if ready.columns[column] in decimals else None
                )
        sheet.freeze_panes(1, 0)
    workbook.close()
    return buffer.getvalue()


def _write(sheet: Any, row: int, column: int, value: object, number_format: Any) -> None:
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, int | float | Decimal):
        sheet.write_number(row, column, float(value), number_format)
    else:
        sheet.write_string(row, column, str(value))
