"""`daily-active` (SPEC 3.1): hand-computed rules, then the model against a naive reference."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, replace
from datetime import date, timedelta
from typing import Any
from unittest.mock import patch

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.audit import Evaluation, evaluate
from licaudit.contract import Contract, parse_contract_text
from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.models import daily_active as daily_active_model
from licaudit.models.daily_active import DailyActiveOptions
from licaudit.periods import build_calendar
from tests.conftest import utc
from tests.reference.daily_active_ref import daily_active

PARIS = "Europe/Paris"
NEW_YORK = "America/New_York"

Row = tuple[str, str | None, str] | tuple[str, str | None, str, bool]


def event_frame(rows: Sequence[Row]) -> pl.DataFrame:
    """Events (ts UTC, user, method[, anonymous]) in the canonical schema."""
    records = [
        {
            "ts": utc(row[0]),
            "end": None,
            "user": row[1],
            "anonymous": row[3] if len(row) == 4 else row[1] is None,
            "method": row[2],
            "product": "default",
            "session": None,
            "device": None,
        }
        for row in rows
    ]
    return pl.DataFrame(records, schema=EVENT_SCHEMA)


def daily_contract(capacity: int | None = None, timezone: str = PARIS, **options: Any) -> Contract:
    return Contract(
        name="netexplorer",
        model="daily-active",
        timezone=timezone,
        capacity=capacity,
        options=DailyActiveOptions(**options),
    )


def local_span(frame: pl.DataFrame, timezone: str) -> tuple[date, date]:
    """The local days of the earliest and latest event: the report range."""
    days = frame.select(pl.col("ts").dt.convert_time_zone(timezone).dt.date())["ts"].to_list()
    return min(days), max(days)


def run(
    rows: Sequence[Row],
    contract: Contract,
    first: date | None = None,
    last: date | None = None,
) -> Evaluation:
    """Run the model over ``rows`` on the local days ``first..last`` (default: the rows' span)."""
    frame = event_frame(rows)
    if first is None or last is None:
        first, last = local_span(frame, contract.timezone)
    calendar = build_calendar(first, last, contract.timezone)
    return evaluate(frame, contract, calendar)


def units_by_day(result: Evaluation) -> dict[str, int]:
    return {
        day.isoformat(): units for day, units in result.day_usage.select("day", "units").iter_rows()
    }


def single_day_units(rows: Sequence[Row], contract: Contract) -> int:
    return units_by_day(run(rows, contract))["2025-01-15"]


def one_user(methods: Sequence[str], user: str = "alice") -> list[Row]:
    """``user`` using each of ``methods`` once on 2025-01-15 (Paris), an hour apart."""
    return [(f"2025-01-15 {8 + hour:02d}:00", user, method) for hour, method in enumerate(methods)]


def refused_users(result: Evaluation) -> list[tuple[str, str]]:
    return list(result.details["refused"].select("period", "user").iter_rows())


# --- Seats per (day, user), per-method overflow (the default) -----------------------------


def test_daily_active_counts_one_seat_per_user_up_to_five_methods_and_two_sync() -> None:
    rows = one_user(["web", "webdav", "mobile", "sync", "netsync"])
    assert single_day_units(rows, daily_contract()) == 1


def test_daily_active_counts_an_extra_seat_for_a_sixth_method() -> None:
    rows = one_user(["web", "webdav", "mobile", "outlook", "sync", "ftp"])
    assert single_day_units(rows, daily_contract()) == 2


def test_daily_active_counts_an_extra_seat_for_each_method_beyond_five() -> None:
    rows = one_user(["web", "webdav", "mobile", "outlook", "office", "ftp", "api"])
    assert single_day_units(rows, daily_contract()) == 3


def test_daily_active_counts_an_extra_seat_for_a_third_sync_method() -> None:
    contract = daily_contract(sync_methods=("sync", "netsync", "drive"))
    rows = one_user(["sync", "netsync", "drive"])
    assert single_day_units(rows, contract) == 2


def test_daily_active_per_method_overflow_takes_the_larger_excess_not_the_sum() -> None:
    # m = 7 (2 over five), s = 4 (2 over two): 1 + max(0, 2, 2) = 3, not 1 + 2 + 2.
    contract = daily_contract(sync_methods=("s1", "s2", "s3", "s4"))
    rows = one_user(["s1", "s2", "s3", "s4", "web", "webdav", "mobile"])
    assert single_day_units(rows, contract) == 3


def test_daily_active_repeated_method_counts_once() -> None:
    rows = [*one_user(["web", "web", "sync"]), ("2025-01-15 20:00", "alice", "sync")]
    assert single_day_units(rows, daily_contract(max_methods=1)) == 2


def test_daily_active_max_methods_and_max_sync_methods_are_options() -> None:
    rows = one_user(["web", "webdav", "sync"])
    assert single_day_units(rows, daily_contract(max_methods=2)) == 2
    assert single_day_units(rows, daily_contract(max_sync_methods=1)) == 1
    rows = one_user(["sync", "netsync"])
    assert single_day_units(rows, daily_contract(max_sync_methods=1)) == 2


def test_daily_active_counts_methods_alike_beyond_the_64_a_mask_holds() -> None:
    # 70 distinct methods (3 of them sync): 1 + max(0, 70 - 5, 3 - 2) = 66 seats; past 64
    # methods in the input, distinct methods are counted without the bit mask.
    methods = [f"m{number:02d}" for number in range(67)] + ["sync", "netsync", "drive"]
    contract = daily_contract(sync_methods=("sync", "netsync", "drive"))

    def minutes_apart(used: list[str]) -> list[Row]:
        return [
            (f"2025-01-15 10:{minute:02d}", "alice", method) for minute, method in enumerate(used)
        ]

    assert (
        single_day_units(minutes_apart(methods[:60]) + minutes_apart(methods[60:]), contract) == 66
    )
    assert single_day_units(minutes_apart(methods[:60]), contract) == 56
    assert single_day_units(minutes_apart(methods[-9:]), contract) == 5


def test_daily_active_units_are_the_sum_of_seats_of_the_days_users() -> None:
    rows = [
        *one_user(["web"], user="alice"),
        *one_user(["web", "webdav", "mobile", "outlook", "office", "ftp"], user="bob"),
        *one_user(["sync", "netsync", "web"], user="carol"),
    ]
    assert single_day_units(rows, daily_contract()) == 1 + 2 + 1


# --- Block overflow ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        (["web"], 1),
        (["web", "webdav", "mobile", "outlook", "office"], 1),
        (["web", "webdav", "mobile", "outlook", "office", "ftp"], 2),
        ([f"m{index}" for index in range(10)], 2),
        ([f"m{index}" for index in range(11)], 3),
    ],
)
def test_daily_active_block_overflow_counts_ceil_of_methods_over_five(
    methods: list[str], expected: int
) -> None:
    assert single_day_units(one_user(methods), daily_contract(overflow="block")) == expected


