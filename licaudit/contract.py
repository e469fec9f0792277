"""Contracts: which model applies, with its capacity and prices (SPEC 2).

A contract comes from a TOML file holding ``[[contract]]`` tables, or from the
command line (``--model M --capacity N``). Every mistake is a ``ConfigError``
naming the key, the value and the file, with a hint.
"""

from __future__ import annotations

import difflib
import tomllib
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from licaudit.durations import parse_duration
from licaudit.errors import ConfigError
from licaudit.models import MODELS
from licaudit.models.base import Model, Option

DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_CURRENCY = "EUR"
CONTRACT_FILE_NAME = "licaudit.toml"

TOP_LEVEL_KEYS = (
    "timezone",
    "input_timezone",
    "case_sensitive_users",
    "roster",
    "currency",
    "contract",
)
COMMON_KEYS = ("name", "model", "capacity", "scope", "price", "excess_price", "timezone")


@dataclass(frozen=True)
class Contract:
    """One contract: a model applied to a scope, with capacity, prices and model options."""

    name: str
    model: str
    timezone: str
    capacity: int | None = None
    scope: str | None = None
    price: Decimal | None = None
    excess_price: Decimal | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    @property
    def priced(self) -> bool:
        return self.price is not None or self.excess_price is not None


@dataclass(frozen=True)
class Settings:
    """The top-level keys of a contract file, and its contracts."""

    contracts: tuple[Contract, ...]
    timezone: str = DEFAULT_TIMEZONE
    input_timezone: str = "UTC"
    case_sensitive_users: bool = False
    roster: Path | None = None
    currency: str = DEFAULT_CURRENCY
    source: Path | None = None


def _where(source: Path | None) -> str:
    return f"in {source}" if source else "on the command line"


def _unknown_key_error(key: str, known: tuple[str, ...], place: str) -> ConfigError:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f"did you mean `{close[0]}`?" if close else f"known keys are {', '.join(known)}."
    return ConfigError(f"Unknown key `{key}` {place}.", hint)


def check_timezone(name: object, key: str, source: Path | None) -> str:
    """Return ``name`` when it is an IANA timezone, else raise a ConfigError naming ``key``."""
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(
            f"`{key}` = {name!r} {_where(source)} is not a timezone name.",
            "write an IANA name such as Europe/Paris, America/New_York or UTC.",
        )
    try:
        zoneinfo.ZoneInfo(name.strip())
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        candidates = sorted(zoneinfo.available_timezones())
        close = difflib.get_close_matches(name.strip(), candidates, n=1)
        hint = (
            f"did you mean `{close[0]}`?" if close else "write an IANA name such as Europe/Paris."
        )
        raise ConfigError(f"Unknown timezone `{key}` = {name!r} {_where(source)}.", hint) from None
    return name.strip()


def _capacity(value: object, place: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            f"`capacity` = {value!r} {place} is not a non-negative whole number.",
            "write the number of contracted licences, e.g. capacity = 40.",
        )
    return value


def _money(key: str, value: object, place: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ConfigError(
            f"`{key}` = {value!r} {place} is not an amount.", f"write e.g. {key} = 12.5"
        )
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(
            f"`{key}` = {value!r} {place} is not an amount.", f"write e.g. {key} = 12.5"
        ) from None
    if not amount.is_finite() or amount < 0:
        raise ConfigError(f"`{key}` = {value!r} {place} must be zero or more.")
    return amount


def _option(option: Option, value: object, place: str, base_dir: Path | None) -> Any:
    bad = ConfigError(f"`{option.name}` = {value!r} {place} is not valid.")
    if option.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"`{option.name}` = {value!r} {place} is not a whole number of 1 or more.",
                f"the default is {option.default}.",
            )
        return value
    if option.kind == "choice":
        if not isinstance(value, str) or value.strip().lower() not in option.choices:
            raise ConfigError(
                f"`{option.name}` = {value!r} {place} is not one of {', '.join(option.choices)}.",
                f"the default is {option.default!r}.",
            )
        return value.strip().lower()
    if option.kind == "str_list":
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(
                f"`{option.name}` = {value!r} {place} is not a list of names.",
                f'write e.g. {option.name} = ["sync", "netsync"].',
            )
        return tuple(v.strip().lower() for v in value)
    if option.kind == "duration":
        try:
            duration = parse_duration(value)  # type: ignore[arg-type]
        except (ValueError, TypeError):
            raise ConfigError(
                f"`{option.name}` = {value!r} {place} is not a duration.",
                "write e.g. 10m, 30d, 1h30m (d = 24 h; a bare number is seconds).",
            ) from None
        if duration.total_seconds() <= 0:
            raise ConfigError(f"`{option.name}` = {value!r} {place} must be longer than zero.")
        return duration
    if option.kind == "path":
        if not isinstance(value, str) or not value.strip():
            raise bad
        path = Path(value.strip())
        if not path.is_absolute() and base_dir is not None:
            path = base_dir / path
        if not path.is_file():
            raise ConfigError(
                f"`{option.name}` = {value!r} {place}: file {path} does not exist.",
                "paths are relative to the contract file.",
            )
        return path
    raise bad  # pragma: no cover - every kind is handled above


def _default_options(model: Model) -> dict[str, Any]:
    return {option.name: option.default for option in model.options}


