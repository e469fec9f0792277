"""Timestamps as written in access logs, read into UTC instants (SPEC 1.2 and 1.4).

Each value is read on its own, after trimming surrounding whitespace, in one of
three forms: ISO 8601 (``YYYY-MM-DD`` with an optional ``T``/space time
``HH:MM[:SS[.f]]`` and, after a time, an optional offset ``Z``, ``±HH:MM``,
``±HHMM`` or ``±HH``); slash dates ``D/M/YYYY [H:MM[:SS[.f]]]`` in the file's
date order; epoch numbers, whose magnitude picks the unit (|x| < 10^11 seconds,
< 10^14 milliseconds, < 10^17 microseconds, else nanoseconds). Fractions of a
microsecond round to the nearest microsecond, ties away from zero, computed
exactly from the decimal digits. A time without offset is wall-clock time in
``input_tz``: in a DST fall-back's repeated hour it is the first occurrence, in a
spring-forward gap it takes the offset in force just before the transition
(Python's ``fold=0``). Impossible dates and times (``2025-02-30``, ``24:00``) are
``unparseable``; instants outside [1990-01-01, 2100-01-01) UTC are ``out_of_range``.

Everything is a Polars expression: no value is ever handled in Python.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Final, Literal

import polars as pl

DateOrder = Literal["dmy", "mdy"]

RANGE_START: Final = datetime(1990, 1, 1, tzinfo=UTC)
RANGE_END: Final = datetime(2100, 1, 1, tzinfo=UTC)

MISSING: Final = "missing"
UNPARSEABLE: Final = "unparseable"
OUT_OF_RANGE: Final = "out_of_range"

_US_PER_SECOND: Final = 1_000_000
_US_PER_DAY: Final = 86_400 * _US_PER_SECOND
_RANGE_START_US: Final = 631_152_000 * _US_PER_SECOND
_RANGE_END_US: Final = 4_102_444_800 * _US_PER_SECOND
_I64_MIN: Final = -(2**63)
_I64_MAX: Final = 2**63 - 1

# `[0-9]`, never `\d`: the regex engine's `\d` is Unicode and would let through
# digits (Arabic-Indic, fullwidth...) that integer parsing then rejects.
_ISO: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$"
)
_SLASH: Final = (
    r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"
    r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?)?$"
)
_EPOCH: Final = r"^([+-]?)([0-9]+)(?:\.([0-9]+))?$"
_FLOAT_EXPONENT: Final = r"^(-?)([0-9]+)(?:\.([0-9]+))?e([+-]?[0-9]+)$"

# An epoch integer part longer than this (leading zeros aside) is beyond any
# representable instant even in nanoseconds (i64 microseconds < 10^19, so < 10^22 ns);
# cutting it off keeps the Int128 parse from overflowing.
_EPOCH_MAX_DIGITS: Final = 25

_INT: Final = pl.Int64
_WIDE: Final = pl.Int128


def _int(text: pl.Expr) -> pl.Expr:
    return text.str.to_integer(strict=False)


def _wide(value: int) -> pl.Expr:
    return pl.lit(value, dtype=_WIDE)


def _fraction_us(digits: pl.Expr) -> pl.Expr:
    """Decimal fraction digits (after the point) as microseconds, rounded half up.

    Only the seventh digit decides the rounding: the rest cannot move a value
    that is below half a microsecond to half or above.
    """
    head = digits.str.slice(0, 7).str.pad_end(7, "0")
    seventh = _int(head.str.slice(6, 1))
    return _int(head.str.slice(0, 6)) + (seventh >= 5).cast(_INT)


def _days_from_civil(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    y = year - (month <= 2).cast(_INT)
    era = y // 400  # floor division, so years before 0 fall in the right era too
    year_of_era = y - era * 400
    shifted_month = pl.when(month > 2).then(month - 3).otherwise(month + 9)
    day_of_year = (153 * shifted_month + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return (
        pl.when(month == 2)
        .then(28 + leap.cast(_INT))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


class _Civil:
    """A wall-clock reading split into fields (Int64 expressions, null where absent)."""

    def __init__(
        self,
        year: pl.Expr,
        month: pl.Expr,
        day: pl.Expr,
        hour: pl.Expr,
        minute: pl.Expr,
        second: pl.Expr,
        fraction_us: pl.Expr,
    ) -> None:
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour.fill_null(0)
        self.minute = minute.fill_null(0)
        self.second = second.fill_null(0)
        self.fraction_us = fraction_us.fill_null(0)

    def is_valid(self) -> pl.Expr:
        return (
            self.month.is_between(1, 12)
            & self.day.is_between(1, _days_in_month(self.year, self.month))
            & self.hour.is_between(0, 23)
            & self.minute.is_between(0, 59)
            & self.second.is_between(0, 59)
        ).fill_null(False)

    def wall_us(self) -> pl.Expr:
        """Microseconds since 1970-01-01 00:00 of the wall-clock reading, exactly.

        The rounded fraction is added here, so 23:59:59.9999995 becomes the next
        day's midnight before any timezone is applied.
        """
        seconds = self.hour * 3600 + self.minute * 60 + self.second
        days = _days_from_civil(self.year, self.month, self.day)
        return days * _US_PER_DAY + seconds * _US_PER_SECOND + self.fraction_us


def _slash_groups(text: pl.Expr) -> pl.Expr:
    # Only values holding a slash reach the regex: capture groups are slow and
    # slash dates are rarely the bulk of a column mixing forms.
    has_slash = text.str.contains("/", literal=True)
    return pl.when(has_slash).then(text).otherwise(None).str.extract_groups(_SLASH)


def _slash_civil(groups: pl.Expr, date_order: DateOrder) -> _Civil:
    first = _int(groups.struct.field("1"))
    second = _int(groups.struct.field("2"))
    day, month = (first, second) if date_order == "dmy" else (second, first)
    return _Civil(
        year=_int(groups.struct.field("3")),
        month=month,
        day=day,
        hour=_int(groups.struct.field("4")),
        minute=_int(groups.struct.field("5")),
        second=_int(groups.struct.field("6")),
        fraction_us=_fraction_us(groups.struct.field("7")),
    )


class _Iso:
    """An ISO 8601 value read by fixed positions, once the whole value matched `_ISO`.

    Fixed slices are several times faster than capture groups, and ISO is the
    form most logs are made of.
    """

    def __init__(self, text: pl.Expr) -> None:
        self.matched = text.str.contains(_ISO)
        has_seconds = text.str.slice(16, 1) == ":"
        # Nothing after the minutes but seconds, fraction and offset: the first
        # sign or Z past position 16 starts the offset.
        offset_at = 16 + text.str.slice(16).str.find("[Zz+-]").cast(_INT)
        fraction_end = offset_at.fill_null(text.str.len_chars().cast(_INT))
        fraction = (
            pl.when(has_seconds & (text.str.slice(19, 1) == "."))
            .then(text.str.slice(20, fraction_end - 20))
            .otherwise(None)
        )
        self.civil = _Civil(
            year=_int(text.str.slice(0, 4)),
            month=_int(text.str.slice(5, 2)),
            day=_int(text.str.slice(8, 2)),
            hour=_int(text.str.slice(11, 2)),
            minute=_int(text.str.slice(14, 2)),
            second=pl.when(has_seconds).then(_int(text.str.slice(17, 2))),
            fraction_us=_fraction_us(fraction),
        )
        sign_char = text.str.slice(offset_at, 1)
        is_zulu = sign_char.is_in(["Z", "z"])
        offset_hours = pl.when(is_zulu).then(0).otherwise(_int(text.str.slice(offset_at + 1, 2)))
        offset_minutes = _int(text.str.slice(offset_at + 3).str.strip_chars_start(":")).fill_null(0)
        self.has_offset = offset_at.is_not_null()
        self.offset_valid = offset_hours.is_between(0, 23) & offset_minutes.is_between(0, 59)
        offset_us = (offset_hours * 3600 + offset_minutes * 60) * _US_PER_SECOND
        self.offset_us = pl.when(sign_char == "-").then(-offset_us).otherwise(offset_us)

    def is_valid(self) -> pl.Expr:
        return self.civil.is_valid() & (~self.has_offset | self.offset_valid).fill_null(False)


def _epoch_us(negative: pl.Expr, integer: pl.Expr, fraction_digits: pl.Expr) -> pl.Expr:
    """Signed epoch number -> Int128 microseconds, the unit picked by magnitude.

    `integer` is the Int128 integer part of |x|, `fraction_digits` its decimal
    digits after the point (null: none). |x| < 10^k exactly when its integer
    part is, so the integer part alone picks the unit. Rounding is half away
    from zero: on |x|, only the first digit dropped decides.
    """
    head = fraction_digits.fill_null("").str.slice(0, 7).str.pad_end(7, "0")
    # fraction7 holds |x|'s first seven fractional digits: 0.abcdefg -> abcdefg.
    fraction7 = _int(head).cast(_WIDE)
    magnitude = (
        pl.when(integer < _wide(10**11))
        .then(
            integer * _wide(10**6)
            + fraction7 // _wide(10)
            + (fraction7 % _wide(10) >= _wide(5)).cast(_WIDE)
        )
        .when(integer < _wide(10**14))
        .then(
            integer * _wide(10**3)
            + fraction7 // _wide(10**4)
            + (fraction7 // _wide(10**3) % _wide(10) >= _wide(5)).cast(_WIDE)
        )
        .when(integer < _wide(10**17))
        .then(integer + (fraction7 // _wide(10**6) >= _wide(5)).cast(_WIDE))
        .otherwise(
            integer // _wide(1000) + (integer // _wide(100) % _wide(10) >= _wide(5)).cast(_WIDE)
        )
    )
    # Int128 has no negation in Polars: subtract from zero instead.
    return pl.when(negative).then(_wide(0) - magnitude).otherwise(magnitude)


class _EpochText:
    """An epoch number written as text: sign, digits, optional point and digits."""

    def __init__(self, text: pl.Expr) -> None:
        self.matched = text.str.contains(_EPOCH)
        groups = pl.when(self.matched).then(text).otherwise(None).str.extract_groups(_EPOCH)
        digits = groups.struct.field("2").str.strip_chars_start("0")
        self.too_large = digits.str.len_bytes() > _EPOCH_MAX_DIGITS
        integer = (
            pl.when(digits == "")
            .then(_wide(0))
            .when(~self.too_large)
            .then(digits.str.to_integer(dtype=_WIDE, strict=False))
        )
        self.us = _epoch_us(groups.struct.field("1") == "-", integer, groups.struct.field("3"))


def _localize(wall_us: pl.Expr, input_tz: str) -> pl.Expr:
    """Wall-clock microseconds in `input_tz` -> UTC microseconds (Int64).

    Repeated hour: the earliest instant. Skipped hour: the offset of the day
    before, i.e. the one in force just before the transition (no zone moves
    twice within a day), which is what Python's zoneinfo does with fold=0.
    """
    if input_tz == "UTC":
        return wall_us
    wall = pl.from_epoch(wall_us, time_unit="us")
    local = wall.dt.replace_time_zone(input_tz, ambiguous="earliest", non_existent="null")
    in_gap = local.is_null() & wall_us.is_not_null()
    day_before_wall = pl.when(in_gap).then(wall_us - _US_PER_DAY)
    day_before = pl.from_epoch(day_before_wall, time_unit="us").dt.replace_time_zone(
        input_tz, ambiguous="earliest", non_existent="null"
    )
    offset_before = day_before_wall - day_before.dt.epoch("us")
    return pl.coalesce(local.dt.epoch("us"), wall_us - offset_before)


def _float_as_text(expr: pl.Expr) -> pl.Expr:
    """A float as its shortest decimal text, exponent expanded (1e+20 -> 100000000000000000000).

    The shortest round-trip digits are what a CSV or JSON file would have said,
    so a float column reads exactly like the same numbers written as text.
    """
    text = expr.cast(pl.String)
    has_exponent = text.str.contains("e", literal=True)
    groups = pl.when(has_exponent).then(text).otherwise(None).str.extract_groups(_FLOAT_EXPONENT)
    sign = groups.struct.field("1")
    mantissa_int = groups.struct.field("2")
    digits = mantissa_int + groups.struct.field("3").fill_null("")
    point = mantissa_int.str.len_chars().cast(_INT) + _int(groups.struct.field("4"))
    length = digits.str.len_chars().cast(_INT)
    expanded = (
        pl.when(point >= length)
        .then(digits.str.pad_end(point, "0"))
        .when(point <= 0)
        .then("0." + digits.str.zfill(length - point))
        .otherwise(digits.str.slice(0, point) + "." + digits.str.slice(point))
    )
    return pl.when(groups.is_not_null()).then(sign + expanded).otherwise(text)


def _to_utc_datetime(utc_us: pl.Expr) -> pl.Expr:
    return pl.from_epoch(utc_us, time_unit="us").dt.replace_time_zone("UTC")


def _finish(utc_us: pl.Expr, problem: pl.Expr) -> tuple[pl.Expr, pl.Expr]:
    """Add the range rule, then shape the pair `parse_time` returns."""
    representable = utc_us.is_between(_wide(_I64_MIN), _wide(_I64_MAX)).fill_null(False)
    in_range = utc_us.is_between(_wide(_RANGE_START_US), _wide(_RANGE_END_US), closed="left")
    problem = (
        pl.when(problem.is_not_null())
        .then(problem)
        .when(~in_range.fill_null(False))
        .then(pl.lit(OUT_OF_RANGE))
        .otherwise(None)
    )
    value_us = pl.when(representable).then(utc_us).cast(_INT)
    return _to_utc_datetime(value_us), problem.cast(pl.String)


def _parse_text(text: pl.Expr, input_tz: str, date_order: DateOrder) -> tuple[pl.Expr, pl.Expr]:
    text = text.str.strip_chars()
    missing = text.is_null() | (text == "")
    iso = _Iso(text)
    slash_groups = _slash_groups(text)
    slash = _slash_civil(slash_groups, date_order)
    is_slash = slash_groups.struct.field("1").is_not_null()
    epoch = _EpochText(text)

    iso_ok = iso.matched & iso.is_valid()
    slash_ok = is_slash & slash.is_valid()
    naive = (iso_ok & ~iso.has_offset) | slash_ok
    # One localization for every naive form: it is the costly step.
    wall_us = pl.when(iso_ok).then(iso.civil.wall_us()).when(slash_ok).then(slash.wall_us())
    utc_naive = _localize(pl.when(naive).then(wall_us), input_tz)
    utc_us = (
        pl.when(naive)
        .then(utc_naive.cast(_WIDE))
        .when(iso_ok)
        .then((iso.civil.wall_us() - iso.offset_us).cast(_WIDE))
        .when(epoch.matched)
        .then(epoch.us)
    )
    problem = (
        pl.when(missing)
        .then(pl.lit(MISSING))
        .when(~(iso_ok | slash_ok | epoch.matched))
        .then(pl.lit(UNPARSEABLE))
        .when(epoch.matched & epoch.too_large)
        .then(pl.lit(OUT_OF_RANGE))
        .otherwise(None)
    )
    return _finish(utc_us, problem)


def _round_to_us(epoch: pl.Expr, time_unit: str) -> pl.Expr:
    """A Datetime's physical value in microseconds (Int128), nanoseconds rounded half away."""
    if time_unit != "ns":
        return epoch.dt.epoch("us").cast(_WIDE)
    ns = epoch.dt.epoch("ns")
    negative = ns < 0
    magnitude = pl.when(negative).then(_wide(0) - ns.cast(_WIDE)).otherwise(ns.cast(_WIDE))
    rounded = magnitude // _wide(1000) + (magnitude % _wide(1000) >= _wide(500)).cast(_WIDE)
    return pl.when(negative).then(_wide(0) - rounded).otherwise(rounded)


