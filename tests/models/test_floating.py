"""`floating` (SPEC 3.3): hand-computed rules, then the model against a naive reference."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.audit import Evaluation, evaluate, run_contract
from licaudit.contract import Contract, parse_contract_text
from licaudit.models.floating import FloatingOptions
from licaudit.periods import build_calendar
from tests.conftest import utc
from tests.models.support import calendar_around, ev, frame, report_days
from tests.reference.netexplorer_ref import floating

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"
D = date(2025, 1, 15)  # Paris is UTC+1: the local day is [2025-01-14 23:00, 2025-01-15 23:00) UTC
HOUR = timedelta(hours=1)


def contract(
    capacity: int | None = None, timezone: str = PARIS, inactivity: timedelta | None = None
) -> Contract:
    options = FloatingOptions() if inactivity is None else FloatingOptions(inactivity)
    return Contract(
        name="share-enterprise",
        model="floating",
        timezone=timezone,
        capacity=capacity,
        options=options,
    )


def days_from(first: date, count: int) -> list[date]:
    return [first + timedelta(days=offset) for offset in range(count)]


def run(
    events: Sequence[dict[str, Any]],
    terms: Contract,
    first: date | None = None,
    last: date | None = None,
) -> Evaluation:
    """The model over ``events`` on the local days ``first..last`` (default: the report range)."""
    if first is None:
        return evaluate(frame(events), terms)
    calendar = build_calendar(first, last or first, terms.timezone)
    return evaluate(frame(events), terms, calendar)


def units(result: Evaluation) -> dict[date, int]:
    return dict(result.day_usage.select("day", "units").iter_rows())


def movements(result: Evaluation) -> list[tuple[Any, ...]]:
    """The ``assignments`` detail rows: (day, assignments, releases, held_at_end)."""
    table = result.details["assignments"]
    return table.select("period", "assignments", "releases", "held_at_end").rows()


def holders(result: Evaluation) -> list[tuple[Any, ...]]:
    return result.details["holders"].select("user", "assigned_at", "releases_at").rows()


# --- Assignment and release ------------------------------------------------------------------


def test_floating_licence_is_assigned_at_first_event_and_released_30_days_after_the_last() -> None:
    days = days_from(D, 32)
    release_day = D + timedelta(days=30)  # 2025-02-14 10:00 UTC is 11:00 in Paris
    result = run([ev("2025-01-15 10:00")], contract(), days[0], days[-1])
    assert units(result) == {day: 1 if day <= release_day else 0 for day in days}
    rows = movements(result)
    assert rows[0] == ("2025-01-15", 1, 0, 1)
    assert rows[29] == ("2025-02-13", 0, 0, 1)
    assert rows[30] == ("2025-02-14", 0, 1, 0)
    assert sum(row[1] for row in rows) == 1
    assert sum(row[2] for row in rows) == 1
    assert holders(result) == []


def test_floating_event_before_the_release_keeps_the_licence() -> None:
    # 1 µs before the release instant: the same licence, now held until 30 days after it.
    events = [ev("2025-01-15 10:00"), ev("2025-02-14 09:59:59.999999")]
    result = run(events, contract(), D, date(2025, 3, 20))
    assert max(units(result).values()) == 1
    assert sum(row[1] for row in movements(result)) == 1
    released = [row[0] for row in movements(result) if row[2]]
    assert released == ["2025-03-16"]


def test_floating_event_exactly_30_days_after_the_last_takes_a_new_assignment() -> None:
    # 30 × 24 h after 2025-01-15 10:00 UTC: the first licence is released at that instant
    # and the event takes a new one; at that instant alice holds one licence, not two.
    events = [ev("2025-01-15 10:00"), ev("2025-02-14 10:00")]
    result = run(events, contract(capacity=0), D, date(2025, 2, 14))
    assert set(units(result).values()) == {1}
    rows = movements(result)
    assert rows[0] == ("2025-01-15", 1, 0, 1)
    assert rows[-1] == ("2025-02-14", 1, 1, 1)
    assert holders(result) == [("alice", utc("2025-02-14 10:00"), utc("2025-03-16 10:00"))]


def test_floating_30_days_are_30_times_24_hours_across_a_dst_switch() -> None:
    # 2025-03-15 10:00 UTC is 11:00 CET; 11:00 CEST thirty calendar days later is 09:00 UTC,
    # one hour before 30 × 24 h have passed: the licence is kept.
    kept = run([ev("2025-03-15 10:00"), ev("2025-04-14 09:00")], contract())
    assert sum(row[1] for row in movements(kept)) == 1
    renewed = run([ev("2025-03-15 10:00"), ev("2025-04-14 10:00")], contract())
    assert sum(row[1] for row in movements(renewed)) == 2


def test_floating_event_after_the_release_takes_a_new_assignment() -> None:
    events = [ev("2025-01-15 08:00"), ev("2025-01-16 10:00")]
    result = run(events, contract(inactivity=24 * HOUR), D, D + timedelta(days=2))
    # Released 2025-01-16 08:00, assigned again 10:00, released 2025-01-17 10:00.
    assert movements(result) == [
        ("2025-01-15", 1, 0, 1),
        ("2025-01-16", 1, 1, 1),
        ("2025-01-17", 0, 1, 0),
    ]
    assert units(result) == {D: 1, D + timedelta(days=1): 1, D + timedelta(days=2): 1}


def test_floating_inactivity_is_an_option() -> None:
    parsed = parse_contract_text('[[contract]]\nmodel = "floating"\ninactivity = "7d"\n')
    assert parsed.contracts[0].options == FloatingOptions(timedelta(days=7))
    default = parse_contract_text('[[contract]]\nmodel = "floating"\n').contracts[0]
    assert default.options == FloatingOptions(timedelta(days=30))
    events = [ev("2025-01-15 10:00"), ev("2025-01-23 10:00", user="bob")]
    assert max(units(run(events, contract())).values()) == 2
    assert max(units(run(events, parsed.contracts[0])).values()) == 1


# --- Who holds licences ----------------------------------------------------------------------


def test_floating_anonymous_rows_take_no_licence() -> None:
    events = [
        ev("2025-01-15 10:00", user=None),
        ev("2025-01-15 10:00", user="guest", anonymous=True),
        ev("2025-01-15 10:00", user="bob", anonymous=True),
    ]
    result = run(events, contract())
    assert units(result) == {D: 0}
    assert movements(result) == [("2025-01-15", 0, 0, 0)]
    assert holders(result) == []


def test_floating_methods_and_products_do_not_split_a_users_licence() -> None:
    events = [
        ev("2025-01-15 10:00", method="web", product="crm"),
        ev("2025-01-15 10:01", method="sync", product="lms"),
    ]
    assert units(run(events, contract())) == {D: 1}


def test_floating_units_are_the_most_licences_held_at_one_instant_not_the_users_of_the_day() -> (
    None
):
    # alice holds [08:00, 10:00), bob [10:00, 12:00): one licence at a time.
    events = [ev("2025-01-15 08:00"), ev("2025-01-15 10:00", user="bob")]
    result = run(events, contract(inactivity=2 * HOUR))
    assert units(result) == {D: 1}
    assert movements(result) == [("2025-01-15", 2, 2, 0)]
    overlapping = [ev("2025-01-15 08:00"), ev("2025-01-15 09:59", user="bob")]
    assert units(run(overlapping, contract(inactivity=2 * HOUR))) == {D: 2}


# --- Days ------------------------------------------------------------------------------------


def test_floating_licence_still_held_after_the_last_event_counts_on_the_remaining_days() -> None:
    # bob's last event is on the 15th, alice's on the 18th: the report runs to the 18th and
    # bob's licence counts on the 16th and 17th, days without events.
    events = [ev("2025-01-15 10:00", user="bob"), ev("2025-01-18 10:00")]
    result = run(events, contract(capacity=1))
    assert units(result) == dict(zip(days_from(D, 4), [1, 1, 1, 2], strict=True))
    assert [row[3] for row in movements(result)] == [1, 1, 1, 2]
    assert holders(result) == [
        ("alice", utc("2025-01-18 10:00"), utc("2025-02-17 10:00")),
        ("bob", utc("2025-01-15 10:00"), utc("2025-02-14 10:00")),
    ]


def test_floating_licence_released_at_midnight_is_held_at_the_end_of_its_last_day() -> None:
    # Released at 23:00 UTC, Paris midnight: held just before the 15th's end, not on the 16th.
    d2 = D + timedelta(days=1)
    result = run([ev("2025-01-15 21:00")], contract(inactivity=2 * HOUR), D, d2)
    assert units(result) == {D: 1, d2: 0}
    assert movements(result) == [("2025-01-15", 1, 0, 1), ("2025-01-16", 0, 1, 0)]
    one_day = run([ev("2025-01-15 21:00")], contract(inactivity=2 * HOUR))
    assert holders(one_day) == [("alice", utc("2025-01-15 21:00"), utc("2025-01-15 23:00"))]


def test_floating_licence_crossing_midnight_counts_on_both_days() -> None:
    # 22:30 UTC is 23:30 in Paris: held until 00:30 on the 16th.
    d2 = D + timedelta(days=1)
    result = run([ev("2025-01-15 22:30")], contract(inactivity=HOUR), D, d2)
    assert units(result) == {D: 1, d2: 1}
    assert movements(result) == [("2025-01-15", 1, 0, 1), ("2025-01-16", 0, 1, 0)]


def test_floating_dst_day_has_23_hours() -> None:
    # 2025-03-30 in Paris is [2025-03-29 23:00 UTC, 2025-03-30 22:00 UTC). One hour each:
    # alice from 23:30 CET on the 29th, bob from 23:30 CEST on the 30th, carol from
    # 00:00 CEST on the 31st (22:00 UTC, which a 24-hour day would put on the 30th).
    events = [
        ev("2025-03-29 22:30", user="alice"),
        ev("2025-03-30 21:30", user="bob"),
        ev("2025-03-30 22:00", user="carol"),
    ]
    result = run(events, contract(inactivity=HOUR), date(2025, 3, 29), date(2025, 3, 31))
    assert units(result) == {date(2025, 3, 29): 1, date(2025, 3, 30): 1, date(2025, 3, 31): 2}
    assert movements(result) == [
        ("2025-03-29", 1, 0, 1),
        ("2025-03-30", 1, 1, 1),
        ("2025-03-31", 1, 2, 0),
    ]


def test_floating_dst_day_has_25_hours() -> None:
    # 2025-10-26 in Paris is [2025-10-25 22:00 UTC, 2025-10-26 23:00 UTC). carol's 22:00 UTC
    # is 23:00 CET, still the 26th; bob's 22:30 UTC is 23:30 CET. carol's licence is
    # released at 00:00 CET on the 27th: held at the end of the 26th, released on the 27th.
    events = [
        ev("2025-10-25 21:30", user="alice"),
        ev("2025-10-26 22:00", user="carol"),
        ev("2025-10-26 22:30", user="bob"),
    ]
    result = run(events, contract(inactivity=HOUR), date(2025, 10, 25), date(2025, 10, 27))
    assert units(result) == {date(2025, 10, 25): 1, date(2025, 10, 26): 2, date(2025, 10, 27): 1}
    assert movements(result) == [
        ("2025-10-25", 1, 0, 1),
        ("2025-10-26", 2, 1, 2),
        ("2025-10-27", 0, 2, 0),
    ]


def test_floating_assignments_table_has_a_row_for_every_day() -> None:
    events = [ev("2025-01-15 10:00"), ev("2025-01-18 10:00", user="bob")]
    table = run(events, contract()).details["assignments"]
    assert table.schema == pl.Schema(
        {
            "contract": pl.String(),
            "period": pl.String(),
            "assignments": pl.Int64(),
            "releases": pl.Int64(),
            "held_at_end": pl.Int64(),
        }
    )
    assert table["period"].to_list() == ["2025-01-15", "2025-01-16", "2025-01-17", "2025-01-18"]
    assert table["assignments"].to_list() == [1, 0, 0, 1]


# --- Common rules: scope lists, --from/--to, months --------------------------------------------


def test_floating_scope_list_counts_across_the_listed_products_under_one_scope() -> None:
    events = [
        ev("2025-01-15 10:00", user="alice", product="crm"),
        ev("2025-01-15 11:00", user="alice", product="lms"),
        ev("2025-01-15 12:00", user="bob", product="lms"),
        ev("2025-01-15 13:00", user="carol", product="erp"),
    ]
    parsed = parse_contract_text(
        '[[contract]]\nname = "both"\nmodel = "floating"\nscope = ["lms", "crm"]\n'
    )
    result = run_contract(frame(events), parsed.contracts[0], "EUR")
    assert result.day_rows.select("scope", "period", "units").rows() == [
        ("crm+lms", "2025-01-15", 2)
    ]
    assert result.details["holders"]["user"].to_list() == ["alice", "bob"]
    every = run_contract(frame(events), contract(), "EUR")
    assert every.day_rows.select("scope", "units").rows() == [("*", 3)]


def test_floating_from_date_restricts_reporting_not_state() -> None:
    # alice's licence, taken on the 15th, is still held on the reported 17th.
    events = [ev("2025-01-15 10:00"), ev("2025-01-17 10:00", user="bob")]
    result = run_contract(frame(events), contract(capacity=1), "EUR", date_from=date(2025, 1, 17))
    assert result.day_rows.select("period", "units", "excess").rows() == [("2025-01-17", 2, 1)]
    assert result.details["assignments"].select(
        "period", "assignments", "releases", "held_at_end"
    ).rows() == [("2025-01-17", 1, 0, 2)]
    assert result.details["holders"]["user"].to_list() == ["alice", "bob"]


def test_floating_month_units_are_the_largest_day() -> None:
    events = [
        ev("2025-01-15 10:00"),
        ev("2025-01-16 10:00", user="bob"),
        ev("2025-02-20 10:00", user="carol"),
    ]
    result = run_contract(frame(events), contract(capacity=1), "EUR")
    # alice and bob hold until 14 and 15 February; carol comes after.
    assert result.month_rows.select("period", "units", "excess").rows() == [
        ("2025-01", 2, 1),
        ("2025-02", 2, 1),
    ]


# --- Properties: the model against the naive reference ---------------------------------------

TRANSITIONS = {
    PARIS: (utc("2025-03-30 01:00"), utc("2025-10-26 01:00")),
    NEW_YORK: (utc("2025-03-09 07:00"), utc("2025-11-02 06:00")),
}
USERS = ("alice", "bob", "carol", "dave")
INACTIVITIES = (HOUR, 2 * HOUR, timedelta(minutes=90), timedelta(days=1), timedelta(days=30))


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Contract]:
    timezone = draw(st.sampled_from(sorted(TRANSITIONS)))
    transition = draw(st.sampled_from(TRANSITIONS[timezone]))
    # A 30-minute grid within ±40 h of a DST switch (so releases and assignments often
    # coincide, at local midnights too), or 1 µs off it.
    offsets = st.builds(
        lambda step, nudge: timedelta(minutes=30 * step, microseconds=nudge),
        st.integers(min_value=-80, max_value=80),
        st.sampled_from((0, 0, 0, -1, 1)),
    )
    rows = [
        {
            "ts": transition + draw(offsets),
            "end": None,
            "user": draw(st.sampled_from(USERS)),
            "anonymous": draw(st.booleans()) and draw(st.booleans()),
            "method": draw(st.sampled_from(("web", "sync"))),
            "product": "default",
            "session": None,
            "device": None,
        }
        for _ in range(draw(st.integers(min_value=1, max_value=20)))
    ]
    terms = contract(
        capacity=draw(st.none() | st.integers(min_value=0, max_value=3)),
        timezone=timezone,
        inactivity=draw(st.sampled_from(INACTIVITIES)),
    )
    return rows, terms


@settings(max_examples=150)
@given(scenarios())
def test_floating_matches_the_naive_reference(
    scenario: tuple[list[dict[str, Any]], Contract],
) -> None:
    rows, terms = scenario
    days = report_days(rows, terms.timezone)
    assert_matches_the_reference(rows, terms, days, evaluate(frame(rows), terms))


@settings(max_examples=100)
@given(scenarios(), st.data())
def test_floating_matches_the_naive_reference_on_a_calendar_the_events_overrun(
    scenario: tuple[list[dict[str, Any]], Contract], data: st.DataObject
) -> None:
    """Events before or after the calendar: licences taken before it are held into it,
    those taken after it count nowhere, and the holders are those at the calendar's end."""
    rows, terms = scenario
    calendar, chosen = calendar_around(data, report_days(rows, terms.timezone), terms.timezone)
    assert_matches_the_reference(rows, terms, chosen, evaluate(frame(rows), terms, calendar))


