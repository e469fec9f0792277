"""The licence models as DuckDB SQL: the peer licaudit's timings are measured against.

Each model is one SQL text in ``MODELS`` (model name -> SQL). They share the CTEs of
``COMMON_SQL``: ``events``, the input rows normalised as SPEC 1.2 says (``user`` trimmed
and lowercased, anonymous when null, empty, ``-``, ``anonymous``, ``guest`` or
``authenticated = false``; ``method`` and ``product`` trimmed and lowercased, empty ->
``unknown`` / ``default``; ``session`` as written, empty -> null), and ``calendar``, the
local days of the report range (from the local day of the earliest event to that of the
latest, every product) with their first instants. A model reads the named parameters
``$contract``, ``$timezone``, ``$scope`` (one product, or null for every product),
``$capacity`` and its own options, and returns the usage table of SPEC 3 (contract,
model, scope, period, units, capacity, excess, cost) with day periods, one row per day of
the report range (per product for ``rau``).

- ``daily-active`` (SPEC 3.1): seats per (day, user) from distinct methods.
- ``concurrent`` (SPEC 3.2, sliding window): busy spans of (identity, method) slots
  merged with LAG/LEAD over each slot, then the exact peak of each day by one running
  SUM over the spans' edges.
- ``floating`` (SPEC 3.3): licences [first, last + inactivity) from LAG/LEAD over each
  user's per-period first and last events, then the same sweep.
- ``rau`` (SPEC 3.6): month-to-date distinct authenticated users per product and day.
- ``accounts`` (SPEC 3.4): from a roster (``--roster``: ts, user, status, product),
  accounts active for any product, the same sweep.

Local days. The local day of an event is looked up by its quarter hour (``quarters``:
every UTC quarter hour of the range with its local day, a few thousand rows, joined on
``epoch_us(ts) // 900000000``): timezone offsets and DST switches in use since 1990 fall
on whole quarter hours, so no quarter hour straddles a local midnight, and a hash join on
an integer costs less than DuckDB's ICU ``timezone()`` on every row (daily-active on 10 M
rows: 2.4 s of CPU instead of 3.0 s).
Concurrency peaks never need an event's day: the sweep puts a mark at each day's first
instant and numbers the days by a running count of marks.

Input: files holding the canonical columns, as ``bench/generate.py`` writes them: Parquet
(``ts`` a UTC timestamp) or CSV / CSV.gz (``ts`` ISO 8601 with offset). The report range
is read with a first ``min(ts), max(ts)`` scan (one column of a Parquet file: ~0.1 s on
10 M rows; a CSV is parsed twice). Run::

    .venv/bin/python bench/duckdb_models.py bench/data/events_10m.parquet \\
        --model concurrent --capacity 100 [--window 10m] [--output usage.csv] [--threads 2]
    # several models in one process (each its own query, one after the other):
    .venv/bin/python bench/duckdb_models.py bench/data/events_10m.parquet \\
        --model all --overflow block --capacity 100
    .venv/bin/python bench/duckdb_models.py bench/data/events_10m.parquet \\
        --model accounts --roster bench/data/roster.csv --capacity 100

``--model`` takes one model, a comma-separated list, or ``all`` (the four models of the
access events: daily-active, concurrent, floating, rau). It prints the usage table as CSV.
It is a benchmark peer, not a second implementation: rejects, aliases and mixed timestamp
forms are licaudit's job only.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from pathlib import Path
from typing import Any

import duckdb

# Shared CTEs. `events`: one row per input event, normalised; `user_key` is null for
# anonymous rows, which still count for the report range (SPEC 3: all non-rejected
# events). `calendar`: the report range's local days numbered from 1, with the first
# instant of each (µs since the epoch), plus one row for the day after the range whose
# start is the range's end; `report_days` leaves that one out. `quarters`: the local day
# of every UTC quarter hour of the range.
COMMON_SQL = """
bounds AS (
    SELECT min(ts) AS first_ts, max(ts) AS last_ts FROM {source} WHERE ts IS NOT NULL
),
calendar AS (
    SELECT
        CAST(day AS DATE) AS day,
        row_number() OVER (ORDER BY day) AS day_index,
        epoch_us(timezone($timezone, day)) AS start_us
    FROM (
        SELECT unnest(generate_series(
            CAST(CAST(timezone($timezone, first_ts) AS DATE) AS TIMESTAMP),
            CAST(CAST(timezone($timezone, last_ts) AS DATE) AS TIMESTAMP) + INTERVAL 1 DAY,
            INTERVAL 1 DAY
        )) AS day
        FROM bounds
    )
),
report_days AS (
    SELECT * FROM calendar WHERE day_index < (SELECT max(day_index) FROM calendar)
),
quarters AS (
    SELECT
        quarter,
        CAST(timezone(
            $timezone, CAST(make_timestamp(quarter * 900000000) AS TIMESTAMPTZ)
        ) AS DATE) AS day
    FROM (
        SELECT unnest(range(
            epoch_us(first_ts) // 900000000, epoch_us(last_ts) // 900000000 + 1
        )) AS quarter
        FROM bounds
    )
),
events AS (
    SELECT
        epoch_us(ts) AS us,
        epoch_us(ts) // 900000000 AS quarter,
        CASE
            WHEN "user" IS NULL
              OR lower(trim("user")) IN ('', '-', 'anonymous', 'guest')
              OR authenticated IS NOT DISTINCT FROM false
            THEN NULL
            ELSE lower(trim("user"))
        END AS user_key,
        coalesce(nullif(lower(trim(method)), ''), 'unknown') AS method,
        coalesce(nullif(lower(trim(product)), ''), 'default') AS product,
        nullif(session, '') AS session,
        $scope IS NULL OR coalesce(nullif(lower(trim(product)), ''), 'default') = $scope
            AS in_scope
    FROM {source}
    WHERE ts IS NOT NULL
)"""

# The exact peak of each day from `edges` (t in µs since the epoch, delta = +n where n
# spans start, -n where they end). Edges are summed per instant, so what ends at t and
# what starts at t are never counted together (half-open spans); each day start gets a
# mark (delta 0), so every day has a row holding the count carried in from before it,
# and the running count of marks numbers the day of each instant. One running SUM over
# the instants in time order gives the count holding from each instant on; a day's units
# are the largest of its instants'. Edges before the range fall on day 0, after it on
# the day after it: neither is reported.
SWEEP_SQL = """
instants AS (
    SELECT t, sum(delta) AS delta, sum(mark) AS marks
    FROM (
        SELECT t, delta, 0 AS mark FROM edges
        UNION ALL
        SELECT start_us, 0, 1 FROM calendar
    )
    GROUP BY t
),
swept AS (
    SELECT sum(delta) OVER running AS busy, sum(marks) OVER running AS day_index
    FROM instants
    WINDOW running AS (ORDER BY t ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)
),
day_units AS (
    SELECT CAST(day_index AS BIGINT) AS day_index, CAST(max(busy) AS BIGINT) AS units
    FROM swept
    GROUP BY day_index
)"""

# The usage table from `report_days` and `day_units` (day_index, units).
USAGE_SQL = """
SELECT
    $contract AS contract,
    '{model}' AS model,
    coalesce($scope, '*') AS scope,
    strftime(report_days.day, '%Y-%m-%d') AS period,
    coalesce(day_units.units, 0) AS units,
    $capacity AS capacity,
    CASE WHEN $capacity IS NOT NULL
        THEN greatest(0, coalesce(day_units.units, 0) - $capacity) END AS excess,
    NULL AS cost
