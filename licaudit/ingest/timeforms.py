"""The three text forms of a timestamp, and the calendar arithmetic they share (SPEC 1.2).

Each form (ISO 8601, slash dates, epoch numbers) is read in stages over the
fields of one struct (see ``licaudit.ingest.timeparse`` for why): first what the text
alone tells, then the civil fields (year ... fraction) or the epoch's parts.
Dates are checked and counted by integer arithmetic, exactly.
"""

from __future__ import annotations

from typing import Final, Literal

import polars as pl

DateOrder = Literal["dmy", "mdy"]

US_PER_SECOND: Final = 1_000_000
US_PER_DAY: Final = 86_400 * US_PER_SECOND

# `[0-9]`, never `\d`: the regex engine's `\d` is Unicode and would let through
# digits (Arabic-Indic, fullwidth...) that integer parsing then rejects.
ISO: Final = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"(?:[Tt ][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?"
    r"(?:[Zz]|[+-][0-9]{2}(?::?[0-9]{2})?)?)?$"
)
SLASH: Final = (
    r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})"
    r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2})(?:\.([0-9]+))?)?)?$"
)
EPOCH: Final = r"^([+-]?)([0-9]+)(?:\.([0-9]+))?$"
FLOAT_EXPONENT: Final = r"^(-?)([0-9]+)(?:\.([0-9]+))?e([+-]?[0-9]+)$"

# An epoch integer part longer than this (leading zeros aside) is beyond any
# representable instant even in nanoseconds (|i64| microseconds < 10^19, so
# < 10^22 ns); cutting it off keeps the Int128 parse from overflowing.
EPOCH_MAX_DIGITS: Final = 25

INT: Final = pl.Int64
WIDE: Final = pl.Int128
F: Final = pl.field
CIVIL: Final = ("year", "month", "day", "hour", "minute", "second", "fraction_us")
# Fields of the first text stages no later stage reads: dropped to keep the
# struct narrow.
SPENT_FIELDS: Final = [
    "slash_groups",
    "epoch_groups",
    "iso_has_seconds",
    "iso_offset_at",
    "epoch_digits",
    "offset_sign",
    "offset_hours",
    "offset_minutes",
    *(f"{form}_{name}" for form in ("iso", "slash") for name in CIVIL),
]


def stage(state: pl.Expr, **fields: pl.Expr) -> pl.Expr:
    """One stage: add fields computed from the fields already in `state`.

    Never `struct.eval` for this: in Polars 2.1 it loses the struct's fields in
    some arithmetic (`pl.field("a") * 3 + pl.field("b") * 6` raises
    StructFieldNotFoundError), where `with_fields` does not.
    """
    return state.struct.with_fields(**fields)


def to_int(text: pl.Expr) -> pl.Expr:
    return text.str.to_integer(strict=False)


def wide(value: int) -> pl.Expr:
    return pl.lit(value, dtype=WIDE)


def flag(condition: pl.Expr) -> pl.Expr:
    return condition.cast(INT)


def fraction_us(digits: pl.Expr) -> pl.Expr:
    """Decimal digits after the point -> microseconds, rounded half up (null: 0).

    Only the seventh digit decides: the digits after it cannot lift a remainder
    below half a microsecond to half or above. Nulls are filled last: string
    work on a filler would cost as much as on real fractions.
    """
    head = digits.str.slice(0, 7).str.pad_end(7, "0")
    return (to_int(head.str.slice(0, 6)) + flag(to_int(head.str.slice(6, 1)) >= 5)).fill_null(0)


def days_from_civil(year: pl.Expr, month: pl.Expr, day: pl.Expr) -> pl.Expr:
    """Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm)."""
    y = year - flag(month <= 2)
    era = y // 400  # floor division: years before 0 fall in the right era too
    year_of_era = y - era * 400
    shifted_month = pl.when(month > 2).then(month - 3).otherwise(month + 9)
    day_of_year = (153 * shifted_month + 2) // 5 + day - 1
    day_of_era = year_of_era * 365 + year_of_era // 4 - year_of_era // 100 + day_of_year
    return era * 146_097 + day_of_era - 719_468


