"""The command line as a user meets it: exit codes, error text, formats, files (SPEC 1.3, 4, 5).

Every error is one readable paragraph on stderr with the SPEC's exit code, never a
traceback; every output format reads back to the same numbers the library computes.
"""

from __future__ import annotations

import gzip
import io
import json
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from licaudit.audit import run_audit
from licaudit.cli.commands import app
from licaudit.contract import parse_contract_text
from licaudit.ingest.events import IngestOptions, ingest

runner = CliRunner()
HEADER = "timestamp,user,method,product\n"
# Three users on 2025-10-01 (Paris), one of them with six methods (two seats): 4 units.
BUSY_DAY = HEADER + "".join(
    [
        "2025-10-01T08:00:00+02:00,alice,web,ne\n",
        "2025-10-01T08:05:00+02:00,bob,web,ne\n",
        "2025-10-01T09:00:00+02:00,carol,web,ne\n",
        *(f"2025-10-01T10:0{i}:00+02:00,carol,m{i},ne\n" for i in range(5)),
        "2025-10-02T09:00:00+02:00,alice,web,ne\n",
    ]
)
CONTRACT = (
    '[[contract]]\nname = "ne"\nmodel = "daily-active"\n'
    "capacity = 3\nprice = 100\nexcess_price = 10\n"
)


def logs(tmp_path: Path, text: str = BUSY_DAY, contract: str | None = CONTRACT) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "access.csv").write_text(text)
    if contract is not None:
        (folder / "licaudit.toml").write_text(contract)
    return folder


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("command", ["report", "check", "inspect"])
def test_every_command_has_help_with_an_example(command: str) -> None:
    code, out, _ = invoke(command, "--help")
    assert code == 0
    assert "Example" in out and f"licaudit {command}" in out


def test_report_prints_reconciliation_then_month_summary_and_days_over_capacity(
    tmp_path: Path,
) -> None:
    code, out, _ = invoke("report", logs(tmp_path))
    assert code == 0
    assert out.splitlines()[0] == "rows read 9 = used 9 + rejected 0"
    assert "Month summary" in out and "Days over capacity (1)" in out
    assert "2025-10-01" in out and "Refused (1)" in out


def test_piped_report_carries_no_colour_or_decoration(tmp_path: Path) -> None:
    _, out, _ = invoke("report", logs(tmp_path))
    assert "\x1b[" not in out
    assert not set(out) & set("┏━┃│└─╇┡")


def test_report_csv_reads_back_to_the_usage_table_the_library_computes(tmp_path: Path) -> None:
    folder = logs(tmp_path)
    code, out, err = invoke("report", folder, "--format", "csv")
    assert code == 0
    assert "rows read 9" in err
    written = pl.read_csv(io.StringIO(out), schema_overrides={"cost": pl.String})
    settings = parse_contract_text(CONTRACT)
    expected = run_audit(ingest([folder], IngestOptions()), settings.contracts, "EUR").usage("day")
    assert written.columns == [
        "contract", "model", "scope", "period", "days", "units", "capacity", "excess", "cost",
        "currency",
    ]  # fmt: skip
    assert written["units"].to_list() == expected["units"].to_list() == [4, 1]
    assert written["excess"].to_list() == [1, 0]
    assert written["period"].to_list() == ["2025-10-01", "2025-10-02"]


def test_report_month_period_takes_the_max_day_and_prices_it(tmp_path: Path) -> None:
    code, out, _ = invoke("report", logs(tmp_path), "--format", "csv", "--period", "month")
    assert code == 0
    row = pl.read_csv(io.StringIO(out), schema_overrides={"cost": pl.String}).row(0, named=True)
    assert (row["period"], row["units"], row["excess"], row["cost"]) == ("2025-10", 4, 1, "110.00")


def test_report_json_has_the_reconciliation_and_every_table(tmp_path: Path) -> None:
    code, out, _ = invoke("report", logs(tmp_path), "--format", "json", "--period", "month")
    assert code == 0
    document = json.loads(out)
    assert set(document) == {
        "rows_read",
        "rows_used",
        "rows_rejected",
        "rejects_by_reason",
        "input_timezone",
        "tables",
        "contracts",
    }
    assert document["rows_read"] == document["rows_used"] + document["rows_rejected"] == 9
    assert document["tables"]["usage"] == [
        {
            "contract": "ne", "model": "daily-active", "scope": "*", "period": "2025-10",
            "days": 2, "units": 4, "capacity": 3, "excess": 1, "cost": 110.0, "currency": "EUR",
        }
    ]  # fmt: skip
    assert [row["user"] for row in document["tables"]["refused"]] == ["carol"]