def parse_time(
    expr: pl.Expr,
    dtype: pl.DataType | type[pl.DataType],
    *,
    input_tz: str,
    date_order: DateOrder,
) -> tuple[pl.Expr, pl.Expr]:
    """Read `expr` (of source dtype `dtype`) into (value, problem).

    `value` is Datetime("us", "UTC"): null when missing, unparseable or not
    representable, kept for a representable `out_of_range`. `problem` is null,
    "missing" (null, empty or blank), "unparseable" or "out_of_range".
    Text is read by the rules of this module's docstring; Parquet dtypes
    directly: naive Datetime and Date are wall-clock time in `input_tz` (a Date
    at midnight), tz-aware Datetime is exact, integers and floats are epoch
    numbers (floats through their shortest decimal text), nested types are
    unparseable, anything else is cast to text.
    """
    if isinstance(dtype, type):
        # A bare class (`pl.String`, `pl.Datetime`) stands for its default instance.
        dtype = dtype()
    missing = pl.when(expr.is_null()).then(pl.lit(MISSING)).otherwise(None)
    if isinstance(dtype, pl.Datetime):
        physical_us = _round_to_us(expr, dtype.time_unit)
        if dtype.time_zone is None:
            physical_us = _localize(physical_us.cast(_INT), input_tz).cast(_WIDE)
        return _finish(physical_us, missing)
    if isinstance(dtype, pl.Date):
        wall_us = expr.cast(_INT) * _US_PER_DAY
        return _finish(_localize(wall_us, input_tz).cast(_WIDE), missing)
    if dtype.is_integer():
        negative = expr < 0
        integer = expr.cast(_WIDE)
        magnitude = pl.when(negative).then(_wide(0) - integer).otherwise(integer)
        return _finish(_epoch_us(negative, magnitude, pl.lit(None, pl.String)), missing)
    if dtype.is_float():
        value, problem = _parse_text(_float_as_text(expr), input_tz, date_order)
        infinite = expr.is_infinite().fill_null(False)
        return value, pl.when(infinite).then(pl.lit(OUT_OF_RANGE)).otherwise(problem)
    if dtype.is_nested() or isinstance(dtype, (pl.Object, pl.Null)):
        problem = pl.when(expr.is_null()).then(pl.lit(MISSING)).otherwise(pl.lit(UNPARSEABLE))
        return _to_utc_datetime(pl.lit(None, _INT)), problem.cast(pl.String)
    return _parse_text(expr.cast(pl.String, strict=False), input_tz, date_order)


def decide_date_order(values: pl.Series) -> DateOrder:
    """The slash-date order of a file (SPEC 1.2).

    Month-first when some slash value is impossible day-first (not a valid
    date and time read as D/M/YYYY) and none is impossible month-first; else
    day-first, including when the file holds no slash date at all.
    """
    text = pl.col("value").str.strip_chars()
    groups = _slash_groups(text)
    is_slash = groups.struct.field("1").is_not_null()
    verdict = pl.DataFrame({"value": values.cast(pl.String)}).select(
        impossible_dmy=(is_slash & ~_slash_civil(groups, "dmy").is_valid()).any(),
        impossible_mdy=(is_slash & ~_slash_civil(groups, "mdy").is_valid()).any(),
    )
    if verdict.item(0, "impossible_dmy") and not verdict.item(0, "impossible_mdy"):
        return "mdy"
    return "dmy"
