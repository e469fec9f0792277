"""Write flex rates and packs (SPEC 3.7) for the products of ``bench/generate.py`` events.

``flex_rates.csv`` (``product,tokens_per_day``) gets a rate for every product named with
``--rate`` (default ``netexplorer=2`` and ``lms=5``, the generator's two products).
``flex_packs.csv`` (``pack_id,purchased_at,tokens,price``) gets one pack per local quarter
of the events, bought the day before the quarter at 10:00 Europe/Paris, sized so that the
packs cover the burn ("packs covering the burn" case: no charge is denied):

the events are read one file at a time (a folder means its ``*.parquet``, ``*.csv`` and
``*.csv.gz`` files); for named users (SPEC 1.2's anonymous rule), each key (user,
product)'s events are points merged into stretches when the gap is at most
``idle_timeout`` (15 min); a stretch lasting ``d`` > ``grace`` (5 min) is counted as
``ceil((d - grace) / 24 h)`` charges, as if it were alone. That bounds flex's charges from
above (a stretch inside an open 24 h window is charged less or not at all), except for a
stretch cut by a file's end, which the ``--margin`` (1.2) absorbs. Each quarter's pack
holds that quarter's bound × margin in tokens, rounded up to a thousand. A pack lasts a
year, so a quarter's tokens left over are drawn before the next pack's (earliest expiry
first) and no quarter runs short.

Run from the project root::

    .venv/bin/python bench/generate_flex.py bench/data/events_100m \\
        --out-dir bench/data/flex_100m [--rate netexplorer=2 --rate lms=5] [--margin 1.2]
"""

from __future__ import annotations

import argparse
import csv
import math
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import polars as pl

TIMEZONE = "Europe/Paris"
IDLE_TIMEOUT_US = 15 * 60 * 10**6
GRACE_US = 5 * 60 * 10**6
WINDOW_US = 24 * 3600 * 10**6
ANONYMOUS_USERS = ("", "-", "anonymous", "guest")
FALSE_WORDS = ("false", "0", "no", "n", "f", "non")
TOKEN_PRICE = 3.0
DEFAULT_RATES = {"netexplorer": 2, "lms": 5}


def event_files(paths: list[Path]) -> list[Path]:
    files: list[Path] = []
    for path in paths:
        if path.is_dir():
            files.extend(
                sorted(
                    item
                    for item in path.iterdir()
                    if item.name.endswith((".parquet", ".csv", ".csv.gz"))
                )
            )
        else:
            files.append(path)
    return files


def read_events(path: Path) -> pl.LazyFrame:
    if path.name.endswith(".parquet"):
        frame = pl.scan_parquet(path)
    else:
        frame = pl.read_csv(path, try_parse_dates=True).lazy()
    return frame.select(
        pl.col("ts").dt.convert_time_zone("UTC"),
        pl.col("user").str.strip_chars().str.to_lowercase(),
        pl.col("product").str.strip_chars().str.to_lowercase(),
        pl.col("authenticated").cast(pl.String).str.to_lowercase(),
    )


def charge_bounds(events: pl.LazyFrame) -> pl.DataFrame:
    """Per stretch of a named key: ``product``, local ``quarter`` of its start and its
    ``charges`` bound, for the stretches charged at least once."""
    named = events.filter(
        pl.col("user").is_not_null()
        & ~pl.col("user").is_in(ANONYMOUS_USERS)
        & ~pl.col("authenticated").fill_null("").is_in(FALSE_WORDS)
    ).sort("user", "product", "ts")
    gap_us = pl.col("ts").diff().dt.total_microseconds()
    new = (
        (pl.col("user") != pl.col("user").shift())
        | (pl.col("product") != pl.col("product").shift())
        | (gap_us > IDLE_TIMEOUT_US)
    ).fill_null(True)
    stretches = (
        named.with_columns(new.cum_sum().alias("stretch"))
        .group_by("stretch")
        .agg(pl.col("product").first(), pl.col("ts").min().alias("start"), pl.col("ts").max())
        .with_columns((pl.col("ts") - pl.col("start")).dt.total_microseconds().alias("us"))
        .filter(pl.col("us") > GRACE_US)
    )
    local = pl.col("start").dt.convert_time_zone(TIMEZONE)
    return (
        stretches.select(
            "product",
            (local.dt.year() * 10 + local.dt.quarter()).alias("quarter"),
            ((pl.col("us") - GRACE_US + WINDOW_US - 1) // WINDOW_US).alias("charges"),
        )
        .group_by("product", "quarter")
        .agg(pl.col("charges").sum(), pl.len().alias("stretches"))
        .collect()
    )


def parse_rates(values: list[str] | None) -> dict[str, int]:
    if not values:
        return dict(DEFAULT_RATES)
    rates = {}
    for value in values:
        product, _, tokens = value.partition("=")
        rates[product.strip().lower()] = int(tokens)
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("events", type=Path, nargs="+", help="event files or folders")
    parser.add_argument("--out-dir", type=Path, required=True)
    parser.add_argument(
        "--rate", action="append", help="PRODUCT=TOKENS_PER_DAY (netexplorer=2, lms=5)"
    )
    parser.add_argument("--margin", type=float, default=1.2, help="tokens over the bound")
    args = parser.parse_args()
    rates = parse_rates(args.rate)
    started = time.perf_counter()
    files = event_files(args.events)
    bounds = pl.concat([charge_bounds(read_events(path)) for path in files])
    missing = sorted(set(bounds["product"]) - set(rates))
    if missing:
        parser.error(f"no --rate for the products {', '.join(missing)}")
    burn = (
        bounds.with_columns(
            (
                pl.col("charges") * pl.col("product").replace_strict(rates, return_dtype=pl.Int64)
            ).alias("tokens")
        )
        .group_by("quarter")
        .agg(pl.col("charges").sum(), pl.col("stretches").sum(), pl.col("tokens").sum())
        .sort("quarter")
    )
    args.out_dir.mkdir(parents=True, exist_ok=True)
    with (args.out_dir / "flex_rates.csv").open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(["product", "tokens_per_day"])
        writer.writerows(sorted(rates.items()))
    zone = ZoneInfo(TIMEZONE)
    with (args.out_dir / "flex_packs.csv").open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(["pack_id", "purchased_at", "tokens", "price"])
        for quarter, charges, stretches, tokens in burn.iter_rows():
            year, number = divmod(quarter, 10)
            first_day = date(year, 3 * number - 2, 1)
            bought = datetime.combine(first_day - timedelta(days=1), datetime.min.time())
            bought = bought.replace(hour=10, tzinfo=zone)
            pack = max(math.ceil(tokens * args.margin / 1000), 1) * 1000
            writer.writerow(
                [
                    f"FLEX-{year}-Q{number}",
                    bought.isoformat(timespec="seconds"),
                    pack,
                    f"{pack * TOKEN_PRICE:.2f}",
                ]
            )
            print(
                f"{year} Q{number}: {stretches:,} charged stretches, {charges:,} charges, "
                f"{tokens:,} tokens at most -> pack of {pack:,}"
            )
    print(f"{len(files)} file(s) -> {args.out_dir}: {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
