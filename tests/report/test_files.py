"""CSV/JSON/Parquet writers: formula guard, text forms of values, atomic files (SPEC 4)."""

from __future__ import annotations

import io
import os
import stat
import threading
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from unittest.mock import patch

import polars as pl
import pytest

from licaudit.errors import ConfigError
from licaudit.report.files import (
    check_destination,
    csv_bytes,
    csv_excel_bytes,
    guard_formulas,
    json_rows,
    local_instants,
    parquet_bytes,
    typed_for_parquet,
    write_atomic,
)


@pytest.mark.parametrize("cell", ["=SUM(A1)", "+33 1 23", "-1", "@cmd", "\tx", "\rx"])
def test_text_cells_starting_a_formula_are_prefixed_with_a_quote(cell: str) -> None:
    guarded = guard_formulas(pl.DataFrame({"user": [cell]}))
    assert guarded["user"].to_list() == ["'" + cell]


def test_other_text_cells_and_numbers_are_left_as_they_are() -> None:
    frame = pl.DataFrame({"user": ["alice", "a=b", None], "units": [-1, 2, 3]})
    assert guard_formulas(frame).equals(frame)


def test_csv_writes_timestamps_as_iso_with_offset_and_cost_with_two_decimals() -> None:
    frame = pl.DataFrame(
        {
            "first_event": [datetime(2025, 10, 1, 8, 0, 0, 5, tzinfo=UTC)],
            "day": [date(2025, 10, 1)],
            "cost": pl.Series([Decimal("1920.5")], dtype=pl.Decimal(38, 2)),
        }
    )
    assert csv_bytes(frame).decode() == (
        "first_event,day,cost\n2025-10-01T08:00:00.000005+00:00,2025-10-01,1920.50\n"
    )


def test_json_rows_give_cost_as_a_number_and_timestamps_as_text() -> None:
    frame = pl.DataFrame(
        {
            "first_event": [datetime(2025, 10, 1, 8, tzinfo=UTC)],
            "cost": pl.Series([Decimal("0.13")], dtype=pl.Decimal(38, 2)),
            "capacity": pl.Series([None], dtype=pl.Int64),
        }
    )
    assert json_rows(frame) == [
        {"first_event": "2025-10-01T08:00:00+00:00", "cost": 0.13, "capacity": None}
    ]


def test_parquet_keeps_the_types() -> None:
    frame = pl.DataFrame({"units": [4], "day": [date(2025, 10, 1)]})
    assert pl.read_parquet(io.BytesIO(parquet_bytes(frame))).equals(frame)


def test_atomic_write_replaces_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "usage.csv"
    target.write_text("old")
    write_atomic(target, b"new")
    assert target.read_text() == "new"
    assert os.listdir(tmp_path) == ["usage.csv"]


def test_a_pipe_given_as_output_is_written_through_and_stays_a_pipe(tmp_path: Path) -> None:
    # Renaming a finished file over a device or a pipe would put a file in its place:
    # `--output /dev/null` run as root replaced the system's /dev/null. A FIFO stands for
    # both here; a reader drains it while the output is written.
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(pipe.read_bytes()), daemon=True)
    reader.start()
    write_atomic(pipe, b"usage")
    reader.join(timeout=10)
    assert received == [b"usage"]
    assert stat.S_ISFIFO(os.lstat(pipe).st_mode)
    assert os.listdir(tmp_path) == ["pipe"]


def test_a_symbolic_link_given_as_output_is_written_through_and_stays_a_link(
    tmp_path: Path,
) -> None:
    target = tmp_path / "usage.csv"
    target.write_text("old")
    link = tmp_path / "latest.csv"
    link.symlink_to(target)
    write_atomic(link, b"new")
    assert link.is_symlink()
    assert target.read_text() == "new"
    assert sorted(os.listdir(tmp_path)) == ["latest.csv", "usage.csv"]


def test_a_pipe_in_a_read_only_folder_is_a_valid_destination(tmp_path: Path) -> None:
    # /dev/null for a user who cannot write /dev: written through, the folder is not needed.
    folder = tmp_path / "devices"
    folder.mkdir()
    os.mkfifo(folder / "pipe")
    with patch.object(os, "access", lambda path, mode: Path(path) != folder):
        check_destination(folder / "pipe", "--output")
        with pytest.raises(ConfigError) as caught:
            check_destination(folder / "usage.csv", "--output")
    assert "is not writable" in caught.value.message


def test_atomic_write_into_a_missing_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        write_atomic(tmp_path / "nope" / "usage.csv", b"x")
    assert "does not exist" in caught.value.message


