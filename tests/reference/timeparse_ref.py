"""A deliberately naive reading of timestamps, one value at a time (SPEC 1.2, 1.4).

The oracle for ``licaudit.ingest.timeparse``: regular expressions, ``datetime`` for
calendar validity, ``zoneinfo`` for local time, ``Decimal`` for exact epoch and
fraction rounding. Nothing here is shared with the vectorized module.

Values are returned as integer microseconds since the UTC epoch, so instants
outside Python's datetime range (year 0, or past 9999 after rounding) can still
be compared.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Literal
from zoneinfo import ZoneInfo

DateOrder = Literal["dmy", "mdy"]

# Unicode White_Space: what Polars' (Rust's) trim removes. Python's str.strip()
# would also remove \x1c-\x1f, which are not whitespace for Rust.
WHITESPACE = (
    "\t\n\x0b\x0c\r \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)

ISO = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?)?",
    re.ASCII,
)
SLASH = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?",
    re.ASCII,
)
EPOCH = re.compile(r"[+-]?\d+(?:\.\d+)?", re.ASCII)

US = timedelta(microseconds=1)
EPOCH_NAIVE = datetime(1970, 1, 1)
RANGE_START_US = (datetime(1990, 1, 1) - EPOCH_NAIVE) // US
RANGE_END_US = (datetime(2100, 1, 1) - EPOCH_NAIVE) // US
I64_MIN, I64_MAX = -(2**63), 2**63 - 1
# The Gregorian calendar, weekdays included, repeats every 400 years.
CYCLE = timedelta(days=146_097)

Result = tuple[int | None, str | None]


Civil = tuple[int, int, int, int, int, int]
"""year, month, day, hour, minute, second"""


def civil(
    year: str, month: str, day: str, hour: str | None, minute: str | None, second: str | None
) -> Civil:
    return int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)


def civil_datetime(fields: Civil) -> datetime:
    """The naive datetime, or ValueError when impossible.

    Year 0 (1 BC, valid in ISO 8601's proleptic calendar) is beyond Python's
    datetime: it is read 400 years later, which ``wall_us`` moves back.
    """
    year, month, day, hour, minute, second = fields
    return datetime(400 if year == 0 else year, month, day, hour, minute, second)


def wall_us(fields: Civil, fraction: str | None) -> int:
    """Microseconds since 1970-01-01 of a wall-clock reading (ValueError when impossible)."""
    micros = (civil_datetime(fields) - EPOCH_NAIVE) // US
    if fields[0] == 0:
        micros -= CYCLE // US
    if fraction:
        micros += int((Decimal("0." + fraction) * 1_000_000).quantize(Decimal(1), ROUND_HALF_UP))
    return micros


def local_to_utc_us(wall: int, input_tz: str) -> int:
    """Wall-clock microseconds in ``input_tz`` -> UTC microseconds, as zoneinfo does with
    fold=0: first occurrence in a repeated hour, offset before the transition in a gap."""
    shift = 0
    while True:
        try:
            moment = EPOCH_NAIVE + (wall + shift) * US
        except OverflowError:
            shift += (CYCLE // US) if wall < 0 else -(CYCLE // US)
            continue
        if moment.year in (1, 9999):  # too close to the edge for utcoffset's arithmetic
            shift += (CYCLE // US) if moment.year == 1 else -(CYCLE // US)
            continue
        break
    offset = moment.replace(tzinfo=ZoneInfo(input_tz)).utcoffset()
    assert offset is not None
    return wall - offset // US


def epoch_us(text: str) -> int:
    """An epoch number -> microseconds, unit by magnitude, ties rounded away from zero."""
    with localcontext() as context:
        context.prec = len(text) + 30
        number = Decimal(text)
        magnitude = abs(number)
        if magnitude < 10**11:
            scaled = number * 10**6
        elif magnitude < 10**14:
            scaled = number * 10**3
        elif magnitude < 10**17:
            scaled = number
        else:
            scaled = number / 1000
        return int(scaled.quantize(Decimal(1), ROUND_HALF_UP))


def in_range(utc: int) -> Result:
    if not I64_MIN <= utc <= I64_MAX:
        return None, "out_of_range"
    if RANGE_START_US <= utc < RANGE_END_US:
        return utc, None
    return utc, "out_of_range"


def parse(raw: str | None, input_tz: str, date_order: DateOrder) -> Result:
    """One value -> (UTC microseconds or None, problem or None)."""
    if raw is None:
        return None, "missing"
    text = raw.strip(WHITESPACE)
    if not text:
        return None, "missing"

    if match := ISO.fullmatch(text):
        year, month, day, hour, minute, second, fraction, zulu, sign, off_h, off_m = match.groups()
        try:
            wall = wall_us(civil(year, month, day, hour, minute, second), fraction)
        except ValueError:
            return None, "unparseable"
        if zulu:
            return in_range(wall)
        if sign:
            hours, minutes = int(off_h), int(off_m or 0)
            if hours > 23 or minutes > 59:
                return None, "unparseable"
            offset = (hours * 3600 + minutes * 60) * 1_000_000
            return in_range(wall - offset if sign == "+" else wall + offset)
        return in_range(local_to_utc_us(wall, input_tz))

    if match := SLASH.fullmatch(text):
        first, second_field, year, hour, minute, second, fraction = match.groups()
        day, month = (first, second_field) if date_order == "dmy" else (second_field, first)
        try:
            wall = wall_us(civil(year, month, day, hour, minute, second), fraction)
        except ValueError:
            return None, "unparseable"
        return in_range(local_to_utc_us(wall, input_tz))

    if EPOCH.fullmatch(text):
        return in_range(epoch_us(text))

    return None, "unparseable"


def slash_possible(text: str, date_order: DateOrder) -> bool | None:
    """Whether a slash value is a valid date and time in ``date_order`` (None: not a slash date)."""
    match = SLASH.fullmatch(text.strip(WHITESPACE))
    if match is None:
        return None
    first, second_field, year, hour, minute, second, _ = match.groups()
    day, month = (first, second_field) if date_order == "dmy" else (second_field, first)
    try:
        civil_datetime(civil(year, month, day, hour, minute, second))
    except ValueError:
        return False
    return True


def decide_date_order(values: list[str | None]) -> DateOrder:
    """Month-first iff some slash value is impossible day-first and none impossible month-first."""
    impossible_dmy = impossible_mdy = False
    for value in values:
        if value is None:
            continue
        if slash_possible(value, "dmy") is False:
            impossible_dmy = True
        if slash_possible(value, "mdy") is False:
            impossible_mdy = True
    return "mdy" if impossible_dmy and not impossible_mdy else "dmy"
