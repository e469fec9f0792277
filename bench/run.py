"""Time a command N times: best and median wall time, and peak RSS.

Each run happens inside a fresh Python subprocess that starts the command, waits for it
and reads ``resource.getrusage(RUSAGE_CHILDREN).ru_maxrss``: the peak resident set of the
largest process of the command's tree (not the sum of processes alive at once), and, since
that process is fresh, of this run only. The wall time covers the command alone, from
start to exit, including its interpreter start-up and imports. The command's stdout is
discarded (``--keep-output`` shows it on stderr); its stderr is shown. A run that exits
non-zero stops the measurement.

Usage, from the project root::

    # any command: several arguments are run as is, a single one through /bin/sh
    /work/venv/bin/python bench/run.py -n 3 -- licaudit report bench/data/events_1m.csv \\
        --model daily-active --capacity 100 --format csv --output /dev/null
    /work/venv/bin/python bench/run.py -- "zcat bench/data/events_1m.csv.gz | wc -l"

    # the DuckDB peer (bench/duckdb_models.py) on a file
    /work/venv/bin/python bench/run.py --duckdb bench/data/events_10m.parquet \\
        --model daily-active --capacity 100

``--json FILE`` appends one JSON line per measurement; the last line printed is a
Markdown table row for ``bench/RESULTS.md``.
"""

from __future__ import annotations

import argparse
import json
import shlex
import statistics
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# Runs in the fresh subprocess: argv[1] = the command as JSON, argv[2] = "shell" or "exec",
# argv[3] = "keep" or "drop" for the command's stdout.
MEASURE = """
import json, resource, subprocess, sys, time
command = json.loads(sys.argv[1])
stdout = sys.stderr if sys.argv[3] == "keep" else subprocess.DEVNULL
started = time.perf_counter()
code = subprocess.call(command, shell=sys.argv[2] == "shell", stdout=stdout)
wall = time.perf_counter() - started
peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall_s": wall, "peak_rss_kib": peak_kib, "exit_code": code}))
"""


@dataclass
class Measurement:
    """What ``run.py`` found for one command."""

    label: str
    command: str
    runs: int
    best_s: float
    median_s: float
    peak_rss_mib: float
    walls_s: list[float]


def measure_once(command: list[str], keep_output: bool) -> dict[str, float]:
    shell = "shell" if len(command) == 1 else "exec"
    payload = json.dumps(command[0] if len(command) == 1 else command)
    keep = "keep" if keep_output else "drop"
    result = subprocess.run(
        [sys.executable, "-c", MEASURE, payload, shell, keep],
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    report: dict[str, float] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


def measure(
    command: list[str], runs: int, warmup: int, label: str, keep_output: bool
) -> Measurement:
    walls: list[float] = []
    peak_kib = 0.0
    for index in range(warmup + runs):
        report = measure_once(command, keep_output)
        if report["exit_code"] != 0:
            sys.exit(f"run {index + 1} exited with {int(report['exit_code'])}: {label}")
        kind = "warm-up" if index < warmup else f"run {index - warmup + 1}/{runs}"
        print(
            f"  {kind}: {report['wall_s']:.2f} s, peak RSS {report['peak_rss_kib'] / 1024:.0f} MiB",
            file=sys.stderr,
        )
        if index >= warmup:
            walls.append(report["wall_s"])
            peak_kib = max(peak_kib, report["peak_rss_kib"])
    return Measurement(
        label=label,
        command=shlex.join(command) if len(command) > 1 else command[0],
        runs=runs,
        best_s=min(walls),
        median_s=statistics.median(walls),
        peak_rss_mib=peak_kib / 1024,
        walls_s=walls,
    )


def duckdb_command(args: argparse.Namespace) -> list[str]:
    command = [sys.executable, str(BENCH / "duckdb_models.py"), str(args.duckdb)]
    command += ["--model", args.model, "--output", "/dev/null"]
    if args.capacity is not None:
        command += ["--capacity", str(args.capacity)]
    if args.threads:
        command += ["--threads", str(args.threads)]
    return command


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        usage="%(prog)s [options] -- COMMAND [ARG...]  |  %(prog)s [options] --duckdb FILE",
    )
    parser.add_argument("-n", "--runs", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=0, help="runs not counted, first")
    parser.add_argument("--label", help="name in the results (default: the command)")
    parser.add_argument("--json", type=Path, help="append the measurement to this JSONL file")
    parser.add_argument("--keep-output", action="store_true", help="show the command's stdout")
    parser.add_argument("--duckdb", type=Path, help="time the DuckDB peer on this file")
    parser.add_argument("--model", default="daily-active", help="DuckDB peer model")
    parser.add_argument("--capacity", type=int, help="DuckDB peer capacity")
    parser.add_argument("--threads", type=int, help="DuckDB peer threads")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    command: list[str] = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.duckdb is not None:
        if command:
            parser.error("give either --duckdb FILE or a command after --, not both")
        command = duckdb_command(args)
        default_label = f"duckdb {args.model} {args.duckdb.name}"
    elif not command:
        parser.error("no command: put it after --, or use --duckdb FILE")
    else:
        default_label = command[0] if len(command) == 1 else shlex.join(command)
    label = args.label or default_label
    print(f"{label}: {args.runs} run(s)", file=sys.stderr)
    result = measure(command, args.runs, args.warmup, label, args.keep_output)
    if args.json is not None:
        with args.json.open("a", encoding="utf-8") as sink:
            sink.write(json.dumps(asdict(result)) + "\n")
    print(
        f"best {result.best_s:.2f} s, median {result.median_s:.2f} s, "
        f"peak RSS {result.peak_rss_mib:.0f} MiB"
    )
    print(
        f"| {label} | {result.runs} | {result.best_s:.2f} | {result.median_s:.2f} "
        f"| {result.peak_rss_mib:.0f} |"
    )


if __name__ == "__main__":
    main()