FROM report_days
LEFT JOIN day_units USING (day_index)
ORDER BY report_days.day
"""

# SPEC 3.1. m = distinct methods, s = distinct sync methods of a (day, user);
# per-method: seats = 1 + max(0, m - max_methods, s - max_sync_methods);
# block:      seats = max(1, ceil(m / max_methods), ceil(s / max_sync_methods)).
DAILY_ACTIVE_SQL = """
WITH {common},
user_days AS (
    SELECT
        quarters.day,
        user_key,
        count(DISTINCT method) AS m,
        count(DISTINCT method) FILTER (WHERE list_contains($sync_methods, method)) AS s
    FROM events
    JOIN quarters USING (quarter)
    WHERE in_scope AND user_key IS NOT NULL
    GROUP BY quarters.day, user_key
),
day_units AS (
    SELECT
        day_index,
        CAST(sum(CASE $overflow
            WHEN 'block' THEN greatest(
                1, ceil(m / $max_methods), ceil(s / $max_sync_methods))
            ELSE 1 + greatest(0, m - $max_methods, s - $max_sync_methods)
        END) AS BIGINT) AS units
    FROM user_days
    JOIN report_days USING (day)
    GROUP BY day_index
)""" + USAGE_SQL.replace("{model}", "daily-active")

# SPEC 3.2, window_mode = "sliding". A slot is (user, method) for authenticated rows and
# (session, method) for anonymous ones (`visitor`; kept apart from user names, so a user
# called like a session is another slot); an anonymous row without session is a slot of
# its own (`lone`). An event at t keeps its slot busy over [t, t + window); spans of one
# slot overlap or touch exactly when its events are at most `window` apart, so a merged
# span opens at an event whose previous one in its slot (LAG) is more than `window`
# before it, and closes `window` after an event whose next one (LEAD) is more than
# `window` after it. Only those edges are kept: +1 at an opening, -1 at a closing.
# The window orders every event by (slot, ts) with the slot as a 64-bit hash: one sort of
# two integers is 2.5x cheaper here than PARTITION BY the slot's strings (or than
# numbering the slots through a dictionary join). A second hash, of the slot's text
# (user or session, then method), guards against collisions: two slots sharing the
# first hash are told apart by the second, and the query then stops with an error
# (`SlotCollision`) rather than merge them; `run_model` then reruns it with
# `slot_order = "exact"`, which partitions by the strings.
CONCURRENT_SQL = (
    """