def assert_matches_the_reference(
    rows: list[dict[str, Any]], terms: Contract, days: list[date], result: Evaluation
) -> None:
    """``result`` over the local ``days`` is what the naive reference computes for them."""
    options: FloatingOptions = terms.options
    expected = floating(rows, days, terms.timezone, options.inactivity)
    assert result.day_usage["day"].to_list() == days
    assert units(result) == expected.units
    assert movements(result) == [
        (
            day.isoformat(),
            expected.assignments[day],
            expected.releases[day],
            expected.held_at_end[day],
        )
        for day in days
    ]
    end = build_calendar(days[0], days[-1], terms.timezone).last_end
    assert holders(result) == sorted(
        (licence.user, licence.assigned, licence.released)
        for licence in expected.licences
        if licence.assigned < end <= licence.released
    )
    assert {row[0] for row in holders(result)} == expected.holders_at_end


@settings(max_examples=50)
@given(scenarios())
def test_floating_does_not_depend_on_row_order(
    scenario: tuple[list[dict[str, Any]], Contract],
) -> None:
    rows, terms = scenario
    forward = evaluate(frame(rows), terms)
    backward = evaluate(frame(rows).reverse(), terms)
    assert forward.day_usage.equals(backward.day_usage)
    for name in ("assignments", "holders"):
        assert forward.details[name].equals(backward.details[name])