def days_in_month(year: pl.Expr, month: pl.Expr) -> pl.Expr:
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    return (
        pl.when(month == 2)
        .then(28 + flag(leap))
        .when(month.is_in([4, 6, 9, 11]))
        .then(30)
        .otherwise(31)
    )


# Over the civil fields (`CIVIL`, Int64, time fields null when absent):


def civil_valid() -> pl.Expr:
    year, month, day = F("year"), F("month"), F("day")
    return (
        month.is_between(1, 12)
        & day.is_between(1, days_in_month(year, month))
        & F("hour").fill_null(0).is_between(0, 23)
        & F("minute").fill_null(0).is_between(0, 59)
        & F("second").fill_null(0).is_between(0, 59)
    ).fill_null(False)


def wall_us() -> pl.Expr:
    """Microseconds since 1970-01-01 00:00 of the wall-clock reading, exactly.

    The rounded fraction is added before any timezone applies: 23:59:59.9999995
    is the next day's midnight on the wall clock.
    """
    seconds = F("hour").fill_null(0) * 3600 + F("minute").fill_null(0) * 60
    seconds = seconds + F("second").fill_null(0)
    days = days_from_civil(F("year"), F("month"), F("day"))
    return days * US_PER_DAY + seconds * US_PER_SECOND + F("fraction_us")


# The three text forms, each in two steps: what one stage can tell from `text`
# alone, then the fields the next stage reads out of that.


def slash_groups() -> pl.Expr:
    # Only values holding a slash reach the capture groups, which are slow.
    text = F("text")
    has_slash = text.str.contains("/", literal=True)
    return pl.when(has_slash).then(text).otherwise(None).str.extract_groups(SLASH)


def slash_civil(date_order: DateOrder) -> dict[str, pl.Expr]:
    """From `slash_groups`: `slash` (the value is a slash date) and `slash_*` civil fields."""
    group = F("slash_groups").struct.field
    first, second = to_int(group("1")), to_int(group("2"))
    day, month = (first, second) if date_order == "dmy" else (second, first)
    return {
        "slash": group("1").is_not_null(),
        "slash_year": to_int(group("3")),
        "slash_month": month,
        "slash_day": day,
        "slash_hour": to_int(group("4")),
        "slash_minute": to_int(group("5")),
        "slash_second": to_int(group("6")),
        "slash_fraction_us": fraction_us(group("7")),
    }


def iso_shape() -> dict[str, pl.Expr]:
    """`iso` (the whole value matches) and where its variable parts sit.

    Once the whole value matched, fixed slices read it several times faster
    than capture groups, and ISO is what most logs are made of. Only seconds,
    fraction and offset follow the minutes: the first sign or Z past position
    16 starts the offset.
    """
    text = F("text")
    return {
        "iso": text.str.contains(ISO),
        "iso_has_seconds": text.str.slice(16, 1) == ":",
        "iso_offset_at": 16 + text.str.slice(16).str.find("[Zz+-]").cast(INT),
    }


def iso_civil() -> dict[str, pl.Expr]:
    """From `text` and `iso_shape`: `iso_*` civil fields and the offset's parts."""
    text, offset_at, has_seconds = F("text"), F("iso_offset_at"), F("iso_has_seconds")
    fraction_end = offset_at.fill_null(text.str.len_chars().cast(INT))
    fraction = (
        pl.when(has_seconds & (text.str.slice(19, 1) == "."))
        .then(text.str.slice(20, (fraction_end - 20).clip(lower_bound=0)))
        .otherwise(None)
    )
    return {
        "iso_year": to_int(text.str.slice(0, 4)),
        "iso_month": to_int(text.str.slice(5, 2)),
        "iso_day": to_int(text.str.slice(8, 2)),
        "iso_hour": to_int(text.str.slice(11, 2)),
        "iso_minute": to_int(text.str.slice(14, 2)),
        "iso_second": pl.when(has_seconds).then(to_int(text.str.slice(17, 2))),
        "iso_fraction_us": fraction_us(fraction),
        "offset_sign": text.str.slice(offset_at, 1),
        "offset_hours": to_int(text.str.slice(offset_at + 1, 2)),
        "offset_minutes": to_int(text.str.slice(offset_at + 3).str.strip_chars_start(":")),
    }


