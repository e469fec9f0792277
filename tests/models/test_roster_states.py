"""Roster states (SPEC 1.5): status rows as half-open active spans, snapshots as status events.

Also home to the roster helpers and hypothesis strategies that the `accounts` and
`nominal` tests share.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from typing import Any

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.ingest.encode import CODE
from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.ingest.roster import ROSTER_SCHEMA
from licaudit.models.roster_states import (
    Packing,
    active_spans,
    apply_snapshots,
    key_states,
    merge_spans,
    snapshot_summary,
)
from tests.conftest import utc
from tests.reference import netex_ref

PARIS = "Europe/Paris"
INSTANT = pl.Datetime("us", "UTC")

RosterRow = tuple[str, str, str, bool]
"""(ts in UTC ``YYYY-MM-DD HH:MM``, user, product, active); ``seq`` is the row's position."""


def roster_records(rows: Sequence[RosterRow]) -> list[dict[str, Any]]:
    """The rows as mappings (the references' input), ``seq`` being their position."""
    return [
        {"ts": utc(ts), "user": user, "product": product, "active": active, "seq": seq}
        for seq, (ts, user, product, active) in enumerate(rows)
    ]


def roster_frame(records: Sequence[dict[str, Any]]) -> pl.DataFrame:
    """A roster in the reader's schema (names as text), from mappings."""
    return pl.DataFrame(list(records), schema=ROSTER_SCHEMA)


def roster_of(*rows: RosterRow) -> pl.DataFrame:
    return roster_frame(roster_records(rows))


def event_frame(
    instants: Sequence[datetime], products: Sequence[str] = ("default",)
) -> pl.DataFrame:
    """One access event at each instant for each product: they only set the report range."""
    records = [
        {
            "ts": ts,
            "end": None,
            "user": "visitor",
            "anonymous": False,
            "method": "web",
            "product": product,
            "session": None,
            "device": None,
        }
        for ts in instants
        for product in products
    ]
    return pl.DataFrame(records, schema=EVENT_SCHEMA)


def day_list(first: date, last: date) -> list[date]:
    return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]


# --- hypothesis: small rosters on a coarse grid around local midnights and DST switches ----

# Each base is 20:00 UTC on the eve of a first local day: a plain winter day, the
# 23-hour day (2025-03-30) and the 25-hour day (2025-10-26) of Paris. The grid runs
# 54 hours from there, across three local midnights; few instants, so ties abound.
BASES = (utc("2025-01-14 20:00"), utc("2025-03-29 20:00"), utc("2025-10-25 20:00"))
STEP = timedelta(hours=1)
STEPS = 54
USERS = ("ann", "bob", "cat", "dan")
PRODUCTS = ("crm", "hr", "lms")


@st.composite
def rosters(draw: st.DrawFn, max_rows: int = 16) -> tuple[date, list[dict[str, Any]]]:
    """The base's first local day, and roster rows (mappings) on its grid."""
    base = draw(st.sampled_from(BASES))
    instants = draw(st.lists(st.integers(0, STEPS), min_size=1, max_size=4, unique=True))
    rows = draw(
        st.lists(
            st.tuples(
                st.sampled_from(instants),
                st.sampled_from(USERS),
                st.sampled_from(PRODUCTS),
                st.booleans(),
            ),
            max_size=max_rows,
        )
    )
    records = [
        {"ts": base + step * STEP, "user": user, "product": product, "active": active, "seq": seq}
        for seq, (step, user, product, active) in enumerate(rows)
    ]
    return (base + timedelta(hours=6)).date(), records


scopes = st.one_of(
    st.none(),
    st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=3, unique=True).map(
        lambda products: tuple(sorted(products))
    ),
)
"""No scope, or a scope list of one to three products (some may have no roster row)."""


# --- helpers of this module ------------------------------------------------------------------


def spans_of(roster: pl.DataFrame) -> list[tuple[str, str, datetime, datetime | None]]:
    return list(active_spans(roster).iter_rows())


def state_rows(frame: pl.DataFrame) -> list[tuple[datetime, str, str, bool]]:
    return list(frame.select("ts", "user", "product", "active").iter_rows())


def active_at(spans: pl.DataFrame, instant: datetime) -> set[tuple[str, str]]:
    """The (user, product) keys whose span holds ``instant``."""
    return {
        (user, product)
        for user, product, start, end in spans.iter_rows()
        if start <= instant and (end is None or instant < end)
    }


# --- Status events as half-open spans ---------------------------------------------------------


