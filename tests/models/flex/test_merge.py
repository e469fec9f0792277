"""The stretches of several parts are put back in key order before the charges are walked."""

from __future__ import annotations

import polars as pl
from hypothesis import given
from hypothesis import strategies as st

from licaudit.models.flex import in_key_order

rows = st.lists(
    st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 5)), min_size=0, max_size=12
)


@given(rows)
def test_in_key_order_says_whether_stretches_are_sorted_by_user_product_start(
    spans: list[tuple[int, int, int]],
) -> None:
    frame = pl.DataFrame(spans, schema=["user", "product", "start"], orient="row")
    assert in_key_order(frame) == (spans == sorted(spans))