WITH {common},
slot_events AS (
    SELECT
        us,
        hash(user_key, visitor, method) AS slot,
        hash(coalesce(user_key, visitor) || method) AS check_slot,
        user_key,
        visitor,
        method,
        user_key IS NULL AND visitor IS NULL AS lone
    FROM (
        SELECT us, user_key, CASE WHEN user_key IS NULL THEN session END AS visitor, method
        FROM events
        WHERE in_scope
    )
),
spans AS (
    SELECT
        us,
        lone OR coalesce({new_slot_before} OR us - lag(us) OVER slot > $window_us, true)
            AS opens,
        lone OR coalesce({new_slot_after} OR lead(us) OVER slot - us > $window_us, true)
            AS closes,
        {collision} AS collision
    FROM slot_events
    WINDOW slot AS ({slot_window})
),
-- Openings and closings counted per instant first: a third as many rows to unnest.
edges AS (
    SELECT unnest([us, us + $window_us]) AS t, unnest([opened, -closed]) AS delta
    FROM (
        SELECT
            us,
            count(*) FILTER (WHERE opens) AS opened,
            count(*) FILTER (WHERE closes) AS closed
        FROM spans
        WHERE CASE
            WHEN collision THEN CAST(error('SlotCollision') AS BOOLEAN)
            ELSE opens OR closes
        END
        GROUP BY us
    )
),"""
    + SWEEP_SQL
    + USAGE_SQL.replace("{model}", "concurrent")
)
SLOT_ORDERS = {
    "hashed": {
        "{slot_window}": "ORDER BY slot, us",
        "{new_slot_before}": "slot <> lag(slot) OVER slot",
        "{new_slot_after}": "slot <> lead(slot) OVER slot",
        "{collision}": "coalesce(slot = lag(slot) OVER slot "
        "AND check_slot <> lag(check_slot) OVER slot, false)",
    },
    "exact": {
        "{slot_window}": "PARTITION BY user_key, visitor, method ORDER BY us",
        "{new_slot_before}": "false",
        "{new_slot_after}": "false",
        "{collision}": "false",
    },
}

# SPEC 3.3. Per authenticated user, a licence is assigned at the first event and at each
# event coming `inactivity` or more after the one before (at or after the release), and
# held over [first, last + inactivity). Events of one epoch-aligned period `inactivity`
# long are less than `inactivity` apart, so only each period's first and last event can
# open or close a licence: the window runs over those (a few rows per user), LAG finding
# the previous period with events whatever the gap. Licences still held after the last
# event close after the range and count on its remaining days.
FLOATING_SQL = (
    """
