"""Where a `licaudit report` run spends its time, stage by stage, in-process.

    python bench/stages.py bench/data/events_100m --contract bench/all_models.toml \
        --format csv --output /dev/null

runs the report as the command line does, with timers wrapped around the stages of the
flow files -> ingest -> parts -> models -> report (file reading, ingest, filing events in
parts, each model's ``partial`` and ``finish``, the detail tables), and prints after it the
wall and CPU time of each stage summed over the run (and the cores it kept busy on
average), the whole run, and the peak RSS. Nested
stages are counted in their parents too (``part_partials`` holds every ``partial``).
"""

from __future__ import annotations

import contextlib
import resource
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

import licaudit.audit as audit
import licaudit.ingest.events as events
import licaudit.scale as scale
from licaudit.cli.app import main
from licaudit.models import MODELS

SPENT: defaultdict[str, float] = defaultdict(float)
CPU: defaultdict[str, float] = defaultdict(float)


def timed(label: str, function: Callable[..., Any]) -> Callable[..., Any]:
    def wrapper(*arguments: Any, **options: Any) -> Any:
        started, cpu = time.perf_counter(), time.process_time()
        try:
            return function(*arguments, **options)
        finally:
            SPENT[label] += time.perf_counter() - started
            CPU[label] += time.process_time() - cpu

    return wrapper


def instrument() -> None:
    """Wrap the stages (module functions, as their callers look them up at call time)."""
    events.read_table = timed("read a file (read_table)", events.read_table)
    events._ingest_table = timed("file to events (_ingest_table)", events._ingest_table)
    scale.PartStore.add = timed("file events in parts (PartStore.add)", scale.PartStore.add)
    audit.prepare = timed("encode (prepare)", audit.prepare)
    audit.part_partials = timed("every partial of a part (part_partials)", audit.part_partials)
    audit.evaluate_partials = timed("every finish (evaluate_partials)", audit.evaluate_partials)
    audit._evaluation = timed("detail tables and usage (_evaluation)", audit._evaluation)
    for name, model in MODELS.items():
        if model.split is None:
            continue  # a roster model: timed whole, by _evaluate
        # Split is frozen: its functions are replaced in place, as the audit calls them.
        object.__setattr__(model.split, "partial", timed(f"{name} partial", model.split.partial))
        object.__setattr__(model.split, "finish", timed(f"{name} finish", model.split.finish))
    evaluate = audit._evaluate

    def evaluate_one(prepared: Any, contract: Any, *rest: Any, **options: Any) -> Any:
        return timed(f"{contract.name} (whole model)", evaluate)(
            prepared, contract, *rest, **options
        )

    audit._evaluate = evaluate_one


def report() -> None:
    """Run ``licaudit report`` with this script's arguments, then print the stages."""
    instrument()
    sys.argv = ["licaudit", "report", *sys.argv[1:]]
    started = time.perf_counter()
    with contextlib.suppress(SystemExit):  # main() exits with the report's code
        main()
    total = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(f"\nwhole run {total:.1f} s, peak RSS {peak:.2f} GiB", file=sys.stderr)
    print(f"  {'stage':<45} {'wall':>8}   {'CPU':>8}   cores", file=sys.stderr)
    for label, spent in sorted(SPENT.items(), key=lambda item: -item[1]):
        cores = CPU[label] / spent if spent else 0.0
        print(f"  {label:<45} {spent:8.2f} s {CPU[label]:8.2f} s {cores:5.2f}", file=sys.stderr)


if __name__ == "__main__":
    report()
