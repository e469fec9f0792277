"""Who and how: user, anonymous, method, product, session and device of each event (SPEC 1.2).

``user``, ``method`` and ``product`` are trimmed; method and product lowercased (an
empty or missing one takes ``unknown`` / ``default``); user lowercased unless
``case_sensitive_users``. A user that is null, empty, ``-``, ``anonymous`` or ``guest``
(compared trimmed and lowercased), or a row whose ``authenticated`` is
false/0/no/n/f/non (``external`` inverted), is anonymous. ``session`` and ``device``
are kept as written, an empty cell null.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import polars as pl

from licaudit.ingest.columns import ColumnMapping

ANONYMOUS_USERS = ("", "-", "anonymous", "guest")
FALSE_WORDS = ("false", "0", "no", "n", "f", "non")
TRUE_WORDS = ("true", "1", "yes", "y", "t", "oui")


def _words(expr: pl.Expr) -> pl.Expr:
    return expr.cast(pl.String).str.strip_chars().str.to_lowercase()


MISSING_LABELS = {"method": "unknown", "product": "default"}
"""What an empty or missing method or product is called."""


def normal_form(name: str, value: pl.Expr, case_sensitive_users: bool) -> pl.Expr:
    """What the rules make of a ``user``, ``method`` or ``product`` as written."""
    if name == "user":
        kept = value.cast(pl.String).str.strip_chars() if case_sensitive_users else _words(value)
        return pl.when(kept == "").then(pl.lit(None, pl.String)).otherwise(kept)
    words = _words(value)
    missing = words.is_null() | (words == "")
    return pl.when(missing).then(pl.lit(MISSING_LABELS[name])).otherwise(words)


def normal_values(name: str, values: pl.Series, case_sensitive_users: bool) -> pl.Series:
    """``normal_form`` of each of ``values`` (a null as written is a missing one)."""
    return values.to_frame().select(normal_form(name, pl.first(), case_sensitive_users)).to_series()


IDENTITY_COLUMNS = ("user", "anonymous", "method", "product", "session", "device")
DISTINCT_COLUMNS = ("user", "method", "product")
"""The columns whose rules are decided on their distinct values."""


def with_identity(
    frame: pl.DataFrame,
    mapping: ColumnMapping,
    case_sensitive_users: bool,
    known: Mapping[str, pl.Series] | None = None,
) -> pl.LazyFrame:
    """Add the normalized identity columns: user, anonymous, method, product, session, device.

    Every text here takes few distinct values among millions of rows (thousands of
    users, a handful of methods): each is normalized once per distinct value and
    mapped back, and a column whose values are all already normal (the usual
    export) is kept as it is, without a copy. Trimming and lowercasing ten million
    users cost three times their ``unique``, and held a second copy of the column.
    ``known``: distinct values of text columns already found (by the NUL screen), by
    internal name, in order of first sight.
    """
    columns = {name: f"c{match.index}" for name, match in mapping.chosen.items()}
    distinct, has_empty = _facts(frame, columns, known or {})

    user, anonymous = _users(columns.get("user"), distinct.get("user"), case_sensitive_users)
    auth = mapping.chosen.get("authenticated")
    if auth is not None:
        refused_words = TRUE_WORDS if auth.reading == "inverted" else FALSE_WORDS
        anonymous = anonymous | _refused(
            f"c{auth.index}", distinct.get("authenticated"), refused_words
        )

    def as_written(name: str) -> pl.Expr:
        if name not in columns:
            return pl.lit(None, pl.String)
        value = pl.col(columns[name]).cast(pl.String)
        if has_empty.get(name, True):
            return pl.when(value == "").then(pl.lit(None, pl.String)).otherwise(value)
        return value  # no empty cell (the usual export): the column as it is, without a copy

    return frame.lazy().with_columns(
        user=user,
        anonymous=anonymous,
        method=_per_distinct(
            columns.get("method"),
            distinct.get("method"),
            lambda value: normal_form("method", value, case_sensitive_users),
        ),
        product=_per_distinct(
            columns.get("product"),
            distinct.get("product"),
            lambda value: normal_form("product", value, case_sensitive_users),
        ),
        session=as_written("session"),
        device=as_written("device"),
    )


def _facts(
    frame: pl.DataFrame, columns: dict[str, str], known: Mapping[str, pl.Series]
) -> tuple[dict[str, pl.Series], dict[str, bool]]:
    """What the rules are decided on, found in one query (its parts run in parallel).

    The distinct values of user, method and product (as text; taken from ``known`` when
    there) and of a text or boolean authenticated flag; whether a text session or device
    has an empty cell.
    """
    schema = frame.schema
    found: dict[str, pl.Expr] = {}
    reused: dict[str, pl.Series] = {}
    # In order of first sight: half the time of an unordered unique in polars 2.1 (0.18
    # against 0.35 s on 9 M users), and no rule here depends on the order.
    for name in DISTINCT_COLUMNS:
        if name in columns and columns[name] in known:
            reused[name] = known[columns[name]]
        elif name in columns:
            found[name] = (
                pl.col(columns[name]).cast(pl.String).unique(maintain_order=True).implode()
            )
    flag = columns.get("authenticated")
    if flag is not None and schema[flag] in (pl.String(), pl.Boolean()):
        found["authenticated"] = pl.col(flag).unique(maintain_order=True).implode()
    empties = [
        name for name in ("session", "device") if schema.get(columns.get(name, "")) == pl.String()
    ]
    for name in empties:
        found[f"{name}_empty"] = (pl.col(columns[name]).str.len_bytes() == 0).any()
    if not found:
        return reused, {}
    facts = frame.select(**found)
    distinct = reused | {
        name: facts.get_column(name).item() for name in found if not name.endswith("_empty")
    }
    has_empty = {name: bool(facts.get_column(f"{name}_empty").item()) for name in empties}
    return distinct, has_empty


def _users(
    column_name: str | None, distinct: pl.Series | None, case_sensitive_users: bool
) -> tuple[pl.Expr, pl.Expr]:
    """The normalized ``user`` and the anonymous rule on it, decided per distinct user.

    A user is trimmed, lowercased unless ``case_sensitive_users``, and null when
    empty; it is anonymous when null or, trimmed and lowercased, one of
    ``ANONYMOUS_USERS``. Both are computed on the distinct values only; the rows
    are then matched against the few anonymous spellings, and the column is kept
    as it is when every distinct value is already normal.
    """
    if column_name is None or distinct is None:
        return pl.lit(None, pl.String), pl.lit(True)
    column = pl.col(column_name).cast(pl.String)
    distinct = distinct.drop_nulls()
    folded = _words_series(distinct)
    normal_users = normal_values("user", distinct, case_sensitive_users)
    anonymous_spellings = distinct.filter(folded.is_in(ANONYMOUS_USERS))
    anonymous = column.is_null()
    if anonymous_spellings.len():
        anonymous = anonymous | column.is_in(anonymous_spellings.implode()).fill_null(False)
    if bool((distinct == normal_users).fill_null(False).all()):
        return column, anonymous
    return column.replace_strict(distinct, normal_users, return_dtype=pl.String), anonymous


def _per_distinct(
    column_name: str | None,
    distinct: pl.Series | None,
    normalize: Callable[[pl.Expr], pl.Expr],
) -> pl.Expr:
    """``normalize`` of a mapped text column, computed once per distinct value.

    Method and product hold a few distinct values among millions of rows: their
    distinct values are normalized and mapped back, and a column whose values are
    all already normal (the usual export) is kept as it is, without a copy.
    """
    if column_name is None or distinct is None:
        return normalize(pl.lit(None, pl.String))
    column = pl.col(column_name).cast(pl.String)
    normal = distinct.to_frame("value").select(normalize(pl.col("value"))).to_series()
    if distinct.null_count() == 0 and bool((distinct == normal).all()):
        return column
    return column.replace_strict(distinct, normal, return_dtype=pl.String)


def _refused(column: str, distinct: pl.Series | None, refused_words: Sequence[str]) -> pl.Expr:
    """Rows whose authenticated value is one of ``refused_words`` (trimmed, case-insensitive).

    Decided once per distinct value of a text or boolean flag (it has two or
    three), then matched on the values as written, instead of trimming and
    lowercasing every cell; ``distinct`` is None for other types.
    """
    value = pl.col(column)
    if distinct is None:
        return _words(value).is_in(refused_words).fill_null(False)
    refused = distinct.filter(_words_series(distinct).is_in(refused_words))
    return value.is_in(refused.implode()).fill_null(False)


def _words_series(values: pl.Series) -> pl.Series:
    return values.to_frame("value").select(_words(pl.col("value"))).to_series()
