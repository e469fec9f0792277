"""`flex` device usage (``devices.py``): the chained-spans filter and the packed keys it
relies on, each rule on a hand-computed case; then the device findings it feeds against a
naive reading (``tests/reference/flex_ref.py``) and against the implementation it replaced
(``device_oracle.py``), on random logs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from licaudit.audit import prepare
from licaudit.ingest.encode import CODE, Names
from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.models.flex import devices as devices_module
from licaudit.models.flex.devices import Packing, chained_spans, device_usage, devices_of_keys
from licaudit.models.flex.findings import FINDINGS_SCHEMA, device_findings
from licaudit.periods import Calendar, build_calendar
from tests.conftest import utc
from tests.models.flex import device_oracle
from tests.models.flex.support import PARIS, use
from tests.reference import flex_ref

INSTANT = pl.Datetime("us", "UTC")
MICRO = timedelta(microseconds=1)
MINUTE = timedelta(minutes=1)
# 23:30 in Paris on the eve of the 25-hour day: spans cross midnight and the DST switch.
BASE = utc("2025-10-25 21:30")
Span = tuple[int, int, str, int, int | None]  # user, product, device, start µs, stop µs


def usage_of(spans: list[Span], user_offset: int = 0, product_offset: int = 0) -> pl.DataFrame:
    """A ``device_usage`` frame: (user, product, device, start, stop) in µs after ``BASE``
    (stop None: a point)."""
    return pl.DataFrame(
        {
            "user": [user + user_offset for user, *_ in spans],
            "product": [product + product_offset for _, product, *_ in spans],
            "device": [device for _, _, device, *_ in spans],
            "start": [BASE + start * MICRO for *_, start, _ in spans],
            "stop": [
                BASE + (start + 1 if stop is None else stop) * MICRO for *_, start, stop in spans
            ],
        },
        schema={
            "user": CODE,
            "product": CODE,
            "device": pl.Categorical(),
            "start": INSTANT,
            "stop": INSTANT,
        },
    )


def chained(spans: list[Span]) -> list[Span]:
    """The spans ``chained_spans`` keeps, in their order."""
    usage = usage_of(spans)
    kept = chained_spans(usage, Packing.of(usage))
    rows = kept.select(
        "user",
        "product",
        pl.col("device").cast(pl.String),
        (pl.col("start") - BASE).dt.total_microseconds(),
        (pl.col("stop") - BASE).dt.total_microseconds(),
    ).rows()
    return [(user, product, device, start, stop) for user, product, device, start, stop in rows]


def spans_with_stops(spans: list[Span]) -> list[Span]:
    return [(u, p, d, start, start + 1 if stop is None else stop) for u, p, d, start, stop in spans]


# --- Which rows the filter keeps ------------------------------------------------------------


def test_device_spans_chained_to_no_other_span_of_their_key_are_left_out() -> None:
    # A alone, then B alone (touching nothing), then A and B overlapping: only the last two.
    spans: list[Span] = [(0, 0, "A", 0, 10), (0, 0, "B", 20, 30)]
    spans += [(0, 0, "A", 40, 50), (0, 0, "B", 45, 46)]
    assert chained(spans) == spans_with_stops(spans[2:])


def test_device_spans_that_touch_chain_as_they_merge_into_a_block() -> None:
    # [0, 5) and [5, 10) of A touch (one block); B from 10 touches that block: all chained,
    # though B overlaps nothing. B from 12 is alone.
    spans: list[Span] = [(0, 0, "A", 0, 5), (0, 0, "A", 5, 10), (0, 0, "B", 10, 11)]
    spans.append((0, 0, "B", 12, 13))
    assert chained(spans) == spans_with_stops(spans[:3])


def test_device_chain_runs_while_a_start_is_at_or_before_the_largest_stop_so_far() -> None:
    # A's long span holds B at 10 and at 50 (B's first span stops long before 50, A's does
    # not); A touching at 100 continues the chain; B at 102 starts one of its own.
    spans: list[Span] = [(0, 0, "A", 0, 100), (0, 0, "B", 10, 11), (0, 0, "B", 50, 51)]
    spans += [(0, 0, "A", 100, 101), (0, 0, "B", 102, 103)]
    assert chained(spans) == spans_with_stops(spans[:4])


def test_device_point_events_chain_when_a_microsecond_apart_or_at_the_same_one() -> None:
    # Points at 0 and 1 touch; 3 is alone; two at 5 overlap (on one device or two).
    spans: list[Span] = [(0, 0, "A", 0, None), (0, 0, "B", 1, None), (0, 0, "A", 3, None)]
    spans += [(0, 0, "A", 5, None), (0, 0, "A", 5, None)]
    assert chained(spans) == spans_with_stops([*spans[:2], *spans[3:]])


def test_device_spans_at_one_start_are_never_alone() -> None:
    # Rows are found by their packed start: the alone spans' starts when they are the more
    # (here 4 of 6), the chained ones' otherwise; two spans at one start always chain.
    spans: list[Span] = [(0, 0, "A", start, None) for start in (0, 10, 20, 30)]
    spans += [(0, 0, "A", 40, 45), (0, 0, "B", 40, None)]
    assert chained(spans) == spans_with_stops(spans[4:])
    assert chained(spans[3:]) == spans_with_stops(spans[4:])


def test_device_chains_are_per_key() -> None:
    # The same instants for another user and another product chain with nothing.
    spans: list[Span] = [(0, 0, "A", 0, 10), (1, 0, "B", 5, 15), (0, 1, "B", 5, 15)]
    spans.append((0, 0, "B", 5, 6))
    assert chained(spans) == spans_with_stops([spans[0], spans[3]])


def test_device_chains_keep_all_rows_when_key_and_time_do_not_fit_in_62_bits() -> None:
    spans: list[Span] = [(0, 0, "A", 0, 10), (3, 1, "B", 20, 30)]
    usage = usage_of(spans).with_columns(stop=pl.col("stop") + timedelta(days=365 * 150_000))
    assert_frame_equal(chained_spans(usage, Packing.of(usage)), usage)


span_strategy = st.tuples(
    st.integers(0, 2),  # user
    st.integers(0, 1),  # product
    st.sampled_from("ABC"),
    st.integers(0, 40),  # start, µs
    st.one_of(st.none(), st.integers(1, 12)),  # length, µs (None: a point)
)


def spans_of(drawn: list[tuple[int, int, str, int, int | None]]) -> list[Span]:
    return [(u, p, d, start, None if n is None else start + n) for u, p, d, start, n in drawn]


@settings(max_examples=150, deadline=None)
@given(st.lists(span_strategy, min_size=1, max_size=30))
def test_device_chains_are_the_spans_that_overlap_or_touch_another_through_a_chain(
    drawn: list[tuple[int, int, str, int, int | None]],
) -> None:
    spans = spans_with_stops(spans_of(drawn))
    # Naively: spans of one key that overlap or touch are linked; a span is kept when it is
    # linked to another, directly or through others.
    chain = {i: i for i in range(len(spans))}

    def root(i: int) -> int:
        while chain[i] != i:
            i = chain[i]
        return i

    for i, a in enumerate(spans):
        for j, b in enumerate(spans):
            if a[:2] == b[:2] and b[3] <= a[4] and a[3] <= b[4]:
                chain[root(i)] = root(j)
    sizes: dict[int, int] = {}
    for i in range(len(spans)):
        sizes[root(i)] = sizes.get(root(i), 0) + 1
    expected = sorted(span for i, span in enumerate(spans) if sizes[root(i)] > 1)
    assert sorted(chained(spans_of(drawn))) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(span_strategy, min_size=1, max_size=30))
def test_device_point_stops_are_their_starts_plus_one_without_a_sort_of_their_own(
    drawn: list[tuple[int, int, str, int, int | None]],
) -> None:
    points = [(u, p, d, start, None) for u, p, d, start, _ in drawn]
    usage = usage_of(spans_of(points))
    packing = Packing.of(usage)
    assert packing.points
    assert_frame_equal(
        chained_spans(usage, packing), chained_spans(usage, replace(packing, points=False))
    )


# --- Keys and devices as packed integers ----------------------------------------------------


def test_device_pairs_pack_codes_less_their_smallest_and_fall_back_when_too_wide() -> None:
    spans: list[Span] = [(0, 0, "A", 0, 10), (0, 0, "B", 0, 10), (3, 1, "A", 5, None)]
    spans += [(0, 0, "A", 20, None), (3, 2, "C", 5, None)]
    usage = usage_of(spans, user_offset=2**31, product_offset=5)
    expected = [(2**31, 5, "A"), (2**31, 5, "B"), (2**31 + 3, 6, "A"), (2**31 + 3, 7, "C")]

    def named(pairs: pl.DataFrame) -> list[tuple[int, int, str]]:
        names = usage.select(pl.col("device").to_physical().alias("device_code"), "device")
        return sorted(
            pairs.join(names.unique(), on="device_code")
            .select("user", "product", pl.col("device").cast(pl.String))
            .rows()
        )

    packing = Packing.of(usage)
    assert (packing.user_low, packing.product_low, packing.key_bits) == (2**31, 5, 4)
    assert named(devices_of_keys(usage, packing)) == expected
    with mock.patch.object(devices_module, "PACKED_BITS", 0):
        assert named(devices_of_keys(usage, packing)) == expected


def test_device_usage_is_of_points_when_each_stop_is_the_microsecond_after_its_start() -> None:
    points: list[Span] = [(0, 0, "A", 0, None), (0, 0, "B", 3, 4)]
    assert Packing.of(usage_of(points)).points
    assert not Packing.of(usage_of([*points, (0, 0, "A", 5, 7)])).points


# --- The findings against a naive reading and against the former implementation -------------


def audience(
    events: list[dict[str, Any]], first: date | None = None, last: date | None = None
) -> tuple[pl.LazyFrame, Calendar, Names]:
    """The coded events (with their local ``day``) and calendar the model reads."""
    prepared = prepare(pl.DataFrame(events, schema=EVENT_SCHEMA))
    calendar = None if first is None or last is None else build_calendar(first, last, PARIS)
    audience = prepared.audience(PARIS, calendar)
    return audience.events.lazy(), audience.calendar, prepared.encoded.names


def named_rows(found: pl.DataFrame, names: Names) -> list[tuple[str, str, str, str]]:
    """(finding, user, product, evidence), with names, sorted."""
    users = names.users.rename({"code": "user", "name": "user_name"})
    products = names.products.rename({"code": "product", "name": "product_name"})
    rows = (
        found.join(users, on="user", how="left")
        .join(products, on="product", how="left")
        .select("finding", "user_name", "product_name", "evidence")
        .rows()
    )
    return sorted(rows)


def reference_rows(
    events: list[dict[str, Any]], day: date | None = None
) -> list[tuple[str, str, str, str]]:
    """(finding, user, product, evidence) of the naive reading, sorted."""
    found = flex_ref.device_findings(events, PARIS, None if day is None else [day])
    return sorted((row.finding, row.user, row.product, row.evidence) for row in found)


def sorted_findings(found: pl.DataFrame) -> pl.DataFrame:
    return found.sort("finding", "user", "product")


DEVICES = ["A", "B", "C", "D", "E", None]
device_event = st.builds(
    lambda minute, micro, length, user, product, device, anonymous: use(
        BASE + minute * 5 * MINUTE + micro * MICRO,
        length,
        user,
        product,
        device=device,
        anonymous=anonymous,
    ),
    st.integers(0, 8),
    st.sampled_from([0, 0, 1, 2]),
    st.sampled_from(
        [None, None, timedelta(0), MICRO, 2 * MICRO, 5 * MINUTE, 10 * MINUTE, 60 * MINUTE, -MINUTE]
    ),
    st.sampled_from(["u", "u", "u", "w", None]),
    st.sampled_from(["acad", "acad", "acad", "revit"]),
    st.sampled_from(DEVICES),
    st.sampled_from([False, False, False, True]),
)
anonymous_event = st.builds(
    lambda minute, device: use(
        BASE + minute * 5 * MINUTE, None, "u", device=device, anonymous=True
    ),
    st.integers(0, 12),
    st.sampled_from(DEVICES),
)
log_strategy = st.tuples(
    st.lists(device_event, min_size=8, max_size=40),
    st.lists(anonymous_event, max_size=3),
    st.booleans(),  # points only
    st.booleans(),  # the first local day only
)


def drawn_log(
    drawn: tuple[list[dict[str, Any]], list[dict[str, Any]], bool, bool],
) -> tuple[list[dict[str, Any]], date | None]:
    """The events, and the one local day to report on (None: every day)."""
    events, anonymous, points, first_day_only = drawn
    if points:
        events = [{**event, "end": None} for event in events]
    events = events + anonymous
    first = min(event["ts"] for event in events).astimezone(ZoneInfo(PARIS)).date()
    return events, first if first_day_only else None


@settings(max_examples=200, deadline=None)
@given(log_strategy)
def test_device_findings_match_the_naive_reference(
    drawn: tuple[list[dict[str, Any]], list[dict[str, Any]], bool, bool],
) -> None:
    events, day = drawn_log(drawn)
    frame, calendar, names = audience(events, day, day)
    assert named_rows(device_findings(frame, calendar), names) == reference_rows(events, day)


@settings(max_examples=150, deadline=None)
@given(log_strategy)
def test_device_findings_equal_the_former_blocks_and_sweep_of_every_key(
    drawn: tuple[list[dict[str, Any]], list[dict[str, Any]], bool, bool],
) -> None:
    events, day = drawn_log(drawn)
    frame, calendar, _ = audience(events, day, day)
    expected = sorted_findings(device_oracle.device_findings(frame, calendar))
    assert_frame_equal(sorted_findings(device_findings(frame, calendar)), expected)
    # Keys, devices and times too wide to pack: every row of the shared keys is swept.
    with mock.patch.object(devices_module, "PACKED_BITS", 0):
        assert_frame_equal(sorted_findings(device_findings(frame, calendar)), expected)


def random_log(seed: int, rows: int, points: bool) -> pl.DataFrame:
    """``rows`` events of 12 users on 2 products and 1 to 5 devices each, within two hours
    at whole seconds (many at the same instant), spans of up to 5 minutes or points."""
    index = pl.int_range(rows, eager=True).alias("i")
    drawn = pl.DataFrame(index).select(
        second=(pl.col("i").hash(seed) % 7200).cast(pl.Int64),
        length=(pl.col("i").hash(seed + 1) % 300).cast(pl.Int64),
        user=(pl.col("i").hash(seed + 2) % 12).cast(pl.Int64),
        product=(pl.col("i").hash(seed + 3) % 2).cast(pl.Int64),
        device=(pl.col("i").hash(seed + 4) % 5).cast(pl.Int64),
    )
    start = pl.lit(BASE) + pl.duration(seconds=pl.col("second"))
    end = start + pl.duration(seconds=pl.col("length"))
    return drawn.select(
        ts=start,
        end=pl.lit(None, INSTANT) if points else end,
        user=pl.format("user{}", "user"),
        anonymous=pl.lit(False),
        method=pl.lit("desktop"),
        product=pl.format("product{}", "product"),
        session=pl.lit(None, pl.String),
        # User k uses k % 5 + 1 devices.
        device=pl.format("pc{}", pl.col("device") % (pl.col("user") % 5 + 1)),
    ).cast(EVENT_SCHEMA)  # type: ignore[arg-type]


@pytest.mark.parametrize("points", [True, False])
@pytest.mark.parametrize("seed", [1, 2])
def test_device_findings_equal_the_former_ones_on_a_larger_random_log(
    seed: int, points: bool
) -> None:
    prepared = prepare(random_log(seed, 100_000, points))
    audience = prepared.audience(PARIS)
    frame = audience.events.lazy()
    found = sorted_findings(device_findings(frame, audience.calendar))
    assert_frame_equal(
        found, sorted_findings(device_oracle.device_findings(frame, audience.calendar))
    )
    assert found["finding"].unique().sort().to_list() == ["device-overlap", "too-many-devices"]


def test_device_findings_of_no_device_use_are_none() -> None:
    events = [use(BASE, MINUTE, "u"), use(BASE, MINUTE, "u", device="A", anonymous=True)]
    frame, calendar, _ = audience(events)
    assert device_usage(frame).height == 0
    found = device_findings(frame, calendar)
    assert found.height == 0
    assert found.schema == FINDINGS_SCHEMA


def test_device_findings_name_the_devices_of_a_key_whose_spans_chain_only_in_part() -> None:
    # A and B overlap at 23:35; A later, C and D are each alone in their chain: they take
    # no part in the overlap, and C and D are named only among the four devices.
    events = [
        use(BASE, 10 * MINUTE, device="A"),
        use(BASE + 5 * MINUTE, None, device="B"),
        use(BASE + 60 * MINUTE, None, device="A"),
        use(BASE + 90 * MINUTE, MINUTE, device="C"),
        use(BASE + 120 * MINUTE, MINUTE, device="D"),
    ]
    frame, calendar, names = audience(events)
    expected = [
        (
            "device-overlap",
            "u",
            "acad",
            "used on two devices at overlapping times 1 time(s) on 1 day(s), first on "
            "2025-10-25 at 23:35 (devices A, B): the licence allows one device at a time",
        ),
        (
            "too-many-devices",
            "u",
            "acad",
            "4 devices over the range (A, B, C, D): the licence allows installing on 3",
        ),
    ]
    assert named_rows(device_findings(frame, calendar), names) == expected
    assert reference_rows(events) == expected


def test_device_findings_ignore_a_key_of_one_device_however_its_spans_overlap() -> None:
    events = [use(BASE, 10 * MINUTE, device="A"), use(BASE, 10 * MINUTE, device="A")]
    events += [use(BASE + MINUTE, None, device="A"), use(BASE, MINUTE, "w", device="B")]
    frame, calendar, _ = audience(events)
    assert device_findings(frame, calendar).height == 0


def test_device_findings_of_start_ties_count_all_but_one_unless_held_from_before() -> None:
    # A, B and C start at 23:30 together: two of them count. D from 00:00 holds 00:10,
    # where A and B start together: both count, on the 26th.
    events = [use(BASE, MINUTE, device=device) for device in "ABC"]
    events.append(use(BASE + 30 * MINUTE, 20 * MINUTE, device="D"))
    events += [use(BASE + 40 * MINUTE, MINUTE, device=device) for device in "AB"]
    frame, calendar, names = audience(events)
    expected = [
        (
            "device-overlap",
            "u",
            "acad",
            "used on two devices at overlapping times 4 time(s) on 2 day(s), first on "
            "2025-10-25 at 23:30 (devices A, B, C, D): the licence allows one device at a time",
        ),
        (
            "too-many-devices",
            "u",
            "acad",
            "4 devices over the range (A, B, C, D): the licence allows installing on 3",
        ),
    ]
    assert named_rows(device_findings(frame, calendar), names) == expected
    assert reference_rows(events) == expected


def test_device_findings_days_are_the_reports_days_only() -> None:
    # The overlap at 23:35 on the 25th is outside a report on the 26th alone.
    events = [use(BASE, 10 * MINUTE, device="A"), use(BASE + 5 * MINUTE, None, device="B")]
    events += [use(BASE + 60 * MINUTE, 10 * MINUTE, device="A")]
    events += [use(BASE + 65 * MINUTE, None, device="B")]
    day = date(2025, 10, 26)
    frame, calendar, names = audience(events, day, day)
    expected = [
        (
            "device-overlap",
            "u",
            "acad",
            "used on two devices at overlapping times 1 time(s) on 1 day(s), first on "
            "2025-10-26 at 00:35 (devices A, B): the licence allows one device at a time",
        )
    ]
    assert named_rows(device_findings(frame, calendar), names) == expected
    assert reference_rows(events, day) == expected
