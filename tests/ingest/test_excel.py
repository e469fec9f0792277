"""Excel workbooks as input (SPEC 1.1, 1.4): one sheet read as a table, like a CSV export."""

from __future__ import annotations

import gzip
import io
import zipfile
from collections.abc import Mapping, Sequence
from datetime import date, datetime, time
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from licaudit.errors import DataError
from licaudit.ingest.discover import discover
from licaudit.ingest.inspection import inspection_summary
from licaudit.ingest.readers import ROW, read_table
from tests.ingest.support import at, column, read, reasons

Cell = str | float | bool | datetime | date | time | None
"""A cell as written: text, a number, a boolean, a date(-time) or time cell, or empty."""


def workbook(path: Path, sheets: Mapping[str, Sequence[Sequence[Cell]]]) -> Path:
    """Write an .xlsx whose sheets hold these rows (the first row is the header)."""
    book = xlsxwriter.Workbook(
        str(path),
        {"default_date_format": "yyyy-mm-dd hh:mm:ss.000", "strings_to_urls": False},
    )
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for row_index, row in enumerate(rows):
            for column_index, cell in enumerate(row):
                if cell is not None:
                    sheet.write(row_index, column_index, cell)
    book.close()
    return path


def logins(
    path: Path, rows: Sequence[Sequence[Cell]], header: Sequence[str] = ("ts", "user")
) -> Path:
    return workbook(path, {"Logins": [list(header), *rows]})


def values(path: Path, sheet: str | None = None) -> list[tuple[object, ...]]:
    table = read_table(path, sheet=sheet)
    return table.frame.select(ROW, *table.internal_names).collect().rows()


# --- Format (SPEC 1.4 "Format") -----------------------------------------------------------


def test_xlsx_is_read_as_a_table_whose_format_inspect_shows(tmp_path: Path) -> None:
    path = logins(tmp_path / "export.xlsx", [["2025-03-10 08:00", "Alice"]])
    table = read_table(path)
    assert (table.format, table.compressed, table.columns) == ("xlsx", False, ["ts", "user"])
    summary = inspection_summary(read(path))
    assert summary["files"][0]["format"] == "xlsx"


def test_xlsx_in_a_folder_is_read_with_the_other_files(tmp_path: Path) -> None:
    logins(tmp_path / "a.xlsx", [["2025-03-10 08:00", "alice"]])
    (tmp_path / "b.csv").write_text("ts,user\n2025-03-10 09:00,bob\n")
    assert discover([tmp_path]) == ([tmp_path / "a.xlsx", tmp_path / "b.csv"], [])
    assert column(read(tmp_path), "user") == ["alice", "bob"]


def test_gzip_compressed_workbook_is_read_as_a_workbook(tmp_path: Path) -> None:
    plain = logins(tmp_path / "plain.xlsx", [["2025-03-10 08:00", "alice"]])
    path = tmp_path / "export.xlsx.gz"
    path.write_bytes(gzip.compress(plain.read_bytes()))
    table = read_table(path)
    assert (table.format, table.compressed) == ("xlsx", True)
    assert values(path) == [(1, "2025-03-10 08:00", "alice")]


def test_file_named_xlsx_that_is_not_a_workbook_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "export.xlsx"
    path.write_text("ts,user\n2025-03-10,a\n")
    with pytest.raises(DataError, match="named like an Excel workbook") as raised:
        read_table(path)
    assert str(path) in str(raised.value)
    assert raised.value.exit_code == 3


def test_workbook_not_named_xlsx_is_a_data_error_that_says_to_name_it_so(tmp_path: Path) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(logins(tmp_path / "real.xlsx", [["2025-03-10", "a"]]).read_bytes())
    with pytest.raises(DataError, match="binary") as raised:
        read_table(path)
    assert "named .xlsx" in str(raised.value)


