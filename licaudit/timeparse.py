"""Timestamps as written in access logs, read into UTC instants (SPEC 1.2 and 1.4).

Each value is read on its own, after trimming surrounding whitespace, in one of
three forms: ISO 8601 (``YYYY-MM-DD`` with an optional ``T``/space time
``HH:MM[:SS[.f]]`` and, after a time, an optional offset ``Z``, ``±HH:MM``,
``±HHMM`` or ``±HH``); slash dates ``D/M/YYYY [H:MM[:SS[.f]]]`` in the file's
date order; epoch numbers, whose magnitude picks the unit (|x| < 10^11 seconds,
< 10^14 milliseconds, < 10^17 microseconds, else nanoseconds). Anything else is
``unparseable``, as are impossible dates and times (``2025-02-30``, ``24:00``,
``23:59:60``). Fractions of a microsecond round to the nearest microsecond, ties
away from zero, computed exactly from the decimal digits. A time without
offset is wall-clock time in ``input_tz``: in a DST fall-back's repeated hour it
is the first occurrence, in a spring-forward gap it takes the offset in force
just before the transition (Python's ``fold=0``). Instants outside
[1990-01-01, 2100-01-01) UTC are ``out_of_range``.

Everything is a Polars expression: no value is handled in Python. The work is
staged in the fields of one struct (``struct.with_fields`` reading
``pl.field``), because Polars evaluates a shared subexpression again at each
place it is used. Stages are few and wide: planning time grows with the
square of their number.
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
# representable instant even in nanoseconds (|i64| microseconds < 10^19, so
# < 10^22 ns); cutting it off keeps the Int128 parse from overflowing.
_EPOCH_MAX_DIGITS: Final = 25

_INT: Final = pl.Int64
_WIDE: Final = pl.Int128
F: Final = pl.field
_CIVIL: Final = ("year", "month", "day", "hour", "minute", "second", "fraction_us")
# Fields of the first text stages no later stage reads: dropped to keep the
# struct narrow.
_SPENT_FIELDS: Final = [
    "slash_groups",
    "epoch_groups",
    "iso_has_seconds",
    "iso_offset_at",
    "epoch_digits",
    "offset_sign",
    "offset_hours",
    "offset_minutes",
    *(f"{form}_{name}" for form in ("iso", "slash") for name in _CIVIL),
]


def _with(state: pl.Expr, **fields: pl.Expr) -> pl.Expr:
    """One stage: add fields computed from the fields already in `state`.

    Never `struct.eval` for this: in Polars 2.1 it loses the struct's fields in
    some arithmetic (`pl.field("a") * 3 + pl.field("b") * 6` raises
    StructFieldNotFoundError), where `with_fields` does not.
    """
    return state.struct.with_fields(**fields)


def _int(text: pl.Expr) -> pl.Expr:
    return text.str.to_integer(strict=False)


def _wide(value: int) -> pl.Expr:
    return pl.lit(value, dtype=_WIDE)


def _flag(condition: pl.Expr) -> pl.Expr:
    return condition.cast(_INT)


def _fraction_us(digits: pl.Expr) -> pl.Expr:
    """Decimal digits after the point -> microseconds, rounded half up (null: 0).

    Only the seventh digit decides: the digits after it cannot lift a remainder
    below half a microsecond to half or above. Nulls are filled last: string
    work on a filler would cost as much as on real fractions.
    """
    head = digits.str.slice(0, 7).str.pad_end(7, "0")
    return (_int(head.str.slice(0, 6)) + _flag(_int(head.str.slice(6, 1)) >= 5)).fill_null(0)


def _days_from_civil(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    y = year - _flag(month <= 2)
    era = y // 400  # floor division: years before 0 fall in the right era too
    year_of_era = y - era * 400
    shifted_month = pl.when(month > 2).then(month - 3).otherwise(month + 9)
    day_of_year = (153 * shifted_month + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def _days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return (
        pl.when(month == 2)
        .then(28 + _flag(leap))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


# Over the civil fields (`_CIVIL`, Int64, time fields null when absent):


def _civil_valid() -> pl.Expr:
    year, month, day = F("year"), F("month"), F("day")
    return (
        month.is_between(1, 12)
        & day.is_between(1, _days_in_month(year, month))
        & F("hour").fill_null(0).is_between(0, 23)
        & F("minute").fill_null(0).is_between(0, 59)
        & F("second").fill_null(0).is_between(0, 59)
    ).fill_null(False)


def _wall_us() -> pl.Expr:
    """Microseconds since 1970-01-01 00:00 of the wall-clock reading, exactly.

    The rounded fraction is added before any timezone applies: 23:59:59.9999995
    is the next day's midnight on the wall clock.
    """
    seconds = F("hour").fill_null(0) * 3600 + F("minute").fill_null(0) * 60
    seconds = seconds + F("second").fill_null(0)
    days = _days_from_civil(F("year"), F("month"), F("day"))
    return days * _US_PER_DAY + seconds * _US_PER_SECOND + F("fraction_us")


# The three text forms, each in two steps: what one stage can tell from `text`
# alone, then the fields the next stage reads out of that.


def _slash_groups() -> pl.Expr:
    # Only values holding a slash reach the capture groups, which are slow.
    text = F("text")
    has_slash = text.str.contains("/", literal=True)
    return pl.when(has_slash).then(text).otherwise(None).str.extract_groups(_SLASH)


def _slash_civil(date_order: DateOrder) -> dict[str, pl.Expr]:
    """From `slash_groups`: `slash` (the value is a slash date) and `slash_*` civil fields."""
    group = F("slash_groups").struct.field
    first, second = _int(group("1")), _int(group("2"))
    day, month = (first, second) if date_order == "dmy" else (second, first)
    return {
        "slash": group("1").is_not_null(),
        "slash_year": _int(group("3")),
        "slash_month": month,
        "slash_day": day,
        "slash_hour": _int(group("4")),
        "slash_minute": _int(group("5")),
        "slash_second": _int(group("6")),
        "slash_fraction_us": _fraction_us(group("7")),
    }


def _iso_shape() -> dict[str, pl.Expr]:
    """`iso` (the whole value matches) and where its variable parts sit.

    Once the whole value matched, fixed slices read it several times faster
    than capture groups, and ISO is what most logs are made of. Only seconds,
    fraction and offset follow the minutes: the first sign or Z past position
    16 starts the offset.
    """
    text = F("text")
    return {
        "iso": text.str.contains(_ISO),
        "iso_has_seconds": text.str.slice(16, 1) == ":",
        "iso_offset_at": 16 + text.str.slice(16).str.find("[Zz+-]").cast(_INT),
    }


def _iso_civil() -> dict[str, pl.Expr]:
    """From `text` and `_iso_shape`: `iso_*` civil fields and the offset's parts."""
    text, offset_at, has_seconds = F("text"), F("iso_offset_at"), F("iso_has_seconds")
    fraction_end = offset_at.fill_null(text.str.len_chars().cast(_INT))
    fraction = (
        pl.when(has_seconds & (text.str.slice(19, 1) == "."))
        .then(text.str.slice(20, (fraction_end - 20).clip(lower_bound=0)))
        .otherwise(None)
    )
    return {
        "iso_year": _int(text.str.slice(0, 4)),
        "iso_month": _int(text.str.slice(5, 2)),
        "iso_day": _int(text.str.slice(8, 2)),
        "iso_hour": _int(text.str.slice(11, 2)),
        "iso_minute": _int(text.str.slice(14, 2)),
        "iso_second": pl.when(has_seconds).then(_int(text.str.slice(17, 2))),
        "iso_fraction_us": _fraction_us(fraction),
        "offset_sign": text.str.slice(offset_at, 1),
        "offset_hours": _int(text.str.slice(offset_at + 1, 2)),
        "offset_minutes": _int(text.str.slice(offset_at + 3).str.strip_chars_start(":")),
    }


