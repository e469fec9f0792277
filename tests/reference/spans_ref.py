"""A deliberately naive reference of the daily peak of half-open spans (SPEC 3, "Half-open time").

No polars, no sweep: the count at an instant ``t`` is recounted from every span
(``start <= t < end``, ``end`` None = never ends) at every instant where it can change
within a day, the day's start and each span start or end inside the day. The property
tests compare ``licaudit.models.spans.daily_peaks`` with it on generated spans.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import TypeVar

Key = TypeVar("Key", bound=Hashable)

Span = tuple[Key, datetime, datetime | None]
"""(group key, start, end or None)."""
Day = tuple[date, datetime, datetime]
"""(local day, first instant, first instant of the next day)."""
DayPeak = tuple[int, datetime | None, timedelta | None]
"""(peak, first instant of the peak or None when 0, time strictly above ``over`` or None)."""


def active(spans: Iterable[tuple[datetime, datetime | None]], instant: datetime) -> int:
    """How many spans hold ``instant``: ``start <= instant < end``."""
    return sum(1 for start, end in spans if start <= instant and (end is None or instant < end))


def daily_peaks_ref(
    spans: Sequence[Span[Key]],
    days: Sequence[Day],
    over: int | None,
    keys: Iterable[Key] | None = None,
) -> dict[tuple[Key, date], DayPeak]:
    """Peak, first peak instant and time above ``over`` of every (key, day).

    ``keys`` are the groups to report, by default every key found in ``spans``.
    """
    groups = set(keys) if keys is not None else {key for key, _, _ in spans}
    result: dict[tuple[Key, date], DayPeak] = {}
    for key in groups:
        own = [(start, end) for span_key, start, end in spans if span_key == key]
        for day, day_start, day_end in days:
            candidates = {day_start}
            for start, end in own:
                for instant in (start, end):
                    if instant is not None and day_start <= instant < day_end:
                        candidates.add(instant)
            instants = sorted(candidates)
            counts = [active(own, instant) for instant in instants]
            peak = max(counts)
            peak_at = instants[counts.index(peak)] if peak > 0 else None
            time_over: timedelta | None = None
            if over is not None:
                time_over = timedelta(0)
                # The count only changes at a candidate: it holds until the next one.
                for instant, following, count in zip(
                    instants, [*instants[1:], day_end], counts, strict=True
                ):
                    if count > over:
                        time_over += following - instant
            result[(key, day)] = (peak, peak_at, time_over)
    return result
