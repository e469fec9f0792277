"""The NUL-byte screens of ``licaudit.ingest.readers`` (SPEC 1.4: a field holding a NUL is
``malformed``), where a scan of bytes could miss one: long values (kept in Polars' data
buffers) and short ones (inline in its views, zero-padded), at a value's first or last byte,
in a row past the first slice of rows scanned, in any one text column of several; Parquet
(screened by Polars) and CSV (screened on pyarrow's table as it is parsed)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pyarrow as pa
import pytest

from licaudit.ingest import readers
from licaudit.ingest.readers import ROW, read_table

ROWS = 3 * readers._NUL_SCREEN_ROWS // 2  # the last rows are in a second slice


def _events_file(tmp_path: Path, column: str, row: int, value: str, kind: str) -> Path:
    frame = pl.DataFrame(
        {
            "ts": pl.repeat("2025-03-10 10:00", ROWS, eager=True),
            "user": [f"user{number}@corp.example" for number in range(ROWS)],
            "method": pl.repeat("web", ROWS, eager=True),
            "session": pl.Series([None, "s1"] * (ROWS // 2), dtype=pl.String),
        }
    )
    frame = frame.with_columns(
        pl.when(pl.int_range(pl.len()) == row)
        .then(pl.lit(value))
        .otherwise(pl.col(column))
        .alias(column)
    )
    assert frame.columns == ["ts", "user", "method", "session"]
    path = tmp_path / f"events.{kind}"
    if kind == "csv":
        frame.write_csv(path)
    else:
        frame.write_parquet(path)
    return path


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("user", "a-long-user-name\x00@corp.example"),  # long: in a data buffer
        ("user", "\x00long-user-name@corp.example"),
        ("user", "long-user-name@corp.example\x00"),
        ("method", "w\x00b"),  # short: inline in its view
        ("method", "web\x00"),  # a trailing NUL looks like the views' zero padding
        ("method", "\x00"),
        ("session", "123456789ab\x00"),  # exactly 12 bytes: the longest inline value
    ],
)
@pytest.mark.parametrize("row", [0, ROWS - 1])
@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_a_nul_in_any_value_of_any_text_column_makes_its_row_malformed(
    tmp_path: Path, column: str, value: str, row: int, kind: str
) -> None:
    table = read_table(_events_file(tmp_path, column, row, value, kind))
    assert table.malformed.get_column(ROW).to_list() == [row + 1]
    assert table.frame.select(pl.len()).collect().item() == ROWS - 1


@pytest.mark.parametrize("kind", ["parquet", "csv"])
def test_a_file_without_nul_keeps_every_row(tmp_path: Path, kind: str) -> None:
    table = read_table(_events_file(tmp_path, "user", 0, "plain", kind))
    assert table.malformed.is_empty()
    assert table.frame.select(pl.len()).collect().item() == ROWS


def test_arrow_screen_reads_every_chunk() -> None:
    texts = pa.chunked_array([["a", "bb"], ["c" * 20] * 3, [None, "d\x00"]])
    assert readers._arrow_holds_nul(texts)
    assert not readers._arrow_holds_nul(pa.chunked_array([["a", None], ["c" * 20]]))
    assert not readers._arrow_holds_nul(pa.chunked_array([[None, None]], type=pa.string()))
    assert not readers._arrow_holds_nul(pa.chunked_array([], type=pa.string()))


def _identity_columns(columns: list[str]) -> dict[str, str]:
    """As the events ingest names them: the columns mapped to user and method."""
    return {f"c{columns.index(name)}": name for name in ("user", "method")}


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("user", "a-long-user-name\x00@corp.example"),
        ("user", "long-user-name@corp.example\x00"),
        ("method", "web\x00"),
        ("method", "\x00"),
        ("session", "123456789ab\x00"),  # not screened on distinct values
    ],
)
@pytest.mark.parametrize("row", [0, ROWS - 1])
def test_a_nul_in_a_column_screened_on_its_distinct_values_makes_its_row_malformed(
    tmp_path: Path, column: str, value: str, row: int
) -> None:
    table = read_table(
        _events_file(tmp_path, column, row, value, "parquet"), distinct=_identity_columns
    )
    assert table.malformed.get_column(ROW).to_list() == [row + 1]
    assert table.frame.select(pl.len()).collect().item() == ROWS - 1
    # Records went: no distinct values are handed on (some were theirs).
    assert table.distinct == {}


def test_the_distinct_values_screened_are_kept_in_order_of_first_sight(tmp_path: Path) -> None:
    table = read_table(
        _events_file(tmp_path, "method", 1, "sync", "parquet"), distinct=_identity_columns
    )
    assert table.malformed.is_empty()
    assert sorted(table.distinct) == ["c1", "c2"]
    assert table.distinct["c2"].to_list() == ["web", "sync"]
    assert table.distinct["c1"].len() == ROWS
