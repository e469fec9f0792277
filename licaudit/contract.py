"""Contracts: which model applies, with its capacity and prices (SPEC 2).

A contract comes from a TOML file holding ``[[contract]]`` tables, or from the
command line (``--model M --capacity N``). Every mistake is a ``ConfigError``
naming the key, the value and the file, with a hint.
"""

from __future__ import annotations

import difflib
import tomllib
import typing
import zoneinfo
from collections.abc import Mapping
from dataclasses import Field, dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from licaudit.durations import parse_duration
from licaudit.errors import ConfigError
from licaudit.ingest.roster import RosterMode
from licaudit.models import MODELS
from licaudit.models.base import Contract, Model

__all__ = ["Contract", "Offer", "Settings", "load_contract_file", "parse_contract_text"]

DEFAULT_TIMEZONE = "Europe/Paris"
DEFAULT_CURRENCY = "EUR"
CONTRACT_FILE_NAME = "licaudit.toml"

TOP_LEVEL_KEYS = (
    "timezone",
    "input_timezone",
    "case_sensitive_users",
    "roster",
    "roster_mode",
    "groups",
    "currency",
    "offers",
    "contract",
)
OFFER_KEYS = ("price", "excess_price")
COMMON_KEYS = ("name", "model", "capacity", "scope", "price", "excess_price", "timezone")


@dataclass(frozen=True)
class Offer:
    """A model's price from the top-level ``[offers]`` table (issue 13): per licence a month.

    ``price`` is per licence (unit) per month, ``excess_price`` per unit above the
    licences bought; a missing one is 0. ``licaudit whatif`` prices a model with it,
    whether or not a contract of that model exists.
    """

    price: Decimal = Decimal(0)
    excess_price: Decimal = Decimal(0)


@dataclass(frozen=True)
class Settings:
    """The top-level keys of a contract file, and its contracts."""

    contracts: tuple[Contract, ...]
    timezone: str = DEFAULT_TIMEZONE
    # Only when written: naive times default to `timezone` (SPEC 1.2), and an explicit
    # input_timezone also applies to W3C/IIS date + time pairs.
    input_timezone: str | None = None
    case_sensitive_users: bool = False
    roster: Path | None = None
    roster_mode: RosterMode = "events"
    # The chargeback's groups file (user,group), like --groups on `report` (issue 13).
    groups: Path | None = None
    currency: str = DEFAULT_CURRENCY
    source: Path | None = None
    # [offers]: model name -> its price per licence a month, compared by `licaudit whatif`.
    offers: Mapping[str, Offer] = field(default_factory=dict)

    @property
    def named_files(self) -> frozenset[Path]:
        """The files this contract file names (roster, groups, rates, packs): never events."""
        files = {file for contract in self.contracts for file in contract.files}
        files.update(path for path in (self.roster, self.groups) if path is not None)
        return frozenset(files)


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


MAX_CAPACITY = 2**63 - 1
"""Units are 64-bit integers: a capacity beyond them could not be compared with them."""
MAX_AMOUNT = Decimal(10) ** 16
"""The largest price or excess price: a cost (price + 64-bit excess × excess price) then
fits the 38 digits of the cost columns (a price of 1e40 failed in decimal arithmetic)."""