def _iso_offset() -> dict[str, pl.Expr]:
    """From `_iso_civil`: `offset_us` (null: no offset) and `offset_valid`."""
    zulu = F("offset_sign").is_in(["Z", "z"])
    hours = pl.when(zulu).then(0).otherwise(F("offset_hours"))
    minutes = F("offset_minutes").fill_null(0)
    offset_us = (hours * 3600 + minutes * 60) * _US_PER_SECOND
    return {
        "offset_us": pl.when(F("iso") & F("iso_offset_at").is_not_null()).then(
            pl.when(F("offset_sign") == "-").then(-offset_us).otherwise(offset_us)
        ),
        "offset_valid": ~F("iso")
        | F("iso_offset_at").is_null()
        | (hours.is_between(0, 23) & minutes.is_between(0, 59)).fill_null(False),
    }


def _epoch_groups() -> pl.Expr:
    text = F("text")
    return pl.when(text.str.contains(_EPOCH)).then(text).otherwise(None).str.extract_groups(_EPOCH)


def _epoch_parts() -> dict[str, pl.Expr]:
    """From `epoch_groups`: `epoch` (matched), sign, significant digits, first 7 decimals."""
    group = F("epoch_groups").struct.field
    return {
        "epoch": group("2").is_not_null(),
        "epoch_negative": group("1") == "-",
        "epoch_digits": group("2").str.strip_chars_start("0"),
        "epoch_fraction7": _int(group("3").str.slice(0, 7).str.pad_end(7, "0")).fill_null(0),
    }


