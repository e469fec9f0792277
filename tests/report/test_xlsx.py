"""The workbook finance opens (issue 12 item 4): read back with openpyxl, types and numbers."""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import openpyxl
import polars as pl
import pytest

from licaudit.audit import AuditResult, Period
from licaudit.report.document import file_bytes
from licaudit.report.files import csv_bytes
from licaudit.report.xlsx import currency_format, xlsx_bytes
from tests.report.conftest import audit_of, folder_of

EVENTS = (
    "timestamp,user,method,product\n"
    "2025-09-30T23:30:00+02:00,alice,web,ne\n"
    "2025-10-01T08:00:00+02:00,alice,web,ne\n"
    "2025-10-01T08:05:00+02:00,=HYPERLINK(x),web,ne\n"
    "2025-10-02T09:00:00+02:00,bob,web,ne\n"
)
CONTRACT = (
    'currency = "EUR"\n[[contract]]\nname = "ne"\nmodel = "daily-active"\n'
    "capacity = 1\nprice = 100\nexcess_price = 10.5\n"
)


def workbook_of(audit: AuditResult, period: Period = "day") -> Any:
    return openpyxl.load_workbook(io.BytesIO(file_bytes("xlsx", audit, "usage", period, None)))


def rows_of(sheet: Any) -> list[dict[str, Any]]:
    header, *rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    return [dict(zip(header, row, strict=True)) for row in rows]


@pytest.fixture
def small(tmp_path: Path) -> AuditResult:
    return audit_of(folder_of(tmp_path, EVENTS, CONTRACT))


def test_summary_sheet_comes_first_with_one_row_per_contract_and_month(small: AuditResult) -> None:
    workbook = workbook_of(small)
    assert workbook.sheetnames == ["summary", "usage", "refused"]
    summary = workbook["summary"]
    months = [row for row in rows_of(summary) if row["contract"] == "ne"]
    assert [(m["month"], m["units"], m["capacity"], m["excess"], m["cost"]) for m in months] == [
        (datetime(2025, 9, 1), 1, 1, 0, 100),
        (datetime(2025, 10, 1), 2, 1, 1, 110.5),
    ]
    assert [(m["price"], m["excess_price"], m["currency"]) for m in months] == [
        (100, 10.5, "EUR"),
        (100, 10.5, "EUR"),
    ]


def test_partial_months_are_marked_from_the_days_column(small: AuditResult) -> None:
    months = rows_of(workbook_of(small)["summary"])[:2]
    assert [(m["days_in_range"], m["month_days"], m["partial"]) for m in months] == [
        (1, 30, "partial: 1 of 30 days"),
        (2, 31, "partial: 2 of 31 days"),
    ]


def test_money_has_a_currency_format_and_periods_are_excel_dates(small: AuditResult) -> None:
    workbook = workbook_of(small)
    summary = workbook["summary"]
    cost = summary["M3"]
    assert cost.value == 110.5 and cost.data_type == "n"
    assert cost.number_format == currency_format("EUR") and "€" in cost.number_format
    assert summary["D3"].is_date and summary["D3"].number_format == "yyyy-mm"
    usage = workbook["usage"]
    assert usage["D2"].is_date and usage["D2"].number_format == "yyyy-mm-dd"
    assert usage["D2"].value == datetime(2025, 9, 30)


def test_instants_are_local_wall_clock_times_of_the_contract(small: AuditResult) -> None:
    refused = rows_of(workbook_of(small)["refused"])
    # 06:05 UTC is 08:05 in Paris (CEST): Excel holds the wall-clock time, naive.
    assert refused[0]["first_event"] == datetime(2025, 10, 1, 8, 5)


def test_formula_text_shows_without_apostrophe_and_stays_text(small: AuditResult) -> None:
    refused = workbook_of(small)["refused"]
    cell = refused["C2"]
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=hyperlink(x)", "s", True)
    assert refused["A2"].quotePrefix is False


def test_every_sheet_has_a_frozen_header_an_autofilter_and_fitting_widths(
    small: AuditResult,
) -> None:
    workbook = workbook_of(small)
    for sheet in workbook.worksheets:
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref is not None and sheet.auto_filter.ref.startswith("A1:")
    refused = workbook["refused"]
    assert refused.column_dimensions["C"].width >= len("=hyperlink(x)")


def test_every_number_equals_the_csv_output(sample_audit: AuditResult) -> None:
    periods: tuple[Period, ...] = ("day", "month")
    for period in periods:
        workbook = workbook_of(sample_audit, period)
        for name in sample_audit.table_names():
            frame = sample_audit.table(name, period)
            expected = pl.read_csv(io.BytesIO(csv_bytes(frame)), infer_schema_length=None)
            sheet = rows_of(workbook[name])
            assert len(sheet) == expected.height, name
            for column, dtype in expected.schema.items():
                if not dtype.is_numeric():
                    continue
                written = [row[column] for row in sheet]
                assert all(v is None or isinstance(v, int | float) for v in written), column
                assert written == pytest.approx(expected[column].to_list()), (name, column)


def test_every_instant_is_the_csv_instant_in_the_contract_timezone(
    sample_audit: AuditResult,
) -> None:
    paris = ZoneInfo("Europe/Paris")
    ledger = sample_audit.table("ledger", "day")
    written = [row["time"] for row in rows_of(workbook_of(sample_audit)["ledger"])]
    expected = [
        instant.astimezone(paris).replace(tzinfo=None) for instant in ledger["time"].to_list()
    ]
    # Excel keeps milliseconds at best: compare to the second.
    assert [w.replace(microsecond=0) for w in written] == [
        e.replace(microsecond=0) for e in expected
    ]


def test_writer_types_each_value() -> None:
    frame = pl.DataFrame(
        {
            "period": ["2025-10"],
            "day": [date(2025, 10, 3)],
            "at": [datetime(2025, 10, 3, 12, 30)],
            "minutes_over": [1.5],
            "cost": pl.Series([Decimal("9.99")], dtype=pl.Decimal(38, 2)),
            "ok": [True],
        }
    )
    summary = pl.DataFrame({"contract": ["c"]})
    raw = xlsx_bytes(summary, {"t": frame}, {"rows_read": 3}, "USD")
    sheet = openpyxl.load_workbook(io.BytesIO(raw))["t"]
    values = [cell.value for cell in sheet[2]]
    assert values == [
        datetime(2025, 10, 1),
        datetime(2025, 10, 3),
        datetime(2025, 10, 3, 12, 30),
        1.5,
        9.99,
        True,
    ]
    assert sheet["E2"].number_format == currency_format("USD") and "$" in sheet["E2"].number_format