WITH {common},
periods AS (
    SELECT user_key, us // $inactivity_us AS period, min(us) AS first_us, max(us) AS last_us
    FROM events
    WHERE in_scope AND user_key IS NOT NULL
    GROUP BY user_key, period
),
licences AS (
    SELECT
        first_us,
        last_us,
        coalesce(first_us - lag(last_us) OVER holder >= $inactivity_us, true) AS assigns,
        coalesce(lead(first_us) OVER holder - last_us >= $inactivity_us, true) AS releases
    FROM periods
    WINDOW holder AS (PARTITION BY user_key ORDER BY period)
),
edges AS (
    SELECT
        unnest([first_us, last_us + $inactivity_us]) AS t,
        unnest([CAST(assigns AS INTEGER), -CAST(releases AS INTEGER)]) AS delta
    FROM licences
    WHERE assigns OR releases
),"""
    + SWEEP_SQL
    + USAGE_SQL.replace("{model}", "floating")
)

# SPEC 3.6. Per product: each authenticated user joins the month's count on the local
# day of their first event of the month; a day's units are the running sum of those
# newcomers since the month's first day. Every day of the range, for every product among
# the rows counted (authenticated rows in scope).
RAU_SQL = """
WITH {common},
user_months AS (
    SELECT product, user_key, min(quarters.day) AS first_day
    FROM events
    JOIN quarters USING (quarter)
    WHERE in_scope AND user_key IS NOT NULL
    GROUP BY product, user_key, date_trunc('month', quarters.day)
),
newcomers AS (
    SELECT product, first_day AS day, count(*) AS newcomers
    FROM user_months
    GROUP BY product, first_day
),
products AS (
    SELECT DISTINCT product FROM user_months
),
product_days AS (
    SELECT
        products.product,
        report_days.day,
        CAST(sum(coalesce(newcomers.newcomers, 0)) OVER (
            PARTITION BY products.product, date_trunc('month', report_days.day)
            ORDER BY report_days.day
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) AS BIGINT) AS units
    FROM products
    CROSS JOIN report_days
    LEFT JOIN newcomers
        ON newcomers.product = products.product AND newcomers.day = report_days.day
)
SELECT
    $contract AS contract,
    'rau' AS model,
    product AS scope,
    strftime(day, '%Y-%m-%d') AS period,
    units,
    $capacity AS capacity,
    CASE WHEN $capacity IS NOT NULL THEN greatest(0, units - $capacity) END AS excess,
    NULL AS cost
FROM product_days
ORDER BY product, day
"""

ACTIVE_WORDS = ("active", "activated", "enabled", "true", "1", "yes", "oui")
INACTIVE_WORDS = ("inactive", "deactivated", "disabled", "deleted", "false", "0", "no", "non")

# SPEC 1.5 and 3.4. Roster rows (ts, user, status[, product]); `seq` is the file order
# (row_number over the scan, which keeps it). A (user, product)'s state at an instant is
# the last of its rows there in file order, and holds until its next row: LAG over the
# key gives each instant's change of state (+1 activated, -1 deactivated, 0 repeated).
# An account is active while the running sum of its products' changes is positive; LAG
# over the user turns that into the account's own changes, the edges of the sweep.
ACCOUNTS_SQL = (
    """
