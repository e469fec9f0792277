"""The rates and packs files of a flex contract (SPEC 2, 3.7): read at load, errors located."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from licaudit.cli import app
from licaudit.contract import parse_contract_text
from licaudit.errors import ConfigError
from licaudit.models.flex import FlexOptions
from licaudit.models.flex.files import Pack, default_expiry, read_packs, read_rates

PLACE = "in [[contract]] 'autodesk' in licaudit.toml"


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def test_flex_rates_are_read_with_products_trimmed_and_lowercased(tmp_path: Path) -> None:
    path = write(tmp_path, "rates.csv", "Product , Tokens_per_day\n AutoCAD ,7\nrevit,10\n")
    rates = read_rates(path, "rates", PLACE)
    assert rates.rows == (("autocad", 7), ("revit", 10))
    assert rates.frame.schema == pl.Schema({"product": pl.String(), "tokens_per_day": pl.Int64()})


@pytest.mark.parametrize(
    ("text", "located"),
    [
        ("product,tokens_per_day\nautocad,seven\n", "line 2, column `tokens_per_day`"),
        ("product,tokens_per_day\nautocad,0\n", "line 2, column `tokens_per_day`"),
        ("product,tokens_per_day\nautocad,7\nAutoCAD,8\n", "line 3, column `product`"),
        ("product,tokens_per_day\n,7\n", "line 2, column `product`"),
        ("product\nautocad\n", "line 1, column `tokens_per_day`"),
        ("product,tokens_per_day,colour\nautocad,7,red\n", "line 1, column `colour`"),
        ("product,tokens_per_day\nautocad,7,9\n", "line 2"),
        ("product,tokens_per_day\n", "line 2"),
        ("", "line 1"),
    ],
)
def test_flex_a_bad_rates_file_is_a_config_error_naming_key_file_line_and_column(
    tmp_path: Path, text: str, located: str
) -> None:
    path = write(tmp_path, "rates.csv", text)
    with pytest.raises(ConfigError) as raised:
        read_rates(path, "rates", PLACE)
    message = raised.value.message
    assert message.startswith(f"`rates` file {path} {PLACE}, {located}")


def test_flex_packs_are_read_with_offsets_naive_times_in_utc_and_default_expiry(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path,
        "packs.csv",
        "pack_id,purchased_at,tokens,price,expires_at\n"
        "A,2024-10-21T10:00:00+02:00,600,1800.00,\n"
        "B,2025-04-07 14:30,150,,2025-12-31\n"
        "C,2024-02-29,10,12.345,\n",
    )
    packs = read_packs(path, "packs", PLACE)
    assert packs.rows == (
        Pack(
            "A",
            datetime(2024, 10, 21, 8, tzinfo=UTC),
            600,
            datetime(2025, 10, 21, 8, tzinfo=UTC),
            Decimal("1800.00"),
        ),
        Pack(
            "B",
            datetime(2025, 4, 7, 14, 30, tzinfo=UTC),
            150,
            datetime(2025, 12, 31, tzinfo=UTC),
            None,
        ),
        Pack(
            "C",
            datetime(2024, 2, 29, tzinfo=UTC),
            10,
            datetime(2025, 2, 28, tzinfo=UTC),
            Decimal("12.35"),
        ),
    )
    assert packs.frame.height == 3


def test_flex_default_expiry_is_one_calendar_year_later_in_utc_and_29_february_gives_28() -> None:
    assert default_expiry(datetime(2024, 2, 29, 10, tzinfo=UTC)) == datetime(
        2025, 2, 28, 10, tzinfo=UTC
    )
    assert default_expiry(datetime(2024, 3, 1, 10, tzinfo=UTC)) == datetime(
        2025, 3, 1, 10, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("text", "located"),
    [
        ("pack_id,purchased_at,tokens\nA,yesterday,10\n", "line 2, column `purchased_at`"),
        ("pack_id,purchased_at,tokens\nA,2025-01-01,-3\n", "line 2, column `tokens`"),
        (
            "pack_id,purchased_at,tokens\nA,2025-01-01,3\nA,2025-01-02,3\n",
            "line 3, column `pack_id`",
        ),
        ("pack_id,purchased_at,tokens\n,2025-01-01,3\n", "line 2, column `pack_id`"),
        ("pack_id,purchased_at,tokens,price\nA,2025-01-01,3,cheap\n", "line 2, column `price`"),
        (
            "pack_id,purchased_at,tokens,expires_at\nA,2025-01-01,3,2024-12-31\n",
            "line 2, column `expires_at`",
        ),
        ("pack_id,tokens\nA,3\n", "line 1, column `purchased_at`"),
    ],
)
def test_flex_a_bad_packs_file_is_a_config_error_naming_key_file_line_and_column(
    tmp_path: Path, text: str, located: str
) -> None:
    path = write(tmp_path, "packs.csv", text)
    with pytest.raises(ConfigError) as raised:
        read_packs(path, "packs", PLACE)
    assert raised.value.message.startswith(f"`packs` file {path} {PLACE}, {located}")


CONTRACT = """
timezone = "Europe/Paris"
[[contract]]
name = "autodesk"
model = "flex"
rates = "rates.csv"
packs = "packs.csv"
idle_timeout = "10m"
alert_days = 14
"""


def test_flex_contract_file_reads_rates_packs_and_options(tmp_path: Path) -> None:
    write(tmp_path, "rates.csv", "product,tokens_per_day\nautocad,7\n")
    write(tmp_path, "packs.csv", "pack_id,purchased_at,tokens\nA,2025-01-01,100\n")
    settings = parse_contract_text(CONTRACT, write(tmp_path, "licaudit.toml", CONTRACT))
    options = settings.contracts[0].options
    assert isinstance(options, FlexOptions)
    assert options.rates is not None and options.rates.rows == (("autocad", 7),)
    assert options.packs is not None and [p.pack_id for p in options.packs.rows] == ["A"]
    assert options.idle_timeout.total_seconds() == 600
    assert options.alert_days == 14


def test_flex_contract_naming_a_missing_rates_file_is_a_config_error(tmp_path: Path) -> None:
    write(tmp_path, "packs.csv", "pack_id,purchased_at,tokens\nA,2025-01-01,100\n")
    with pytest.raises(ConfigError, match="rates"):
        parse_contract_text(CONTRACT, tmp_path / "licaudit.toml")


def test_flex_two_versions_of_one_product_make_one_charge(tmp_path: Path) -> None:
    # A `version` column is not a key column: 2024 and 2025 of autocad are one key.
    write(tmp_path, "rates.csv", "product,tokens_per_day\nautocad,7\n")
    write(tmp_path, "packs.csv", "pack_id,purchased_at,tokens\nA,2025-01-01,100\n")
    contract = write(tmp_path, "licaudit.toml", CONTRACT)
    logs = tmp_path / "logs"
    logs.mkdir()
    write(
        logs,
        "usage.csv",
        "user,product,version,start_time,end_time\n"
        "ana,autocad,2024,2025-03-03T08:00:00Z,2025-03-03T09:00:00Z\n"
        "ana,autocad,2025,2025-03-03T14:00:00Z,2025-03-03T15:00:00Z\n",
    )
    result = CliRunner().invoke(
        app,
        ["report", str(logs), "--contract", str(contract), "--format", "csv", "--table", "charges"],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 2
    # Instants in the contract's timezone (Europe/Paris): 08:00 UTC is 09:00+01:00.
    assert "2025-03-03T09:00:00+01:00" in lines[1] and ",7,charged" in lines[1]
