"""Identity normalization decided per distinct value (``licaudit.ingest.identity``) gives,
row by row, what the rules of SPEC 1.2 give applied to each cell: trimmed, lowercased
(users unless case-sensitive), empty user null, anonymous users and refused flags."""

from __future__ import annotations

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st

from licaudit.ingest.columns import map_columns
from licaudit.ingest.identity import (
    ANONYMOUS_USERS,
    FALSE_WORDS,
    IDENTITY_COLUMNS,
    with_identity,
)

TEXTS = st.sampled_from(
    ["Alice", " bob ", "bob", "CAROL", "", "  ", "-", " Anonymous ", "guest", "ǅemo", "\tx\n"]
)
FLAGS = st.sampled_from(["true", "False", " no ", "0", "1", "", "maybe", "NON"])
COLUMNS = ["ts", "user", "method", "product", "session", "device", "authenticated"]


def _cell_by_cell(frame: pl.DataFrame, case_sensitive_users: bool) -> pl.DataFrame:
    """The rules applied to every cell, as a reference."""

    def words(name: str) -> pl.Expr:
        return pl.col(name).str.strip_chars().str.to_lowercase()

    def label(value: pl.Expr, default: str) -> pl.Expr:
        return pl.when(value.is_null() | (value == "")).then(pl.lit(default)).otherwise(value)

    user = pl.col("c1").str.strip_chars()
    user = user if case_sensitive_users else user.str.to_lowercase()
    folded = words("c1")
    refused = words("c6").is_in(FALSE_WORDS).fill_null(False)
    return frame.select(
        user=pl.when(user == "").then(pl.lit(None, pl.String)).otherwise(user),
        anonymous=folded.is_null() | folded.is_in(ANONYMOUS_USERS) | refused,
        method=label(words("c2"), "unknown"),
        product=label(words("c3"), "default"),
        session=pl.when(pl.col("c4") == "").then(None).otherwise(pl.col("c4")),
        device=pl.when(pl.col("c5") == "").then(None).otherwise(pl.col("c5")),
    )


@settings(max_examples=80, deadline=None)
@given(
    rows=st.lists(
        st.tuples(*[st.one_of(st.none(), TEXTS)] * 6, st.one_of(st.none(), FLAGS)),
        max_size=40,
    ),
    case_sensitive_users=st.booleans(),
)
def test_per_distinct_normalization_equals_the_rules_cell_by_cell(
    rows: list[tuple[str | None, ...]], case_sensitive_users: bool
) -> None:
    frame = pl.DataFrame(
        rows, schema={f"c{index}": pl.String for index in range(len(COLUMNS))}, orient="row"
    )
    identity = with_identity(frame, map_columns(COLUMNS, {}), case_sensitive_users)
    found = identity.select(IDENTITY_COLUMNS).collect()
    assert found.to_dicts() == _cell_by_cell(frame, case_sensitive_users).to_dicts()


def test_users_already_normal_keep_their_values_and_the_anonymous_rule() -> None:
    frame = pl.DataFrame({"c0": ["2025-03-10"] * 3, "c1": ["alice", "anonymous", None]})
    identity = with_identity(frame, map_columns(["ts", "user"], {}), False).collect()
    assert identity["user"].to_list() == ["alice", "anonymous", None]
    assert identity["anonymous"].to_list() == [False, True, True]
