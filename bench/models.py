"""Each model's own computation, in-process, against one Polars group-by pass over the file.

    python bench/models.py bench/data/events_10m.parquet --contract bench/four_models.toml

runs ``licaudit report`` on the file as the command line does (output discarded), keeping
the input each contract's model is given: the events read, screened, normalized and
encoded, and the contract's calendar. It then times each model's ``compute`` on that input
(``--runs`` times, best and median), next to the reference the issues measure against:
``scan_parquet(file).group_by(user).len()``, one pass over the file's user column
(``--pass-by`` groups by other columns too, to show what a wider pass costs). Times are
wall-clock, in one process, after one untimed run of each. The runs are interleaved (a
round times each computation once), so that a machine that slows down or speeds up
during the measurement (a shared VM) does so for all of them; the ratios are best to
best and median to median.
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


def interleaved(functions: dict[str, Callable[[], object]], runs: int) -> dict[str, list[float]]:
    """Each function's wall times over ``runs`` rounds, sorted; a round calls each once,
    after one untimed call of each."""
    for function in functions.values():
        function()
    spent: dict[str, list[float]] = {name: [] for name in functions}
    for _ in range(runs):
        for name, function in functions.items():
            gc.collect()
            started = time.perf_counter()
            function()
            spent[name].append(time.perf_counter() - started)
    return {name: sorted(times) for name, times in spent.items()}


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
    functions: dict[str, Callable[[], object]] = {}
    for keys in passes:
        label = f"pass: `scan_parquet(file).group_by({', '.join(keys)}).len()`"
        functions[label] = group_by_pass(options.file, keys)
    for name, (model, model_input) in inputs.items():
        functions[f"{name} (`{model.name}` compute)"] = partial(model.compute, model_input)
    spent = interleaved(functions, options.runs)
    reference = spent[next(iter(functions))]
    best_reference, median_reference = reference[0], statistics.median(reference)
    print(f"`{options.file.name}`, {options.runs} interleaved rounds, in-process\n")
    print("| computation | best (s) | median (s) | × the pass by user, best (median) |")
    print("|---|---|---|---|")
    for label, times in spent.items():
        best, median = times[0], statistics.median(times)
        ratio = f"{best / best_reference:.1f}× ({median / median_reference:.1f}×)"
        print(f"| {label} | {best:.3f} | {median:.3f} | {ratio} |")


if __name__ == "__main__":
    run()
