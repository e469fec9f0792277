"""Who and how: user, anonymous, method, product, session and device of each event (SPEC 1.2).

``user``, ``method`` and ``product`` are trimmed; method and product lowercased (an
empty or missing one takes ``unknown`` / ``default``); user lowercased unless
``case_sensitive_users``. A user that is null, empty, ``-``, ``anonymous`` or ``guest``
(compared trimmed and lowercased), or a row whose ``authenticated`` is
false/0/no/n/f/non (``external`` inverted), is anonymous. ``session`` and ``device``
are kept as written, an empty cell null.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import polars as pl

from licaudit.ingest.columns import ColumnMapping

ANONYMOUS_USERS = ("", "-", "anonymous", "guest")
FALSE_WORDS = ("false", "0", "no", "n", "f", "non")
TRUE_WORDS = ("true", "1", "yes", "y", "t", "oui")


def _words(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars().str.to_lowercase()


IDENTITY_COLUMNS = ("user", "anonymous", "method", "product", "session", "device")


def with_identity(
    frame: pl.DataFrame, mapping: ColumnMapping, case_sensitive_users: bool
) -> pl.LazyFrame:
    """Add the normalized identity columns: user, anonymous, method, product, session, device.

    Built in two steps: the trimmed and lowercased texts are made once into columns,
    then read by name, since Polars evaluates every reference to an expression anew.
    Method, product and the authenticated flag take a handful of distinct values:
    those are normalized once each and mapped back (``_per_distinct``), instead of
    trimming and lowercasing ten million cells.
    """

    def source(name: str) -> pl.Expr:
        match = mapping.chosen.get(name)
        return (
            pl.lit(None, pl.String) if match is None else pl.col(f"c{match.index}").cast(pl.String)
        )

    def label(value: pl.Expr, default: str) -> pl.Expr:
        return pl.when(value.is_null() | (value == "")).then(pl.lit(default)).otherwise(value)

    auth = mapping.chosen.get("authenticated")
    texts = (
        frame.lazy()
        .with_columns(
            __user=source("user").str.strip_chars(),
            method=_per_distinct(
                frame, mapping, "method", lambda value: label(_words(value), "unknown")
            ),
            product=_per_distinct(
                frame, mapping, "product", lambda value: label(_words(value), "default")
            ),
        )
        .with_columns(__folded=pl.col("__user").str.to_lowercase())
    )
    user = pl.col("__user") if case_sensitive_users else pl.col("__folded")
    anonymous = pl.col("__folded").is_null() | pl.col("__folded").is_in(ANONYMOUS_USERS)
    if auth is not None:
        refused_words = TRUE_WORDS if auth.reading == "inverted" else FALSE_WORDS
        anonymous = anonymous | _refused(frame, f"c{auth.index}", refused_words)

    def as_written(name: str) -> pl.Expr:
        value = source(name)
        return pl.when(value == "").then(pl.lit(None, pl.String)).otherwise(value)

    return texts.with_columns(
        user=pl.when(user == "").then(pl.lit(None, pl.String)).otherwise(user),
        anonymous=anonymous,
        session=as_written("session"),
        device=as_written("device"),
    )


def _per_distinct(
    frame: pl.DataFrame,
    mapping: ColumnMapping,
    name: str,
    normalize: Callable[[pl.Expr], pl.Expr],
) -> pl.Expr:
    """``normalize`` of a mapped text column, computed once per distinct value.

    Method and product hold a few distinct values among millions of rows: their
    distinct values are normalized and mapped back, and a column whose values are
    all already normal (the usual export) is kept as it is, without a copy.
    """
    match = mapping.chosen.get(name)
    if match is None:
        return normalize(pl.lit(None, pl.String))
    column = pl.col(f"c{match.index}").cast(pl.String)
    distinct = frame.select(column.unique()).to_series()
    normal = distinct.to_frame().select(normalize(pl.col(distinct.name))).to_series()
    if distinct.null_count() == 0 and bool((distinct == normal).all()):
        return column
    return column.replace_strict(distinct, normal, return_dtype=pl.String)


def _refused(frame: pl.DataFrame, column: str, refused_words: Sequence[str]) -> pl.Expr:
    """Rows whose authenticated value is one of ``refused_words`` (trimmed, case-insensitive).

    Decided once per distinct value (a flag column has two or three), then matched
    on the values as written, instead of trimming and lowercasing every cell.
    """
    value = pl.col(column)
    if frame.schema[column] not in (pl.String(), pl.Boolean()):
        return _words(value).is_in(refused_words).fill_null(False)
    distinct = frame.select(value.unique()).to_series()
    refused = distinct.filter(_words_series(distinct).is_in(refused_words))
    return value.is_in(refused.implode()).fill_null(False)


def _words_series(values: pl.Series) -> pl.Series:
    return values.to_frame().select(_words(pl.col(values.name))).to_series()