def test_failed_atomic_write_leaves_the_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "usage.csv"
    target.write_text("old")

    def disk_full(descriptor: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(ConfigError) as caught:
        write_atomic(target, b"new")
    assert caught.value.message == f"Cannot write {target}: disk full."
    assert target.read_text() == "old"
    assert os.listdir(tmp_path) == ["usage.csv"]


def test_output_path_that_is_a_folder_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        write_atomic(tmp_path, b"x")
    assert "is a folder" in caught.value.message


def test_atomic_write_gives_the_file_ordinary_permissions(tmp_path: Path) -> None:
    target = tmp_path / "usage.csv"
    umask = os.umask(0o022)
    try:
        write_atomic(target, b"x")
    finally:
        os.umask(umask)
    assert target.stat().st_mode & 0o777 == 0o644


def test_excel_dialect_is_utf8_with_bom_semicolons_crlf_and_decimal_commas() -> None:
    frame = pl.DataFrame(
        {
            "user": ["élodie", "=cmd", "a;b"],
            "cost": pl.Series([Decimal("1920.5"), None, Decimal("0.13")], dtype=pl.Decimal(38, 2)),
            "minutes_over": [1.5, 0.0, None],
            "units": [31, 7, 0],
            "day": [date(2025, 10, 1)] * 3,
        }
    )
    raw = csv_excel_bytes(frame)
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw[3:].decode("utf-8").split("\r\n") == [
        "user;cost;minutes_over;units;day",
        "élodie;1920,50;1,5;31;2025-10-01",
        "'=cmd;;0,0;7;2025-10-01",
        '"a;b";0,13;;0;2025-10-01',
        "",
    ]


def test_excel_dialect_reads_back_to_the_same_table_as_the_default_csv() -> None:
    frame = pl.DataFrame({"user": ["a", "b"], "units": [1, 2], "rate": [0.25, 3.0]})
    excel = pl.read_csv(io.BytesIO(csv_excel_bytes(frame)), separator=";", decimal_comma=True)
    assert excel.equals(pl.read_csv(io.BytesIO(csv_bytes(frame))))


def _two_contracts() -> pl.DataFrame:
    """A detail table joining a Paris contract and a New York one, rows interleaved."""
    return pl.DataFrame(
        {
            "contract": ["paris", "ny", "paris", "other"],
            "period": ["2025-10-08", "2025-10-08", "2025-01-08", "2025-10-08"],
            "first_event": [
                datetime(2025, 10, 8, 13, 57, 17, tzinfo=UTC),
                datetime(2025, 10, 8, 13, 57, 17, 978000, tzinfo=UTC),
                datetime(2025, 1, 8, 13, 57, 17, 5, tzinfo=UTC),
                None,
            ],
            "seats": [1, 2, 3, 4],
        }
    )


TIMEZONES = {"paris": "Europe/Paris", "ny": "America/New_York"}


def test_local_instants_write_each_row_in_its_contracts_timezone_with_the_offset() -> None:
    local = local_instants(_two_contracts(), TIMEZONES)
    assert local["first_event"].to_list() == [
        "2025-10-08T15:57:17+02:00",
        "2025-10-08T09:57:17.978-04:00",  # the fraction as needed, then the offset
        "2025-01-08T14:57:17.000005+01:00",  # winter time
        None,
    ]
    assert local.drop("first_event").equals(_two_contracts().drop("first_event"))


def test_csv_and_json_of_local_instants_keep_the_local_text_and_period_as_text() -> None:
    local = local_instants(_two_contracts(), TIMEZONES)
    lines = csv_bytes(local).decode().splitlines()
    assert lines[1] == "paris,2025-10-08,2025-10-08T15:57:17+02:00,1"
    assert json_rows(local)[1] == {
        "contract": "ny",
        "period": "2025-10-08",
        "first_event": "2025-10-08T09:57:17.978-04:00",
        "seats": 2,
    }


def test_a_contract_without_a_known_timezone_stays_in_utc() -> None:
    frame = _two_contracts().with_columns(contract=pl.lit("unknown"))
    assert local_instants(frame, TIMEZONES)["first_event"][0] == "2025-10-08T13:57:17+00:00"


def test_parquet_keeps_typed_instants_in_the_contracts_timezone_and_period_as_a_date() -> None:
    paris = _two_contracts().filter(pl.col("contract") == "paris")
    back = pl.read_parquet(io.BytesIO(parquet_bytes(typed_for_parquet(paris, TIMEZONES))))
    assert back.schema["first_event"] == pl.Datetime("us", "Europe/Paris")
    assert back["first_event"].to_list() == paris["first_event"].to_list()
    assert back["period"].to_list() == [date(2025, 10, 8), date(2025, 1, 8)]


def test_parquet_month_periods_become_the_first_day_and_mixed_timezones_stay_utc() -> None:
    frame = _two_contracts().with_columns(period=pl.lit("2025-10"))
    typed = typed_for_parquet(frame, TIMEZONES)
    assert typed.schema["first_event"] == pl.Datetime("us", "UTC")
    assert typed["period"].to_list() == [date(2025, 10, 1)] * 4


def test_parquet_period_that_is_not_all_days_or_all_months_stays_text() -> None:
    for periods in (["2025-10-01", "week 40"], ["2025-10-01", "2025-10"]):
        frame = pl.DataFrame({"period": periods})
        assert typed_for_parquet(frame, {}).equals(frame)


def test_an_empty_table_of_instants_gets_text_columns() -> None:
    empty = _two_contracts().clear()
    local = local_instants(empty, TIMEZONES)
    assert local.schema["first_event"] == pl.String
    assert local.height == 0
