"""Identities encoded once (``licaudit.ingest.encode``): a code is the rank of a name among
every name of the events and roster, whichever names the sample that guesses the dictionary
happens to see."""

from __future__ import annotations

from collections.abc import Sequence

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.ingest.encode import SAMPLE_EVERY, encode

NAMES = st.sampled_from(["alice", "bob", "carol", "dave", "eve", "Zed", "", " x "])


def _naive_codes(
    values: list[str | None], roster: list[str | None]
) -> tuple[list[str], list[int | None]]:
    names = sorted({value for value in [*values, *roster] if value is not None})
    return names, [None if value is None else names.index(value) for value in values]


def _events(users: Sequence[str | None]) -> pl.DataFrame:
    return pl.DataFrame(
        {"user": users, "method": ["web"] * len(users), "product": ["p"] * len(users)},
        schema={"user": pl.String, "method": pl.String, "product": pl.String},
    )


def test_a_name_seen_once_between_sampled_rows_gets_its_rank() -> None:
    users = ["bob"] * (3 * SAMPLE_EVERY)
    users[SAMPLE_EVERY + 1] = "alice"  # not a sampled row: the guess misses it
    users[2 * SAMPLE_EVERY + 5] = "zoe"
    encoded = encode(_events(users))
    assert encoded.names.users["name"].to_list() == ["alice", "bob", "zoe"]
    codes = encoded.events["user"].to_list()
    assert codes[SAMPLE_EVERY + 1] == 0
    assert codes[2 * SAMPLE_EVERY + 5] == 2
    assert set(codes) == {0, 1, 2}


def test_roster_names_take_their_rank_among_the_events_names() -> None:
    roster = pl.DataFrame({"user": ["carol", "alice"]})
    encoded = encode(_events(["dave", None, "bob"]), roster)
    assert encoded.names.users["name"].to_list() == ["alice", "bob", "carol", "dave"]
    assert encoded.events["user"].to_list() == [3, None, 1]
    assert encoded.roster is not None
    assert encoded.roster["user"].to_list() == [2, 0]


@settings(max_examples=60, deadline=None)
@given(
    users=st.lists(st.one_of(st.none(), NAMES), max_size=4 * SAMPLE_EVERY),
    roster=st.lists(st.one_of(st.none(), NAMES), max_size=5),
)
def test_codes_are_ranks_among_the_sorted_names_like_a_naive_encoding(
    users: list[str | None], roster: list[str | None]
) -> None:
    roster_frame = pl.DataFrame({"user": roster}, schema={"user": pl.String})
    encoded = encode(_events(users), roster_frame if roster else None)
    names, codes = _naive_codes(users, roster)
    assert encoded.names.users["name"].to_list() == names
    assert encoded.names.users["code"].to_list() == list(range(len(names)))
    assert encoded.events["user"].to_list() == codes
    assert encoded.events.schema["user"] == pl.UInt32
