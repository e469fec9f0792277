"""Contract files and command-line contracts (SPEC 2): validation names the key and the file."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from licaudit.contract import (
    Offer,
    command_line_contract,
    load_contract_file,
    parse_contract_text,
)
from licaudit.durations import parse_duration
from licaudit.errors import ConfigError
from licaudit.models.daily_active import DailyActiveOptions

MINIMAL = '[[contract]]\nmodel = "daily-active"\n'


def config_error(text: str, source: Path | None = Path("licaudit.toml")) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_contract_text(text, source)
    assert caught.value.exit_code == 2
    return caught.value


def test_contract_name_defaults_to_model_name() -> None:
    settings = parse_contract_text(MINIMAL)
    assert settings.contracts[0].name == "daily-active"


def test_contract_timezone_defaults_to_europe_paris() -> None:
    assert parse_contract_text(MINIMAL).contracts[0].timezone == "Europe/Paris"


def test_file_timezone_is_the_default_of_every_contract_and_a_contract_may_override_it() -> None:
    settings = parse_contract_text(
        'timezone = "America/New_York"\n'
        '[[contract]]\nname = "a"\nmodel = "daily-active"\n'
        '[[contract]]\nname = "b"\nmodel = "daily-active"\ntimezone = "Asia/Tokyo"\n'
    )
    assert [c.timezone for c in settings.contracts] == ["America/New_York", "Asia/Tokyo"]


def test_daily_active_options_have_spec_defaults() -> None:
    options = parse_contract_text(MINIMAL).contracts[0].options
    assert options == DailyActiveOptions(
        overflow="per-method", max_methods=5, max_sync_methods=2, sync_methods=("sync", "netsync")
    )


def test_sync_methods_and_scope_are_trimmed_and_lowercased() -> None:
    contract = parse_contract_text(
        MINIMAL + 'scope = " LMS "\nsync_methods = ["NetSync ", "Drive"]\n'
    ).contracts[0]
    assert contract.scope == ("lms",)
    assert contract.options.sync_methods == ("netsync", "drive")


def test_prices_are_exact_decimals() -> None:
    contract = parse_contract_text(MINIMAL + "price = 0.1\nexcess_price = 12.5\n").contracts[0]
    assert contract.price == Decimal("0.1")
    assert contract.excess_price == Decimal("12.5")


def test_top_level_keys_are_read() -> None:
    settings = parse_contract_text(
        'input_timezone = "Europe/Paris"\ncase_sensitive_users = true\ncurrency = "USD"\n'
        'roster = "roster.csv"\n' + MINIMAL,
        Path("/etc/licaudit/licaudit.toml"),
    )
    assert settings.input_timezone == "Europe/Paris"
    assert settings.case_sensitive_users is True
    assert settings.currency == "USD"
    assert settings.roster == Path("/etc/licaudit/roster.csv")


def test_currency_defaults_to_eur() -> None:
    assert parse_contract_text(MINIMAL).currency == "EUR"


def test_unknown_contract_key_is_an_error_with_a_did_you_mean_hint() -> None:
    error = config_error(MINIMAL + "capacty = 40\n")
    assert "capacty" in error.message and "licaudit.toml" in error.message
    assert error.hint == "did you mean `capacity`?"


def test_unknown_top_level_key_is_an_error_naming_it() -> None:
    error = config_error('timezon = "UTC"\n' + MINIMAL)
    assert "timezon" in error.message
    assert error.hint is not None and "timezone" in error.hint


def test_unknown_model_lists_the_known_models() -> None:
    error = config_error('[[contract]]\nmodel = "dayly-active"\n')
    assert "dayly-active" in error.message
    assert error.hint is not None and "daily-active" in error.hint


@pytest.mark.parametrize("capacity", ["-1", "4.5", '"40"', "true"])
def test_capacity_must_be_a_non_negative_integer(capacity: str) -> None:
    error = config_error(MINIMAL + f"capacity = {capacity}\n")
    assert "capacity" in error.message


@pytest.mark.parametrize("capacity", ["9223372036854775808", "99999999999999999999"])
def test_a_capacity_past_64_bit_units_is_a_configuration_error(capacity: str) -> None:
    # It crashed in polars ("conversion from u64 to i64 failed") with exit 3.
    error = config_error(MINIMAL + f"capacity = {capacity}\n")
    assert "capacity" in error.message and "too large" in error.message
    largest = parse_contract_text(MINIMAL + "capacity = 9223372036854775807\n")
    assert largest.contracts[0].capacity == 2**63 - 1


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("price = 1e40", "too large"),
        ('excess_price = "1e17"', "too large"),
        ("price = inf", "finite"),
    ],
)
def test_a_price_too_large_or_not_finite_is_a_configuration_error(line: str, said: str) -> None:
    # 1e40 crashed in decimal arithmetic (InvalidOperation) with exit 3.
    error = config_error(MINIMAL + line + "\n")
    assert said in error.message


def test_capacity_zero_is_allowed() -> None:
    assert parse_contract_text(MINIMAL + "capacity = 0\n").contracts[0].capacity == 0


def test_two_contracts_with_one_name_are_an_error() -> None:
    error = config_error(MINIMAL + 'name = "x"\n' + MINIMAL + 'name = "x"\n')
    assert "'x'" in error.message


def test_a_file_with_no_contract_is_an_error() -> None:
    error = config_error('timezone = "UTC"\n')
    assert "no contract" in error.message


def test_a_contract_without_model_is_an_error() -> None:
    error = config_error('[[contract]]\nname = "x"\n')
    assert "model" in error.message


def test_unknown_timezone_is_an_error_with_a_hint() -> None:
    error = config_error('timezone = "Europe/Pari"\n' + MINIMAL)
    assert "Europe/Pari" in error.message
    assert error.hint == "did you mean `Europe/Paris`?"


def test_invalid_toml_is_a_configuration_error() -> None:
    error = config_error("[[contract]\nmodel = daily\n")
    assert "not valid TOML" in error.message


def test_bad_option_value_is_an_error_naming_the_key() -> None:
    error = config_error(MINIMAL + 'overflow = "pile"\n')
    assert "overflow" in error.message
    error = config_error(MINIMAL + "max_methods = 0\n")
    assert "max_methods" in error.message


def test_negative_price_is_an_error() -> None:
    error = config_error(MINIMAL + "price = -5\n")
    assert "price" in error.message


def test_offers_give_a_price_per_licence_and_an_excess_price_per_model() -> None:
    settings = parse_contract_text(
        MINIMAL + "[offers.concurrent]\nprice = 900.0\nexcess_price = 60.5\n"
        "[offers.rau]\nexcess_price = 12\n"
    )
    assert settings.offers == {
        "concurrent": Offer(Decimal("900.0"), Decimal("60.5")),
        "rau": Offer(Decimal(0), Decimal("12")),
    }
    assert settings.contracts[0].model == "daily-active"
    assert parse_contract_text(MINIMAL).offers == {}


def test_an_offer_for_an_unknown_model_is_an_error_with_a_did_you_mean_hint() -> None:
    error = config_error(MINIMAL + "[offers.concurent]\nprice = 9\n")
    assert "offers.concurent" in error.message and "licaudit.toml" in error.message
    assert error.hint is not None and error.hint.startswith("did you mean `concurrent`?")


def test_an_offer_key_other_than_price_or_excess_price_is_an_error() -> None:
    error = config_error(MINIMAL + "[offers.concurrent]\nprise = 9\n")
    assert "prise" in error.message and "[offers.concurrent]" in error.message
    assert error.hint == "did you mean `price`?"


def test_an_offer_price_must_be_an_amount_of_zero_or_more() -> None:
    assert "price" in config_error(MINIMAL + "[offers.rau]\nprice = -1\n").message
    assert "excess_price" in config_error(MINIMAL + '[offers.rau]\nexcess_price = "x"\n').message
    assert "not a table" in config_error("offers = 3\n" + MINIMAL).message
    assert "not a table" in config_error("offers = { rau = 3 }\n" + MINIMAL).message


def test_missing_contract_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_contract_file(tmp_path / "nope.toml")
    assert "does not exist" in caught.value.message


def test_command_line_contract_is_named_after_its_model() -> None:
    contract = command_line_contract("daily-active", 40, None, None)
    assert (contract.name, contract.capacity, contract.timezone) == (
        "daily-active",
        40,
        "Europe/Paris",
    )


def test_durations_read_minutes_days_and_compound_forms() -> None:
    assert parse_duration("10m") == timedelta(minutes=10)
    assert parse_duration("30d") == timedelta(hours=30 * 24)
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("90") == timedelta(seconds=90)
    with pytest.raises(ValueError):
        parse_duration("ten minutes")


def test_toml_prices_are_read_as_exact_decimals_not_floats() -> None:
    contract = parse_contract_text(
        MINIMAL + "price = 1234567890123456.785\nexcess_price = 0.1\n"
    ).contracts[0]
    assert contract.price == Decimal("1234567890123456.785")
    assert contract.excess_price == Decimal("0.1")


def test_a_duration_written_as_a_toml_float_is_seconds() -> None:
    text = '[[contract]]\nmodel = "concurrent"\nwindow = 600.5\n'
    assert parse_contract_text(text).contracts[0].options.window.total_seconds() == 600.5