@pytest.mark.parametrize(
    ("methods", "expected"),
    [
        (["sync", "netsync"], 1),
        (["sync", "netsync", "drive"], 2),
        (["sync", "netsync", "drive", "box"], 2),
        (["sync", "netsync", "drive", "box", "dropbox"], 3),
    ],
)
def test_daily_active_block_overflow_counts_ceil_of_sync_methods_over_two(
    methods: list[str], expected: int
) -> None:
    contract = daily_contract(
        overflow="block", sync_methods=("sync", "netsync", "drive", "box", "dropbox")
    )
    assert single_day_units(one_user(methods), contract) == expected


def test_daily_active_block_overflow_takes_the_larger_of_the_two_ceilings() -> None:
    # m = 7 → ceil(7/5) = 2; s = 5 → ceil(5/2) = 3: seats = 3 (per-method would give 4).
    contract = daily_contract(overflow="block", sync_methods=("s1", "s2", "s3", "s4", "s5"))
    rows = one_user(["s1", "s2", "s3", "s4", "s5", "web", "webdav"])
    assert single_day_units(rows, contract) == 3
    assert single_day_units(rows, daily_contract(sync_methods=contract.options.sync_methods)) == 4


# --- Who counts ---------------------------------------------------------------------------


def test_daily_active_anonymous_rows_do_not_count() -> None:
    rows: list[Row] = [
        ("2025-01-15 08:00", None, "web"),
        ("2025-01-15 09:00", "guest", "web", True),
        ("2025-01-15 10:00", "visitor@example.com", "web", True),
    ]
    assert single_day_units(rows, daily_contract()) == 0