def iso_offset() -> dict[str, pl.Expr]:
    """From `iso_civil`: `offset_us` (null: no offset) and `offset_valid`."""
    zulu = F("offset_sign").is_in(["Z", "z"])
    hours = pl.when(zulu).then(0).otherwise(F("offset_hours"))
    minutes = F("offset_minutes").fill_null(0)
    offset_us = (hours * 3600 + minutes * 60) * US_PER_SECOND
    return {
        "offset_us": pl.when(F("iso") & F("iso_offset_at").is_not_null()).then(
            pl.when(F("offset_sign") == "-").then(-offset_us).otherwise(offset_us)
        ),
        "offset_valid": ~F("iso")
        | F("iso_offset_at").is_null()
        | (hours.is_between(0, 23) & minutes.is_between(0, 59)).fill_null(False),
    }


def epoch_groups() -> pl.Expr:
    text = F("text")
    return pl.when(text.str.contains(EPOCH)).then(text).otherwise(None).str.extract_groups(EPOCH)


def epoch_parts() -> dict[str, pl.Expr]:
    """From `epoch_groups`: `epoch` (matched), sign, significant digits, first 7 decimals."""
    group = F("epoch_groups").struct.field
    return {
        "epoch": group("2").is_not_null(),
        "epoch_negative": group("1") == "-",
        "epoch_digits": group("2").str.strip_chars_start("0"),
        "epoch_fraction7": to_int(group("3").str.slice(0, 7).str.pad_end(7, "0")).fill_null(0),
    }


def epoch_integer() -> dict[str, pl.Expr]:
    """From `epoch_parts`: `epoch_too_large` and `epoch_integer` (Int128 integer part of |x|)."""
    digits = F("epoch_digits")
    too_large = digits.str.len_bytes() > EPOCH_MAX_DIGITS
    return {
        "epoch_too_large": too_large,
        "epoch_integer": pl.when(digits == "")
        .then(wide(0))
        .when(~too_large)
        .then(digits.str.to_integer(dtype=WIDE, strict=False)),
    }


def epoch_us(negative: pl.Expr, integer: pl.Expr, fraction7: pl.Expr) -> pl.Expr:
    """Signed epoch number -> Int128 microseconds, the unit picked by magnitude.

    `integer` is the integer part of |x| (Int128), `fraction7` its first seven
    fractional digits as an Int128 (0.abcdefg -> abcdefg). |x| < 10^k exactly
    when its integer part is, so the integer part alone picks the unit.
    Rounding is half away from zero: on |x|, only the first dropped digit decides.
    """
    ten, five = wide(10), wide(5)
    magnitude = (
        pl.when(integer < wide(10**11))
        .then(integer * wide(10**6) + fraction7 // ten + (fraction7 % ten >= five).cast(WIDE))
        .when(integer < wide(10**14))
        .then(
            integer * wide(10**3)
            + fraction7 // wide(10**4)
            + (fraction7 // wide(10**3) % ten >= five).cast(WIDE)
        )
        .when(integer < wide(10**17))
        .then(integer + (fraction7 // wide(10**6) >= five).cast(WIDE))
        .otherwise(integer // wide(1000) + (integer // wide(100) % ten >= five).cast(WIDE))
    )
    # Polars has no negation for Int128: subtract from zero.
    return pl.when(negative).then(wide(0) - magnitude).otherwise(magnitude)
