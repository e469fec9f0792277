"""Where output goes: the report on stdout, messages and the progress bar on stderr."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from licaudit.pipeline import OnFile


def stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def stdout() -> Console:
    # Piped output keeps whole rows: a narrow default width would wrap the tables.
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=200, no_color=True)
    return console


def progress_callback(console: Console) -> tuple[Progress | None, OnFile | None]:
    if not console.is_terminal:
        return None, None
    progress = Progress(
        TextColumn("reading {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("files", total=None)

    def on_file(path: Path, done: int, total: int) -> None:
        progress.update(task, completed=done, total=total, description=path.name)

    return progress, on_file
