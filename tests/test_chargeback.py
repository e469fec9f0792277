"""Chargeback (issue 13, item 2): units and cost split per group, exactly, for every model."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from licaudit.audit import ContractResult, Period, run_contract
from licaudit.chargeback import CONTRIBUTIONS, UNASSIGNED, chargeback, share_cents
from licaudit.errors import ConfigError, DataError
from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.ingest.groups import read_groups
from licaudit.ingest.roster import ROSTER_SCHEMA
from licaudit.models.base import Contract, NoOptions
from licaudit.models.concurrent import ConcurrentOptions
from licaudit.models.daily_active import DailyActiveOptions
from licaudit.models.floating import FloatingOptions
from licaudit.pipeline import Request, read_inputs, run
from tests.conftest import utc
from tests.models.flex.support import flex_contract, use

PARIS = "Europe/Paris"
GROUPS = pl.DataFrame(
    {"user": ["alice", "bob", "carol"], "group": ["Sales", "Sales", "IT"]},
    schema={"user": pl.String(), "group": pl.String()},
)


def event(
    ts: str,
    user: str | None,
    method: str = "web",
    product: str = "default",
    session: str | None = None,
) -> dict[str, Any]:
    return {
        "ts": utc(ts), "end": None, "user": user, "anonymous": user is None,
        "method": method, "product": product, "session": session, "device": None,
    }  # fmt: skip


def contract(
    model: str,
    options: Any = None,
    capacity: int | None = None,
    price: str | None = None,
    excess_price: str | None = None,
) -> Contract:
    return Contract(
        name="c",
        model=model,
        timezone=PARIS,
        capacity=capacity,
        price=None if price is None else Decimal(price),
        excess_price=None if excess_price is None else Decimal(excess_price),
        options=options if options is not None else NoOptions(),
    )


def result_of(events: Sequence[dict[str, Any]], chosen: Contract, **roster: Any) -> ContractResult:
    return run_contract(pl.DataFrame(list(events), schema=EVENT_SCHEMA), chosen, "EUR", **roster)


def split(result: ContractResult, period: str = "month") -> list[tuple[Any, ...]]:
    """(scope, period, group, units, cost) rows of the chargeback, checked to sum exactly."""
    tables, _ = chargeback([result], GROUPS, "EUR")
    frame = tables[period]  # type: ignore[index]
    usage = result.rows(period)  # type: ignore[arg-type]
    sums = frame.group_by("scope", "period").agg(pl.col("units").sum(), pl.col("cost").sum())
    for scope, day, units, cost in usage.select("scope", "period", "units", "cost").rows():
        found = sums.filter((pl.col("scope") == scope) & (pl.col("period") == day))
        if units == 0 and cost is None:
            assert found.is_empty()
            continue
        assert found["units"].to_list() == [units], (scope, day)
        if cost is not None:
            assert found["cost"].to_list() == [cost], (scope, day)
    return frame.select("scope", "period", "group", "units", "cost").rows()


# --- The cents ---------------------------------------------------------------------------------


def test_share_cents_rounds_half_up_and_gives_the_remainder_to_the_largest_share() -> None:
    # 100.00 over 1:1:1: 33.33 each, 0.01 left over to the first of the largest.
    assert share_cents(Decimal("100.00"), [1, 1, 1]) == [
        Decimal("33.34"), Decimal("33.33"), Decimal("33.33"),
    ]  # fmt: skip
    # 10.00 over 1:2 (first smaller): 3.33 + 6.67 = 10.00, nothing left.
    assert share_cents(Decimal("10.00"), [1, 2]) == [Decimal("3.33"), Decimal("6.67")]
    # 0.05 over 1:1:1:1:1:1 (6 shares): 0.01 each (0.00833 rounds to 0.01), 0.01 too
    # much: the largest share (the first of equal ones) gives it back.
    assert share_cents(Decimal("0.05"), [1] * 6) == [Decimal("0.00")] + [Decimal("0.01")] * 5
    # 1.00 over 1:1:4: 0.17 + 0.17 + 0.67 = 1.01: the largest, the third, gives 0.01 back.
    assert share_cents(Decimal("1.00"), [1, 1, 4]) == [
        Decimal("0.17"), Decimal("0.17"), Decimal("0.66"),
    ]  # fmt: skip


# --- daily-active ------------------------------------------------------------------------------


def test_chargeback_daily_active_a_days_seats_go_to_the_groups_of_their_users() -> None:
    # 15 Jan: alice 1 seat, bob 1, carol 1, dave (no group) 1: 4 units. 16 Jan: alice
    # uses 7 methods, 1 + (7 - 5) = 3 seats, and carol 1: 4 units too. The month's units
    # are 4, and its split is that of the first day at 4, 15 Jan (the day of the bill).
    events = [
        event("2025-01-15 09:00", "alice"),
        event("2025-01-15 09:01", "bob"),
        event("2025-01-15 09:02", "carol"),
        event("2025-01-15 09:03", "dave"),
        *[event("2025-01-16 09:00", "alice", method=f"m{n}") for n in range(7)],
        event("2025-01-16 09:10", "carol"),
    ]
    result = result_of(
        events,
        contract("daily-active", DailyActiveOptions(), capacity=2, price="100", excess_price="10"),
    )
    assert split(result, "day") == [
        ("*", "2025-01-15", "IT", 1, None),
        ("*", "2025-01-15", "Sales", 2, None),
        ("*", "2025-01-15", UNASSIGNED, 1, None),
        ("*", "2025-01-16", "IT", 1, None),
        ("*", "2025-01-16", "Sales", 3, None),
    ]
    # Month: 4 units (15 Jan, the first day at 4), cost 100 + 2 × 10 = 120.00, shared
    # 1:2:1: 30.00, 60.00, 30.00.
    assert split(result) == [
        ("*", "2025-01", "IT", 1, Decimal("30.00")),
        ("*", "2025-01", "Sales", 2, Decimal("60.00")),
        ("*", "2025-01", UNASSIGNED, 1, Decimal("30.00")),
    ]
    _, ungrouped = chargeback([result], GROUPS, "EUR")
    assert ungrouped.rows() == [("c", "*", "dave")]


def test_chargeback_cost_remainder_goes_to_the_largest_share() -> None:
    # One user in each of groups A, B, C: 100.00 over 1:1:1 is 33.33 three times, and
    # the 0.01 left goes to the largest share, the first by name of equal ones: A.
    groups = pl.DataFrame({"user": ["alice", "bob", "carol"], "group": ["A", "B", "C"]})
    events = [event("2025-01-15 09:00", user) for user in ("alice", "bob", "carol")]
    result = result_of(events, contract("daily-active", DailyActiveOptions(), price="100"))
    tables, _ = chargeback([result], groups, "EUR")
    assert tables["month"].select("group", "units", "cost").rows() == [
        ("A", 1, Decimal("33.34")),
        ("B", 1, Decimal("33.33")),
        ("C", 1, Decimal("33.33")),
    ]


def test_chargeback_a_month_with_cost_and_no_units_is_unassigned() -> None:
    events = [event("2025-01-15 09:00", None)]  # anonymous: daily-active counts no one
    result = result_of(events, contract("daily-active", DailyActiveOptions(), price="100"))
    assert split(result) == [("*", "2025-01", UNASSIGNED, 0, Decimal("100.00"))]
    assert split(result, "day") == []


# --- rau ---------------------------------------------------------------------------------------


def test_chargeback_rau_each_counted_user_to_its_group_month_to_date() -> None:
    # lms: alice on 3 Jan, dave and bob on 5 Jan, alice again on 6 Jan: from the 5th the
    # month to date counts 3 (Sales 2, unassigned 1). crm: carol on 4 Jan. One scope per
    # product: lms 3 users over capacity 2, 50 + 1 × 7 = 57.00 over 2:1; crm 50.00.
    events = [
        event("2025-01-03 09:00", "alice", product="lms"),
        event("2025-01-05 09:00", "dave", product="lms"),
        event("2025-01-05 10:00", "bob", product="lms"),
        event("2025-01-06 09:00", "alice", product="lms"),
        event("2025-01-04 09:00", "carol", product="crm"),
    ]
    result = result_of(events, contract("rau", capacity=2, price="50", excess_price="7"))
    days = split(result, "day")
    assert [row for row in days if row[0] == "lms" and row[1] in ("2025-01-04", "2025-01-05")] == [
        ("lms", "2025-01-04", "Sales", 1, None),
        ("lms", "2025-01-05", "Sales", 2, None),
        ("lms", "2025-01-05", UNASSIGNED, 1, None),
    ]
    assert split(result) == [
        ("crm", "2025-01", "IT", 1, Decimal("50.00")),
        ("lms", "2025-01", "Sales", 2, Decimal("38.00")),
        ("lms", "2025-01", UNASSIGNED, 1, Decimal("19.00")),
    ]


# --- flex --------------------------------------------------------------------------------------


def test_chargeback_flex_each_charges_tokens_to_its_users_group() -> None:
    # acad 6 tokens a window, revit 10. alice: acad on 6 and 8 Jan (12); carol: revit
    # on 6 Jan (10) and acad on 7 Jan (6); dave acad on 7 Jan (6). Month: the sum.
    start = datetime(2025, 1, 6, 8, tzinfo=UTC)
    day = timedelta(days=1)
    events = [
        use(start, user="alice"),
        use(start + 2 * day, user="alice"),
        use(start, user="carol", product="revit"),
        use(start + day, user="carol"),
        use(start + day, user="dave"),
    ]
    result = result_of(events, flex_contract())
    assert split(result, "day") == [
        ("acad", "2025-01-06", "Sales", 6, None),
        ("acad", "2025-01-07", "IT", 6, None),
        ("acad", "2025-01-07", UNASSIGNED, 6, None),
        ("acad", "2025-01-08", "Sales", 6, None),
        ("revit", "2025-01-06", "IT", 10, None),
    ]
    assert split(result) == [
        ("acad", "2025-01", "IT", 6, None),
        ("acad", "2025-01", "Sales", 12, None),
        ("acad", "2025-01", UNASSIGNED, 6, None),
        ("revit", "2025-01", "IT", 10, None),
    ]


# --- The groups file ---------------------------------------------------------------------------


def test_groups_file_users_are_normalized_like_event_users(tmp_path: Path) -> None:
    path = tmp_path / "groups.csv"
    path.write_text("\ufeffGroup, User\n Sales , Alice \nIT,carol\n\nSales,ALICE\n", "utf-8")
    assert read_groups(path).rows() == [("alice", "Sales"), ("carol", "IT")]
    assert read_groups(path, case_sensitive_users=True).rows() == [
        ("ALICE", "Sales"), ("Alice", "Sales"), ("carol", "IT"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("login,team\nalice,IT\n", "line 1: no `user` or `group` column"),
        ("user,group\nalice,\n", "line 2, column `group`: empty group"),
        ("user,group\nalice,IT\n ,IT\n", "line 3, column `user`: empty user"),
        ("user,group\nalice,IT\nAlice,Sales\n", "line 3, column `group`: user `alice` is in"),
    ],
)
def test_groups_file_errors_name_file_line_and_column(
    tmp_path: Path, text: str, message: str
) -> None:
    path = tmp_path / "groups.csv"
    path.write_text(text, "utf-8")
    with pytest.raises(DataError, match=f"Groups file {path}, {message}"):
        read_groups(path)


def test_groups_file_missing_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        read_groups(tmp_path / "nope.csv")


# --- floating ----------------------------------------------------------------------------------


def test_chargeback_floating_a_days_peak_goes_to_the_groups_holding_licences_at_its_instant() -> (
    None
):
    # inactivity 1h. 15 Jan: alice 09:00-10:00, bob 09:30-10:30, dave 09:45-10:45: 3 at
    # 09:45 (Sales 2, unassigned 1); carol 11:00-12:00 alone. 16 Jan: carol 09:00 and
    # 09:30 (one licence, 09:00-10:30), alice 10:00: 2 at 10:00 (IT 1, Sales 1).
    events = [
        event("2025-01-15 08:00", "alice"),
        event("2025-01-15 08:30", "bob"),
        event("2025-01-15 08:45", "dave"),
        event("2025-01-15 10:00", "carol"),
        event("2025-01-16 08:00", "carol"),
        event("2025-01-16 08:30", "carol"),
        event("2025-01-16 09:00", "alice"),
    ]
    options = FloatingOptions(inactivity=timedelta(hours=1))
    result = result_of(events, contract("floating", options, price="90.00"))
    assert split(result, "day") == [
        ("*", "2025-01-15", "Sales", 2, None),
        ("*", "2025-01-15", UNASSIGNED, 1, None),
        ("*", "2025-01-16", "IT", 1, None),
        ("*", "2025-01-16", "Sales", 1, None),
    ]
    # The month is its peak day, 15 Jan: 90.00 over 2:1.
    assert split(result) == [
        ("*", "2025-01", "Sales", 2, Decimal("60.00")),
        ("*", "2025-01", UNASSIGNED, 1, Decimal("30.00")),
    ]


# --- concurrent --------------------------------------------------------------------------------


CONCURRENT_EVENTS = [
    # 15 Jan (UTC): alice web 09:00 and sync 09:02 (2 slots), carol web 09:05, a visitor
    # of session s1 at 09:06, dave 09:20: at 09:06 alice 2, carol 1, the visitor 1 = 4.
    event("2025-01-15 09:00", "alice"),
    event("2025-01-15 09:02", "alice", method="sync"),
    event("2025-01-15 09:05", "carol"),
    event("2025-01-15 09:06", None, session="s1"),
    event("2025-01-15 09:20", "dave"),
    # 16 Jan: bob 10:00, dave 10:03: 2 at 10:03.
    event("2025-01-16 10:00", "bob"),
    event("2025-01-16 10:03", "dave"),
]


def test_chargeback_concurrent_a_days_peak_is_shared_by_the_slots_held_at_its_instant() -> None:
    result = result_of(CONCURRENT_EVENTS, contract("concurrent", ConcurrentOptions(), price="10"))
    assert split(result, "day") == [
        ("*", "2025-01-15", "IT", 1, None),
        ("*", "2025-01-15", "Sales", 2, None),
        ("*", "2025-01-15", UNASSIGNED, 1, None),  # the visitor: no user, no group
        ("*", "2025-01-16", "Sales", 1, None),
        ("*", "2025-01-16", UNASSIGNED, 1, None),
    ]
    # 10.00 over IT 1, Sales 2, unassigned 1: 2.50, 5.00, 2.50.
    assert split(result) == [
        ("*", "2025-01", "IT", 1, Decimal("2.50")),
        ("*", "2025-01", "Sales", 2, Decimal("5.00")),
        ("*", "2025-01", UNASSIGNED, 1, Decimal("2.50")),
    ]
    holders = result.contributions["peak_holders"].filter(pl.col("period") == "2025-01-15")
    assert holders.select("user", "slots").rows() == [("alice", 2), ("carol", 1), (None, 1)]


def test_chargeback_concurrent_fixed_mode_shares_the_peak_bucket() -> None:
    # 10-minute buckets: 09:00-09:10 holds alice web + sync, carol, the visitor (4);
    # 10:00-10:10 holds bob and dave; a lone anonymous row (no session) joins it.
    events = [*CONCURRENT_EVENTS, event("2025-01-16 10:04", None)]
    options = ConcurrentOptions(window_mode="fixed")
    result = result_of(events, contract("concurrent", options, price="9"))
    assert split(result, "day") == [
        ("*", "2025-01-15", "IT", 1, None),
        ("*", "2025-01-15", "Sales", 2, None),
        ("*", "2025-01-15", UNASSIGNED, 1, None),
        ("*", "2025-01-16", "Sales", 1, None),
        ("*", "2025-01-16", UNASSIGNED, 2, None),
    ]
    # 9.00 over 1:2:1: 2.25, 4.50, 2.25.
    assert [row[4] for row in split(result)] == [
        Decimal("2.25"), Decimal("4.50"), Decimal("2.25"),
    ]  # fmt: skip


# --- accounts and nominal: the accounts active at the peak instant -----------------------------


def roster_frame(rows: Sequence[tuple[str, str, str, bool]]) -> pl.DataFrame:
    """(ts, user, product, active) status changes, in file order."""
    return pl.DataFrame(
        [
            {"ts": utc(ts), "user": user, "product": product, "active": active, "seq": seq}
            for seq, (ts, user, product, active) in enumerate(rows)
        ],
        schema=ROSTER_SCHEMA,
    )


ROSTER = [
    # 15 Jan: alice (lms, crm), bob (lms), dave (lms) active from 08:00; carol (crm) from
    # 10:00 after dave leaves lms at 09:00. 16 Jan: bob leaves at 09:00.
    ("2025-01-15 08:00", "alice", "lms", True),
    ("2025-01-15 08:00", "alice", "crm", True),
    ("2025-01-15 08:00", "bob", "lms", True),
    ("2025-01-15 08:00", "dave", "lms", True),
    ("2025-01-15 09:00", "dave", "lms", False),
    ("2025-01-15 10:00", "carol", "crm", True),
    ("2025-01-16 09:00", "bob", "lms", False),
]
ROSTER_EVENTS = [event("2025-01-15 12:00", "alice"), event("2025-01-16 12:00", "alice")]


def test_chargeback_accounts_a_days_peak_goes_to_the_accounts_active_at_its_instant() -> None:
    # Accounts: 3 from 08:00 (alice, bob, dave), 2 from 09:00, 3 from 10:00 (carol):
    # the first peak instant is 08:00 (Sales 2, unassigned 1). 16 Jan: from midnight
    # alice, bob, carol (3: Sales 2, IT 1).
    result = result_of(ROSTER_EVENTS, contract("accounts", price="30"), roster=roster_frame(ROSTER))
    assert split(result, "day") == [
        ("*", "2025-01-15", "Sales", 2, None),
        ("*", "2025-01-15", UNASSIGNED, 1, None),
        ("*", "2025-01-16", "IT", 1, None),
        ("*", "2025-01-16", "Sales", 2, None),
    ]
    assert split(result) == [
        ("*", "2025-01", "Sales", 2, Decimal("20.00")),
        ("*", "2025-01", UNASSIGNED, 1, Decimal("10.00")),
    ]


def test_chargeback_nominal_per_product_the_users_active_at_the_peak_instant() -> None:
    # lms: alice, bob, dave at 08:00 on 15 Jan (3); 16 Jan: alice, bob (2). crm: alice
    # and carol from 10:00 (2), both on 16 Jan.
    result = result_of(
        ROSTER_EVENTS,
        contract("nominal", capacity=2, price="20", excess_price="5"),
        roster=roster_frame(ROSTER),
    )
    assert split(result, "day") == [
        ("crm", "2025-01-15", "IT", 1, None),
        ("crm", "2025-01-15", "Sales", 1, None),
        ("crm", "2025-01-16", "IT", 1, None),
        ("crm", "2025-01-16", "Sales", 1, None),
        ("lms", "2025-01-15", "Sales", 2, None),
        ("lms", "2025-01-15", UNASSIGNED, 1, None),
        ("lms", "2025-01-16", "Sales", 2, None),
    ]
    # crm 20.00 over 1:1 (10.00 each); lms 20 + 1 × 5 = 25.00 over 2:1: 16.67 + 8.33.
    assert split(result) == [
        ("crm", "2025-01", "IT", 1, Decimal("10.00")),
        ("crm", "2025-01", "Sales", 1, Decimal("10.00")),
        ("lms", "2025-01", "Sales", 2, Decimal("16.67")),
        ("lms", "2025-01", UNASSIGNED, 1, Decimal("8.33")),
    ]


# --- Every model on the sample month -----------------------------------------------------------


@pytest.mark.parametrize("period", ["day", "month"])
def test_chargeback_of_the_sample_month_sums_to_the_usage_of_every_contract(period: str) -> None:
    """Every contract of sample_logs: the groups' units and cents add up to the usage row,
    and each model's contribution rows alone do (nothing left to ``unassigned`` by default)."""
    request = Request(paths=(Path(__file__).parent.parent / "sample_logs",))
    audit = run(read_inputs(request, need_contract=True), request)
    assert {result.contract.model for result in audit.results} == set(CONTRIBUTIONS)
    chosen: Period = "day" if period == "day" else "month"
    sums = (
        audit.table("chargeback", chosen)
        .group_by("contract", "scope", "period")
        .agg(pl.col("units").sum(), pl.col("cost").sum())
    )
    usage = audit.usage(chosen).filter((pl.col("units") > 0) | pl.col("cost").is_not_null())
    joined = usage.join(sums, on=["contract", "scope", "period"], how="full", suffix="_groups")
    assert joined.height == usage.height
    assert (joined["units"] == joined["units_groups"]).all()
    assert (joined["cost"].fill_null(0) == joined["cost_groups"].fill_null(0)).all()
    for result in audit.results:
        named = (
            CONTRIBUTIONS[result.contract.model](result)
            .group_by("scope", "period")
            .agg(pl.col("units").sum())
        )
        days = result.day_rows.join(named, on=["scope", "period"], how="left", suffix="_named")
        assert (days["units"] == days["units_named"].fill_null(0)).all(), result.contract.name
