"""`accounts` (SPEC 3.4): hand-computed rules, then the model against a naive reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.audit import Evaluation, evaluate, run_contract
from licaudit.errors import ConfigError
from licaudit.models.base import Contract
from licaudit.models.roster_states import apply_snapshots
from licaudit.periods import build_calendar
from tests.models.test_roster_states import (
    PARIS,
    RosterRow,
    day_list,
    event_frame,
    roster_frame,
    roster_of,
    rosters,
    scopes,
    utc,
)
from tests.reference.netexplorer_ref import Refusal, accounts

D = date(2025, 1, 15)  # in Paris: [2025-01-14 23:00, 2025-01-15 23:00) UTC


def accounts_contract(
    capacity: int | None = None, scope: tuple[str, ...] | None = None
) -> Contract:
    return Contract(
        name="workspace", model="accounts", timezone=PARIS, capacity=capacity, scope=scope
    )


def run(
    roster: pl.DataFrame, contract: Contract, first: date = D, last: date | None = None
) -> Evaluation:
    """The model over ``roster`` on the Paris days ``first..last`` (one day by default)."""
    calendar = build_calendar(first, last or first, contract.timezone)
    products = roster["product"].unique().sort().to_list() or ["default"]
    events = event_frame([calendar.first_start], products)
    return evaluate(events, contract, calendar, roster=roster)


def units(result: Evaluation) -> list[int]:
    return result.day_usage["units"].to_list()


def refusals(result: Evaluation) -> list[tuple[datetime, str, int]]:
    return list(result.details["refused"].select("ts", "user", "active_before").iter_rows())


def rows_of(*rows: RosterRow) -> pl.DataFrame:
    return roster_of(*rows)


# --- Who is an account, and when ---------------------------------------------------------------


def test_accounts_user_active_in_two_products_is_one_account() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 09:00", "alice", "lms", True),
        ("2025-01-15 10:00", "alice", "crm", False),
    )
    assert units(run(roster, accounts_contract())) == [1]


def test_accounts_units_are_the_most_accounts_active_at_one_instant_of_the_day() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 09:00", "bob", "crm", True),
        ("2025-01-15 10:00", "alice", "crm", False),
        ("2025-01-15 10:00", "bob", "crm", False),
        ("2025-01-15 11:00", "carol", "crm", True),
    )
    assert units(run(roster, accounts_contract())) == [2]


def test_accounts_swap_of_one_user_for_another_within_a_day_counts_once() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 10:00", "alice", "crm", False),
        ("2025-01-15 14:00", "bob", "crm", True),
    )
    assert units(run(roster, accounts_contract())) == [1]


def test_accounts_deactivation_and_activation_at_one_instant_are_never_simultaneous() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 12:00", "bob", "crm", True),
        ("2025-01-15 12:00", "alice", "crm", False),
    )
    result = run(roster, accounts_contract(capacity=1))
    assert units(result) == [1]
    assert refusals(result) == []


def test_accounts_rows_of_one_user_and_product_at_one_ts_apply_in_file_order() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "alice", "crm", False),
        ("2025-01-15 08:00", "bob", "crm", False),
        ("2025-01-15 08:00", "bob", "crm", True),
    )
    assert units(run(roster, accounts_contract(), D, D + timedelta(days=1))) == [1, 1]


def test_accounts_state_holds_on_days_without_rows_and_after_the_last_row() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 09:00", "bob", "crm", True),
        ("2025-01-17 08:00", "alice", "crm", False),
    )
    days = units(run(roster, accounts_contract(), D - timedelta(days=1), D + timedelta(days=4)))
    # Inactive before the first row; alice held to the 17th; bob to the end.
    assert days == [0, 2, 2, 2, 1, 1]


def test_accounts_deactivation_at_local_midnight_does_not_count_on_the_new_day() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 23:00", "alice", "crm", False),  # 2025-01-16 00:00 in Paris
    )
    assert units(run(roster, accounts_contract(), D, D + timedelta(days=1))) == [1, 0]


def test_accounts_count_on_the_23_hour_dst_day() -> None:
    # 2025-03-30 in Paris is [2025-03-29 23:00 UTC, 2025-03-30 22:00 UTC): 23 hours.
    roster = rows_of(
        ("2025-03-29 22:30", "ann", "crm", True),  # 23:30 CET on the 29th
        ("2025-03-29 22:45", "ann", "crm", False),
        ("2025-03-30 21:30", "bob", "crm", True),  # 23:30 CEST on the 30th
        ("2025-03-30 21:45", "bob", "crm", False),
        ("2025-03-30 22:00", "cat", "crm", True),  # 00:00 CEST on the 31st
        ("2025-03-30 22:15", "cat", "crm", False),
    )
    result = run(roster, accounts_contract(), date(2025, 3, 29), date(2025, 3, 31))
    # Were the 30th 24 hours long, cat would count on it and not on the 31st.
    assert units(result) == [1, 1, 1]


def test_accounts_count_on_the_25_hour_dst_day() -> None:
    # 2025-10-26 in Paris is [2025-10-25 22:00 UTC, 2025-10-26 23:00 UTC): 25 hours.
    roster = rows_of(
        ("2025-10-25 21:45", "ann", "crm", True),  # 23:45 CEST on the 25th
        ("2025-10-25 22:00", "ann", "crm", False),
        ("2025-10-26 22:30", "bob", "crm", True),  # 23:30 CET on the 26th, its 25th hour
        ("2025-10-26 22:45", "bob", "crm", False),
        ("2025-10-26 23:00", "cat", "crm", True),  # 00:00 CET on the 27th
        ("2025-10-26 23:15", "cat", "crm", False),
    )
    result = run(roster, accounts_contract(), date(2025, 10, 25), date(2025, 10, 27))
    # Were the 26th 24 hours long, bob would count on the 27th and the 26th would be 0.
    assert units(result) == [1, 1, 1]


# --- Scopes ---------------------------------------------------------------------------------


def test_accounts_without_scope_count_across_every_product_under_star() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "bob", "lms", True),
        ("2025-01-15 08:00", "carol", "hr", True),
    )
    result = run(roster, accounts_contract())
    assert result.day_usage.select("scope", "units").rows() == [("*", 3)]


def test_accounts_scope_list_counts_across_the_listed_products_under_one_scope() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 08:00", "bob", "lms", True),
        ("2025-01-15 08:00", "carol", "hr", True),
    )
    result = run(roster, accounts_contract(scope=("crm", "lms")))
    assert result.day_usage.select("scope", "units").rows() == [("crm+lms", 2)]
    result = run(roster, accounts_contract(scope=("hr",)))
    assert result.day_usage.select("scope", "units").rows() == [("hr", 1)]


def test_accounts_account_active_for_a_product_out_of_scope_only_does_not_count() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 09:00", "alice", "hr", True),
        ("2025-01-15 10:00", "alice", "crm", False),
        ("2025-01-15 11:00", "bob", "lms", True),
    )
    # In crm+lms alice's account ends at 10:00 (hr is out of scope): never with bob.
    assert units(run(roster, accounts_contract(scope=("crm", "lms")))) == [1]
    assert units(run(roster, accounts_contract())) == [2]


# --- Refused activations -------------------------------------------------------------------


def test_accounts_activation_at_capacity_is_refused_and_still_counts_in_units() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 09:00", "bob", "crm", True),
        ("2025-01-15 10:00", "carol", "crm", True),
    )
    result = run(roster, accounts_contract(capacity=1))
    assert units(result) == [3]
    assert refusals(result) == [
        (utc("2025-01-15 09:00"), "bob", 1),
        (utc("2025-01-15 10:00"), "carol", 2),
    ]
    assert result.details["refused"].columns == ["contract", "ts", "user", "active_before"]
    assert result.details["refused"]["contract"].to_list() == ["workspace", "workspace"]


def test_accounts_activation_below_capacity_is_not_refused() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 09:00", "bob", "crm", True),
    )
    assert refusals(run(roster, accounts_contract(capacity=2))) == []
    assert refusals(run(roster, accounts_contract(capacity=1))) == [
        (utc("2025-01-15 09:00"), "bob", 1)
    ]


def test_accounts_nothing_is_refused_without_capacity() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 09:00", "bob", "crm", True),
    )
    refused = run(roster, accounts_contract()).details["refused"]
    assert refused.height == 0
    assert refused.schema == pl.Schema(
        {
            "contract": pl.String(),
            "ts": pl.Datetime("us", "UTC"),
            "user": pl.String(),
            "active_before": pl.Int64(),
        }
    )


def test_accounts_deactivations_at_an_instant_free_places_before_its_activations() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "bob", "crm", True),
        ("2025-01-15 12:00", "dave", "crm", True),
        ("2025-01-15 12:00", "carol", "crm", True),
        ("2025-01-15 12:00", "alice", "crm", False),
    )
    result = run(roster, accounts_contract(capacity=2))
    # At 12:00 alice leaves first (2 -> 1); carol comes in (1 < 2); dave finds 2.
    assert units(result) == [3]
    assert refusals(result) == [(utc("2025-01-15 12:00"), "dave", 2)]


def test_accounts_simultaneous_activations_are_taken_in_user_order() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "zoe", "crm", True),
        ("2025-01-15 08:00", "bob", "crm", True),
        ("2025-01-15 08:00", "alice", "crm", True),
    )
    assert refusals(run(roster, accounts_contract(capacity=1))) == [
        (utc("2025-01-15 08:00"), "bob", 1),
        (utc("2025-01-15 08:00"), "zoe", 2),
    ]


def test_accounts_product_swap_of_one_account_is_not_an_activation() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "bob", "lms", True),
        ("2025-01-15 12:00", "alice", "crm", False),
        ("2025-01-15 12:00", "alice", "lms", True),
    )
    result = run(roster, accounts_contract(capacity=1))
    assert units(result) == [2]
    assert refusals(result) == [(utc("2025-01-15 08:00"), "bob", 1)]


def test_accounts_second_product_of_an_active_account_is_not_an_activation() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 09:00", "alice", "lms", True),
    )
    assert refusals(run(roster, accounts_contract(capacity=1))) == []


def test_accounts_reactivated_account_is_a_new_activation() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "bob", "crm", True),
        ("2025-01-15 09:00", "alice", "crm", True),
        ("2025-01-15 10:00", "alice", "crm", False),
        ("2025-01-15 11:00", "alice", "crm", True),
    )
    assert refusals(run(roster, accounts_contract(capacity=1))) == [
        (utc("2025-01-15 09:00"), "alice", 1),
        (utc("2025-01-15 11:00"), "alice", 1),
    ]


def test_accounts_refused_lists_activations_of_the_report_range_only() -> None:
    roster = rows_of(
        ("2025-01-10 08:00", "alice", "crm", True),
        ("2025-01-10 09:00", "bob", "crm", True),  # refused, but before the range
        ("2025-01-15 09:00", "carol", "crm", True),
        ("2025-01-16 09:00", "dave", "crm", True),  # after the range
    )
    result = run(roster, accounts_contract(capacity=1))
    assert units(result) == [3]
    assert refusals(result) == [(utc("2025-01-15 09:00"), "carol", 2)]


def test_accounts_from_to_restrict_refused_to_the_local_days_reported() -> None:
    roster = rows_of(
        ("2025-01-14 08:00", "alice", "crm", True),
        ("2025-01-14 09:00", "bob", "crm", True),
        ("2025-01-15 23:30", "carol", "crm", True),  # 00:30 on the 16th in Paris
    )
    events = event_frame([utc("2025-01-14 08:00"), utc("2025-01-16 08:00")], ["crm"])
    contract = accounts_contract(capacity=1)
    result = run_contract(events, contract, "EUR", date(2025, 1, 16), roster=roster)
    assert result.details["refused"].select("user", "active_before").rows() == [("carol", 2)]
    assert result.day_rows.select("period", "units").rows() == [("2025-01-16", 3)]


# --- Contract level ---------------------------------------------------------------------------


def test_accounts_month_is_the_peak_of_its_days() -> None:
    roster = rows_of(
        ("2025-01-10 08:00", "alice", "crm", True),
        ("2025-01-12 08:00", "bob", "crm", True),
        ("2025-01-13 08:00", "alice", "crm", False),
        ("2025-01-13 08:00", "bob", "crm", False),
    )
    events = event_frame([utc("2025-01-05 12:00"), utc("2025-01-20 12:00")], ["crm"])
    result = run_contract(events, accounts_contract(capacity=1), "EUR", roster=roster)
    assert result.month_rows.select("period", "units", "excess").rows() == [("2025-01", 2, 1)]


def test_accounts_without_roster_is_a_configuration_error() -> None:
    events = event_frame([utc("2025-01-15 12:00")])
    with pytest.raises(ConfigError) as raised:
        run_contract(events, accounts_contract(), "EUR")
    assert raised.value.exit_code == 2
    assert "accounts" in raised.value.message


def test_accounts_snapshot_absence_is_inactive() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "bob", "crm", True),
        ("2025-01-16 08:00", "alice", "crm", True),
    )
    days = (D, D + timedelta(days=2))
    assert units(run(roster, accounts_contract(), *days)) == [2, 2, 2]
    # bob is absent from the 16th's snapshot: inactive from 08:00 that day.
    assert units(run(apply_snapshots(roster), accounts_contract(), *days)) == [2, 2, 1]


def test_accounts_snapshot_absence_frees_a_place_for_an_activation_at_that_instant() -> None:
    roster = rows_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 12:00", "bob", "crm", True),
    )
    result = run(apply_snapshots(roster), accounts_contract(capacity=1))
    assert units(result) == [1]
    assert refusals(result) == []


# --- Properties against the naive reference --------------------------------------------------


def check_against_reference(
    first_day: date,
    records: list[dict[str, Any]],
    scope: Sequence[str] | None,
    capacity: int,
    mode: str,
) -> None:
    days = day_list(first_day, first_day + timedelta(days=2))
    contract = accounts_contract(capacity=capacity, scope=None if scope is None else tuple(scope))
    roster = roster_frame(records)
    if mode == "snapshot":
        roster = apply_snapshots(roster)  # the whole roster, before the scope applies
    result = run(roster, contract, days[0], days[-1])
    expected = accounts(records, days, PARIS, capacity, mode, scope=scope)
    assert dict(zip(days, units(result), strict=True)) == expected.units
    assert [Refusal(*row) for row in refusals(result)] == expected.refused


@settings(max_examples=150)
@given(rosters(), scopes, st.integers(0, 3))
def test_accounts_match_the_reference_on_status_events(
    case: tuple[date, list[dict[str, Any]]], scope: tuple[str, ...] | None, capacity: int
) -> None:
    check_against_reference(*case, scope, capacity, "events")


@settings(max_examples=150)
@given(rosters(), scopes, st.integers(0, 3))
def test_accounts_match_the_reference_on_snapshots(
    case: tuple[date, list[dict[str, Any]]], scope: tuple[str, ...] | None, capacity: int
) -> None:
    check_against_reference(*case, scope, capacity, "snapshot")


@settings(max_examples=30)
@given(st.data())
def test_accounts_units_ignore_roster_rows_order_in_the_frame(data: st.DataObject) -> None:
    first_day, records = data.draw(rosters())
    shuffled = data.draw(st.permutations(records))
    days = (first_day, first_day + timedelta(days=2))
    straight = run(roster_frame(records), accounts_contract(capacity=1), *days)
    mixed = run(roster_frame(shuffled), accounts_contract(capacity=1), *days)
    assert units(straight) == units(mixed)
    assert refusals(straight) == refusals(mixed)


def test_accounts_priced_contract_costs_price_plus_excess() -> None:
    roster = rows_of(
        ("2025-01-10 08:00", "alice", "crm", True),
        ("2025-01-10 08:00", "bob", "crm", True),
        ("2025-01-10 08:00", "carol", "crm", True),
    )
    events = event_frame([utc("2025-01-10 12:00")], ["crm"])
    contract = replace(
        accounts_contract(capacity=2), price=Decimal("100.00"), excess_price=Decimal("7.25")
    )
    result = run_contract(events, contract, "EUR", roster=roster)
    assert result.month_rows.select("units", "excess", "cost").rows() == [(3, 1, Decimal("107.25"))]