def _model(value: object, place: str) -> Model:
    if not isinstance(value, str) or value.strip().lower() not in MODELS:
        known = ", ".join(MODELS)
        close = difflib.get_close_matches(str(value), list(MODELS), n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise ConfigError(
            f"Unknown model `model` = {value!r} {place}.", f"{hint}known models: {known}."
        )
    return MODELS[value.strip().lower()]


def _contract(
    table: Mapping[str, Any], index: int, default_tz: str, source: Path | None
) -> Contract:
    label = f"[[contract]] #{index}"
    if isinstance(table.get("name"), str):
        label = f"[[contract]] {table['name']!r}"
    place = f"in {label} {_where(source)}" if source else "on the command line"
    if "model" not in table:
        raise ConfigError(
            f"{label} {_where(source)} has no `model`.",
            f'add e.g. model = "daily-active"; known models: {", ".join(MODELS)}.',
        )
    model = _model(table["model"], place)
    option_names = tuple(option.name for option in model.options)
    for key in table:
        if key not in COMMON_KEYS and key not in option_names:
            raise _unknown_key_error(key, COMMON_KEYS + option_names, place)
    name = table.get("name", model.name)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"`name` = {name!r} {place} is not a name.")
    scope = table.get("scope")
    if scope is not None and (not isinstance(scope, str) or not scope.strip()):
        raise ConfigError(f"`scope` = {scope!r} {place} is not a product name.")
    options = _default_options(model)
    base_dir = source.parent if source else None
    for option in model.options:
        if option.name in table:
            options[option.name] = _option(option, table[option.name], place, base_dir)
        elif option.required:
            raise ConfigError(f"{label} {_where(source)} needs `{option.name}`.")
    return Contract(
        name=name.strip(),
        model=model.name,
        timezone=check_timezone(table.get("timezone", default_tz), "timezone", source),
        capacity=_capacity(table["capacity"], place) if "capacity" in table else None,
        scope=scope.strip().lower() if isinstance(scope, str) else None,
        price=_money("price", table["price"], place) if "price" in table else None,
        excess_price=(
            _money("excess_price", table["excess_price"], place)
            if "excess_price" in table
            else None
        ),
        options=options,
    )


def parse_contract_text(text: str, source: Path | None = None) -> Settings:
    """Validate a contract file's text; ``source`` names it in errors and anchors relative paths."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError(
            f"{source or 'The contract file'} is not valid TOML: {error}.",
            "check quotes around text values and [[contract]] headers.",
        ) from None
    for key in document:
        if key not in TOP_LEVEL_KEYS:
            raise _unknown_key_error(key, TOP_LEVEL_KEYS, f"at the top of {source}")
    default_tz = check_timezone(document.get("timezone", DEFAULT_TIMEZONE), "timezone", source)
    tables = document.get("contract", [])
    if not isinstance(tables, list) or not tables or not all(isinstance(t, dict) for t in tables):
        raise ConfigError(
            f"{source} has no contract.",
            'add a [[contract]] table with at least `model` (e.g. model = "daily-active").',
        )
    contracts = tuple(
        _contract(table, index, default_tz, source) for index, table in enumerate(tables, 1)
    )
    seen: set[str] = set()
    for contract in contracts:
        if contract.name in seen:
            raise ConfigError(
                f"Two contracts are named `name` = {contract.name!r} in {source}.",
                "give each [[contract]] its own name.",
            )
        seen.add(contract.name)
    return Settings(
        contracts=contracts,
        timezone=default_tz,
        source=source,
        **_top_level(document, source),
    )


def _top_level(document: Mapping[str, Any], source: Path | None) -> dict[str, Any]:
    settings: dict[str, Any] = {}
    if "input_timezone" in document:
        settings["input_timezone"] = check_timezone(
            document["input_timezone"], "input_timezone", source
        )
    if "case_sensitive_users" in document:
        value = document["case_sensitive_users"]
        if not isinstance(value, bool):
            raise ConfigError(
                f"`case_sensitive_users` = {value!r} in {source} is not true or false."
            )
        settings["case_sensitive_users"] = value
    if "currency" in document:
        currency = document["currency"]
        if not isinstance(currency, str) or not currency.strip():
            raise ConfigError(f"`currency` = {currency!r} in {source} is not a currency code.")
        settings["currency"] = currency.strip()
    if "roster" in document:
        roster = document["roster"]
        if not isinstance(roster, str) or not roster.strip():
            raise ConfigError(f"`roster` = {roster!r} in {source} is not a file name.")
        path = Path(roster.strip())
        if not path.is_absolute() and source is not None:
            path = source.parent / path
        settings["roster"] = path
    return settings


def load_contract_file(path: Path) -> Settings:
    """Read and validate a contract file; a missing or unreadable one is a ConfigError."""
    if not path.is_file():
        raise ConfigError(
            f"Contract file {path} " + ("is a folder." if path.is_dir() else "does not exist."),
            "give an existing file with --contract, or use --model and --capacity.",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(f"Contract file {path} cannot be read: {error}.") from None
    return parse_contract_text(text, path)


def command_line_contract(
    model: str, capacity: int | None, timezone: str | None, base: Settings | None
) -> Contract:
    """The contract ``--model M --capacity N [--timezone TZ]`` describes, named after the model."""
    table: dict[str, Any] = {"model": model}
    if capacity is not None:
        table["capacity"] = capacity
    default_tz = base.timezone if base is not None else DEFAULT_TIMEZONE
    if timezone is not None:
        table["timezone"] = timezone
    return _contract(table, 1, default_tz, None)
