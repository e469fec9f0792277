"""Local days and months of a contract's timezone (SPEC 3, "Timezone" and "Report range").

A day is ``[local midnight, next local midnight)``: 23 or 25 hours on DST days.
Where local midnight does not exist (a DST jump at midnight), the day starts at
the first instant whose local date is that day, which is what assigning events
with ``convert_time_zone(...).dt.date()`` does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

UTC = ZoneInfo("UTC")
# How every instant is written in output: UTC, microseconds, a trailing Z.
TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S%.6fZ"


@dataclass(frozen=True)
class Calendar:
    """The report range as local days of one timezone.

    ``days`` has one row per local day: ``day`` (Date), ``start`` and ``end``
    (Datetime us UTC), the day being ``[start, end)``.
    """

    timezone: str
    days: pl.DataFrame

    @property
    def first_start(self) -> Any:
        return self.days["start"][0]

    @property
    def last_end(self) -> Any:
        return self.days["end"][-1]

    def day_of(self, instant: pl.Expr) -> pl.Expr:
        """The local day of a Datetime(us, UTC) expression; null outside the calendar.

        Same answer as ``local_day``, found by binary search of the day starts: a
        timezone conversion per event costs several times more on large inputs.
        """
        count = self.days.height
        if count == 0:
            return pl.lit(None, pl.Date)
        # One search over the day starts plus the range's end, then one gather from
        # the days framed by nulls: 0 (before the first day, or a null instant) and
        # count + 1 (at or after the end) land on the nulls. Casts, an index
        # shift and a when/then per event cost three times the search itself;
        # rechunked, since a search over several chunks is three times slower too.
        bounds = pl.concat([self.days["start"], self.days["end"].tail(1)], rechunk=True)
        null_day = pl.Series([None], dtype=pl.Date())
        framed = pl.concat([null_day, self.days["day"], null_day], rechunk=True)
        return pl.lit(framed).gather(pl.lit(bounds).search_sorted(instant, side="right"))


def local_day(instant: pl.Expr, timezone: str) -> pl.Expr:
    """The local calendar day, in ``timezone``, of a Datetime(us, UTC) expression."""
    return instant.dt.convert_time_zone(timezone).dt.date()


def day_start(day: date, timezone: str) -> datetime:
    """The first instant (UTC) of a local day.

    Local midnight, or, when a DST jump skips midnight, the transition instant:
    zoneinfo's fold=0 reads a skipped time with the offset before the jump, which
    lands exactly on the transition.
    """
    local = datetime(day.year, day.month, day.day, tzinfo=ZoneInfo(timezone))
    return local.astimezone(UTC)


def build_calendar(first: date, last: date, timezone: str) -> Calendar:
    """Every local day from ``first`` to ``last`` inclusive (empty when last < first)."""
    count = (last - first).days + 1
    days = [first + timedelta(days=offset) for offset in range(max(count, 0))]
    # One zoneinfo call per day of the range: a few hundred at most, never per event.
    bounds = [day_start(day, timezone) for day in [*days, last + timedelta(days=1)]]
    frame = pl.DataFrame(
        {"day": days, "start": bounds[:-1], "end": bounds[1:]},
        schema={
            "day": pl.Date(),
            "start": pl.Datetime("us", "UTC"),
            "end": pl.Datetime("us", "UTC"),
        },
    )
    return Calendar(timezone=timezone, days=frame)
