"""Events written by hand for the model tests: one dict a row, then a canonical frame."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import strategies as st

from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.periods import Calendar, build_calendar
from tests.conftest import utc


def ev(
    ts: str,
    user: str | None = "alice",
    method: str = "web",
    *,
    anonymous: bool | None = None,
    session: str | None = None,
    product: str = "default",
) -> dict[str, Any]:
    """One event; a row without user is anonymous unless told otherwise."""
    return {
        "ts": utc(ts),
        "end": None,
        "user": user,
        "anonymous": user is None if anonymous is None else anonymous,
        "method": method,
        "product": product,
        "session": session,
        "device": None,
    }


def frame(events: Sequence[dict[str, Any]]) -> pl.DataFrame:
    return pl.DataFrame(list(events), schema=EVENT_SCHEMA)


def days_between(first: date, last: date) -> list[date]:
    """Every date from ``first`` to ``last``, both included."""
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


def report_days(rows: Sequence[dict[str, Any]], timezone: str) -> list[date]:
    """The report range: local days of the earliest and latest event."""
    local = frame(rows).select(pl.col("ts").dt.convert_time_zone(timezone).dt.date())["ts"]
    first, last = local.min(), local.max()
    assert isinstance(first, date) and isinstance(last, date)
    return days_between(first, last)


def calendar_around(
    data: st.DataObject, days: Sequence[date], timezone: str
) -> tuple[Calendar, list[date]]:
    """A calendar drawn within a day either side of ``days`` (the events' report range):
    any run of those days, so that events may come before it, after it, or both; with
    its days."""
    around = [days[0] - timedelta(days=1), *days, days[-1] + timedelta(days=1)]
    first = data.draw(st.sampled_from(around))
    last = data.draw(st.sampled_from([day for day in around if day >= first]))
    return build_calendar(first, last, timezone), days_between(first, last)
