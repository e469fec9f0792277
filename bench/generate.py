"""Generate a month-scale synthetic access log for benchmarking licaudit.

Writes the canonical event columns (SPEC 1.2): ``ts`` (Datetime(us, UTC) in Parquet; ISO 8601
text with the Europe/Paris offset in CSV), ``user``, ``method``, ``product``, ``session``,
``device``, ``authenticated``. Rows are sorted by ``ts``, as real logs are.

Everything is vectorized (pyarrow's seeded uniform generator, then polars expressions), so
10 million rows take seconds and a couple of GB at most. The shape is realistic enough for
the models to do real work: a month of Europe/Paris office hours (weekdays heavy, weekends
light, nights quiet), a few heavy users among many light ones (user rank ~ U^3), each user
with a habitual set of methods plus occasional others (heavy users reach 6-7 methods a
day), two products and ~3 % anonymous share-link rows (user null or ``anonymous``,
``authenticated = false``, session = an IP). The same ``--seed`` gives the same file.

Options for longer logs (off by default, so the default output stays the same file):
``--months N`` spreads the events over N months from ``--month``; ``--absent-share X``
sends a share X of the users away for 31 to 60 days in a row (their events of that
stretch move after it), so that ``floating`` licences are released and assigned again.

Run from the project root::

    .venv/bin/python bench/generate.py --events 10000000 --users 5000 \\
        --format parquet --out bench/data/events_10m.parquet [--seed 1] [--month 2025-10]
    .venv/bin/python bench/generate.py --events 1000000 --format csv.gz \\
        --out bench/data/events_1m.csv.gz
    .venv/bin/python bench/generate.py --events 10000000 --months 3 --absent-share 0.2 \\
        --format parquet --out bench/data/events_10m_3months.parquet
"""

from __future__ import annotations

import argparse
import calendar
import gzip
import time
from datetime import datetime
from pathlib import Path

import polars as pl
import pyarrow.compute as pc

TIMEZONE = "Europe/Paris"
METHODS = ("web", "webdav", "outlook", "mobile", "api", "sync", "netsync")
ANONYMOUS_SHARE = 0.03
LMS_SHARE = 0.12
OTHER_METHOD_SHARE = 0.04  # events with a method outside the user's habits
# Relative traffic per local hour, weekdays and weekends.
WEEKDAY_HOURS = (
    1,
    1,
    1,
    1,
    1,
    2,
    5,
    20,
    60,
    90,
    95,
    85,
    45,
    55,
    85,
    90,
    80,
    60,
    30,
    12,
    8,
    5,
    3,
    2,
)
WEEKEND_HOURS = (1, 1, 1, 1, 1, 1, 1, 2, 4, 6, 8, 8, 7, 6, 6, 6, 5, 5, 4, 4, 3, 3, 2, 1)
WEEKEND_WEIGHT = 0.15
CSV_BATCH_ROWS = 1_000_000


def uniform(rows: int, seed: int, stream: int) -> pl.Series:
    """``rows`` uniform floats in [0, 1), one independent stream per column."""
    return pl.Series("u", pc.random(rows, initializer=seed * 1_000 + stream))


def hour_cells(year: int, month: int, months: int = 1) -> tuple[pl.Series, datetime]:
    """Cumulative weights of every local hour of ``months`` months from ``year-month``, and
    the first month's first instant."""
    weights: list[float] = []
    for index in range(months):
        this_year, this_month = year + (month - 1 + index) // 12, (month - 1 + index) % 12 + 1
        for day in range(1, calendar.monthrange(this_year, this_month)[1] + 1):
            weekend = calendar.weekday(this_year, this_month, day) >= 5
            hours = WEEKEND_HOURS if weekend else WEEKDAY_HOURS
            scale = WEEKEND_WEIGHT * sum(WEEKDAY_HOURS) / sum(WEEKEND_HOURS) if weekend else 1.0
            weights.extend(hour * scale for hour in hours)
    total = sum(weights)
    cumulative: list[float] = []
    running = 0.0
    for weight in weights:
        running += weight
        cumulative.append(running / total)
    return pl.Series("cumulative", cumulative), datetime(year, month, 1)


