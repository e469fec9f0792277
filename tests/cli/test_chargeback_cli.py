"""``report --groups`` and the contract file's ``groups`` (issue 13, item 2)."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console
from typer.testing import CliRunner

from licaudit.cli import app
from licaudit.pipeline import Request, read_inputs, run
from licaudit.report.terminal import render_report

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"

EVENTS = (
    "ts,user,method\n"
    "2025-10-01T10:00Z,Alice,web\n"
    "2025-10-01T10:01Z,bob,web\n"
    "2025-10-01T10:02Z,carol,web\n"
    "2025-10-02T10:00Z,carol,web\n"
)
GROUPS = "user,group\n alice ,Sales\nCAROL,IT\n"
CONTRACT = (
    'groups = "groups.csv"\n'
    '[[contract]]\nname = "da"\nmodel = "daily-active"\ncapacity = 2\nprice = 100.0\n'
    "excess_price = 1.0\n"
)


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


def folder(tmp_path: Path, contract: str = CONTRACT) -> Path:
    (tmp_path / "events.csv").write_text(EVENTS)
    if "groups" in contract:
        (tmp_path / "groups.csv").write_text(GROUPS)
    (tmp_path / "licaudit.toml").write_text(contract)
    return tmp_path


def test_report_groups_key_in_the_contract_file_gives_chargeback_and_ungrouped(
    tmp_path: Path,
) -> None:
    # 1 Oct: alice (Sales; "Alice" in the logs, " alice " in the file), bob (no group),
    # carol (IT): 3 units, 100 + 1 × 1 = 101.00 over 1:1:1. 33.67 three times is 101.01:
    # the largest share, the first by name of equal ones (IT), gives 0.01 back. The
    # groups file is not read as events (4 rows).
    code, out, err = invoke("report", folder(tmp_path), "--format", "json", "--period", "month")
    assert code == 0, err
    document = json.loads(out)
    assert document["rows_read"] == 4
    assert [
        (row["group"], row["units"], row["cost"]) for row in document["tables"]["chargeback"]
    ] == [("IT", 1, 33.66), ("Sales", 1, 33.67), ("unassigned", 1, 33.67)]
    assert document["tables"]["ungrouped"] == [{"contract": "da", "scope": "*", "user": "bob"}]


def test_report_groups_option_wins_over_the_contract_file(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "teams.csv").write_text("user,group\nbob,Ops\n")
    code, out, err = invoke(
        "report", folder(tmp_path), "--groups", other / "teams.csv",
        "--format", "csv", "--table", "chargeback",
    )  # fmt: skip
    assert code == 0, err
    assert out.splitlines() == [
        "contract,scope,period,group,units,cost,currency",
        "da,*,2025-10-01,Ops,1,,EUR",
        "da,*,2025-10-01,unassigned,2,,EUR",
        "da,*,2025-10-02,unassigned,1,,EUR",
    ]


def test_report_groups_file_error_names_file_line_and_column(tmp_path: Path) -> None:
    (tmp_path / "bad.csv").write_text("user,group\nalice,\n")
    code, _, err = invoke("report", folder(tmp_path), "--groups", tmp_path / "bad.csv")
    assert code == 3
    assert "bad.csv, line 2, column `group`: empty group" in err


def test_report_without_groups_has_no_chargeback_table(tmp_path: Path) -> None:
    contract = CONTRACT.replace('groups = "groups.csv"\n', "")
    code, out, err = invoke("report", folder(tmp_path, contract), "--format", "json")
    assert code == 0, err
    assert "chargeback" not in json.loads(out)["tables"]


def test_report_shows_the_seats_table_only_with_groups(tmp_path: Path) -> None:
    # Who took the seats is the chargeback's evidence: with a groups file only, so a
    # plain report keeps its tables.
    code, out, err = invoke("report", folder(tmp_path), "--format", "json")
    assert code == 0, err
    seats = json.loads(out)["tables"]["seats"]
    assert [(row["period"], row["user"], row["seats"]) for row in seats] == [
        ("2025-10-01", "alice", 1), ("2025-10-01", "bob", 1), ("2025-10-01", "carol", 1),
        ("2025-10-02", "carol", 1),
    ]  # fmt: skip
    plain = tmp_path / "plain"
    plain.mkdir()
    code, out, err = invoke(
        "report", folder(plain, CONTRACT.replace('groups = "groups.csv"\n', "")), "--format", "json"
    )
    assert code == 0, err
    assert list(json.loads(out)["tables"]) == ["usage", "refused"]


def test_report_terminal_shows_the_sample_chargeback_and_the_ungrouped_users() -> None:
    code, out, err = invoke("report", SAMPLE)
    assert code == 0, err
    section = out[out.index("== Chargeback") :]
    assert "\nChargeback" in section
    rows = [line.split() for line in section.splitlines()]
    # The README's month rows (SPEC-style split of 1,920.00 over 31 seats).
    assert ["netexplorer-2k21", "netexplorer", "2025-10", "IT", "10", "619.35"] in rows
    assert ["netexplorer-2k21", "netexplorer", "2025-10", "unassigned", "1", "61.94"] in rows
    assert ["autodesk-flex", "revit", "2025-10", "unassigned", "80"] in rows
    assert "Ungrouped (3): charged to unassigned" in section
    assert ["b.nguyen@archi-partenaires.fr", "autodesk-flex"] in rows
    assert ["(anonymous", "visitors)", "netexplorer-2k17"] in rows
    zoe = next(row for row in rows if row[:1] == ["zoe.dupont@acme.fr"])
    assert " ".join(zoe[1:]).startswith("netexplorer-2k21, netexplorer-2k17,")


def test_terminal_chargeback_is_by_month_whatever_the_period(tmp_path: Path) -> None:
    # A captured 80-column terminal: the month rows (a bill is monthly) with --period day,
    # the cents split as in the JSON test above, bob listed as ungrouped.
    request = Request(paths=(folder(tmp_path),))
    inputs = read_inputs(request, need_contract=True)
    audit = run(inputs, request)
    buffer = io.StringIO()
    console = Console(file=buffer, width=80, force_terminal=True, color_system=None)
    render_report(console, audit, [], None)
    text = buffer.getvalue()
    section = text[text.index("Chargeback: units and cost per group and month") :]
    cells = [[cell.strip() for cell in line.split("│")[1:-1]] for line in section.splitlines()]
    assert [row for row in cells if row[:1] == ["da"]] == [
        ["da", "*", "2025-10", "IT", "1", "33.66"],
        ["da", "*", "2025-10", "Sales", "1", "33.67"],
        ["da", "*", "2025-10", "unassigned", "1", "33.67"],
    ]
    assert "2025-10-01" not in section
    assert "Ungrouped (1): charged to unassigned" in section
    assert ["bob", "da"] in cells
    assert all(cell_len(line) <= 80 for line in text.splitlines())


def test_terminal_without_groups_has_no_chargeback(tmp_path: Path) -> None:
    contract = CONTRACT.replace('groups = "groups.csv"\n', "")
    code, out, err = invoke("report", folder(tmp_path, contract))
    assert code == 0, err
    assert "Chargeback" not in out and "Ungrouped" not in out


def test_html_report_ends_with_the_chargeback_by_month(tmp_path: Path) -> None:
    target = tmp_path / "report.html"
    code, _, err = invoke("report", folder(tmp_path), "--output", target)
    assert code == 0, err
    page = target.read_text()
    section = page[page.index('<section id="chargeback">') :]
    assert "<td>IT</td>" in section and "33.66" in section
    assert '<section id="ungrouped">' in page
