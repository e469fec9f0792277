"""The stretches of several parts are walked as they come when each key's are one block."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from licaudit.models.flex import keys_in_blocks

rows = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 5)), min_size=0, max_size=12
)


def naive_keys_in_blocks(spans: list[tuple[int, int, int]]) -> bool:
    """Each (user, product) seen in one run of rows, its starts never going down."""
    seen: set[tuple[int, int]] = set()
    previous: tuple[int, int, int] | None = None
    for user, product, start in spans:
        key = (user, product)
        if previous is not None and key == previous[:2]:
            if start < previous[2]:
                return False
        elif key in seen:
            return False
        seen.add(key)
        previous = (user, product, start)
    return True


@given(rows)
def test_keys_in_blocks_says_whether_each_key_is_one_run_of_rows_by_start(
    spans: list[tuple[int, int, int]],
) -> None:
    frame = pl.DataFrame(spans, schema=["user", "product", "start"], orient="row")
    assert keys_in_blocks(frame) == naive_keys_in_blocks(spans)


@given(rows, st.integers(1, 4))
def test_sorted_parts_one_after_another_are_keys_in_blocks(
    spans: list[tuple[int, int, int]], parts: int
) -> None:
    frame = pl.DataFrame(spans, schema=["user", "product", "start"], orient="row")
    cut = [
        frame.filter(pl.col("user") % parts == part).sort(frame.columns) for part in range(parts)
    ]
    assert keys_in_blocks(pl.concat(cut))
