"""Autodesk's token bill next to the tokens licaudit computes from the logs (issue 10, item 6).

Autodesk's token usage export has one row per user, product and day with the tokens
billed. It comes with Title Case headers (``Day used``, ``Email``, ``Product``, ``Tokens
used``) from the Autodesk Account reports, in snake_case (``day_used``, ``email``,
``product_name``, ``tokens_used``), or as the Token Flex usage API writes it
(``usageDate``, ``userName``, ``productName``, ``tokensConsumed``). Read as CSV (or any
format licaudit reads) or XLSX, it is set next to a flex contract's charges: per user,
product and local day of ``window_start``, the tokens billed, the tokens computed, and
their difference (billed − computed), the rows that differ first, then a total.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import polars as pl

from licaudit.errors import DataError
from licaudit.ingest.columns import fold
from licaudit.ingest.readers import ROW, read_table
from licaudit.ingest.timeparse import decide_date_order, parse_time

VENDOR_SCHEMA = pl.Schema(
    {"day": pl.Date(), "user": pl.String(), "product": pl.String(), "tokens": pl.Int64()}
)
RECONCILE_SCHEMA = pl.Schema(
    {
        "day": pl.Date(),
        "user": pl.String(),
        "product": pl.String(),
        "vendor_tokens": pl.Int64(),
        "licaudit_tokens": pl.Int64(),
        "difference": pl.Int64(),
    }
)
TOTAL = "total"
KEY = ["day", "user", "product"]
# Each column's header spellings, folded (lowercase, no `_`, `-` or space), first wins.
HEADERS = {
    "day": ("dayused", "usagedate", "date", "day"),
    "user": ("email", "username", "useremail", "user"),
    "product": ("product", "productname"),
    "tokens": ("tokensused", "tokensconsumed", "tokens"),
}
SPELLINGS = {
    "day": "`Day used`, `day_used` or `usageDate`",
    "user": "`Email`, `email` or `userName`",
    "product": "`Product`, `product_name` or `productName`",
    "tokens": "`Tokens used`, `tokens_used` or `tokensConsumed`",
}
SHOWN_ROWS = 5


def _columns(path: Path, columns: list[str]) -> dict[str, int]:
    """The index of the source column of each of day, user, product, tokens."""
    folded = [fold(name) for name in columns]
    found: dict[str, int] = {}
    for column, aliases in HEADERS.items():
        for alias in aliases:
            if alias in folded:
                found[column] = folded.index(alias)
                break
    missing = [column for column in HEADERS if column not in found]
    if missing:
        wanted = "; ".join(f"{column}: {SPELLINGS[column]}" for column in missing)
        raise DataError(
            f"Vendor export {path} has no column for {', '.join(missing)} ({wanted}); "
            f"its columns: {', '.join(columns) or 'none'}.",
            "give Autodesk's token usage export (CSV or XLSX) as it was downloaded, with "
            "its header line.",
        )
    return found


def _day(source: pl.Expr, dtype: pl.DataType, values: pl.Series) -> pl.Expr:
    """A day as written: a Date or date-time cell's date, the date an ISO text starts with
    (its offset aside), else any timestamp form of the logs read in UTC (SPEC 1.2)."""
    if isinstance(dtype, pl.Date):
        return source
    if isinstance(dtype, pl.Datetime):
        return source.dt.date()
    text = source.cast(pl.String).str.strip_chars()
    iso = text.str.extract(r"^(\d{4}-\d{2}-\d{2})").str.to_date("%Y-%m-%d", strict=False)
    value, _ = parse_time(
        text, pl.String(), input_tz="UTC", date_order=decide_date_order(values.cast(pl.String))
    )
    return pl.coalesce(iso, value.dt.date())


def _tokens(source: pl.Expr) -> pl.Expr:
    """A whole number of tokens (``7``, ``7.0``); null when it is not one."""
    text = source.cast(pl.String).str.strip_chars()
    return text.str.extract(r"^(-?\d+)(?:\.0*)?$").cast(pl.Int64, strict=False)


def _bad_rows(path: Path, bad: pl.DataFrame, problem: str) -> DataError:
    rows = bad[ROW].head(SHOWN_ROWS).to_list()
    more = f" and {bad.height - SHOWN_ROWS} more" if bad.height > SHOWN_ROWS else ""
    return DataError(
        f"Vendor export {path}: row(s) {', '.join(map(str, rows))}{more} {problem}.",
        "fix or remove these rows (rows are counted from the first after the header).",
    )


def read_vendor_export(path: Path) -> pl.DataFrame:
    """Autodesk's token usage export as ``day`` (Date), ``user`` (trimmed, lowercased),
    ``product`` (trimmed, lowercased), ``tokens`` (Int64): one row per row of the file.

    A file that cannot be read, lacks one of the four columns, or holds a malformed
    record, a day or a number of tokens that cannot be read is a ``DataError`` naming it.
    """
    table = read_table(path)
    if table.malformed.height:
        raise _bad_rows(path, table.malformed, "are malformed (wrong number of fields)")
    found = _columns(path, table.columns)
    frame = table.frame.collect()
    source = {column: f"c{index}" for column, index in found.items()}
    day_source = source["day"]
    normalized = frame.select(
        ROW,
        day=_day(pl.col(day_source), frame.schema[day_source], frame[day_source]),
        user=pl.col(source["user"]).cast(pl.String).str.strip_chars().str.to_lowercase(),
        product=pl.col(source["product"]).cast(pl.String).str.strip_chars().str.to_lowercase(),
        tokens=_tokens(pl.col(source["tokens"])),
    )
    no_day = normalized.filter(pl.col("day").is_null())
    if no_day.height:
        raise _bad_rows(path, no_day, f"have no day that can be read in {SPELLINGS['day']}")
    no_tokens = normalized.filter(pl.col("tokens").is_null())
    if no_tokens.height:
        raise _bad_rows(path, no_tokens, "have no whole number of tokens")
    return normalized.select(list(VENDOR_SCHEMA)).cast(VENDOR_SCHEMA)


def export_days(vendor: pl.DataFrame) -> tuple[date, date] | None:
    """The first and last day of a vendor export (None when it has no row)."""
    if not vendor.height:
        return None
    first, last = vendor.select(first=pl.col("day").min(), last=pl.col("day").max()).row(0)
    return first, last


def reconcile(
    vendor: pl.DataFrame,
    charges: pl.DataFrame,
    timezone: str,
    days: tuple[date, date] | None = None,
) -> pl.DataFrame:
    """Per (day, user, product): tokens billed, tokens computed, and the difference.

    ``vendor``: as ``read_vendor_export`` gives it. ``charges``: a flex contract's decoded
    ``charges`` detail table (``user``, ``product``, ``window_start`` UTC, ``tokens``,
    ``status``), whose charged rows count on the local day of ``window_start`` in
    ``timezone``. ``days`` (first, last), inclusive, keeps only those days on both sides.
    Rows that differ come first, then the others, each by day, user and product; the
    last row is the total (``user`` = ``"total"``, day and product empty).
    """
    computed = (
        charges.filter(pl.col("status") == "charged")
        .group_by(
            day=pl.col("window_start").dt.convert_time_zone(timezone).dt.date(),
            user=pl.col("user"),
            product=pl.col("product"),
        )
        .agg(licaudit_tokens=pl.col("tokens").sum())
    )
    billed = vendor.group_by(KEY).agg(vendor_tokens=pl.col("tokens").sum())
    if days is not None:
        within = pl.col("day").is_between(days[0], days[1])
        computed, billed = computed.filter(within), billed.filter(within)
    rows = (
        billed.join(computed, on=KEY, how="full", coalesce=True, nulls_equal=True)
        .with_columns(pl.col("vendor_tokens", "licaudit_tokens").fill_null(0))
        .with_columns(difference=pl.col("vendor_tokens") - pl.col("licaudit_tokens"))
        .sort(pl.col("difference") == 0, *KEY, nulls_last=True)
        .select(list(RECONCILE_SCHEMA))
        .cast(RECONCILE_SCHEMA)
    )
    total = rows.select(
        day=pl.lit(None, pl.Date),
        user=pl.lit(TOTAL),
        product=pl.lit(None, pl.String),
        vendor_tokens=pl.col("vendor_tokens").sum(),
        licaudit_tokens=pl.col("licaudit_tokens").sum(),
        difference=pl.col("difference").sum(),
    ).cast(RECONCILE_SCHEMA)
    return pl.concat([rows, total])


def differing_rows(reconciled: pl.DataFrame) -> int:
    """How many (day, user, product) rows of a ``reconcile`` table differ (the total aside):
    ``licaudit reconcile`` exits 1 when there is any."""
    return reconciled.head(reconciled.height - 1).filter(pl.col("difference") != 0).height