def _capacity(value: object, place: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ConfigError(
            f"`capacity` = {value!r} {place} is not a non-negative whole number.",
            "write the number of contracted licences, e.g. capacity = 40.",
        )
    if value > MAX_CAPACITY:
        raise ConfigError(
            f"`capacity` = {value!r} {place} is too large (at most {MAX_CAPACITY:,}).",
            "write the number of contracted licences, e.g. capacity = 40.",
        )
    return value


def _money(key: str, value: object, place: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ConfigError(
            f"`{key}` = {value!r} {place} is not an amount.", f"write e.g. {key} = 12.5"
        )
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ConfigError(
            f"`{key}` = {value!r} {place} is not an amount.", f"write e.g. {key} = 12.5"
        ) from None
    if not amount.is_finite():
        raise ConfigError(
            f"`{key}` = {value!r} {place} is not a finite amount.", f"write e.g. {key} = 12.5"
        )
    if amount < 0:
        raise ConfigError(f"`{key}` = {value!r} {place} must be zero or more.")
    if amount > MAX_AMOUNT:
        raise ConfigError(
            f"`{key}` = {value!r} {place} is too large (at most {MAX_AMOUNT:,}).",
            "prices are per licence and per month, in the contract's currency.",
        )
    return amount


def _relative(value: str, base_dir: Path | None) -> Path:
    """A path written in a contract file: relative to the file's folder."""
    path = Path(value.strip())
    return base_dir / path if not path.is_absolute() and base_dir is not None else path


def _option(
    option: Field[Any], hint: Any, value: object, place: str, base_dir: Path | None, naive_tz: str
) -> Any:
    """Validate one model option against its declared type (SPEC 2: name the key and value)."""
    name, default = option.name, option.default
    if "reader" in option.metadata:
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"`{name}` = {value!r} {place} is not a file name.")
        path = _relative(value, base_dir)
        if not path.is_file():
            raise ConfigError(
                f"`{name}` = {value!r} {place}: file {path} does not exist.",
                "paths are relative to the contract file.",
            )
        return option.metadata["reader"](path, name, place, naive_tz)
    if typing.get_origin(hint) is typing.Literal:
        choices = typing.get_args(hint)
        if not isinstance(value, str) or value.strip().lower() not in choices:
            raise ConfigError(
                f"`{name}` = {value!r} {place} is not one of {', '.join(choices)}.",
                f"the default is {default!r}.",
            )
        return value.strip().lower()
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ConfigError(
                f"`{name}` = {value!r} {place} is not a whole number of 1 or more.",
                f"the default is {default}.",
            )
        return value
    if hint is Decimal or hint == (Decimal | None):
        return _money(name, value, place)
    if hint is timedelta:
        try:
            duration = parse_duration(value)  # type: ignore[arg-type]
        except (ValueError, TypeError):
            raise ConfigError(
                f"`{name}` = {value!r} {place} is not a duration.",
                "write e.g. 10m, 30d, 1h30m (d = 24 h; a bare number is seconds).",
            ) from None
        if duration.total_seconds() <= 0:
            raise ConfigError(f"`{name}` = {value!r} {place} must be longer than zero.")
        return duration
    if typing.get_origin(hint) is tuple:
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ConfigError(
                f"`{name}` = {value!r} {place} is not a list of names.",
                f'write e.g. {name} = ["sync", "netsync"].',
            )
        return tuple(v.strip().lower() for v in value)
    raise ConfigError(f"`{name}` = {value!r} {place} is not valid.")  # pragma: no cover


def _options(
    model: Model[Any], table: Mapping[str, Any], place: str, base_dir: Path | None, naive_tz: str
) -> Any:
    """The model's options dataclass, from the table's keys and the declared defaults."""
    hints = typing.get_type_hints(model.options)
    values = {
        option.name: _option(
            option, hints[option.name], table[option.name], place, base_dir, naive_tz
        )
        for option in model.option_fields()
        if option.name in table
    }
    try:
        return model.options(**values)
    except ConfigError as error:  # an option's own check (__post_init__): say where
        raise ConfigError(f"{error.message.rstrip('.')} {place}.", error.hint) from None


def _scope(value: object, place: str) -> tuple[str, ...]:
    """One product name or a list of them, trimmed, lowercased, sorted, each once."""
    names = [value] if isinstance(value, str) else value
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(name, str) and name.strip() for name in names)
    ):
        raise ConfigError(
            f"`scope` = {value!r} {place} is not a product name or a list of them.",
            'write e.g. scope = "lms" or scope = ["autocad", "revit"].',
        )
    return tuple(sorted({name.strip().lower() for name in names}))


def _model(value: object, place: str) -> Model[Any]:
    if not isinstance(value, str) or value.strip().lower() not in MODELS:
        known = ", ".join(MODELS)
        close = difflib.get_close_matches(str(value), list(MODELS), n=1)
        hint = f"did you mean `{close[0]}`? " if close else ""
        raise ConfigError(
            f"Unknown model `model` = {value!r} {place}.", f"{hint}known models: {known}."
        )
    return MODELS[value.strip().lower()]


