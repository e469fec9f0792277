"""Autodesk's token usage export read in each of its header spellings, and set next to
licaudit's charges (issue 10, item 6)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from licaudit.errors import DataError
from licaudit.reconcile import differing_rows, export_days, read_vendor_export, reconcile

PARIS = "Europe/Paris"
ROWS = [
    ("2025-10-01", " Ana@Acme.fr ", "AutoCAD", "7"),
    ("2025-10-02", "ana@acme.fr", "Revit", "10"),
]
EXPECTED = pl.DataFrame(
    {
        "day": [date(2025, 10, 1), date(2025, 10, 2)],
        "user": ["ana@acme.fr", "ana@acme.fr"],
        "product": ["autocad", "revit"],
        "tokens": [7, 10],
    }
)
HEADERS = {
    "title-case": ("Day used", "Email", "Product", "Tokens used"),
    "snake-case": ("day_used", "email", "product_name", "tokens_used"),
    "usage-api": ("usageDate", "userName", "productName", "tokensConsumed"),
}


def csv_text(header: tuple[str, ...], rows: list[tuple[str, ...]], delimiter: str = ",") -> str:
    return "\n".join(delimiter.join(line) for line in [header, *rows]) + "\n"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize("spelling", list(HEADERS))
def test_reconcile_reads_the_vendor_export_in_each_header_spelling(
    tmp_path: Path, spelling: str
) -> None:
    path = write(tmp_path, "usage.csv", csv_text(HEADERS[spelling], ROWS))
    assert read_vendor_export(path).equals(EXPECTED)


def test_reconcile_reads_an_xlsx_export_with_date_cells(tmp_path: Path) -> None:
    path = tmp_path / "usage.xlsx"
    pl.DataFrame(
        {
            "Day used": [date(2025, 10, 1), date(2025, 10, 2)],
            "Email": ["Ana@Acme.fr", "ana@acme.fr"],
            "Product": ["AutoCAD", "Revit"],
            "Tokens used": [7, 10],
        }
    ).write_excel(path)
    assert read_vendor_export(path).equals(EXPECTED)


def test_reconcile_reads_an_xlsx_export_with_text_days(tmp_path: Path) -> None:
    path = tmp_path / "usage.xlsx"
    frame = pl.DataFrame([list(row) for row in ROWS], schema=HEADERS["snake-case"], orient="row")
    frame.write_excel(path)
    assert read_vendor_export(path).equals(EXPECTED)


def test_reconcile_reads_other_day_forms_and_delimiters(tmp_path: Path) -> None:
    # A usage API time with its offset keeps its written date; 10/13/2025 can only be
    # month-first, which settles the file's slash dates; `;` is detected.
    rows = [
        ("2025-10-01T00:00:00+02:00", "ana@acme.fr", "autocad", "7.0"),
        ("10/02/2025", "ana@acme.fr", "revit", "10"),
        ("10/13/2025", "ana@acme.fr", "revit", "10"),
    ]
    path = write(tmp_path, "usage.csv", "\ufeff" + csv_text(HEADERS["title-case"], rows, ";"))
    frame = read_vendor_export(path)
    assert frame["day"].to_list() == [date(2025, 10, 1), date(2025, 10, 2), date(2025, 10, 13)]
    assert frame["tokens"].to_list() == [7, 10, 10]


def test_reconcile_export_missing_columns_is_a_data_error_naming_file_and_columns(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "usage.csv", "Day used,Email,Product\n2025-10-01,ana@acme.fr,revit\n")
    with pytest.raises(DataError) as raised:
        read_vendor_export(path)
    assert raised.value.message.startswith(
        f"Vendor export {path} has no column for tokens "
        "(tokens: `Tokens used`, `tokens_used` or `tokensConsumed`); "
        "its columns: Day used, Email, Product."
    )


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        (("yesterday", "ana@acme.fr", "revit", "10"), "row(s) 2 have no day"),
        (("2025-10-02", "ana@acme.fr", "revit", "ten"), "row(s) 2 have no whole number"),
        (("2025-10-02", "ana@acme.fr", "revit", "2.5"), "row(s) 2 have no whole number"),
        (("2025-10-02", "ana@acme.fr", "revit"), "row(s) 2 are malformed"),
    ],
)
def test_reconcile_export_row_that_cannot_be_read_is_a_data_error_naming_it(
    tmp_path: Path, row: tuple[str, ...], problem: str
) -> None:
    path = write(tmp_path, "usage.csv", csv_text(HEADERS["title-case"], [ROWS[0], row]))
    with pytest.raises(DataError) as raised:
        read_vendor_export(path)
    assert raised.value.message.startswith(f"Vendor export {path}: {problem}")


def test_reconcile_missing_export_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_vendor_export(tmp_path / "nowhere.csv")


# --- Billed next to computed --------------------------------------------------------------


def charges(*rows: tuple[str, str, datetime, int, str]) -> pl.DataFrame:
    """A decoded charges detail table: (user, product, window_start, tokens, status)."""
    return pl.DataFrame(
        [("autodesk", *row[:3], None, *row[3:]) for row in rows],
        schema={
            "contract": pl.String(),
            "user": pl.String(),
            "product": pl.String(),
            "window_start": pl.Datetime("us", "UTC"),
            "window_end": pl.Datetime("us", "UTC"),
            "tokens": pl.Int64(),
            "status": pl.String(),
        },
        orient="row",
    )


def vendor(*rows: tuple[date, str, str, int]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=dict(EXPECTED.schema), orient="row")


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def table(frame: pl.DataFrame) -> list[tuple[Any, ...]]:
    return list(frame.iter_rows())


def test_reconcile_sets_billed_tokens_next_to_computed_ones_differences_first() -> None:
    computed = charges(
        ("ana", "autocad", at("2025-10-01 08:00"), 7, "charged"),
        # 22:30 UTC is 2 October 00:30 in Paris: the charge counts on 2 October.
        ("ana", "revit", at("2025-10-01 22:30"), 10, "charged"),
        ("bob", "revit", at("2025-10-01 09:00"), 10, "charged"),
        ("bob", "revit", at("2025-10-03 09:00"), 10, "denied"),  # never billed
    )
    billed = vendor(
        (date(2025, 10, 1), "ana", "autocad", 7),
        (date(2025, 10, 2), "ana", "revit", 10),
        (date(2025, 10, 1), "bob", "revit", 5),
        (date(2025, 10, 1), "bob", "revit", 15),  # two rows of one day add up
        (date(2025, 10, 4), "cat", "revit", 10),  # billed, not in the logs
    )
    reconciled = reconcile(billed, computed, PARIS)
    assert table(reconciled) == [
        (date(2025, 10, 1), "bob", "revit", 20, 10, 10),
        (date(2025, 10, 4), "cat", "revit", 10, 0, 10),
        (date(2025, 10, 1), "ana", "autocad", 7, 7, 0),
        (date(2025, 10, 2), "ana", "revit", 10, 10, 0),
        (None, "total", None, 47, 27, 20),
    ]
    assert differing_rows(reconciled) == 2


def test_reconcile_tokens_computed_and_not_billed_are_a_negative_difference() -> None:
    computed = charges(("ana", "revit", at("2025-10-01 08:00"), 10, "charged"))
    reconciled = reconcile(vendor(), computed, PARIS)
    assert table(reconciled) == [
        (date(2025, 10, 1), "ana", "revit", 0, 10, -10),
        (None, "total", None, 0, 10, -10),
    ]


def test_reconcile_agreeing_bill_has_no_differing_row_even_when_totals_cancel() -> None:
    computed = charges(("ana", "revit", at("2025-10-01 08:00"), 10, "charged"))
    agreeing = reconcile(vendor((date(2025, 10, 1), "ana", "revit", 10)), computed, PARIS)
    assert differing_rows(agreeing) == 0
    # 10 billed a day late: the total agrees, the days do not.
    late = reconcile(vendor((date(2025, 10, 2), "ana", "revit", 10)), computed, PARIS)
    assert table(late)[-1][-1] == 0 and differing_rows(late) == 2


def test_reconcile_export_and_charges_meet_through_read_vendor_export(tmp_path: Path) -> None:
    path = write(tmp_path, "usage.csv", csv_text(HEADERS["usage-api"], ROWS))
    computed = charges(
        ("ana@acme.fr", "autocad", at("2025-10-01 08:00"), 7, "charged"),
        ("ana@acme.fr", "revit", at("2025-10-02 08:00"), 10, "charged"),
    )
    assert differing_rows(reconcile(read_vendor_export(path), computed, PARIS)) == 0


def test_reconcile_compares_only_the_days_given_on_both_sides() -> None:
    computed = charges(
        ("ana", "revit", at("2025-10-01 08:00"), 10, "charged"),
        ("ana", "revit", at("2025-10-05 08:00"), 10, "charged"),
    )
    billed = vendor((date(2025, 10, 1), "ana", "revit", 10), (date(2025, 10, 3), "bob", "revit", 7))
    assert export_days(billed) == (date(2025, 10, 1), date(2025, 10, 3))
    assert export_days(vendor()) is None
    days = (date(2025, 10, 1), date(2025, 10, 2))
    assert table(reconcile(billed, computed, PARIS, days)) == [
        (date(2025, 10, 1), "ana", "revit", 10, 10, 0),
        (None, "total", None, 10, 10, 0),
    ]
