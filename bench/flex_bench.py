"""Time the `flex` model (SPEC 3.7) stage by stage on generated events, in-process.

Generates ``--events`` usage spans (``--users`` x ``--products`` keys, starts uniform over
the year 2025, lengths uniform in 0-60 min, a point now and then; rows sorted by ``ts`` as
logs are, or shuffled with ``--shuffled``) from a seed, encodes them as the audit does
(``licaudit.audit.prepare`` and ``_model_input``) and times, for each pack case, every
stage of the model's compute and then the whole ``compute``:

- ``none``: no packs (charges are final);
- ``cover``: one pack holding far more than the burn (the vectorized ledger);
- ``short``: a pack a month holding half of that month's burn (denials: the walk).

``group_by("user").agg(pl.len())`` over the same frame is timed first, for scale.

Run from the project root::

    .venv/bin/python bench/flex_bench.py --events 10000000 [--seed 1] [--cases none,cover,short]
"""

from __future__ import annotations

# licaudit first: polars reads its allocator settings when it loads (licaudit/__init__.py),
# and flex is timed as the command line runs it.
# isort: off
import licaudit  # noqa: F401
# isort: on

import argparse
import resource
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import polars as pl

from licaudit.audit import _model_input, prepare
from licaudit.ingest.events import EVENT_SCHEMA
from licaudit.models.base import Contract
from licaudit.models.flex import MODEL, FlexOptions, product_rates
from licaudit.models.flex.charges import optimistic_charges
from licaudit.models.flex.files import Pack, Packs, Rates, default_expiry
from licaudit.models.flex.ledger import consumption_order, one_line, vectorized, walk
from licaudit.models.flex.stretches import named_usage, stretches
from licaudit.periods import build_calendar

TIMEZONE = "Europe/Paris"
YEAR_START = datetime(2025, 1, 1, tzinfo=UTC)
YEAR = timedelta(days=365)
MAX_LENGTH = timedelta(minutes=60)
POINT_SHARE = 0.05
RATES = (6, 10, 8, 4, 12)
T = TypeVar("T")


def generate(events: int, users: int, products: int, seed: int, shuffled: bool) -> pl.DataFrame:
    """Canonical events (``EVENT_SCHEMA``), vectorized and seeded."""
    year_us = YEAR // timedelta(microseconds=1)
    length_us = MAX_LENGTH // timedelta(microseconds=1)
    index = pl.int_range(events, eager=True).alias("i")
    frame = pl.DataFrame(index).select(
        offset=(pl.col("i").hash(seed) % year_us).cast(pl.Int64),
        length=(pl.col("i").hash(seed + 1) % (length_us + 1)).cast(pl.Int64),
        point=(pl.col("i").hash(seed + 2) % 1000) < int(POINT_SHARE * 1000),
        user=(pl.col("i").hash(seed + 3) % users).cast(pl.Int64),
        product=(pl.col("i").hash(seed + 4) % products).cast(pl.Int64),
        device=(pl.col("i").hash(seed + 5) % 2).cast(pl.Int64),
    )
    start = pl.lit(YEAR_START) + pl.duration(microseconds=pl.col("offset"))
    frame = frame.select(
        ts=start,
        end=pl.when(pl.col("point"))
        .then(None)
        .otherwise(start + pl.duration(microseconds=pl.col("length"))),
        user=pl.format("user{}", pl.col("user").cast(pl.String).str.zfill(5)),
        anonymous=pl.lit(False),
        method=pl.lit("desktop"),
        product=pl.format("product{}", pl.col("product")),
        session=pl.lit(None, pl.String),
        device=pl.format("pc{}", pl.col("device")),
    ).cast(EVENT_SCHEMA)  # type: ignore[arg-type]
    return frame.sample(fraction=1.0, shuffle=True, seed=seed) if shuffled else frame.sort("ts")


