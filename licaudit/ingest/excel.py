"""Excel workbooks (``.xlsx``) as input: one sheet, read with calamine (``fastexcel``)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import Path

import polars as pl
from fastexcel import read_excel as open_workbook

from licaudit.errors import DataError


def read_sheet(path: Path, source: Path | bytes, sheet: str | None) -> pl.DataFrame:
    """One sheet (the first by default) with its header row as column names.

    A column whose every cell is a date or date-time stays a Datetime (or a Date,
    when every time is midnight): the values Excel holds, read as naive times like
    a text file's. Every other column is read as text, numbers spelled as a text
    file would (``42``, ``1.5``), so that a user ID or an epoch reads the same from a
    workbook as from a CSV export, and a date-time cell among text as ISO text.
    Types are inferred over every row, not a sample: a sampled guess would coerce
    the cells that do not fit it (an Excel serial number read as a date, text lost).
    """
    if sheet is not None:
        names = open_workbook(source).sheet_names
        # Excel refuses two sheets whose names differ only by case: this is unambiguous.
        matches = [name for name in names if name.casefold() == sheet.casefold()]
        if not matches:
            raise DataError(
                f"File {path} has no sheet {sheet!r}; its sheets: "
                + ", ".join(repr(name) for name in names)
                + ".",
                "give --sheet one of these names, or leave it out to read the first sheet.",
            )
        sheet = matches[0]

    def read(as_text: Mapping[str, type[pl.String]]) -> pl.DataFrame:
        frame = pl.read_excel(
            source,
            engine="calamine",
            sheet_name=sheet,
            schema_overrides=dict(as_text) or None,
            infer_schema_length=None,
            raise_if_empty=False,
        )
        assert isinstance(frame, pl.DataFrame)  # one sheet, not a dict of them
        return frame

    typed = read({})
    as_text = {
        name: pl.String
        for name, dtype in typed.schema.items()
        if not isinstance(dtype, pl.String | pl.Datetime | pl.Date)
    }
    # Numbers and booleans as the engine spells them: a second read, as text.
    frame = read(as_text) if as_text else typed
    return frame.with_columns(
        pl.col(name).dt.time()
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and _times_of_day(frame.get_column(name))
    )


# The day Excel's serial 0 falls on (1900 system, as calamine reads it; 30 December in
# some readers): a cell formatted as a time alone holds a fraction of a day past it.
EXCEL_DAY_ZERO = (date(1899, 12, 30), date(1899, 12, 31))


def _times_of_day(values: pl.Series) -> bool:
    """Whether a date-time column holds only times of day: Excel time cells, read as
    instants of its day zero. As a Time column, a ``date`` column beside it makes the W3C
    date + time pair (SPEC 1.4), as the same cells written as text do."""
    days = values.drop_nulls().dt.date()
    return days.len() > 0 and bool(days.is_in(list(EXCEL_DAY_ZERO)).all())
