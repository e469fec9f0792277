"""The roster: which accounts are marked active, and since when (SPEC 1.5).

Rows ``ts, user, status[, product]``. A status reads as active
(active/activated/enabled/true/1/yes/oui) or inactive
(inactive/deactivated/disabled/deleted/false/0/no/non); any other status, and a
bad ``ts``, rejects the row, counted apart from the events
(``roster_rows_read = used + rejected``). A user's state holds from its row's
``ts`` until that user's next row for that product; rows with the same ``ts``
apply in file order, so ``seq`` keeps that order.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import polars as pl

from licaudit.errors import DataError
from licaudit.ingest.columns import ALIASES, fold
from licaudit.ingest.events import IngestOptions, parse_into
from licaudit.ingest.identity import ANONYMOUS_USERS
from licaudit.ingest.readers import ROW, read_table
from licaudit.ingest.timeparse import decide_date_order

ACTIVE_WORDS = ("active", "activated", "enabled", "true", "1", "yes", "oui")
INACTIVE_WORDS = ("inactive", "deactivated", "disabled", "deleted", "false", "0", "no", "non")
STATUS_ALIASES = ("status", "state", "account_status", "active", "enabled")

RosterMode = Literal["events", "snapshot"]
"""``events``: each row is a change of status; ``snapshot``: the rows of one ``ts`` list
every account at that instant (SPEC 1.5, "Snapshots")."""

ROSTER_SCHEMA: dict[str, pl.DataType] = {
    "ts": pl.Datetime("us", "UTC"),
    "user": pl.String(),
    "product": pl.String(),
    "active": pl.Boolean(),
    "seq": pl.Int64(),
}


@dataclass
class Roster:
    """Account states in file order, and the roster's own reconciliation."""

    path: Path
    states: pl.DataFrame
    rejects: pl.DataFrame
    mode: RosterMode = "events"

    @property
    def rows_used(self) -> int:
        return self.states.height

    @property
    def rows_rejected(self) -> int:
        return self.rejects.height

    @property
    def rows_read(self) -> int:
        return self.rows_used + self.rows_rejected


def _find(columns: list[str], aliases: tuple[str, ...]) -> str | None:
    folded = [fold(name) for name in columns]
    for alias in aliases:
        if fold(alias) in folded:
            return f"c{folded.index(fold(alias))}"
    return None


def read_roster(path: Path, options: IngestOptions, mode: RosterMode = "events") -> Roster:
    """Read a roster file; one without a ts, user or status column is a DataError.

    In snapshot mode ``status`` is optional and defaults to active (SPEC 1.5): without
    the column every listed account is active, and an empty status cell reads as active.
    """
    table = read_table(path, options.encoding)
    frame = table.frame.collect()
    columns = table.columns
    ts_col = _find(columns, tuple(alias for alias, _ in ALIASES["ts"]))
    user_col = _find(columns, tuple(alias for alias, _ in ALIASES["user"]))
    status_col = _find(columns, STATUS_ALIASES)
    product_col = _find(columns, tuple(alias for alias, _ in ALIASES["product"]))
    missing = [
        name
        for name, col in (("ts", ts_col), ("user", user_col), ("status", status_col))
        if col is None and not (name == "status" and mode == "snapshot")
    ]
    if missing:
        raise DataError(
            f"Roster {path} has no {', '.join(missing)} column "
            f"(columns: {', '.join(columns) or 'none'}).",
            "a roster has columns ts, user, status and optionally product.",
        )
    assert ts_col is not None and user_col is not None
    dtype = frame.schema[ts_col]
    order = options.date_order or (
        decide_date_order(frame.get_column(ts_col)) if dtype == pl.String else "dmy"
    )
    # Parsed once into columns: Polars evaluates every reference to a parse expression anew.
    frame = parse_into(frame, "__ts", pl.col(ts_col), dtype, options.input_timezone, order)
    ts, problem = pl.col("__ts"), pl.col("__ts_problem")
    status = (
        pl.col(status_col).cast(pl.String).str.strip_chars().str.to_lowercase()
        if status_col is not None
        else pl.lit(None, pl.String)
    )
    if mode == "snapshot":
        # Being listed in a snapshot is being there: no status means active.
        status = pl.when(status.is_null() | (status == "")).then(pl.lit("active")).otherwise(status)
    user = pl.col(user_col).cast(pl.String).str.strip_chars()
    # Normalized as the events' users (SPEC 1.5 -> 1.2): a null, empty, `-`, `anonymous`
    # or `guest` user is anonymous, an account of no one. Such a row is used (it still
    # marks its snapshot's instant) with a null user, which no roster model counts.
    anonymous = user.is_null() | user.str.to_lowercase().is_in(ANONYMOUS_USERS)
    if not options.case_sensitive_users:
        user = user.str.to_lowercase()
    user = pl.when(anonymous).then(pl.lit(None, pl.String)).otherwise(user)
    product = (
        pl.col(product_col).cast(pl.String).str.strip_chars().str.to_lowercase()
        if product_col
        else pl.lit(None, pl.String)
    )
    reason = (
        pl.when(problem == "missing").then(pl.lit("missing_ts"))
        .when(problem == "unparseable").then(pl.lit("unparseable_ts"))
        .when(problem == "out_of_range").then(pl.lit("out_of_range"))
        .when(~status.is_in(ACTIVE_WORDS + INACTIVE_WORDS).fill_null(False))
        .then(pl.lit("unknown_status"))
    )  # fmt: skip
    parsed = frame.select(
        pl.col(ROW),
        reason.alias("reason"),
        ts.alias("ts"),
        user.alias("user"),
        pl.when(product.is_null() | (product == ""))
        .then(pl.lit("default"))
        .otherwise(product)
        .alias("product"),
        status.is_in(ACTIVE_WORDS).alias("active"),
    )
    states = parsed.filter(pl.col("reason").is_null()).select(
        "ts", "user", "product", "active", seq=pl.col(ROW)
    )
    rejected = parsed.filter(pl.col("reason").is_not_null()).join(
        frame.select(pl.col(ROW), table.raw_text().alias("raw")), on=ROW, how="left"
    )
    rejects = pl.concat(
        [
            table.malformed.select(
                pl.col(ROW).alias("row"), pl.lit("malformed").alias("reason"), "raw"
            ),
            rejected.select(pl.col(ROW).alias("row"), "reason", "raw"),
        ]
    ).sort("row")
    return Roster(
        path=path,
        mode=mode,
        states=states.cast(pl.Schema(ROSTER_SCHEMA)),
        rejects=rejects.select(pl.lit(str(path)).alias("source"), "row", "reason", "raw"),
    )
