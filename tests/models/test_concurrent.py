"""`concurrent` (SPEC 3.2): hand-computed rules, then the model against a naive reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any
from unittest.mock import patch

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.audit import Evaluation, evaluate, run_contract
from licaudit.contract import Contract, parse_contract_text
from licaudit.models import concurrent as concurrent_model
from licaudit.models.concurrent import ConcurrentOptions, Slotted, busy_spans, runs
from licaudit.periods import build_calendar
from tests.conftest import utc
from tests.models.support import calendar_around, ev, frame, report_days
from tests.reference.netexplorer_ref import concurrent

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
KOLKATA = "Asia/Kolkata"
D = date(2025, 1, 15)  # Paris is UTC+1: the local day is [2025-01-14 23:00, 2025-01-15 23:00) UTC
D2 = D + timedelta(days=1)


def contract(
    capacity: int | None = None,
    timezone: str = PARIS,
    scope: tuple[str, ...] | None = None,
    **options: Any,
) -> Contract:
    return Contract(
        name="netexplorer-2k17",
        model="concurrent",
        timezone=timezone,
        capacity=capacity,
        scope=scope,
        options=ConcurrentOptions(**options),
    )


def run(
    events: Sequence[dict[str, Any]],
    terms: Contract,
    first: date = D,
    last: date | None = None,
) -> Evaluation:
    """The model over ``events`` on the local days ``first..last`` (default: one day)."""
    calendar = build_calendar(first, last or first, terms.timezone)
    return evaluate(frame(events), terms, calendar)


def units(result: Evaluation) -> dict[date, int]:
    return dict(result.day_usage.select("day", "units").iter_rows())


def peaks_of(table: pl.DataFrame) -> list[tuple[Any, ...]]:
    """The rows of a ``peaks`` detail table: (day, peak, peak_at, minutes_over)."""
    return table.select("period", "peak", "peak_at", "minutes_over").rows()


def peaks(result: Evaluation) -> list[tuple[Any, ...]]:
    return peaks_of(result.details["peaks"])


def spans_of(events: Sequence[dict[str, Any]], window: timedelta) -> list[tuple[Any, ...]]:
    """The merged busy spans of events all in one slot."""
    named = pl.LazyFrame(
        {"ts": [event["ts"] for event in events], "group": [0] * len(events)},
        schema={"ts": pl.Datetime("us", "UTC"), "group": pl.Int64()},
    )
    return busy_spans(Slotted(named, named.clear().select("ts")), window).rows()


# --- Busy spans of one slot ------------------------------------------------------------------


def test_concurrent_event_keeps_its_slot_busy_for_the_window() -> None:
    result = run([ev("2025-01-15 10:00")], contract(capacity=0))
    assert peaks(result) == [("2025-01-15", 1, utc("2025-01-15 10:00"), 10.0)]


def test_concurrent_overlapping_busy_spans_of_one_slot_count_once() -> None:
    result = run([ev("2025-01-15 10:00"), ev("2025-01-15 10:05")], contract(capacity=0))
    assert peaks(result) == [("2025-01-15", 1, utc("2025-01-15 10:00"), 15.0)]


def test_concurrent_touching_busy_spans_of_one_slot_merge() -> None:
    # [10:00, 10:10) and [10:10, 10:20) are one busy span; 1 µs later would be two.
    ten = timedelta(minutes=10)
    touching = [ev("2025-01-15 10:00"), ev("2025-01-15 10:10")]
    assert spans_of(touching, ten) == [(utc("2025-01-15 10:00"), utc("2025-01-15 10:20"))]
    apart = [ev("2025-01-15 10:00"), ev("2025-01-15 10:10:00.000001")]
    assert spans_of(apart, ten) == [
        (utc("2025-01-15 10:00"), utc("2025-01-15 10:10")),
        (utc("2025-01-15 10:10:00.000001"), utc("2025-01-15 10:20:00.000001")),
    ]
    # A chain of touching spans is one span, whatever the order of the rows.
    chain = [ev("2025-01-15 10:20"), ev("2025-01-15 10:00"), ev("2025-01-15 10:10")]
    assert spans_of(chain, ten) == [(utc("2025-01-15 10:00"), utc("2025-01-15 10:30"))]
    # Busy once over the merged span: never counted twice at the joining instant.
    result = run(touching, contract(capacity=0))
    assert peaks(result) == [("2025-01-15", 1, utc("2025-01-15 10:00"), 20.0)]


@pytest.mark.parametrize("int128_limit", [concurrent_model.INT128_LIMIT, 0])
def test_concurrent_runs_are_the_same_whether_or_not_group_and_time_pack_into_one_key(
    int128_limit: int,
) -> None:
    # Groups × the time range past 2^63 µs: runs() packs them into an Int128, or with
    # the limit set to 0, falls back to a sort on two columns. 2,501 groups of 110 years
    # fit an Int64 only with the stride unrounded (the time is then a remainder, not a
    # mask); 2 groups fit with it rounded up to a power of two.
    stamps = [utc("1990-01-01 00:00"), utc("2099-12-31 23:50"), utc("2099-12-31 23:55")]
    stamps += [utc("2025-01-15 10:00"), utc("2025-01-15 10:10"), utc("2025-01-15 10:20:00.000001")]
    expected = [
        (0, stamps[0], stamps[0]),
        (0, stamps[1], stamps[2]),
        (1, stamps[3], stamps[4]),
        (1, stamps[5], stamps[5]),
    ]
    for far in (1, 2500, 10**6):
        events = pl.DataFrame(
            {"group": [0, 0, 0, far, far, far], "ts": stamps},
            schema={"group": pl.Int64(), "ts": pl.Datetime("us", "UTC")},
        ).reverse()
        pause = 10 * 60 * 1_000_000 + 1
        with patch.object(concurrent_model, "INT128_LIMIT", int128_limit):
            found = runs(events, pause).with_columns(pl.col("group").clip(upper_bound=1))
        assert found.rows() == expected


def test_concurrent_spans_of_two_slots_ending_and_starting_together_are_not_simultaneous() -> None:
    events = [ev("2025-01-15 10:00", user="bob"), ev("2025-01-15 10:10", user="carol")]
    assert peaks(run(events, contract(capacity=0))) == [
        ("2025-01-15", 1, utc("2025-01-15 10:00"), 20.0)
    ]


def test_concurrent_window_is_an_option() -> None:
    events = [ev("2025-01-15 10:00", user="a"), ev("2025-01-15 10:20", user="b")]
    assert units(run(events, contract())) == {D: 1}
    assert units(run(events, contract(window=timedelta(minutes=30)))) == {D: 2}


def test_concurrent_options_read_from_the_contract_file() -> None:
    parsed = parse_contract_text(
        """
        [[contract]]
        model = "concurrent"
        window = "15m"
        window_mode = "FIXED"
        """
    )
    options = parsed.contracts[0].options
    assert options == ConcurrentOptions(window=timedelta(minutes=15), window_mode="fixed")
    default = parse_contract_text('[[contract]]\nmodel = "concurrent"\n').contracts[0]
    assert default.options == ConcurrentOptions(timedelta(minutes=10), "sliding")


# --- Slots -----------------------------------------------------------------------------------


def test_concurrent_two_methods_of_one_user_are_two_slots() -> None:
    events = [ev("2025-01-15 10:00", method="web"), ev("2025-01-15 10:05", method="sync")]
    assert peaks(run(events, contract())) == [("2025-01-15", 2, utc("2025-01-15 10:05"), None)]


def test_concurrent_one_method_of_two_users_is_two_slots() -> None:
    events = [ev("2025-01-15 10:00", user="alice"), ev("2025-01-15 10:05", user="bob")]
    assert units(run(events, contract())) == {D: 2}


def test_concurrent_products_do_not_split_a_slot() -> None:
    events = [ev("2025-01-15 10:00", product="crm"), ev("2025-01-15 10:05", product="lms")]
    assert units(run(events, contract())) == {D: 1}


def test_concurrent_anonymous_rows_of_one_session_are_one_slot() -> None:
    events = [
        ev("2025-01-15 10:00", user=None, session="s1"),
        ev("2025-01-15 10:01", user="guest", anonymous=True, session="s1"),
        ev("2025-01-15 10:02", user=None, session="s2"),
        ev("2025-01-15 10:03", user=None, session="s2", method="webdav"),
    ]
    assert units(run(events, contract())) == {D: 3}


def test_concurrent_anonymous_row_without_session_is_its_own_identity() -> None:
    # Two visitors without session, a name with authenticated = false and a visitor with a
    # session: four slots.
    events = [
        ev("2025-01-15 10:00", user=None),
        ev("2025-01-15 10:01", user=None, session="s1"),
        ev("2025-01-15 10:01", user=None),
        ev("2025-01-15 10:02", user="bob", anonymous=True),
    ]
    assert units(run(events, contract())) == {D: 4}


def test_concurrent_anonymous_rows_count_alongside_authenticated_ones() -> None:
    # An unauthenticated row with alice's name is a visitor, not alice; a session named
    # like a user is not that user: "anon:alice" is not "alice".
    events = [
        ev("2025-01-15 10:00", user="alice"),
        ev("2025-01-15 10:01", user="alice", anonymous=True),
        ev("2025-01-15 10:02", user=None, session="alice"),
        ev("2025-01-15 10:03", user=None, session="alice"),
    ]
    assert units(run(events, contract())) == {D: 3}


def test_concurrent_visitor_identity_anon_plus_session_is_the_user_of_that_name() -> None:
    # "identity is `user`, or for anonymous rows `anon:` + `session`": a user named
    # "anon:s1" and a visitor of session s1 are one identity, so one slot per method:
    # [10:00, 10:15) for both rows below, plus the visitor of s2 from 10:05, gives 2.
    # "anon:S1" is not "anon:s1" (sessions are kept as written).
    events = [
        ev("2025-01-15 10:00", user="anon:s1"),
        ev("2025-01-15 10:05", user=None, session="s1"),
        ev("2025-01-15 10:05", user="guest", anonymous=True, session="s2"),
    ]
    assert peaks(run(events, contract(capacity=1))) == [
        ("2025-01-15", 2, utc("2025-01-15 10:05"), 10.0)
    ]
    assert units(run(events, contract(window_mode="fixed"))) == {D: 2}
    other_case = [*events, ev("2025-01-15 10:06", user=None, session="S1")]
    assert units(run(other_case, contract())) == {D: 3}


# --- Days ------------------------------------------------------------------------------------


def test_concurrent_units_are_the_max_busy_slots_at_one_instant_with_its_first_instant() -> None:
    events = [
        ev("2025-01-15 08:00", user="a"),
        ev("2025-01-15 08:05", user="b"),
        ev("2025-01-15 12:00", user="c"),
        ev("2025-01-15 12:01", user="d"),
    ]
    # Two busy over [08:05, 08:10) and [12:01, 12:10): 5 + 9 minutes above capacity 1.
    assert peaks(run(events, contract(capacity=1))) == [
        ("2025-01-15", 2, utc("2025-01-15 08:05"), 14.0)
    ]


def test_concurrent_busy_span_crossing_midnight_counts_on_both_days() -> None:
    # 22:55 UTC is 23:55 in Paris: busy until 00:05 on the next day.
    result = run([ev("2025-01-15 22:55")], contract(capacity=0), D, D2)
    assert peaks(result) == [
        ("2025-01-15", 1, utc("2025-01-15 22:55"), 5.0),
        ("2025-01-16", 1, utc("2025-01-15 23:00"), 5.0),
    ]


def test_concurrent_day_without_busy_slot_has_zero_units_and_no_peak() -> None:
    result = run([ev("2025-01-15 10:00")], contract(capacity=3), D, D2)
    assert peaks(result) == [
        ("2025-01-15", 1, utc("2025-01-15 10:00"), 0.0),
        ("2025-01-16", 0, None, 0.0),
    ]


def test_concurrent_minutes_over_capacity_are_empty_without_capacity() -> None:
    result = run([ev("2025-01-15 10:00")], contract(), D, D2)
    assert [row[3] for row in peaks(result)] == [None, None]
    assert result.details["peaks"].schema == pl.Schema(
        {
            "contract": pl.String(),
            "period": pl.String(),
            "peak": pl.Int64(),
            "peak_at": pl.Datetime("us", "UTC"),
            "minutes_over": pl.Float64(),
        }
    )


def every_ten_minutes(first: str, last: str, **fields: Any) -> list[dict[str, Any]]:
    """Events of one slot every 10 minutes from ``first`` to ``last`` (UTC): busy throughout."""
    start, stop = utc(first), utc(last)
    count = (stop - start) // timedelta(minutes=10) + 1
    return [
        ev((start + index * timedelta(minutes=10)).isoformat()[:19], **fields)
        for index in range(count)
    ]


def test_concurrent_dst_day_has_23_hours() -> None:
    # 2025-03-30 in Paris is [2025-03-29 23:00 UTC, 2025-03-30 22:00 UTC): one slot busy from
    # 2025-03-29 22:00 to 2025-03-30 23:00 UTC is 60 minutes on the 29th, 23 h on the 30th
    # and 60 minutes on the 31st.
    events = every_ten_minutes("2025-03-29 22:00", "2025-03-30 22:50")
    result = run(events, contract(capacity=0), date(2025, 3, 29), date(2025, 3, 31))
    assert peaks(result) == [
        ("2025-03-29", 1, utc("2025-03-29 22:00"), 60.0),
        ("2025-03-30", 1, utc("2025-03-29 23:00"), 23 * 60.0),
        ("2025-03-31", 1, utc("2025-03-30 22:00"), 60.0),
    ]


def test_concurrent_dst_day_has_25_hours() -> None:
    # 2025-10-26 in Paris is [2025-10-25 22:00 UTC, 2025-10-26 23:00 UTC).
    events = every_ten_minutes("2025-10-25 21:00", "2025-10-26 23:50")
    events.append(ev("2025-10-26 22:59", user="bob"))  # 23:59 CET: still the 26th
    events.append(ev("2025-10-26 23:00", user="carol"))  # 00:00 CET on the 27th
    result = run(events, contract(capacity=0), date(2025, 10, 25), date(2025, 10, 27))
    assert peaks(result) == [
        ("2025-10-25", 1, utc("2025-10-25 21:00"), 60.0),
        ("2025-10-26", 2, utc("2025-10-26 22:59"), 25 * 60.0),
        ("2025-10-27", 3, utc("2025-10-26 23:00"), 60.0),
    ]


def test_concurrent_dst_day_in_new_york() -> None:
    # 2025-03-09 in New York is [05:00 UTC, 2025-03-10 04:00 UTC): 23 hours.
    events = every_ten_minutes("2025-03-09 05:00", "2025-03-10 03:50")
    result = run(events, contract(capacity=0, timezone=NEW_YORK), date(2025, 3, 9))
    assert peaks(result) == [("2025-03-09", 1, utc("2025-03-09 05:00"), 23 * 60.0)]


# --- Fixed window mode -----------------------------------------------------------------------


def test_concurrent_fixed_buckets_are_aligned_on_the_utc_epoch() -> None:
    # 10:09 and 10:11 fall in the buckets [10:00, 10:10) and [10:10, 10:20).
    events = [ev("2025-01-15 10:09", user="a"), ev("2025-01-15 10:11", user="b")]
    assert units(run(events, contract())) == {D: 2}
    fixed = run(events, contract(capacity=0, window_mode="fixed"))
    assert peaks(fixed) == [("2025-01-15", 1, utc("2025-01-15 10:00"), 20.0)]


def test_concurrent_fixed_bucket_counts_distinct_slots_with_an_event_in_it() -> None:
    events = [
        ev("2025-01-15 10:01"),
        ev("2025-01-15 10:09"),
        ev("2025-01-15 10:05", method="sync"),
        ev("2025-01-15 10:06", user="bob"),
        ev("2025-01-15 10:07", user=None, session="s1"),
        ev("2025-01-15 10:08", user=None, session="s1"),
        ev("2025-01-15 10:08", user=None),
        ev("2025-01-15 10:08", user=None),
    ]
    assert units(run(events, contract(window_mode="fixed"))) == {D: 6}


def test_concurrent_fixed_bucket_belongs_to_the_day_of_its_start() -> None:
    # Kolkata is UTC+5:30: 18:45 UTC is 00:15 on the 16th there, but its hour bucket
    # starts at 18:00 UTC, 23:30 on the 15th. A whole bucket counts over capacity.
    events = [ev("2025-01-15 18:45")]
    terms = contract(capacity=0, timezone=KOLKATA, window=timedelta(hours=1), window_mode="fixed")
    assert peaks(run(events, terms, D, D2)) == [
        ("2025-01-15", 1, utc("2025-01-15 18:00"), 60.0),
        ("2025-01-16", 0, None, 0.0),
    ]
    # Sliding, the same event is busy on the 16th only.
    assert units(run(events, contract(timezone=KOLKATA, window=timedelta(hours=1)), D, D2)) == {
        D: 0,
        D2: 1,
    }


def test_concurrent_fixed_day_units_are_its_largest_bucket_and_minutes_over_whole_buckets() -> None:
    events = [
        ev("2025-01-15 10:01", user="a"),
        ev("2025-01-15 10:02", user="b"),
        ev("2025-01-15 10:31", user="a"),
        ev("2025-01-15 10:32", user="b"),
        ev("2025-01-15 10:33", user="c"),
        ev("2025-01-15 11:00", user="c"),
    ]
    assert peaks(run(events, contract(capacity=1, window_mode="fixed"), D, D2)) == [
        ("2025-01-15", 3, utc("2025-01-15 10:30"), 20.0),
        ("2025-01-16", 0, None, 0.0),
    ]


def test_concurrent_fixed_peak_at_is_the_first_largest_bucket() -> None:
    events = [
        ev("2025-01-15 12:01", user="a"),
        ev("2025-01-15 12:02", user="b"),
        ev("2025-01-15 08:01", user="a"),
        ev("2025-01-15 08:02", user="b"),
    ]
    assert peaks(run(events, contract(window_mode="fixed"))) == [
        ("2025-01-15", 2, utc("2025-01-15 08:00"), None)
    ]


def test_concurrent_fixed_dst_day_has_23_hour_buckets() -> None:
    # One event per hour of the 23-hour 2025-03-30 in Paris: 23 buckets above capacity 0.
    first = utc("2025-03-29 23:00")
    events = [ev((first + timedelta(hours=hour)).isoformat()[:19]) for hour in range(24)]
    terms = contract(capacity=0, window=timedelta(hours=1), window_mode="fixed")
    assert [row[3] for row in peaks(run(events, terms, date(2025, 3, 30), date(2025, 3, 31)))] == [
        23 * 60.0,
        60.0,
    ]


# --- The peak day's profile ------------------------------------------------------------------


def profile(result: Evaluation) -> list[tuple[Any, ...]]:
    """The rows of the ``peak_profile`` detail table: (instant, busy)."""
    return result.details["peak_profile"].select("instant", "busy").rows()


def test_concurrent_peak_profile_is_the_busy_slots_of_the_range_peak_day_at_each_change() -> None:
    events = [
        ev("2025-01-14 22:55", user="dan"),  # 23:55 in Paris on the 14th: busy until 00:05
        ev("2025-01-15 10:00"),  # alice web [10:00, 10:19) with the event at 10:09
        ev("2025-01-15 10:05", user="bob"),  # [10:05, 10:15)
        ev("2025-01-15 10:08", method="sync"),  # alice sync [10:08, 10:18)
        ev("2025-01-15 10:09"),
        ev("2025-01-15 10:30", user="carol"),  # [10:30, 10:40)
        ev("2025-01-16 09:00", user="bob"),  # the 16th peaks at 1 only
    ]
    result = run(events, contract(capacity=2), D - timedelta(days=1), D2)
    assert [row[1] for row in peaks(result)] == [1, 3, 1]
    # From the day's start (23:00 UTC the day before), one row per change of count.
    assert profile(result) == [
        (utc("2025-01-14 23:00"), 1),  # dan's span carried over midnight
        (utc("2025-01-14 23:05"), 0),
        (utc("2025-01-15 10:00"), 1),
        (utc("2025-01-15 10:05"), 2),
        (utc("2025-01-15 10:08"), 3),
        (utc("2025-01-15 10:15"), 2),
        (utc("2025-01-15 10:18"), 1),
        (utc("2025-01-15 10:19"), 0),
        (utc("2025-01-15 10:30"), 1),
        (utc("2025-01-15 10:40"), 0),
    ]
    assert result.details["peak_profile"].schema == pl.Schema(
        {"contract": pl.String(), "instant": pl.Datetime("us", "UTC"), "busy": pl.Int64()}
    )


def test_concurrent_peak_profile_of_tied_days_is_the_first_and_empty_without_busy_slot() -> None:
    events = [ev("2025-01-15 10:00"), ev("2025-01-16 11:00")]
    assert profile(run(events, contract(), D, D2)) == [
        (utc("2025-01-14 23:00"), 0),
        (utc("2025-01-15 10:00"), 1),
        (utc("2025-01-15 10:10"), 0),
    ]
    # No event in the calendar: no busy slot, no profile.
    assert profile(run([ev("2025-01-15 10:00")], contract(), D2, D2)) == []
    fixed = contract(window_mode="fixed")
    assert profile(run([ev("2025-01-15 10:00")], fixed, D2, D2)) == []


def test_concurrent_fixed_peak_profile_is_the_bucket_counts_with_zero_between_buckets() -> None:
    events = [
        ev("2025-01-15 10:00"),
        ev("2025-01-15 10:05", user="bob"),
        ev("2025-01-15 10:12"),
        ev("2025-01-15 10:31", user="carol"),
        ev("2025-01-15 22:55", user="carol"),  # the day's last bucket runs past midnight
    ]
    assert profile(run(events, contract(window_mode="fixed"), D, D2)) == [
        (utc("2025-01-14 23:00"), 0),
        (utc("2025-01-15 10:00"), 2),
        (utc("2025-01-15 10:10"), 1),
        (utc("2025-01-15 10:20"), 0),
        (utc("2025-01-15 10:30"), 1),
        (utc("2025-01-15 10:40"), 0),
        (utc("2025-01-15 22:50"), 1),
    ]


# --- Common rules: scope lists, --from/--to, months --------------------------------------------


def test_concurrent_scope_list_counts_across_the_listed_products_under_one_scope() -> None:
    events = [
        ev("2025-01-15 10:00", user="alice", product="crm"),
        ev("2025-01-15 10:01", user="bob", product="lms"),
        ev("2025-01-15 10:02", user="carol", product="erp"),
        ev("2025-01-15 10:03", user="alice", product="lms"),  # alice's web slot, already busy
    ]
    parsed = parse_contract_text(
        """
        [[contract]]
        name = "both"
        model = "concurrent"
        scope = ["lms", "CRM"]
        """
    )
    result = run_contract(frame(events), parsed.contracts[0], "EUR")
    assert result.day_rows.select("scope", "period", "units").rows() == [
        ("crm+lms", "2025-01-15", 2)
    ]
    every = run_contract(frame(events), contract(), "EUR")
    assert every.day_rows.select("scope", "units").rows() == [("*", 3)]


def test_concurrent_from_date_restricts_reporting_not_state() -> None:
    # bob's span opened at 23:55 on the 14th (before --from) is busy until 00:05 on the
    # 15th: 5 minutes, plus alice's 10, above capacity 0 on the first reported day.
    events = [ev("2025-01-14 22:55", user="bob"), ev("2025-01-15 10:00")]
    result = run_contract(frame(events), contract(capacity=0), "EUR", date_from=D)
    assert result.day_rows.select("period", "units", "excess").rows() == [("2025-01-15", 1, 1)]
    assert peaks_of(result.details["peaks"]) == [("2025-01-15", 1, utc("2025-01-14 23:00"), 15.0)]


def test_concurrent_month_units_are_the_largest_day() -> None:
    events = [
        ev("2025-01-15 10:00", user="a"),
        ev("2025-01-15 10:01", user="b"),
        ev("2025-01-16 10:00", user="a"),
        ev("2025-02-01 10:00", user="a"),
    ]
    result = run_contract(frame(events), contract(capacity=1), "EUR")
    assert result.month_rows.select("period", "units", "excess").rows() == [
        ("2025-01", 2, 1),
        ("2025-02", 1, 0),
    ]


# --- Properties: the model against the naive reference ---------------------------------------

# DST switches of 2025, in UTC (and a day in Kolkata, whose midnight is 18:30 UTC).
ANCHORS = {
    PARIS: (utc("2025-03-30 01:00"), utc("2025-10-26 01:00")),
    NEW_YORK: (utc("2025-03-09 07:00"), utc("2025-11-02 06:00")),
    KOLKATA: (utc("2025-01-15 18:30"),),
}
# "anon:s1" is also the identity of the visitors of session s1.
USERS = ("alice", "bob", "carol", "anon:s1")
METHODS = ("web", "sync", "webdav")
SESSIONS = (None, "s1", "s2", "alice")
WINDOWS = (timedelta(minutes=5), timedelta(minutes=10), timedelta(minutes=7), timedelta(hours=1))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Contract]:
    timezone = draw(st.sampled_from(sorted(ANCHORS)))
    anchor = draw(st.sampled_from(ANCHORS[timezone]))
    # A 5-minute grid within ±30 h of a DST switch (local midnights are on it, and with
    # 5- or 10-minute windows spans touch and cross midnight often), or 1 µs off it.
    offsets = st.builds(
        lambda step, nudge: timedelta(minutes=5 * step, microseconds=nudge),
        st.integers(min_value=-30 * 12, max_value=30 * 12),
        st.sampled_from((0, 0, 0, -1, 1)),
    )
    rows = []
    for _ in range(draw(st.integers(min_value=1, max_value=20))):
        kind = draw(st.sampled_from(("user", "user", "visitor", "named visitor")))
        user = draw(st.sampled_from(USERS)) if kind != "visitor" else None
        rows.append(
            {
                "ts": anchor + draw(offsets),
                "end": None,
                "user": user,
                "anonymous": kind != "user",
                "method": draw(st.sampled_from(METHODS)),
                "product": "default",
                "session": draw(st.sampled_from(SESSIONS)),
                "device": None,
            }
        )
    terms = contract(
        capacity=draw(st.none() | st.integers(min_value=0, max_value=4)),
        timezone=timezone,
        window=draw(st.sampled_from(WINDOWS)),
        window_mode=draw(st.sampled_from(("sliding", "fixed"))),
    )
    return rows, terms


@settings(max_examples=150)
@given(scenarios())
def test_concurrent_matches_the_naive_reference(
    scenario: tuple[list[dict[str, Any]], Contract],
) -> None:
    rows, terms = scenario
    days = report_days(rows, terms.timezone)
    assert_matches_the_reference(rows, terms, days, evaluate(frame(rows), terms))


@settings(max_examples=150)
@given(scenarios(), st.data())
def test_concurrent_matches_the_naive_reference_on_a_calendar_the_events_overrun(
    scenario: tuple[list[dict[str, Any]], Contract], data: st.DataObject
) -> None:
    """Events before or after the calendar (``--from/--to`` restrict reporting, not state):
    their spans count only where they reach into the calendar's days."""
    rows, terms = scenario
    calendar, chosen = calendar_around(data, report_days(rows, terms.timezone), terms.timezone)
    assert_matches_the_reference(rows, terms, chosen, evaluate(frame(rows), terms, calendar))


