"""`rau` (SPEC 3.6): the Netex text's worked examples, the rules, then the naive reference.

Times are UTC; Europe/Paris is UTC+1 in winter and UTC+2 in summer, so a Paris local
midnight in January is 23:00 UTC the day before.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.audit import ContractResult, Evaluation, evaluate, run_contract
from licaudit.contract import Contract, parse_contract_text
from licaudit.errors import ConfigError
from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.models.base import NoOptions
from licaudit.models.rau import MODEL
from tests.conftest import utc
from tests.reference import netex_ref

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"

# (ts UTC "YYYY-MM-DD HH:MM", user, product[, anonymous]): anonymous defaults to user is None.
Row = tuple[str, str | None, str] | tuple[str, str | None, str, bool]


def event_frame(rows: Sequence[Row]) -> pl.DataFrame:
    records = [
        {
            "ts": utc(row[0]),
            "end": None,
            "user": row[1],
            "anonymous": row[3] if len(row) == 4 else row[1] is None,
            "method": "web",
            "product": row[2],
            "session": None,
            "device": None,
        }
        for row in rows
    ]
    return pl.DataFrame(records, schema=EVENT_SCHEMA)


def rau_contract(
    capacity: int | None = None,
    timezone: str = PARIS,
    scope: tuple[str, ...] | None = None,
    price: Decimal | None = None,
    excess_price: Decimal | None = None,
) -> Contract:
    return Contract(
        name="lms-rau",
        model="rau",
        timezone=timezone,
        capacity=capacity,
        scope=scope,
        price=price,
        excess_price=excess_price,
    )


def run(rows: Sequence[Row], contract: Contract | None = None) -> Evaluation:
    """The model over ``rows`` on the report range: the local days of the rows' span."""
    return evaluate(event_frame(rows), contract or rau_contract())


def units_by_day(result: Evaluation, scope: str = "lms") -> dict[str, int]:
    rows = result.day_usage.filter(pl.col("scope") == scope).select("day", "units").iter_rows()
    return {day.isoformat(): units for day, units in rows}


def months(result: ContractResult) -> list[tuple[str, str, int]]:
    return list(result.month_rows.select("scope", "period", "units").iter_rows())


def users_of(result: Evaluation | ContractResult) -> list[tuple[Any, ...]]:
    users = result.details["users"]
    return list(users.select("product", "period", "user", "active_days").iter_rows())


# --- The Netex text's worked examples ----------------------------------------------------

NETEX_DAILY_TABLE: list[Row] = [
    # Day 1: users 1, 2 and 3; day 2: users 2 and 3; day 3: users 1, 2 and 4; day 30: 4 and 5.
    *[("2025-04-01 08:00", f"user{n}", "lms") for n in (1, 2, 3)],
    *[("2025-04-02 08:00", f"user{n}", "lms") for n in (2, 3)],
    *[("2025-04-03 08:00", f"user{n}", "lms") for n in (1, 2, 4)],
    *[("2025-04-30 08:00", f"user{n}", "lms") for n in (4, 5)],
]


def test_rau_day_units_are_the_month_to_date_count_of_the_netex_daily_table() -> None:
    units = units_by_day(run(NETEX_DAILY_TABLE))
    assert len(units) == 30
    assert [units["2025-04-01"], units["2025-04-02"], units["2025-04-03"]] == [3, 3, 4]
    # Days without accesses carry the count ("... ..." of the table), day 30 adds user 5.
    assert all(units[f"2025-04-{day:02d}"] == 4 for day in range(4, 30))
    assert units["2025-04-30"] == 5


def test_rau_month_units_are_the_distinct_users_of_the_month() -> None:
    result = run_contract(event_frame(NETEX_DAILY_TABLE), rau_contract(), "EUR")
    assert months(result) == [("lms", "2025-04", 5)]
    assert [user for _, _, user, _ in users_of(result)] == [f"user{n}" for n in range(1, 6)]


