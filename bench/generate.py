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

Logs larger than memory (``--chunked``, implied by ``--split monthly``): the rows are drawn
day by day, each local day from random streams of its own (seeded by ``--seed`` and the
date), and written a batch of days at a time (``--chunk-rows``, never across a month's
end), so 100 million rows peak at about 1 GB. ``--out FILE`` writes one file (Parquet: one
row group per batch, through ``pyarrow.parquet.ParquetWriter``); ``--split monthly --out
DIR`` writes ``DIR/events-YYYY-MM.parquet`` (or ``.csv``/``.csv.gz``), one per local
month. Rows are sorted by ``ts`` in every file and across the files. This path also
shapes the year: French fixed-date public holidays are as light as weekends, August and
the Christmas week are quieter, each day's traffic varies by up to ±15 %, the hour the
spring DST switch skips gets no event, and ``--absent-share`` users are away for one
stretch of 31 to 60 days in which their events go to present users instead (the day's
traffic stays). Its output is not the default path's for the same seed; the output of
one set of options does not depend on ``--chunk-rows`` or ``--split``.

Run from the project root::

    .venv/bin/python bench/generate.py --events 10000000 --users 5000 \\
        --format parquet --out bench/data/events_10m.parquet [--seed 1] [--month 2025-10]
    .venv/bin/python bench/generate.py --events 1000000 --format csv.gz \\
        --out bench/data/events_1m.csv.gz
    .venv/bin/python bench/generate.py --events 10000000 --months 3 --absent-share 0.2 \\
        --format parquet --out bench/data/events_10m_3months.parquet
    .venv/bin/python bench/generate.py --events 100000000 --users 20000 --month 2025-01 \\
        --months 12 --absent-share 0.25 --split monthly --out bench/data/events_100m
"""

from __future__ import annotations

import argparse
import calendar
import gzip
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import IO
from zoneinfo import ZoneInfo

import polars as pl
import pyarrow.compute as pc
import pyarrow.parquet as pq

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
    method_index = method_indexes(rank, uniform(rows, seed, 4), uniform(rows, seed, 5))
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
    return events_from_numbers(numbers, users, first_hour)


def method_indexes(rank: pl.Series, habit: pl.Series, other: pl.Series) -> pl.Series:
    """Each event's method (index in ``METHODS``) from its user's rank and two uniforms.

    A user's habits are three consecutive methods from an offset of their own (60/25/15 %);
    a few events use any method, so heavy users reach 6 or 7 methods a day.
    """
    habit_step = (habit >= 0.6).cast(pl.Int64) + (habit >= 0.85).cast(pl.Int64)
    return pl.select(
        pl.when(other < OTHER_METHOD_SHARE)
        .then((other / OTHER_METHOD_SHARE * len(METHODS)).cast(pl.Int64))
        .otherwise((rank * 3 + habit_step) % len(METHODS))
    ).to_series()


def events_from_numbers(
    numbers: pl.DataFrame, users: int, first_hour: datetime, maintain_order: bool = False
) -> pl.DataFrame:
    """The event columns, sorted by ``ts``, from the drawn numbers: ``cell`` (local hour of
    the period from ``first_hour``), ``second``, ``rank``, ``method_index``, ``anonymous``,
    ``lms`` and ``spare``."""
    local_start = pl.lit(first_hour) + pl.duration(
        hours=pl.col("cell"), seconds=pl.col("second"), time_unit="us"
    )
    numbers = numbers.with_columns(
        local_start.dt.replace_time_zone(TIMEZONE, ambiguous="earliest", non_existent="null")
        .dt.convert_time_zone("UTC")
        .alias("ts")
    ).sort("ts", maintain_order=maintain_order)
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


def csv_bytes(frame: pl.DataFrame, header: bool) -> bytes:
    """CSV as an export would write it: local time with its offset."""
    text_frame = frame.with_columns(pl.col("ts").dt.convert_time_zone(TIMEZONE))
    return text_frame.write_csv(
        include_header=header, datetime_format="%Y-%m-%dT%H:%M:%S%:z"
    ).encode()


def open_text(out: Path, fmt: str) -> IO[bytes]:
    # Level 6 is what `gzip` and most log rotators use (the module's default, 9, is slower).
    return gzip.open(out, "wb", compresslevel=6) if fmt == "csv.gz" else out.open("wb")


def write(frame: pl.DataFrame, out: Path, fmt: str) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "parquet":
        frame.write_parquet(out, compression="zstd", row_group_size=1_000_000)
        return
    # In batches, so that a gzip stream never holds the whole text.
    with open_text(out, fmt) as sink:
        for start in range(0, max(frame.height, 1), CSV_BATCH_ROWS):
            sink.write(csv_bytes(frame.slice(start, CSV_BATCH_ROWS), start == 0))


# Chunked generation (--chunked, --split monthly): a year larger than memory.
PARIS = ZoneInfo(TIMEZONE)
HOLIDAYS = ((1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25))
MONTH_WEIGHT = {7: 0.85, 8: 0.55}  # summer holidays
CHRISTMAS_WEIGHT = 0.5  # 24-31 December
DAY_SPREAD = 0.15
ABSENCE_REDRAWS = 8  # rows of absent users still drawn after these are dropped


def day_hour_weights(day: date) -> list[float]:
    """Relative traffic of each local hour of ``day``; 0 for an hour a DST switch skips."""
    light = day.weekday() >= 5 or (day.month, day.day) in HOLIDAYS
    hours = WEEKEND_HOURS if light else WEEKDAY_HOURS
    scale = WEEKEND_WEIGHT * sum(WEEKDAY_HOURS) / sum(WEEKEND_HOURS) if light else 1.0
    if day.month == 12 and day.day >= 24:
        scale *= CHRISTMAS_WEIGHT
    else:
        scale *= MONTH_WEIGHT.get(day.month, 1.0)
    weights = []
    for hour, weight in enumerate(hours):
        wall = datetime(day.year, day.month, day.day, hour)
        back = wall.replace(tzinfo=PARIS).astimezone(UTC).astimezone(PARIS).replace(tzinfo=None)
        weights.append(weight * scale if back == wall else 0.0)
    return weights


def day_plan(
    rows: int, year: int, month: int, months: int, seed: int
) -> list[tuple[date, list[float], int]]:
    """Every local day of the period with its hour weights and its number of rows: the
    day's weight times a factor of its own in 1 ± ``DAY_SPREAD`` (busy and quiet days)."""
    first = date(year, month, 1)
    end_year, end_month = year + (month - 1 + months) // 12, (month - 1 + months) % 12 + 1
    days = [first + timedelta(days=n) for n in range((date(end_year, end_month, 1) - first).days)]
    weights = [day_hour_weights(day) for day in days]
    totals = [
        sum(hours) * (1 - DAY_SPREAD + 2 * DAY_SPREAD * day_uniform(1, seed, day, 99)[0])
        for day, hours in zip(days, weights, strict=True)
    ]
    grand, running, before = sum(totals), 0.0, 0
    plan = []
    for day, hours, total in zip(days, weights, totals, strict=True):
        running += total
        upto = rows if day == days[-1] else round(running / grand * rows)
        plan.append((day, hours, upto - before))
        before = upto
    return plan