def test_report_parquet_reads_back_with_types(tmp_path: Path) -> None:
    target = tmp_path / "usage.parquet"
    code, _, _ = invoke("report", logs(tmp_path), "--format", "parquet", "--output", target)
    assert code == 0
    written = pl.read_parquet(target)
    assert written["units"].to_list() == [4, 1]
    assert written.schema["units"] == pl.Int64


def test_table_option_picks_the_refused_table(tmp_path: Path) -> None:
    code, out, _ = invoke("report", logs(tmp_path), "--format", "csv", "--table", "refused")
    assert code == 0
    refused = pl.read_csv(io.StringIO(out))
    assert refused["user"].to_list() == ["carol"]
    assert refused["running_total"].to_list() == [4]


def test_unknown_table_is_a_usage_error_listing_the_tables(tmp_path: Path) -> None:
    code, _, err = invoke("report", logs(tmp_path), "--format", "csv", "--table", "charges")
    assert code == 2
    assert "usage, refused" in err


def test_csv_text_cells_that_start_a_formula_are_prefixed(tmp_path: Path) -> None:
    text = HEADER + "".join(
        f"2025-10-01T0{i}:00:00+02:00,{user},web,ne\n"
        for i, user in enumerate(["=cmd|calc", "+1", "-2", "@sum", "alice"])
    )
    folder = logs(tmp_path, text, CONTRACT.replace("capacity = 3", "capacity = 0"))
    code, out, _ = invoke("report", folder, "--format", "csv", "--table", "refused")
    assert code == 0
    users = pl.read_csv(io.StringIO(out))["user"].to_list()
    assert users == ["'=cmd|calc", "'+1", "'-2", "'@sum", "alice"]


def test_output_file_is_written_whole_and_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "out" / "usage.csv"
    target.parent.mkdir()
    code, out, _ = invoke("report", logs(tmp_path), "--format", "csv", "--output", target)
    assert code == 0 and out == ""
    assert target.read_text().startswith("contract,model,scope")
    assert [p.name for p in target.parent.iterdir()] == ["usage.csv"]


def test_fail_on_overage_exits_1(tmp_path: Path) -> None:
    code, _, _ = invoke("report", logs(tmp_path), "--fail-on-overage", "--format", "csv")
    assert code == 1


def test_overage_without_fail_on_overage_exits_0(tmp_path: Path) -> None:
    code, _, _ = invoke("report", logs(tmp_path), "--format", "csv")
    assert code == 0


def test_check_prints_one_line_per_period_over_capacity_and_exits_1(tmp_path: Path) -> None:
    code, out, _ = invoke("check", logs(tmp_path))
    assert code == 1
    assert out == "ne * 2025-10-01: 4 units, capacity 3, excess 1\n"


def test_check_prints_nothing_and_exits_0_within_capacity(tmp_path: Path) -> None:
    code, out, _ = invoke("check", logs(tmp_path, contract=CONTRACT.replace("= 3", "= 4")))
    assert (code, out) == (0, "")


def test_check_month_period_reports_the_month(tmp_path: Path) -> None:
    code, out, _ = invoke("check", logs(tmp_path), "--period", "month")
    assert code == 1
    assert out.startswith("ne * 2025-10: 4 units")


def test_command_line_contract_runs_without_a_contract_file(tmp_path: Path) -> None:
    folder = logs(tmp_path, contract=None)
    code, out, _ = invoke(
        "report", folder, "--model", "daily-active", "--capacity", "10", "--format", "csv"
    )
    assert code == 0
    assert pl.read_csv(io.StringIO(out))["contract"].to_list() == ["daily-active"] * 2


def test_from_and_to_restrict_the_reported_days(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "report", logs(tmp_path), "--format", "csv", "--from", "2025-10-02", "--to", "2025-10-02"
    )
    assert code == 0
    assert pl.read_csv(io.StringIO(out))["period"].to_list() == ["2025-10-02"]


def test_from_after_to_is_a_configuration_error(tmp_path: Path) -> None:
    code, _, err = invoke("report", logs(tmp_path), "--from", "2025-10-02", "--to", "2025-10-01")
    assert code == 2
    assert "--from" in err


def test_no_contract_at_all_exits_2_and_says_how_to_give_one(tmp_path: Path) -> None:
    code, _, err = invoke("report", logs(tmp_path, contract=None))
    assert code == 2
    assert "No contract" in err and "--model" in err


