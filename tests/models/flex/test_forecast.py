"""`flex` forecast (issue 10 item 4): run-out per pack and overall, expiring tokens, alerts.

Most cases: one hour of revit (10 tokens) every day at 09:00 Paris from 6 to 15 January
2025, so the burn is 10 tokens a day and the forecast starts at the end of 15 January in
Paris, 2025-01-15 23:00 UTC.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from licaudit.models.flex.check import check_lines
from tests.conftest import utc
from tests.models.flex.support import BOUGHT, HOUR, MINUTE, T0, flex_contract, pack, run, use

DAY = timedelta(hours=24)
NOW = utc("2025-01-15 23:00")  # the end of the last day, 16 January 00:00 in Paris
FAR = utc("2026-06-01 00:00")  # an expiry far from the forecast's alerts
COLUMNS = ("pack_id", "tokens_left", "runs_out", "expires", "expiring_unused", "alert")


def daily_revit(days: int = 10) -> list[dict[str, Any]]:
    return [use(T0 + n * DAY, HOUR, product="revit") for n in range(days)]


def forecast_rows(events: list[dict[str, Any]], packs: list[Any]) -> list[tuple[Any, ...]]:
    frame = run(events, flex_contract(packs)).details["forecast"]
    return list(frame.select(COLUMNS).iter_rows())


def burn(events: list[dict[str, Any]], packs: list[Any]) -> float:
    frame = run(events, flex_contract(packs)).details["forecast"]
    value: float = frame.filter(frame["pack_id"] == "*")["burn_per_day"].item()
    return value


def test_flex_forecast_burn_is_the_tokens_of_the_trailing_30_days_per_day() -> None:
    # 40 days: revit on the first 10 (outside the trailing 30), autocad (6) on the last 30.
    events = daily_revit() + [use(T0 + n * DAY, HOUR) for n in range(10, 40)]
    assert burn(events, [pack("p", BOUGHT, 1000, FAR)]) == 6.0


def test_flex_forecast_burn_is_over_the_range_when_shorter_than_30_days() -> None:
    # 100 tokens over the 10 days of the range, not over 30.
    assert burn(daily_revit(), [pack("p", BOUGHT, 1000, FAR)]) == 10.0


def test_flex_forecast_draws_packs_in_consumption_order_until_each_is_empty() -> None:
    # The pack expiring first pays the 100 tokens: 30 left, 3 days, empty on 19 January
    # 00:00 Paris; then the other's 100 last 10 days, to 29 January.
    packs = [pack("early", BOUGHT, 130, utc("2025-06-01 00:00")), pack("late", BOUGHT, 100, FAR)]
    assert forecast_rows(daily_revit(), packs) == [
        ("*", 130, date(2025, 1, 29), None, 0, None),
        ("early", 30, date(2025, 1, 19), date(2025, 6, 1), 0, None),
        ("late", 100, date(2025, 1, 29), date(2026, 6, 1), 0, None),
    ]


def test_flex_forecast_counts_the_tokens_a_pack_holds_at_expiry_as_expiring_unused() -> None:
    # 200 left at 10 a day, but "short" expires 5 days after the range ends: 50 drawn,
    # 150 expire; "late" is drawn from then, its 100 lasting to 31 January.
    expires = NOW + 5 * DAY  # 21 January 00:00 in Paris
    packs = [pack("short", BOUGHT, 300, expires), pack("late", BOUGHT, 100, FAR)]
    assert forecast_rows(daily_revit(), packs) == [
        ("*", 300, date(2025, 1, 31), None, 150, "200 tokens expire within 90 days"),
        ("short", 200, None, date(2025, 1, 21), 150, "200 tokens expire within 90 days"),
        ("late", 100, date(2025, 1, 31), date(2026, 6, 1), 0, None),
    ]


@pytest.mark.parametrize(("tokens", "alert"), [(120, True), (125, False)])
def test_flex_forecast_alerts_a_balance_under_20_percent_of_the_purchased_tokens(
    tokens: int, alert: bool
) -> None:
    # 100 drawn: 20 of 120 left is under 20 %; 25 of 125 is exactly 20 %, no alert.
    rows = forecast_rows(daily_revit(), [pack("p", BOUGHT, tokens, FAR)])
    assert rows[0][5] == ("balance under 20 % of purchased tokens" if alert else None)
    assert rows[1][5] is None


@pytest.mark.parametrize(("after", "alert"), [(90 * DAY, True), (90 * DAY + MINUTE, False)])
def test_flex_forecast_alerts_the_tokens_expiring_within_90_days(
    after: timedelta, alert: bool
) -> None:
    rows = forecast_rows(daily_revit(), [pack("p", BOUGHT, 1000, NOW + after)])
    expected = "900 tokens expire within 90 days" if alert else None
    assert [row[5] for row in rows] == [expected, expected]


def test_flex_forecast_joins_both_alerts_on_the_whole_balance() -> None:
    rows = forecast_rows(daily_revit(), [pack("p", BOUGHT, 110, NOW + 30 * DAY)])
    assert rows[0][5] == ("balance under 20 % of purchased tokens; 10 tokens expire within 90 days")


def test_flex_forecast_the_balance_runs_out_before_a_pack_bought_later_which_is_drawn_then() -> (
    None
):
    # 20 left last 2 days (18 January); "next" is bought on 26 January 00:00 Paris and its
    # 50 tokens last 5 days from then. Its tokens are not in the balance until bought.
    packs = [pack("now", BOUGHT, 120), pack("next", NOW + 10 * DAY, 50)]
    assert forecast_rows(daily_revit(), packs) == [
        ("*", 20, date(2025, 1, 18), None, 0, "balance under 20 % of purchased tokens"),
        ("now", 20, date(2025, 1, 18), date(2026, 1, 1), 0, None),
        ("next", 50, date(2025, 1, 31), date(2026, 1, 26), 0, None),
    ]


def test_flex_forecast_leaves_out_packs_expired_and_shows_packs_emptied() -> None:
    # "old" expires before the first charge (its 4 tokens with it); "spent" pays the first
    # 4 days and is empty; "main" pays 6 days: its 440 tokens last 44 days, to 1 March.
    packs = [
        pack("old", BOUGHT, 4, utc("2025-01-06 00:00")),
        pack("spent", BOUGHT, 40, utc("2025-03-01 00:00")),
        pack("main", BOUGHT, 500, FAR),
    ]
    rows = forecast_rows(daily_revit(), packs)
    assert [row[:5] for row in rows] == [
        ("*", 440, date(2025, 3, 1), None, 0),
        ("spent", 0, None, date(2025, 3, 1), 0),
        ("main", 440, date(2025, 3, 1), date(2026, 6, 1), 0),
    ]


def test_flex_forecast_without_burn_runs_out_never_and_every_token_left_expires() -> None:
    # One charge on 6 January, then 45 days later 3 free minutes: nothing in the last 30.
    events = [use(T0, HOUR, product="revit"), use(T0 + 45 * DAY, 3 * MINUTE)]
    assert forecast_rows(events, [pack("p", BOUGHT, 300, FAR)]) == [
        ("*", 290, None, None, 290, None),
        ("p", 290, None, date(2026, 6, 1), 290, None),
    ]


def test_flex_forecast_is_empty_without_packs() -> None:
    assert run(daily_revit(), flex_contract()).details["forecast"].height == 0


def test_flex_forecast_runs_out_when_check_says_so() -> None:
    # test_check's case: 200 left at 10 a day run out on 5 February 00:00 in Paris.
    contract = flex_contract([pack("p", BOUGHT, 300)], alert_days=20)
    result = run(daily_revit(), contract)
    lines = check_lines(contract, result.details, date(2025, 1, 6), date(2025, 1, 15))
    assert "runs out around 2025-02-05 00:00" in lines[0]
    assert result.details["forecast"]["runs_out"][0] == date(2025, 2, 5)
