"""``licaudit whatif`` through Typer's runner: exit codes, error text, outputs (issue 13)."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from licaudit.advisor import advise
from licaudit.cli import app
from licaudit.pipeline import Request, read_inputs
from licaudit.report.files import json_rows

runner = CliRunner()
SAMPLE = Path(__file__).resolve().parents[2] / "sample_logs"

# 2, 5 and 8 users at once on one day of January, February and March (Paris).
LOG = "ts,user\n" + "".join(
    f"2025-{month:02}-10T08:{minute:02}:00Z,u{minute}\n"
    for month, users in ((1, 2), (2, 5), (3, 8))
    for minute in range(users)
)
CONTRACTS = """[[contract]]
name = "2k21"
model = "daily-active"
capacity = 4
price = 40.0
excess_price = 25.0

[offers.concurrent]
price = 90.0
excess_price = 140.0
"""


def invoke(*args: str | Path) -> tuple[int, str, str]:
    result = runner.invoke(app, [str(arg) for arg in args])
    assert "Traceback" not in result.stdout + result.stderr
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def logs(tmp_path: Path) -> Path:
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "access.csv").write_text(LOG)
    (folder / "licaudit.toml").write_text(CONTRACTS)
    return folder


def test_whatif_csv_gives_the_optimum_of_the_contract_and_of_an_offer_for_another_model(
    logs: Path,
) -> None:
    # Months of 2, 5, 8 users: 2k21 at 10 a licence + 25 over, least at 5 (225.00);
    # concurrent offer at 90 + 140 over, least at 5 (1,770.00) (tests/test_advisor.py).
    code, out, err = invoke("whatif", logs, "--format", "csv")
    assert code == 0, err
    rows = {row["contract"]: row for row in csv.DictReader(io.StringIO(out))}
    assert list(rows) == ["2k21", "concurrent", "floating", "rau"]
    assert (rows["2k21"]["pricing"], rows["2k21"]["optimum"], rows["2k21"]["optimum_cost"]) == (
        "contract",
        "5",
        "225.00",
    )
    assert (rows["concurrent"]["pricing"], rows["concurrent"]["optimum"]) == ("offer", "5")
    assert rows["concurrent"]["optimum_cost"] == "1770.00"
    assert (rows["2k21"]["peak"], rows["2k21"]["p95"], rows["2k21"]["p99"]) == ("8", "0", "8")
    assert "rows read 15 = used 15 + rejected 0" in err


def test_whatif_json_equals_the_library_result(logs: Path) -> None:
    code, out, _ = invoke("whatif", logs, "--format", "json", "--capacities", "0:10:2")
    assert code == 0
    document = json.loads(out)
    request = Request(paths=(logs,))
    advice = advise(read_inputs(request, need_contract=False), request, (0, 2, 4, 6, 8, 10))
    assert document["tables"] == {name: json_rows(t) for name, t in advice.tables().items()}
    assert document["rows_read"] == 15


def test_whatif_candidates_table_lists_each_capacity_asked(logs: Path) -> None:
    code, out, _ = invoke(
        "whatif", logs, "--format", "csv", "--table", "candidates", "--capacities", "4,5"
    )
    assert code == 0
    rows = [r for r in csv.DictReader(io.StringIO(out)) if r["contract"] == "2k21"]
    # At 4: 1 day (February 5 users: 1 refused) and March (8: 4 refused) over; 245.00.
    assert [(r["capacity"], r["days_over"], r["refusals"], r["cost"]) for r in rows] == [
        ("4", "2", "5", "245.00"),
        ("5", "1", "3", "225.00"),
    ]


def test_a_bad_capacities_spec_exits_2_with_a_hint(logs: Path) -> None:
    code, out, err = invoke("whatif", logs, "--capacities", "200:10")
    assert code == 2 and out == ""
    assert "Error: `--capacities` = '200:10': '200:10' is an empty range." in err
    assert "Hint: write START:STOP[:STEP] with START <= STOP" in err
    code, _, err = invoke("whatif", logs, "--capacities", "ten")
    assert code == 2 and "'ten' is not a capacity or a range" in err


def test_an_offer_for_an_unknown_model_exits_2_with_did_you_mean(logs: Path) -> None:
    (logs / "licaudit.toml").write_text(CONTRACTS + "[offers.flotting]\nprice = 1\n")
    code, _, err = invoke("whatif", logs)
    assert code == 2
    assert "Unknown model `offers.flotting`" in err and "did you mean `floating`?" in err


def test_whatif_xlsx_has_the_whatif_and_candidates_sheets(logs: Path) -> None:
    code, out, err = invoke("whatif", logs, "--output", logs / "w.xlsx", "--capacities", "0:8")
    assert code == 0 and out == "", err
    book = openpyxl.load_workbook(logs / "w.xlsx")
    assert book.sheetnames == ["whatif", "candidates"]
    sizes = list(book["whatif"].iter_rows(values_only=True))
    header = sizes[0]
    assert header[:4] == ("contract", "model", "scope", "capacity")
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in sizes[1:5]}
    assert list(rows) == ["2k21", "concurrent", "floating", "rau"]
    assert (rows["2k21"]["optimum"], rows["2k21"]["optimum_cost"]) == (5, 225.0)
    assert (rows["concurrent"]["pricing"], rows["concurrent"]["optimum_cost"]) == ("offer", 1770.0)
    assert rows["floating"]["pricing"] is None
    # Money keeps its currency format; below the rows, the cost rule and the counts.
    cost_cell = book["whatif"].cell(row=2, column=header.index("optimum_cost") + 1)
    assert "€" in cost_cell.number_format
    below = [row for row in sizes[5:] if any(value is not None for value in row)]
    assert below[0][0].startswith("cost: Σ months")
    assert ("rows_read", 15) in [row[:2] for row in below]
    candidates = list(book["candidates"].iter_rows(values_only=True))
    # 9 capacities (0 to 8) for each of the 4 contracts.
    assert len(candidates) == 1 + 4 * 9
    at_4 = dict(zip(candidates[0], candidates[5], strict=True))
    assert (at_4["contract"], at_4["capacity"], at_4["refusals"], at_4["cost"]) == (
        "2k21", 4, 5, 245.0,
    )  # fmt: skip


def test_whatif_html_draws_a_cost_line_per_priced_model_with_its_optimum(logs: Path) -> None:
    code, out, err = invoke("whatif", logs, "--format", "html")
    assert code == 0, err
    # Self-contained: no script, nothing fetched (the SVG namespace is a name, not a fetch).
    assert out.startswith("<!DOCTYPE html>") and "<script" not in out
    assert "http" not in out.replace('xmlns="http://www.w3.org/2000/svg"', "")
    # Two priced rows: 2k21 under its contract's price, concurrent under the offer;
    # floating and rau have no price, so no line.
    assert out.count("<svg") == 2
    lines = re.findall(r'<polyline class="cost" data-pricing="(\w+)" points="([^"]+)"', out)
    assert [pricing for pricing, _ in lines] == ["contract", "offer"]
    # Candidates 0 to 8 (the peak month): one point per capacity on each line.
    assert all(len(points.split()) == 9 for _, points in lines)
    optima = re.findall(r'<circle class="optimum" data-pricing="(\w+)"[^>]*><title>([^<]+)', out)
    assert optima == [
        ("contract", "contract: optimum 5: 225.00 EUR (least cost)"),
        ("offer", "offer: optimum 5: 1,770.00 EUR (least cost)"),
    ]
    assert "not charted: floating (floating, *), rau (rau, default)." in out
    # The two tables: the optimum rows of the candidates highlighted.
    assert '<section id="whatif"><h2>What if</h2><table>' in out
    assert out.count('<tr class="optimum">') == 2
    assert "rows read 15 = used 15 + rejected 0" in out


def test_whatif_html_optimum_is_on_its_line(logs: Path) -> None:
    # The marker sits on the polyline's point at the optimum's capacity.
    _, out, _ = invoke("whatif", logs, "--format", "html", "--capacities", "3,5,7")
    points = re.findall(r'<polyline class="cost" data-pricing="contract" points="([^"]+)"', out)
    marker = re.search(r'<circle class="optimum" data-pricing="contract" cx="([\d.]+)" '
                       r'cy="([\d.]+)"', out)  # fmt: skip
    assert marker is not None
    assert points[0].split()[1] == f"{marker[1]},{marker[2]}"


def test_whatif_table_format_with_output_exits_2(logs: Path) -> None:
    code, _, err = invoke("whatif", logs, "--format", "table", "--output", logs / "w.txt")
    assert code == 2 and "`--output` needs a file format." in err


def test_whatif_runs_without_a_contract_file(tmp_path: Path) -> None:
    log = tmp_path / "access.csv"
    log.write_text(LOG)
    code, out, _ = invoke("whatif", log, "--format", "csv")
    assert code == 0
    models = [row["model"] for row in csv.DictReader(io.StringIO(out))]
    assert models == ["daily-active", "concurrent", "floating", "rau"]


def test_whatif_on_the_sample_prints_both_tables() -> None:
    code, out, _ = invoke("whatif", SAMPLE)
    assert code == 0
    assert "What if" in out and "Candidates" in out
    assert "netexplorer-2k21" in out and "workspace-2k22" in out and "autodesk-flex" in out


def test_whatif_help_has_an_example() -> None:
    code, out, _ = invoke("whatif", "--help")
    assert code == 0 and "licaudit whatif sample_logs" in out and "--capacities" in out