def _contract(
    table: Mapping[str, Any],
    index: int,
    default_tz: str,
    source: Path | None,
    naive_tz: str | None = None,
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
    option_names = tuple(option.name for option in model.option_fields())
    for key in table:
        if key not in COMMON_KEYS and key not in option_names:
            raise _unknown_key_error(key, COMMON_KEYS + option_names, place)
    name = table.get("name", model.name)
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"`name` = {name!r} {place} is not a name.")
    base_dir = source.parent if source else None
    options = _options(model, table, place, base_dir, naive_tz or default_tz)
    files = tuple(
        _relative(table[option.name], base_dir)
        for option in model.option_fields()
        if "reader" in option.metadata and isinstance(table.get(option.name), str)
    )
    return Contract(
        name=name.strip(),
        model=model.name,
        timezone=check_timezone(table.get("timezone", default_tz), "timezone", source),
        capacity=_capacity(table["capacity"], place) if "capacity" in table else None,
        scope=_scope(table["scope"], place) if "scope" in table else None,
        price=_money("price", table["price"], place) if "price" in table else None,
        excess_price=(
            _money("excess_price", table["excess_price"], place)
            if "excess_price" in table
            else None
        ),
        options=options,
        files=files,
    )


def parse_contract_text(text: str, source: Path | None = None) -> Settings:
    """Validate a contract file's text; ``source`` names it in errors and anchors relative paths."""
    try:
        # TOML floats as exact decimals: `price = 1234567890123456.785` keeps its cents.
        document = tomllib.loads(text, parse_float=Decimal)
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
    # Times without offset in the files a contract names are read like the logs' (SPEC 1.2).
    naive_tz = (
        check_timezone(document["input_timezone"], "input_timezone", source)
        if "input_timezone" in document
        else default_tz
    )
    contracts = tuple(
        _contract(table, index, default_tz, source, naive_tz)
        for index, table in enumerate(tables, 1)
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
    if "roster_mode" in document:
        mode = document["roster_mode"]
        if not isinstance(mode, str) or mode.strip().lower() not in ("events", "snapshot"):
            raise ConfigError(
                f"`roster_mode` = {mode!r} in {source} is not events or snapshot.",
                'write roster_mode = "snapshot" when each roster export lists every account at '
                'one moment, "events" (the default) when it lists changes of status.',
            )
        settings["roster_mode"] = mode.strip().lower()
    for key in ("roster", "groups"):
        if key in document:
            name = document[key]
            if not isinstance(name, str) or not name.strip():
                raise ConfigError(f"`{key}` = {name!r} in {source} is not a file name.")
            path = Path(name.strip())
            if not path.is_absolute() and source is not None:
                path = source.parent / path
            settings[key] = path
    if "offers" in document:
        settings["offers"] = _offers(document["offers"], source)
    return settings


def _offers(value: object, source: Path | None) -> dict[str, Offer]:
    """``[offers.MODEL]`` tables of ``price`` and ``excess_price``, by model name."""
    if not isinstance(value, dict):
        raise ConfigError(
            f"`offers` = {value!r} in {source} is not a table of models.",
            "write e.g. [offers.concurrent] then price = 900.0 and excess_price = 60.0.",
        )
    offers = {}
    for name, table in value.items():
        place = f"in [offers.{name}] in {source}"
        if name.strip().lower() not in MODELS:
            close = difflib.get_close_matches(name, list(MODELS), n=1)
            hint = f"did you mean `{close[0]}`? " if close else ""
            raise ConfigError(
                f"Unknown model `offers.{name}` in {source}.",
                f"{hint}known models: {', '.join(MODELS)}.",
            )
        if not isinstance(table, dict):
            raise ConfigError(
                f"`offers.{name}` = {table!r} in {source} is not a table.",
                f"write [offers.{name}] then price = 900.0 (per licence a month) and "
                "excess_price = 60.0.",
            )
        for key in table:
            if key not in OFFER_KEYS:
                raise _unknown_key_error(key, OFFER_KEYS, place)
        offers[name.strip().lower()] = Offer(
            **{key: _money(key, amount, place) for key, amount in table.items()}
        )
    return offers


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
