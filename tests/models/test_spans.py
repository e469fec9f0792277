"""Daily peaks of half-open spans (SPEC 3, "Half-open time"): hand-computed rules, then
the vectorized sweep against a naive reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any
from unittest.mock import patch

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.models.spans import daily_peaks, running_balance, running_count
from licaudit.periods import build_calendar
from tests.conftest import utc
from tests.reference.spans_ref import daily_peaks_ref

PARIS = "Europe/Paris"
INSTANT = pl.Datetime("us", "UTC")

SpanRow = tuple[Any, datetime, datetime | None]


def paris_days(first: str, last: str) -> pl.DataFrame:
    """The Europe/Paris local days ``first..last`` (ISO dates), as ``build_calendar`` gives them."""
    return build_calendar(date.fromisoformat(first), date.fromisoformat(last), PARIS).days


def span_frame(rows: Sequence[SpanRow], scope_type: pl.DataType | None = None) -> pl.DataFrame:
    """Spans (scope, start, end) in the shape ``daily_peaks`` reads."""
    scopes = [row[0] for row in rows]
    return pl.DataFrame(
        {
            "scope": pl.Series(scopes, dtype=scope_type or pl.Int64()),
            "start": pl.Series([row[1] for row in rows], dtype=INSTANT),
            "end": pl.Series([row[2] for row in rows], dtype=INSTANT),
        }
    )


def spans_of(*spans: tuple[str, str | None]) -> pl.DataFrame:
    """Spans of one unnamed group, each written (start, end or None) in UTC."""
    return span_frame([(0, utc(start), None if end is None else utc(end)) for start, end in spans])


def peaks(result: pl.DataFrame) -> list[int]:
    return list(result["peak"])


def test_touching_spans_never_count_together() -> None:
    spans = spans_of(
        ("2025-06-10 08:00", "2025-06-10 09:00"), ("2025-06-10 09:00", "2025-06-10 10:00")
    )
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-10"), over=1)
    assert peaks(result) == [1]
    assert result["peak_at"].to_list() == [utc("2025-06-10 08:00")]
    assert result["time_over"].to_list() == [timedelta(0)]


def test_overlapping_spans_count_together() -> None:
    spans = spans_of(
        ("2025-06-10 08:00", "2025-06-10 09:00"), ("2025-06-10 08:59", "2025-06-10 10:00")
    )
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-10"), over=1)
    assert peaks(result) == [2]
    assert result["peak_at"].to_list() == [utc("2025-06-10 08:59")]
    assert result["time_over"].to_list() == [timedelta(minutes=1)]


def test_span_crossing_midnight_counts_on_both_days() -> None:
    # 23:00 to 01:00 in Paris (UTC+2 in June).
    spans = spans_of(("2025-06-10 21:00", "2025-06-10 23:00"))
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-12"), over=0)
    assert peaks(result) == [1, 1, 0]
    assert result["peak_at"].to_list() == [utc("2025-06-10 21:00"), utc("2025-06-10 22:00"), None]
    assert result["time_over"].to_list() == [timedelta(hours=1), timedelta(hours=1), timedelta(0)]


def test_spans_ending_at_midnight_do_not_count_on_the_next_day() -> None:
    spans = spans_of(
        ("2025-06-10 20:00", "2025-06-10 22:00"), ("2025-06-10 21:00", "2025-06-10 22:00")
    )
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-11"), over=0)
    assert peaks(result) == [2, 0]
    assert result["time_over"].to_list() == [timedelta(hours=2), timedelta(0)]


def test_span_without_end_counts_on_every_later_day() -> None:
    spans = spans_of(("2025-06-11 10:00", None))
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-13"), over=0)
    assert peaks(result) == [0, 1, 1, 1]
    assert result["peak_at"].to_list() == [
        None,
        utc("2025-06-11 10:00"),
        utc("2025-06-11 22:00"),
        utc("2025-06-12 22:00"),
    ]
    assert result["time_over"].to_list() == [
        timedelta(0),
        timedelta(hours=12),
        timedelta(hours=24),
        timedelta(hours=24),
    ]


def test_empty_span_counts_nowhere() -> None:
    spans = spans_of(
        ("2025-06-10 10:00", "2025-06-10 10:00"), ("2025-06-10 12:00", "2025-06-10 11:00")
    )
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-10"), by=["scope"], over=0)
    assert result.to_dicts() == [
        {
            "scope": 0,
            "day": date(2025, 6, 10),
            "peak": 0,
            "peak_at": None,
            "time_over": timedelta(0),
        }
    ]


def test_span_outside_the_calendar_counts_nowhere_but_its_group_has_rows() -> None:
    spans = span_frame(
        [
            (1, utc("2025-06-01 10:00"), utc("2025-06-02 10:00")),
            (2, utc("2025-07-01 10:00"), None),
        ]
    )
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-11"), by=["scope"])
    assert result.select("scope", "day", "peak").rows() == [
        (1, date(2025, 6, 10), 0),
        (1, date(2025, 6, 11), 0),
        (2, date(2025, 6, 10), 0),
        (2, date(2025, 6, 11), 0),
    ]


def test_carried_in_count_is_the_peak_when_no_edge_falls_inside_the_day() -> None:
    # Two spans begun before the calendar, one the day before; none changes on the 11th.
    spans = spans_of(
        ("2025-05-01 00:00", "2025-06-12 05:00"),
        ("2025-05-20 00:00", None),
        ("2025-06-10 12:00", "2025-06-12 01:00"),
    )
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-12"), over=2)
    assert peaks(result) == [3, 3, 3]
    assert result["peak_at"].to_list() == [
        utc("2025-06-10 12:00"),
        utc("2025-06-10 22:00"),
        utc("2025-06-11 22:00"),
    ]
    assert result["time_over"].to_list() == [
        timedelta(hours=10),
        timedelta(hours=24),
        timedelta(hours=3),
    ]


def test_peak_at_is_the_first_instant_of_the_peak() -> None:
    spans = spans_of(
        ("2025-06-10 08:00", "2025-06-10 12:00"),
        ("2025-06-10 09:00", "2025-06-10 10:00"),
        ("2025-06-10 11:00", "2025-06-10 13:00"),
    )
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-10"))
    assert peaks(result) == [2]
    assert result["peak_at"].to_list() == [utc("2025-06-10 09:00")]


def test_peak_at_is_null_when_nothing_is_active() -> None:
    result = daily_peaks(spans_of(), paris_days("2025-06-10", "2025-06-10"))
    assert result.select("peak", "peak_at").rows() == [(0, None)]


def test_time_over_sums_time_strictly_above_over() -> None:
    # Counts: 1 from 08:00, 2 from 09:00, 3 from 10:00, 2 from 11:00, 1 from 12:00, 0 from 13:00.
    spans = spans_of(
        ("2025-06-10 08:00", "2025-06-10 13:00"),
        ("2025-06-10 09:00", "2025-06-10 12:00"),
        ("2025-06-10 10:00", "2025-06-10 11:00"),
    )
    days = paris_days("2025-06-10", "2025-06-10")
    assert daily_peaks(spans, days, over=3)["time_over"].to_list() == [timedelta(0)]
    assert daily_peaks(spans, days, over=2)["time_over"].to_list() == [timedelta(hours=1)]
    assert daily_peaks(spans, days, over=1)["time_over"].to_list() == [timedelta(hours=3)]
    assert daily_peaks(spans, days, over=0)["time_over"].to_list() == [timedelta(hours=5)]


def test_time_over_is_only_given_when_asked() -> None:
    result = daily_peaks(spans_of(), paris_days("2025-06-10", "2025-06-10"))
    assert result.columns == ["day", "peak", "peak_at"]


def test_every_day_of_every_group_has_a_row() -> None:
    spans = span_frame(
        [
            ("lms", utc("2025-06-11 08:00"), utc("2025-06-11 09:00")),
            ("crm", utc("2025-06-10 08:00"), utc("2025-06-10 09:00")),
            ("crm", utc("2025-06-10 08:30"), utc("2025-06-10 09:00")),
        ],
        scope_type=pl.String(),
    )
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-12"), by=["scope"], over=0)
    assert result.select("scope", "day", "peak").rows() == [
        ("crm", date(2025, 6, 10), 2),
        ("crm", date(2025, 6, 11), 0),
        ("crm", date(2025, 6, 12), 0),
        ("lms", date(2025, 6, 10), 0),
        ("lms", date(2025, 6, 11), 1),
        ("lms", date(2025, 6, 12), 0),
    ]
    assert result.schema == pl.Schema(
        {
            "scope": pl.String(),
            "day": pl.Date(),
            "peak": pl.Int64(),
            "peak_at": INSTANT,
            "time_over": pl.Duration("us"),
        }
    )


def test_without_groups_every_day_has_a_row_even_without_spans() -> None:
    result = daily_peaks(spans_of(), paris_days("2025-06-10", "2025-06-12"), over=0)
    assert result.select("day", "peak", "time_over").rows() == [
        (date(2025, 6, 10), 0, timedelta(0)),
        (date(2025, 6, 11), 0, timedelta(0)),
        (date(2025, 6, 12), 0, timedelta(0)),
    ]


def test_with_groups_and_no_spans_there_is_no_row() -> None:
    result = daily_peaks(spans_of(), paris_days("2025-06-10", "2025-06-12"), by=["scope"])
    assert result.height == 0
    assert result.columns == ["scope", "day", "peak", "peak_at"]


def test_a_null_group_is_a_group_of_its_own() -> None:
    spans = span_frame([(None, utc("2025-06-10 08:00"), None), (1, utc("2025-06-10 08:00"), None)])
    result = daily_peaks(spans, paris_days("2025-06-10", "2025-06-10"), by=["scope"])
    assert result.select("scope", "peak").rows() == [(None, 1), (1, 1)]


def test_dst_day_of_25_hours_is_one_day() -> None:
    days = paris_days("2025-10-25", "2025-10-27")
    assert days.row(1) == (date(2025, 10, 26), utc("2025-10-25 22:00"), utc("2025-10-26 23:00"))
    spans = spans_of(
        ("2025-10-25 12:00", "2025-10-27 12:00"),
        # 23:30 to 00:30 local, after the clocks went back: late on the 26th.
        ("2025-10-26 22:30", "2025-10-26 23:30"),
    )
    result = daily_peaks(spans, days, over=0)
    assert peaks(result) == [1, 2, 2]
    assert result["peak_at"].to_list() == [
        utc("2025-10-25 12:00"),
        utc("2025-10-26 22:30"),
        utc("2025-10-26 23:00"),
    ]
    assert result["time_over"].to_list() == [
        timedelta(hours=10),
        timedelta(hours=25),
        timedelta(hours=13),
    ]


def test_spans_may_come_as_a_lazy_frame() -> None:
    spans = spans_of(("2025-06-10 08:00", "2025-06-10 09:00"))
    days = paris_days("2025-06-10", "2025-06-11")
    assert daily_peaks(spans.lazy(), days, over=0).equals(daily_peaks(spans, days, over=0))


def test_a_group_column_may_not_take_a_name_of_the_result() -> None:
    spans = spans_of().rename({"scope": "day"})
    with pytest.raises(ValueError, match="`by` may not name"):
        daily_peaks(spans, paris_days("2025-06-10", "2025-06-10"), by=["day"])


def test_an_empty_calendar_has_no_rows() -> None:
    result = daily_peaks(
        spans_of(("2025-06-10 08:00", None)), paris_days("2025-06-10", "2025-06-09")
    )
    assert result.height == 0
    assert result.columns == ["day", "peak", "peak_at"]


def test_too_many_groups_to_pack_into_one_sort_key_still_peak_right() -> None:
    # Nine millennia of two "days" leave too few bits for 8 groups in one Int64 sort key:
    # the sweep falls back to sorting by (group, time).
    days = pl.DataFrame(
        {
            "day": [date(1, 1, 1), date(5000, 1, 1)],
            "start": [datetime(1, 1, 2, tzinfo=UTC), datetime(5000, 1, 1, tzinfo=UTC)],
            "end": [datetime(5000, 1, 1, tzinfo=UTC), datetime(9999, 12, 30, tzinfo=UTC)],
        },
        schema={"day": pl.Date(), "start": INSTANT, "end": INSTANT},
    )
    rows: list[SpanRow] = []
    for scope in range(8):
        rows.append((scope, utc("2025-06-10 08:00"), None))
        rows.append(
            (scope, utc("2025-06-10 08:00") + timedelta(days=scope), utc("6000-01-01 00:00"))
        )
    result = daily_peaks(span_frame(rows), days, by=["scope"], over=1)
    assert_matches_reference(result, rows, days, over=1, grouped=True)


def assert_matches_reference(
    result: pl.DataFrame,
    rows: Sequence[SpanRow],
    days: pl.DataFrame,
    over: int | None,
    grouped: bool,
) -> None:
    """``result`` has the reference's rows, in (group, day) order."""
    day_rows = [(day, start, end) for day, start, end in days.iter_rows()]
    if grouped:
        expected = daily_peaks_ref(rows, day_rows, over)
    else:
        expected = daily_peaks_ref([(0, start, end) for _, start, end in rows], day_rows, over, [0])
    got: dict[tuple[Any, date], tuple[int, datetime | None, timedelta | None]] = {}
    order: list[tuple[Any, date]] = []
    for record in result.iter_rows(named=True):
        key = (record["scope"] if grouped else 0, record["day"])
        order.append(key)
        got[key] = (record["peak"], record["peak_at"], record.get("time_over"))
    assert got == expected
    assert order == sorted(expected)