def test_rau_excess_and_cost_follow_the_netex_monthly_table() -> None:
    # 1,000 registered users, 500 RAU licences; 150, 450 and 700 of them access in months
    # 1, 2 and 3: the agreed amount, the agreed amount, the agreed amount + 200 × excess price.
    rows: list[Row] = [
        (f"2025-{month:02d}-10 09:00", f"employee{n:04d}", "lms")
        for month, accessed in ((1, 150), (2, 450), (3, 700))
        for n in range(accessed)
    ]
    price, excess_price = Decimal("5000.00"), Decimal("12.50")
    contract = rau_contract(capacity=500, price=price, excess_price=excess_price)
    month_rows = run_contract(event_frame(rows), contract, "EUR").month_rows
    assert month_rows.select("period", "units", "capacity", "excess").rows() == [
        ("2025-01", 150, 500, 0),
        ("2025-02", 450, 500, 0),
        ("2025-03", 700, 500, 200),
    ]
    assert month_rows["cost"].to_list() == [price, price, price + 200 * excess_price]
    assert month_rows["cost"].to_list()[-1] == Decimal("7500.00")


def test_rau_cost_is_on_month_rows_only() -> None:
    # Five users, one licence: 100 + 4 × 10 for the month; day rows carry no cost.
    contract = rau_contract(capacity=1, price=Decimal("100"), excess_price=Decimal("10"))
    result = run_contract(event_frame(NETEX_DAILY_TABLE), contract, "EUR")
    assert result.month_rows["cost"].to_list() == [Decimal("140.00")]
    assert result.day_rows["cost"].null_count() == result.day_rows.height == 30


# --- Who counts ----------------------------------------------------------------------------


def test_rau_anonymous_rows_never_count() -> None:
    rows: list[Row] = [
        ("2025-01-15 08:00", None, "lms"),
        ("2025-01-15 08:30", "guest", "lms", True),
        # alice's name on an unauthenticated row (a share-link visitor): not alice.
        ("2025-01-15 09:00", "alice", "lms", True),
        ("2025-01-16 10:00", "alice", "lms"),
        ("2025-01-16 11:00", "visitor@example.com", "lms", True),
    ]
    result = run(rows)
    assert units_by_day(result) == {"2025-01-15": 0, "2025-01-16": 1}
    users = result.details["users"]
    assert users.select("user", "first_access", "active_days").rows() == [
        ("alice", utc("2025-01-16 10:00"), 1)
    ]


def test_rau_product_with_only_anonymous_rows_has_no_scope_unless_listed() -> None:
    rows: list[Row] = [("2025-01-15 08:00", "alice", "lms"), ("2025-01-15 09:00", None, "crm")]
    assert run(rows).day_usage["scope"].to_list() == ["lms"]
    listed = run(rows, rau_contract(scope=("crm", "lms")))
    assert listed.day_usage.select("scope", "units").rows() == [("crm", 0), ("lms", 1)]


def test_rau_user_counts_once_in_a_month_however_many_events_and_days() -> None:
    rows: list[Row] = [
        (f"2025-01-{day:02d} {hour:02d}:00", "alice", "lms")
        for day in (5, 6, 20)
        for hour in (8, 12, 16)
    ]
    units = units_by_day(run(rows))
    assert set(units.values()) == {1}
    assert users_of(run(rows)) == [("lms", "2025-01", "alice", 3)]


# --- Scopes --------------------------------------------------------------------------------


def test_rau_gives_one_scope_per_product_without_scope() -> None:
    rows: list[Row] = [
        ("2025-01-15 08:00", "alice", "lms"),
        ("2025-01-15 09:00", "alice", "crm"),
        ("2025-01-16 09:00", "bob", "lms"),
    ]
    result = run(rows)
    assert result.day_usage.rows() == [
        ("crm", date(2025, 1, 15), 1),
        ("crm", date(2025, 1, 16), 1),
        ("lms", date(2025, 1, 15), 1),
        ("lms", date(2025, 1, 16), 2),
    ]
    assert users_of(result) == [
        ("crm", "2025-01", "alice", 1),
        ("lms", "2025-01", "alice", 1),
        ("lms", "2025-01", "bob", 1),
    ]