def day_uniform(rows: int, seed: int, day: date, stream: int) -> pl.Series:
    """``rows`` uniform floats in [0, 1), one stream per local day and column."""
    initializer = seed * 10**9 + day.toordinal() * 100 + stream
    return pl.Series("u", pc.random(rows, initializer=initializer))


def user_ranks(u: pl.Series, users: int) -> pl.Series:
    """user rank ~ users * U^3: rank 0 gets ~(1/users)^(1/3) of the traffic."""
    return (u.pow(3) * users).cast(pl.Int64).clip(0, users - 1)


def absences(users: int, seed: int, share: float, days: int) -> pl.DataFrame:
    """Per user rank: away or not, the first day (index in the period) and the length in
    days of their one absence of 31 to 60 days (at most half the period)."""

    def user_uniform(stream: int) -> pl.Series:
        return pl.Series("u", pc.random(users, initializer=seed * 10**9 + stream))

    longest = max(min(60, days // 2), 1)
    return pl.DataFrame(
        {
            "away": user_uniform(1) < share,
            "start": (user_uniform(2) * days).cast(pl.Int64),
            "length": (31 + user_uniform(3) * 30).cast(pl.Int64).clip(1, longest),
        }
    )


def day_numbers(
    day: date,
    index: int,
    rows: int,
    hours: list[float],
    users: int,
    seed: int,
    away: pl.DataFrame | None,
    days: int,
) -> pl.DataFrame:
    """The drawn numbers of one local day (``index`` in the period), in drawing order.

    Rows drawn for a user who is away that day go to another user (drawn again, up to
    ``ABSENCE_REDRAWS`` times, then dropped), so the day keeps its traffic.
    """
    total = sum(hours)
    cumulative = pl.Series("cumulative", [sum(hours[: hour + 1]) / total for hour in range(24)])
    hour = cumulative.search_sorted(day_uniform(rows, seed, day, 1), side="right")
    rank = user_ranks(day_uniform(rows, seed, day, 3), users)
    keep = None
    if away is not None:
        for attempt in range(ABSENCE_REDRAWS + 1):
            start, length = away["start"].gather(rank), away["length"].gather(rank)
            inside = away["away"].gather(rank) & ((index - start) % days < length)
            if attempt == ABSENCE_REDRAWS or not inside.any():
                keep = ~inside
                break
            again = user_ranks(day_uniform(rows, seed, day, 20 + attempt), users)
            rank = pl.select(pl.when(inside).then(again).otherwise(rank)).to_series()
    numbers = pl.DataFrame(
        {
            "cell": hour.clip(0, 23).cast(pl.Int64) + index * 24,
            "second": (day_uniform(rows, seed, day, 2) * 3600).cast(pl.Int64),
            "rank": rank,
            "method_index": method_indexes(
                rank, day_uniform(rows, seed, day, 4), day_uniform(rows, seed, day, 5)
            ),
            "anonymous": day_uniform(rows, seed, day, 6) < ANONYMOUS_SHARE,
            "lms": day_uniform(rows, seed, day, 7) < LMS_SHARE,
            "spare": (day_uniform(rows, seed, day, 8) * 65_536).cast(pl.Int64),
        }
    )
    return numbers if keep is None else numbers.filter(keep)


def chunked_batches(
    rows: int,
    users: int,
    seed: int,
    year: int,
    month: int,
    months: int,
    absent_share: float,
    chunk_rows: int,
) -> Iterator[tuple[str, pl.DataFrame]]:
    """``(YYYY-MM, events)`` for consecutive days of one local month, about ``chunk_rows``
    rows at a time (at least one day), sorted by ``ts``."""
    plan = day_plan(rows, year, month, months, seed)
    away = absences(users, seed, absent_share, len(plan)) if absent_share > 0 else None
    first_hour = datetime(year, month, 1)
    pending: list[pl.DataFrame] = []
    pending_rows, pending_month = 0, ""
    for index, (day, hours, count) in enumerate(plan):
        this_month = f"{day.year:04d}-{day.month:02d}"
        if pending and (this_month != pending_month or pending_rows + count > chunk_rows):
            yield (
                pending_month,
                events_from_numbers(pl.concat(pending), users, first_hour, maintain_order=True),
            )
            pending, pending_rows = [], 0
        pending.append(day_numbers(day, index, count, hours, users, seed, away, len(plan)))
        pending_rows, pending_month = pending_rows + count, this_month
    if pending:
        yield (
            pending_month,
            events_from_numbers(pl.concat(pending), users, first_hour, maintain_order=True),
        )


class ChunkSink:
    """Writes batches of events to one file, or one file per month (``split``)."""

    def __init__(self, out: Path, fmt: str, split: bool) -> None:
        self.out, self.fmt, self.split = out, fmt, split
        self.paths: list[Path] = []
        self.parquet: pq.ParquetWriter | None = None
        self.text: IO[bytes] | None = None

    def path_for(self, month: str) -> Path:
        return self.out / f"events-{month}.{self.fmt}" if self.split else self.out

    def write(self, month: str, frame: pl.DataFrame) -> None:
        path = self.path_for(month)
        if not self.paths or self.paths[-1] != path:
            self.close()
            path.parent.mkdir(parents=True, exist_ok=True)
            self.paths.append(path)
            if self.fmt != "parquet":
                self.text = open_text(path, self.fmt)
                self.text.write(csv_bytes(frame, header=True))
                return
        if self.fmt == "parquet":
            table = frame.to_arrow()
            if self.parquet is None:
                self.parquet = pq.ParquetWriter(path, table.schema, compression="zstd")
            self.parquet.write_table(table, row_group_size=max(table.num_rows, 1))
        else:
            assert self.text is not None
            self.text.write(csv_bytes(frame, header=False))

    def close(self) -> None:
        if self.parquet is not None:
            self.parquet.close()
            self.parquet = None
        if self.text is not None:
            self.text.close()
            self.text = None


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
    parser.add_argument(
        "--chunked",
        action="store_true",
        help="draw day by day and write a batch of days at a time (logs larger than memory)",
    )
    parser.add_argument(
        "--split",
        choices=("none", "monthly"),
        default="none",
        help="monthly: --out is a folder of events-YYYY-MM files (implies --chunked)",
    )
    parser.add_argument(
        "--chunk-rows",
        type=int,
        default=2_000_000,
        help="rows per written batch (Parquet row group) with --chunked (2,000,000)",
    )
    args = parser.parse_args()
    year, month = (int(part) for part in args.month.split("-"))
    started = time.perf_counter()
    if args.chunked or args.split == "monthly":
        sink = ChunkSink(args.out, args.format, split=args.split == "monthly")
        written = 0
        for batch_month, batch in chunked_batches(
            args.events,
            args.users,
            args.seed,
            year,
            month,
            args.months,
            args.absent_share,
            args.chunk_rows,
        ):
            sink.write(batch_month, batch)
            written += batch.height
        sink.close()
        size = sum(path.stat().st_size for path in sink.paths) / 2**20
        print(
            f"{written:,} rows -> {args.out} ({len(sink.paths)} file(s), {size:,.1f} MiB): "
            f"{time.perf_counter() - started:.1f}s"
        )
        return
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
