"""Hand-computed cases checking the naive NetExplorer references themselves (SPEC 3.2-3.4)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

from tests.conftest import utc
from tests.reference.netexplorer_ref import (
    Refusal,
    accounts,
    concurrent,
    day_bounds,
    floating,
)

PARIS = "Europe/Paris"
D = date(2025, 1, 15)  # Paris is UTC+1: the local day is [2025-01-14 23:00, 2025-01-15 23:00) UTC


def ev(
    ts: str,
    user: str | None = "alice",
    method: str = "web",
    anonymous: bool | None = None,
    session: str | None = None,
) -> dict[str, Any]:
    return {
        "ts": utc(ts),
        "user": user,
        "anonymous": user is None if anonymous is None else anonymous,
        "method": method,
        "product": "default",
        "session": session,
    }


def span(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def row(ts: str, user: str, active: bool, seq: int, product: str = "default") -> dict[str, Any]:
    return {"ts": utc(ts), "user": user, "product": product, "active": active, "seq": seq}


# --- days ----------------------------------------------------------------------------------


def test_ref_local_day_is_23_hours_on_spring_dst_day_and_25_on_autumn() -> None:
    start, end = day_bounds(date(2025, 3, 30), PARIS)
    assert (start, end) == (utc("2025-03-29 23:00"), utc("2025-03-30 22:00"))
    start, end = day_bounds(date(2025, 10, 26), PARIS)
    assert end - start == timedelta(hours=25)


def test_ref_skipped_local_midnight_starts_the_day_at_the_transition_instant() -> None:
    # Santiago skipped 2024-09-08 00:00 (UTC-4 -> UTC-3 at 04:00 UTC).
    start, _ = day_bounds(date(2024, 9, 8), "America/Santiago")
    assert start == utc("2024-09-08 04:00")


# --- concurrent, sliding ----------------------------------------------------------------------


def test_ref_overlapping_busy_spans_of_one_slot_count_once() -> None:
    result = concurrent([ev("2025-01-15 10:00"), ev("2025-01-15 10:05")], [D], PARIS)
    assert result.units[D] == 1


def test_ref_touching_busy_spans_of_one_slot_merge() -> None:
    # [10:00, 10:10) and [10:10, 10:20) are one busy span [10:00, 10:20).
    result = concurrent([ev("2025-01-15 10:00"), ev("2025-01-15 10:10")], [D], PARIS, capacity=0)
    assert result.units[D] == 1
    assert result.minutes_over[D] == 20.0
    assert result.peak_at[D] == utc("2025-01-15 10:00")


def test_ref_each_method_of_a_user_is_its_own_slot() -> None:
    result = concurrent(
        [ev("2025-01-15 10:00", method="web"), ev("2025-01-15 10:05", method="sync")], [D], PARIS
    )
    assert result.units[D] == 2
    assert result.peak_at[D] == utc("2025-01-15 10:05")


def test_ref_spans_of_two_slots_ending_and_starting_at_one_instant_are_not_simultaneous() -> None:
    result = concurrent(
        [ev("2025-01-15 10:00", user="bob"), ev("2025-01-15 10:10", user="carol")],
        [D],
        PARIS,
        capacity=0,
    )
    assert result.units[D] == 1
    assert result.minutes_over[D] == 20.0


def test_ref_anonymous_rows_of_one_session_share_a_slot() -> None:
    events = [
        ev("2025-01-15 10:00", user=None, session="s1"),
        ev("2025-01-15 10:01", user="guest", anonymous=True, session="s1"),
        ev("2025-01-15 10:02", user=None, session="s2"),
    ]
    assert concurrent(events, [D], PARIS).units[D] == 2


def test_ref_anonymous_row_without_session_is_its_own_identity() -> None:
    events = [
        ev("2025-01-15 10:00", user=None),
        ev("2025-01-15 10:01", user=None),
        ev("2025-01-15 10:02", user="bob", anonymous=True),
    ]
    assert concurrent(events, [D], PARIS).units[D] == 3


def test_ref_anonymous_slots_count_alongside_authenticated_ones() -> None:
    events = [ev("2025-01-15 10:00"), ev("2025-01-15 10:01", user=None, session="s1")]
    assert concurrent(events, [D], PARIS).units[D] == 2


def test_ref_busy_span_crossing_local_midnight_counts_on_both_days() -> None:
    d2 = D + timedelta(days=1)
    # 22:55 UTC = 23:55 Paris on D; busy until 00:05 Paris on D+1.
    result = concurrent([ev("2025-01-15 22:55")], [D, d2], PARIS, capacity=0)
    assert result.units == {D: 1, d2: 1}
    assert result.peak_at[d2] == utc("2025-01-15 23:00")
    assert result.minutes_over == {D: 5.0, d2: 5.0}


def test_ref_day_without_busy_slot_has_zero_units_and_no_peak() -> None:
    d2 = D + timedelta(days=1)
    result = concurrent([ev("2025-01-15 10:00")], [D, d2], PARIS, capacity=3)
    assert result.units[d2] == 0
    assert result.peak_at[d2] is None
    assert result.minutes_over == {D: 0.0, d2: 0.0}


def test_ref_minutes_over_capacity_is_none_without_capacity() -> None:
    result = concurrent([ev("2025-01-15 10:00")], [D], PARIS)
    assert result.minutes_over[D] is None
    fixed = concurrent([ev("2025-01-15 10:00")], [D], PARIS, window_mode="fixed")
    assert fixed.minutes_over[D] is None


def test_ref_peak_at_is_the_first_instant_the_peak_is_reached() -> None:
    events = [
        ev("2025-01-15 08:00", user="a"),
        ev("2025-01-15 08:05", user="b"),
        ev("2025-01-15 12:00", user="c"),
        ev("2025-01-15 12:01", user="d"),
    ]
    result = concurrent(events, [D], PARIS, capacity=1)
    assert result.units[D] == 2
    assert result.peak_at[D] == utc("2025-01-15 08:05")
    assert result.minutes_over[D] == 5.0 + 9.0


def test_ref_window_is_an_option() -> None:
    events = [ev("2025-01-15 10:00", user="a"), ev("2025-01-15 10:20", user="b")]
    assert concurrent(events, [D], PARIS).units[D] == 1
    assert concurrent(events, [D], PARIS, window=timedelta(minutes=30)).units[D] == 2


# --- concurrent, fixed ------------------------------------------------------------------------


def test_ref_fixed_buckets_are_aligned_on_the_utc_epoch() -> None:
    # 10:09 and 10:11 fall in the buckets [10:00, 10:10) and [10:10, 10:20).
    events = [ev("2025-01-15 10:09", user="a"), ev("2025-01-15 10:11", user="b")]
    assert concurrent(events, [D], PARIS).units[D] == 2
    result = concurrent(events, [D], PARIS, window_mode="fixed")
    assert result.units[D] == 1
    assert result.peak_at[D] == utc("2025-01-15 10:00")


def test_ref_fixed_bucket_counts_distinct_slots() -> None:
    events = [
        ev("2025-01-15 10:01"),
        ev("2025-01-15 10:09"),
        ev("2025-01-15 10:05", method="sync"),
        ev("2025-01-15 10:06", user="bob"),
    ]
    assert concurrent(events, [D], PARIS, window_mode="fixed").units[D] == 3


def test_ref_fixed_bucket_belongs_to_the_day_of_its_start() -> None:
    kolkata = "Asia/Kolkata"  # UTC+5:30: local midnight is 18:30 UTC
    d2 = D + timedelta(days=1)
    # 18:45 UTC is 00:15 on D+1 in Kolkata, but its hour bucket starts 18:00 UTC = 23:30 on D.
    result = concurrent(
        [ev("2025-01-15 18:45")],
        [D, d2],
        kolkata,
        window=timedelta(hours=1),
        window_mode="fixed",
        capacity=0,
    )
    assert result.units == {D: 1, d2: 0}
    assert result.peak_at[D] == utc("2025-01-15 18:00")
    # A whole bucket over capacity counts, not clipped to the day.
    assert result.minutes_over == {D: 60.0, d2: 0.0}


def test_ref_fixed_minutes_over_counts_whole_buckets_above_capacity() -> None:
    events = [
        ev("2025-01-15 10:01", user="a"),
        ev("2025-01-15 10:02", user="b"),
        ev("2025-01-15 10:31", user="a"),
        ev("2025-01-15 10:32", user="b"),
        ev("2025-01-15 11:00", user="c"),
    ]
    result = concurrent(events, [D], PARIS, window_mode="fixed", capacity=1)
    assert result.units[D] == 2
    assert result.peak_at[D] == utc("2025-01-15 10:00")
    assert result.minutes_over[D] == 20.0


def test_ref_fixed_day_without_bucket_has_zero_units() -> None:
    d2 = D + timedelta(days=1)
    result = concurrent([ev("2025-01-15 10:01")], [D, d2], PARIS, window_mode="fixed")
    assert result.units[d2] == 0
    assert result.peak_at[d2] is None


# --- floating -------------------------------------------------------------------------------


def test_ref_licence_is_assigned_at_first_event_and_held_30_days_after_the_last() -> None:
    days = span(D, D + timedelta(days=31))
    result = floating([ev("2025-01-15 10:00")], days, PARIS)
    release_day = D + timedelta(days=30)  # 2025-02-14 10:00 UTC
    assert result.assignments[D] == 1
    assert result.releases[release_day] == 1
    assert sum(result.releases.values()) == 1
    assert all(result.units[day] == 1 for day in days[:31])
    assert result.units[days[31]] == 0
    assert result.held_at_end[release_day - timedelta(days=1)] == 1
    assert result.held_at_end[release_day] == 0


def test_ref_event_before_release_keeps_the_same_licence() -> None:
    days = span(D, D + timedelta(days=40))
    events = [ev("2025-01-15 10:00"), ev("2025-02-14 09:59")]
    result = floating(events, days, PARIS)
    assert sum(result.assignments.values()) == 1
    assert max(result.units.values()) == 1
    assert result.licences[0].released == utc("2025-03-16 09:59")


def test_ref_release_and_new_assignment_at_same_instant_hold_one_licence() -> None:
    release_day = D + timedelta(days=30)
    days = span(D, release_day)
    events = [ev("2025-01-15 10:00"), ev("2025-02-14 10:00")]
    result = floating(events, days, PARIS)
    assert result.assignments[D] == 1
    assert result.assignments[release_day] == 1
    assert result.releases[release_day] == 1
    assert result.units[release_day] == 1
    assert len(result.licences) == 2


def test_ref_event_after_release_takes_a_new_assignment() -> None:
    days = span(D, D + timedelta(days=2))
    events = [ev("2025-01-15 08:00"), ev("2025-01-16 10:00")]
    result = floating(events, days, PARIS, inactivity=timedelta(hours=24))
    assert result.assignments == {D: 1, days[1]: 1, days[2]: 0}
    # The first licence is released 2025-01-16 08:00, the second 2025-01-17 10:00.
    assert result.releases == {D: 0, days[1]: 1, days[2]: 1}
    assert result.units == {D: 1, days[1]: 1, days[2]: 1}


def test_ref_anonymous_events_take_no_floating_licence() -> None:
    events = [ev("2025-01-15 10:00", user=None), ev("2025-01-15 10:00", user="x", anonymous=True)]
    result = floating(events, [D], PARIS)
    assert result.units[D] == 0
    assert result.assignments[D] == 0
    assert result.holders_at_end == set()


def test_ref_floating_units_are_the_max_held_at_one_instant_not_the_users_of_the_day() -> None:
    # alice holds [08:00, 10:00), bob [11:00, 13:00): one licence at a time.
    events = [ev("2025-01-15 08:00"), ev("2025-01-15 11:00", user="bob")]
    result = floating(events, [D], PARIS, inactivity=timedelta(hours=2))
    assert result.units[D] == 1
    assert result.assignments[D] == 2
    assert result.releases[D] == 2
    assert result.held_at_end[D] == 0


def test_ref_floating_licences_of_two_users_overlapping_count_two() -> None:
    events = [ev("2025-01-15 08:00"), ev("2025-01-15 09:59", user="bob")]
    result = floating(events, [D], PARIS, inactivity=timedelta(hours=2))
    assert result.units[D] == 2


def test_ref_licence_held_from_before_the_range_counts_on_its_first_day() -> None:
    # Events before the reported days still hold licences in them.
    result = floating([ev("2025-01-10 10:00")], [D], PARIS)
    assert result.units[D] == 1
    assert result.assignments[D] == 0
    assert result.held_at_end[D] == 1


def test_ref_licence_still_held_after_last_event_counts_on_remaining_days() -> None:
    days = span(D, D + timedelta(days=5))
    result = floating([ev("2025-01-15 10:00", user="bob")], days, PARIS)
    assert all(result.units[day] == 1 for day in days)
    assert result.holders_at_end == {"bob"}
    assert result.held_at_end[days[-1]] == 1


def test_ref_licence_released_at_the_days_end_is_held_at_that_end() -> None:
    # Released at 23:00 UTC = Paris midnight: held just before D's end, not on D+1.
    d2 = D + timedelta(days=1)
    result = floating([ev("2025-01-15 21:00")], [D, d2], PARIS, inactivity=timedelta(hours=2))
    assert result.held_at_end == {D: 1, d2: 0}
    assert result.units == {D: 1, d2: 0}
    assert result.releases == {D: 0, d2: 1}
    assert floating(
        [ev("2025-01-15 21:00")], [D], PARIS, inactivity=timedelta(hours=2)
    ).holders_at_end == {"alice"}


# --- accounts -------------------------------------------------------------------------------


def test_ref_account_is_active_when_active_for_one_product() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", True, 0, product="crm"),
        row("2025-01-15 08:00", "alice", True, 1, product="lms"),
        row("2025-01-15 09:00", "alice", False, 2, product="crm"),
    ]
    result = accounts(rows, [D], PARIS, capacity=None)
    assert result.units[D] == 1


def test_ref_account_is_inactive_before_its_first_row() -> None:
    d0 = D - timedelta(days=1)
    result = accounts([row("2025-01-15 08:00", "alice", True, 0)], [d0, D], PARIS, capacity=None)
    assert result.units == {d0: 0, D: 1}


def test_ref_roster_state_holds_until_the_next_row_of_that_pair() -> None:
    days = span(D, D + timedelta(days=3))
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-17 08:00", "alice", False, 1),
    ]
    result = accounts(rows, days, PARIS, capacity=None)
    assert result.units == {days[0]: 1, days[1]: 1, days[2]: 1, days[3]: 0}


def test_ref_rows_with_the_same_ts_for_one_pair_last_in_file_order_wins() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", False, 1),
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-15 08:00", "bob", True, 2),
        row("2025-01-15 08:00", "bob", False, 3),
    ]
    result = accounts(rows, [D], PARIS, capacity=None)
    assert result.units[D] == 0


def test_ref_swap_of_accounts_at_one_instant_is_not_simultaneous() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-15 12:00", "alice", False, 1),
        row("2025-01-15 12:00", "bob", True, 2),
    ]
    result = accounts(rows, [D], PARIS, capacity=1)
    assert result.units[D] == 1
    assert result.refused == []


def test_ref_accounts_units_are_the_max_active_at_one_instant_of_the_day() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-15 09:00", "bob", True, 1),
        row("2025-01-15 10:00", "alice", False, 2),
        row("2025-01-15 10:00", "bob", False, 3),
    ]
    assert accounts(rows, [D], PARIS, capacity=None).units[D] == 2


def test_ref_activation_at_capacity_is_refused_but_still_counts_in_units() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-15 09:00", "bob", True, 1),
        row("2025-01-15 10:00", "carol", True, 2),
    ]
    result = accounts(rows, [D], PARIS, capacity=1)
    assert result.units[D] == 3
    assert result.refused == [
        Refusal(utc("2025-01-15 09:00"), "bob", 1),
        Refusal(utc("2025-01-15 10:00"), "carol", 2),
    ]


def test_ref_nothing_is_refused_without_capacity() -> None:
    rows = [row("2025-01-15 08:00", "alice", True, 0), row("2025-01-15 09:00", "bob", True, 1)]
    assert accounts(rows, [D], PARIS, capacity=None).refused == []


def test_ref_deactivations_at_an_instant_free_places_before_its_activations() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-15 08:00", "bob", True, 1),
        row("2025-01-15 12:00", "carol", True, 2),
        row("2025-01-15 12:00", "alice", False, 3),
        row("2025-01-15 12:00", "dave", True, 4),
    ]
    result = accounts(rows, [D], PARIS, capacity=2)
    assert result.units[D] == 3
    # At 12:00 alice leaves first (2 -> 1); carol enters (1 < 2), dave finds 2 >= 2.
    assert result.refused == [Refusal(utc("2025-01-15 12:00"), "dave", 2)]


def test_ref_simultaneous_activations_are_taken_in_user_order() -> None:
    rows = [
        row("2025-01-15 08:00", "zoe", True, 0),
        row("2025-01-15 08:00", "bob", True, 1),
        row("2025-01-15 08:00", "alice", True, 2),
    ]
    result = accounts(rows, [D], PARIS, capacity=1)
    assert result.refused == [
        Refusal(utc("2025-01-15 08:00"), "bob", 1),
        Refusal(utc("2025-01-15 08:00"), "zoe", 2),
    ]


def test_ref_product_swap_of_one_account_is_not_an_activation() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", True, 0, product="crm"),
        row("2025-01-15 08:00", "bob", True, 1),
        row("2025-01-15 12:00", "alice", False, 2, product="crm"),
        row("2025-01-15 12:00", "alice", True, 3, product="lms"),
    ]
    result = accounts(rows, [D], PARIS, capacity=1)
    assert result.units[D] == 2
    assert result.refused == [Refusal(utc("2025-01-15 08:00"), "bob", 1)]


def test_ref_refused_lists_only_activations_inside_the_report_range() -> None:
    rows = [
        row("2025-01-10 08:00", "alice", True, 0),
        row("2025-01-10 09:00", "bob", True, 1),
        row("2025-01-15 09:00", "carol", True, 2),
    ]
    result = accounts(rows, [D], PARIS, capacity=1)
    assert result.refused == [Refusal(utc("2025-01-15 09:00"), "carol", 2)]
    every = accounts(rows, [D], PARIS, capacity=1, refused_in_range_only=False)
    assert [refusal.user for refusal in every.refused] == ["bob", "carol"]


def test_ref_snapshot_absence_deactivates() -> None:
    d2 = D + timedelta(days=1)
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-15 08:00", "bob", True, 1),
        row("2025-01-16 08:00", "alice", True, 2),
    ]
    assert accounts(rows, [D, d2], PARIS, capacity=None, mode="snapshot").units == {D: 2, d2: 2}
    # Events mode: bob keeps his state; snapshot mode: bob is gone from 2025-01-16 08:00.
    d3 = d2 + timedelta(days=1)
    snap = accounts(rows, [D, d2, d3], PARIS, capacity=None, mode="snapshot")
    assert snap.units == {D: 2, d2: 2, d3: 1}
    events = accounts(rows, [D, d2, d3], PARIS, capacity=None, mode="events")
    assert events.units == {D: 2, d2: 2, d3: 2}


def test_ref_snapshot_listed_inactive_pair_turns_inactive() -> None:
    d2 = D + timedelta(days=1)
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-16 08:00", "alice", False, 1),
        row("2025-01-16 08:00", "bob", True, 2),
    ]
    result = accounts(rows, [D, d2, d2 + timedelta(days=1)], PARIS, capacity=1, mode="snapshot")
    assert list(result.units.values()) == [1, 1, 1]
    assert result.refused == []


def test_ref_snapshot_absence_frees_a_place_for_an_activation_at_that_instant() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-15 12:00", "bob", True, 1),
    ]
    result = accounts(rows, [D], PARIS, capacity=1, mode="snapshot")
    assert result.units[D] == 1
    assert result.refused == []


def test_ref_last_snapshot_holds_to_the_end_of_the_range() -> None:
    days = span(D, D + timedelta(days=4))
    rows = [row("2025-01-15 08:00", "alice", True, 0)]
    result = accounts(rows, days, PARIS, capacity=None, mode="snapshot")
    assert all(result.units[day] == 1 for day in days)


def test_ref_snapshot_pair_listed_twice_takes_the_last_in_file_order() -> None:
    rows = [
        row("2025-01-15 08:00", "alice", True, 0),
        row("2025-01-15 08:00", "alice", False, 1),
    ]
    assert accounts(rows, [D], PARIS, capacity=None, mode="snapshot").units[D] == 0


def _refused_users(refused: Sequence[Refusal]) -> list[str]:
    return [refusal.user for refusal in refused]


def test_ref_account_reactivated_after_deactivation_is_a_new_activation() -> None:
    rows = [
        row("2025-01-15 08:00", "bob", True, 0),
        row("2025-01-15 09:00", "alice", True, 1),
        row("2025-01-15 10:00", "alice", False, 2),
        row("2025-01-15 11:00", "alice", True, 3),
    ]
    result = accounts(rows, [D], PARIS, capacity=1)
    assert _refused_users(result.refused) == ["alice", "alice"]


def test_ref_snapshot_of_another_product_deactivates_before_the_scope_applies() -> None:
    d2 = D + timedelta(days=1)
    rows = [
        row("2025-01-15 08:00", "alice", True, 0, product="lms"),
        row("2025-01-15 08:00", "bob", True, 1, product="crm"),
        row("2025-01-16 08:00", "bob", True, 2, product="crm"),
    ]
    # The 16th's snapshot lists crm only: alice's lms account is gone from it.
    whole = accounts(rows, [D, d2 + timedelta(days=1)], PARIS, None, "snapshot", scope=["lms"])
    assert list(whole.units.values()) == [1, 0]
    # Given the scope's rows only, the 16th's snapshot would be invisible.
    lms_rows = [r for r in rows if r["product"] == "lms"]
    alone = accounts(lms_rows, [D, d2 + timedelta(days=1)], PARIS, None, "snapshot")
    assert list(alone.units.values()) == [1, 1]
