"""Small builders shared by the flex tests: events, contracts, packs, and a run."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl

from licaudit.audit import Evaluation, evaluate
from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.models.base import Contract
from licaudit.models.flex import FlexOptions
from licaudit.models.flex.files import Pack, Packs, Rates, default_expiry
from licaudit.periods import build_calendar

PARIS = "Europe/Paris"
RATES = {"acad": 6, "revit": 10}
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)
T0 = datetime(2025, 1, 6, 8, tzinfo=UTC)  # a Monday, 09:00 in Paris
INSTANT = pl.Datetime("us", "UTC")
BOUGHT = datetime(2025, 1, 1, tzinfo=UTC)


def use(
    start: datetime,
    length: timedelta | None = HOUR,
    user: str | None = "u",
    product: str = "acad",
    *,
    device: str | None = None,
    anonymous: bool = False,
) -> dict[str, Any]:
    """One event: ``user`` on ``product`` from ``start`` for ``length`` (None: a point)."""
    return {
        "ts": start,
        "end": None if length is None else start + length,
        "user": user,
        "anonymous": anonymous or user is None,
        "method": "desktop",
        "product": product,
        "session": None,
        "device": device,
    }


def rates(table: dict[str, int] | None = None) -> Rates:
    return Rates(Path("flex_rates.csv"), tuple((table or RATES).items()))


def pack(
    pack_id: str, purchased_at: datetime, tokens: int, expires_at: datetime | None = None
) -> Pack:
    return Pack(pack_id, purchased_at, tokens, expires_at or default_expiry(purchased_at))


def flex_contract(
    packs: Sequence[Pack] | None = None,
    table: dict[str, int] | None = None,
    timezone: str = PARIS,
    scope: tuple[str, ...] | None = None,
    **options: Any,
) -> Contract:
    pack_file = None if packs is None else Packs(Path("flex_packs.csv"), tuple(packs))
    return Contract(
        name="autodesk",
        model="flex",
        timezone=timezone,
        scope=scope,
        options=FlexOptions(rates=rates(table), packs=pack_file, **options),
    )


def run(
    events: Sequence[dict[str, Any]],
    contract: Contract | None = None,
    first: date | None = None,
    last: date | None = None,
) -> Evaluation:
    """The model over ``events`` on local days ``first..last`` (default: the events' days)."""
    contract = contract or flex_contract()
    frame = pl.DataFrame(list(events), schema=EVENT_SCHEMA)
    if first is None or last is None:
        days = frame.select(pl.col("ts").dt.convert_time_zone(contract.timezone).dt.date())["ts"]
        first, last = days.min(), days.max()  # type: ignore[assignment]
    assert first is not None and last is not None
    return evaluate(frame, contract, build_calendar(first, last, contract.timezone))


def charge_rows(result: Evaluation) -> list[tuple[Any, ...]]:
    """(user, product, window_start, window_end, tokens, status) in ledger order."""
    frame = result.details["charges"]
    return list(
        frame.select(
            "user", "product", "window_start", "window_end", "tokens", "status"
        ).iter_rows()
    )


def window_starts(result: Evaluation) -> list[datetime]:
    return [row[2] for row in charge_rows(result) if row[5] == "charged"]


def ledger_rows(result: Evaluation) -> list[tuple[Any, ...]]:
    frame = result.details["ledger"]
    return list(frame.select("pack_id", "time", "change", "reason", "balance").iter_rows())


def units(result: Evaluation) -> dict[tuple[str, str], int]:
    return {
        (scope, day.isoformat()): value
        for scope, day, value in result.day_usage.select("scope", "day", "units").iter_rows()
    }


def coded(events: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """Events with ``user`` and ``product`` replaced by codes in name order, as the core does."""
    frame = pl.DataFrame(list(events), schema=EVENT_SCHEMA)
    return frame.with_columns(
        pl.col(column).rank("dense").cast(pl.UInt32) - 1 for column in ("user", "product")
    )


def stretch_frame(minutes: Sequence[tuple[int, int]]) -> pl.DataFrame:
    """One key's stretches, given as (start, end) minutes after ``T0``."""
    return pl.DataFrame(
        {
            "user": [0] * len(minutes),
            "product": [0] * len(minutes),
            "start": [T0 + start * MINUTE for start, _ in minutes],
            "end": [T0 + end * MINUTE for _, end in minutes],
        },
        schema={"user": pl.UInt32(), "product": pl.UInt32(), "start": INSTANT, "end": INSTANT},
    )