def contract(products: int, packs: tuple[Pack, ...] | None) -> Contract:
    rates = Rates(
        Path("flex_rates.csv"),
        tuple((f"product{p}", RATES[p % len(RATES)]) for p in range(products)),
    )
    pack_file = None if packs is None else Packs(Path("flex_packs.csv"), packs)
    return Contract(
        name="bench",
        model="flex",
        timezone=TIMEZONE,
        options=FlexOptions(rates=rates, packs=pack_file),
    )


def timed(label: str, action: Callable[[], T], results: dict[str, float]) -> T:
    started = time.perf_counter()
    value = action()
    results[label] = time.perf_counter() - started
    print(f"  {label:<28} {results[label]:8.2f} s", flush=True)
    return value


def stages(model_input: Any) -> None:
    """Each stage of ``compute`` in turn, then the whole of it."""
    options, calendar = model_input.options, model_input.calendar
    results: dict[str, float] = {}
    spans = timed(
        "stretches",
        lambda: stretches(named_usage(model_input.events), options.idle_timeout),
        results,
    )
    rates = product_rates(model_input, spans["product"])
    charges = timed(
        "optimistic_charges",
        lambda: optimistic_charges(spans, rates, options.window, options.grace),
        results,
    )
    print(f"  ({spans.height:,} stretches, {charges.height:,} optimistic charges)")
    if options.packs is not None:
        ordered = consumption_order(options.packs.frame, calendar.timezone)
        range_end = calendar.last_end
        ledger = None
        if one_line(ordered):
            ledger = timed(
                "vectorized ledger", lambda: vectorized(charges, ordered, range_end), results
            )
        if ledger is None:
            ledger = timed(
                "walk",
                lambda: walk(spans, rates, ordered, options.window, options.grace, range_end),
                results,
            )
        denied = ledger.charges.filter(pl.col("status") == "denied").height
        print(f"  ({ledger.charges.height:,} charges, {denied:,} denied)")
    timed("whole compute", lambda: MODEL.compute(model_input), results)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000_000)
    parser.add_argument("--users", type=int, default=2_000)
    parser.add_argument("--products", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--shuffled", action="store_true", help="rows in random order")
    parser.add_argument("--cases", default="none,cover,short")
    arguments = parser.parse_args()

    started = time.perf_counter()
    events = generate(
        arguments.events, arguments.users, arguments.products, arguments.seed, arguments.shuffled
    )
    prepared = prepare(events)
    del events
    calendar = build_calendar(date(2025, 1, 1), date(2025, 12, 31), TIMEZONE)
    print(f"generated and encoded in {time.perf_counter() - started:.1f} s")
    encoded = prepared.encoded.events
    for _ in range(2):
        baseline = {"": 0.0}
        timed("group_by(user).agg(len)", lambda: encoded.group_by("user").agg(pl.len()), baseline)

    burn: int | None = None
    for case in arguments.cases.split(","):
        packs: tuple[Pack, ...] | None = None
        if case != "none" and burn is None:
            free = _model_input(prepared, contract(arguments.products, None), MODEL, calendar)
            spans = stretches(named_usage(free.events), free.options.idle_timeout)
            rates = product_rates(free, spans["product"])
            charges = optimistic_charges(spans, rates, free.options.window, free.options.grace)
            burn = int(charges["tokens"].sum())
        if case == "cover" and burn is not None:
            bought = YEAR_START - timedelta(days=1)
            packs = (Pack("reserve", bought, 3 * burn, bought + 2 * YEAR),)
        elif case == "short" and burn is not None:
            monthly = burn // 24  # half of a month's burn
            packs = tuple(
                Pack(f"m{month:02}", bought, monthly, default_expiry(bought))
                for month in range(1, 13)
                for bought in [datetime(2025, month, 1, tzinfo=UTC)]
            )
        print(f"case {case}:")
        model_input = _model_input(prepared, contract(arguments.products, packs), MODEL, calendar)
        stages(model_input)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"peak RSS {peak:.1f} GiB")


if __name__ == "__main__":
    main()