def test_daily_active_anonymous_rows_do_not_add_methods_to_a_named_user() -> None:
    # An unauthenticated row carrying alice's name (authenticated = false) is a share-link
    # visitor, not alice: its methods are not hers.
    rows: list[Row] = [
        ("2025-01-15 08:00", "alice", "web"),
        *[
            (f"2025-01-15 {9 + index:02d}:00", "alice", method, True)
            for index, method in enumerate(["webdav", "mobile", "outlook", "office", "ftp"])
        ],
    ]
    assert single_day_units(rows, daily_contract()) == 1


def test_daily_active_unknown_is_a_method() -> None:
    assert single_day_units(one_user(["unknown"]), daily_contract()) == 1
    rows = one_user(["web", "webdav", "mobile", "outlook", "office", "unknown"])
    assert single_day_units(rows, daily_contract()) == 2


def test_daily_active_sync_methods_compared_lowercased() -> None:
    # Contract parsing lowercases (and trims) the names; events' methods are lowercased by
    # ingest (SPEC 1.2). "sync" is not among this contract's sync tools.
    parsed = parse_contract_text(
        """
        [[contract]]
        model = "daily-active"
        sync_methods = ["NetSync", " DRIVE ", "Box"]
        """
    )
    contract = parsed.contracts[0]
    assert contract.options.sync_methods == ("netsync", "drive", "box")
    assert single_day_units(one_user(["netsync", "drive", "box"]), contract) == 2
    assert single_day_units(one_user(["netsync", "drive", "sync"]), contract) == 1


# --- Days -----------------------------------------------------------------------------------


def test_daily_active_event_counts_on_local_day_of_its_ts() -> None:
    # 2025-01-14 23:30 UTC is 2025-01-15 00:30 in Paris, but still the 14th in New York.
    rows: list[Row] = [("2025-01-14 23:30", "alice", "web")]
    paris = run(rows, daily_contract(), date(2025, 1, 14), date(2025, 1, 15))
    assert units_by_day(paris) == {"2025-01-14": 0, "2025-01-15": 1}
    new_york = run(rows, daily_contract(timezone=NEW_YORK), date(2025, 1, 14), date(2025, 1, 15))
    assert units_by_day(new_york) == {"2025-01-14": 1, "2025-01-15": 0}


def test_daily_active_user_active_on_two_days_counts_on_each() -> None:
    rows: list[Row] = [("2025-01-15 10:00", "alice", "web"), ("2025-01-16 10:00", "alice", "web")]
    assert units_by_day(run(rows, daily_contract())) == {"2025-01-15": 1, "2025-01-16": 1}


def test_daily_active_methods_are_counted_per_day_not_across_days() -> None:
    # Five methods on the 15th, one more on the 16th: no day has a sixth method.
    rows: list[Row] = [
        *one_user(["web", "webdav", "mobile", "outlook", "office"]),
        ("2025-01-16 10:00", "alice", "ftp"),
    ]
    assert units_by_day(run(rows, daily_contract())) == {"2025-01-15": 1, "2025-01-16": 1}


def test_daily_active_dst_day_has_23_hours() -> None:
    # 2025-03-30 in Paris is [2025-03-29 23:00 UTC, 2025-03-30 22:00 UTC).
    rows: list[Row] = [
        ("2025-03-29 22:59", "before", "web"),  # 23:59 CET on the 29th
        ("2025-03-29 23:30", "early", "web"),  # 00:30 CET on the 30th
        ("2025-03-30 21:30", "late", "web"),  # 23:30 CEST on the 30th
        ("2025-03-30 22:00", "after", "web"),  # 00:00 CEST on the 31st
    ]
    assert units_by_day(run(rows, daily_contract())) == {
        "2025-03-29": 1,
        "2025-03-30": 2,
        "2025-03-31": 1,
    }