def assert_matches_the_reference(
    rows: list[dict[str, Any]], terms: Contract, days: list[date], result: Evaluation
) -> None:
    """``result`` over the local ``days`` is what the naive reference computes for them."""
    options: ConcurrentOptions = terms.options
    expected = concurrent(
        rows, days, terms.timezone, options.window, options.window_mode, terms.capacity
    )
    assert result.day_usage["day"].to_list() == days
    assert units(result) == expected.units
    table = result.details["peaks"]
    assert table["period"].to_list() == [day.isoformat() for day in days]
    assert table["peak"].to_list() == [expected.units[day] for day in days]
    assert table["peak_at"].to_list() == [expected.peak_at[day] for day in days]
    # The profile is the first day of the highest peak, from its start, reaching that peak.
    busiest = max(expected.units.values())
    shape = result.details["peak_profile"]
    if busiest == 0:
        assert shape.is_empty()
    else:
        first_day = min(day for day in days if expected.units[day] == busiest)
        assert shape["busy"].max() == busiest
        assert (
            shape["instant"][0] == build_calendar(first_day, first_day, terms.timezone).first_start
        )
        assert (shape["busy"].diff().drop_nulls() != 0).all()
    minutes_over = [expected.minutes_over[day] for day in days]
    if terms.capacity is None:
        assert table["minutes_over"].to_list() == minutes_over
    else:
        assert table["minutes_over"].to_list() == pytest.approx(minutes_over)


@settings(max_examples=50)
@given(scenarios())
def test_concurrent_does_not_depend_on_row_order(
    scenario: tuple[list[dict[str, Any]], Contract],
) -> None:
    rows, terms = scenario
    forward = evaluate(frame(rows), terms)
    backward = evaluate(frame(rows).reverse(), terms)
    assert forward.day_usage.equals(backward.day_usage)
    assert forward.details["peaks"].equals(backward.details["peaks"])