def test_roster_state_holds_from_its_row_until_the_keys_next_row() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 09:00", "bob", "lms", False),  # another key: does not end alice's state
        ("2025-01-17 08:00", "alice", "lms", False),
    )
    assert spans_of(roster) == [("alice", "lms", utc("2025-01-15 08:00"), utc("2025-01-17 08:00"))]


def test_roster_key_is_inactive_before_its_first_row() -> None:
    roster = roster_of(
        ("2025-01-14 08:00", "alice", "lms", False),
        ("2025-01-15 08:00", "alice", "lms", True),
    )
    assert spans_of(roster) == [("alice", "lms", utc("2025-01-15 08:00"), None)]
    assert spans_of(roster_of(("2025-01-14 08:00", "bob", "lms", False))) == []


def test_roster_last_state_holds_to_the_end_with_a_null_end() -> None:
    roster = roster_of(("2025-01-15 08:00", "alice", "lms", True))
    assert spans_of(roster) == [("alice", "lms", utc("2025-01-15 08:00"), None)]


def test_roster_state_is_per_user_and_product() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 10:00", "alice", "crm", False),
    )
    assert spans_of(roster) == [
        ("alice", "crm", utc("2025-01-15 08:00"), utc("2025-01-15 10:00")),
        ("alice", "lms", utc("2025-01-15 08:00"), None),
    ]


def test_roster_rows_with_one_ts_for_one_key_apply_in_file_order_the_last_wins() -> None:
    # seq is the file order, whatever the order of the frame's rows.
    records = roster_records(
        [
            ("2025-01-15 08:00", "alice", "lms", True),
            ("2025-01-15 08:00", "alice", "lms", False),
            ("2025-01-15 08:00", "bob", "lms", False),
            ("2025-01-15 08:00", "bob", "lms", True),
        ]
    )
    roster = roster_frame(records[::-1])
    assert spans_of(roster) == [("bob", "lms", utc("2025-01-15 08:00"), None)]


def test_roster_repeated_active_rows_do_not_cut_a_span() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-16 08:00", "alice", "lms", True),
        ("2025-01-17 08:00", "alice", "lms", False),
        ("2025-01-18 08:00", "alice", "lms", False),
    )
    assert spans_of(roster) == [("alice", "lms", utc("2025-01-15 08:00"), utc("2025-01-17 08:00"))]


def test_roster_deactivated_then_reactivated_key_has_two_spans() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 09:00", "alice", "lms", False),
        ("2025-01-15 11:00", "alice", "lms", True),
    )
    assert spans_of(roster) == [
        ("alice", "lms", utc("2025-01-15 08:00"), utc("2025-01-15 09:00")),
        ("alice", "lms", utc("2025-01-15 11:00"), None),
    ]


def test_roster_spans_keep_coded_identities() -> None:
    roster = roster_of(("2025-01-15 08:00", "alice", "lms", True)).with_columns(
        user=pl.lit(3, CODE), product=pl.lit(1, CODE)
    )
    spans = active_spans(roster)
    assert spans.schema == pl.Schema(
        {"user": CODE, "product": CODE, "start": INSTANT, "end": INSTANT}
    )
    assert active_spans(roster.clear()).height == 0


# --- One account over several products --------------------------------------------------------


def spans_frame(*spans: tuple[str, str, str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "user": [user for user, _, _ in spans],
            "start": [utc(start) for _, start, _ in spans],
            "end": [None if end is None else utc(end) for _, _, end in spans],
        },
        schema={"user": pl.String(), "start": INSTANT, "end": INSTANT},
    )


def test_merged_spans_of_one_user_join_when_touching_or_overlapping() -> None:
    spans = spans_frame(
        ("alice", "2025-01-15 08:00", "2025-01-15 10:00"),
        ("alice", "2025-01-15 10:00", "2025-01-15 12:00"),  # touches the first
        ("alice", "2025-01-15 09:00", "2025-01-15 09:30"),  # inside the first
        ("alice", "2025-01-15 13:00", "2025-01-15 14:00"),  # after a gap
        ("bob", "2025-01-15 09:00", "2025-01-15 11:00"),  # another user
    )
    assert list(merge_spans(spans, "user").iter_rows()) == [
        ("alice", utc("2025-01-15 08:00"), utc("2025-01-15 12:00")),
        ("alice", utc("2025-01-15 13:00"), utc("2025-01-15 14:00")),
        ("bob", utc("2025-01-15 09:00"), utc("2025-01-15 11:00")),
    ]


