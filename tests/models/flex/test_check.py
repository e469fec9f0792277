"""What `licaudit check` prints for a flex contract (SPEC 3.7): denials and run-out."""

from __future__ import annotations

from datetime import date, timedelta

from licaudit.models.flex.check import check_lines, run_out
from tests.models.flex.support import BOUGHT, HOUR, T0, flex_contract, pack, run, use

DAY = timedelta(hours=24)
FIRST, LAST = date(2025, 1, 6), date(2025, 1, 15)


def daily_revit(days: int = 10) -> list[dict[str, object]]:
    """One hour of revit (10 tokens) every day at 09:00 Paris from 6 January."""
    return [use(T0 + n * DAY, HOUR, product="revit") for n in range(days)]


def test_flex_check_reports_a_denied_charge_in_the_range() -> None:
    contract = flex_contract([pack("p", BOUGHT, 25)], alert_days=1)
    result = run(daily_revit(3), contract)
    lines = check_lines(contract, result.details, date(2025, 1, 6), date(2025, 1, 8))
    assert lines[0] == "autodesk: 1 charge(s) denied, the first at 2025-01-08 08:00 UTC (u, revit)"
    # 5 tokens left at 20/3 a day: the balance runs out too.
    assert len(lines) == 2 and "runs out around 2025-01-09 18:00" in lines[1]


def test_flex_check_reports_the_balance_running_out_within_alert_days() -> None:
    # 100 tokens over 10 days: 10 a day; the 200 left at the end of 15 January (Paris)
    # last 20 days, to 5 February 00:00 in Paris.
    for alert_days, expected in ((20, 1), (19, 0)):
        contract = flex_contract([pack("p", BOUGHT, 300)], alert_days=alert_days)
        lines = check_lines(contract, run(daily_revit(), contract).details, FIRST, LAST)
        assert len(lines) == expected
        if expected:
            assert lines[0] == (
                "autodesk: the token balance runs out around 2025-02-05 00:00 (Europe/Paris) "
                "(within 20 days at 10.0 tokens/day over the last 10 days)"
            )


def test_flex_check_counts_tokens_that_expire_before_they_are_burned_as_lost() -> None:
    # 200 left would last 20 days, but the pack expires on 20 January: out 5 days after.
    expires = T0 + 14 * DAY
    contract = flex_contract([pack("p", BOUGHT, 300, expires)], alert_days=5)
    lines = check_lines(contract, run(daily_revit(), contract).details, FIRST, LAST)
    assert len(lines) == 1 and "2025-01-20 09:00" in lines[0]


def test_flex_check_has_nothing_to_say_without_packs_or_burn() -> None:
    contract = flex_contract()
    assert check_lines(contract, run(daily_revit(), contract).details, FIRST, LAST) == []
    assert run_out([(pack("p", BOUGHT, 10), 10)], 0.0, T0) is None


def test_flex_run_out_waits_for_a_later_purchase_only_when_something_is_usable_until_then() -> None:
    later = pack("later", T0 + 10 * DAY, 100)
    assert run_out([(pack("now", BOUGHT, 20), 20), (later, 100)], 10.0, T0) == T0 + 2 * DAY
    assert run_out([(pack("now", BOUGHT, 200), 200), (later, 100)], 10.0, T0) == T0 + 30 * DAY