def test_corrupt_or_truncated_workbook_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    whole = logins(tmp_path / "whole.xlsx", [["2025-03-10", "a"]] * 50).read_bytes()
    not_a_workbook, cut_sheet = io.BytesIO(), io.BytesIO()
    with zipfile.ZipFile(not_a_workbook, "w") as archive:
        archive.writestr("events.csv", "ts\n2025-03-10\n")
    with zipfile.ZipFile(io.BytesIO(whole)) as source, zipfile.ZipFile(cut_sheet, "w") as archive:
        for name in source.namelist():
            part = source.read(name)
            archive.writestr(name, part[: len(part) // 2] if name.endswith("sheet1.xml") else part)
    corrupt = [
        whole[:8],
        whole[: len(whole) // 2],
        not_a_workbook.getvalue(),
        cut_sheet.getvalue(),
        b"PK\x03\x04" + bytes(99),
    ]
    for index, data in enumerate(corrupt):
        path = tmp_path / f"bad{index}.xlsx"
        path.write_bytes(data)
        with pytest.raises(DataError, match="truncated or corrupt Excel workbook") as raised:
            read(path)
        assert str(path) in str(raised.value)
        assert raised.value.exit_code == 3


# --- Sheets -------------------------------------------------------------------------------


def two_sheets(tmp_path: Path) -> Path:
    return workbook(
        tmp_path / "two.xlsx",
        {
            "Summary": [["ts", "user"], ["2025-03-01", "first"]],
            "Logins": [["ts", "user"], ["2025-03-02", "second"]],
        },
    )


def test_first_sheet_is_read_by_default(tmp_path: Path) -> None:
    assert column(read(two_sheets(tmp_path)), "user") == ["first"]


def test_sheet_option_reads_the_sheet_it_names(tmp_path: Path) -> None:
    assert column(read(two_sheets(tmp_path), sheet="Logins"), "user") == ["second"]


def test_sheet_name_is_matched_ignoring_case_as_excel_does(tmp_path: Path) -> None:
    assert values(two_sheets(tmp_path), sheet="logins") == [(1, "2025-03-02", "second")]


def test_unknown_sheet_is_a_data_error_naming_the_file_the_sheet_and_the_sheets_it_has(
    tmp_path: Path,
) -> None:
    path = two_sheets(tmp_path)
    with pytest.raises(DataError) as raised:
        read(path, sheet="Events")
    message = str(raised.value)
    assert str(path) in message
    assert "'Events'" in message
    assert "'Summary', 'Logins'" in message
    assert raised.value.exit_code == 3


def test_sheet_option_does_not_change_how_a_csv_is_read(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("ts,user\n2025-03-10,a\n")
    assert column(read(path, sheet="Logins"), "user") == ["a"]


# --- Cells --------------------------------------------------------------------------------


def test_text_timestamps_are_parsed_as_in_a_csv(tmp_path: Path) -> None:
    path = logins(
        tmp_path / "a.xlsx", [["15/10/2025 23:30", "hélène"], ["2025-10-15T08:00:00Z", "zoé"]]
    )
    ingested = read(path, input_timezone="Europe/Paris")
    assert column(ingested, "ts") == [at(2025, 10, 15, 21, 30), at(2025, 10, 15, 8)]


def test_date_time_cells_stay_datetimes_read_as_naive_local_times_to_the_millisecond(
    tmp_path: Path,
) -> None:
    path = logins(
        tmp_path / "a.xlsx",
        [[datetime(2025, 10, 15, 23, 30, 5, 123000), "a"], [datetime(2025, 1, 2, 8), "b"]],
    )
    table = read_table(path)
    assert table.frame.collect_schema()["c0"] == pl.Datetime("ms")
    ingested = read(path, input_timezone="Europe/Paris")
    assert column(ingested, "ts") == [at(2025, 10, 15, 21, 30, 5, 123000), at(2025, 1, 2, 7)]


def test_date_cells_stay_dates_read_as_local_midnight(tmp_path: Path) -> None:
    path = logins(tmp_path / "a.xlsx", [[date(2025, 10, 15), "a"], [date(2025, 10, 16), "b"]])
    assert read_table(path).frame.collect_schema()["c0"] == pl.Date
    ingested = read(path, input_timezone="America/New_York")
    assert column(ingested, "ts") == [at(2025, 10, 15, 4), at(2025, 10, 16, 4)]


def test_date_cell_is_read_as_its_date_never_as_its_serial_number(tmp_path: Path) -> None:
    # Excel holds 2025-03-10 12:00 as the serial number 45726.5: read as epoch
    # seconds, that would be 1970-01-01.
    path = logins(tmp_path / "a.xlsx", [[datetime(2025, 3, 10, 12), "a"], ["2025-03-11", "b"]])
    assert column(read(path), "ts") == [at(2025, 3, 10, 12), at(2025, 3, 11)]


def test_column_mixing_date_cells_with_text_and_numbers_keeps_every_cell_beyond_a_sample(
    tmp_path: Path,
) -> None:
    # Types are inferred over every row: a guess from the first 100 would turn the
    # text cell into a null and the plain number into a date.
    rows: list[list[Cell]] = [[datetime(2025, 3, 10, 8), "a"]] * 150
    path = logins(tmp_path / "a.xlsx", [*rows, ["2025-03-11 09:00", "b"], [45000.5, "c"]])
    assert values(path)[-3:] == [
        (150, "2025-03-10 08:00:00", "a"),
        (151, "2025-03-11 09:00", "b"),
        (152, "45000.5", "c"),
    ]
    ingested = read(path)
    assert column(ingested, "ts")[-1] == at(2025, 3, 11, 9)
    assert reasons(ingested) == [(152, "out_of_range")]


def test_numbers_and_booleans_are_spelled_as_a_text_export_would(tmp_path: Path) -> None:
    path = logins(
        tmp_path / "a.xlsx",
        [[1741594530, 42, 1.5, True], [1741594531, 7, 100000000000000000000.0, False]],
        header=("ts", "user", "share", "internal"),
    )
    assert values(path) == [
        (1, "1741594530", "42", "1.5", "true"),
        (2, "1741594531", "7", "100000000000000000000", "false"),
    ]
    ingested = read(path)
    assert column(ingested, "ts") == [at(2025, 3, 10, 8, 15, 30), at(2025, 3, 10, 8, 15, 31)]
    assert column(ingested, "user") == ["42", "7"]


# --- Rows ---------------------------------------------------------------------------------


def test_rejected_rows_are_numbered_as_data_records_without_header_or_empty_rows(
    tmp_path: Path,
) -> None:
    path = logins(
        tmp_path / "a.xlsx",
        [["2025-03-10", "a"], ["yesterday", "b"], [None, None], ["2025-02-30", "c"]],
    )
    ingested = read(path)
    assert reasons(ingested) == [(2, "unparseable_ts"), (3, "unparseable_ts")]
    assert ingested.rejects.get_column("raw").to_list() == [
        '{"ts":"yesterday","user":"b"}',
        '{"ts":"2025-02-30","user":"c"}',
    ]


def test_empty_sheet_is_an_empty_table_with_a_warning(tmp_path: Path) -> None:
    path = workbook(tmp_path / "a.xlsx", {"Empty": []})
    ingested = read(path)
    assert ingested.rows_read == 0
    assert ingested.warnings == [f"{path} is empty: it adds no rows."]


def test_sheet_with_a_header_only_has_columns_and_no_rows(tmp_path: Path) -> None:
    path = logins(tmp_path / "a.xlsx", [])
    table = read_table(path)
    assert (table.empty, table.columns) == (False, ["ts", "user"])
    assert read(path).warnings == [f"{path} has a header but no rows."]


def test_typed_date_and_time_cells_are_joined_into_ts_like_the_w3c_pair(tmp_path: Path) -> None:
    # A time cell is a fraction of a day past Excel's day zero: it was read as an instant
    # of 31 December 1899, every row rejected out of range. Read as a time of day, a date
    # column beside it makes the date + time pair, read in UTC as the text cells are.
    path = logins(
        tmp_path / "web.xlsx",
        [[date(2025, 10, 15), time(22, 15), "t1"], [date(2025, 10, 15), time(8, 0, 30), "t2"]],
        header=("date", "time", "user"),
    )
    ingested = read(path)
    assert reasons(ingested) == []
    assert column(ingested, "ts") == [at(2025, 10, 15, 22, 15), at(2025, 10, 15, 8, 0, 30)]