def test_daily_active_dst_day_has_25_hours() -> None:
    # 2025-10-26 in Paris is [2025-10-25 22:00 UTC, 2025-10-26 23:00 UTC).
    rows: list[Row] = [
        ("2025-10-25 21:59", "before", "web"),  # 23:59 CEST on the 25th
        ("2025-10-25 22:30", "early", "web"),  # 00:30 CEST on the 26th
        ("2025-10-26 22:30", "late", "web"),  # 23:30 CET on the 26th
        ("2025-10-26 23:00", "after", "web"),  # 00:00 CET on the 27th
    ]
    assert units_by_day(run(rows, daily_contract())) == {
        "2025-10-25": 1,
        "2025-10-26": 2,
        "2025-10-27": 1,
    }


def test_daily_active_dst_day_has_23_hours_in_new_york() -> None:
    # 2025-03-09 in New York is [05:00 UTC, 2025-03-10 04:00 UTC).
    rows: list[Row] = [
        ("2025-03-09 05:30", "early", "web"),  # 00:30 EST
        ("2025-03-10 03:30", "late", "web"),  # 23:30 EDT
        ("2025-03-10 04:00", "after", "web"),  # 00:00 EDT on the 10th
    ]
    contract = daily_contract(timezone=NEW_YORK)
    assert units_by_day(run(rows, contract)) == {"2025-03-09": 2, "2025-03-10": 1}


def test_daily_active_day_without_events_has_zero_units() -> None:
    rows: list[Row] = [
        ("2025-01-13 10:00", "alice", "web"),
        ("2025-01-16 10:00", "bob", "web"),
        ("2025-01-16 11:00", None, "web"),
    ]
    result = run(rows, daily_contract())
    assert units_by_day(result) == {
        "2025-01-13": 1,
        "2025-01-14": 0,
        "2025-01-15": 0,
        "2025-01-16": 1,
    }
    assert result.day_usage.schema == pl.Schema(
        {"scope": pl.String(), "day": pl.Date(), "units": pl.Int64()}
    )


def test_daily_active_day_with_only_anonymous_events_has_zero_units() -> None:
    rows: list[Row] = [("2025-01-15 10:00", None, "web")]
    assert units_by_day(run(rows, daily_contract())) == {"2025-01-15": 0}


def test_daily_active_scope_is_star_without_scope_and_the_product_with_one() -> None:
    rows = one_user(["web"])
    assert run(rows, daily_contract()).day_usage["scope"].to_list() == ["*"]
    scoped = replace(daily_contract(), scope=("default",))
    assert run(rows, scoped).day_usage["scope"].to_list() == ["default"]


# --- Refused users ---------------------------------------------------------------------------


def test_daily_active_refused_users_in_order_of_first_event_ties_by_user() -> None:
    # First events: carol 08:00, alice and bob 09:00 (tie → alice first), dave 10:00.
    # Rows are given out of order and dave's earliest row is listed last.
    rows: list[Row] = [
        ("2025-01-15 12:00", "dave", "web"),
        ("2025-01-15 09:00", "bob", "web"),
        ("2025-01-15 11:00", "carol", "webdav"),
        ("2025-01-15 09:00", "alice", "web"),
        ("2025-01-15 08:00", "carol", "web"),
        ("2025-01-15 10:00", "dave", "mobile"),
    ]
    result = run(rows, daily_contract(capacity=2))
    refused = result.details["refused"]
    assert refused.select("user", "first_event", "seats", "running_total").rows() == [
        ("bob", utc("2025-01-15 09:00"), 1, 3),
        ("dave", utc("2025-01-15 10:00"), 1, 4),
    ]
    assert refused["contract"].to_list() == ["netexplorer", "netexplorer"]
    assert refused["period"].to_list() == ["2025-01-15", "2025-01-15"]
    # Units report every seat, refused ones included.
    assert units_by_day(result) == {"2025-01-15": 4}