def absent_cells(
    cell: pl.Series, rank: pl.Series, users: int, seed: int, share: float, hours: int
) -> pl.Series:
    """``cell`` with the events of absent users moved out of their absence.

    A ``share`` of the users (drawn per user) is away for one stretch of 31 to 60 whole
    days (at most half the period) starting at a random day; each of their events in it
    moves forward by the stretch's length, wrapping around the period, so that their
    number of events and hours of the day stay as they were. With the 30-day default
    inactivity, such a user's floating licence is released and assigned again.
    """
    days = hours // 24
    away = uniform(users, seed, 9) < share
    longest = max(min(60, days // 2), 1)
    length = (31 + uniform(users, seed, 10) * 30).cast(pl.Int64).clip(1, longest) * 24
    start = (uniform(users, seed, 11) * days).cast(pl.Int64) * 24
    user_away, user_start, user_length = (
        pl.lit(series).gather(rank) for series in (away, start, length)
    )
    inside = user_away & (((pl.lit(cell) - user_start) % hours) < user_length)
    return pl.select(
        pl.when(inside).then((pl.lit(cell) + user_length) % hours).otherwise(pl.lit(cell))
    ).to_series()


def events_frame(
    rows: int,
    users: int,
    seed: int,
    year: int,
    month: int,
    months: int = 1,
    absent_share: float = 0.0,
) -> pl.DataFrame:
    """The generated events, sorted by ``ts``."""
    cumulative, first_hour = hour_cells(year, month, months)
    # Which local hour of the period, then a second within it; the repeated hour of the
    # DST fall-back takes its first occurrence, like a wall-clock log without offset.
    cell = cumulative.search_sorted(uniform(rows, seed, 1), side="right")
    cell = cell.clip(0, len(cumulative) - 1).cast(pl.Int64)
    # user rank ~ users * U^3: rank 0 gets ~(1/users)^(1/3) of the traffic.
    rank = (uniform(rows, seed, 3).pow(3) * users).cast(pl.Int64).clip(0, users - 1)
    if absent_share > 0:
        cell = absent_cells(cell, rank, users, seed, absent_share, len(cumulative))
    # A user's habits are three consecutive methods from an offset of their own (60/25/15 %);
    # a few events use any method, so heavy users reach 6 or 7 methods a day.
    habit, other = uniform(rows, seed, 4), uniform(rows, seed, 5)
    habit_step = (habit >= 0.6).cast(pl.Int64) + (habit >= 0.85).cast(pl.Int64)
    method_index = pl.select(
        pl.when(other < OTHER_METHOD_SHARE)
        .then((other / OTHER_METHOD_SHARE * len(METHODS)).cast(pl.Int64))
        .otherwise((rank * 3 + habit_step) % len(METHODS))
    ).to_series()
    del habit, other, habit_step
    numbers = pl.DataFrame(
        {
            "cell": cell,
            "second": (uniform(rows, seed, 2) * 3600).cast(pl.Int64),
            "rank": rank,
            "method_index": method_index,
            "anonymous": uniform(rows, seed, 6) < ANONYMOUS_SHARE,
            "lms": uniform(rows, seed, 7) < LMS_SHARE,
            "spare": (uniform(rows, seed, 8) * 65_536).cast(pl.Int64),
        }
    )
    del cell, rank, method_index
    local_start = pl.lit(first_hour) + pl.duration(
        hours=pl.col("cell"), seconds=pl.col("second"), time_unit="us"
    )
    numbers = numbers.with_columns(
        local_start.dt.replace_time_zone(TIMEZONE, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .alias("ts")
    ).sort("ts")
    # Strings are built once the rows are in order, so the sort moves only numbers.
    names = pl.Series([f"user{rank:05d}@corp.example" for rank in range(users)])
    anonymous, rank_col, spare = pl.col("anonymous"), pl.col("rank"), pl.col("spare")
    return numbers.select(
        "ts",
        pl.when(~anonymous)
        .then(pl.lit(names).gather(rank_col))
        .when(spare % 3 == 0)
        .then(pl.lit("anonymous"))
        .alias("user"),  # otherwise null
        pl.when(anonymous)
        .then(pl.lit("web"))
        .otherwise(pl.lit(pl.Series(METHODS)).gather(pl.col("method_index")))
        .alias("method"),
        pl.when(pl.col("lms"))
        .then(pl.lit("lms"))
        .otherwise(pl.lit("netexplorer"))
        .alias("product"),
        pl.when(anonymous)
        .then(pl.format("203.0.{}.{}", spare // 256 % 256, spare % 254 + 1))
        .otherwise(pl.format("s{}-{}", rank_col, pl.col("cell") // 24 + 1))
        .alias("session"),
        pl.when(~anonymous).then(pl.format("dev-{}-{}", rank_col, spare % 3)).alias("device"),
        (~anonymous).alias("authenticated"),
    )


def write(frame: pl.DataFrame, out: Path, fmt: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.write_parquet(out, compression="zstd", row_group_size=1_000_000)
        return
    # CSV as an export would write it: local time with its offset, in batches so that a
    # gzip stream never holds the whole text.
    text_frame = frame.with_columns(pl.col("ts").dt.convert_time_zone(TIMEZONE))
    # Level 6 is what `gzip` and most log rotators use (the module's default, 9, is slower).
    with gzip.open(out, "wb", compresslevel=6) if fmt == "csv.gz" else out.open("wb") as sink:
        for start in range(0, max(text_frame.height, 1), CSV_BATCH_ROWS):
            batch = text_frame.slice(start, CSV_BATCH_ROWS)
            sink.write(
                batch.write_csv(
                    include_header=start == 0, datetime_format="%Y-%m-%dT%H:%M:%S%:z"
                ).encode()
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, required=True, help="number of rows")
    parser.add_argument("--users", type=int, default=5000, help="distinct named users")
    parser.add_argument("--format", choices=("parquet", "csv", "csv.gz"), default="parquet")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--month", default="2025-10", help="YYYY-MM, local Europe/Paris")
    parser.add_argument("--months", type=int, default=1, help="months from --month (1)")
    parser.add_argument(
        "--absent-share",
        type=float,
        default=0.0,
        help="share of users away 31-60 days in a row (0): floating licences released",
    )
    args = parser.parse_args()
    year, month = (int(part) for part in args.month.split("-"))
    started = time.perf_counter()
    frame = events_frame(
        args.events, args.users, args.seed, year, month, args.months, args.absent_share
    )
    generated = time.perf_counter()
    write(frame, args.out, args.format)
    done = time.perf_counter()
    size = args.out.stat().st_size / 2**20
    print(
        f"{frame.height:,} rows -> {args.out} ({size:,.1f} MiB): "
        f"generate {generated - started:.1f}s, write {done - generated:.1f}s"
    )


if __name__ == "__main__":
    main()
