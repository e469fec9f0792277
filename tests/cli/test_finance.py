"""Finance's path: a month's bill from the logs, the same to the cent in CSV and JSON (SPEC 3, 4).

`licaudit report FOLDER --period month --format csv` is read back with Python's own
``csv`` module, as a spreadsheet macro or an accounting import would, and its costs
are compared with the JSON output's and with amounts computed by hand in Decimal:
``cost = price + excess × excess_price`` on month rows, rounded half-up to cents.
"""

from __future__ import annotations

import csv
import io
import json
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from licaudit import cli

CENT = Decimal("0.01")

# lms: 3 users in January, 4 in February, 1 in March (Paris months); anonymous rows and
# the crm rows do not count for the lms contract. The 23:30 UTC row on 31 January is
# 1 February in Paris: dave is February's, not January's.
ACCESS_LOG = """timestamp,user,product,authenticated
2025-01-06T09:00:00Z,alice,lms,
2025-01-07T09:00:00Z,bob,lms,
2025-01-07T10:00:00Z,alice,lms,
2025-01-20T09:00:00Z,carol,lms,
2025-01-21T09:00:00Z,,lms,
2025-01-21T09:30:00Z,guest,lms,
2025-01-22T09:30:00Z,erin,lms,false
2025-01-31T23:30:00Z,dave,lms,
2025-02-03T09:00:00Z,alice,lms,
2025-02-04T09:00:00Z,bob,lms,
2025-02-05T09:00:00Z,carol,lms,
2025-02-10T09:00:00Z,erin,crm,
2025-03-02T09:00:00Z,alice,lms,
"""

CONTRACTS = """currency = "CHF"

[[contract]]
name = "lms-rau"
model = "rau"
scope = "lms"
capacity = 2
price = 5000.10
excess_price = 12.345

[[contract]]
name = "all-rau"
model = "rau"
capacity = 0
price = 0.1
excess_price = 0.2
"""


def hand_cost(price: str, excess: int, excess_price: str) -> Decimal:
    """``price + excess × excess_price``, exact, before rounding."""
    return Decimal(price) + excess * Decimal(excess_price)


# (contract, scope, period) -> (units, excess, cost). 5000.10 + 12.345 = 5012.445 → 5012.45
# (half-up: half-even would bill 5012.44); 0.1 + 0.2 = 0.30 exactly, not 0.30000000000000004.
EXPECTED = {
    ("lms-rau", "lms", "2025-01"): (3, 1, Decimal("5012.45")),
    ("lms-rau", "lms", "2025-02"): (4, 2, Decimal("5024.79")),
    ("lms-rau", "lms", "2025-03"): (1, 0, Decimal("5000.10")),
    ("all-rau", "crm", "2025-01"): (0, 0, Decimal("0.10")),
    ("all-rau", "crm", "2025-02"): (1, 1, Decimal("0.30")),
    ("all-rau", "crm", "2025-03"): (0, 0, Decimal("0.10")),
    ("all-rau", "lms", "2025-01"): (3, 3, Decimal("0.70")),
    ("all-rau", "lms", "2025-02"): (4, 4, Decimal("0.90")),
    ("all-rau", "lms", "2025-03"): (1, 1, Decimal("0.30")),
}


def test_hand_computed_costs_are_price_plus_excess_times_excess_price() -> None:
    # The table above, derived once more from the formula, so that a typo in it cannot hide.
    assert hand_cost("5000.10", 1, "12.345") == Decimal("5012.445")
    for (contract, _, _), (_, excess, cost) in EXPECTED.items():
        price, excess_price = ("5000.10", "12.345") if contract == "lms-rau" else ("0.1", "0.2")
        assert cost == hand_cost(price, excess, excess_price).quantize(CENT, ROUND_HALF_UP)


@pytest.fixture
def billing_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "netex"
    folder.mkdir()
    (folder / "access.csv").write_text(ACCESS_LOG, encoding="utf-8")
    (folder / "licaudit.toml").write_text(CONTRACTS, encoding="utf-8")
    return folder


def report(folder: Path, output_format: str) -> str:
    result = CliRunner().invoke(
        cli.app, ["report", str(folder), "--period", "month", "--format", output_format]
    )
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    return result.stdout


def test_month_csv_read_with_the_csv_module_bills_the_hand_computed_costs(
    billing_folder: Path,
) -> None:
    rows = list(csv.DictReader(io.StringIO(report(billing_folder, "csv"))))
    billed = {
        (row["contract"], row["scope"], row["period"]): (
            int(row["units"]),
            int(row["excess"]),
            Decimal(row["cost"]),
        )
        for row in rows
    }
    assert billed == EXPECTED
    # Written to the cent, in the contract file's currency.
    assert all(row["cost"] == f"{Decimal(row['cost']):.2f}" for row in rows)
    assert {row["currency"] for row in rows} == {"CHF"}


def test_month_csv_and_json_give_the_same_costs_to_the_cent(billing_folder: Path) -> None:
    csv_rows = list(csv.DictReader(io.StringIO(report(billing_folder, "csv"))))
    json_rows = json.loads(report(billing_folder, "json"))["tables"]["usage"]
    from_csv = {(r["contract"], r["scope"], r["period"]): Decimal(r["cost"]) for r in csv_rows}
    from_json = {
        (r["contract"], r["scope"], r["period"]): Decimal(str(r["cost"])).quantize(CENT)
        for r in json_rows
    }
    assert from_json == from_csv == {key: cost for key, (_, _, cost) in EXPECTED.items()}
    assert {r["currency"] for r in json_rows} == {"CHF"}