def _epoch_integer() -> dict[str, pl.Expr]:
    """From `_epoch_parts`: `epoch_too_large` and `epoch_integer` (Int128 integer part of |x|)."""
    digits = F("epoch_digits")
    too_large = digits.str.len_bytes() > _EPOCH_MAX_DIGITS
    return {
        "epoch_too_large": too_large,
        "epoch_integer": pl.when(digits == "")
        .then(_wide(0))
        .when(~too_large)
        .then(digits.str.to_integer(dtype=_WIDE, strict=False)),
    }


def _epoch_us(negative: pl.Expr, integer: pl.Expr, fraction7: pl.Expr) -> pl.Expr:
    """Signed epoch number -> Int128 microseconds, the unit picked by magnitude.

    `integer` is the integer part of |x| (Int128), `fraction7` its first seven
    fractional digits as an Int128 (0.abcdefg -> abcdefg). |x| < 10^k exactly
    when its integer part is, so the integer part alone picks the unit.
    Rounding is half away from zero: on |x|, only the first dropped digit decides.
    """
    ten, five = _wide(10), _wide(5)
    magnitude = (
        pl.when(integer < _wide(10**11))
        .then(integer * _wide(10**6) + fraction7 // ten + (fraction7 % ten >= five).cast(_WIDE))
        .when(integer < _wide(10**14))
        .then(
            integer * _wide(10**3)
            + fraction7 // _wide(10**4)
            + (fraction7 // _wide(10**3) % ten >= five).cast(_WIDE)
        )
        .when(integer < _wide(10**17))
        .then(integer + (fraction7 // _wide(10**6) >= five).cast(_WIDE))
        .otherwise(integer // _wide(1000) + (integer // _wide(100) % ten >= five).cast(_WIDE))
    )
    # Polars has no negation for Int128: subtract from zero.
    return pl.when(negative).then(_wide(0) - magnitude).otherwise(magnitude)


def _replace_tz(wall_us: pl.Expr, input_tz: str) -> pl.Expr:
    wall = pl.from_epoch(wall_us, time_unit="us")
    local = wall.dt.replace_time_zone(input_tz, ambiguous="earliest", non_existent="null")
    return local.dt.epoch("us")


def _localize(state: pl.Expr, wall_us: pl.Expr, input_tz: str) -> tuple[pl.Expr, pl.Expr]:
    """Two stages to read `wall_us` (Int64, wall clock in `input_tz`) into UTC microseconds.

    Returns the state and the Int64 UTC expression over it. Repeated hour: the
    earliest instant. Skipped hour: the offset of the day before, which is the
    one in force just before the transition (no zone moves twice within a day),
    as Python's zoneinfo does with fold=0.
    """
    if input_tz == "UTC":
        return state, wall_us
    state = _with(state, first_utc_us=_replace_tz(wall_us, input_tz))
    in_gap = F("first_utc_us").is_null() & wall_us.is_not_null()
    # Only values in a gap reach the second lookup; the others are null there.
    day_before = pl.when(in_gap).then(wall_us - _US_PER_DAY)
    state = _with(state, gap_offset_us=day_before - _replace_tz(day_before, input_tz))
    return state, pl.coalesce(F("first_utc_us"), wall_us - F("gap_offset_us"))


def _finish(state: pl.Expr, utc_us: pl.Expr, problem: pl.Expr) -> pl.Expr:
    """The last stage: Struct{value, problem}, with the range rule.

    `utc_us` (Int128) and `problem` (String, null when fine so far) are read from `state`.
    """
    in_range = utc_us.is_between(_wide(_RANGE_START_US), _wide(_RANGE_END_US), closed="left")
    representable = utc_us.is_between(_wide(_I64_MIN), _wide(_I64_MAX))
    state = _with(
        state,
        value=_utc_datetime(pl.when(representable).then(utc_us).otherwise(None).cast(_INT)),
        problem=pl.when(problem.is_not_null())
        .then(problem)
        .when(~in_range.fill_null(False))
        .then(pl.lit(OUT_OF_RANGE))
        .otherwise(None)
        .cast(pl.String),
    )
    return state.struct.eval(F("value"), F("problem"))


def _utc_datetime(utc_us: pl.Expr) -> pl.Expr:
    return pl.from_epoch(utc_us, time_unit="us").dt.replace_time_zone("UTC")


def _missing_if_null(expr: pl.Expr) -> pl.Expr:
    return pl.when(expr.is_null()).then(pl.lit(MISSING)).otherwise(None).cast(pl.String)


def _text_state(text: pl.Expr, present: pl.Expr, forced: pl.Expr | None = None) -> pl.Expr:
    """The first stage of text parsing.

    `present`: the source value is not null. A value that could not become
    text (bytes that are not UTF-8...) has a null `text` but is present:
    unparseable, not missing. `forced`: a problem decided before reading (or null).
    """
    return pl.struct(
        text=text.str.strip_chars(),
        present=present,
        forced=pl.lit(None, pl.String) if forced is None else forced,
    )


def _parse_text(state: pl.Expr, input_tz: str, date_order: DateOrder) -> pl.Expr:
    """Stages from `_text_state` to Struct{value, problem}."""
    state = _with(state, slash_groups=_slash_groups(), epoch_groups=_epoch_groups(), **_iso_shape())
    state = _with(state, **_slash_civil(date_order), **_iso_civil(), **_epoch_parts())
    # The forms exclude each other: one set of civil fields serves ISO and slash dates.
    iso = F("iso")
    merged = {
        name: pl.when(iso).then(F(f"iso_{name}")).otherwise(F(f"slash_{name}")) for name in _CIVIL
    }
    state = _with(
        state, civil=iso | F("slash"), **merged, **_iso_offset(), **_epoch_integer()
    ).struct.drop(_SPENT_FIELDS)
    state = _with(
        state,
        valid=(F("civil") & _civil_valid() & F("offset_valid")).fill_null(False),
        wall_us=_wall_us(),
        epoch_us=_epoch_us(
            F("epoch_negative"), F("epoch_integer"), F("epoch_fraction7").cast(_WIDE)
        ),
    )
    valid, naive = F("valid"), F("valid") & F("offset_us").is_null()
    # One localization for every naive form: it is the costly step.
    state, local_utc_us = _localize(state, pl.when(naive).then(F("wall_us")), input_tz)
    utc_us = (
        pl.when(naive)
        .then(local_utc_us.cast(_WIDE))
        .when(valid)
        .then((F("wall_us") - F("offset_us")).cast(_WIDE))
        .when(F("epoch"))
        .then(F("epoch_us"))
    )
    problem = (
        pl.when(~F("present") | (F("text") == ""))
        .then(pl.lit(MISSING))
        .when(F("forced").is_not_null())
        .then(F("forced"))
        .when(~(valid | F("epoch")))
        .then(pl.lit(UNPARSEABLE))
        .when(F("epoch") & F("epoch_too_large"))
        .then(pl.lit(OUT_OF_RANGE))
        .otherwise(None)
    )
    return _finish(state, utc_us, problem)


def _float_as_text(expr: pl.Expr) -> pl.Expr:
    """A float as its shortest decimal text, exponent expanded (1e+20 -> 100000000000000000000).

    The shortest round-trip digits are what a CSV or JSON file would have said,
    so a float column reads exactly like the same numbers written as text.
    """
    state = pl.struct(text=expr.cast(pl.String))
    has_exponent = F("text").str.contains("e", literal=True)
    exponent_groups = pl.when(has_exponent).then(F("text")).otherwise(None)
    state = _with(state, groups=exponent_groups.str.extract_groups(_FLOAT_EXPONENT))
    group = F("groups").struct.field
    state = _with(
        state,
        digits=group("2") + group("3").fill_null(""),
        point=group("2").str.len_chars().cast(_INT) + _int(group("4")),
    )
    digits, point = F("digits"), F("point")
    length = digits.str.len_chars().cast(_INT)
    # Every branch is computed on every row: lengths are clipped to stay valid.
    inside = point.clip(0, length)
    expanded = (
        pl.when(point >= length)
        .then(digits.str.pad_end(point.clip(lower_bound=0), "0"))
        .when(point <= 0)
        .then("0." + digits.str.zfill((length - point).clip(lower_bound=0)))
        .otherwise(digits.str.slice(0, inside) + "." + digits.str.slice(inside))
    )
    text = pl.when(F("groups").is_not_null()).then(group("1") + expanded).otherwise(F("text"))
    return _with(state, text=text).struct.field("text")


def _ns_to_us(ns: pl.Expr) -> pl.Expr:
    """Int64 nanoseconds -> Int128 microseconds, rounded half away from zero."""
    negative = ns < 0
    magnitude = pl.when(negative).then(_wide(0) - ns.cast(_WIDE)).otherwise(ns.cast(_WIDE))
    rounded = magnitude // _wide(1000) + (magnitude % _wide(1000) >= _wide(500)).cast(_WIDE)
    return pl.when(negative).then(_wide(0) - rounded).otherwise(rounded)


def parse_time_struct(
    expr: pl.Expr,
    dtype: pl.DataType | type[pl.DataType],
    *,
    input_tz: str,
    date_order: DateOrder,
) -> pl.Expr:
    """`parse_time` as one Struct{value, problem} expression: one parse for both.

    Polars does not share work between the two expressions `parse_time`
    returns, so selecting both parses twice; unnest this instead.
    """
    if isinstance(dtype, type):
        # A bare class (`pl.String`, `pl.Datetime`) stands for its default instance.
        dtype = dtype()
    if isinstance(dtype, pl.Datetime | pl.Date):
        if isinstance(dtype, pl.Date):
            physical_us = expr.cast(_INT) * _US_PER_DAY
        elif dtype.time_unit == "ns":
            physical_us = _ns_to_us(expr.dt.epoch("ns"))
        else:
            physical_us = expr.dt.epoch("us")
        state = pl.struct(problem=_missing_if_null(expr), physical_us=physical_us.cast(_INT))
        utc_us: pl.Expr = F("physical_us")
        if isinstance(dtype, pl.Date) or dtype.time_zone is None:
            # Naive: the physical value is the wall clock in `input_tz`.
            state, utc_us = _localize(state, F("physical_us"), input_tz)
        return _finish(state, utc_us.cast(_WIDE), F("problem"))
    if dtype.is_integer():
        negative = expr < 0
        integer = expr.cast(_WIDE)
        magnitude = pl.when(negative).then(_wide(0) - integer).otherwise(integer)
        state = pl.struct(
            problem=_missing_if_null(expr), utc_us=_epoch_us(negative, magnitude, _wide(0))
        )
        return _finish(state, F("utc_us"), F("problem"))
    if dtype.is_float():
        infinite = pl.when(expr.is_infinite()).then(pl.lit(OUT_OF_RANGE))
        state = _text_state(_float_as_text(expr), expr.is_not_null(), infinite)
        return _parse_text(state, input_tz, date_order)
    if dtype.is_nested() or isinstance(dtype, pl.Object | pl.Null):
        return pl.struct(
            value=_utc_datetime(pl.lit(None, _INT)),
            problem=pl.when(expr.is_null())
            .then(pl.lit(MISSING))
            .otherwise(pl.lit(UNPARSEABLE))
            .cast(pl.String),
        )
    source = expr
    if isinstance(dtype, pl.Binary):
        # Casting bytes that are not UTF-8 fails the whole query (even masked
        # out: the buffer is shared), and Polars has no lossy decode. Only ASCII
        # values, all the forms need, are rebuilt into fresh bytes through hex.
        hexed = expr.bin.encode("hex")
        ascii_only = hexed.str.contains("^(?:[0-7][0-9a-f])*$")
        source = pl.when(ascii_only).then(hexed).otherwise(None).str.decode("hex")
    state = _text_state(source.cast(pl.String, strict=False), expr.is_not_null())
    return _parse_text(state, input_tz, date_order)


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
    Text follows this module's rules. Parquet dtypes are read directly: a
    naive Datetime or a Date (at midnight) is wall-clock time in `input_tz`, a
    tz-aware Datetime is exact (nanoseconds round like fractions), integers
    and floats are epoch numbers (a float through its shortest decimal text;
    ±inf is out_of_range, NaN unparseable), nested types are unparseable, and
    anything else is cast to text (unparseable if it cannot be).

    Polars' timezone rules stop in 2099: the value kept for an out-of-range
    wall-clock time after 2100 ignores DST there.

    Each of the two expressions costs a full parse: when both are needed,
    `parse_time_struct` does it once.
    """
    parsed = parse_time_struct(expr, dtype, input_tz=input_tz, date_order=date_order)
    return parsed.struct.field("value"), parsed.struct.field("problem")


def decide_date_order(values: pl.Series) -> DateOrder:
    """The slash-date order of a file (SPEC 1.2).

    Month-first when some slash value is impossible day-first (not a valid
    date and time read as D/M/YYYY) and none is impossible month-first; else
    day-first, including when the file holds no slash date at all.
    """
    text = pl.DataFrame({"text": values.cast(pl.String).str.strip_chars()})

    def impossible(date_order: DateOrder) -> pl.Expr:
        state = _with(pl.struct("text"), slash_groups=_slash_groups())
        state = _with(state, **_slash_civil(date_order))
        state = _with(state, **{name: F(f"slash_{name}") for name in _CIVIL})
        return _with(state, impossible=F("slash") & ~_civil_valid()).struct.field("impossible")

    verdict = text.select(dmy=impossible("dmy").any(), mdy=impossible("mdy").any())
    if verdict.item(0, "dmy") and not verdict.item(0, "mdy"):
        return "mdy"
    return "dmy"
