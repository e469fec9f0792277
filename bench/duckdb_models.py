"""The licence models as DuckDB SQL: the peer licaudit's timings are measured against.

Each model is one SQL text in ``MODELS`` (model name -> SQL) over a relation ``events``
that ``EVENTS_SQL`` derives from the input files with the normalisation of SPEC 1.2:
``user`` trimmed and lowercased, anonymous when null, empty, ``-``, ``anonymous``,
``guest`` or ``authenticated = false``; ``method`` and ``product`` trimmed and lowercased,
empty -> ``unknown`` / ``default``; days cut in the contract's timezone. A model reads the
named parameters ``$contract``, ``$timezone``, ``$scope``, ``$capacity`` and its own
options, and returns the usage table of SPEC 3 (contract, model, scope, period, units,
capacity, excess, cost) with day periods, one row per day of the report range. To add
concurrent, floating or rau, add their SQL to ``MODELS`` (and their options to
``model_parameters``).

Input: files holding the canonical columns, as ``bench/generate.py`` writes them: Parquet
(``ts`` a UTC timestamp) or CSV / CSV.gz (``ts`` ISO 8601 with offset). Run::

    /work/venv/bin/python bench/duckdb_models.py bench/data/events_10m.parquet \\
        --model daily-active --capacity 100 [--output usage.csv] [--threads 2]

It prints the usage table as CSV. It is a benchmark peer, not a second implementation:
rejects, aliases and mixed timestamp forms are licaudit's job only.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path
from typing import Any

import duckdb

# One row per input event, normalised. `user_key` is null for anonymous rows, which still
# count for the report range (SPEC 3: all non-rejected events).
EVENTS_SQL = """
events AS (
    SELECT
        CAST(timezone($timezone, CAST(ts AS TIMESTAMPTZ)) AS DATE) AS day,
        CASE
            WHEN "user" IS NULL
              OR lower(trim("user")) IN ('', '-', 'anonymous', 'guest')
              OR authenticated IS NOT DISTINCT FROM false
            THEN NULL
            ELSE lower(trim("user"))
        END AS user_key,
        coalesce(nullif(lower(trim(method)), ''), 'unknown') AS method,
        coalesce(nullif(lower(trim(product)), ''), 'default') AS product
    FROM {source}
    WHERE ts IS NOT NULL
)"""

# SPEC 3.1. m = distinct methods, s = distinct sync methods of a (day, user);
# per-method: seats = 1 + max(0, m - max_methods, s - max_sync_methods);
# block:      seats = max(1, ceil(m / max_methods), ceil(s / max_sync_methods)).
DAILY_ACTIVE_SQL = """
WITH {events},
user_days AS (
    SELECT
        day,
        user_key,
        count(DISTINCT method) FILTER (WHERE in_scope) AS m,
        count(DISTINCT method) FILTER (
            WHERE in_scope AND list_contains($sync_methods, method)) AS s
    FROM (SELECT *, $scope IS NULL OR product = $scope AS in_scope FROM events)
    GROUP BY day, user_key
),
-- The report range spans every event's day, whatever its product or user.
report_days AS (
    SELECT CAST(unnest(generate_series(
        CAST(min(day) AS TIMESTAMP), CAST(max(day) AS TIMESTAMP), INTERVAL 1 DAY
    )) AS DATE) AS day
    FROM user_days
),
seats AS (
    SELECT
        day,
        CAST(sum(CASE $overflow
            WHEN 'block' THEN greatest(
                1, ceil(m / $max_methods), ceil(s / $max_sync_methods))
            ELSE 1 + greatest(0, m - $max_methods, s - $max_sync_methods)
        END) AS BIGINT) AS units
    FROM user_days
    WHERE user_key IS NOT NULL AND m > 0
    GROUP BY day
)
SELECT
    $contract AS contract,
    'daily-active' AS model,
    coalesce($scope, '*') AS scope,
    strftime(report_days.day, '%Y-%m-%d') AS period,
    coalesce(seats.units, 0) AS units,
    $capacity AS capacity,
    CASE WHEN $capacity IS NOT NULL
        THEN greatest(0, coalesce(seats.units, 0) - $capacity) END AS excess,
    NULL AS cost
FROM report_days
LEFT JOIN seats USING (day)
ORDER BY report_days.day
"""

MODELS: dict[str, str] = {
    "daily-active": DAILY_ACTIVE_SQL,
}
USAGE_COLUMNS = ("contract", "model", "scope", "period", "units", "capacity", "excess", "cost")
CSV_COLUMNS = (
    "{'ts': 'TIMESTAMPTZ', 'user': 'VARCHAR', 'method': 'VARCHAR', 'product': 'VARCHAR', "
    "'session': 'VARCHAR', 'device': 'VARCHAR', 'authenticated': 'BOOLEAN'}"
)


def source_relation(paths: list[Path]) -> str:
    """The FROM clause reading ``paths`` (all Parquet, or all CSV / CSV.gz)."""
    listed = "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths) + "]"
    if all(path.suffix == ".parquet" for path in paths):
        return f"read_parquet({listed})"
    return f"read_csv({listed}, header = true, columns = {CSV_COLUMNS})"


def model_parameters(args: argparse.Namespace) -> dict[str, Any]:
    parameters: dict[str, Any] = {
        "contract": args.contract or args.model,
        "timezone": args.timezone,
        "scope": args.scope.strip().lower() if args.scope else None,
        "capacity": args.capacity,
    }
    if args.model == "daily-active":
        parameters |= {
            "overflow": args.overflow,
            "max_methods": args.max_methods,
            "max_sync_methods": args.max_sync_methods,
            "sync_methods": [method.strip().lower() for method in args.sync_methods.split(",")],
        }
    return parameters


def run_model(
    paths: list[Path], model: str, parameters: dict[str, Any], threads: int | None = None
) -> list[tuple[Any, ...]]:
    """The usage table of ``model`` over ``paths``, as rows in ``USAGE_COLUMNS`` order."""
    connection = duckdb.connect()
    # A Parquet or CSV timestamp without zone is UTC, as licaudit's default input_timezone.
    connection.execute("SET TimeZone = 'UTC'")
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    events = EVENTS_SQL.format(source=source_relation(paths))
    sql = MODELS[model].format(events=events)
    return connection.execute(sql, parameters).fetchall()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", type=Path, nargs="+")
    parser.add_argument("--model", choices=sorted(MODELS), default="daily-active")
    parser.add_argument("--contract", help="contract name (default: the model name)")
    parser.add_argument("--capacity", type=int)
    parser.add_argument("--timezone", default="Europe/Paris")
    parser.add_argument("--scope", help="keep only this product's events")
    parser.add_argument("--overflow", choices=("per-method", "block"), default="per-method")
    parser.add_argument("--max-methods", type=int, default=5)
    parser.add_argument("--max-sync-methods", type=int, default=2)
    parser.add_argument("--sync-methods", default="sync,netsync", help="comma-separated")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument("--output", type=Path, help="CSV file (default: stdout)")
    args = parser.parse_args()
    rows = run_model(args.paths, args.model, model_parameters(args), args.threads)
    if args.output is None:
        sink = sys.stdout
        csv.writer(sink, lineterminator="\n").writerows([USAGE_COLUMNS, *rows])
        return
    with args.output.open("w", newline="", encoding="utf-8") as sink:
        csv.writer(sink, lineterminator="\n").writerows([USAGE_COLUMNS, *rows])


if __name__ == "__main__":
    main()