def test_daily_active_refused_when_running_total_exceeds_capacity_not_when_it_reaches_it() -> None:
    rows: list[Row] = [("2025-01-15 08:00", "alice", "web"), ("2025-01-15 09:00", "bob", "web")]
    assert refused_users(run(rows, daily_contract(capacity=2))) == []
    assert refused_users(run(rows, daily_contract(capacity=1))) == [("2025-01-15", "bob")]


def test_daily_active_refused_user_adds_all_their_seats() -> None:
    # bob's 7 methods take 3 seats: 1 + 3 = 4 > 3, bob is refused though one seat is left.
    rows = [
        *one_user(["web"], user="alice"),
        ("2025-01-15 09:30", "bob", "web"),
        *[
            (f"2025-01-15 {10 + index:02d}:00", "bob", method)
            for index, method in enumerate(["webdav", "mobile", "outlook", "office", "ftp", "api"])
        ],
    ]
    refused = run(rows, daily_contract(capacity=3)).details["refused"]
    assert refused.select("user", "methods", "sync_methods", "seats", "running_total").rows() == [
        ("bob", 7, 0, 3, 4)
    ]


def test_daily_active_once_one_is_refused_every_later_user_is() -> None:
    # Capacity 3: alice (1 seat, total 1), bob (3 seats, total 4: refused), carol (1 seat,
    # total 5: refused too, although carol alone would still fit after alice).
    rows = [
        ("2025-01-15 08:00", "alice", "web"),
        *[
            (f"2025-01-15 {9 + index:02d}:00", "bob", method)
            for index, method in enumerate(
                ["web", "webdav", "mobile", "outlook", "office", "ftp", "api"]
            )
        ],
        ("2025-01-15 09:30", "carol", "web"),
    ]
    assert refused_users(run(rows, daily_contract(capacity=3))) == [
        ("2025-01-15", "bob"),
        ("2025-01-15", "carol"),
    ]


def test_daily_active_refused_running_total_starts_afresh_each_day() -> None:
    rows: list[Row] = [
        ("2025-01-15 08:00", "alice", "web"),
        ("2025-01-15 09:00", "bob", "web"),
        ("2025-01-16 08:00", "bob", "web"),
        ("2025-01-16 09:00", "alice", "web"),
    ]
    assert refused_users(run(rows, daily_contract(capacity=1))) == [
        ("2025-01-15", "bob"),
        ("2025-01-16", "alice"),
    ]


def test_daily_active_order_of_first_event_is_within_the_local_day() -> None:
    # alice's 23:30 UTC event on the 14th is her first event of the 15th in Paris.
    rows: list[Row] = [
        ("2025-01-15 08:00", "bob", "web"),
        ("2025-01-14 23:30", "alice", "web"),
        ("2025-01-15 09:00", "alice", "web"),
    ]
    assert refused_users(run(rows, daily_contract(capacity=1))) == [("2025-01-15", "bob")]


def test_daily_active_anonymous_rows_are_never_refused() -> None:
    rows: list[Row] = [("2025-01-15 08:00", "alice", "web"), ("2025-01-15 09:00", None, "web")]
    assert refused_users(run(rows, daily_contract(capacity=0))) == [("2025-01-15", "alice")]


def test_daily_active_no_refused_without_capacity() -> None:
    rows = [(f"2025-01-15 {8 + index:02d}:00", f"user{index}", "web") for index in range(10)]
    refused = run(rows, daily_contract(capacity=None)).details["refused"]
    assert refused.is_empty()
    assert refused.columns == [
        "contract",
        "period",
        "user",
        "first_event",
        "methods",
        "sync_methods",
        "seats",
        "running_total",
    ]


# --- Properties: the model against the naive reference ---------------------------------------

