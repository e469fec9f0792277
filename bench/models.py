"""Each model's own computation, in-process, against one Polars group-by pass over the file.

    python bench/models.py bench/data/events_10m.parquet --contract bench/four_models.toml

runs ``licaudit report`` on the file as the command line does (output discarded), keeping
the input each contract's model is given: the events read, screened, normalized and
encoded, and the contract's calendar. It then times each model's ``compute`` on that input
(``--runs`` times, best and median), next to the reference the issues measure against:
``scan_parquet(file).group_by(user).len()``, one pass over the file's user column
(``--pass-by`` groups by other columns too, to show what a wider pass costs). Times are
wall-clock, in one process, after one untimed run of each.
"""

from __future__ import annotations

# licaudit first: polars reads its allocator settings when it loads (licaudit/__init__.py),
# and the models are timed as the command line runs them.
# isort: off
import licaudit  # noqa: F401
# isort: on

import argparse
import contextlib
import gc
import io
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import polars as pl

import licaudit.audit as audit
from licaudit.cli.app import main


def timings(function: Callable[[], object], runs: int) -> tuple[float, float]:
    """Best and median wall time of ``runs`` calls, after one untimed call."""
    function()
    spent = []
    for _ in range(runs):
        gc.collect()
        started = time.perf_counter()
        function()
        spent.append(time.perf_counter() - started)
    return min(spent), statistics.median(spent)


def model_inputs(path: Path, contract: Path) -> dict[str, tuple[Any, Any]]:
    """Each contract's (model, model input), from one ``licaudit report`` run on ``path``."""
    kept: dict[str, tuple[Any, Any]] = {}
    made = audit._model_input

    def keep(prepared: Any, contract: Any, model: Any, *rest: Any) -> Any:
        model_input = made(prepared, contract, model, *rest)
        kept[contract.name] = (model, model_input)
        return model_input

    audit._model_input = keep
    arguments = ["report", str(path), "--contract", str(contract), "--format", "csv"]
    sys.argv = ["licaudit", *arguments, "--output", "/dev/null"]
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.suppress(SystemExit):
            main()
    finally:
        audit._model_input = made
    return kept


def group_by_pass(path: Path, keys: list[str]) -> Callable[[], object]:
    def one_pass() -> object:
        return pl.scan_parquet(path).group_by(keys).len().collect()

    return one_pass


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("file", type=Path, help="a Parquet file of events (bench/generate.py)")
    parser.add_argument("--contract", type=Path, default=Path("bench/four_models.toml"))
    parser.add_argument("-n", "--runs", type=int, default=7)
    parser.add_argument(
        "--pass-by",
        action="append",
        default=[],
        metavar="COLUMNS",
        help="also time a pass grouping by these comma-separated columns (repeatable)",
    )
    options = parser.parse_args()
    inputs = model_inputs(options.file, options.contract)
    if not inputs:
        sys.exit(f"no contract of {options.contract} was evaluated on {options.file}")
    passes = [["user"], *(keys.split(",") for keys in options.pass_by)]
    reference, _ = timings(group_by_pass(options.file, passes[0]), options.runs)
    print(f"`{options.file.name}`, best and median of {options.runs} runs, in-process\n")
    print("| computation | best (s) | median (s) | × the pass by user |")
    print("|---|---|---|---|")
    for keys in passes:
        best, median = timings(group_by_pass(options.file, keys), options.runs)
        label = f"pass: `scan_parquet(file).group_by({', '.join(keys)}).len()`"
        print(f"| {label} | {best:.3f} | {median:.3f} | {best / reference:.1f}× |")
    for name, (model, model_input) in inputs.items():
        best, median = timings(partial(model.compute, model_input), options.runs)
        print(
            f"| {name} (`{model.name}` compute) | {best:.3f} | {median:.3f} | "
            f"{best / reference:.1f}× |"
        )


if __name__ == "__main__":
    run()
