"""Hand-computed cases checking the naive references of nominal, rau and flex themselves.

Times are UTC; Europe/Paris is UTC+1 in winter and UTC+2 in summer, so a Paris local
midnight in January is 23:00 UTC the day before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest

from tests.reference import flex_ref, netex_ref

TZ = "Europe/Paris"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def day_range(first: date, last: date) -> list[date]:
    days = []
    day = first
    while day <= last:
        days.append(day)
        day += timedelta(days=1)
    return days


def roster(*rows: tuple[datetime, str, str, bool]) -> list[dict[str, Any]]:
    return [
        {"ts": ts, "user": user, "product": product, "active": active, "seq": seq}
        for seq, (ts, user, product, active) in enumerate(rows)
    ]


def event(
    ts: datetime,
    user: str,
    product: str = "lms",
    *,
    end: datetime | None = None,
    anonymous: bool = False,
) -> dict[str, Any]:
    return {"ts": ts, "end": end, "user": user, "product": product, "anonymous": anonymous}


# --------------------------------------------------------------------------- nominal


def test_ref_nominal_swap_within_a_day_counts_once() -> None:
    rows = roster(
        (utc(2025, 1, 5, 8), "alice", "lms", True),
        (utc(2025, 1, 10, 10), "alice", "lms", False),
        (utc(2025, 1, 10, 14), "bob", "lms", True),
    )
    days = day_range(date(2025, 1, 9), date(2025, 1, 11))
    units = netex_ref.nominal(rows, days, TZ, ["lms"])
    assert units == {("lms", d): 1 for d in days}


def test_ref_nominal_swap_at_one_instant_is_never_simultaneous() -> None:
    rows = roster(
        (utc(2025, 1, 5, 8), "alice", "lms", True),
        (utc(2025, 1, 10, 10), "bob", "lms", True),
        (utc(2025, 1, 10, 10), "alice", "lms", False),
    )
    units = netex_ref.nominal(rows, [date(2025, 1, 10)], TZ, ["lms"])
    assert units == {("lms", date(2025, 1, 10)): 1}


def test_ref_nominal_overlap_within_a_day_counts_both() -> None:
    rows = roster(
        (utc(2025, 1, 5, 8), "alice", "lms", True),
        (utc(2025, 1, 10, 9), "bob", "lms", True),
        (utc(2025, 1, 10, 10), "alice", "lms", False),
    )
    days = day_range(date(2025, 1, 9), date(2025, 1, 11))
    units = netex_ref.nominal(rows, days, TZ, ["lms"])
    assert [units[("lms", d)] for d in days] == [1, 2, 1]


def test_ref_nominal_deactivation_at_local_midnight_does_not_count_on_new_day() -> None:
    rows = roster(
        (utc(2025, 1, 1, 8), "alice", "lms", True),
        (utc(2025, 1, 2, 23), "alice", "lms", False),  # 2025-01-03 00:00 in Paris
    )
    days = day_range(date(2025, 1, 2), date(2025, 1, 3))
    units = netex_ref.nominal(rows, days, TZ, ["lms"])
    assert [units[("lms", d)] for d in days] == [1, 0]


def test_ref_nominal_activation_at_local_midnight_counts_on_that_day_only() -> None:
    rows = roster((utc(2025, 1, 2, 23), "alice", "lms", True))
    days = day_range(date(2025, 1, 2), date(2025, 1, 3))
    units = netex_ref.nominal(rows, days, TZ, ["lms"])
    assert [units[("lms", d)] for d in days] == [0, 1]


def test_ref_nominal_day_is_23_hours_on_dst_switch() -> None:
    rows = roster(
        (utc(2025, 3, 29, 23), "alice", "lms", True),  # 2025-03-30 00:00 CET
        (utc(2025, 3, 30, 22), "alice", "lms", False),  # 2025-03-31 00:00 CEST
    )
    days = day_range(date(2025, 3, 29), date(2025, 3, 31))
    units = netex_ref.nominal(rows, days, TZ, ["lms"])
    assert [units[("lms", d)] for d in days] == [0, 1, 0]


def test_ref_nominal_same_ts_rows_last_in_file_order_wins() -> None:
    ts = utc(2025, 1, 10, 12)
    off_last = roster((ts, "alice", "lms", True), (ts, "alice", "lms", False))
    on_last = roster((ts, "alice", "lms", False), (ts, "alice", "lms", True))
    day = date(2025, 1, 11)
    assert netex_ref.nominal(off_last, [day], TZ, ["lms"]) == {("lms", day): 0}
    assert netex_ref.nominal(on_last, [day], TZ, ["lms"]) == {("lms", day): 1}


def test_ref_nominal_inactive_before_first_row_and_state_holds_after_last() -> None:
    rows = roster((utc(2025, 1, 10, 12), "alice", "lms", True))
    days = day_range(date(2025, 1, 9), date(2025, 1, 20))
    units = netex_ref.nominal(rows, days, TZ, ["lms"])
    assert units[("lms", date(2025, 1, 9))] == 0
    assert all(units[("lms", d)] == 1 for d in days[1:])


def test_ref_nominal_counts_per_product_with_a_row_for_every_listed_product() -> None:
    rows = roster(
        (utc(2025, 1, 1), "alice", "lms", True),
        (utc(2025, 1, 1), "alice", "crm", True),
        (utc(2025, 1, 1), "bob", "lms", True),
    )
    days = [date(2025, 1, 2)]
    units = netex_ref.nominal(rows, days, TZ, ["lms", "crm", "hr"])
    assert units == {("lms", days[0]): 2, ("crm", days[0]): 1, ("hr", days[0]): 0}


def test_ref_nominal_snapshot_absent_account_becomes_inactive() -> None:
    rows = roster(
        (utc(2025, 1, 1, 12), "alice", "lms", True),
        (utc(2025, 1, 1, 12), "bob", "lms", True),
        (utc(2025, 1, 5, 12), "alice", "lms", True),
    )
    days = day_range(date(2025, 1, 4), date(2025, 1, 6))
    snapshot = netex_ref.nominal(rows, days, TZ, ["lms"], mode="snapshot")
    events = netex_ref.nominal(rows, days, TZ, ["lms"], mode="events")
    assert [snapshot[("lms", d)] for d in days] == [2, 2, 1]
    assert [events[("lms", d)] for d in days] == [2, 2, 2]


def test_ref_nominal_snapshot_of_other_products_deactivates_absent_accounts() -> None:
    rows = roster(
        (utc(2025, 1, 1, 12), "alice", "lms", True),
        (utc(2025, 1, 1, 12), "bob", "crm", True),
        (utc(2025, 1, 5, 12), "bob", "crm", True),
    )
    day = date(2025, 1, 6)
    units = netex_ref.nominal(rows, [day], TZ, ["lms", "crm"], mode="snapshot")
    assert units == {("lms", day): 0, ("crm", day): 1}


def test_ref_nominal_snapshot_listed_status_applies() -> None:
    rows = roster(
        (utc(2025, 1, 1, 12), "alice", "lms", True),
        (utc(2025, 1, 1, 12), "bob", "lms", True),
        (utc(2025, 1, 5, 12), "alice", "lms", False),
        (utc(2025, 1, 5, 12), "bob", "lms", True),
        (utc(2025, 1, 5, 12), "carol", "lms", True),
    )
    day = date(2025, 1, 6)
    units = netex_ref.nominal(rows, [day], TZ, ["lms"], mode="snapshot")
    assert units == {("lms", day): 2}


def test_ref_nominal_peak_is_first_day_reaching_the_month_max() -> None:
    rows = roster(
        (utc(2025, 1, 30, 12), "alice", "lms", True),
        (utc(2025, 1, 31, 12), "bob", "lms", True),
        (utc(2025, 2, 1, 12), "bob", "lms", False),
        (utc(2025, 2, 2, 12), "bob", "lms", True),
    )
    days = day_range(date(2025, 1, 29), date(2025, 2, 3))
    peaks = netex_ref.nominal_peaks(rows, days, TZ, ["lms"])
    assert peaks == {
        ("lms", "2025-01"): (date(2025, 1, 31), 2),
        ("lms", "2025-02"): (date(2025, 2, 1), 2),
    }


def test_ref_nominal_month_without_active_user_has_no_peak_day() -> None:
    rows = roster(
        (utc(2025, 1, 30, 12), "alice", "lms", False),
        (utc(2025, 2, 2, 12), "alice", "lms", True),
    )
    days = day_range(date(2025, 1, 29), date(2025, 2, 3))
    peaks = netex_ref.nominal_peaks(rows, days, TZ, ["lms"])
    assert peaks == {("lms", "2025-01"): (None, 0), ("lms", "2025-02"): (date(2025, 2, 2), 1)}


# --------------------------------------------------------------------------- rau


def test_ref_rau_running_count_resets_each_month() -> None:
    events = [
        event(utc(2025, 1, 30, 9), "a"),
        event(utc(2025, 1, 30, 10), "b"),
        event(utc(2025, 1, 31, 9), "c"),
        event(utc(2025, 1, 31, 10), "a"),
        event(utc(2025, 2, 1, 9), "a"),
        event(utc(2025, 2, 2, 9), "d"),
    ]
    days = day_range(date(2025, 1, 30), date(2025, 2, 2))
    units = netex_ref.rau(events, days, TZ, ["lms"])
    assert [units[("lms", d)] for d in days] == [2, 3, 1, 2]


def test_ref_rau_matches_the_netex_daily_table() -> None:
    events = [
        event(utc(2025, 4, day, 9), user)
        for day, users in ((1, "123"), (2, "23"), (3, "124"))
        for user in users
    ]
    days = day_range(date(2025, 4, 1), date(2025, 4, 3))
    units = netex_ref.rau(events, days, TZ, ["lms"])
    assert [units[("lms", d)] for d in days] == [3, 3, 4]


def test_ref_rau_ignores_anonymous_events() -> None:
    events = [event(utc(2025, 1, 2, 9), "a"), event(utc(2025, 1, 2, 9), "b", anonymous=True)]
    day = date(2025, 1, 2)
    assert netex_ref.rau(events, [day], TZ, ["lms"]) == {("lms", day): 1}


def test_ref_rau_month_is_cut_in_local_time() -> None:
    events = [
        event(utc(2025, 1, 31, 9), "a"),
        event(utc(2025, 1, 31, 23, 30), "b"),  # 2025-02-01 00:30 in Paris
    ]
    days = day_range(date(2025, 1, 31), date(2025, 2, 1))
    units = netex_ref.rau(events, days, TZ, ["lms"])
    assert [units[("lms", d)] for d in days] == [1, 1]


def test_ref_rau_counts_per_product_with_a_row_for_every_listed_product() -> None:
    events = [
        event(utc(2025, 1, 2, 9), "a", "lms"),
        event(utc(2025, 1, 2, 9), "a", "crm"),
        event(utc(2025, 1, 2, 9), "b", "lms"),
    ]
    day = date(2025, 1, 2)
    units = netex_ref.rau(events, [day], TZ, ["lms", "crm", "hr"])
    assert units == {("lms", day): 2, ("crm", day): 1, ("hr", day): 0}


def test_ref_rau_users_lists_first_and_last_access_and_active_days() -> None:
    events = [
        event(utc(2025, 1, 30, 9), "b"),
        event(utc(2025, 1, 30, 8), "a"),
        event(utc(2025, 1, 30, 20), "a"),
        event(utc(2025, 1, 31, 22, 30), "a"),  # 23:30 in Paris, still 31 January
        event(utc(2025, 2, 1, 9), "a"),
    ]
    days = day_range(date(2025, 1, 30), date(2025, 2, 1))
    users = netex_ref.rau_users(events, days, TZ, ["lms"])
    assert users == {
        ("lms", "2025-01"): [
            netex_ref.RauUser("a", utc(2025, 1, 30, 8), utc(2025, 1, 31, 22, 30), 2),
            netex_ref.RauUser("b", utc(2025, 1, 30, 9), utc(2025, 1, 30, 9), 1),
        ],
        ("lms", "2025-02"): [netex_ref.RauUser("a", utc(2025, 2, 1, 9), utc(2025, 2, 1, 9), 1)],
    }


# --------------------------------------------------------------------------- money


def test_ref_month_cost_is_price_within_capacity() -> None:
    assert netex_ref.month_cost(450, 500, 5000.0, 12.5) == Decimal("5000.00")


def test_ref_month_cost_adds_excess_times_excess_price() -> None:
    assert netex_ref.month_cost(700, 500, 5000.0, 12.5) == Decimal("7500.00")


def test_ref_month_cost_missing_prices_are_zero() -> None:
    assert netex_ref.month_cost(700, 500, None, 12.5) == Decimal("2500.00")
    assert netex_ref.month_cost(700, 500, 5000, None) == Decimal("5000.00")
    assert netex_ref.month_cost(700, 500) == Decimal("0.00")


def test_ref_month_cost_without_capacity_has_no_excess() -> None:
    assert netex_ref.month_cost(700, None, 100, 12.5) == Decimal("100.00")


def test_ref_month_cost_rounds_half_up_to_cents() -> None:
    assert netex_ref.month_cost(1, 0, None, 0.125) == Decimal("0.13")
    assert netex_ref.month_cost(3, 0, 0.1, 0.1) == Decimal("0.40")
    assert netex_ref.month_cost(0, 0, "0.005") == Decimal("0.01")


# --------------------------------------------------------------------------- flex

T0 = utc(2025, 1, 6, 8)
RATES = {"acad": 6, "revit": 10}


def span(start: datetime, length: timedelta, user: str = "u", product: str = "acad") -> Any:
    return event(start, user, product, end=start + length)


def test_ref_flex_stretch_of_24h05m_is_one_charge() -> None:
    charges = flex_ref.charges([span(T0, timedelta(hours=24, minutes=5))], RATES)
    assert charges == [flex_ref.Charge("u", "acad", T0, T0 + timedelta(hours=24), 6, "charged")]


def test_ref_flex_stretch_of_24h05m01s_is_two_charges() -> None:
    charges = flex_ref.charges([span(T0, timedelta(hours=24, minutes=5, seconds=1))], RATES)
    day = timedelta(hours=24)
    assert charges == [
        flex_ref.Charge("u", "acad", T0, T0 + day, 6, "charged"),
        flex_ref.Charge("u", "acad", T0 + day, T0 + 2 * day, 6, "charged"),
    ]


def test_ref_flex_usage_of_grace_or_less_is_free() -> None:
    assert flex_ref.charges([span(T0, timedelta(minutes=5))], RATES) == []
    assert flex_ref.charges([event(T0, "u", "acad")], RATES) == []
    charged = flex_ref.charges([span(T0, timedelta(minutes=5, seconds=1))], RATES)
    assert [c.window_start for c in charged] == [T0]


def test_ref_flex_gap_over_idle_timeout_splits_stretches() -> None:
    three = timedelta(minutes=3)
    merged = [(T0, T0 + three), (T0 + timedelta(minutes=18), T0 + timedelta(minutes=21))]
    split = [(T0, T0 + three), (T0 + timedelta(minutes=18, seconds=1), T0 + timedelta(minutes=21))]
    assert flex_ref.stretches(merged) == [(T0, T0 + timedelta(minutes=21))]
    assert flex_ref.stretches(split) == split
    as_events = [event(s, "u", "acad", end=e) for s, e in merged]
    assert len(flex_ref.charges(as_events, RATES)) == 1
    assert flex_ref.charges([event(s, "u", "acad", end=e) for s, e in split], RATES) == []


def test_ref_flex_gap_is_measured_from_the_largest_end_so_far() -> None:
    minute = timedelta(minutes=1)
    intervals = [(T0 + 10 * minute, T0 + 20 * minute), (T0, T0 + 60 * minute)]
    intervals.append((T0 + 70 * minute, T0 + 80 * minute))
    assert flex_ref.stretches(intervals) == [(T0, T0 + 80 * minute)]


def test_ref_flex_usage_inside_an_open_window_is_covered() -> None:
    hour = timedelta(hours=1)
    events = [
        span(T0, hour),
        span(T0 + 10 * hour, hour),
        span(T0 + timedelta(hours=23, minutes=58), timedelta(minutes=7)),  # 5 min past
        span(T0 + timedelta(hours=30), timedelta(minutes=4)),
    ]
    assert [c.window_start for c in flex_ref.charges(events, RATES)] == [T0]


def test_ref_flex_stretch_running_past_window_end_is_charged_from_window_end() -> None:
    late = T0 + timedelta(hours=23, minutes=58)
    events = [span(T0, timedelta(hours=1)), span(late, timedelta(minutes=8))]  # 6 min past
    charges = flex_ref.charges(events, RATES)
    assert [c.window_start for c in charges] == [T0, T0 + timedelta(hours=24)]


def test_ref_flex_ignores_anonymous_events_and_keys_by_user_and_product() -> None:
    hour = timedelta(hours=1)
    events = [
        span(T0, hour, "u", "acad"),
        span(T0, hour, "u", "revit"),
        span(T0, hour, "v", "acad"),
        {**span(T0, hour, "w", "acad"), "anonymous": True},
    ]
    charges = flex_ref.charges(events, RATES)
    assert [(c.user, c.product, c.tokens) for c in charges] == [
        ("u", "acad", 6),
        ("u", "revit", 10),
        ("v", "acad", 6),
    ]


def test_ref_flex_product_without_rate_is_an_error() -> None:
    with pytest.raises(ValueError, match="maya"):
        flex_ref.charges([span(T0, timedelta(hours=1), product="maya")], RATES)


def pack(
    pack_id: str, purchased_at: datetime, tokens: int, expires_at: datetime | None = None
) -> dict[str, Any]:
    return {
        "pack_id": pack_id,
        "purchased_at": purchased_at,
        "tokens": tokens,
        "expires_at": expires_at,
    }


BOUGHT = utc(2025, 1, 1)


def test_ref_flex_denied_charge_draws_nothing() -> None:
    result = flex_ref.flex(
        [span(T0, timedelta(hours=1), product="revit")],
        RATES,
        [pack("p1", BOUGHT, 5)],
        TZ,
        end_of_range=utc(2025, 1, 7),
    )
    assert result.charges == [flex_ref.Charge("u", "revit", T0, None, 10, "denied")]
    assert result.ledger == []
    units = flex_ref.units(result.charges, [date(2025, 1, 6)], TZ, ["revit"])
    assert units == {("revit", date(2025, 1, 6)): 0}


def test_ref_flex_denial_stops_the_stretch_and_next_stretch_is_evaluated_afresh() -> None:
    hour = timedelta(hours=1)
    events = [span(T0, 30 * hour), span(T0 + 40 * hour, hour)]
    packs = [pack("p1", BOUGHT, 10), pack("p2", T0 + 25 * hour, 10)]
    result = flex_ref.flex(events, RATES, packs, TZ)
    assert result.charges == [
        flex_ref.Charge("u", "acad", T0, T0 + 24 * hour, 6, "charged"),
        flex_ref.Charge("u", "acad", T0 + 24 * hour, None, 6, "denied"),
        flex_ref.Charge("u", "acad", T0 + 40 * hour, T0 + 64 * hour, 6, "charged"),
    ]
    assert [(r.pack_id, r.time, r.change, r.reason, r.balance) for r in result.ledger] == [
        ("p1", T0, -6, "draw", 4),
        ("p1", T0 + 40 * hour, -4, "draw", 0),
        ("p2", T0 + 40 * hour, -2, "draw", 8),
        ("p2", utc(2026, 1, 7, 9), -8, "expire", 0),
    ]


def test_ref_flex_pack_order_earliest_expiry_date_first() -> None:
    packs = [
        pack("small-late", BOUGHT, 10, utc(2026, 6, 1)),
        pack("big-early", BOUGHT, 1000, utc(2026, 5, 1)),
    ]
    result = flex_ref.flex([span(T0, timedelta(hours=1))], RATES, packs, TZ, utc(2025, 2, 1))
    assert [(r.pack_id, r.change, r.balance) for r in result.ledger] == [("big-early", -6, 994)]


def test_ref_flex_pack_order_compares_local_expiry_dates_then_smallest_pack() -> None:
    packs = [
        # 2026-03-11 00:30 in Paris: a later local date although the same UTC date.
        pack("a-small-next-day", BOUGHT, 10, utc(2026, 3, 10, 23, 30)),
        pack("b-big", BOUGHT, 100, utc(2026, 3, 10, 9)),
        pack("c-mid", BOUGHT, 50, utc(2026, 3, 10, 22)),  # 23:00 in Paris, 10 March
    ]
    result = flex_ref.flex([span(T0, timedelta(hours=1))], RATES, packs, TZ, utc(2025, 2, 1))
    assert [(r.pack_id, r.change) for r in result.ledger] == [("c-mid", -6)]


def test_ref_flex_pack_order_ties_by_pack_id_and_a_charge_spans_packs() -> None:
    expiry = utc(2026, 1, 1)
    packs = [pack("p2", BOUGHT, 4, expiry), pack("p1", BOUGHT, 4, expiry)]
    result = flex_ref.flex([span(T0, timedelta(hours=1))], RATES, packs, TZ, utc(2025, 2, 1))
    assert [(r.pack_id, r.change, r.balance) for r in result.ledger] == [
        ("p1", -4, 0),
        ("p2", -2, 2),
    ]


def test_ref_flex_pack_is_eligible_from_purchase_until_before_expiry() -> None:
    hour = timedelta(hours=1)
    packs = [pack("p", T0 + hour, 100, T0 + 50 * hour)]
    events = [
        span(T0, hour, "a"),  # before the purchase
        span(T0 + hour, hour, "b"),  # at the purchase
        span(T0 + 50 * hour - timedelta(minutes=6), hour, "c"),  # just before expiry
        span(T0 + 50 * hour, hour, "d"),  # at expiry
    ]
    result = flex_ref.flex(events, RATES, packs, TZ, T0 + 100 * hour)
    assert [(c.user, c.status) for c in result.charges] == [
        ("a", "denied"),
        ("b", "charged"),
        ("c", "charged"),
        ("d", "denied"),
    ]
    assert result.ledger[-1] == flex_ref.LedgerRow("p", T0 + 50 * hour, -88, "expire", 0)


def test_ref_flex_leap_day_pack_expires_feb_28() -> None:
    bought = utc(2024, 2, 29, 10)
    assert flex_ref.default_expiry(bought) == utc(2025, 2, 28, 10)
    assert flex_ref.default_expiry(utc(2024, 3, 1, 10)) == utc(2025, 3, 1, 10)
    events = [
        span(utc(2025, 2, 28, 9, 59), timedelta(hours=1), "a"),
        span(utc(2025, 2, 28, 10), timedelta(hours=1), "b"),
    ]
    result = flex_ref.flex(events, RATES, [pack("p", bought, 20)], TZ, utc(2025, 3, 1))
    assert [c.status for c in result.charges] == ["charged", "denied"]
    assert result.ledger == [
        flex_ref.LedgerRow("p", utc(2025, 2, 28, 9, 59), -6, "draw", 14),
        flex_ref.LedgerRow("p", utc(2025, 2, 28, 10), -14, "expire", 0),
    ]


def test_ref_flex_expiry_rows_only_up_to_end_of_range_and_for_packs_not_empty() -> None:
    packs = [
        pack("early", BOUGHT, 6, utc(2025, 1, 10)),
        pack("late", BOUGHT, 6, utc(2025, 3, 1)),
        pack("unused", BOUGHT, 6, utc(2025, 1, 20)),
    ]
    result = flex_ref.flex([span(T0, timedelta(hours=1))], RATES, packs, TZ, utc(2025, 2, 1))
    assert [(r.pack_id, r.reason, r.change) for r in result.ledger] == [
        ("early", "draw", -6),
        ("unused", "expire", -6),
    ]


def test_ref_flex_ledger_takes_charges_in_time_order_then_user_then_product() -> None:
    hour = timedelta(hours=1)
    events = [
        span(T0 + hour, hour, "a", "acad"),
        span(T0, hour, "b", "revit"),
        span(T0, hour, "b", "acad"),
        span(T0, hour, "c", "acad"),
    ]
    result = flex_ref.flex(events, RATES, [pack("p", BOUGHT, 16)], TZ)
    assert [(c.user, c.product, c.status) for c in result.charges] == [
        ("b", "acad", "charged"),
        ("b", "revit", "charged"),
        ("c", "acad", "denied"),
        ("a", "acad", "denied"),
    ]


def test_ref_flex_without_packs_every_charge_is_charged_and_no_ledger() -> None:
    result = flex_ref.flex([span(T0, timedelta(hours=1))], RATES)
    assert [c.status for c in result.charges] == ["charged"]
    assert result.ledger == []


def test_ref_flex_units_are_tokens_charged_by_local_day_of_window_start() -> None:
    events = [
        span(utc(2025, 1, 6, 22, 30), timedelta(hours=1), "a"),  # 23:30 Paris, 6 January
        span(utc(2025, 1, 6, 23, 30), timedelta(hours=1), "b"),  # 00:30 Paris, 7 January
        span(utc(2025, 1, 6, 23, 30), timedelta(hours=1), "b", "revit"),
        span(utc(2025, 1, 9, 12), timedelta(hours=1), "c"),  # after the range
    ]
    charges = flex_ref.charges(events, RATES)
    days = day_range(date(2025, 1, 6), date(2025, 1, 7))
    units = flex_ref.units(charges, days, TZ, ["acad", "revit", "maya"])
    assert units == {
        ("acad", date(2025, 1, 6)): 6,
        ("acad", date(2025, 1, 7)): 6,
        ("revit", date(2025, 1, 6)): 0,
        ("revit", date(2025, 1, 7)): 10,
        ("maya", date(2025, 1, 6)): 0,
        ("maya", date(2025, 1, 7)): 0,
    }


def test_ref_flex_expiry_at_the_exclusive_end_of_the_range_is_not_listed() -> None:
    packs = [
        pack("at-end", BOUGHT, 6, utc(2025, 2, 1)),
        pack("before", BOUGHT, 6, utc(2025, 1, 31)),
    ]
    result = flex_ref.flex([], RATES, packs, TZ, utc(2025, 2, 1))
    assert [(r.pack_id, r.reason) for r in result.ledger] == [("before", "expire")]
