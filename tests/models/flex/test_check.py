"""What `licaudit check` prints for a flex contract (SPEC 3.7): denials and run-out."""

from __future__ import annotations

from datetime import date, timedelta

from licaudit.models.flex.check import check_lines, run_out
from tests.conftest import utc
from tests.models.flex.support import BOUGHT, HOUR, MINUTE, T0, flex_contract, pack, run, use

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
                "(within 20 days at 10.00 tokens/day over the last 10 days)"
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


def test_flex_run_out_draws_held_packs_until_a_pack_first_in_consumption_order_is_bought() -> None:
    # "held" (1000 tokens, usable now) comes after "later" in consumption order (later
    # expires first), but "later" is bought only on T0 + 100 days: until then the burn
    # draws on "held" (100 a day: 1000 lasts 10 days), so nothing runs out at T0.
    held = pack("held", BOUGHT, 1000)
    later = pack("later", T0 + 100 * DAY, 10, T0 + 130 * DAY)
    assert run_out([(later, 10), (held, 1000)], 100.0, T0) == T0 + 10 * DAY
    # At 1 a day: "held" draws 100 until the purchase, "later" then lasts 10 days, and
    # "held" takes over again with 900 left, until it expires on 1 January 2026.
    assert run_out([(later, 10), (held, 1000)], 1.0, T0) == held.expires_at


def test_flex_check_does_not_report_a_balance_running_out_while_a_held_pack_is_usable() -> None:
    # One charge of 6 on 6 January; "b" (10 tokens, expiring in July) is drawn first once
    # bought in June, but 994 tokens of "a" are usable meanwhile: no run-out, no line.
    contract = flex_contract(
        [pack("a", BOUGHT, 1000), pack("b", utc("2025-06-01 00:00"), 10, utc("2025-07-01 00:00"))]
    )
    result = run([use(T0, HOUR)], contract)
    assert check_lines(contract, result.details, FIRST, FIRST) == []


def test_flex_check_reports_only_denials_in_the_reported_range() -> None:
    # 48 h 10 min of acad from 09:00 Paris on 6 January with 12 tokens: charged on the
    # 6th and 7th, denied on the 8th, after the reported range 6-7 January (the balance,
    # empty at its end, still runs out: that line stays).
    contract = flex_contract([pack("p", BOUGHT, 12)])
    result = run([use(T0, 48 * HOUR + 10 * MINUTE)], contract, FIRST, date(2025, 1, 8))
    statuses = [row["status"] for row in result.details["charges"].iter_rows(named=True)]
    assert statuses == ["charged", "charged", "denied"]
    lines = check_lines(contract, result.details, FIRST, date(2025, 1, 7))
    assert len(lines) == 1 and "runs out around 2025-01-08 00:00" in lines[0]
    with_8th = check_lines(contract, result.details, FIRST, date(2025, 1, 8))
    assert (
        with_8th[0] == "autodesk: 1 charge(s) denied, the first at 2025-01-08 08:00 UTC (u, acad)"
    )
