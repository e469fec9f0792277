"""The rates and packs files a flex contract names (SPEC 2, 3.7), read when the contract loads.

``rates = "flex_rates.csv"`` holds ``product,tokens_per_day``; ``packs =
"flex_packs.csv"`` holds ``pack_id,purchased_at,tokens[,price][,expires_at]``. Both are
small files read row by row, so that every mistake is a ``ConfigError`` naming the
contract key, the file, the line and the column. They are kept as frozen tuples of rows
(contracts are frozen and compared), and become frames on demand.

A pack time without offset (``2025-04-07 14:30`` or ``2025-04-07``) is a local time of the
contract file's ``input_timezone`` (its ``timezone`` by default), like the logs' (SPEC 1.2).
A pack expires by default at the same instant one calendar year after its purchase,
computed in UTC, 29 February giving 28 February.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

from licaudit.errors import ConfigError

INSTANT = pl.Datetime("us", "UTC")
RATE_COLUMNS = ("product", "tokens_per_day")
PACK_COLUMNS = ("pack_id", "purchased_at", "tokens", "price", "expires_at")
PACK_REQUIRED = ("pack_id", "purchased_at", "tokens")
PRICE_DTYPE = pl.Decimal(precision=38, scale=2)
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Rates:
    """Tokens per 24-hour window of each product (names trimmed and lowercased)."""

    source: Path
    rows: tuple[tuple[str, int], ...]

    @property
    def frame(self) -> pl.DataFrame:
        """``product`` (String), ``tokens_per_day`` (Int64)."""
        return pl.DataFrame(
            {"product": [r[0] for r in self.rows], "tokens_per_day": [r[1] for r in self.rows]},
            schema={"product": pl.String(), "tokens_per_day": pl.Int64()},
        )


@dataclass(frozen=True)
class Pack:
    """One token pack: usable on ``[purchased_at, expires_at)`` (UTC instants)."""

    pack_id: str
    purchased_at: datetime
    tokens: int
    expires_at: datetime
    price: Decimal | None = None


@dataclass(frozen=True)
class Packs:
    """The token packs of a flex contract, in file order."""

    source: Path
    rows: tuple[Pack, ...]

    @property
    def frame(self) -> pl.DataFrame:
        """``pack_id``, ``purchased_at``, ``expires_at`` (UTC), ``tokens``, ``price``."""
        return pl.DataFrame(
            {
                "pack_id": [p.pack_id for p in self.rows],
                "purchased_at": [p.purchased_at for p in self.rows],
                "expires_at": [p.expires_at for p in self.rows],
                "tokens": [p.tokens for p in self.rows],
                "price": [p.price for p in self.rows],
            },
            schema={
                "pack_id": pl.String(),
                "purchased_at": INSTANT,
                "expires_at": INSTANT,
                "tokens": pl.Int64(),
                "price": PRICE_DTYPE,
            },
        )


def default_expiry(purchased_at: datetime) -> datetime:
    """The same instant one calendar year later, in UTC; 29 February gives 28 February."""
    utc = purchased_at.astimezone(UTC)
    day = 28 if (utc.month, utc.day) == (2, 29) else utc.day
    return utc.replace(year=utc.year + 1, day=day)


class _Table:
    """A small CSV file read as (line number, {column: text}) with located errors."""

    def __init__(
        self, path: Path, key: str, place: str, known: tuple[str, ...], timezone: str = "UTC"
    ) -> None:
        self.path, self.key, self.place, self.known = path, key, place, known
        self.timezone = timezone
        try:
            text = path.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as error:
            raise ConfigError(f"`{key}` file {path} {place} cannot be read: {error}.") from None
        lines = text.splitlines()
        if not lines or not lines[0].strip():
            raise self.error(1, None, "the file is empty; its first line must be a header")
        try:
            delimiter = csv.Sniffer().sniff(lines[0], delimiters=",;\t|").delimiter
        except csv.Error:
            delimiter = ","
        self.records = list(csv.reader(lines, delimiter=delimiter))
        self.header = [name.strip().lower() for name in self.records[0]]
        for index, name in enumerate(self.header):
            if name not in known:
                raise self.error(
                    1,
                    self.records[0][index],
                    "is not a known column",
                    f"columns: {', '.join(known)}",
                )
            if name in self.header[:index]:
                raise self.error(1, name, "appears twice in the header")

    def error(
        self, line: int, column: str | None, problem: str, hint: str | None = None
    ) -> ConfigError:
        where = f"line {line}" + (f", column `{column}`" if column is not None else "")
        return ConfigError(
            f"`{self.key}` file {self.path} {self.place}, {where}: {problem}.",
            hint or f"the header must be {','.join(self.known)}.",
        )

    def require(self, columns: tuple[str, ...]) -> None:
        for column in columns:
            if column not in self.header:
                raise self.error(1, column, "the column is missing from the header")

    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        for line, record in enumerate(self.records[1:], start=2):
            if not any(cell.strip() for cell in record):
                continue
            if len(record) != len(self.header):
                raise self.error(
                    line, None, f"{len(record)} fields where the header has {len(self.header)}"
                )
            yield line, {name: cell.strip() for name, cell in zip(self.header, record, strict=True)}


def _whole_number(table: _Table, line: int, column: str, text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise table.error(line, column, f"{text!r} is not a whole number", None) from None
    if number < 1:
        raise table.error(line, column, f"{text!r} must be 1 or more", None)
    return number


def _instant(table: _Table, line: int, column: str, text: str) -> datetime:
    """An ISO 8601 instant; without offset, a local time of the contract file's input timezone."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise table.error(
            line,
            column,
            f"{text!r} is not a date or time",
            "write ISO 8601, e.g. 2025-04-07T14:30:00+02:00 (a time without offset is "
            f"read in {table.timezone}).",
        ) from None
    if value.tzinfo is None:
        # fold=0: a time of the repeated DST hour is its first occurrence (SPEC 1.2).
        value = value.replace(tzinfo=ZoneInfo(table.timezone))
    return value.astimezone(UTC)