# DST switches of 2025, in UTC: Paris spring/autumn, New York spring/autumn.
TRANSITIONS = {
    PARIS: (utc("2025-03-30 01:00"), utc("2025-10-26 01:00")),
    NEW_YORK: (utc("2025-03-09 07:00"), utc("2025-11-02 06:00")),
}
USERS = ("alice", "bob", "carol", "dave", "eve")
METHODS = ("web", "webdav", "mobile", "outlook", "office", "unknown", "sync", "netsync", "drive")
SYNC_CANDIDATES = ("sync", "netsync", "drive", "unknown")


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[list[dict[str, Any]], Contract]:
    timezone = draw(st.sampled_from(sorted(TRANSITIONS)))
    transition = draw(st.sampled_from(TRANSITIONS[timezone]))
    # Any minute within ±40 h of a DST switch, or a whole hour from it give or take 1 µs:
    # the switch and every local midnight nearby are whole hours from it.
    offsets = st.one_of(
        st.integers(min_value=-40 * 60, max_value=40 * 60).map(lambda m: timedelta(minutes=m)),
        st.builds(
            lambda hours, nudge: timedelta(hours=hours, microseconds=nudge),
            st.integers(min_value=-40, max_value=40),
            st.sampled_from((-1, 0, 1)),
        ),
    )
    count = draw(st.integers(min_value=1, max_value=25))
    rows = [
        {
            "ts": transition + draw(offsets),
            "end": None,
            "user": draw(st.sampled_from(USERS)),
            "anonymous": draw(st.booleans()) and draw(st.booleans()),
            "method": draw(st.sampled_from(METHODS)),
            "product": draw(st.sampled_from(("default", "lms"))),
            "session": None,
            "device": None,
        }
        for _ in range(count)
    ]
    contract = daily_contract(
        capacity=draw(st.none() | st.integers(min_value=0, max_value=8)),
        timezone=timezone,
        overflow=draw(st.sampled_from(("per-method", "block"))),
        max_methods=draw(st.integers(min_value=1, max_value=6)),
        max_sync_methods=draw(st.integers(min_value=1, max_value=3)),
        sync_methods=tuple(draw(st.lists(st.sampled_from(SYNC_CANDIDATES), unique=True))),
    )
    return rows, contract


@settings(max_examples=200, deadline=None)
@given(scenarios(), st.sampled_from((0, 64)))
def test_daily_active_matches_the_naive_reference(
    scenario: tuple[list[dict[str, Any]], Contract], mask_bits: int
) -> None:
    rows, contract = scenario
    frame = pl.DataFrame(rows, schema=EVENT_SCHEMA)
    expected = daily_active(rows, contract.timezone, asdict(contract.options), contract.capacity)
    days = sorted(expected.units)
    # Both ways of counting distinct methods: a bit mask, or n_unique past MASK_BITS.
    with patch.object(daily_active_model, "MASK_BITS", mask_bits):
        result = evaluate(frame, contract, build_calendar(days[0], days[-1], contract.timezone))

    assert result.day_usage["scope"].unique().to_list() == ["*"]
    assert dict(result.day_usage.select("day", "units").iter_rows()) == expected.units
    assert result.day_usage["day"].to_list() == days
    refused = result.details["refused"].drop("contract")
    assert [tuple(row) for row in refused.iter_rows()] == [
        (
            item.period,
            item.user,
            item.first_event,
            item.methods,
            item.sync_methods,
            item.seats,
            item.running_total,
        )
        for item in expected.refused
    ]


@settings(max_examples=50, deadline=None)
@given(scenarios())
def test_daily_active_units_do_not_depend_on_row_order(
    scenario: tuple[list[dict[str, Any]], Contract],
) -> None:
    rows, contract = scenario
    frame = pl.DataFrame(rows, schema=EVENT_SCHEMA)
    calendar = build_calendar(*local_span(frame, contract.timezone), contract.timezone)
    forward = evaluate(frame, contract, calendar)
    backward = evaluate(frame.reverse(), contract, calendar)
    assert forward.day_usage.equals(backward.day_usage)
    assert forward.details["refused"].equals(backward.details["refused"])
