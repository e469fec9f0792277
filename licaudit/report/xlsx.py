"""The report as an Excel workbook for finance: the month summary first, then one sheet per table.

Values keep their type: numbers are numbers, money (every Decimal column) carries a
currency format, periods and instants are Excel dates (instants arrive already in the
contract's local time, without offset, since Excel has no timezones). Text cells are
written as text, never as formulas; those a spreadsheet would run as one (SPEC 4) get
Excel's own quote prefix, so they show as typed and stay inert when edited or copied.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import xlsxwriter

from licaudit.report.files import INJECTION_PREFIXES

MAX_SHEET_NAME = 31  # Excel's limit
MAX_COLUMN_WIDTH = 60
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
MONTH = re.compile(r"\d{4}-\d{2}")
CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£", "JPY": "¥"}
SUMMARY_NOTE = (
    "cost = price + excess × excess price, per month; a partial month (fewer days in "
    "the report range than the month has) is billed the monthly price in full."
)


def currency_format(currency: str) -> str:
    """An Excel currency format: ``[$€]`` is the locale-independent currency-symbol syntax."""
    symbol = CURRENCY_SYMBOLS.get(currency.upper(), currency)
    return f"#,##0.00 [${symbol}];-#,##0.00 [${symbol}]"


def _sheet_name(name: str, taken: set[str]) -> str:
    base = "".join(c if c not in "[]:*?/\\" else "_" for c in name)[:MAX_SHEET_NAME] or "table"
    candidate, count = base, 1
    while candidate.lower() in taken:
        count += 1
        suffix = f" ({count})"
        candidate = base[: MAX_SHEET_NAME - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate


class _Formats:
    """The workbook's cell formats, made once."""

    def __init__(self, workbook: Any, currency: str) -> None:
        self.header = workbook.add_format({"bold": True, "bottom": 1, "bg_color": "#F2F2F2"})
        self.bold = workbook.add_format({"bold": True})
        self.money = workbook.add_format({"num_format": currency_format(currency)})
        self.integer = workbook.add_format({"num_format": "#,##0"})
        self.decimal = workbook.add_format({"num_format": "#,##0.00"})
        self.day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        self.month = workbook.add_format({"num_format": "yyyy-mm"})
        self.instant = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        self.guarded = workbook.add_format({"quote_prefix": True})
        self.note = workbook.add_format({"italic": True, "font_color": "#595959"})


def _display_width(value: object) -> int:
    """Roughly how many characters Excel shows for a written value."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19
    if isinstance(value, date):
        return 10
    if isinstance(value, Decimal):
        return len(f"{value:,.2f}") + 4
    if isinstance(value, int | float) and not isinstance(value, bool):
        return len(f"{value:,.2f}" if isinstance(value, float) else f"{value:,}")
    return len(str(value))


def _write_cell(sheet: Any, row: int, column: int, value: object, formats: _Formats) -> None:
    """One value with its type: text, number, money, day, month or instant."""
    if value is None:
        return
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, Decimal):
        sheet.write_number(row, column, float(value), formats.money)
    elif isinstance(value, int):
        sheet.write_number(row, column, value, formats.integer)
    elif isinstance(value, float):
        sheet.write_number(row, column, value, formats.decimal)
    elif isinstance(value, timedelta):
        sheet.write_number(row, column, value.total_seconds(), formats.decimal)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, value, formats.instant)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, formats.day)
    elif isinstance(value, str) and value.startswith(INJECTION_PREFIXES):
        sheet.write_string(row, column, value, formats.guarded)
    else:
        sheet.write_string(row, column, str(value))


def _period_value(value: object) -> object:
    """A ``period`` cell as a date: ``YYYY-MM-DD`` a day, ``YYYY-MM`` its month's first day."""
    if isinstance(value, str):
        if DAY.fullmatch(value):
            return date.fromisoformat(value)
        if MONTH.fullmatch(value):
            return _Month.fromisoformat(value + "-01")
    return value


class _Month(date):
    """A month, kept as its first day: written as a date with a ``yyyy-mm`` format."""


def _write_table(sheet: Any, frame: pl.DataFrame, formats: _Formats) -> list[int]:
    """Header and rows from the top-left cell; returns each column's width in characters."""
    widths = [len(name) + 2 for name in frame.columns]  # room for the filter button
    for column, header in enumerate(frame.columns):
        sheet.write_string(0, column, header, formats.header)
    periods = {index for index, name in enumerate(frame.columns) if name in ("period", "month")}
    for row, values in enumerate(frame.iter_rows(), 1):
        for column, value in enumerate(values):
            if column in periods:
                value = _period_value(value)
            if isinstance(value, _Month):
                sheet.write_datetime(row, column, value, formats.month)
                width = 7
            else:
                _write_cell(sheet, row, column, value, formats)
                width = _display_width(value)
            widths[column] = max(widths[column], width)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(frame.height, 1), max(frame.width - 1, 0))
    for column, width in enumerate(widths):
        sheet.set_column(column, column, min(width + 1, MAX_COLUMN_WIDTH))
    return widths


@dataclass(frozen=True)
class Sheet:
    """A table on its own sheet; below it, an optional note and ``facts`` (key, value rows)."""

    name: str
    frame: pl.DataFrame
    note: str | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)


def workbook_bytes(sheets: Sequence[Sheet], currency: str) -> bytes:
    """A workbook of ``sheets`` in their order (names made valid and unique).

    Decimal columns are money in ``currency``; ``period``/``month`` text columns become
    dates; naive datetimes are written as they are (local time of their contract).
    """
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(
        buffer,
        {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False},
    )
    formats = _Formats(workbook, currency)
    taken: set[str] = set()
    for sheet in sheets:
        worksheet = workbook.add_worksheet(_sheet_name(sheet.name, taken))
        _write_table(worksheet, sheet.frame, formats)
        row = sheet.frame.height + 1
        if sheet.note is not None:
            row += 1
            worksheet.write_string(row, 0, sheet.note, formats.note)
        # Below the rows (whose header row stays frozen): the facts behind every number.
        for key, value in sheet.facts.items():
            row += 1
            worksheet.write_string(row, 0, key, formats.bold)
            _write_cell(worksheet, row, 1, value, formats)
    workbook.close()
    return buffer.getvalue()


def xlsx_bytes(
    summary: pl.DataFrame,
    tables: Mapping[str, pl.DataFrame],
    reconciliation: Mapping[str, Any],
    currency: str,
) -> bytes:
    """A workbook: ``summary`` (months, then the reconciliation), then one sheet per table."""
    return workbook_bytes(
        [
            Sheet("summary", summary, SUMMARY_NOTE, reconciliation),
            *(Sheet(name, frame) for name, frame in tables.items()),
        ],
        currency,
    )
