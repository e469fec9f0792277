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

from licaudit.ingest.timeforms import (
    CIVIL,
    FLOAT_EXPONENT,
    INT,
    SPENT_FIELDS,
    US_PER_DAY,
    US_PER_SECOND,
    WIDE,
    DateOrder,
    F,
    civil_valid,
    epoch_groups,
    epoch_integer,
    epoch_parts,
    epoch_us,
    iso_civil,
    iso_offset,
    iso_shape,
    slash_civil,
    slash_groups,
    stage,
    to_int,
    wall_us,
    wide,
)

__all__ = [
    "MISSING",
    "OUT_OF_RANGE",
    "RANGE_END",
    "RANGE_START",
    "UNPARSEABLE",
    "DateOrder",
    "decide_date_order",
    "parse_time",
    "parse_time_struct",
]

RANGE_START: Final = datetime(1990, 1, 1, tzinfo=UTC)
RANGE_END: Final = datetime(2100, 1, 1, tzinfo=UTC)

_RANGE_START_US: Final = 631_152_000 * US_PER_SECOND
_RANGE_END_US: Final = 4_102_444_800 * US_PER_SECOND
_I64_MIN: Final = -(2**63)
_I64_MAX: Final = 2**63 - 1

MISSING: Final = "missing"
UNPARSEABLE: Final = "unparseable"
OUT_OF_RANGE: Final = "out_of_range"


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
    state = stage(state, first_utc_us=_replace_tz(wall_us, input_tz))
    in_gap = F("first_utc_us").is_null() & wall_us.is_not_null()
    # Only values in a gap reach the second lookup; the others are null there.
    day_before = pl.when(in_gap).then(wall_us - US_PER_DAY)
    state = stage(state, gap_offset_us=day_before - _replace_tz(day_before, input_tz))
    return state, pl.coalesce(F("first_utc_us"), wall_us - F("gap_offset_us"))