WITH {common},
roster_rows AS (
    SELECT
        epoch_us(CAST(ts AS TIMESTAMPTZ)) AS us,
        lower(trim("user")) AS user_key,
        coalesce(nullif(lower(trim(product)), ''), 'default') AS product,
        CASE
            WHEN lower(trim(status)) IN {active_words} THEN 1
            WHEN lower(trim(status)) IN {inactive_words} THEN 0
        END AS active,
        seq
    FROM (SELECT *, row_number() OVER () AS seq FROM {roster})
    WHERE ts IS NOT NULL AND nullif(trim("user"), '') IS NOT NULL
),
key_states AS (
    SELECT user_key, product, us, arg_max(active, seq) AS active
    FROM roster_rows
    WHERE active IS NOT NULL AND ($scope IS NULL OR product = $scope)
    GROUP BY user_key, product, us
),
key_changes AS (
    SELECT
        user_key,
        us,
        active - coalesce(lag(active) OVER key_rows, 0) AS change
    FROM key_states
    WINDOW key_rows AS (PARTITION BY user_key, product ORDER BY us)
),
account_states AS (
    SELECT
        user_key,
        us,
        sum(sum(change)) OVER (
            PARTITION BY user_key ORDER BY us
            ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW
        ) > 0 AS active
    FROM key_changes
    GROUP BY user_key, us
),
edges AS (
    SELECT
        us AS t,
        CAST(active AS INTEGER)
            - CAST(coalesce(lag(active) OVER account, false) AS INTEGER) AS delta
    FROM account_states
    WINDOW account AS (PARTITION BY user_key ORDER BY us)
),"""
    + SWEEP_SQL
    + USAGE_SQL.replace("{model}", "accounts")
)

MODELS: dict[str, str] = {
    "daily-active": DAILY_ACTIVE_SQL,
    "concurrent": CONCURRENT_SQL,
    "floating": FLOATING_SQL,
    "rau": RAU_SQL,
    "accounts": ACCOUNTS_SQL,
}
# `--model all`: the models of the access events, as the benchmark runs them together.
EVENT_MODELS = ("daily-active", "concurrent", "floating", "rau")
ROSTER_MODELS = frozenset({"accounts"})
USAGE_COLUMNS = ("contract", "model", "scope", "period", "units", "capacity", "excess", "cost")
CSV_COLUMNS = (
    "{'ts': 'TIMESTAMPTZ', 'user': 'VARCHAR', 'method': 'VARCHAR', 'product': 'VARCHAR', "
    "'session': 'VARCHAR', 'device': 'VARCHAR', 'authenticated': 'BOOLEAN'}"
)
ROSTER_COLUMNS = (
    "{'ts': 'TIMESTAMPTZ', 'user': 'VARCHAR', 'status': 'VARCHAR', 'product': 'VARCHAR'}"
)
DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def duration_us(text: str) -> int:
    """``10m``, ``30d``, ``1h30m`` or a bare number of seconds, in microseconds (``d`` = 24 h)."""
    spelled = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", spelled):
        return round(float(spelled) * 1_000_000)
    if not spelled or DURATION_PART.sub("", spelled):
        raise argparse.ArgumentTypeError(f"{text!r} is not a duration like 10m, 30d or 1h30m")
    parts = DURATION_PART.findall(spelled)
    return round(sum(float(number) * UNIT_SECONDS[unit] for number, unit in parts) * 1_000_000)


def quoted_list(paths: list[Path]) -> str:
    return "[" + ", ".join("'" + str(path).replace("'", "''") + "'" for path in paths) + "]"


def source_relation(paths: list[Path]) -> str:
    """The FROM clause reading ``paths`` (all Parquet, or all CSV / CSV.gz)."""
    if all(path.suffix == ".parquet" for path in paths):
        return f"read_parquet({quoted_list(paths)})"
    return f"read_csv({quoted_list(paths)}, header = true, columns = {CSV_COLUMNS})"


def roster_relation(path: Path) -> str:
    return f"read_csv({quoted_list([path])}, header = true, columns = {ROSTER_COLUMNS})"


def model_sql(
    model: str, paths: list[Path], roster: Path | None = None, slot_order: str = "hashed"
) -> str:
    """The SQL text of ``model`` over ``paths`` (and ``roster`` for a roster model)."""
    # Placeholders are replaced, not formatted: the relations' column lists hold braces.
    sql = MODELS[model]
    for placeholder, text in (
        ("{roster}", roster_relation(roster) if roster is not None else ""),
        ("{active_words}", "(" + ", ".join(f"'{word}'" for word in ACTIVE_WORDS) + ")"),
        ("{inactive_words}", "(" + ", ".join(f"'{word}'" for word in INACTIVE_WORDS) + ")"),
        ("{common}", COMMON_SQL.replace("{source}", source_relation(paths))),
        *SLOT_ORDERS[slot_order].items(),
    ):
        sql = sql.replace(placeholder, text)
    return sql


def model_parameters(args: argparse.Namespace, model: str) -> dict[str, Any]:
    """The named parameters ``model``'s SQL reads (DuckDB refuses unused ones)."""
    parameters: dict[str, Any] = {
        "contract": args.contract or model,
        "timezone": args.timezone,
        "scope": args.scope.strip().lower() if args.scope else None,
        "capacity": args.capacity,
    }
    if model == "daily-active":
        parameters |= {
            "overflow": args.overflow,
            "max_methods": args.max_methods,
            "max_sync_methods": args.max_sync_methods,
            "sync_methods": [method.strip().lower() for method in args.sync_methods.split(",")],
        }
    elif model == "concurrent":
        parameters["window_us"] = args.window
    elif model == "floating":
        parameters["inactivity_us"] = args.inactivity
    return parameters


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect()
    # A Parquet or CSV timestamp without zone is read as UTC.
    connection.execute("SET TimeZone = 'UTC'")
    if threads:
        connection.execute(f"SET threads = {int(threads)}")
    return connection