def test_rau_scope_list_gives_one_scope_per_listed_product_with_every_day() -> None:
    # crm has no row at all; hr's rows only stretch the report range (every used event).
    rows: list[Row] = [
        ("2025-01-14 08:00", "carol", "hr"),
        ("2025-01-15 08:00", "alice", "lms"),
        ("2025-01-16 09:00", "bob", "lms"),
        ("2025-01-17 09:00", "dave", "hr"),
    ]
    contract = rau_contract(scope=("crm", "lms"))
    result = run(rows, contract)
    assert result.day_usage["scope"].unique(maintain_order=True).to_list() == ["crm", "lms"]
    assert units_by_day(result, "crm") == dict.fromkeys(
        ["2025-01-14", "2025-01-15", "2025-01-16", "2025-01-17"], 0
    )
    assert units_by_day(result, "lms") == {
        "2025-01-14": 0,
        "2025-01-15": 1,
        "2025-01-16": 2,
        "2025-01-17": 2,
    }
    assert {product for product, *_ in users_of(result)} == {"lms"}
    parsed = parse_contract_text('[[contract]]\nmodel = "rau"\nscope = ["LMS", " crm"]\n')
    assert parsed.contracts[0].scope == contract.scope


def test_rau_single_scope_counts_only_its_product() -> None:
    rows: list[Row] = [("2025-01-15 08:00", "alice", "lms"), ("2025-01-15 09:00", "bob", "crm")]
    result = run(rows, rau_contract(scope=("lms",)))
    assert result.day_usage.select("scope", "units").rows() == [("lms", 1)]


# --- Months and days -----------------------------------------------------------------------


def test_rau_running_count_resets_at_the_local_month_boundary() -> None:
    rows: list[Row] = [
        ("2025-10-30 10:00", "alice", "lms"),
        ("2025-10-31 22:30", "bob", "lms"),  # 23:30 in Paris: still October
        ("2025-10-31 23:30", "alice", "lms"),  # 00:30 in Paris: November
        ("2025-11-03 10:00", "carol", "lms"),
    ]
    paris = run(rows)
    assert units_by_day(paris) == {
        "2025-10-30": 1,
        "2025-10-31": 2,
        "2025-11-01": 1,
        "2025-11-02": 1,
        "2025-11-03": 2,
    }
    assert users_of(paris) == [
        ("lms", "2025-10", "alice", 1),
        ("lms", "2025-10", "bob", 1),
        ("lms", "2025-11", "alice", 1),
        ("lms", "2025-11", "carol", 1),
    ]
    # In UTC the 23:30 event is October's: November starts empty.
    in_utc = run(rows, rau_contract(timezone="UTC"))
    assert units_by_day(in_utc) == {
        "2025-10-30": 1,
        "2025-10-31": 2,
        "2025-11-01": 0,
        "2025-11-02": 0,
        "2025-11-03": 1,
    }
    month_rows = run_contract(event_frame(rows), rau_contract(), "EUR")
    assert months(month_rows) == [("lms", "2025-10", 2), ("lms", "2025-11", 2)]


def test_rau_dst_day_has_23_hours() -> None:
    # 2025-03-30 in Paris is [2025-03-29 23:00 UTC, 2025-03-30 22:00 UTC).
    rows: list[Row] = [
        ("2025-03-29 22:59", "alice", "lms"),  # 23:59 CET on the 29th
        ("2025-03-29 23:00", "bob", "lms"),  # 00:00 CET on the 30th
        ("2025-03-30 21:59", "alice", "lms"),  # 23:59 CEST on the 30th
        ("2025-03-30 22:00", "carol", "lms"),  # 00:00 CEST on the 31st
    ]
    result = run(rows)
    assert units_by_day(result) == {"2025-03-29": 1, "2025-03-30": 2, "2025-03-31": 3}
    assert users_of(result) == [
        ("lms", "2025-03", "alice", 2),
        ("lms", "2025-03", "bob", 1),
        ("lms", "2025-03", "carol", 1),
    ]


