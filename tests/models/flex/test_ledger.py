"""`flex` pack ledger (SPEC 3.7 rule 3), hand-computed; each case on both ledger paths."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from unittest import mock

import pytest

from tests.conftest import utc
from tests.models.flex.support import (
    BOUGHT,
    HOUR,
    MINUTE,
    T0,
    charge_rows,
    flex_contract,
    ledger_rows,
    pack,
    run,
    units,
    use,
)

DAY = timedelta(hours=24)


@pytest.fixture(autouse=True, params=["one-line", "walk"])
def ledger_path(request: pytest.FixtureRequest) -> Iterator[str]:
    """Every case runs on the vectorized path where it applies, then on the walk alone."""
    if request.param == "walk":
        with mock.patch("licaudit.models.flex.one_line", return_value=False):
            yield request.param
    else:
        yield request.param


def test_flex_charges_draw_on_the_pack_with_the_earliest_expiry_date_first() -> None:
    packs = [
        pack("small-late", BOUGHT, 10, utc("2026-06-01 00:00")),
        pack("big-early", BOUGHT, 1000, utc("2026-05-01 00:00")),
    ]
    result = run([use(T0)], flex_contract(packs))
    assert ledger_rows(result) == [("big-early", T0, -6, "draw", 994)]


def test_flex_packs_expiring_on_one_local_date_are_drawn_smallest_first() -> None:
    packs = [
        # 2026-03-11 00:30 in Paris: a later local date, although the same UTC date.
        pack("a-small-next-day", BOUGHT, 10, utc("2026-03-10 23:30")),
        pack("b-big", BOUGHT, 100, utc("2026-03-10 09:00")),
        pack("c-mid", BOUGHT, 50, utc("2026-03-10 22:00")),  # 23:00 in Paris, 10 March
    ]
    result = run([use(T0)], flex_contract(packs))
    assert ledger_rows(result) == [("c-mid", T0, -6, "draw", 44)]


def test_flex_packs_of_one_expiry_date_and_size_are_drawn_by_pack_id() -> None:
    expiry = utc("2026-01-01 00:00")
    packs = [pack("p2", BOUGHT, 20, expiry), pack("p1", BOUGHT, 20, expiry)]
    result = run([use(T0)], flex_contract(packs))
    assert ledger_rows(result) == [("p1", T0, -6, "draw", 14)]


def test_flex_a_charge_spans_two_packs() -> None:
    expiry = utc("2026-01-01 00:00")
    packs = [pack("p2", BOUGHT, 4, expiry), pack("p1", BOUGHT, 4, expiry)]
    result = run([use(T0)], flex_contract(packs))
    assert ledger_rows(result) == [("p1", T0, -4, "draw", 0), ("p2", T0, -2, "draw", 2)]
    assert [row[5] for row in charge_rows(result)] == ["charged"]


def test_flex_a_short_balance_denies_the_charge_and_draws_nothing() -> None:
    result = run([use(T0, HOUR, product="revit")], flex_contract([pack("p1", BOUGHT, 5)]))
    assert charge_rows(result) == [("u", "revit", T0, None, 10, "denied")]
    assert ledger_rows(result) == []
    assert units(result) == {("revit", "2025-01-06"): 0}


def test_flex_denial_then_purchase_then_charge() -> None:
    # 30 h of use: charged at T0 (6 of 10), denied at T0 + 24 h (4 left), the rest of the
    # stretch unbilled; p2 bought at T0 + 25 h; the next stretch (T0 + 40 h) is charged
    # afresh, from what is left of p1, then p2.
    events = [use(T0, 30 * HOUR), use(T0 + 40 * HOUR, HOUR)]
    packs = [pack("p1", BOUGHT, 10), pack("p2", T0 + 25 * HOUR, 10)]
    result = run(events, flex_contract(packs), last=date(2025, 1, 8), first=date(2025, 1, 6))
    assert charge_rows(result) == [
        ("u", "acad", T0, T0 + DAY, 6, "charged"),
        ("u", "acad", T0 + DAY, None, 6, "denied"),
        ("u", "acad", T0 + 40 * HOUR, T0 + 64 * HOUR, 6, "charged"),
    ]
    assert ledger_rows(result) == [
        ("p1", T0, -6, "draw", 4),
        ("p1", T0 + 40 * HOUR, -4, "draw", 0),
        ("p2", T0 + 40 * HOUR, -2, "draw", 8),
    ]
    assert units(result) == {
        ("acad", "2025-01-06"): 6,
        ("acad", "2025-01-07"): 0,
        ("acad", "2025-01-08"): 6,
    }


def test_flex_a_denial_opens_no_window_so_the_key_is_charged_at_its_next_stretch() -> None:
    # Denied at T0; a pack bought at T0 + 2 h; the next stretch at T0 + 3 h is charged
    # although it is inside the 24 h a granted charge at T0 would have covered.
    events = [use(T0, HOUR), use(T0 + 3 * HOUR, HOUR)]
    result = run(events, flex_contract([pack("p", T0 + 2 * HOUR, 100)]))
    assert [(row[2], row[5]) for row in charge_rows(result)] == [
        (T0, "denied"),
        (T0 + 3 * HOUR, "charged"),
    ]


def test_flex_charges_draw_in_time_order_then_user_then_product() -> None:
    events = [
        use(T0 + HOUR, HOUR, "a", "acad"),
        use(T0, HOUR, "b", "revit"),
        use(T0, HOUR, "b", "acad"),
        use(T0, HOUR, "c", "acad"),
    ]
    result = run(events, flex_contract([pack("p", BOUGHT, 16)]))
    assert [(row[0], row[1], row[5]) for row in charge_rows(result)] == [
        ("b", "acad", "charged"),
        ("b", "revit", "charged"),
        ("c", "acad", "denied"),
        ("a", "acad", "denied"),
    ]


def test_flex_a_pack_is_usable_from_its_purchase_until_just_before_it_expires() -> None:
    packs = [pack("p", T0 + HOUR, 100, T0 + 50 * HOUR)]
    events = [
        use(T0, HOUR, "a"),  # before the purchase
        use(T0 + HOUR, HOUR, "b"),  # at the purchase
        use(T0 + 50 * HOUR - 6 * MINUTE, HOUR, "c"),  # just before the expiry
        use(T0 + 50 * HOUR, HOUR, "d"),  # at the expiry
    ]
    result = run(events, flex_contract(packs))
    assert [(row[0], row[5]) for row in charge_rows(result)] == [
        ("a", "denied"),
        ("b", "charged"),
        ("c", "charged"),
        ("d", "denied"),
    ]
    assert ledger_rows(result)[-1] == ("p", T0 + 50 * HOUR, -88, "expire", 0)


def test_flex_leftover_tokens_expire_at_expires_at() -> None:
    packs = [pack("p", BOUGHT, 20, T0 + 30 * HOUR)]
    result = run([use(T0)], flex_contract(packs), first=date(2025, 1, 6), last=date(2025, 1, 8))
    assert ledger_rows(result) == [
        ("p", T0, -6, "draw", 14),
        ("p", T0 + 30 * HOUR, -14, "expire", 0),
    ]


def test_flex_expiry_rows_only_before_the_end_of_the_range_and_for_packs_not_empty() -> None:
    # The range is 6-7 January in Paris: it ends at 2025-01-07 23:00 UTC, exclusive.
    packs = [
        pack("empty", BOUGHT, 6, utc("2025-01-07 12:00")),
        pack("at-the-end", BOUGHT, 6, utc("2025-01-07 23:00")),
        pack("unused", BOUGHT, 6, utc("2025-01-07 22:59")),
    ]
    result = run([use(T0)], flex_contract(packs), first=date(2025, 1, 6), last=date(2025, 1, 7))
    assert ledger_rows(result) == [
        ("empty", T0, -6, "draw", 0),
        ("unused", utc("2025-01-07 22:59"), -6, "expire", 0),
    ]


def test_flex_default_expiry_of_a_leap_day_pack_is_28_february() -> None:
    bought = utc("2024-02-29 10:00")
    events = [use(utc("2025-02-28 09:59"), HOUR, "a"), use(utc("2025-02-28 10:00"), HOUR, "b")]
    result = run(events, flex_contract([pack("p", bought, 20)]))
    assert [row[5] for row in charge_rows(result)] == ["charged", "denied"]
    assert ledger_rows(result) == [
        ("p", utc("2025-02-28 09:59"), -6, "draw", 14),
        ("p", utc("2025-02-28 10:00"), -14, "expire", 0),
    ]


def test_flex_balances_give_each_held_pack_at_the_end_of_each_day() -> None:
    events = [use(T0), use(T0 + DAY, HOUR)]
    packs = [pack("p1", BOUGHT, 10), pack("p2", T0 + 2 * HOUR, 100)]
    result = run(events, flex_contract(packs))
    assert result.details["balances"].select("period", "pack_id", "balance").rows() == [
        ("2025-01-06", "p1", 4),
        ("2025-01-06", "p2", 100),
        ("2025-01-07", "p1", 0),
        ("2025-01-07", "p2", 98),
    ]
