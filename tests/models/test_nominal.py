"""`nominal` (SPEC 3.5): hand-computed rules and the Netex worked examples, then the model
against a naive reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings

from licaudit.audit import Evaluation, evaluate, run_contract
from licaudit.errors import ConfigError
from licaudit.models.base import Contract
from licaudit.models.roster_states import apply_snapshots
from licaudit.periods import build_calendar, day_start
from tests.models.test_roster_states import (
    PARIS,
    day_list,
    event_frame,
    roster_frame,
    roster_of,
    rosters,
    scopes,
    utc,
)
from tests.reference import netex_ref

D = date(2025, 1, 15)  # in Paris: [2025-01-14 23:00, 2025-01-15 23:00) UTC


def nominal_contract(capacity: int | None = None, scope: tuple[str, ...] | None = None) -> Contract:
    return Contract(name="netex", model="nominal", timezone=PARIS, capacity=capacity, scope=scope)


def run(
    roster: pl.DataFrame,
    contract: Contract,
    first: date = D,
    last: date | None = None,
    event_products: Sequence[str] = ("default",),
) -> Evaluation:
    """The model over ``roster`` on the Paris days ``first..last`` (one day by default)."""
    calendar = build_calendar(first, last or first, contract.timezone)
    events = event_frame([calendar.first_start], event_products)
    return evaluate(events, contract, calendar, roster=roster)


def units(result: Evaluation, scope: str = "lms") -> list[int]:
    return result.day_usage.filter(pl.col("scope") == scope)["units"].to_list()


def scope_units(result: Evaluation) -> dict[str, list[int]]:
    frame = result.day_usage
    return {scope: units(result, scope) for scope in frame["scope"].unique().sort()}


def lms(*rows: tuple[str, str, bool]) -> pl.DataFrame:
    """A roster of the ``lms`` product: rows (ts UTC, user, active)."""
    return roster_of(*[(ts, user, "lms", active) for ts, user, active in rows])


def local_midnight(day: date) -> str:
    """The UTC instant of a Paris local midnight, written as ``roster_of`` reads it."""
    return day_start(day, PARIS).strftime("%Y-%m-%d %H:%M")


# --- The day's units --------------------------------------------------------------------------


def test_nominal_swap_of_one_user_for_another_within_a_day_counts_once() -> None:
    roster = lms(
        ("2025-01-10 08:00", "alice", True),
        ("2025-01-15 10:00", "alice", False),
        ("2025-01-15 14:00", "bob", True),
    )
    assert units(run(roster, nominal_contract(), D - timedelta(days=1), D + timedelta(days=1))) == [
        1,
        1,
        1,
    ]


def test_nominal_swap_at_one_instant_is_never_simultaneous() -> None:
    roster = lms(
        ("2025-01-10 08:00", "alice", True),
        ("2025-01-15 10:00", "bob", True),
        ("2025-01-15 10:00", "alice", False),
    )
    assert units(run(roster, nominal_contract())) == [1]


def test_nominal_users_active_together_within_a_day_count_both() -> None:
    roster = lms(
        ("2025-01-10 08:00", "alice", True),
        ("2025-01-15 09:00", "bob", True),
        ("2025-01-15 10:00", "alice", False),
    )
    assert units(run(roster, nominal_contract(), D, D + timedelta(days=1))) == [2, 1]


def test_nominal_deactivation_at_local_midnight_does_not_count_on_the_new_day() -> None:
    roster = lms(
        ("2025-01-10 08:00", "alice", True),
        ("2025-01-15 23:00", "alice", False),  # 2025-01-16 00:00 in Paris
    )
    assert units(run(roster, nominal_contract(), D, D + timedelta(days=1))) == [1, 0]


def test_nominal_activation_at_local_midnight_counts_from_that_day() -> None:
    roster = lms(("2025-01-15 23:00", "alice", True))  # 2025-01-16 00:00 in Paris
    assert units(run(roster, nominal_contract(), D, D + timedelta(days=2))) == [0, 1, 1]


def test_nominal_user_is_inactive_before_the_first_row_and_held_after_the_last() -> None:
    roster = lms(("2025-01-15 12:00", "alice", True))
    result = run(roster, nominal_contract(), D - timedelta(days=1), D + timedelta(days=5))
    assert units(result) == [0, 1, 1, 1, 1, 1, 1]


def test_nominal_rows_of_one_user_at_one_ts_apply_in_file_order() -> None:
    roster = lms(
        ("2025-01-15 12:00", "alice", True),
        ("2025-01-15 12:00", "alice", False),
        ("2025-01-15 12:00", "bob", False),
        ("2025-01-15 12:00", "bob", True),
    )
    assert units(run(roster, nominal_contract(), D + timedelta(days=1))) == [1]


def test_nominal_day_is_23_hours_on_the_spring_dst_switch() -> None:
    # 2025-03-30 in Paris is [2025-03-29 23:00 UTC, 2025-03-30 22:00 UTC).
    roster = lms(
        ("2025-03-29 22:30", "ann", True),  # 23:30 CET on the 29th
        ("2025-03-29 22:45", "ann", False),
        ("2025-03-30 21:30", "bob", True),  # 23:30 CEST on the 30th
        ("2025-03-30 21:45", "bob", False),
        ("2025-03-30 22:00", "cat", True),  # 00:00 CEST on the 31st
        ("2025-03-30 22:15", "cat", False),
    )
    result = run(roster, nominal_contract(), date(2025, 3, 29), date(2025, 4, 1))
    assert units(result) == [1, 1, 1, 0]


def test_nominal_day_is_25_hours_on_the_autumn_dst_switch() -> None:
    # 2025-10-26 in Paris is [2025-10-25 22:00 UTC, 2025-10-26 23:00 UTC).
    roster = lms(
        ("2025-10-25 21:45", "ann", True),  # 23:45 CEST on the 25th
        ("2025-10-25 22:00", "ann", False),
        ("2025-10-26 22:30", "bob", True),  # 23:30 CET on the 26th, its 25th hour
        ("2025-10-26 22:45", "bob", False),
        ("2025-10-26 23:00", "cat", True),  # 00:00 CET on the 27th
        ("2025-10-26 23:15", "cat", False),
    )
    result = run(roster, nominal_contract(), date(2025, 10, 24), date(2025, 10, 27))
    assert units(result) == [0, 1, 1, 1]


def test_nominal_counts_roster_users_not_the_users_of_the_access_events() -> None:
    roster = lms(("2025-01-15 12:00", "alice", True))
    result = run(roster, nominal_contract(), event_products=["lms"])
    # The access events' "visitor" has no roster row: not a nominal licence.
    assert units(result) == [1]


# --- Scopes -------------------------------------------------------------------------------------


def test_nominal_gives_one_scope_per_product_of_the_roster() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "bob", "lms", True),
        ("2025-01-15 08:00", "carol", "hr", False),  # a product never active: a scope of zeros
    )
    result = run(roster, nominal_contract(), D, D + timedelta(days=1), event_products=["erp"])
    # erp has access events but no roster row: not a nominal scope.
    assert scope_units(result) == {"crm": [1, 1], "hr": [0, 0], "lms": [2, 2]}


def test_nominal_scope_list_gives_one_scope_per_listed_product_each_with_every_day() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "bob", "hr", True),
    )
    contract = nominal_contract(scope=("erp", "lms", "wiki"))
    result = run(roster, contract, D, D + timedelta(days=2), event_products=["erp"])
    # erp has events and no roster row, wiki nothing at all: both get every day, at 0.
    assert scope_units(result) == {"erp": [0, 0, 0], "lms": [1, 1, 1], "wiki": [0, 0, 0]}
    peaks = result.details["peaks"]
    assert peaks.select("period", "product", "peak_day", "active_users").rows() == [
        ("2025-01", "erp", None, 0),
        ("2025-01", "lms", D, 1),
    ]


# --- The Netex worked examples -------------------------------------------------------------------


def users(first: int, last: int) -> list[str]:
    return [f"u{number:04d}" for number in range(first, last + 1)]


def test_nominal_netex_example_month_with_days_of_50_120_90_active_gives_120() -> None:
    # "Day 1: 50, Day 2: 120, ..., Day 30: 90 — the total number of licenses consumed
    # on the LMS platform would be 120." Changes at local midnights, April 2025.
    day_1, day_2, day_3 = date(2025, 4, 1), date(2025, 4, 2), date(2025, 4, 3)
    rows = [
        *[(local_midnight(day_1), user, True) for user in users(1, 50)],
        *[(local_midnight(day_2), user, True) for user in users(51, 120)],
        *[(local_midnight(day_3), user, False) for user in users(91, 120)],
    ]
    events = event_frame([utc("2025-04-01 10:00"), utc("2025-04-30 10:00")], ["lms"])
    result = run_contract(events, nominal_contract(), "EUR", roster=lms(*rows))
    days = result.day_rows["units"].to_list()
    assert days[:3] == [50, 120, 90]
    assert days[-1] == 90 and len(days) == 30
    assert result.month_rows.select("scope", "period", "units").rows() == [("lms", "2025-04", 120)]
    assert result.details["peaks"].select("period", "peak_day", "active_users").rows() == [
        ("2025-04", day_2, 120)
    ]


def test_nominal_netex_example_150_450_700_over_500_bills_200_at_the_excess_price() -> None:
    # "500 RAU licenses contracted; 150, 450, 700 users: the agreed amount for 500, then
    # the agreed amount plus 200 licenses at the excess license price."
    rows = [
        *[(local_midnight(date(2025, 1, 1)), user, True) for user in users(1, 150)],
        *[(local_midnight(date(2025, 2, 1)), user, True) for user in users(151, 450)],
        *[(local_midnight(date(2025, 3, 1)), user, True) for user in users(451, 700)],
    ]
    events = event_frame([utc("2025-01-01 10:00"), utc("2025-03-31 10:00")], ["lms"])
    contract = replace(
        nominal_contract(capacity=500), price=Decimal("5000.00"), excess_price=Decimal("12.50")
    )
    result = run_contract(events, contract, "EUR", roster=lms(*rows))
    months = result.month_rows.select("period", "units", "capacity", "excess", "cost", "currency")
    assert months.rows() == [
        ("2025-01", 150, 500, 0, Decimal("5000.00"), "EUR"),
        ("2025-02", 450, 500, 0, Decimal("5000.00"), "EUR"),
        ("2025-03", 700, 500, 200, Decimal("5000.00") + 200 * Decimal("12.50"), "EUR"),
    ]
    assert months["cost"][2] == Decimal("7500.00")
    # Day rows carry no cost; the last day of January is still 150 (February's
    # activations happen at its end, which is not part of it).
    assert result.day_rows["cost"].null_count() == result.day_rows.height
    assert result.day_rows.filter(pl.col("period") == "2025-01-31")["units"].to_list() == [150]


# --- Peaks --------------------------------------------------------------------------------------


def test_nominal_peaks_name_the_first_day_reaching_the_months_max() -> None:
    roster = lms(
        ("2025-01-30 12:00", "alice", True),
        ("2025-01-31 12:00", "bob", True),
        ("2025-02-01 12:00", "bob", False),
        ("2025-02-02 12:00", "bob", True),
    )
    result = run(roster, nominal_contract(), date(2025, 1, 29), date(2025, 2, 3))
    peaks = result.details["peaks"]
    assert peaks.columns == ["contract", "period", "product", "peak_day", "active_users"]
    assert peaks.select("period", "product", "peak_day", "active_users").rows() == [
        ("2025-01", "lms", date(2025, 1, 31), 2),
        ("2025-02", "lms", date(2025, 2, 1), 2),
    ]


def test_nominal_peaks_of_a_month_without_active_user_have_no_peak_day() -> None:
    roster = lms(("2025-01-30 12:00", "alice", False), ("2025-02-02 12:00", "alice", True))
    result = run(roster, nominal_contract(), date(2025, 1, 29), date(2025, 2, 3))
    assert result.details["peaks"].select("period", "peak_day", "active_users").rows() == [
        ("2025-01", None, 0),
        ("2025-02", date(2025, 2, 2), 1),
    ]


def test_nominal_peaks_follow_from_and_to_by_month() -> None:
    roster = lms(("2025-01-30 12:00", "alice", True))
    events = event_frame([utc("2025-01-29 12:00"), utc("2025-02-03 12:00")], ["lms"])
    result = run_contract(events, nominal_contract(), "EUR", date(2025, 2, 1), roster=roster)
    assert result.details["peaks"].select("period", "peak_day").rows() == [
        ("2025-02", date(2025, 2, 1))
    ]


# --- Contract level, snapshots ----------------------------------------------------------------


def test_nominal_without_roster_is_a_configuration_error() -> None:
    events = event_frame([utc("2025-01-15 12:00")], ["lms"])
    with pytest.raises(ConfigError) as raised:
        run_contract(events, nominal_contract(), "EUR")
    assert raised.value.exit_code == 2
    assert "nominal" in raised.value.message


def test_nominal_snapshot_absence_is_inactive() -> None:
    roster = lms(
        ("2025-01-15 12:00", "alice", True),
        ("2025-01-15 12:00", "bob", True),
        ("2025-01-16 12:00", "alice", True),
    )
    days = (D, D + timedelta(days=2))
    assert units(run(roster, nominal_contract(), *days)) == [2, 2, 2]
    # bob is absent from the 16th's snapshot: inactive from 12:00 that day.
    assert units(run(apply_snapshots(roster), nominal_contract(), *days)) == [2, 2, 1]


def test_nominal_snapshot_of_other_products_deactivates_absent_accounts() -> None:
    roster = roster_of(
        ("2025-01-15 12:00", "alice", "lms", True),
        ("2025-01-15 12:00", "bob", "crm", True),
        ("2025-01-16 12:00", "bob", "crm", True),
    )
    # Snapshots are read on the whole roster, then the scope applies.
    result = run(apply_snapshots(roster), nominal_contract(scope=("lms",)), D, D + timedelta(2))
    assert units(result) == [1, 1, 0]


def test_nominal_snapshot_with_status_takes_the_listed_status() -> None:
    roster = lms(
        ("2025-01-15 12:00", "alice", True),
        ("2025-01-15 12:00", "bob", True),
        ("2025-01-16 12:00", "alice", False),  # listed inactive
        ("2025-01-16 12:00", "bob", True),
        ("2025-01-16 12:00", "carol", True),
    )
    result = run(apply_snapshots(roster), nominal_contract(), D, D + timedelta(days=2))
    # At 12:00 on the 16th alice leaves as carol comes: never three at once.
    assert units(result) == [2, 2, 2]
    listed_active = roster.with_columns(active=pl.lit(True))
    assert units(run(apply_snapshots(listed_active), nominal_contract(), D, D + timedelta(2))) == [
        2,
        3,
        3,
    ]


def test_nominal_snapshot_without_status_lists_the_active_accounts() -> None:
    # Without a status column every listed account reads as active (SPEC 1.5): the
    # snapshot is just the list of who holds a licence.
    listed = [
        ("2025-01-15 12:00", ["alice", "bob"]),
        ("2025-01-16 12:00", ["bob", "carol", "dave"]),
        ("2025-01-17 12:00", ["dave"]),
    ]
    roster = lms(*[(ts, user, True) for ts, names in listed for user in names])
    result = run(apply_snapshots(roster), nominal_contract(), D, D + timedelta(days=3))
    # The 16th: alice until 12:00 with bob, then bob, carol, dave; the 17th: three
    # until 12:00, then dave alone.
    assert units(result) == [2, 3, 3, 1]


# --- Properties against the naive reference ----------------------------------------------------


def check_against_reference(
    first_day: date, records: list[dict[str, Any]], scope: tuple[str, ...] | None, mode: str
) -> None:
    days = day_list(first_day, first_day + timedelta(days=2))
    roster = roster_frame(records)
    if mode == "snapshot":
        roster = apply_snapshots(roster)  # the whole roster, before the scope applies
    result = run(roster, nominal_contract(scope=scope), days[0], days[-1])
    roster_products = sorted({record["product"] for record in records})
    products = list(scope) if scope is not None else roster_products
    expected = netex_ref.nominal(records, days, PARIS, products, mode)
    found = {(scope, day): units for scope, day, units in result.day_usage.iter_rows()}
    assert found == expected
    # Peaks exist for the products the data names (a listed product without any row
    # has no code: only its usage rows are filled, by the audit).
    named = [product for product in products if product in roster_products]
    expected_peaks = netex_ref.nominal_peaks(records, days, PARIS, named, mode)
    peaks = result.details["peaks"].select("product", "period", "peak_day", "active_users")
    assert {(p, m): (d, n) for p, m, d, n in peaks.iter_rows()} == expected_peaks


@settings(max_examples=150)
@given(rosters(), scopes)
def test_nominal_matches_the_reference_on_status_events(
    case: tuple[date, list[dict[str, Any]]], scope: tuple[str, ...] | None
) -> None:
    check_against_reference(*case, scope, "events")


@settings(max_examples=150)
@given(rosters(), scopes)
def test_nominal_matches_the_reference_on_snapshots(
    case: tuple[date, list[dict[str, Any]]], scope: tuple[str, ...] | None
) -> None:
    check_against_reference(*case, scope, "snapshot")
