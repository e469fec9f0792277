"""Where output goes: the report on stdout, messages and the progress bar on stderr."""

from __future__ import annotations

import sys
from pathlib import Path

from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from licaudit.ingest.events import OnProgress


def stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def stdout() -> Console:
    # Piped output keeps whole rows: a narrow default width would wrap the tables.
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=200, no_color=True)
    return console


def progress_callback(console: Console) -> tuple[Progress | None, OnProgress | None]:
    """A bar of the input bytes read and normalized, on a terminal only."""
    if not console.is_terminal:
        return None, None
    progress = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )
    task = progress.add_task("reading", total=None)

    def on_progress(path: Path, stage: str, done: int, total: int) -> None:
        progress.update(task, completed=done, total=total, description=f"{stage} {path.name}")

    return progress, on_progress