def test_merged_span_that_never_ends_absorbs_the_later_spans_of_its_user() -> None:
    spans = spans_frame(
        ("alice", "2025-01-15 10:00", "2025-01-15 12:00"),
        ("alice", "2025-01-15 08:00", None),
        ("alice", "2025-01-16 08:00", "2025-01-16 09:00"),
    )
    assert list(merge_spans(spans, "user").iter_rows()) == [
        ("alice", utc("2025-01-15 08:00"), None)
    ]


# --- Snapshots (SPEC 1.5) ----------------------------------------------------------------------


def test_snapshot_absence_is_inactive_from_that_snapshot() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 08:00", "bob", "lms", True),
        ("2025-01-16 08:00", "alice", "lms", True),
    )
    events = apply_snapshots(roster)
    assert state_rows(events) == [
        (utc("2025-01-15 08:00"), "alice", "lms", True),
        (utc("2025-01-15 08:00"), "bob", "lms", True),
        (utc("2025-01-16 08:00"), "alice", "lms", True),
        (utc("2025-01-16 08:00"), "bob", "lms", False),
    ]
    # The added row carries the seq of the snapshot's first row.
    assert events["seq"].to_list() == [0, 1, 2, 2]
    assert spans_of(events) == [
        ("alice", "lms", utc("2025-01-15 08:00"), None),
        ("bob", "lms", utc("2025-01-15 08:00"), utc("2025-01-16 08:00")),
    ]


def test_snapshot_listed_status_applies_at_its_ts() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-16 08:00", "alice", "lms", False),
        ("2025-01-16 08:00", "bob", "lms", True),
    )
    assert state_rows(apply_snapshots(roster)) == state_rows(roster)


def test_snapshot_absence_of_an_inactive_account_adds_nothing() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", False),
        ("2025-01-16 08:00", "bob", "lms", True),
    )
    assert state_rows(apply_snapshots(roster)) == state_rows(roster)


def test_snapshot_absence_deactivates_once_not_at_every_later_snapshot() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-16 08:00", "bob", "lms", True),
        ("2025-01-17 08:00", "bob", "lms", True),
        ("2025-01-18 08:00", "alice", "lms", True),
    )
    events = apply_snapshots(roster)
    added = events.join(roster, on=["ts", "user", "product"], how="anti")
    # alice leaves at the 16th's snapshot only (already inactive at the 17th's); bob at the 18th's.
    assert state_rows(added) == [
        (utc("2025-01-16 08:00"), "alice", "lms", False),
        (utc("2025-01-18 08:00"), "bob", "lms", False),
    ]
    assert spans_of(events) == [
        ("alice", "lms", utc("2025-01-15 08:00"), utc("2025-01-16 08:00")),
        ("alice", "lms", utc("2025-01-18 08:00"), None),
        ("bob", "lms", utc("2025-01-16 08:00"), utc("2025-01-18 08:00")),
    ]


def test_snapshot_lists_every_product_so_another_products_snapshot_deactivates() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 08:00", "bob", "crm", True),
        ("2025-01-16 08:00", "bob", "crm", True),
    )
    events = apply_snapshots(roster)
    assert active_at(active_spans(events), utc("2025-01-16 09:00")) == {("bob", "crm")}


def test_snapshot_account_listed_twice_takes_the_last_in_file_order() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 08:00", "alice", "lms", False),
        ("2025-01-16 08:00", "bob", "lms", True),
    )
    events = apply_snapshots(roster)
    # alice ends inactive at 08:00 on the 15th: nothing to deactivate on the 16th.
    assert state_rows(events) == state_rows(roster)
    assert spans_of(events) == [("bob", "lms", utc("2025-01-16 08:00"), None)]


def test_last_snapshot_holds_to_the_end_of_the_range() -> None:
    roster = roster_of(("2025-01-15 08:00", "alice", "lms", True))
    assert spans_of(apply_snapshots(roster)) == [("alice", "lms", utc("2025-01-15 08:00"), None)]


def test_snapshots_keep_the_input_schema_coded_or_not() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-16 08:00", "bob", "lms", True),
    )
    assert apply_snapshots(roster).schema == roster.schema
    coded = roster.with_columns(
        user=pl.Series([0, 1], dtype=CODE), product=pl.Series([0, 0], dtype=CODE)
    )
    events = apply_snapshots(coded)
    assert events.schema == coded.schema
    assert events.select("user", "active").rows() == [(0, True), (1, True), (0, False)]
    assert apply_snapshots(roster.clear()).schema == roster.schema


