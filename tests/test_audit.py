"""Rules common to every model (SPEC 3): report range, scope, --from/--to, roll-up, excess, cost."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.audit import USAGE_SCHEMA, ContractResult, run_audit, run_contract
from licaudit.contract import Contract, parse_contract_text
from licaudit.errors import ConfigError
from licaudit.ingest.events import EVENT_SCHEMA, REJECT_SCHEMA, Ingested
from licaudit.ingest.roster import ROSTER_SCHEMA
from licaudit.models import MODELS
from licaudit.models.base import Detail, Model, ModelInput, ModelResult, NoOptions
from licaudit.models.daily_active import DailyActiveOptions
from tests.conftest import utc
from tests.reference.daily_active_ref import daily_active

PARIS = "Europe/Paris"

# (ts in UTC, user, product); user None is anonymous.
Event = tuple[str, str | None, str]


def event_frame(rows: Sequence[Event]) -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "ts": utc(ts),
                "end": None,
                "user": user,
                "anonymous": user is None,
                "method": "web",
                "product": product,
                "session": None,
                "device": None,
            }
            for ts, user, product in rows
        ],
        schema=EVENT_SCHEMA,
    )


def daily(
    capacity: int | None = None,
    *,
    scope: str | None = None,
    price: str | None = None,
    excess_price: str | None = None,
    timezone: str = PARIS,
    model: str = "daily-active",
) -> Contract:
    return Contract(
        name="contract-a",
        model=model,
        timezone=timezone,
        capacity=capacity,
        scope=None if scope is None else (scope,),
        price=None if price is None else Decimal(price),
        excess_price=None if excess_price is None else Decimal(excess_price),
        options=DailyActiveOptions() if model == "daily-active" else NoOptions(),
    )


def audit(
    rows: Sequence[Event],
    contract: Contract,
    date_from: date | None = None,
    date_to: date | None = None,
) -> ContractResult:
    return run_contract(event_frame(rows), contract, "EUR", date_from, date_to)


def day_units(result: ContractResult) -> dict[str, int]:
    return dict(result.day_rows.select("period", "units").iter_rows())


def month_column(result: ContractResult, column: str) -> dict[str, object]:
    return dict(result.month_rows.select("period", column).iter_rows())


def users_on(day: str, count: int, product: str = "default") -> list[Event]:
    """``count`` distinct users active at noon UTC on ``day``."""
    return [(f"{day} 12:00", f"user{n}", product) for n in range(count)]


# --- Report range -----------------------------------------------------------------------------


def test_report_range_runs_from_earliest_to_latest_event_of_all_products_not_only_scope() -> None:
    rows = [
        ("2025-01-10 12:00", "alice", "crm"),
        ("2025-01-12 12:00", "bob", "lms"),
        ("2025-01-14 12:00", "carol", "crm"),
    ]
    result = audit(rows, daily(scope="lms"))
    assert day_units(result) == {
        "2025-01-10": 0,
        "2025-01-11": 0,
        "2025-01-12": 1,
        "2025-01-13": 0,
        "2025-01-14": 0,
    }
    assert result.day_rows["scope"].unique().to_list() == ["lms"]


def test_report_range_includes_anonymous_events() -> None:
    rows = [("2025-01-10 12:00", None, "default"), ("2025-01-11 12:00", "alice", "default")]
    assert day_units(audit(rows, daily())) == {"2025-01-10": 0, "2025-01-11": 1}


def test_report_range_is_cut_in_local_days_of_the_contract_timezone() -> None:
    # 23:30 UTC on the 9th is already the 10th in Paris; 23:30 UTC on the 11th is the 12th.
    rows = [("2025-01-09 23:30", "alice", "default"), ("2025-01-11 23:30", "bob", "default")]
    assert day_units(audit(rows, daily())) == {"2025-01-10": 1, "2025-01-11": 0, "2025-01-12": 1}


def test_report_range_is_not_extended_by_end() -> None:
    frame = event_frame([("2025-01-10 12:00", "alice", "default")]).with_columns(
        end=pl.lit(utc("2025-01-20 12:00"), pl.Datetime("us", "UTC"))
    )
    result = run_contract(frame, daily(), "EUR")
    assert day_units(result) == {"2025-01-10": 1}


def test_report_range_every_day_has_a_row_even_without_events() -> None:
    rows = [("2025-01-30 12:00", "alice", "default"), ("2025-03-02 12:00", "bob", "default")]
    result = audit(rows, daily())
    periods = result.day_rows["period"].to_list()
    assert len(periods) == 32
    assert periods[0] == "2025-01-30"
    assert periods[-1] == "2025-03-02"
    assert sum(day_units(result).values()) == 2
    assert month_column(result, "units") == {"2025-01": 1, "2025-02": 0, "2025-03": 1}


def test_report_range_of_a_single_event_is_its_day() -> None:
    result = audit([("2025-01-10 12:00", "alice", "default")], daily())
    assert day_units(result) == {"2025-01-10": 1}
    assert month_column(result, "units") == {"2025-01": 1}


# --- Scope --------------------------------------------------------------------------------------


def test_scope_keeps_only_that_products_events() -> None:
    rows = [
        ("2025-01-10 08:00", "alice", "lms"),
        ("2025-01-10 09:00", "bob", "crm"),
        ("2025-01-10 10:00", "carol", "lms"),
    ]
    result = audit(rows, daily(scope="lms", capacity=1))
    assert day_units(result) == {"2025-01-10": 2}
    assert result.details["refused"]["user"].to_list() == ["carol"]


def test_without_scope_daily_active_counts_across_products_as_scope_star() -> None:
    rows = [("2025-01-10 08:00", "alice", "lms"), ("2025-01-10 09:00", "alice", "crm")]
    result = audit(rows, daily())
    assert result.day_rows.select("scope", "units").rows() == [("*", 1)]
    assert result.month_rows.select("scope", "period").rows() == [("*", "2025-01")]


def test_scope_from_a_contract_file_matches_lowercased_products() -> None:
    contract = parse_contract_text('[[contract]]\nmodel = "daily-active"\nscope = " LMS "\n')
    result = audit([("2025-01-10 08:00", "alice", "lms")], contract.contracts[0])
    assert result.day_rows.select("scope", "units").rows() == [("lms", 1)]


# --- --from / --to --------------------------------------------------------------------------------


def test_from_to_restrict_reported_days_inclusive() -> None:
    rows = [(f"2025-01-{day:02d} 12:00", "alice", "default") for day in range(10, 16)]
    result = audit(rows, daily(), date(2025, 1, 11), date(2025, 1, 13))
    assert list(day_units(result)) == ["2025-01-11", "2025-01-12", "2025-01-13"]


def test_from_to_are_local_dates_of_the_contract_timezone() -> None:
    # 2025-01-11 23:30 UTC is 00:30 on the 12th in Paris: it belongs to --from 2025-01-12.
    rows = [("2025-01-10 12:00", "alice", "default"), ("2025-01-11 23:30", "bob", "default")]
    result = audit(rows, daily(), date(2025, 1, 12))
    assert day_units(result) == {"2025-01-12": 1}


def test_from_alone_and_to_alone_leave_the_other_end_of_the_range() -> None:
    rows = [(f"2025-01-{day:02d} 12:00", "alice", "default") for day in range(10, 13)]
    assert list(day_units(audit(rows, daily(), date_from=date(2025, 1, 11)))) == [
        "2025-01-11",
        "2025-01-12",
    ]
    assert list(day_units(audit(rows, daily(), date_to=date(2025, 1, 11)))) == [
        "2025-01-10",
        "2025-01-11",
    ]


def test_from_to_restrict_reported_months() -> None:
    rows = [
        ("2025-01-10 12:00", "alice", "default"),
        ("2025-02-10 12:00", "alice", "default"),
        ("2025-03-10 12:00", "alice", "default"),
    ]
    result = audit(rows, daily(), date(2025, 2, 1), date(2025, 2, 28))
    assert list(month_column(result, "units")) == ["2025-02"]


def test_from_to_choose_the_reported_months_not_what_a_month_holds() -> None:
    # SPEC 3: --from/--to restrict the *reported* periods; with --period month a period is
    # a month, its units the max of its days in the report range (the events' range), and
    # `days` the month's days in that range. January 5-20: 16 days, peak 3 on the 5th.
    rows = [*users_on("2025-01-05", 3), *users_on("2025-01-20", 1), *users_on("2025-02-03", 1)]
    contract = daily(capacity=2, price="100", excess_price="10")
    result = audit(rows, contract, date(2025, 1, 10), date(2025, 1, 31))
    assert month_column(result, "units") == {"2025-01": 3}
    assert month_column(result, "days") == {"2025-01": 27}
    assert month_column(result, "cost") == {"2025-01": Decimal("110.00")}
    assert next(iter(day_units(result))) == "2025-01-10"


def test_from_to_restrict_the_refused_detail_to_reported_days() -> None:
    rows = [*users_on("2025-01-10", 2), *users_on("2025-01-11", 2)]
    result = audit(rows, daily(capacity=1), date(2025, 1, 11))
    assert result.details["refused"].select("period", "user").rows() == [("2025-01-11", "user1")]


def running_count(model_input: ModelInput[NoOptions]) -> ModelResult:
    """A stub model with state across days: units = events seen up to the end of the day."""
    calendar = model_input.calendar
    instants = model_input.events.select("ts").collect()["ts"].to_list()
    day_usage = pl.DataFrame(
        {
            "day": calendar.days["day"],
            "units": [sum(ts < end for ts in instants) for end in calendar.days["end"]],
        },
        schema={"day": pl.Date(), "units": pl.Int64()},
    )
    return ModelResult(day_usage=day_usage)


def test_events_before_from_still_count_for_state(monkeypatch: pytest.MonkeyPatch) -> None:
    stub = Model(name="running-count", summary="stub", options=NoOptions, compute=running_count)
    monkeypatch.setitem(MODELS, "running-count", stub)
    rows = [
        ("2025-01-10 12:00", "alice", "default"),
        ("2025-01-11 12:00", "alice", "default"),
        ("2025-01-13 12:00", "alice", "default"),
    ]
    result = audit(rows, daily(model="running-count"), date(2025, 1, 12))
    assert day_units(result) == {"2025-01-12": 2, "2025-01-13": 3}


def test_month_units_are_the_sum_of_days_for_a_sum_rollup_model(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stub = Model(
        name="running-count",
        summary="stub",
        options=NoOptions,
        compute=running_count,
        month_rollup="sum",
    )
    monkeypatch.setitem(MODELS, "running-count", stub)
    rows = [("2025-01-30 12:00", "a", "default"), ("2025-02-01 12:00", "a", "default")]
    result = audit(rows, daily(model="running-count"))
    assert day_units(result) == {"2025-01-30": 1, "2025-01-31": 1, "2025-02-01": 2}
    assert month_column(result, "units") == {"2025-01": 2, "2025-02": 2}


# --- Month roll-up, capacity, excess ------------------------------------------------------------


def test_month_units_are_the_max_of_day_units() -> None:
    rows = [
        *users_on("2025-01-03", 2),
        *users_on("2025-01-17", 5),
        *users_on("2025-01-31", 1),
        *users_on("2025-02-01", 3),
    ]
    result = audit(rows, daily(capacity=4))
    assert month_column(result, "units") == {"2025-01": 5, "2025-02": 3}
    assert month_column(result, "excess") == {"2025-01": 1, "2025-02": 0}


def test_month_is_cut_in_the_contract_timezone() -> None:
    # 2025-01-31 23:30 UTC is February 1st in Paris.
    rows = [("2025-01-31 22:00", "alice", "default"), ("2025-01-31 23:30", "bob", "default")]
    result = audit(rows, daily())
    assert month_column(result, "units") == {"2025-01": 1, "2025-02": 1}


def test_excess_is_units_over_capacity_floored_at_zero() -> None:
    rows = [*users_on("2025-01-10", 3), *users_on("2025-01-11", 5), *users_on("2025-01-12", 4)]
    result = audit(rows, daily(capacity=4))
    assert result.day_rows.select("period", "units", "capacity", "excess").rows() == [
        ("2025-01-10", 3, 4, 0),
        ("2025-01-11", 5, 4, 1),
        ("2025-01-12", 4, 4, 0),
    ]


def test_excess_with_zero_capacity_is_all_units() -> None:
    result = audit(users_on("2025-01-10", 3), daily(capacity=0))
    assert result.day_rows.select("capacity", "excess").rows() == [(0, 3)]


def test_excess_is_empty_without_capacity() -> None:
    result = audit(users_on("2025-01-10", 3), daily(capacity=None))
    for rows in (result.day_rows, result.month_rows):
        assert rows.select("capacity", "excess").rows() == [(None, None)]


# --- Cost ---------------------------------------------------------------------------------------


def test_cost_only_on_month_rows() -> None:
    result = audit(users_on("2025-01-10", 3), daily(capacity=2, price="100", excess_price="10"))
    assert result.day_rows["cost"].to_list() == [None]
    assert month_column(result, "cost") == {"2025-01": Decimal("110.00")}


def test_cost_is_price_plus_excess_times_excess_price() -> None:
    rows = [*users_on("2025-01-10", 7), *users_on("2025-02-10", 3)]
    result = audit(rows, daily(capacity=4, price="5000", excess_price="12.5"))
    assert month_column(result, "cost") == {
        "2025-01": Decimal("5037.50"),
        "2025-02": Decimal("5000.00"),
    }


def test_cost_missing_excess_price_counts_as_zero() -> None:
    result = audit(users_on("2025-01-10", 7), daily(capacity=4, price="5000"))
    assert month_column(result, "cost") == {"2025-01": Decimal("5000.00")}


def test_cost_missing_price_counts_as_zero() -> None:
    result = audit(users_on("2025-01-10", 7), daily(capacity=4, excess_price="12.5"))
    assert month_column(result, "cost") == {"2025-01": Decimal("37.50")}


def test_cost_is_empty_without_any_price() -> None:
    result = audit(users_on("2025-01-10", 7), daily(capacity=4))
    assert month_column(result, "cost") == {"2025-01": None}
    assert result.month_rows.schema["cost"] == pl.Decimal(38, 2)


def test_cost_without_capacity_is_the_price() -> None:
    # No capacity: excess is empty and adds nothing (SPEC: a missing amount counts as 0).
    result = audit(users_on("2025-01-10", 7), daily(price="5000", excess_price="12.5"))
    assert month_column(result, "cost") == {"2025-01": Decimal("5000.00")}


@pytest.mark.parametrize(
    ("price", "excess_price", "excess", "expected"),
    [
        ("0", "0.125", 1, "0.13"),
        ("0", "0.005", 1, "0.01"),
        ("0", "0.015", 1, "0.02"),
        ("0.005", "0", 1, "0.01"),
        ("0", "0.1", 3, "0.30"),
        ("100.004", "0.333", 3, "101.00"),
    ],
)
def test_cost_is_exact_decimal_rounded_half_up_to_cents(
    price: str, excess_price: str, excess: int, expected: str
) -> None:
    rows = users_on("2025-01-10", 1 + excess)
    result = audit(rows, daily(capacity=1, price=price, excess_price=excess_price))
    assert month_column(result, "cost") == {"2025-01": Decimal(expected)}


def test_cost_from_toml_floats_is_exact_decimal() -> None:
    # 2.675 and 0.1 are not exact binary floats: 1 × 2.675 must give 2.68, 0.1 + 3 × 0.1 0.40.
    parsed = parse_contract_text(
        """
        [[contract]]
        name = "a"
        model = "daily-active"
        capacity = 1
        excess_price = 2.675

        [[contract]]
        name = "b"
        model = "daily-active"
        capacity = 1
        price = 0.1
        excess_price = 0.1
        """
    )
    first, second = parsed.contracts
    assert month_column(audit(users_on("2025-01-10", 2), first), "cost") == {
        "2025-01": Decimal("2.68")
    }
    assert month_column(audit(users_on("2025-01-10", 4), second), "cost") == {
        "2025-01": Decimal("0.40")
    }


# --- The usage table ------------------------------------------------------------------------------


def ingested(rows: Sequence[Event]) -> Ingested:
    return Ingested(events=event_frame(rows), rejects=pl.DataFrame(schema=REJECT_SCHEMA), files=[])


def test_usage_table_has_the_currency_column_after_cost() -> None:
    contract = daily(capacity=1, price="10", excess_price="1")
    result = run_audit(ingested(users_on("2025-01-10", 2)), (contract,), "USD")
    for period in ("day", "month"):
        usage = result.usage(period)
        assert usage.schema == USAGE_SCHEMA
        assert usage.columns[-2:] == ["cost", "currency"]
        assert usage["currency"].to_list() == ["USD"]
    assert result.usage("month").row(0) == (
        "contract-a",
        "daily-active",
        "*",
        "2025-01",
        1,
        2,
        1,
        1,
        Decimal("11.00"),
        "USD",
    )


def test_usage_table_stacks_every_contract() -> None:
    contracts = (
        replace(daily(capacity=1), name="all"),
        replace(daily(scope="lms"), name="lms"),
    )
    rows = [("2025-01-10 08:00", "alice", "lms"), ("2025-01-11 08:00", "bob", "crm")]
    result = run_audit(ingested(rows), contracts, "EUR")
    assert result.usage("day").select("contract", "scope", "period", "units", "excess").rows() == [
        ("all", "*", "2025-01-10", 1, 0),
        ("all", "*", "2025-01-11", 1, 0),
        ("lms", "lms", "2025-01-10", 1, None),
        ("lms", "lms", "2025-01-11", 0, None),
    ]
    assert result.overage("day").is_empty()


def test_contract_timezone_other_than_paris() -> None:
    # 2025-01-11 03:00 UTC is still the 10th in New York, and 2025-02-01 02:00 UTC is January.
    rows = [
        ("2025-01-10 15:00", "alice", "default"),
        ("2025-01-11 03:00", "bob", "default"),
        ("2025-02-01 02:00", "carol", "default"),
    ]
    result = audit(rows, daily(timezone="America/New_York"))
    units = day_units(result)
    assert min(units) == "2025-01-10"
    assert max(units) == "2025-01-31"
    assert units["2025-01-10"] == 2
    assert units["2025-01-31"] == 1
    assert month_column(result, "units") == {"2025-01": 2}
    # The same events in Paris: three separate days, the last in February.
    paris = audit(rows, daily())
    assert day_units(paris)["2025-01-10"] == 1
    assert day_units(paris)["2025-01-11"] == 1
    assert month_column(paris, "units") == {"2025-01": 1, "2025-02": 1}


def test_contract_without_timezone_uses_europe_paris() -> None:
    parsed = parse_contract_text('[[contract]]\nmodel = "daily-active"\n')
    assert parsed.contracts[0].timezone == PARIS
    result = audit([("2025-01-09 23:30", "alice", "default")], parsed.contracts[0])
    assert day_units(result) == {"2025-01-10": 1}


def test_each_contract_cuts_the_range_in_its_own_timezone() -> None:
    parsed = parse_contract_text(
        """
        timezone = "America/New_York"

        [[contract]]
        name = "ny"
        model = "daily-active"

        [[contract]]
        name = "tokyo"
        model = "daily-active"
        timezone = "Asia/Tokyo"
        """
    )
    rows = [("2025-01-10 20:00", "alice", "default")]
    result = run_audit(ingested(rows), parsed.contracts, "EUR")
    assert result.usage("day").select("contract", "period").rows() == [
        ("ny", "2025-01-10"),
        ("tokyo", "2025-01-11"),
    ]


# --- Property: the common rules over the naive daily-active reference -----------------------------


@st.composite
def audits(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Contract, date | None, date | None]:
    timezone = draw(st.sampled_from([PARIS, "America/New_York"]))
    start = utc("2025-03-25 00:00") if draw(st.booleans()) else utc("2025-10-20 00:00")
    rows = [
        {
            "ts": start + timedelta(minutes=draw(st.integers(0, 14 * 24 * 60))),
            "end": None,
            "user": draw(st.sampled_from(["alice", "bob", "carol"])),
            "anonymous": draw(st.integers(0, 3)) == 0,
            "method": draw(st.sampled_from(["web", "sync", "netsync", "unknown"])),
            "product": draw(st.sampled_from(["lms", "crm"])),
            "session": None,
            "device": None,
        }
        for _ in range(draw(st.integers(1, 20)))
    ]
    prices = st.none() | st.decimals("0", "100", places=3)
    contract = replace(
        daily(
            capacity=draw(st.none() | st.integers(0, 3)),
            scope=draw(st.sampled_from([None, "lms"])),
            timezone=timezone,
        ),
        price=draw(prices),
        excess_price=draw(prices),
    )
    dates = st.none() | st.dates(date(2025, 3, 20), date(2025, 11, 10))
    return rows, contract, draw(dates), draw(dates)


@settings(max_examples=60, deadline=None)
@given(audits())
def test_usage_rows_follow_the_common_rules_over_the_reference(
    scenario: tuple[list[dict[str, Any]], Contract, date | None, date | None],
) -> None:
    rows, contract, date_from, date_to = scenario
    result = run_contract(
        pl.DataFrame(rows, schema=EVENT_SCHEMA), contract, "EUR", date_from, date_to
    )

    # The range comes from every event; the units from the scope's events only.
    local_days = [row["ts"].astimezone(ZoneInfo(contract.timezone)).date() for row in rows]
    span = (max(local_days) - min(local_days)).days
    all_days = [min(local_days) + timedelta(days=n) for n in range(span + 1)]
    in_scope = [row for row in rows if contract.scope is None or row["product"] in contract.scope]
    units = daily_active(
        in_scope, contract.timezone, asdict(contract.options), contract.capacity, all_days
    ).units
    reported = {
        day: count
        for day, count in units.items()
        if (date_from is None or day >= date_from) and (date_to is None or day <= date_to)
    }
    capacity = contract.capacity
    expected_days = [
        (
            day.isoformat(),
            count,
            capacity,
            None if capacity is None else max(0, count - capacity),
            None,
        )
        for day, count in sorted(reported.items())
    ]
    columns = ("period", "units", "capacity", "excess", "cost")
    assert result.day_rows.select(columns).rows() == expected_days

    # A month row is the whole month within the report range, reported when one of its
    # days is in --from/--to.
    reported_months = {day.strftime("%Y-%m") for day in reported}
    months: dict[str, int] = {}
    for day, count in units.items():
        month = day.strftime("%Y-%m")
        if month in reported_months:
            months[month] = max(months.get(month, 0), count)
    priced = contract.price is not None or contract.excess_price is not None
    expected_months = []
    for month, count in sorted(months.items()):
        excess = None if capacity is None else max(0, count - capacity)
        amount = (contract.price or Decimal(0)) + (excess or 0) * (
            contract.excess_price or Decimal(0)
        )
        cost = amount.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP) if priced else None
        expected_months.append((month, count, capacity, excess, cost))
    assert result.month_rows.select(columns).rows() == expected_months
    assert set(result.day_rows["scope"]) <= {"+".join(contract.scope or ("*",))}


# --- Model interface v2: scopes, roster, detail keys (the core does it for every model) ----


def per_product_count(model_input: ModelInput[NoOptions]) -> ModelResult:
    """A stub per-product model: units = events of the product that day."""
    day_usage = (
        model_input.events.group_by("product", "day").agg(units=pl.len().cast(pl.Int64)).collect()
    )
    return ModelResult(day_usage=day_usage)


def stub_model(compute: Any, **declared: Any) -> Model[NoOptions]:
    return Model(name="stub", summary="stub", options=NoOptions, compute=compute, **declared)


def stub_contract(scope: tuple[str, ...] | None = None) -> Contract:
    return Contract(name="stub", model="stub", timezone=PARIS, scope=scope)


def test_scope_list_counts_the_listed_products_across_under_their_joined_names() -> None:
    rows = [
        ("2025-01-10 12:00", "alice", "lms"),
        ("2025-01-10 12:00", "bob", "crm"),
        ("2025-01-10 12:00", "carol", "erp"),
    ]
    contract = replace(daily(), scope=("crm", "lms"))
    result = audit(rows, contract)
    assert result.day_rows.select("scope", "period", "units").rows() == [
        ("crm+lms", "2025-01-10", 2)
    ]


def test_scope_list_gives_a_per_product_model_one_scope_per_listed_product_every_day(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "stub", stub_model(per_product_count, scoping="per-product"))
    rows = [
        ("2025-01-10 12:00", "alice", "lms"),
        ("2025-01-11 12:00", "bob", "lms"),
        ("2025-01-11 12:00", "carol", "erp"),
    ]
    result = audit(rows, stub_contract(scope=("lms", "zzz")))
    assert result.day_rows.select("scope", "period", "units").rows() == [
        ("lms", "2025-01-10", 1),
        ("lms", "2025-01-11", 1),
        ("zzz", "2025-01-10", 0),
        ("zzz", "2025-01-11", 0),
    ]


def test_per_product_model_without_scope_gives_one_scope_per_product_it_counts(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "stub", stub_model(per_product_count, scoping="per-product"))
    rows = [("2025-01-10 12:00", "alice", "lms"), ("2025-01-11 12:00", "bob", "crm")]
    result = audit(rows, stub_contract())
    assert result.day_rows.select("scope", "period", "units").rows() == [
        ("crm", "2025-01-10", 0),
        ("crm", "2025-01-11", 1),
        ("lms", "2025-01-10", 1),
        ("lms", "2025-01-11", 0),
    ]


def roster_count(model_input: ModelInput[NoOptions]) -> ModelResult:
    """A stub roster model: units = roster rows in scope, on every day."""
    assert model_input.roster is not None
    units = model_input.roster.height
    days = model_input.calendar.days.select("day", units=pl.lit(units, pl.Int64))
    return ModelResult(day_usage=days)


def test_roster_model_without_a_roster_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "stub", stub_model(roster_count, reads=frozenset({"roster"})))
    with pytest.raises(ConfigError) as raised:
        audit([("2025-01-10 12:00", "alice", "lms")], stub_contract())
    assert raised.value.exit_code == 2
    assert "no roster was given" in raised.value.message
    assert "--roster FILE" in str(raised.value.hint)


def test_roster_rows_reach_a_roster_model_restricted_to_the_scope(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "stub", stub_model(roster_count, reads=frozenset({"roster"})))
    roster = pl.DataFrame(
        {
            "ts": [datetime(2025, 1, 1, tzinfo=UTC)] * 3,
            "user": ["alice", "bob", "carol"],
            "product": ["lms", "crm", "erp"],
            "active": [True, True, True],
            "seq": [1, 2, 3],
        },
        schema=ROSTER_SCHEMA,
    )
    events = event_frame([("2025-01-10 12:00", "alice", "lms")])
    result = run_contract(events, stub_contract(scope=("crm", "lms")), "EUR", roster=roster)
    assert day_units(result) == {"2025-01-10": 2}


def keyed_details(model_input: ModelInput[NoOptions]) -> ModelResult:
    """A stub with a month-keyed, an instant-keyed and an unkeyed detail table."""
    months = pl.DataFrame({"month": [date(2025, 1, 1), date(2025, 2, 1)], "n": [1, 2]})
    instants = model_input.events.select("ts", "user").collect()
    return ModelResult(
        day_usage=pl.DataFrame(schema={"day": pl.Date(), "units": pl.Int64()}),
        details={
            "by_month": Detail(months, "month", "month"),
            "by_instant": Detail(instants, "ts", "instant"),
            "whole": Detail(pl.DataFrame({"n": [7]})),
        },
    )


def test_from_keeps_a_month_keyed_detail_row_when_one_of_its_days_is_reported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "stub", stub_model(keyed_details))
    rows = [("2025-01-20 12:00", "alice", "lms"), ("2025-02-20 12:00", "bob", "lms")]
    result = audit(rows, stub_contract(), date(2025, 1, 31))
    assert result.details["by_month"].rows() == [("stub", "2025-01", 1), ("stub", "2025-02", 2)]
    result = audit(rows, stub_contract(), date(2025, 2, 1))
    assert result.details["by_month"].rows() == [("stub", "2025-02", 2)]
    assert result.details["whole"].rows() == [("stub", 7)]


def test_from_to_filter_an_instant_keyed_detail_by_the_local_day_of_its_instant(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "stub", stub_model(keyed_details))
    # 23:30 UTC on the 10th is the 11th in Paris.
    rows = [("2025-01-10 23:30", "alice", "lms"), ("2025-01-12 12:00", "bob", "lms")]
    result = audit(rows, stub_contract(), date(2025, 1, 11), date(2025, 1, 11))
    assert result.details["by_instant"]["user"].to_list() == ["alice"]
    result = audit(rows, stub_contract(), date(2025, 1, 12))
    assert result.details["by_instant"]["user"].to_list() == ["bob"]


def test_detail_tables_get_the_contract_column_and_names_for_codes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(MODELS, "stub", stub_model(keyed_details))
    result = audit([("2025-01-10 12:00", "Alice", "lms")], stub_contract())
    assert result.details["by_instant"].columns == ["contract", "ts", "user"]
    assert result.details["by_instant"]["user"].to_list() == ["Alice"]


def deferred_contributions(model_input: ModelInput[NoOptions]) -> ModelResult:
    """A stub whose contributions table is made by a function that must not run unless
    the table is asked for, beside an ordinary detail table."""

    def holders() -> pl.DataFrame:
        if not model_input.contract.name.startswith("wanted"):
            raise AssertionError("contributions made though no chargeback reads them")
        return model_input.events.select(period=pl.col("day"), user="user").collect()

    return ModelResult(
        day_usage=pl.DataFrame(schema={"day": pl.Date(), "units": pl.Int64()}),
        details={
            "whole": Detail(pl.DataFrame({"n": [7]})),
            "holders": Detail(holders, "period", contributions=True),
        },
    )


def test_contributions_are_made_only_when_asked_for(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(MODELS, "stub", stub_model(deferred_contributions))
    rows = [("2025-01-10 12:00", "alice", "lms")]
    skipped = run_audit(ingested(rows), (stub_contract(),), "EUR", contributions=False)
    (result,) = skipped.results
    assert result.contributions == {}
    assert list(result.details) == ["whole"]
    wanted = replace(stub_contract(), name="wanted")
    (result,) = run_audit(ingested(rows), (wanted,), "EUR").results
    assert list(result.details) == ["whole"]
    assert result.contributions["holders"].rows() == [("wanted", "2025-01-10", "alice")]
