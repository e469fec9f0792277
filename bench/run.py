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
    .venv/bin/python bench/run.py -n 3 -- licaudit report bench/data/events_1m.csv \\
        --model daily-active --capacity 100 --format csv --output /dev/null
    .venv/bin/python bench/run.py -- "zcat bench/data/events_1m.csv.gz | wc -l"

    # the DuckDB peer (bench/duckdb_models.py) on a file
    .venv/bin/python bench/run.py --duckdb bench/data/events_10m.parquet \\
        --model daily-active --capacity 100

    # licaudit and the peer on one file, model by model, runs interleaved so that both
    # see the same load; their usage tables are checked equal (contract, model, scope,
    # period, units, capacity, excess); "four" = the four event models together
    # (bench/four_models.toml for licaudit, --model all --overflow block for the peer)
    .venv/bin/python bench/run.py -n 3 --compare bench/data/events_10m.parquet \
        [--models daily-active,concurrent,floating,rau,four] [--roster bench/data/roster.csv]

``--json FILE`` appends one JSON line per measurement; the last line printed is a
Markdown table row for ``bench/RESULTS.md`` (``--compare``: a whole table, with events per
second; ``--results bench/RESULTS.md`` appends it there with the machine and versions).
Each run also records its CPU time (user + system, of the command's whole tree) and the
1-minute load average when it starts: on a shared machine the wall time depends on the
others' work, the CPU time much less.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import gzip
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# Runs in the fresh subprocess: argv[1] = the command as JSON, argv[2] = "shell" or "exec",
# argv[3] = "keep" or "drop" for the command's stdout.
MEASURE = """
import json, os, resource, subprocess, sys, time
command = json.loads(sys.argv[1])
stdout = sys.stderr if sys.argv[3] == "keep" else subprocess.DEVNULL
load = os.getloadavg()[0]
started = time.perf_counter()
code = subprocess.call(command, shell=sys.argv[2] == "shell", stdout=stdout)
wall = time.perf_counter() - started
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({"wall_s": wall, "cpu_s": usage.ru_utime + usage.ru_stime,
                  "peak_rss_kib": usage.ru_maxrss, "load": load, "exit_code": code}))
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
    cpus_s: list[float]
    loads: list[float]

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(self.cpus_s)

    @property
    def load_range(self) -> str:
        """The 1-minute load averages at the runs' starts, lowest-highest."""
        low, high = min(self.loads), max(self.loads)
        return f"{low:.1f}" if f"{low:.1f}" == f"{high:.1f}" else f"{low:.1f}-{high:.1f}"


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


def run_once(command: list[str], keep_output: bool, label: str, kind: str) -> dict[str, float]:
    """One run of ``command``; stops the whole measurement if it fails."""
    report = measure_once(command, keep_output)
    if report["exit_code"] != 0:
        sys.exit(f"{kind} exited with {int(report['exit_code'])}: {label}")
    print(
        f"  {label}, {kind}: {report['wall_s']:.2f} s, CPU {report['cpu_s']:.2f} s, "
        f"peak RSS {report['peak_rss_kib'] / 1024:.0f} MiB, load {report['load']:.1f}",
        file=sys.stderr,
    )
    return report


def summary(label: str, command: list[str], reports: list[dict[str, float]]) -> Measurement:
    walls = [report["wall_s"] for report in reports]
    return Measurement(
        label=label,
        command=shlex.join(command) if len(command) > 1 else command[0],
        runs=len(reports),
        best_s=min(walls),
        median_s=statistics.median(walls),
        peak_rss_mib=max(report["peak_rss_kib"] for report in reports) / 1024,
        walls_s=walls,
        cpus_s=[report["cpu_s"] for report in reports],
        loads=[report["load"] for report in reports],
    )


def measure(
    command: list[str], runs: int, warmup: int, label: str, keep_output: bool
) -> Measurement:
    reports: list[dict[str, float]] = []
    for index in range(warmup + runs):
        kind = "warm-up" if index < warmup else f"run {index - warmup + 1}/{runs}"
        report = run_once(command, keep_output, label, kind)
        if index >= warmup:
            reports.append(report)
    return summary(label, command, reports)


def duckdb_command(
    args: argparse.Namespace, path: Path, model: str, output: str = "/dev/null"
) -> list[str]:
    command = [sys.executable, str(BENCH / "duckdb_models.py"), str(path)]
    command += ["--model", model, "--output", output]
    if args.capacity is not None:
        command += ["--capacity", str(args.capacity)]
    for option in ("overflow", "window", "inactivity", "roster", "threads"):
        value = getattr(args, option)
        if value:
            command += [f"--{option}", str(value)]
    return command


# --compare: what each case runs. "four" is the four event models together.
FOUR = "four"
CONTRACT_FOUR = BENCH / "four_models.toml"
USAGE_KEY = ("contract", "model", "scope", "period", "units", "capacity", "excess")


def compile_licaudit() -> None:
    """Write licaudit's bytecode, as ``pip install .`` does: an editable install run with
    ``PYTHONDONTWRITEBYTECODE=1`` would otherwise compile every module on every run
    (0.2 s of a 10 M-event report on the machine of RESULTS.md)."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("licaudit")
    folders = spec.submodule_search_locations if spec is not None else None
    for folder in folders or []:
        compileall.compile_dir(folder, quiet=1)


def licaudit_executable() -> list[str]:
    script = Path(sys.executable).with_name("licaudit")
    return [str(script)] if script.exists() else [sys.executable, "-m", "licaudit"]


def compare_commands(
    args: argparse.Namespace, case: str, outputs: Path
) -> tuple[list[str], list[str]]:
    """The licaudit and peer commands of one ``--compare`` case, writing their CSVs."""
    path = args.compare
    ours = [*licaudit_executable(), "report", str(path), "--format", "csv"]
    ours += ["--output", str(outputs / f"licaudit-{case}.csv")]
    peer_output = str(outputs / f"duckdb-{case}.csv")
    if case == FOUR:
        # The peer takes the contract file's capacity (one for the four) and overflow.
        contracts = tomllib.loads(CONTRACT_FOUR.read_text(encoding="utf-8"))["contract"]
        (capacity,) = {contract["capacity"] for contract in contracts}
        ours += ["--contract", str(CONTRACT_FOUR)]
        peer_args = argparse.Namespace(**{**vars(args), "overflow": "block", "capacity": capacity})
        return ours, duckdb_command(peer_args, path, "all", peer_output)
    ours += ["--model", case]
    if args.capacity is not None:
        ours += ["--capacity", str(args.capacity)]
    if case == "accounts":
        ours += ["--roster", str(args.roster)]
    return ours, duckdb_command(args, path, case, peer_output)


def event_count(path: Path) -> int:
    """Rows of a Parquet file (its footer), or of a CSV file (its lines less the header)."""
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        return int(pq.ParquetFile(path).metadata.num_rows)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as source:
        return max(sum(1 for _ in source) - 1, 0)


def machine() -> str:
    """One line on the machine and the versions, for RESULTS.md."""
    import platform
    from importlib.metadata import version

    cpu = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    versions = ", ".join(
        f"{name} {version(name)}" for name in ("polars", "pyarrow", "duckdb", "licaudit")
    )
    return (
        f"Machine: {cpu}, {os.cpu_count()} CPUs, {memory:.0f} GiB; Python "
        f"{platform.python_version()}, {versions}."
    )


def usage_rows(path: Path) -> list[tuple[str, ...]]:
    with path.open(newline="", encoding="utf-8") as source:
        return [tuple(row[name] for name in USAGE_KEY) for row in csv.DictReader(source)]


def compare(args: argparse.Namespace) -> None:
    """Time licaudit and the peer case by case, runs interleaved, and check their tables."""
    cases = [case.strip() for case in args.models.split(",") if case.strip()]
    if "accounts" in cases and args.roster is None:
        sys.exit("--compare with accounts needs --roster FILE")
    with tempfile.TemporaryDirectory(prefix="licaudit-bench-") as scratch:
        outputs = Path(scratch)
        commands = {case: compare_commands(args, case, outputs) for case in cases}
        reports: dict[tuple[str, str], list[dict[str, float]]] = {}
        for index in range(args.warmup + args.runs):
            kind = "warm-up" if index < args.warmup else f"run {index - args.warmup + 1}"
            for case, pair in commands.items():
                for engine, command in zip(("licaudit", "duckdb"), pair, strict=True):
                    report = run_once(command, args.keep_output, f"{engine} {case}", kind)
                    if index >= args.warmup:
                        reports.setdefault((case, engine), []).append(report)
        equal = {
            case: usage_rows(outputs / f"licaudit-{case}.csv")
            == usage_rows(outputs / f"duckdb-{case}.csv")
            for case in cases
        }
    rows: list[Measurement] = []
    events = event_count(args.compare)
    lines = [
        f"`{args.compare.name}` ({events:,} events), {args.runs} run(s) each, interleaved",
        "",
        "| model | engine | best (s) | median (s) | median CPU (s) | peak RSS (MiB) "
        "| events/s (best) | load | usage equal |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for case in cases:
        for engine, command in zip(("licaudit", "duckdb"), commands[case], strict=True):
            result = summary(f"{engine} {case}", command, reports[(case, engine)])
            rows.append(result)
            same = ("yes" if equal[case] else "**NO**") if engine == "licaudit" else ""
            lines.append(
                f"| {case} | {engine} | {result.best_s:.2f} | {result.median_s:.2f} "
                f"| {result.median_cpu_s:.2f} | {result.peak_rss_mib:,.0f} "
                f"| {events / result.best_s / 1e6:.1f} M | {result.load_range} | {same} |"
            )
    lines.append("")
    for ours, peer in zip(rows[::2], rows[1::2], strict=True):
        lines.append(
            f"- {ours.label}: {ours.best_s / peer.best_s:.2f}x the peer's best time, "
            f"{ours.median_s / peer.median_s:.2f}x its median, "
            f"{ours.median_cpu_s / peer.median_cpu_s:.2f}x its CPU, "
            f"{ours.peak_rss_mib / peer.peak_rss_mib:.2f}x its peak RSS"
        )
    table = "\n".join(lines)
    print("\n" + table)
    if args.results is not None:
        with args.results.open("a", encoding="utf-8") as sink:
            sink.write(f"\n\n### `run.py --compare`, {time.strftime('%Y-%m-%d %H:%M %Z')}\n\n")
            sink.write(machine() + "\n\n" + table + "\n")
    if args.json is not None:
        with args.json.open("a", encoding="utf-8") as sink:
            for result in rows:
                sink.write(json.dumps(asdict(result)) + "\n")
    if not all(equal.values()):
        sys.exit("usage tables differ: " + ", ".join(c for c, same in equal.items() if not same))


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
    parser.add_argument(
        "--results",
        type=Path,
        help="--compare: append the table, machine and versions to this file (bench/RESULTS.md)",
    )
    parser.add_argument("--duckdb", type=Path, help="time the DuckDB peer on this file")
    parser.add_argument(
        "--compare", type=Path, help="time licaudit and the peer on this file, check equality"
    )
    parser.add_argument(
        "--models",
        default=f"daily-active,concurrent,floating,rau,{FOUR}",
        help=f"--compare cases, comma-separated: models, and {FOUR} (the four together)",
    )
    parser.add_argument("--model", default="daily-active", help="DuckDB peer model(s), or all")
    parser.add_argument("--capacity", type=int, help="capacity (--compare: default 100)")
    parser.add_argument("--threads", type=int, help="DuckDB peer threads")
    parser.add_argument("--overflow", help="DuckDB peer daily-active overflow")
    parser.add_argument("--window", help="DuckDB peer concurrent window (10m)")
    parser.add_argument("--inactivity", help="DuckDB peer floating inactivity (30d)")
    parser.add_argument("--roster", type=Path, help="roster CSV, for accounts")
    parser.add_argument("command", nargs=argparse.REMAINDER)
    args = parser.parse_args()
    compile_licaudit()
    command: list[str] = args.command[1:] if args.command[:1] == ["--"] else args.command
    if args.compare is not None:
        if command or args.duckdb is not None:
            parser.error("--compare FILE runs its own commands: give no other")
        if args.capacity is None:
            args.capacity = 100
        compare(args)
        return
    if args.duckdb is not None:
        if command:
            parser.error("give either --duckdb FILE or a command after --, not both")
        command = duckdb_command(args, args.duckdb, args.model)
        default_label = f"duckdb {args.model} {args.duckdb.name}"
    elif not command:
        parser.error("no command: put it after --, or use --duckdb FILE or --compare FILE")
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
        f"median CPU {result.median_cpu_s:.2f} s, peak RSS {result.peak_rss_mib:.0f} MiB, "
        f"load {result.load_range}"
    )
    print(
        f"| {label} | {result.runs} | {result.best_s:.2f} | {result.median_s:.2f} "
        f"| {result.peak_rss_mib:.0f} | {result.median_cpu_s:.2f} | {result.load_range} |"
    )


if __name__ == "__main__":
    main()
