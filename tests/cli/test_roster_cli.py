"""The roster from the command line: roster models, snapshot mode, inspect (SPEC 1.5, 3.4, 3.5)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from licaudit.cli.commands import app

runner = CliRunner()

EVENTS = "ts,user\n2025-10-01T10:00Z,alice\n2025-10-03T10:00Z,bob\n"
# Two snapshots: alice and bob on the 1st, bob alone on the 2nd (alice absent: inactive).
SNAPSHOTS = (
    "ts,user\n"
    "2025-10-01T00:00:00+02:00,alice\n2025-10-01T00:00:00+02:00,bob\n"
    "2025-10-02T00:00:00+02:00,bob\n"
)


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def folder(tmp_path: Path, contract: str) -> Path:
    (tmp_path / "events.csv").write_text(EVENTS)
    (tmp_path / "accounts.csv").write_text(SNAPSHOTS)
    (tmp_path / "licaudit.toml").write_text(contract)
    return tmp_path


def day_units(out: str) -> dict[str, int]:
    return {row["period"]: row["units"] for row in json.loads(out)["tables"]["usage"]}


def test_roster_mode_snapshot_makes_an_account_absent_from_a_snapshot_inactive(
    tmp_path: Path,
) -> None:
    logs = folder(
        tmp_path,
        'roster = "accounts.csv"\nroster_mode = "snapshot"\n'
        '[[contract]]\nmodel = "accounts"\ncapacity = 5\n',
    )
    code, out, _ = invoke("report", logs, "--format", "json")
    assert code == 0
    # Alice is active on the 1st until the 2nd's snapshot (local midnight) omits her.
    assert day_units(out) == {"2025-10-01": 2, "2025-10-02": 1, "2025-10-03": 1}


def test_roster_mode_option_overrides_the_contract_file(tmp_path: Path) -> None:
    logs = folder(tmp_path, 'roster = "accounts.csv"\n[[contract]]\nmodel = "accounts"\n')
    # Status events need a status column: the file is a snapshot export.
    code, _, err = invoke("report", logs, "--format", "json")
    assert code == 3 and "has no status column" in err
    code, out, _ = invoke("report", logs, "--format", "json", "--roster-mode", "snapshot")
    assert code == 0 and day_units(out)["2025-10-02"] == 1


def test_unknown_roster_mode_in_the_contract_file_is_a_configuration_error(
    tmp_path: Path,
) -> None:
    logs = folder(tmp_path, 'roster_mode = "snapshots"\n[[contract]]\nmodel = "accounts"\n')
    code, _, err = invoke("report", logs)
    assert code == 2 and "`roster_mode` = 'snapshots'" in err


def test_roster_model_without_a_roster_says_how_to_give_one(tmp_path: Path) -> None:
    logs = folder(tmp_path, '[[contract]]\nmodel = "nominal"\n')
    code, _, err = invoke("report", logs)
    assert code == 2
    assert "no roster was given" in err and "--roster FILE" in err


def test_inspect_shows_the_snapshots_of_a_roster(tmp_path: Path) -> None:
    logs = folder(
        tmp_path,
        'roster = "accounts.csv"\nroster_mode = "snapshot"\n[[contract]]\nmodel = "accounts"\n',
    )
    code, out, _ = invoke("inspect", logs, "--format", "json")
    assert code == 0
    roster = json.loads(out)["roster"]
    assert (roster["mode"], roster["snapshots"]) == ("snapshot", 2)
    assert [row["accounts"] for row in roster["accounts_per_snapshot"]] == [2, 1]
    code, out, _ = invoke("inspect", logs)
    assert "snapshots (distinct ts): 2" in out
