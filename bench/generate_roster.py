"""Generate an account roster (SPEC 1.5) for the users of ``bench/generate.py``.

Writes CSV rows ``ts,user,status,product`` (``ts`` ISO 8601 with the Europe/Paris offset),
sorted by ``ts``, for the same names as the events generator (``user00000@corp.example``
...) and its two products, ``netexplorer`` and ``lms``, so that ``accounts`` and
``nominal`` can run next to the event models on the same report range:

- before the month (during the previous one), most users are activated on
  ``netexplorer`` (90 %) and some on ``lms`` (30 %);
- during the month (or the ``--months`` months from ``--month``, each change in a month
  drawn at random), ``--changes`` status changes at random office-hour instants:
  activations and deactivations (keeping those shares), accounts moved from one
  product to the other at one instant (the account stays active: touching states),
  short activations undone within the hour (they count in the day's peak, not at its
  end), a few rows repeating a state, and a few pairs of rows for one user and product
  at one instant whose last row (in file order) wins;
- status words vary in spelling and case (``active``, ``Enabled``, ``oui``,
  ``disabled``, ``DELETED``, ``0``...), as admin exports do.

The same ``--seed`` gives the same file. Run from the project root::

    .venv/bin/python bench/generate_roster.py --users 5000 --changes 20000 \\
        --out bench/data/roster.csv [--seed 1] [--month 2025-10]
    .venv/bin/python bench/generate_roster.py --users 20000 --changes 240000 \\
        --month 2025-01 --months 12 --out bench/data/roster_year.csv

With ``--months 1`` (the default) the file is the same as before the option existed.
"""

from __future__ import annotations

import argparse
import calendar
import csv
import random
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

TIMEZONE = ZoneInfo("Europe/Paris")
PRODUCTS = ("netexplorer", "lms")
INITIAL_SHARE = {"netexplorer": 0.9, "lms": 0.3}
ACTIVE = ("active", "Active", "enabled", "ACTIVATED", "oui", "1", "yes", "true")
INACTIVE = ("inactive", "disabled", "DELETED", "deactivated", "non", "0", "no", "false")


def user_name(rank: int) -> str:
    return f"user{rank:05d}@corp.example"


def office_instant(rng: random.Random, year: int, month: int) -> datetime:
    """A local instant of the month, mostly in office hours, on the second."""
    day = rng.randint(1, calendar.monthrange(year, month)[1])
    hour = rng.randint(8, 18) if rng.random() < 0.9 else rng.randint(0, 23)
    local = datetime(year, month, day, hour, rng.randint(0, 59), rng.randint(0, 59))
    # Folded (repeated) hours take their first occurrence, as the events generator does.
    return local.replace(tzinfo=TIMEZONE)


def roster_rows(
    users: int, changes: int, seed: int, year: int, month: int, months: int = 1
) -> list[list[str]]:
    rng = random.Random(seed)
    previous = (year, month - 1) if month > 1 else (year - 1, 12)
    active: dict[tuple[int, str], bool] = {}
    rows: list[tuple[datetime, int, str, str, str]] = []  # ts, order, user, status, product

    def add(at: datetime, rank: int, product: str, state: bool) -> None:
        status = rng.choice(ACTIVE if state else INACTIVE)
        rows.append((at, len(rows), user_name(rank), status, product))
        active[(rank, product)] = state

    for rank in range(users):
        for product in PRODUCTS:
            if rng.random() < INITIAL_SHARE[product]:
                add(office_instant(rng, *previous), rank, product, True)
    for _ in range(changes):
        rank = rng.randrange(users)
        product = rng.choice(PRODUCTS)
        # One draw more per change only with several months: one month keeps its file.
        index = rng.randrange(months) if months > 1 else 0
        at = office_instant(rng, year + (month - 1 + index) // 12, (month - 1 + index) % 12 + 1)
        state = active.get((rank, product), False)
        kind = rng.random()
        if kind < 0.55:
            # Activated or deactivated, keeping each product's share of active users.
            add(at, rank, product, rng.random() < INITIAL_SHARE[product])
        elif kind < 0.70:
            # Moved to the other product at the same instant.
            other = PRODUCTS[1 - PRODUCTS.index(product)]
            add(at, rank, product, False)
            add(at, rank, other, True)
        elif kind < 0.85:
            # Activated for a moment: counts in that day's peak only.
            add(at, rank, product, True)
            add(at + timedelta(minutes=rng.randint(1, 59)), rank, product, False)
        elif kind < 0.95:
            add(at, rank, product, state)  # repeats the current state
        else:
            # Two rows at one instant: the last in file order wins.
            add(at, rank, product, not state)
            add(at, rank, product, state)
    rows.sort(key=lambda row: (row[0].timestamp(), row[1]))
    return [
        [at.isoformat(timespec="seconds"), user, status, product]
        for at, _, user, status, product in rows
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=5000, help="distinct named users")
    parser.add_argument("--changes", type=int, default=20000, help="status changes in the month(s)")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--month", default="2025-10", help="YYYY-MM, local Europe/Paris")
    parser.add_argument("--months", type=int, default=1, help="months from --month (1)")
    args = parser.parse_args()
    year, month = (int(part) for part in args.month.split("-"))
    started = time.perf_counter()
    rows = roster_rows(args.users, args.changes, args.seed, year, month, args.months)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as sink:
        writer = csv.writer(sink, lineterminator="\n")
        writer.writerow(["ts", "user", "status", "product"])
        writer.writerows(rows)
    print(f"{len(rows):,} rows -> {args.out}: {time.perf_counter() - started:.1f}s")


if __name__ == "__main__":
    main()
