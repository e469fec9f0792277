"""The ``licaudit`` command line: the Typer app, and what every command shares.

No computation lives here. Errors become messages and exit codes only in
``errors_to_exit_codes``: 2 for usage and configuration, 3 for data, 1 for overage
(with ``--fail-on-overage``, and always for ``check``); ``--debug`` shows tracebacks.
The commands live in ``commands.py`` (report, check, inspect) and ``reconcile.py``.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from licaudit import __version__
from licaudit.audit import AuditResult
from licaudit.cli.console import progress_callback, stderr
from licaudit.cli.options import (
    Format,
)
from licaudit.contract import Settings
from licaudit.errors import ConfigError, DataError, LicauditError
from licaudit.ingest.columns import parse_map_option
from licaudit.ingest.remote import input_source
from licaudit.pipeline import (
    Inputs,
    Request,
    check_usable,
    read_inputs,
    report_range,
    run,
)
from licaudit.report.document import (
    reconciliation_line,
)
from licaudit.report.files import csv_bytes, emit

app = typer.Typer(
    name="licaudit",
    help="Audit software-licence consumption from raw access logs.\n\n"
    "Example: licaudit report sample_logs",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

FORMAT_BY_SUFFIX = {
    ".csv": Format.csv,
    ".json": Format.json,
    ".parquet": Format.parquet,
    ".pq": Format.parquet,
    ".xlsx": Format.xlsx,
    ".html": Format.html,
    ".htm": Format.html,
}


def resolve_format(output_format: Format | None, output: Path | None) -> Format:
    """``--format``, else the one ``--output``'s extension names, else a terminal table."""
    if output_format is not None:
        return output_format
    if output is None or str(output) == "-":
        return Format.table
    guessed = FORMAT_BY_SUFFIX.get(output.suffix.lower())
    if guessed is None:
        raise ConfigError(
            f"`--output` {output}: cannot tell the format from the extension "
            f"{output.suffix or '(none)'}.",
            "add --format csv, json, parquet, xlsx or html.",
        )
    return guessed


@contextmanager
def errors_to_exit_codes(debug: bool) -> Iterator[None]:
    """The one place where errors become messages on stderr and exit codes."""
    try:
        yield
    except LicauditError as error:
        if debug:
            traceback.print_exc()
        console = stderr()
        console.print(Text.assemble(("Error: ", "bold red"), error.message))
        if error.hint:
            console.print(Text(f"Hint: {error.hint}"))
        raise typer.Exit(error.exit_code) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:  # the user must never see a traceback
        if debug:
            traceback.print_exc()
        stderr().print(
            Text.assemble(
                ("Error: ", "bold red"),
                f"licaudit failed unexpectedly: {type(error).__name__}: {error}\n"
                "Hint: rerun with --debug and report the output.",
            )
        )
        raise typer.Exit(DataError.exit_code) from None


def read(
    request: Request, need_contract: bool, settings: Settings | None = None, parts: bool = False
) -> Inputs:
    """``read_inputs`` with a progress bar on a terminal; ``parts``: large inputs may be
    kept in parts by identity (``licaudit.scale``), for ``report`` and ``check``."""
    progress, on_progress = progress_callback(stderr())
    if progress is None:
        return read_inputs(request, need_contract, settings=settings, parts=parts)
    with progress:
        return read_inputs(request, need_contract, on_progress, settings, parts=parts)


def read_and_audit(
    request: Request, rejects: Path | None, settings: Settings | None = None
) -> tuple[Inputs, AuditResult]:
    """What ``report`` and ``check`` share: read, write the rejects, run every contract.

    ``settings``: the contract file already resolved (``check`` looks at it first), so that
    it and the files it names are read once.
    """
    report_range(request)  # a bad --from/--to stops before any file is read
    inputs = read(request, need_contract=True, settings=settings, parts=True)
    if rejects is not None:
        emit(csv_bytes(inputs.ingested.rejects), rejects, sys.stdout.buffer)
    check_usable(inputs.ingested, reconciliation_line(inputs.ingested))
    return inputs, run(inputs, request)


def build_request(paths: list[str], column_map: list[str] | None, **options: Any) -> Request:
    date_order = options.pop("date_order", None)
    roster_mode = options.pop("roster_mode", None)
    return Request(
        paths=tuple(input_source(path) for path in paths),
        column_map=parse_map_option(column_map or []),
        date_order=date_order.value if date_order is not None else None,
        roster_mode=roster_mode.value if roster_mode is not None else None,
        **options,
    )


def _version(value: bool) -> None:
    if value:
        typer.echo(f"licaudit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show the version.")
    ] = False,
) -> None:
    """Audit software-licence consumption from raw access logs."""


def main() -> None:
    """Console-script entry point."""
    app()