def test_rau_dst_day_has_25_hours() -> None:
    # 2025-10-26 in Paris is [2025-10-25 22:00 UTC, 2025-10-26 23:00 UTC).
    rows: list[Row] = [
        ("2025-10-25 21:59", "alice", "lms"),  # 23:59 CEST on the 25th
        ("2025-10-25 22:00", "bob", "lms"),  # 00:00 CEST on the 26th
        ("2025-10-26 22:59", "bob", "lms"),  # 23:59 CET on the 26th: one active day
        ("2025-10-26 23:00", "carol", "lms"),  # 00:00 CET on the 27th
    ]
    result = run(rows)
    assert units_by_day(result) == {"2025-10-25": 1, "2025-10-26": 2, "2025-10-27": 3}
    assert users_of(result) == [
        ("lms", "2025-10", "alice", 1),
        ("lms", "2025-10", "bob", 1),
        ("lms", "2025-10", "carol", 1),
    ]


def test_rau_from_inside_a_month_still_counts_users_from_earlier_that_month() -> None:
    rows: list[Row] = [
        ("2025-01-05 10:00", "alice", "lms"),
        ("2025-01-10 10:00", "bob", "lms"),
        ("2025-01-20 10:00", "carol", "lms"),
        ("2025-02-03 10:00", "alice", "lms"),
    ]
    contract = rau_contract(capacity=2, price=Decimal("100"), excess_price=Decimal("7.5"))
    result = run_contract(event_frame(rows), contract, "EUR", date_from=date(2025, 1, 15))
    day_units = dict(result.day_rows.select("period", "units").iter_rows())
    assert min(day_units) == "2025-01-15"
    assert day_units["2025-01-15"] == day_units["2025-01-19"] == 2
    assert day_units["2025-01-20"] == day_units["2025-01-31"] == 3
    assert result.month_rows.select("period", "units", "excess", "cost").rows() == [
        ("2025-01", 3, 1, Decimal("107.50")),
        ("2025-02", 1, 0, Decimal("100.00")),
    ]
    # The users table of a month partly reported lists the whole month's users.
    assert [(month, user) for _, month, user, _ in users_of(result)] == [
        ("2025-01", "alice"),
        ("2025-01", "bob"),
        ("2025-01", "carol"),
        ("2025-02", "alice"),
    ]
    # --to before February leaves out February's users.
    january = run_contract(event_frame(rows), contract, "EUR", date_to=date(2025, 1, 31))
    assert {month for _, month, _, _ in users_of(january)} == {"2025-01"}


# --- The users table -----------------------------------------------------------------------


def test_rau_users_table_lists_first_and_last_access_and_local_active_days() -> None:
    rows: list[Row] = [
        ("2025-01-30 09:00", "bob", "lms"),
        ("2025-01-30 20:00", "alice", "lms"),
        ("2025-01-30 08:00", "alice", "lms"),
        ("2025-01-30 23:10", "alice", "lms"),  # 00:10 on the 31st in Paris: a second day
        ("2025-01-31 22:30", "alice", "lms"),  # 23:30 on the 31st in Paris: same day
        ("2025-01-31 23:30", "alice", "lms"),  # 00:30 on 1 February in Paris
    ]
    users = run(rows).details["users"]
    assert users.columns == [
        "contract",
        "period",
        "product",
        "user",
        "first_access",
        "last_access",
        "active_days",
    ]
    assert users.select(
        "contract", "product", "period", "user", "first_access", "last_access", "active_days"
    ).rows() == [
        ("lms-rau", "lms", "2025-01", "alice", utc("2025-01-30 08:00"), utc("2025-01-31 22:30"), 2),
        ("lms-rau", "lms", "2025-01", "bob", utc("2025-01-30 09:00"), utc("2025-01-30 09:00"), 1),
        ("lms-rau", "lms", "2025-02", "alice", utc("2025-01-31 23:30"), utc("2025-01-31 23:30"), 1),
    ]


