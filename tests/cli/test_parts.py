"""`--parts`: the events kept in parts by user as they are read give the same bytes (issue 11).

On the sample month (every model, a roster, Flex packs, a groups file), each output of
`licaudit report` with the events in parts is byte-identical to the whole-frame output,
and two runs on the same input give byte-identical CSV, JSON and Parquet.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from licaudit.cli.commands import app
from licaudit.scale import AUTO_ROWS, ROWS_PER_PART, estimated_rows, parts_for

SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"
runner = CliRunner()


def output(tmp_path: Path, name: str, *args: str) -> bytes:
    target = tmp_path / name
    result = runner.invoke(app, ["report", str(SAMPLE), *args, "--output", str(target)])
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return target.read_bytes()


@pytest.mark.parametrize("period", ["day", "month"])
def test_report_with_events_in_parts_is_byte_identical_to_the_whole_frame_report(
    tmp_path: Path, period: str
) -> None:
    whole = output(tmp_path, "whole.json", "--period", period, "--parts", "1")
    for parts in ("2", "5"):
        cut = output(tmp_path, f"cut{parts}.json", "--period", period, "--parts", parts)
        assert cut == whole, parts


@pytest.mark.parametrize("table", ["usage", "seats", "peaks", "charges", "chargeback"])
def test_csv_and_parquet_tables_with_events_in_parts_are_byte_identical(
    tmp_path: Path, table: str
) -> None:
    for suffix in ("csv", "parquet"):
        whole = output(tmp_path, f"whole.{suffix}", "--table", table, "--parts", "1")
        cut = output(tmp_path, f"cut.{suffix}", "--table", table, "--parts", "3")
        assert cut == whole, suffix


@pytest.mark.parametrize("suffix", ["csv", "json", "parquet"])
def test_two_runs_on_the_same_input_give_byte_identical_output(tmp_path: Path, suffix: str) -> None:
    first = output(tmp_path, f"first.{suffix}", "--period", "month")
    second = output(tmp_path, f"second.{suffix}", "--period", "month")
    assert first == second
    assert first


def test_parts_must_be_at_least_one() -> None:
    result = runner.invoke(app, ["report", str(SAMPLE), "--parts", "0"])
    assert result.exit_code == 2
    assert "--parts" in result.stderr


def test_parts_default_to_one_up_to_the_auto_threshold_then_one_per_rows_per_part() -> None:
    assert parts_for(0) == 1
    assert parts_for(AUTO_ROWS) == 1
    assert parts_for(AUTO_ROWS + 1) == -(-(AUTO_ROWS + 1) // ROWS_PER_PART)
    assert parts_for(100_000_000) == 8


def test_estimated_rows_reads_parquet_row_counts_and_guesses_text_by_size(
    tmp_path: Path,
) -> None:
    parquet = tmp_path / "events.parquet"
    pl.DataFrame({"ts": list(range(1234))}).write_parquet(parquet)
    text = tmp_path / "events.csv"
    text.write_bytes(b"x" * 8000)
    assert estimated_rows([parquet]) == 1234
    assert estimated_rows([parquet, text]) == 1234 + 100


def test_html_report_in_parts_says_the_event_charts_are_left_out(tmp_path: Path) -> None:
    page = output(tmp_path, "report.html", "--parts", "2").decode()
    assert "The events were read in parts (--parts)" in page
    assert "events per hour and weekday" not in page
    whole = output(tmp_path, "whole.html", "--parts", "1").decode()
    assert "The events were read in parts" not in whole
    assert "events per hour and weekday" in whole