@st.composite
def generated_case(draw: st.DrawFn) -> tuple[list[SpanRow], pl.DataFrame]:
    """Minute-granular spans around a few Paris days, often touching, some open or empty."""
    first = draw(st.sampled_from([date(2025, 3, 29), date(2025, 10, 25), date(2025, 6, 10)]))
    days = build_calendar(first, first + timedelta(days=draw(st.integers(0, 3))), PARIS).days
    origin = days["start"][0] - timedelta(hours=30)
    horizon = int((days["end"][-1] - origin) / timedelta(minutes=1)) + 30 * 60
    # Few distinct minutes, so that starts and ends often coincide, midnights included.
    midnights = [int((start - origin) / timedelta(minutes=1)) for start in days["start"]]
    minute = (
        st.sampled_from(midnights)
        | st.integers(0, horizon // 60).map(lambda hour: hour * 60)
        | st.integers(0, horizon)
    )
    group_count = draw(st.integers(1, 3))
    rows: list[SpanRow] = []
    for _ in range(draw(st.integers(0, 12))):
        scope = draw(st.integers(0, group_count - 1))
        start = origin + timedelta(minutes=draw(minute))
        end_kind = draw(st.sampled_from(["span", "span", "span", "open", "empty"]))
        if end_kind == "open":
            end = None
        elif end_kind == "empty":
            end = start - timedelta(minutes=draw(st.integers(0, 120)))
        else:
            end = origin + timedelta(minutes=draw(minute))
            end = max(end, start + timedelta(minutes=1))
        rows.append((scope, start, end))
    return rows, days


@settings(max_examples=200)
@given(
    case=generated_case(),
    over=st.none() | st.integers(0, 3),
    grouped=st.booleans(),
)
def test_daily_peaks_match_the_naive_reference(
    case: tuple[list[SpanRow], pl.DataFrame], over: int | None, grouped: bool
) -> None:
    rows, days = case
    result = daily_peaks(span_frame(rows), days, by=["scope"] if grouped else (), over=over)
    assert_matches_reference(result, rows, days, over, grouped)


@settings(max_examples=100)
@given(
    case=generated_case(),
    over=st.none() | st.integers(0, 3),
    grouped=st.booleans(),
)
def test_daily_peaks_match_the_naive_reference_when_changes_are_too_wide_to_pack(
    case: tuple[list[SpanRow], pl.DataFrame], over: int | None, grouped: bool
) -> None:
    """Groups x range too wide for one Int64 key: the sweep sorts the frame instead."""
    rows, days = case
    with patch("licaudit.models.spans.INT64_LIMIT", 0):
        result = daily_peaks(span_frame(rows), days, by=["scope"] if grouped else (), over=over)
    assert_matches_reference(result, rows, days, over, grouped)


def test_peak_at_is_the_first_instant_of_the_peak_when_time_over_is_asked_too() -> None:
    # 2025-03-29 in Paris runs 23:00 UTC on the 28th to 23:00 on the 29th (23 h on the
    # 30th). Three spans hold from the 29th's start; at 00:00 one closes as another
    # opens, so the peak of 3 first holds at the day's start, not at 00:00. (Found by
    # the property below: polars' get(arg_max) beside a filtered sum gave 00:00.)
    spans = spans_of(
        ("2025-03-29 00:00", None),
        ("2025-03-28 23:00", "2025-03-28 23:00"),
        ("2025-03-28 23:00", "2025-03-30 22:00"),
        ("2025-03-29 23:00", None),
        ("2025-03-27 17:00", "2025-03-28 23:00"),
        ("2025-03-28 23:00", None),
        ("2025-03-28 23:00", "2025-03-29 00:00"),
    )
    result = daily_peaks(spans, paris_days("2025-03-29", "2025-03-30"), over=1)
    assert result.select("peak", "peak_at", "time_over").rows() == [
        (3, utc("2025-03-28 23:00"), timedelta(hours=24)),
        (4, utc("2025-03-29 23:00"), timedelta(hours=23)),
    ]


@given(st.lists(st.sampled_from([-1, 0, 1]), max_size=200))
def test_running_balance_is_the_cumulative_sum_of_opens_minus_closes(deltas: list[int]) -> None:
    # sweep's count: +1 opens, -1 closes, 0 neither; each row's balance includes itself.
    frame = pl.DataFrame({"delta": deltas}, schema={"delta": pl.Int64()})
    delta = pl.col("delta")
    balance = frame.select(running_balance(opens=delta == 1, closes=delta == -1))
    expected, total = [], 0
    for change in deltas:
        total += change
        expected.append(total)
    assert balance.to_series().to_list() == expected


def test_running_count_counts_the_true_rows_so_far_and_never_a_false_or_null_one() -> None:
    flags = pl.DataFrame({"flag": [True, False, None, True, True, False]})
    counted = flags.select(running_count(pl.col("flag"))).to_series().to_list()
    assert counted == [1, 1, 1, 2, 3, 3]
