"""Events written by hand for the model tests: one dict a row, then a canonical frame."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import polars as pl

from licaudit.ingest.events import EVENT_SCHEMA
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