def run_model(
    paths: list[Path],
    model: str,
    parameters: dict[str, Any],
    threads: int | None = None,
    roster: Path | None = None,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> list[tuple[Any, ...]]:
    """The usage table of ``model`` over ``paths``, as rows in ``USAGE_COLUMNS`` order."""
    connection = connection or connect(threads)
    try:
        return connection.execute(model_sql(model, paths, roster), parameters).fetchall()
    except duckdb.Error as error:
        if "SlotCollision" not in str(error):
            raise
    print(f"{model}: two slots share a hash; rerun partitioned by slot", file=sys.stderr)
    sql = model_sql(model, paths, roster, slot_order="exact")
    return connection.execute(sql, parameters).fetchall()


def model_list(text: str) -> list[str]:
    """``all``, one model or a comma-separated list of them."""
    if text.strip() == "all":
        return list(EVENT_MODELS)
    models = [name.strip() for name in text.split(",") if name.strip()]
    unknown = [name for name in models if name not in MODELS]
    if unknown or not models:
        known = ", ".join(sorted(MODELS))
        raise argparse.ArgumentTypeError(f"unknown model {unknown}: choose all or {known}")
    return models


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("paths", type=Path, nargs="+")
    parser.add_argument(
        "--model",
        type=model_list,
        default=["daily-active"],
        help=f"all, or one or more (comma-separated) of: {', '.join(MODELS)}",
    )
    parser.add_argument("--contract", help="contract name (default: the model name)")
    parser.add_argument("--capacity", type=int)
    parser.add_argument("--timezone", default="Europe/Paris")
    parser.add_argument("--scope", help="keep only this product's events")
    parser.add_argument("--overflow", choices=("per-method", "block"), default="per-method")
    parser.add_argument("--max-methods", type=int, default=5)
    parser.add_argument("--max-sync-methods", type=int, default=2)
    parser.add_argument("--sync-methods", default="sync,netsync", help="comma-separated")
    parser.add_argument(
        "--window", type=duration_us, default="10m", help="concurrent: busy span (10m)"
    )
    parser.add_argument(
        "--inactivity", type=duration_us, default="30d", help="floating: release after (30d)"
    )
    parser.add_argument("--roster", type=Path, help="accounts: roster CSV (ts,user,status,product)")
    parser.add_argument("--threads", type=int, help="DuckDB threads (default: all cores)")
    parser.add_argument("--output", type=Path, help="CSV file (default: stdout)")
    args = parser.parse_args()
    if any(model in ROSTER_MODELS for model in args.model) and args.roster is None:
        parser.error("accounts needs --roster FILE")
    connection = connect(args.threads)
    rows: list[tuple[Any, ...]] = []
    for model in args.model:
        parameters = model_parameters(args, model)
        rows += run_model(args.paths, model, parameters, roster=args.roster, connection=connection)
    if args.output is None:
        csv.writer(sys.stdout, lineterminator="\n").writerows([USAGE_COLUMNS, *rows])
        return
    with args.output.open("w", newline="", encoding="utf-8") as sink:
        csv.writer(sink, lineterminator="\n").writerows([USAGE_COLUMNS, *rows])


if __name__ == "__main__":
    main()
