"""``licaudit whatif``'s core (issue 13): models that apply, percentiles, candidates, least cost.

Every expected number is computed by hand in the comments next to it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from pathlib import Path

import polars as pl
import pytest

from licaudit.advisor import (
    Advice,
    Price,
    advise_events,
    default_candidates,
    nearest_rank,
    parse_capacities,
    range_cost,
    whatif_contracts,
)
from licaudit.audit import run_contract
from licaudit.contract import Settings, parse_contract_text
from licaudit.errors import ConfigError
from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.ingest.roster import ROSTER_SCHEMA, Roster
from licaudit.models import MODELS
from licaudit.models.daily_active import DailyActiveOptions

# (ts in UTC, user)
Event = tuple[datetime, str]


def event_frame(rows: Sequence[Event], product: str = "app") -> pl.DataFrame:
    return pl.DataFrame(
        [
            {
                "ts": ts,
                "end": None,
                "user": user,
                "anonymous": False,
                "method": "web",
                "product": product,
                "session": None,
                "device": None,
            }
            for ts, user in rows
        ],
        schema=EVENT_SCHEMA,
    )


def crowd(day: datetime, users: int) -> list[Event]:
    """``users`` users u01, u02... arriving a minute apart from 08:00 UTC (all within 10 min)."""
    return [(day + timedelta(hours=8, minutes=i), f"u{i + 1:02}") for i in range(users)]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# Three months whose busiest days hold 2, 5 and 8 users at once (every model's month units).
THREE_MONTHS = event_frame(
    crowd(at("2025-01-10"), 2) + crowd(at("2025-02-10"), 5) + crowd(at("2025-03-10"), 8)
)


def rows(frame: pl.DataFrame, **match: object) -> list[dict[str, object]]:
    for column, value in match.items():
        frame = frame.filter(pl.col(column) == value)
    return frame.to_dicts()


def only(frame: pl.DataFrame, **match: object) -> dict[str, object]:
    found = rows(frame, **match)
    assert len(found) == 1, found
    return found[0]


def costs(advice: Advice, contract: str, column: str = "cost") -> dict[int, Decimal]:
    table = advice.candidates.filter(pl.col("contract") == contract)
    return dict(zip(table["capacity"].to_list(), table[column].to_list(), strict=True))


# --- percentiles -------------------------------------------------------------------------


def test_nearest_rank_percentile_is_the_value_at_rank_ceil_p_n_over_100() -> None:
    assert nearest_rank(list(range(1, 101)), 95) == 95  # rank 95 of 100
    assert nearest_rank(list(range(1, 11)), 95) == 10  # rank ceil(9.5) = 10
    assert nearest_rank([7, 1, 4], 50) == 4  # rank ceil(1.5) = 2 of [1, 4, 7]
    assert nearest_rank([3], 99) == 3
    assert nearest_rank([], 95) == 0


def test_percentile_capacities_are_nearest_ranks_of_the_day_rows() -> None:
    # 1 to 20 January: day k has k users. Sorted day units 1..20: p95 is rank
    # ceil(0.95 × 20) = 19, p99 rank ceil(19.8) = 20.
    events = event_frame([e for k in range(1, 21) for e in crowd(at(f"2025-01-{k:02}"), k)])
    settings = parse_contract_text('[[contract]]\nname = "da"\nmodel = "daily-active"\n')
    advice = advise_events(events, settings)
    assert {k: v for k, v in only(advice.whatif, contract="da").items() if k[0] == "p"} == {
        "peak": 20,
        "p95": 19,
        "p99": 20,
        "pricing": None,
        "price_per_licence": None,
    }


def test_periods_and_users_over_a_candidate_come_from_the_model_run_at_that_capacity() -> None:
    # At capacity 18, 19 January refuses u19 (running total 19 > 18), 20 January u19 and
    # u20: 3 refusals of 2 users; 2 days over, and January (units 20) is a month over.
    events = event_frame([e for k in range(1, 21) for e in crowd(at(f"2025-01-{k:02}"), k)])
    settings = parse_contract_text('[[contract]]\nname = "da"\nmodel = "daily-active"\n')
    advice = advise_events(events, settings, candidates=(18, 20, 25))
    at_18 = only(advice.candidates, contract="da", capacity=18)
    assert (at_18["days_over"], at_18["months_over"]) == (2, 1)
    assert (at_18["refusals"], at_18["users_refused"]) == (3, 2)
    assert only(advice.candidates, contract="da", capacity=20)["refusals"] == 0
    # concurrent has no refused table: no refusal column to fill.
    assert only(advice.candidates, contract="concurrent", capacity=18)["refusals"] is None


def test_a_capacity_at_the_peak_refuses_nothing_so_the_model_need_not_run_again() -> None:
    # The shortcut the advisor takes at or above the peak, checked against the models.
    day_events = event_frame(crowd(at("2025-01-10"), 4))
    contract = parse_contract_text('[[contract]]\nmodel = "daily-active"\ncapacity = 4\n')
    assert run_contract(day_events, contract.contracts[0], "EUR").details["refused"].is_empty()
    roster = roster_of([("2025-01-10T08:00:00", "a"), ("2025-01-10T09:00:00", "b")])
    accounts = parse_contract_text('[[contract]]\nmodel = "accounts"\ncapacity = 2\n')
    result = run_contract(day_events, accounts.contracts[0], "EUR", roster=roster.states)
    assert max(result.day_rows["units"]) == 2
    assert result.details["refused"].is_empty()
    below = replace(accounts.contracts[0], capacity=1)
    refused = run_contract(day_events, below, "EUR", roster=roster.states).details["refused"]
    assert refused["user"].to_list() == ["b"]


# --- costs and the optimum -----------------------------------------------------------------

OFFER_ONLY = """
[[contract]]
name = "da"
model = "daily-active"