def test_snapshot_summary_counts_rows_and_accounts_of_each_snapshot() -> None:
    roster = roster_of(
        ("2025-01-15 08:00", "alice", "lms", True),
        ("2025-01-15 08:00", "alice", "crm", True),
        ("2025-01-15 08:00", "bob", "lms", False),
        ("2025-01-16 08:00", "bob", "lms", True),
    )
    assert snapshot_summary(roster).rows() == [
        (utc("2025-01-15 08:00"), 3, 1),
        (utc("2025-01-16 08:00"), 1, 1),
    ]


def test_packed_sort_gives_the_states_of_the_plain_sort_at_extreme_values() -> None:
    # Coded identities sort through one packed Int128; text ones through a plain sort.
    # Codes near 2**31, instants 1990..2099 and a large seq fill 118 of its bits.
    users = [2**31 - 1, 0, 2**31 - 1, 5, 0, 2**31 - 1]
    products = [7, 0, 7, 3, 0, 7]
    instants = [
        utc("2099-12-31 23:59:59.999999"),
        utc("1990-01-01 00:00"),
        utc("2099-12-31 23:59:59.999999"),
        utc("2050-06-01 12:00"),
        utc("1990-01-01 00:00"),
        utc("1990-01-01 00:00:00.000001"),
    ]
    coded = pl.DataFrame(
        {
            "ts": pl.Series(instants, dtype=INSTANT),
            "user": pl.Series(users, dtype=CODE),
            "product": pl.Series(products, dtype=CODE),
            "active": [True, True, False, True, False, True],
            "seq": [2**30, 3, 2**30 - 1, 0, 2, 2**29],
        }
    )
    assert Packing.of(coded) is not None
    as_text = coded.with_columns(pl.col("user", "product").cast(pl.String).str.zfill(10))
    assert Packing.of(as_text) is None
    packed = key_states(coded).collect()
    plain = key_states(as_text).collect().with_columns(pl.col("user", "product").cast(CODE))
    assert packed.rows() == plain.rows()
    assert packed.rows() == [
        (0, 0, utc("1990-01-01 00:00"), True),
        (5, 3, utc("2050-06-01 12:00"), True),
        (2**31 - 1, 7, utc("1990-01-01 00:00:00.000001"), True),
        (2**31 - 1, 7, utc("2099-12-31 23:59:59.999999"), True),
    ]


# --- Properties against the naive reference ----------------------------------------------------


def probes(records: Sequence[dict[str, Any]]) -> list[datetime]:
    """Every roster instant, and one just before and just after each."""
    instants = {record["ts"] for record in records}
    near = timedelta(minutes=1)
    return sorted({t + delta for t in instants for delta in (-near, timedelta(0), near)})


def check_states(roster: pl.DataFrame, records: list[dict[str, Any]], mode: str) -> None:
    """The states read from ``roster``, named or coded, are the reference's at every probe."""
    changes = netex_ref.roster_changes(records, mode)

    def read(frame: pl.DataFrame) -> pl.DataFrame:
        return active_spans(apply_snapshots(frame) if mode == "snapshot" else frame)

    # Coded as the models get it: codes in the order of the names.
    names = {column: roster[column].unique().sort() for column in ("user", "product")}
    coded = roster.with_columns(
        pl.col(column).replace_strict(
            values, pl.int_range(values.len(), eager=True), return_dtype=CODE
        )
        for column, values in names.items()
    )
    decoded = read(coded).with_columns(
        pl.col(column).replace_strict(pl.int_range(values.len(), eager=True), values)
        for column, values in names.items()
    )
    for spans in (read(roster), decoded):
        for instant in probes(records):
            expected = {key for key, steps in changes.items() if netex_ref.state_at(steps, instant)}
            assert active_at(spans, instant) == expected, instant


@settings(max_examples=150)
@given(rosters())
def test_active_spans_match_the_reference_states(case: tuple[date, list[dict[str, Any]]]) -> None:
    _, records = case
    check_states(roster_frame(records), records, "events")


@settings(max_examples=150)
@given(rosters(), st.randoms(use_true_random=False))
def test_snapshots_read_as_events_match_the_reference_snapshot_states(
    case: tuple[date, list[dict[str, Any]]], shuffler: Any
) -> None:
    _, records = case
    shuffled = list(records)
    shuffler.shuffle(shuffled)  # frame order is not file order: seq is
    check_states(roster_frame(shuffled), records, "snapshot")