def _finish(state: pl.Expr, utc_us: pl.Expr, problem: pl.Expr) -> pl.Expr:
    """The last stage: Struct{value, problem}, with the range rule.

    `utc_us` (Int128) and `problem` (String, null when fine so far) are read from `state`.
    """
    in_range = utc_us.is_between(wide(_RANGE_START_US), wide(_RANGE_END_US), closed="left")
    representable = utc_us.is_between(wide(_I64_MIN), wide(_I64_MAX))
    state = stage(
        state,
        value=_utc_datetime(pl.when(representable).then(utc_us).otherwise(None).cast(INT)),
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
    state = stage(state, slash_groups=slash_groups(), epoch_groups=epoch_groups(), **iso_shape())
    state = stage(state, **slash_civil(date_order), **iso_civil(), **epoch_parts())
    # The forms exclude each other: one set of civil fields serves ISO and slash dates.
    iso = F("iso")
    merged = {
        name: pl.when(iso).then(F(f"iso_{name}")).otherwise(F(f"slash_{name}")) for name in CIVIL
    }
    state = stage(
        state, civil=iso | F("slash"), **merged, **iso_offset(), **epoch_integer()
    ).struct.drop(SPENT_FIELDS)
    state = stage(
        state,
        valid=(F("civil") & civil_valid() & F("offset_valid")).fill_null(False),
        wall_us=wall_us(),
        epoch_us=epoch_us(F("epoch_negative"), F("epoch_integer"), F("epoch_fraction7").cast(WIDE)),
    )
    valid, naive = F("valid"), F("valid") & F("offset_us").is_null()
    # One localization for every naive form: it is the costly step.
    state, local_utc_us = _localize(state, pl.when(naive).then(F("wall_us")), input_tz)
    utc_us = (
        pl.when(naive)
        .then(local_utc_us.cast(WIDE))
        .when(valid)
        .then((F("wall_us") - F("offset_us")).cast(WIDE))
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
    state = stage(state, groups=exponent_groups.str.extract_groups(FLOAT_EXPONENT))
    group = F("groups").struct.field
    state = stage(
        state,
        digits=group("2") + group("3").fill_null(""),
        point=group("2").str.len_chars().cast(INT) + to_int(group("4")),
    )
    digits, point = F("digits"), F("point")
    length = digits.str.len_chars().cast(INT)
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
    return stage(state, text=text).struct.field("text")


def _exact_us(expr: pl.Expr) -> pl.Expr:
    """Struct{value, problem} of a timezone-aware Datetime in microseconds: the usual Parquet.

    Its instant is its physical value, already UTC microseconds: no localization and
    no Int128 arithmetic, only the range rule, in Int64 (the same answers as
    ``_finish``, in a fraction of its time on millions of rows).
    """
    epoch_us = expr.dt.epoch("us")
    in_range = epoch_us.is_between(_RANGE_START_US, _RANGE_END_US, closed="left")
    return pl.struct(
        value=expr.dt.convert_time_zone("UTC"),
        problem=pl.when(expr.is_null())
        .then(pl.lit(MISSING))
        .when(~in_range)
        .then(pl.lit(OUT_OF_RANGE))
        .otherwise(None)
        .cast(pl.String),
    )


def _ns_to_us(ns: pl.Expr) -> pl.Expr:
    """Int64 nanoseconds -> Int128 microseconds, rounded half away from zero."""
    negative = ns < 0
    magnitude = pl.when(negative).then(wide(0) - ns.cast(WIDE)).otherwise(ns.cast(WIDE))
    rounded = magnitude // wide(1000) + (magnitude % wide(1000) >= wide(500)).cast(WIDE)
    return pl.when(negative).then(wide(0) - rounded).otherwise(rounded)


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
    if isinstance(dtype, pl.Datetime) and dtype.time_unit == "us" and dtype.time_zone:
        return _exact_us(expr)
    if isinstance(dtype, pl.Datetime | pl.Date):
        if isinstance(dtype, pl.Date):
            physical_us = expr.cast(INT) * US_PER_DAY
        elif dtype.time_unit == "ns":
            physical_us = _ns_to_us(expr.dt.epoch("ns"))
        else:
            physical_us = expr.dt.epoch("us")
        state = pl.struct(problem=_missing_if_null(expr), physical_us=physical_us.cast(INT))
        utc_us: pl.Expr = F("physical_us")
        if isinstance(dtype, pl.Date) or dtype.time_zone is None:
            # Naive: the physical value is the wall clock in `input_tz`.
            state, utc_us = _localize(state, F("physical_us"), input_tz)
        return _finish(state, utc_us.cast(WIDE), F("problem"))
    if dtype.is_integer():
        negative = expr < 0
        integer = expr.cast(WIDE)
        magnitude = pl.when(negative).then(wide(0) - integer).otherwise(integer)
        state = pl.struct(
            problem=_missing_if_null(expr), utc_us=epoch_us(negative, magnitude, wide(0))
        )
        return _finish(state, F("utc_us"), F("problem"))
    if dtype.is_float():
        infinite = pl.when(expr.is_infinite()).then(pl.lit(OUT_OF_RANGE))
        state = _text_state(_float_as_text(expr), expr.is_not_null(), infinite)
        return _parse_text(state, input_tz, date_order)
    if dtype.is_nested() or isinstance(dtype, pl.Object | pl.Null):
        return pl.struct(
            value=_utc_datetime(pl.lit(None, INT)),
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


DateOrderBasis = Literal["none", "settled", "assumed"]
"""Why a file's slash-date order is what it is: no slash date at all, some value settles it,
or every slash date reads both ways and day-first is assumed (SPEC 1.2: a warning)."""


def decide_date_order(values: pl.Series) -> DateOrder:
    """The slash-date order of a file (SPEC 1.2); see ``date_order_verdict``."""
    return date_order_verdict(values)[0]


def date_order_verdict(values: pl.Series) -> tuple[DateOrder, DateOrderBasis]:
    """The slash-date order of a file (SPEC 1.2), and what it rests on.

    Month-first when some slash value is impossible day-first (not a valid
    date and time read as D/M/YYYY) and none is impossible month-first; else
    day-first, including when the file holds no slash date at all.
    """
    # Only values holding a slash can be slash dates: most exports have none, and
    # the capture groups below are slow and wide on a whole column.
    slashed = values.cast(pl.String)
    slashed = slashed.filter(slashed.str.contains("/", literal=True))
    if slashed.is_empty():
        return "dmy", "none"
    text = pl.DataFrame({"text": slashed.str.strip_chars()})

    def impossible(date_order: DateOrder) -> pl.Expr:
        state = stage(pl.struct("text"), slash_groups=slash_groups())
        state = stage(state, **slash_civil(date_order))
        state = stage(state, **{name: F(f"slash_{name}") for name in CIVIL})
        return stage(state, impossible=F("slash") & ~civil_valid()).struct.field("impossible")

    verdict = text.select(dmy=impossible("dmy").any(), mdy=impossible("mdy").any())
    dmy_impossible, mdy_impossible = verdict.item(0, "dmy"), verdict.item(0, "mdy")
    if dmy_impossible and not mdy_impossible:
        return "mdy", "settled"
    if not dmy_impossible and not mdy_impossible:
        return "dmy", "assumed"
    return "dmy", "settled"
