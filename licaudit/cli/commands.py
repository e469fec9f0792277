"""The ``licaudit`` command: parse options, call the core, render, map errors to exit codes.

No computation lives here. Errors become messages and exit codes only in
``_errors_to_exit_codes``: 2 for usage and configuration, 3 for data, 1 for overage
(with ``--fail-on-overage``, and always for ``check``); ``--debug`` shows tracebacks.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.text import Text

from licaudit import __version__
from licaudit.audit import AuditResult, Period, run_audit
from licaudit.cli.options import (
    CapacityOpt,
    ContractOpt,
    DateOrderOpt,
    DateOrderOption,
    DebugOpt,
    EncodingOpt,
    Format,
    FromOpt,
    InputTzOpt,
    InspectFormat,
    MapOpt,
    ModelOpt,
    Paths,
    PeriodOption,
    RatioOpt,
    RecursiveOpt,
    RejectsOpt,
    RosterOpt,
    TimezoneOpt,
    ToOpt,
)
from licaudit.contract import (
    CONTRACT_FILE_NAME,
    Settings,
    check_timezone,
    command_line_contract,
    load_contract_file,
)
from licaudit.errors import ConfigError, DataError, LicauditError
from licaudit.ingest.columns import parse_map_option
from licaudit.ingest.events import Ingested, IngestOptions, ingest
from licaudit.ingest.inspection import inspection_summary
from licaudit.ingest.roster import Roster, read_roster
from licaudit.models import MODELS
from licaudit.report.document import file_bytes, reconciliation_line
from licaudit.report.files import csv_bytes, emit, json_bytes
from licaudit.report.terminal import render_inspection, render_report

app = typer.Typer(
    name="licaudit",
    help="Audit software-licence consumption from raw access logs.\n\n"
    "Example: licaudit report sample_logs",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@dataclass
class Inputs:
    """What every command reads: the events, the contracts and the roster."""

    ingested: Ingested
    settings: Settings
    roster: Roster | None


def _stderr() -> Console:
    return Console(file=sys.stderr, highlight=False, soft_wrap=True)


def _stdout() -> Console:
    # Piped output keeps whole rows: a narrow default width would wrap the tables.
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        console = Console(file=sys.stdout, highlight=False, width=200, no_color=True)
    return console


@contextmanager
def _errors_to_exit_codes(debug: bool) -> Iterator[None]:
    """The one place where errors become messages on stderr and exit codes."""
    try:
        yield
    except LicauditError as error:
        if debug:
            traceback.print_exc()
        console = _stderr()
        console.print(Text.assemble(("Error: ", "bold red"), error.message))
        if error.hint:
            console.print(Text(f"Hint: {error.hint}"))
        raise typer.Exit(error.exit_code) from None
    except (typer.Exit, typer.Abort):
        raise
    except Exception as error:  # the user must never see a traceback
        if debug:
            traceback.print_exc()
        _stderr().print(
            Text.assemble(
                ("Error: ", "bold red"),
                f"licaudit failed unexpectedly: {type(error).__name__}: {error}\n"
                "Hint: rerun with --debug and report the output.",
            )
        )
        raise typer.Exit(DataError.exit_code) from None


def _parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise ConfigError(
            f"`{option}` = {value!r} is not a date.", "write it as YYYY-MM-DD."
        ) from None


def _settings(paths: list[Path], contract: Path | None) -> Settings | None:
    if contract is not None:
        return load_contract_file(contract)
    for path in paths:
        candidate = path / CONTRACT_FILE_NAME
        if path.is_dir() and candidate.is_file():
            return load_contract_file(candidate)
    return None


def _progress_callback(console: Console) -> Any:
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


def _read_inputs(
    paths: list[Path],
    *,
    contract: Path | None,
    model: str | None,
    capacity: int | None,
    timezone: str | None,
    input_tz: str | None,
    date_order: DateOrderOption | None,
    column_map: list[str] | None,
    encoding: str | None,
    recursive: bool,
    roster: Path | None,
    need_contract: bool,
) -> Inputs:
    settings = _settings(paths, contract)
    if model is not None:
        cli_contract = command_line_contract(model, capacity, timezone, settings)
        # The file's top-level settings still apply; its [[contract]] tables do not.
        settings = replace(settings or Settings(contracts=()), contracts=(cli_contract,))
    elif capacity is not None or timezone is not None:
        raise ConfigError(
            "`--capacity` and `--timezone` describe a --model contract, and no --model was given.",
            f"add e.g. --model daily-active (models: {', '.join(MODELS)}).",
        )
    if settings is None:
        if need_contract:
            raise ConfigError(
                "No contract: no --contract file, no --model, and no licaudit.toml "
                "in the folders given.",
                "give --contract licaudit.toml, or --model daily-active --capacity 40.",
            )
        settings = Settings(contracts=())
    options = IngestOptions(
        input_timezone=check_timezone(input_tz, "--input-tz", None)
        if input_tz
        else settings.input_timezone,
        date_order=date_order.value if date_order else None,
        case_sensitive_users=settings.case_sensitive_users,
        column_map=parse_map_option(column_map or []),
        encoding=encoding,
        recursive=recursive,
    )
    progress, on_file = _progress_callback(_stderr())
    if progress is not None:
        with progress:
            ingested = ingest(paths, options, on_file)
    else:
        ingested = ingest(paths, options)
    roster_path = roster or settings.roster
    loaded_roster = read_roster(roster_path, options) if roster_path else None
    return Inputs(ingested=ingested, settings=settings, roster=loaded_roster)


def _write_rejects(ingested: Ingested, rejects: Path | None) -> None:
    if rejects is not None:
        emit(csv_bytes(ingested.rejects), rejects, sys.stdout.buffer)


def _check_usable(ingested: Ingested) -> None:
    if ingested.rows_used == 0:
        raise DataError(
            " ".join([f"No usable rows: {reconciliation_line(ingested)}.", *ingested.warnings]),
            "run `licaudit inspect` on the same files to see the columns found and why rows were "
            "rejected; name the timestamp column with --map ts=COLUMN if it was not recognized.",
        )


def _check_reject_ratio(ingested: Ingested, limit: float) -> None:
    if ingested.rows_read and ingested.rows_rejected / ingested.rows_read > limit:
        raise DataError(
            f"{ingested.rows_rejected:,} of {ingested.rows_read:,} rows were rejected "
            f"({ingested.rows_rejected / ingested.rows_read:.2%}), "
            f"more than --max-reject-ratio {limit}.",
            "see why with --rejects rejects.csv, or raise --max-reject-ratio.",
        )


def _audit(
    paths: list[Path],
    contract: Path | None,
    model: str | None,
    capacity: int | None,
    timezone: str | None,
    input_tz: str | None,
    date_order: DateOrderOption | None,
    column_map: list[str] | None,
    encoding: str | None,
    recursive: bool,
    roster: Path | None,
    date_from: str | None,
    date_to: str | None,
    rejects: Path | None,
) -> tuple[Inputs, AuditResult]:
    """What ``report`` and ``check`` share: read, write the rejects, run every contract."""
    first, last = _parse_day(date_from, "--from"), _parse_day(date_to, "--to")
    if first and last and first > last:
        raise ConfigError(f"`--from` {first} is after `--to` {last}.", "swap them.")
    inputs = _read_inputs(
        paths, contract=contract, model=model, capacity=capacity, timezone=timezone,
        input_tz=input_tz, date_order=date_order, column_map=column_map, encoding=encoding,
        recursive=recursive, roster=roster, need_contract=True,
    )  # fmt: skip
    _write_rejects(inputs.ingested, rejects)
    _check_usable(inputs.ingested)
    settings = inputs.settings
    audit = run_audit(
        inputs.ingested, settings.contracts, settings.currency, first, last, inputs.roster
    )
    return inputs, audit


@app.command(
    epilog="Examples:\n\n"
    "  licaudit report sample_logs\n\n"
    "  licaudit report logs/ --model daily-active --capacity 40 --period month --format csv\n\n"
    "  licaudit report logs/ --format csv --table refused --output refused.csv\n\n"
    "  licaudit report logs/ --format xlsx --period month --output usage.xlsx"
)
def report(
    paths: Paths,
    contract: ContractOpt = None,
    model: ModelOpt = None,
    capacity: CapacityOpt = None,
    timezone: TimezoneOpt = None,
    input_tz: InputTzOpt = None,
    date_order: DateOrderOpt = None,
    column_map: MapOpt = None,
    encoding: EncodingOpt = None,
    recursive: RecursiveOpt = False,
    roster: RosterOpt = None,
    output_format: Annotated[
        Format,
        typer.Option("--format", "-f", help="table (default), csv, json, parquet, xlsx or html."),
    ] = Format.table,
    table: Annotated[
        str, typer.Option("--table", "-t", help="Table for csv/parquet: usage, refused, ...")
    ] = "usage",
    period: Annotated[
        PeriodOption, typer.Option("--period", help="day or month rows.")
    ] = PeriodOption.day,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    rejects: RejectsOpt = None,
    max_reject_ratio: RatioOpt = 0.01,
    fail_on_overage: Annotated[
        bool, typer.Option("--fail-on-overage", help="Exit 1 when a period is over capacity.")
    ] = False,
    debug: DebugOpt = False,
) -> None:
    """Read the logs, run every contract, and print the usage table with its details."""
    with _errors_to_exit_codes(debug):
        inputs, audit = _audit(
            paths, contract, model, capacity, timezone, input_tz, date_order, column_map,
            encoding, recursive, roster, date_from, date_to, rejects,
        )  # fmt: skip
        ingested = inputs.ingested
        names = audit.table_names()
        if table not in names:
            raise ConfigError(
                f"`--table` = {table!r} is not a table of this report.",
                f"tables: {', '.join(names)}.",
            )
        chosen: Period = "day" if period is PeriodOption.day else "month"
        if output_format is Format.table:
            if output is not None:
                raise ConfigError(
                    "`--output` needs a file format.",
                    "add --format csv, json, parquet, xlsx or html.",
                )
            render_report(_stdout(), audit, ingested.warnings, inputs.roster)
        else:
            err = _stderr()
            err.print(reconciliation_line(ingested), markup=False)
            for warning in ingested.warnings:
                err.print(f"warning: {warning}", markup=False, soft_wrap=True)
            binary = output_format in (Format.parquet, Format.xlsx)
            if binary and output is None and sys.stdout.isatty():
                raise ConfigError(
                    f"{output_format.value} is a binary format: it needs `--output FILE`.",
                    f"add e.g. --output usage.{output_format.value}.",
                )
            payload = file_bytes(output_format.value, audit, table, chosen, inputs.roster)
            emit(payload, output, sys.stdout.buffer)
        _check_reject_ratio(ingested, max_reject_ratio)
        if fail_on_overage and not audit.overage(chosen).is_empty():
            raise typer.Exit(1)


@app.command(
    epilog="Examples:\n\n"
    "  licaudit check /var/exports/netexplorer --contract /etc/licaudit.toml\n\n"
    "  licaudit check logs/ --model daily-active --capacity 40 || mail -s overage it@example.com"
)
def check(
    paths: Paths,
    contract: ContractOpt = None,
    model: ModelOpt = None,
    capacity: CapacityOpt = None,
    timezone: TimezoneOpt = None,
    input_tz: InputTzOpt = None,
    date_order: DateOrderOpt = None,
    column_map: MapOpt = None,
    encoding: EncodingOpt = None,
    recursive: RecursiveOpt = False,
    roster: RosterOpt = None,
    period: Annotated[
        PeriodOption, typer.Option("--period", help="day or month.")
    ] = PeriodOption.day,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    rejects: RejectsOpt = None,
    max_reject_ratio: RatioOpt = 0.01,
    debug: DebugOpt = False,
) -> None:
    """For cron: print one line per contract and period over capacity; exit 1 on overage."""
    with _errors_to_exit_codes(debug):
        inputs, audit = _audit(
            paths, contract, model, capacity, timezone, input_tz, date_order, column_map,
            encoding, recursive, roster, date_from, date_to, rejects,
        )  # fmt: skip
        over = audit.overage("day" if period is PeriodOption.day else "month")
        for row in over.iter_rows(named=True):
            typer.echo(
                f"{row['contract']} {row['scope']} {row['period']}: {row['units']} units, "
                f"capacity {row['capacity']}, excess {row['excess']}"
            )
        _check_reject_ratio(inputs.ingested, max_reject_ratio)
        if not over.is_empty():
            raise typer.Exit(1)


@app.command(
    epilog="Examples:\n\n  licaudit inspect export.csv\n\n  licaudit inspect logs/ --format json"
)
def inspect(
    paths: Paths,
    contract: ContractOpt = None,
    input_tz: InputTzOpt = None,
    date_order: DateOrderOpt = None,
    column_map: MapOpt = None,
    encoding: EncodingOpt = None,
    recursive: RecursiveOpt = False,
    rejects: RejectsOpt = None,
    output_format: Annotated[
        InspectFormat, typer.Option("--format", "-f", help="table or json.")
    ] = InspectFormat.table,
    debug: DebugOpt = False,
) -> None:
    """Show what was found: files, formats, column mapping, rows, time range, rejects."""
    with _errors_to_exit_codes(debug):
        inputs = _read_inputs(
            paths, contract=contract, model=None, capacity=None, timezone=None, input_tz=input_tz,
            date_order=date_order, column_map=column_map, encoding=encoding, recursive=recursive,
            roster=None, need_contract=False,
        )  # fmt: skip
        _write_rejects(inputs.ingested, rejects)
        summary = inspection_summary(inputs.ingested)
        if output_format is InspectFormat.json:
            emit(json_bytes(summary), None, sys.stdout.buffer)
        else:
            render_inspection(_stdout(), summary, inputs.ingested)


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