[offers.daily-active]
price = 10        # per licence a month
excess_price = 25
"""


def test_optimum_capacity_lies_strictly_between_the_least_and_the_most_used_month() -> None:
    # Months of 2, 5 and 8 users; cost(c) = 3 × 10c + 25 × Σ max(0, u − c):
    # c=2: 60 + 25 × 9 = 285; c=4: 120 + 25 × 5 = 245; c=5: 150 + 25 × 3 = 225;
    # c=6: 180 + 25 × 2 = 230; c=8: 240. Least at 5, between 2 and 8.
    advice = advise_events(THREE_MONTHS, parse_contract_text(OFFER_ONLY))
    size = only(advice.whatif, contract="da")
    assert (size["pricing"], size["optimum"], size["optimum_cost"]) == (
        "offer",
        5,
        Decimal("225.00"),
    )
    offer = costs(advice, "da", "offer_cost")
    assert [offer[c] for c in range(9)] == [
        Decimal(x) for x in ("375", "330", "285", "265", "245", "225", "230", "235", "240")
    ]
    assert set(costs(advice, "da").values()) == {None}  # the contract itself has no price


def test_a_contract_price_is_read_per_licence_and_its_own_capacity_costs_what_report_bills() -> (
    None
):
    # price 40 for 4 licences: 10 a licence. At c = 4: January 40, February 40 + 1 × 25,
    # March 40 + 4 × 25: 245.00, the report's three month rows. Optimum as above: 5, 225.
    text = '[[contract]]\nname = "da"\nmodel = "daily-active"\ncapacity = 4\n'
    settings = parse_contract_text(text + "price = 40\nexcess_price = 25\n")
    advice = advise_events(THREE_MONTHS, settings)
    report = run_contract(THREE_MONTHS, settings.contracts[0], "EUR")
    assert costs(advice, "da")[4] == sum(report.month_rows["cost"]) == Decimal("245.00")
    size = only(advice.whatif, contract="da")
    assert (size["pricing"], size["price_per_licence"], size["optimum"]) == (
        "contract",
        Decimal("10.00"),
        5,
    )
    assert size["optimum_cost"] == Decimal("225.00")


def test_an_offer_prices_a_model_the_contract_does_not_use() -> None:
    # Only a daily-active contract; [offers.concurrent] adds concurrent with its defaults
    # (10-minute windows: each day's users overlap, 2, 5, 8 at once) and the file's
    # timezone. cost(c) = 3 × 90c + 140 × Σ max(0, u − c): c=4: 1080 + 140 × 5 = 1780;
    # c=5: 1350 + 140 × 3 = 1770; c=6: 1620 + 140 × 2 = 1900. Least at 5.
    text = (
        'timezone = "America/New_York"\n[[contract]]\nname = "da"\nmodel = "daily-active"\n'
        "[offers.concurrent]\nprice = 90.0\nexcess_price = 140.0\n"
    )
    settings = parse_contract_text(text)
    contracts, _ = whatif_contracts(settings, with_roster=False)
    concurrent = next(c for c in contracts if c.model == "concurrent")
    assert (concurrent.name, concurrent.timezone, concurrent.scope) == (
        "concurrent",
        "America/New_York",
        None,
    )
    advice = advise_events(THREE_MONTHS, settings)
    size = only(advice.whatif, contract="concurrent")
    assert (size["peak"], size["pricing"], size["optimum"], size["optimum_cost"]) == (
        8,
        "offer",
        5,
        Decimal("1770.00"),
    )
    assert costs(advice, "concurrent", "offer_cost")[4] == Decimal("1780.00")
    assert only(advice.whatif, contract="da")["pricing"] is None


def test_a_model_with_both_a_priced_contract_and_an_offer_gets_a_row_per_pricing() -> None:
    settings = parse_contract_text(
        '[[contract]]\nname = "da"\nmodel = "daily-active"\ncapacity = 4\nprice = 40\n'
        "excess_price = 25\n[offers.daily-active]\nprice = 30\n"
    )
    advice = advise_events(THREE_MONTHS, settings)
    assert [row["pricing"] for row in rows(advice.whatif, contract="da")] == ["contract", "offer"]
    # An offer without excess_price: 0 over the licences bought, so buying none is cheapest.
    assert only(advice.whatif, contract="da", pricing="offer")["optimum"] == 0


def test_equal_costs_choose_the_smallest_capacity() -> None:
    # price 0, excess 0: every capacity costs 0.00; the optimum is the first, 0.
    settings = parse_contract_text(
        '[[contract]]\nname = "da"\nmodel = "daily-active"\n[offers.daily-active]\nprice = 0\n'
    )
    size = only(advise_events(THREE_MONTHS, settings).whatif, contract="da")
    assert (size["optimum"], size["optimum_cost"]) == (0, Decimal("0.00"))


def test_cost_rounds_each_month_half_up_to_cents() -> None:
    # 100 for 3 licences: 33.333... a licence. 2 licences: 66.666... → 66.67 a month, so two
    # months cost 133.34 (rounding the two months' sum once would give 133.33).
    price = Price("contract", Fraction(100) / 3, Fraction(0))
    assert range_cost([0], 1, price) == Decimal("33.33")
    assert range_cost([0, 0], 2, price) == Decimal("133.34")
    # 0.005 half-up is a cent: 1 licence at 0.005 plus nothing over.
    assert range_cost([1], 1, Price("offer", Fraction("0.005"), Fraction(1))) == Decimal("0.01")


def test_a_price_without_capacity_is_not_compared_and_says_so() -> None:
    settings = parse_contract_text(
        '[[contract]]\nname = "da"\nmodel = "daily-active"\nprice = 40\n'
    )
    advice = advise_events(THREE_MONTHS, settings)
    assert only(advice.whatif, contract="da")["pricing"] is None
    assert any("`da` has prices but no capacity" in warning for warning in advice.warnings)


def test_default_candidates_run_from_0_to_the_peak_month() -> None:
    advice = advise_events(THREE_MONTHS, parse_contract_text(OFFER_ONLY))
    assert sorted(costs(advice, "da")) == list(range(9))


def test_past_100_capacities_the_default_steps_and_keeps_the_months_and_marks() -> None:
    assert default_candidates([3, 7], [5]) == tuple(range(8))
    assert default_candidates([100], []) == tuple(range(101))
    # top 310: a step of ceil(3.1) = 4, with 310, the months 150, 230, 301 and the mark 7.
    stepped = default_candidates([150, 230, 301], [310, 7])
    assert set(stepped) == {*range(0, 309, 4), 310, 150, 230, 301, 7}
    assert list(stepped) == sorted(stepped)


def test_a_stepped_default_still_finds_the_least_cost_at_a_month_s_units() -> None:
    # Months of 2, 5, 8 users and a capacity of 300 (top 300: step 3, so 5 and 8 are not
    # multiples of it): the offer's least cost is still 5 (225.00), a month's units.
    settings = parse_contract_text(
        OFFER_ONLY.replace('"daily-active"\n', '"daily-active"\ncapacity = 300\n', 1)
    )
    advice = advise_events(THREE_MONTHS, settings)
    assert 5 in costs(advice, "da") and 4 not in costs(advice, "da")
    size = only(advice.whatif, contract="da")
    assert (size["optimum"], size["optimum_cost"]) == (5, Decimal("225.00"))


def test_from_and_to_restrict_the_periods_sized_and_priced() -> None:
    # February and March only: months of 5 and 8. cost(5) = 2 × 50 + 3 × 25 = 175,
    # cost(8) = 160: the optimum moves to 8.
    advice = advise_events(
        THREE_MONTHS,
        parse_contract_text(OFFER_ONLY),
        date_from=datetime(2025, 2, 1).date(),
        date_to=datetime(2025, 3, 31).date(),
    )
    size = only(advice.whatif, contract="da")
    assert (size["optimum"], size["optimum_cost"]) == (8, Decimal("160.00"))


# --- which models run ------------------------------------------------------------------------


def roster_of(rows: Sequence[tuple[str, str]]) -> Roster:
    """Users activated at the given UTC times, for product ``app``."""
    states = pl.DataFrame(
        [
            {"ts": at(ts), "user": user, "product": "app", "active": True, "seq": seq}
            for seq, (ts, user) in enumerate(rows)
        ],
        schema=ROSTER_SCHEMA,
    )
    return Roster(path=Path("roster.csv"), states=states, rejects=pl.DataFrame())


def test_event_models_always_run_roster_models_with_a_roster_and_flex_with_rates() -> None:
    settings = Settings(contracts=())
    without, _ = whatif_contracts(settings, with_roster=False)
    assert [c.model for c in without] == ["daily-active", "concurrent", "floating", "rau"]
    with_roster, _ = whatif_contracts(settings, with_roster=True)
    assert [c.model for c in with_roster] == [
        "daily-active",
        "concurrent",
        "floating",
        "accounts",
        "nominal",
        "rau",
    ]
    assert all(c.options == MODELS[c.model].options() for c in with_roster)


def test_a_contract_of_the_model_lends_its_scope_options_and_timezone() -> None:
    settings = parse_contract_text(
        '[[contract]]\nname = "2k21"\nmodel = "daily-active"\nscope = "netexplorer"\n'
        'overflow = "block"\ntimezone = "UTC"\ncapacity = 40\n'
    )
    contracts, _ = whatif_contracts(settings, with_roster=False)
    assert contracts[0] == settings.contracts[0]
    assert contracts[0].options == DailyActiveOptions(overflow="block")


def test_an_offer_for_a_roster_model_without_a_roster_is_left_out_with_a_warning() -> None:
    settings = parse_contract_text(MINIMAL_WITH_ACCOUNTS_OFFER)
    contracts, warnings = whatif_contracts(settings, with_roster=False)
    assert "accounts" not in [c.model for c in contracts]
    assert warnings == [
        "`accounts` is not compared: it counts accounts from a roster, and none was given. "
        "Hint: give --roster FILE or roster = FILE in the contract file."
    ]


MINIMAL_WITH_ACCOUNTS_OFFER = (
    '[[contract]]\nmodel = "daily-active"\n[offers.accounts]\nprice = 5\nexcess_price = 8\n'
)


def test_roster_models_are_sized_from_the_roster() -> None:
    # a, b, c active from 10 January (UTC morning): 3 accounts at once; capacity 2 refuses
    # the third activation (c, 2 already active).
    roster = roster_of(
        [("2025-01-10T08:00:00", "a"), ("2025-01-10T09:00:00", "b"), ("2025-01-10T10:00:00", "c")]
    )
    events = event_frame(crowd(at("2025-01-10"), 1))
    advice = advise_events(events, Settings(contracts=()), roster, candidates=(2,))
    assert only(advice.whatif, contract="accounts")["peak"] == 3
    refused = only(advice.candidates, contract="accounts", capacity=2)
    assert (refused["refusals"], refused["users_refused"]) == (1, 1)
    assert only(advice.whatif, contract="nominal", scope="app")["peak"] == 3


# --- --capacities --------------------------------------------------------------------------


def test_capacities_are_a_range_with_its_stop_included_or_a_list() -> None:
    assert parse_capacities("10:200:5") == tuple(range(10, 201, 5))
    assert parse_capacities("3:5") == (3, 4, 5)
    assert parse_capacities("0:10:3") == (0, 3, 6, 9)
    assert parse_capacities(" 40, 10,10:12 ") == (10, 11, 12, 40)


@pytest.mark.parametrize("spec", ["", "a:b", "10:5", "1:10:0", "-1", "1.5", "1:2:3:4"])
def test_a_bad_capacities_spec_is_a_configuration_error_with_a_hint(spec: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_capacities(spec)
    assert caught.value.exit_code == 2
    assert "`--capacities`" in caught.value.message
    assert "10:200:5" in (caught.value.hint or "")


def test_more_than_ten_thousand_capacities_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError, match="more than 10,000"):
        parse_capacities("0:20000")


def test_settings_replace_keeps_the_offers() -> None:
    settings = parse_contract_text(OFFER_ONLY)
    assert replace(settings, contracts=()).offers == settings.offers
