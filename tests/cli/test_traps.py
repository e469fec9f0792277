"""The traps a new user fell into (issue 7, SPEC 1.2, 1.3, 3, 5): each reproduced through the CLI.

Each case once printed a wrong number with exit 0 and no word; now each gives the
right number, or a warning that says why and how to fix it, or the SPEC's exit code.
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from licaudit.cli.commands import app

runner = CliRunner()

# The French export of the issue: Windows-1252, `;`, DD/MM/YYYY, local times.
LATE_CSV = (
    "date;user;methode\r\n"
    "15/10/2025 23:30;hélène.dupré;web\r\n"
    "15/10/2025 08:00;zoé.marchand;web\r\n"
)


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def usage_rows(out: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = json.loads(out)["tables"]["usage"]
    return rows


# --- 1. Naive local times are read in the contract's timezone ---------------------------------


def test_naive_local_time_of_a_french_export_counts_on_its_local_day(tmp_path: Path) -> None:
    late = write(tmp_path / "late.csv", LATE_CSV, "cp1252")
    code, out, _ = invoke("check", late, "--model", "daily-active", "--capacity", "1")
    # 23:30 Paris is still the 15th: two users on the 15th, one over capacity.
    assert code == 1
    assert out.strip() == "daily-active * 2025-10-15: 2 units, capacity 1, excess 1"


def test_report_says_which_timezone_naive_times_were_read_in(tmp_path: Path) -> None:
    late = write(tmp_path / "late.csv", LATE_CSV, "cp1252")
    code, out, _ = invoke("report", late, "--model", "daily-active")
    assert code == 0
    assert "times without offset read in Europe/Paris" in out
    code, out, _ = invoke("inspect", late)
    assert "times without offset read in Europe/Paris" in out
    code, out, _ = invoke("report", late, "--model", "daily-active", "--format", "json")
    assert json.loads(out)["input_timezone"] == "Europe/Paris"


def test_input_timezone_key_overrides_the_contract_timezone_for_naive_times(
    tmp_path: Path,
) -> None:
    write(tmp_path / "late.csv", LATE_CSV, "cp1252")
    write(
        tmp_path / "licaudit.toml",
        'input_timezone = "UTC"\n[[contract]]\nmodel = "daily-active"\ncapacity = 1\n',
    )
    code, out, _ = invoke("check", tmp_path)
    # 23:30 UTC is 01:30 on the 16th in Paris: one user on each day, none over.
    assert (code, out) == (0, "")


def test_w3c_date_and_time_pairs_stay_utc_unless_input_timezone_is_given(tmp_path: Path) -> None:
    logs = write(
        tmp_path / "u_ex251015.csv",
        "date\ttime\tusername\n2025-10-15\t22:30:00\talice\n2025-10-15\t08:00:00\tbob\n",
    )
    code, out, _ = invoke("report", logs, "--model", "daily-active", "--format", "json")
    days = {row["period"]: row["units"] for row in usage_rows(out)}
    # 22:30 UTC is 00:30 on the 16th in Paris.
    assert (code, days) == (0, {"2025-10-15": 1, "2025-10-16": 1})
    code, out, _ = invoke(
        "report", logs, "--model", "daily-active", "--input-tz", "Europe/Paris", "-f", "json"
    )
    assert (code, usage_rows(out)) != (0, [])
    assert {row["period"]: row["units"] for row in usage_rows(out)} == {"2025-10-15": 2}


def test_the_report_says_w3c_date_and_time_pairs_were_read_in_utc(tmp_path: Path) -> None:
    # "The report and inspect say which timezone naive times were read in" (SPEC 1.2): the
    # W3C pair is UTC while other naive times are in the contract's timezone.
    logs = write(
        tmp_path / "u_ex251015.csv",
        "date\ttime\tusername\n2025-10-15\t22:30:00\talice\n",
    )
    line = "times without offset read in Europe/Paris, u_ex251015.csv's date + time in UTC"
    for command in (["report", logs, "--model", "daily-active", "-f", "csv"], ["inspect", logs]):
        code, out, err = invoke(*command)
        assert code == 0
        assert line in out + err
    # Read in the timezone given explicitly, like every other naive time.
    code, out, err = invoke("report", logs, "--model", "daily-active", "--input-tz", "UTC")
    assert "times without offset read in UTC (set" in out + err
    assert "date + time in" not in out + err


def test_the_report_header_says_which_column_was_used_and_which_ignored(tmp_path: Path) -> None:
    # SPEC 1.4: "inspect and the report's header say which column was used and which
    # ignored" when two columns offer one field (the earlier alias wins).
    text = "login,time,user_id,timestamp\nA,2025-03-10 09:00,B,2025-03-10 10:00\n"
    logs = write(tmp_path / "tie.csv", text)
    line = "columns of tie.csv: ts from timestamp (time ignored); user from user_id (login ignored)"
    for form in ("table", "csv"):
        code, out, err = invoke("report", logs, "--model", "rau", "--format", form)
        assert (code, line in out + err) == (0, True)
    code, out, _ = invoke("report", logs, "--model", "rau", "--format", "json")
    assert json.loads(out)["column_choices"] == [
        {"file": str(logs), "field": "ts", "used": "timestamp", "ignored": ["time"]},
        {"file": str(logs), "field": "user", "used": "user_id", "ignored": ["login"]},
    ]
    # A W3C date + time pair is one ts: neither column is "ignored".
    w3c = write(tmp_path / "u_ex.csv", "date\ttime\tusername\n2025-10-15\t22:30:00\talice\n")
    code, out, err = invoke("report", w3c, "--model", "rau", "--format", "csv")
    assert (code, "columns of" in out + err) == (0, False)


# --- 2. Dates alone are local days -----------------------------------------------------------


def test_dates_alone_stay_on_their_day_west_of_utc(tmp_path: Path) -> None:
    dates = write(tmp_path / "dates.csv", "date,user\n2025-10-15,alice\n2025-10-16,bob\n")
    code, out, _ = invoke(
        "report", dates, "--model", "daily-active", "--timezone", "America/New_York", "-f", "json"
    )
    assert code == 0
    periods = [row["period"] for row in usage_rows(out)]
    assert periods == ["2025-10-15", "2025-10-16"]


def test_a_parquet_date_column_is_its_local_day_not_the_previous_month(tmp_path: Path) -> None:
    path = tmp_path / "dates.parquet"
    pl.DataFrame({"date": [date(2025, 10, 1)], "user": ["alice"]}).write_parquet(path)
    code, out, _ = invoke(
        "report", path, "--model", "daily-active", "--timezone", "America/New_York", "-f", "json"
    )
    assert code == 0
    assert [row["period"] for row in usage_rows(out)] == ["2025-10-01"]


# --- 3. Files without a user column -----------------------------------------------------------

NO_USER = "date;utilisateur;méthode;produit\n15/10/2025 10:00;alice;web;ne\n"


def test_named_user_model_on_files_without_a_user_column_is_a_data_error(tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv", NO_USER)
    code, _, err = invoke("report", path, "--model", "daily-active")
    assert code == 3
    assert f"No input file has a user column ({path})" in err
    assert "--map user=COLUMN" in err


def test_map_user_makes_such_a_file_count(tmp_path: Path) -> None:
    path = write(tmp_path / "export.csv", NO_USER)
    code, out, _ = invoke(
        "report", path, "--model", "daily-active", "--map", "user=utilisateur", "-f", "json"
    )
    assert code == 0
    assert usage_rows(out)[0]["units"] == 1


def test_a_file_without_users_among_files_with_users_gets_a_warning(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "ts,user\n2025-10-15T10:00Z,alice\n")
    bare = write(tmp_path / "b.csv", "ts,method\n2025-10-15T11:00Z,web\n")
    code, out, _ = invoke("report", tmp_path, "--model", "daily-active")
    assert code == 0
    assert f"{bare} has no user column" in out


# --- 5. Scopes that match nothing, check without capacity ------------------------------------


def test_scope_matching_no_product_warns_with_the_products_seen_and_the_closest(
    tmp_path: Path,
) -> None:
    write(tmp_path / "a.csv", "ts,user,product\n2025-10-15T10:00Z,alice,lms\n")
    write(
        tmp_path / "licaudit.toml",
        '[[contract]]\nname = "x"\nmodel = "daily-active"\nscope = "lsm"\ncapacity = 5\n',
    )
    code, out, _ = invoke("report", tmp_path)
    assert code == 0
    assert "scope `lsm` matches no product of the input" in out
    assert "products seen: lms" in out and "did you mean `lms`?" in out


def test_check_warns_for_a_contract_without_capacity(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "ts,user\n2025-10-15T10:00Z,alice\n")
    write(
        tmp_path / "licaudit.toml",
        '[[contract]]\nname = "a"\nmodel = "daily-active"\ncapacity = 5\n'
        '[[contract]]\nname = "b"\nmodel = "daily-active"\n',
    )
    code, _, err = invoke("check", tmp_path)
    assert code == 0
    assert "contract `b` has no capacity: `check` cannot find it over capacity." in err


def test_check_where_no_contract_can_be_checked_is_a_configuration_error(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "ts,user\n2025-10-15T10:00Z,alice\n")
    code, _, err = invoke("check", path, "--model", "daily-active")
    assert code == 2
    assert "Nothing to check: no contract has a capacity (`daily-active`)" in err


# --- 6. Partial months ------------------------------------------------------------------------


def test_usage_rows_have_days_one_per_day_and_the_covered_days_per_month(tmp_path: Path) -> None:
    # The report range ends 2025-11-01 in Paris: November is a partial month of one day.
    path = write(tmp_path / "oct.csv", "ts,user\n2025-10-30T10:00Z,alice\n2025-10-31T23:30Z,bob\n")
    code, out, _ = invoke("report", path, "--model", "daily-active", "-f", "json")
    assert {row["period"]: row["days"] for row in usage_rows(out)} == {
        "2025-10-30": 1,
        "2025-10-31": 1,
        "2025-11-01": 1,
    }
    code, out, _ = invoke(
        "report", path, "--model", "daily-active", "-f", "json", "--period", "month"
    )
    assert code == 0
    assert {row["period"]: row["days"] for row in usage_rows(out)} == {"2025-10": 2, "2025-11": 1}


def test_terminal_summary_marks_a_partial_month_and_says_the_monthly_price_applies(
    tmp_path: Path,
) -> None:
    write(tmp_path / "oct.csv", "ts,user\n2025-10-30T10:00Z,alice\n2025-10-31T23:30Z,bob\n")
    write(
        tmp_path / "licaudit.toml",
        '[[contract]]\nmodel = "daily-active"\ncapacity = 5\nprice = 100\n',
    )
    code, out, _ = invoke("report", tmp_path)
    assert code == 0
    assert "2025-11*" in out
    assert (
        "* 2025-11: partial month, 1 of 30 days in the report range; the monthly price "
        "applies in full." in " ".join(out.split())
    )


# --- 7. Ambiguous slash dates -----------------------------------------------------------------


def test_slash_dates_that_read_both_ways_warn_that_day_first_was_assumed(tmp_path: Path) -> None:
    week = "".join(f"10/0{day}/2025,user{day}\n" for day in range(1, 8))
    path = write(tmp_path / "us.csv", "date,user\n" + week)
    code, out, _ = invoke("report", path, "--model", "daily-active")
    assert code == 0
    assert "day-first (DD/MM/YYYY) was assumed" in out and "--date-order mdy" in out
    code, out, _ = invoke(
        "report", path, "--model", "daily-active", "--date-order", "mdy", "-f", "json"
    )
    assert usage_rows(out)[0]["period"] == "2025-10-01"


def test_inspect_shows_no_date_order_for_files_without_slash_dates(tmp_path: Path) -> None:
    path = write(tmp_path / "iso.csv", "ts,user\n2025-10-15T10:00Z,alice\n")
    code, out, _ = invoke("inspect", path, "--format", "json")
    assert json.loads(out)["files"][0]["date_order"] is None
    code, out, _ = invoke("inspect", path)
    assert code == 0 and "—" in out


# --- Friction --------------------------------------------------------------------------------


@pytest.mark.parametrize("flag", ["-h", "--help"])
def test_short_and_long_help(flag: str) -> None:
    code, out, _ = invoke("report", flag)
    assert code == 0 and "Usage: licaudit report [OPTIONS] PATH..." in out
    assert "<list[Path]>" not in out and "{" not in out.splitlines()[0]


def test_command_summaries_are_not_cut() -> None:
    code, out, _ = invoke("--help")
    assert code == 0 and "..." not in out.split("Commands:")[1]


def test_format_from_output_extension_and_case_insensitive_choices(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "ts,user\n2025-10-15T10:00Z,alice\n")
    target = tmp_path / "usage.json"
    code, _, _ = invoke("report", path, "--model", "daily-active", "--output", target)
    assert code == 0 and json.loads(target.read_text())["rows_read"] == 1
    code, out, _ = invoke("report", path, "--model", "daily-active", "--format", "CSV")
    assert code == 0 and out.startswith("contract,model,scope,period,days")


@pytest.mark.parametrize("option", ["--output", "--rejects"])
def test_unwritable_destination_is_named_before_any_data_is_read(
    tmp_path: Path, option: str
) -> None:
    missing = tmp_path / "nowhere" / "out.csv"
    code, _, err = invoke("report", tmp_path / "no-such-file.csv", "--model", "daily-active",
                          option, missing)  # fmt: skip
    assert code == 2
    assert f"`{option}` {missing}: folder {missing.parent} does not exist." in err


def test_reconciliation_names_reasons_in_words_and_how_to_see_the_rows(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "ts,user\n2025-10-15T10:00Z,alice\nsoon,bob\n")
    code, out, _ = invoke("report", path, "--model", "daily-active", "--max-reject-ratio", "1")
    assert code == 0
    assert "(unreadable timestamp 1); see each rejected row with --rejects FILE" in out
    assert "1 events in scope" in out


# --- 4. Files the contract names are never events; each file read once -----------------------


def test_recursive_read_of_a_folder_never_reads_the_roster_as_events(tmp_path: Path) -> None:
    write(tmp_path / "access.csv", "ts,user\n2025-10-15T10:00Z,alice\n")
    (tmp_path / "licences").mkdir()
    write(
        tmp_path / "licences" / "roster.csv",
        "ts,user,status\n2025-09-01T00:00Z,alice,active\n2025-09-01T00:00Z,bob,active\n",
    )
    write(
        tmp_path / "licaudit.toml",
        'roster = "licences/roster.csv"\n[[contract]]\nmodel = "daily-active"\ncapacity = 5\n',
    )
    code, out, _ = invoke("report", tmp_path, "--recursive", "--format", "json")
    assert code == 0
    document = json.loads(out)
    assert document["rows_read"] == 1
    assert [row["period"] for row in document["tables"]["usage"]] == ["2025-10-15"]


def test_the_same_file_given_twice_is_read_once_with_a_warning(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "ts,user\n2025-10-15T10:00Z,alice\n")
    code, out, _ = invoke("report", path, path, "--model", "daily-active")
    assert code == 0
    assert out.startswith("rows read 1 = used 1")
    assert f"{path} is the same file as {path}, given twice" in " ".join(out.split())


def test_a_file_inside_a_folder_also_given_is_read_once(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", "ts,user\n2025-10-15T10:00Z,alice\n")
    code, out, err = invoke("report", tmp_path, path, "--model", "daily-active", "-f", "json")
    assert code == 0
    assert json.loads(out)["rows_read"] == 1
    assert "given twice (or inside a folder also given): it is read once." in " ".join(err.split())