def test_contract_with_a_typo_in_a_key_exits_2_naming_key_and_file(tmp_path: Path) -> None:
    folder = logs(tmp_path, contract=CONTRACT.replace("capacity", "capacty"))
    code, _, err = invoke("report", folder)
    assert code == 2
    assert "capacty" in err and "licaudit.toml" in err and "did you mean `capacity`" in err


def test_unknown_model_exits_2_listing_known_models(tmp_path: Path) -> None:
    code, _, err = invoke("report", logs(tmp_path, contract=None), "--model", "seats")
    assert code == 2
    assert "daily-active" in err


def test_missing_contract_file_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke("report", logs(tmp_path), "--contract", tmp_path / "nope.toml")
    assert code == 2
    assert "nope.toml" in err


def test_unknown_input_timezone_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke("report", logs(tmp_path), "--input-tz", "Mars/Olympus")
    assert code == 2
    assert "Mars/Olympus" in err


def test_map_naming_a_missing_column_exits_2(tmp_path: Path) -> None:
    code, _, err = invoke("report", logs(tmp_path), "--map", "ts=EventTime")
    assert code == 2
    assert "EventTime" in err


def test_missing_input_path_exits_3_naming_it(tmp_path: Path) -> None:
    code, _, err = invoke("report", tmp_path / "missing.csv", "--model", "daily-active")
    assert code == 3
    assert "missing.csv" in err


def test_empty_file_exits_3_with_no_usable_rows(tmp_path: Path) -> None:
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    code, _, err = invoke("report", path, "--model", "daily-active")
    assert code == 3
    assert "No usable rows" in err and "empty" in err


def test_header_only_file_exits_3_with_no_usable_rows(tmp_path: Path) -> None:
    path = tmp_path / "header.csv"
    path.write_text(HEADER)
    code, _, err = invoke("report", path, "--model", "daily-active")
    assert code == 3
    assert "No usable rows" in err


def test_binary_file_named_csv_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "photo.csv"
    path.write_bytes(bytes(range(256)) * 8)
    code, _, err = invoke("report", path, "--model", "daily-active")
    assert code == 3
    assert "photo.csv" in err and "binary" in err


def test_truncated_parquet_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    pl.DataFrame({"ts": ["2025-10-01T08:00:00Z"] * 100, "user": ["a"] * 100}).write_parquet(path)
    path.write_bytes(path.read_bytes()[:-40])
    code, _, err = invoke("report", path, "--model", "daily-active")
    assert code == 3
    assert "events.parquet" in err and "Parquet" in err


