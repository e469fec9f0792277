"""``licaudit reconcile``: Autodesk's bill next to the logs, exit 1 when they differ (issue 10)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from typer.testing import CliRunner

from licaudit.cli.commands import app

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"
EXPORT = SAMPLE / "licences" / "autodesk_vendor_export_2025-10.csv"


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def test_reconcile_lists_the_differing_day_first_and_exits_1() -> None:
    code, out, err = invoke("reconcile", SAMPLE, "--vendor", EXPORT, "--format", "json")
    assert code == 1
    rows = json.loads(out)["tables"]["reconcile"]
    assert (rows[0]["day"], rows[0]["user"], rows[0]["product"]) == (
        "2025-10-02",
        "hugo.durand@acme.fr",
        "revit",
    )
    assert (rows[0]["vendor_tokens"], rows[0]["licaudit_tokens"]) == (20, 10)
    assert rows[-1]["user"] == "total" and rows[-1]["difference"] == 10
    assert "1 (user, product, day) rows differ" in err and "2025-10-01 to 2025-10-03" in err


def test_reconcile_json_carries_the_run_reconciliation_beside_its_table() -> None:
    # SPEC 1.4: "JSON output: one object with rows_read, rows_used, rows_rejected,
    # rejects_by_reason and tables".
    _, out, _ = invoke("reconcile", SAMPLE, "--vendor", EXPORT, "--format", "json")
    document = json.loads(out)
    assert list(document) == [
        "rows_read",
        "rows_used",
        "rows_rejected",
        "rejects_by_reason",
        "tables",
    ]
    assert document["rows_read"] == document["rows_used"] + document["rows_rejected"] > 0


def test_reconcile_exits_0_when_the_bill_agrees(tmp_path: Path) -> None:
    agreeing = tmp_path / "export.csv"
    agreeing.write_text(
        EXPORT.read_text().replace("revit,20", "revit,10").replace("Revit,20", "Revit,10")
    )
    code, _, err = invoke("reconcile", SAMPLE, "--vendor", agreeing)
    assert code == 0 and "0 (user, product, day) rows differ" in err


def test_reconcile_never_reads_the_export_as_events(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    shutil.copytree(SAMPLE, logs)
    export = logs / "vendor.csv"
    shutil.copy(EXPORT, export)
    code, _, err = invoke("reconcile", logs, "--vendor", export)
    assert code == 1 and "rows read 5,366" in err


def test_reconcile_without_a_flex_contract_is_a_configuration_error(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "a.csv").write_text("ts,user\n2025-10-01T10:00Z,alice\n")
    (logs / "licaudit.toml").write_text('[[contract]]\nmodel = "daily-active"\n')
    code, _, err = invoke("reconcile", logs, "--vendor", EXPORT)
    assert code == 2 and "none matches" in err
