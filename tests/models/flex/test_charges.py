"""`flex` stretches and charges (SPEC 3.7 rules 1-2, units), hand-computed."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from licaudit.errors import ConfigError
from licaudit.models.flex.charges import charge_counts
from licaudit.models.flex.stretches import named_usage, stretches
from tests.conftest import utc
from tests.models.flex.support import (
    HOUR,
    MINUTE,
    T0,
    coded,
    flex_contract,
    run,
    stretch_frame,
    units,
    use,
    window_starts,
)

SECOND = timedelta(seconds=1)
DAY = timedelta(hours=24)

# --- Grace -------------------------------------------------------------------------------


def test_flex_usage_of_exactly_grace_is_free() -> None:
    assert window_starts(run([use(T0, 5 * MINUTE)])) == []


def test_flex_usage_of_grace_plus_one_second_is_charged() -> None:
    result = run([use(T0, 5 * MINUTE + SECOND)])
    assert window_starts(result) == [T0]
    assert units(result)[("acad", "2025-01-06")] == 6


def test_flex_a_point_event_alone_is_free() -> None:
    assert window_starts(run([use(T0, None)])) == []


def test_flex_grace_is_an_option() -> None:
    contract = flex_contract(grace=timedelta(minutes=10))
    assert window_starts(run([use(T0, 10 * MINUTE)], contract)) == []
    assert window_starts(run([use(T0, 10 * MINUTE + SECOND)], contract)) == [T0]


# --- Stretches ---------------------------------------------------------------------------


def test_flex_gap_of_exactly_idle_timeout_keeps_the_stretch() -> None:
    # 3 min, a 15 min gap, 3 min: one stretch of 21 min, charged.
    events = [use(T0, 3 * MINUTE), use(T0 + 18 * MINUTE, 3 * MINUTE)]
    assert window_starts(run(events)) == [T0]


def test_flex_gap_of_idle_timeout_plus_one_second_splits_the_stretch() -> None:
    # Two stretches of 3 min: each within grace, nothing charged.
    events = [use(T0, 3 * MINUTE), use(T0 + 18 * MINUTE + SECOND, 3 * MINUTE)]
    assert window_starts(run(events)) == []


def test_flex_gap_is_measured_from_the_largest_end_so_far() -> None:
    # [0, 60] holds [10, 20]: the start at 70 is 10 min after 60, not 50 after 20.
    events = [use(T0, 60 * MINUTE), use(T0 + 10 * MINUTE, 10 * MINUTE), use(T0 + 70 * MINUTE, None)]
    spans = stretches(named_usage(coded(events).lazy()), timedelta(minutes=15))
    assert spans.select("start", "end").rows() == [(T0, T0 + 70 * MINUTE)]


def test_flex_overlapping_events_merge_into_one_stretch() -> None:
    events = [use(T0, 2 * HOUR), use(T0 + HOUR, 2 * HOUR), use(T0 + 4 * HOUR, None)]
    spans = stretches(named_usage(coded(events).lazy()), timedelta(minutes=15))
    assert spans.select("start", "end").rows() == [
        (T0, T0 + 3 * HOUR),
        (T0 + 4 * HOUR, T0 + 4 * HOUR),
    ]


def test_flex_idle_timeout_is_an_option() -> None:
    events = [use(T0, 3 * MINUTE), use(T0 + 33 * MINUTE, 3 * MINUTE)]
    assert window_starts(run(events)) == []
    assert window_starts(run(events, flex_contract(idle_timeout=timedelta(minutes=30)))) == [T0]


def test_flex_two_devices_on_one_day_make_one_charge() -> None:
    events = [
        use(T0, HOUR, device="laptop"),
        use(T0 + 3 * HOUR, HOUR, device="workstation"),
        use(T0 + 8 * HOUR, HOUR, device="laptop"),
    ]
    result = run(events)
    assert window_starts(result) == [T0]
    assert units(result)[("acad", "2025-01-06")] == 6


def test_flex_keys_are_user_and_product_and_anonymous_rows_are_ignored() -> None:
    events = [
        use(T0, HOUR, "u", "acad"),
        use(T0, HOUR, "u", "revit"),
        use(T0, HOUR, "v", "acad"),
        use(T0, HOUR, "w", "acad", anonymous=True),
        use(T0, HOUR, None, "acad"),
    ]
    result = run(events)
    assert units(result) == {("acad", "2025-01-06"): 12, ("revit", "2025-01-06"): 10}


# --- 24-hour windows ---------------------------------------------------------------------


def test_flex_stretch_of_24h05m_is_one_charge() -> None:
    assert window_starts(run([use(T0, DAY + 5 * MINUTE)])) == [T0]


def test_flex_stretch_of_24h05m01s_is_two_charges() -> None:
    assert window_starts(run([use(T0, DAY + 5 * MINUTE + SECOND)])) == [T0, T0 + DAY]


def test_flex_stretch_of_30h_is_two_charges() -> None:
    result = run([use(T0, 30 * HOUR)], first=date(2025, 1, 6), last=date(2025, 1, 7))
    assert window_starts(result) == [T0, T0 + DAY]
    assert units(result) == {("acad", "2025-01-06"): 6, ("acad", "2025-01-07"): 6}


def test_flex_usage_inside_an_open_window_is_covered() -> None:
    events = [
        use(T0, HOUR),
        use(T0 + 10 * HOUR, HOUR),
        use(T0 + 23 * HOUR + 58 * MINUTE, 7 * MINUTE),  # 5 min past the window: free
        use(T0 + 30 * HOUR, 4 * MINUTE),
    ]
    assert window_starts(run(events)) == [T0]


def test_flex_stretch_running_past_window_end_is_charged_again_from_window_end() -> None:
    events = [use(T0, HOUR), use(T0 + 23 * HOUR + 58 * MINUTE, 8 * MINUTE)]  # 6 min past
    assert window_starts(run(events)) == [T0, T0 + DAY]


def test_flex_stretch_after_the_window_starts_a_new_window_at_its_start() -> None:
    events = [use(T0, HOUR), use(T0 + 25 * HOUR, HOUR)]
    assert window_starts(run(events)) == [T0, T0 + 25 * HOUR]


def test_flex_window_is_an_option() -> None:
    result = run([use(T0, 13 * HOUR)], flex_contract(window=timedelta(hours=12)))
    assert window_starts(result) == [T0, T0 + 12 * HOUR]


def test_flex_window_chain_across_many_stretches_counts_windows_from_the_first_charge() -> None:
    # Stretches on a coarse daily rhythm: each starts before the previous window ends.
    stretch_rows = charge_counts(
        stretch_frame([(0, 60), (23 * 60, 26 * 60), (47 * 60 + 30, 48 * 60 + 30)]),
        DAY,
        timedelta(minutes=5),
    )
    minute = 60_000_000
    origin = int(T0.timestamp() * 1_000_000)
    assert stretch_rows.select("first_charge", "charges").rows() == [
        (origin, 1),
        (origin + 24 * 60 * minute, 1),
        (origin + 48 * 60 * minute, 1),
    ]


# --- Units -------------------------------------------------------------------------------


def test_flex_units_are_tokens_charged_on_the_local_day_of_window_start() -> None:
    events = [
        use(utc("2025-01-06 22:30"), HOUR, "a"),  # 23:30 in Paris, 6 January
        use(utc("2025-01-06 23:30"), HOUR, "b"),  # 00:30 in Paris, 7 January
        use(utc("2025-01-06 23:30"), HOUR, "b", "revit"),
    ]
    result = run(events, flex_contract(scope=("acad", "maya", "revit")))
    assert units(result) == {
        ("acad", "2025-01-06"): 6,
        ("acad", "2025-01-07"): 6,
        ("maya", "2025-01-06"): 0,
        ("maya", "2025-01-07"): 0,
        ("revit", "2025-01-06"): 0,
        ("revit", "2025-01-07"): 10,
    }


def test_flex_charge_starting_after_the_last_day_is_not_reported() -> None:
    # 30 h from 08:00 on the 6th: the second window starts on the 7th, after the range.
    result = run([use(T0, 30 * HOUR)], first=date(2025, 1, 6), last=date(2025, 1, 6))
    assert units(result) == {("acad", "2025-01-06"): 6}


def test_flex_units_on_the_25_hour_dst_day_count_window_starts_of_that_local_day() -> None:
    # 2025-10-26 in Paris runs from 25 Oct 22:00 UTC to 26 Oct 23:00 UTC (25 hours).
    events = [
        use(utc("2025-10-25 22:00"), HOUR, "a"),
        use(utc("2025-10-26 22:30"), HOUR, "b"),
        use(utc("2025-10-26 23:00"), HOUR, "c"),  # 27 October, 00:00 in Paris
    ]
    assert units(run(events)) == {("acad", "2025-10-26"): 12, ("acad", "2025-10-27"): 6}


def test_flex_units_on_the_23_hour_dst_day() -> None:
    # 2025-03-30 in Paris runs from 29 Mar 23:00 UTC to 30 Mar 22:00 UTC (23 hours).
    events = [
        use(utc("2025-03-29 22:59"), HOUR, "a"),
        use(utc("2025-03-29 23:00"), HOUR, "b"),
        use(utc("2025-03-30 21:59"), HOUR, "c"),
        use(utc("2025-03-30 22:00"), HOUR, "d"),
    ]
    assert units(run(events)) == {
        ("acad", "2025-03-29"): 6,
        ("acad", "2025-03-30"): 12,
        ("acad", "2025-03-31"): 6,
    }


# --- Rates -------------------------------------------------------------------------------


def test_flex_product_used_without_a_rate_is_a_config_error_listing_every_missing_product() -> None:
    events = [use(T0, HOUR, product="maya"), use(T0, HOUR, product="3dsmax"), use(T0)]
    with pytest.raises(ConfigError) as raised:
        run(events)
    assert "3dsmax, maya" in raised.value.message
    assert raised.value.hint is not None and "scope" in raised.value.hint


def test_flex_product_used_only_anonymously_or_out_of_scope_needs_no_rate() -> None:
    events = [use(T0, HOUR), use(T0, HOUR, "x", "maya", anonymous=True), use(T0, HOUR, "y", "vred")]
    result = run(events, flex_contract(scope=("acad",)))
    assert units(result) == {("acad", "2025-01-06"): 6}


def test_flex_contract_without_rates_is_a_config_error() -> None:
    contract = flex_contract()
    contract = type(contract)(
        name=contract.name,
        model="flex",
        timezone=contract.timezone,
        options=type(contract.options)(),
    )
    with pytest.raises(ConfigError, match="rates"):
        run([use(T0)], contract)


def test_flex_ignores_anonymous_rows_and_counts_them() -> None:
    # SPEC 3.7: "Named users only (anonymous rows are ignored for this model, and counted)."
    named = use(T0, HOUR)
    anonymous = [use(T0, HOUR, user=None), use(T0 + HOUR, HOUR, user="guest", anonymous=True)]
    result = run([named, *anonymous])
    assert units(result) == units(run([named]))
    assert result.notes == ("2 anonymous rows ignored: Flex charges named users only",)
    assert run([named]).notes == ()
