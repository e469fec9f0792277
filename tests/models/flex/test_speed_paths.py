"""`flex` fast paths against the plain ones they replace (stretches, charges, ledger).

The packed-integer sorts fall back to sorts on several columns when codes and times do
not fit in 62 bits, and the walk denies a run-out's offers together: each pair must give
the same rows, in the same order, with the same types.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from unittest import mock

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from licaudit.models.flex import charges as charges_module
from licaudit.models.flex import ledger as ledger_module
from licaudit.models.flex.charges import NEVER, charge_counts, ledger_order, micros
from licaudit.models.flex.findings import device_blocks
from licaudit.models.flex.ledger import consumption_order, walk
from licaudit.models.flex.stretches import KEY, _sorted_merge, merged_spans, stretches

INSTANT = pl.Datetime("us", "UTC")
BASE = datetime(2025, 3, 1, tzinfo=UTC)
MINUTE = timedelta(minutes=1)
MICRO = timedelta(microseconds=1)
IDLE = timedelta(minutes=15)
WINDOW = timedelta(hours=24)
GRACE = timedelta(minutes=5)

span_strategy = st.tuples(
    st.integers(0, 3),  # user
    st.integers(0, 2),  # product
    st.integers(0, 6 * 24 * 12).map(lambda step: step * 5),  # start, minutes
    st.sampled_from([0, 0, 5, 6, 15, 60, 23 * 60 + 55, 24 * 60 + 5, 24 * 60 + 6, 30 * 60]),
)


def usage(spans: list[tuple[int, int, int, int]], user_offset: int = 0) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user": [user + user_offset for user, _, _, _ in spans],
            "product": [product for _, product, _, _ in spans],
            "start": [BASE + start * MINUTE for _, _, start, _ in spans],
            "stop": [BASE + (start + length) * MINUTE for _, _, start, length in spans],
        },
        schema={"user": pl.UInt32(), "product": pl.UInt32(), "start": INSTANT, "stop": INSTANT},
    )


@settings(max_examples=150)
@given(st.lists(span_strategy, max_size=25))
def test_flex_packed_stretches_equal_the_three_column_sort(
    spans: list[tuple[int, int, int, int]],
) -> None:
    frame = usage(spans)
    expected = _sorted_merge(frame, KEY, IDLE)
    packed = merged_spans(frame.lazy(), KEY, IDLE)
    if frame.height:
        assert packed is not None
        assert_frame_equal(packed, expected)
    assert_frame_equal(stretches(frame.lazy(), IDLE), expected)


@settings(max_examples=150)
@given(st.lists(span_strategy.map(lambda span: (*span[:3], 0)), max_size=25), st.integers(0, 20))
def test_flex_stretches_of_points_sort_once_and_equal_the_three_column_sort(
    spans: list[tuple[int, int, int, int]], gap_minutes: int
) -> None:
    # Every stop is its start (no end): the ends sorted are the starts sorted plus the gap.
    frame = usage(spans)
    gap = gap_minutes * MINUTE
    packed = merged_spans(frame.lazy(), KEY, gap)
    if frame.height:
        assert packed is not None
        assert_frame_equal(packed, _sorted_merge(frame, KEY, gap))


@settings(max_examples=100)
@given(st.lists(span_strategy, max_size=25), st.lists(st.integers(0, 2), min_size=25, max_size=25))
def test_device_blocks_packed_equal_the_sort_on_user_product_device_and_start(
    spans: list[tuple[int, int, int, int]], devices: list[int]
) -> None:
    # Device blocks merge what overlaps or touches: gap 0, three keys.
    frame = usage(spans).with_columns(device_code=pl.Series(devices[: len(spans)], dtype=pl.UInt32))
    keys = ("user", "product", "device_code")
    expected = _sorted_merge(frame, keys, timedelta(0))
    packed = merged_spans(frame.lazy(), keys, timedelta(0))
    if frame.height:
        assert packed is not None
        assert_frame_equal(packed, expected)
    assert_frame_equal(device_blocks(frame).rename({"stop": "end"}), expected)


def test_flex_stretches_pack_codes_less_their_smallest() -> None:
    frame = usage([(0, 0, 0, 60), (3, 1, 10, 5)], user_offset=2**31)
    packed = merged_spans(frame.lazy(), KEY, IDLE)
    assert packed is not None
    assert_frame_equal(packed, _sorted_merge(frame, KEY, IDLE))


@settings(max_examples=40)
@given(st.lists(span_strategy, min_size=1, max_size=25), st.sampled_from([2**20, 2**31]))
def test_flex_stretches_of_users_too_far_apart_to_pack_are_numbered_densely_first(
    spans: list[tuple[int, int, int, int]], spread: int
) -> None:
    # Users 0-1 and spread + (2-3): with 40 bits of times their codes do not fit together.
    frame = usage(spans).with_columns(
        user=pl.when(pl.col("user") >= 2).then(pl.col("user") + spread).otherwise("user")
    )
    frame = pl.concat([frame, frame.head(1).with_columns(start=pl.lit(BASE + 2**39 * MICRO))])
    frame = frame.with_columns(stop=pl.max_horizontal("start", "stop")).cast({"user": pl.UInt32})
    packed = merged_spans(frame.lazy(), KEY, IDLE)
    assert packed is not None
    assert_frame_equal(packed, _sorted_merge(frame, KEY, IDLE))


def test_flex_stretches_fall_back_when_times_do_not_fit_in_62_bits() -> None:
    # 2**62 µs is about 146,000 years: a span this long leaves no room for keys.
    frame = usage([(0, 0, 0, 60), (3, 1, 10, 5)]).with_columns(
        stop=pl.col("stop") + pl.duration(days=365 * 150_000)
    )
    assert merged_spans(frame.lazy(), KEY, IDLE) is None
    assert_frame_equal(stretches(frame.lazy(), IDLE), _sorted_merge(frame, KEY, IDLE))


def test_flex_stretches_fall_back_when_an_end_comes_before_its_start() -> None:
    frame = usage([(0, 0, 60, 10)]).with_columns(stop=pl.col("start") - MINUTE)
    assert merged_spans(frame.lazy(), KEY, IDLE) is None
    assert stretches(frame.lazy(), IDLE).height == 1


def naive_charge_counts(frame: pl.DataFrame) -> list[tuple[int, int]]:
    """(first_charge, charges) of each stretch, key by key, as SPEC 3.7 rule 2 reads."""
    width, free = micros(WINDOW), micros(GRACE)
    rows = []
    window_end, key = NEVER, None
    for user, product, start, end in frame.select(
        "user", "product", pl.col("start").dt.epoch("us"), pl.col("end").dt.epoch("us")
    ).iter_rows():
        if (user, product) != key:
            window_end, key = NEVER, (user, product)
        first = max(start, window_end)
        count = max(0, -((first + free - end) // width))
        rows.append((first, count))
        if count:
            window_end = first + count * width
    return rows


@settings(max_examples=150)
@given(st.lists(span_strategy, max_size=30))
def test_flex_charge_counts_walk_runs_as_the_rule_reads(
    spans: list[tuple[int, int, int, int]],
) -> None:
    spans_frame = stretches(usage(spans).lazy(), IDLE)
    counted = charge_counts(spans_frame, WINDOW, GRACE)
    assert counted.select("user", "product", "start", "end").equals(spans_frame)
    assert counted.select("first_charge", "charges").rows() == naive_charge_counts(spans_frame)


@settings(max_examples=100)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.integers(0, 3), st.integers(-5, 5), st.booleans()),
        max_size=20,
        unique_by=lambda row: (row[0], row[1], row[2]),
    ),
    st.booleans(),
)
def test_flex_ledger_order_by_packed_integer_equals_the_three_column_sort(
    rows: list[tuple[int, int, int, bool]], with_denied: bool
) -> None:
    frame = pl.DataFrame(
        rows,
        schema={
            "user": pl.UInt32(),
            "product": pl.UInt32(),
            "window_start": pl.Int64(),
            "denied": pl.Boolean(),
        },
        orient="row",
    )
    if not with_denied:
        frame = frame.drop("denied")
    expected = frame.sort("window_start", "user", "product")
    assert_frame_equal(ledger_order(frame), expected)
    with mock.patch.object(charges_module, "PACKED_BITS", 0):
        assert_frame_equal(ledger_order(frame), expected)


@settings(max_examples=100)
@given(
    st.lists(span_strategy, min_size=1, max_size=25),
    st.lists(
        st.tuples(st.integers(-24, 6 * 24), st.integers(1, 40), st.integers(1, 96)), max_size=3
    ),
)
def test_flex_walk_denies_a_run_out_at_once_as_one_offer_at_a_time(
    spans: list[tuple[int, int, int, int]], drawn: list[tuple[int, int, int]]
) -> None:
    spans_frame = stretches(usage(spans).lazy(), IDLE)
    rates = pl.DataFrame(
        {"product": [0, 1, 2], "tokens_per_day": [6, 10, 4]},
        schema={"product": pl.UInt32(), "tokens_per_day": pl.Int64()},
    )
    packs = pl.DataFrame(
        {
            "pack_id": [f"p{n}" for n in range(len(drawn))],
            "purchased_at": [BASE + timedelta(hours=hour) for hour, _, _ in drawn],
            "tokens": [tokens for _, tokens, _ in drawn],
            "expires_at": [BASE + timedelta(hours=hour + life) for hour, _, life in drawn],
        },
        schema={
            "pack_id": pl.String(),
            "purchased_at": INSTANT,
            "tokens": pl.Int64(),
            "expires_at": INSTANT,
        },
    )
    ordered = consumption_order(packs, "Europe/Paris")
    range_end = BASE + timedelta(days=7)
    together = walk(spans_frame, rates, ordered, WINDOW, GRACE, range_end)
    with mock.patch.object(ledger_module, "PACKED_BITS", 0):
        one_by_one = walk(spans_frame, rates, ordered, WINDOW, GRACE, range_end)
    assert_frame_equal(together.charges, one_by_one.charges)
    assert_frame_equal(together.ledger, one_by_one.ledger)