def test_csv_without_timestamp_column_exits_3_with_a_map_hint(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("name,method\nalice,web\n")
    code, _, err = invoke("report", path, "--model", "daily-active")
    assert code == 3
    assert "no timestamp column" in err and "--map ts=" in err


def test_corrupt_gzip_exits_3(tmp_path: Path) -> None:
    path = tmp_path / "events.csv.gz"
    path.write_bytes(gzip.compress(BUSY_DAY.encode())[:30])
    code, _, err = invoke("report", path, "--model", "daily-active")
    assert code == 3
    assert "events.csv.gz" in err


def test_reject_ratio_above_limit_exits_3_after_writing_report_and_rejects(tmp_path: Path) -> None:
    folder = logs(tmp_path, BUSY_DAY + "not a date,dave,web,ne\n")
    target, rejects = tmp_path / "usage.csv", tmp_path / "rejects.csv"
    code, _, err = invoke(
        "report", folder, "--format", "csv", "--output", target, "--rejects", rejects,
        "--fail-on-overage",
    )  # fmt: skip
    assert code == 3  # a data error wins over overage
    assert "1 of 10 rows were rejected" in err
    assert target.is_file()
    written = pl.read_csv(rejects)
    assert written.columns == ["source", "row", "reason", "raw"]
    assert written.select("row", "reason").rows() == [(10, "unparseable_ts")]
    assert written["raw"][0] == "not a date,dave,web,ne"


def test_reject_ratio_within_raised_limit_exits_0(tmp_path: Path) -> None:
    folder = logs(tmp_path, BUSY_DAY + "not a date,dave,web,ne\n")
    code, _, _ = invoke("report", folder, "--format", "csv", "--max-reject-ratio", "0.2")
    assert code == 0


def test_rejects_file_has_a_header_even_when_nothing_is_rejected(tmp_path: Path) -> None:
    rejects = tmp_path / "rejects.csv"
    code, _, _ = invoke("report", logs(tmp_path), "--format", "csv", "--rejects", rejects)
    assert code == 0
    assert rejects.read_text() == "source,row,reason,raw\n"


def test_inspect_needs_no_contract_and_shows_the_mapping(tmp_path: Path) -> None:
    code, out, _ = invoke("inspect", logs(tmp_path, contract=None), "--format", "json")
    assert code == 0
    summary = json.loads(out)
    assert summary["files"][0]["mapping"] == {
        "ts": "timestamp", "user": "user", "method": "method", "product": "product",
    }  # fmt: skip
    assert summary["files"][0]["delimiter"] == ","
    assert (summary["rows_read"], summary["users"], summary["methods"]) == (9, 3, 6)


def test_inspect_table_lists_files_and_columns(tmp_path: Path) -> None:
    code, out, _ = invoke("inspect", logs(tmp_path, contract=None))
    assert code == 0
    assert "access.csv" in out and "Columns of" in out and "timestamp" in out


def test_version_option_prints_the_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and out.startswith("licaudit ")


def test_report_xlsx_has_a_summary_and_one_sheet_per_table(tmp_path: Path) -> None:
    target = tmp_path / "usage.xlsx"
    code, _, _ = invoke(
        "report", logs(tmp_path), "--format", "xlsx", "--period", "month", "--output", target
    )
    assert code == 0
    workbook = openpyxl.load_workbook(target)
    assert workbook.sheetnames == ["summary", "usage", "refused"]
    usage = [[cell.value for cell in row] for row in workbook["usage"].iter_rows()]
    assert usage[0][:9] == [
        "contract", "model", "scope", "period", "days", "units", "capacity", "excess", "cost",
    ]  # fmt: skip
    # The month is an Excel date (its first day, shown yyyy-mm), cost a number.
    assert usage[1][3:9] == [datetime(2025, 10, 1), 2, 4, 3, 1, 110]
    summary = {row[0].value: row[1].value for row in workbook["summary"].iter_rows()}
    assert (summary["rows_read"], summary["rows_used"], summary["rows_rejected"]) == (9, 9, 0)


def test_xlsx_text_cells_are_text_with_excels_quote_prefix(tmp_path: Path) -> None:
    text = HEADER + "2025-10-01T08:00:00+02:00,=HYPERLINK(x),web,ne\n"
    folder = logs(tmp_path, text, CONTRACT.replace("capacity = 3", "capacity = 0"))
    target = tmp_path / "usage.xlsx"
    code, _, _ = invoke("report", folder, "--format", "xlsx", "--output", target)
    assert code == 0
    cell = openpyxl.load_workbook(target)["refused"]["C2"]
    # Excel's own quote prefix: shown as typed, without an apostrophe, never run.
    assert (cell.value, cell.data_type, cell.quotePrefix) == ("=hyperlink(x)", "s", True)


def test_report_html_is_one_page_with_every_table_escaped(tmp_path: Path) -> None:
    text = HEADER + "2025-10-01T08:00:00+02:00,<b>eve</b>,web,ne\n"
    folder = logs(tmp_path, text, CONTRACT.replace("capacity = 3", "capacity = 0"))
    code, out, _ = invoke("report", folder, "--format", "html")
    assert code == 0
    assert out.startswith("<!DOCTYPE html>")
    assert "<h2>ne</h2>" in out and "Refused (1 rows)" in out and "Daily usage (1 rows)" in out
    assert "&lt;b&gt;eve&lt;/b&gt;" in out and "<b>eve</b>" not in out
    assert "rows read 1 = used 1 + rejected 0" in out


def test_debug_shows_the_traceback_of_an_error(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["report", str(tmp_path / "missing.csv"), "--model", "daily-active", "--debug"]
    )
    assert result.exit_code == 3
    assert "Traceback" in result.stderr and "missing.csv" in result.stderr


def test_python_dash_m_licaudit_runs_the_command() -> None:
    completed = subprocess.run(
        [sys.executable, "-m", "licaudit", "--version"], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0
    assert completed.stdout.startswith("licaudit ")


def test_terminal_summary_spells_out_the_cost_of_a_month_billed_past_its_price(
    tmp_path: Path,
) -> None:
    code, out, _ = invoke("report", logs(tmp_path))
    assert code == 0
    assert "* 2025-10: partial month, 2 of 31 days" in out
    assert "* 2025-10: 100.00 + 1 × 10.00 = 110.00 EUR" in out


def test_csv_dialect_excel_writes_a_bom_semicolons_and_decimal_commas(tmp_path: Path) -> None:
    code, out, _ = invoke(
        "report", logs(tmp_path), "-f", "csv", "--period", "month", "--csv-dialect", "excel"
    )
    assert code == 0
    assert out.startswith("\ufeffcontract;model;scope;period;days;units")
    assert ";110,00;EUR" in out