def read_rates(path: Path, key: str, place: str, timezone: str = "UTC") -> Rates:
    """Read ``product,tokens_per_day``: each product once, a whole number of tokens ≥ 1."""
    table = _Table(path, key, place, RATE_COLUMNS, timezone)
    table.require(RATE_COLUMNS)
    rows: dict[str, tuple[int, int]] = {}
    for line, row in table.rows():
        product = row["product"].lower()
        if not product:
            raise table.error(line, "product", "the product is empty", None)
        if product in rows:
            first = rows[product][0]
            raise table.error(
                line, "product", f"{product!r} already has a rate on line {first}", None
            )
        rows[product] = (line, _whole_number(table, line, "tokens_per_day", row["tokens_per_day"]))
    if not rows:
        raise table.error(2, None, "the file has no rate", "add a line such as autocad,7.")
    return Rates(source=path, rows=tuple((product, rate) for product, (_, rate) in rows.items()))


def read_packs(path: Path, key: str, place: str, timezone: str = "UTC") -> Packs:
    """Read ``pack_id,purchased_at,tokens[,price][,expires_at]``: each pack once."""
    table = _Table(path, key, place, PACK_COLUMNS, timezone)
    table.require(PACK_REQUIRED)
    packs: list[Pack] = []
    lines: dict[str, int] = {}
    for line, row in table.rows():
        pack_id = row["pack_id"]
        if not pack_id:
            raise table.error(line, "pack_id", "the pack id is empty", None)
        if pack_id in lines:
            raise table.error(
                line, "pack_id", f"{pack_id!r} already appears on line {lines[pack_id]}", None
            )
        lines[pack_id] = line
        purchased_at = _instant(table, line, "purchased_at", row["purchased_at"])
        tokens = _whole_number(table, line, "tokens", row["tokens"])
        expires_text = row.get("expires_at", "")
        if expires_text:
            expires_at = _instant(table, line, "expires_at", expires_text)
            if expires_at <= purchased_at:
                raise table.error(
                    line, "expires_at", f"{expires_text!r} is not after purchased_at", None
                )
        else:
            expires_at = default_expiry(purchased_at)
        price = None
        price_text = row.get("price", "")
        if price_text:
            try:
                price = Decimal(price_text)
            except InvalidOperation:
                price = None
            if price is None or not price.is_finite() or price < 0:
                raise table.error(line, "price", f"{price_text!r} is not an amount", None)
            price = price.quantize(CENT, rounding=ROUND_HALF_UP)
        packs.append(Pack(pack_id, purchased_at, tokens, expires_at, price))
    return Packs(source=path, rows=tuple(packs))