def test_rau_has_no_options() -> None:
    assert MODEL.scoping == "per-product" and MODEL.named_users
    parsed = parse_contract_text('[[contract]]\nmodel = "rau"\ncapacity = 500\nprice = 5000\n')
    assert parsed.contracts[0].options == NoOptions()
    with pytest.raises(ConfigError, match="window"):
        parse_contract_text('[[contract]]\nmodel = "rau"\nwindow = "10m"\n')


# --- Properties: the model against the naive reference ---------------------------------------

# Instants near a DST switch and a month end together: Paris springs forward on 30 March,
# a day before April; New York falls back on 2 November, a day after October.
ANCHORS = {PARIS: utc("2025-03-30 01:00"), NEW_YORK: utc("2025-11-02 06:00")}
USERS = ("alice", "bob", "carol", "dave", "eve")
PRODUCTS = ("crm", "lms", "hr")


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Contract]:
    timezone = draw(st.sampled_from(sorted(ANCHORS)))
    anchor = ANCHORS[timezone]
    # A half-hour grid within ±4 days, or a whole hour from the anchor give or take 1 µs:
    # every local midnight nearby is a whole number of hours from the switch.
    offsets = st.one_of(
        st.integers(min_value=-8 * 24, max_value=8 * 24).map(lambda h: timedelta(minutes=30 * h)),
        st.builds(
            lambda hours, nudge: timedelta(hours=hours, microseconds=nudge),
            st.integers(min_value=-96, max_value=96),
            st.sampled_from((-1, 0, 1)),
        ),
    )
    count = draw(st.integers(min_value=1, max_value=30))
    rows = [
        {
            "ts": anchor + draw(offsets),
            "end": None,
            "user": draw(st.sampled_from(USERS)),
            "anonymous": draw(st.booleans()) and draw(st.booleans()),
            "method": "web",
            "product": draw(st.sampled_from(PRODUCTS)),
            "session": None,
            "device": None,
        }
        for _ in range(count)
    ]
    listed = draw(st.none() | st.lists(st.sampled_from((*PRODUCTS, "erp")), min_size=1))
    scope = None if listed is None else tuple(sorted(set(listed)))
    return rows, rau_contract(timezone=timezone, scope=scope)


def report_days(rows: list[dict[str, Any]], timezone: str) -> list[date]:
    local = [netex_ref.local_date(row["ts"], timezone) for row in rows]
    first, last = min(local), max(local)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


@settings(max_examples=150, deadline=None)
@given(scenarios())
def test_rau_matches_the_naive_reference(scenario: tuple[list[dict[str, Any]], Contract]) -> None:
    rows, contract = scenario
    timezone = contract.timezone
    days = report_days(rows, timezone)
    if contract.scope is None:
        products = sorted({row["product"] for row in rows if not row["anonymous"]})
    else:
        products = list(contract.scope)
    in_scope = [row for row in rows if row["product"] in products]

    result = evaluate(pl.DataFrame(rows, schema=EVENT_SCHEMA), contract)

    expected_units = netex_ref.rau(in_scope, days, timezone, products)
    assert {(s, d): u for s, d, u in result.day_usage.iter_rows()} == expected_units
    assert result.day_usage.height == len(expected_units)
    expected_users = netex_ref.rau_users(in_scope, days, timezone, products)
    assert result.details["users"].select(
        "product", "period", "user", "first_access", "last_access", "active_days"
    ).rows() == [
        (product, month, user.user, user.first_access, user.last_access, user.active_days)
        for product, month in sorted(expected_users)
        for user in expected_users[(product, month)]
    ]


@settings(max_examples=50, deadline=None)
@given(scenarios())
def test_rau_result_does_not_depend_on_row_order(
    scenario: tuple[list[dict[str, Any]], Contract],
) -> None:
    rows, contract = scenario
    frame = pl.DataFrame(rows, schema=EVENT_SCHEMA)
    forward = evaluate(frame, contract)
    backward = evaluate(frame.reverse(), contract)
    assert forward.day_usage.equals(backward.day_usage)
    assert forward.details["users"].equals(backward.details["users"])
