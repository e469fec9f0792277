"""`flex` against the naive reference (tests/reference/flex_ref.py) on small random inputs.

Times sit on a coarse grid around the 25-hour day of 2025-10-26 in Paris, with lengths
at the edges of the rules (grace, idle timeout, 24 h 5 min), so that ties and edges
come up often; packs run short, so that denials feed back into the charges.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from unittest import mock

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.audit import Evaluation
from licaudit.models.flex.files import Pack
from tests.models.flex.support import (
    PARIS,
    RATES,
    charge_rows,
    flex_contract,
    ledger_rows,
    pack,
    run,
    units,
    use,
)
from tests.reference import flex_ref

BASE = datetime(2025, 10, 25, 20, tzinfo=UTC)
LENGTHS = [
    timedelta(0),
    timedelta(minutes=5),
    timedelta(minutes=5, seconds=1),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=23, minutes=55),
    timedelta(hours=24, minutes=5),
    timedelta(hours=24, minutes=5, seconds=1),
    timedelta(hours=30),
]

event_strategy = st.builds(
    lambda minute, length, extra, user, product, point: use(
        BASE + timedelta(minutes=5 * minute),
        None if point else length + timedelta(minutes=extra),
        user,
        product,
    ),
    st.integers(0, 12 * 60 // 5 * 6),
    st.sampled_from(LENGTHS),
    st.sampled_from([0, 0, 10, 20, 40]),
    st.sampled_from(["a", "b", "c"]),
    st.sampled_from(["acad", "revit"]),
    st.booleans(),
)

pack_strategy = st.builds(
    lambda hour, tokens, life: (hour, tokens, life),
    st.integers(-48, 72),
    st.integers(1, 40),
    st.one_of(st.none(), st.integers(1, 96)),
)


def packs_of(drawn: list[tuple[int, int, int | None]]) -> list[Pack]:
    packs = []
    for number, (hour, tokens, life) in enumerate(drawn):
        bought = BASE + timedelta(hours=hour)
        expires = None if life is None else bought + timedelta(hours=life)
        packs.append(pack(f"p{number}", bought, tokens, expires))
    return packs


def reference(
    events: list[dict[str, Any]], packs: list[Pack] | None, result: Evaluation
) -> flex_ref.Flex:
    days = result.day_usage["day"].unique().sort()
    last = days[-1]
    from licaudit.periods import build_calendar

    range_end = build_calendar(days[0], last, PARIS).last_end
    pack_rows = None
    if packs is not None:
        pack_rows = [
            {
                "pack_id": p.pack_id,
                "purchased_at": p.purchased_at,
                "tokens": p.tokens,
                "expires_at": p.expires_at,
            }
            for p in packs
        ]
    return flex_ref.flex(events, RATES, pack_rows, PARIS, end_of_range=range_end)


def check(events: list[dict[str, Any]], packs: list[Pack] | None) -> None:
    result = run(events, flex_contract(packs))
    expected = reference(events, packs, result)
    assert charge_rows(result) == [
        (c.user, c.product, c.window_start, c.window_end, c.tokens, c.status)
        for c in expected.charges
    ]
    assert ledger_rows(result) == [
        (r.pack_id, r.time, r.change, r.reason, r.balance) for r in expected.ledger
    ]
    days = result.day_usage["day"].unique().sort().to_list()
    products = sorted({e["product"] for e in events if not e["anonymous"]})
    expected_units = flex_ref.units(expected.charges, days, PARIS, products)
    assert units(result) == {
        (product, day.isoformat()): value for (product, day), value in expected_units.items()
    }


@settings(max_examples=150)
@given(st.lists(event_strategy, min_size=1, max_size=12))
def test_flex_charges_match_the_reference_without_packs(events: list[dict[str, Any]]) -> None:
    check(events, None)


@settings(max_examples=150)
@given(
    st.lists(event_strategy, min_size=1, max_size=12),
    st.lists(pack_strategy, min_size=0, max_size=3),
)
def test_flex_charges_and_ledger_match_the_reference_with_packs(
    events: list[dict[str, Any]], drawn: list[tuple[int, int, int | None]]
) -> None:
    check(events, packs_of(drawn))


@settings(max_examples=150)
@given(
    st.lists(event_strategy, min_size=1, max_size=12),
    st.lists(pack_strategy, min_size=0, max_size=3),
)
def test_flex_ledger_walk_alone_matches_the_reference(
    events: list[dict[str, Any]], drawn: list[tuple[int, int, int | None]]
) -> None:
    with mock.patch("licaudit.models.flex.one_line", return_value=False):
        check(events, packs_of(drawn))


@settings(max_examples=150)
@given(
    st.lists(event_strategy, min_size=1, max_size=12),
    st.lists(st.tuples(st.integers(0, 72), st.integers(1, 20)), max_size=3),
)
def test_flex_vectorized_ledger_matches_the_reference_when_packs_cover_the_burn(
    events: list[dict[str, Any]], expiring: list[tuple[int, int]]
) -> None:
    # Small packs expiring on the hour grid (ties with charges), drawn in their order,
    # and a large one behind them: the one-line path, where no charge is denied.
    bought = BASE - timedelta(days=1)
    hours = sorted(hour for hour, _ in expiring)
    sizes = sorted(tokens for _, tokens in expiring)  # on one expiry date, smaller first
    packs = [
        pack(f"p{n}", bought, tokens, BASE + timedelta(hours=hour))
        for n, (hour, tokens) in enumerate(zip(hours, sizes, strict=True))
    ]
    packs.append(pack("reserve", bought, 10_000))
    with mock.patch("licaudit.models.flex.walk", side_effect=AssertionError("walk used")):
        check(events, packs)


def test_property_inputs_are_polars_frames() -> None:
    # The strategies build rows the canonical schema accepts.
    frame = pl.DataFrame([use(BASE)])
    assert frame.height == 1
