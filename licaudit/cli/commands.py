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
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.text import Text

from licaudit import __version__
from licaudit.audit import AuditResult, Period
from licaudit.cli.console import progress_callback, stderr, stdout
from licaudit.cli.help import Command
from licaudit.cli.options import (
    CapacityOpt,
    ContractOpt,
    DateOrderOpt,
    DebugOpt,
    EncodingOpt,
    FailOnOverageOpt,
    Format,
    FormatOpt,
    FromOpt,
    InputTzOpt,
    InspectFormat,
    InspectFormatOpt,
    MapOpt,
    ModelOpt,
    OutputOpt,
    Paths,
    PeriodOpt,
    PeriodOption,
    RatioOpt,
    RecursiveOpt,
    RejectsOpt,
    RosterModeOpt,
    RosterOpt,
    SheetOpt,
    TableOpt,
    TimezoneOpt,
    ToOpt,
)
from licaudit.errors import ConfigError, DataError, LicauditError
from licaudit.ingest.columns import parse_map_option
from licaudit.ingest.inspection import inspection_summary, roster_summary
from licaudit.pipeline import (
    Inputs,
    Request,
    check_lines,
    check_reject_ratio,
    check_usable,
    check_warnings,
    read_inputs,
    report_range,
    resolve_settings,
    run,
)
from licaudit.report.document import (
    BINARY_FORMATS,
    file_bytes,
    reconciliation_line,
    timezone_line,
)
from licaudit.report.files import check_destination, csv_bytes, emit, json_bytes
from licaudit.report.terminal import render_inspection, render_report

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


def _format(output_format: Format | None, output: Path | None) -> Format:
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
def _errors_to_exit_codes(debug: bool) -> Iterator[None]:
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


def _read(request: Request, need_contract: bool) -> Inputs:
    progress, on_progress = progress_callback(stderr())
    if progress is None:
        return read_inputs(request, need_contract)
    with progress:
        return read_inputs(request, need_contract, on_progress)


def _audit(request: Request, rejects: Path | None) -> tuple[Inputs, AuditResult]:
    """What ``report`` and ``check`` share: read, write the rejects, run every contract."""
    report_range(request)  # a bad --from/--to stops before any file is read
    inputs = _read(request, need_contract=True)
    if rejects is not None:
        emit(csv_bytes(inputs.ingested.rejects), rejects, sys.stdout.buffer)
    check_usable(inputs.ingested, reconciliation_line(inputs.ingested))
    return inputs, run(inputs, request)


def _request(paths: list[Path], column_map: list[str] | None, **options: Any) -> Request:
    date_order = options.pop("date_order", None)
    roster_mode = options.pop("roster_mode", None)
    return Request(
        paths=tuple(paths),
        column_map=parse_map_option(column_map or []),
        date_order=date_order.value if date_order is not None else None,
        roster_mode=roster_mode.value if roster_mode is not None else None,
        **options,
    )


@app.command(
    cls=Command,
    short_help="Usage per day or month, overage, costs and details of every contract.",
    epilog="Examples:\n\n"
    "  licaudit report sample_logs\n\n"
    "  licaudit report logs/ --model daily-active --capacity 40 --period month --format csv\n\n"
    "  licaudit report logs/ --format csv --table refused --output refused.csv\n\n"
    "  licaudit report logs/ --format xlsx --period month --output usage.xlsx",
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
    sheet: SheetOpt = None,
    recursive: RecursiveOpt = False,
    roster: RosterOpt = None,
    roster_mode: RosterModeOpt = None,
    output_format: FormatOpt = None,
    table: TableOpt = "usage",
    period: PeriodOpt = PeriodOption.day,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    output: OutputOpt = None,
    rejects: RejectsOpt = None,
    max_reject_ratio: RatioOpt = 0.01,
    fail_on_overage: FailOnOverageOpt = False,
    debug: DebugOpt = False,
) -> None:
    """Read the logs, run every contract, and print the usage table with its details."""
    with _errors_to_exit_codes(debug):
        output_format = _format(output_format, output)
        check_destination(output, "--output")
        check_destination(rejects, "--rejects")
        request = _request(
            paths, column_map, contract=contract, model=model, capacity=capacity,
            timezone=timezone, input_tz=input_tz, date_order=date_order, encoding=encoding,
            sheet=sheet, recursive=recursive, roster=roster, roster_mode=roster_mode,
            date_from=date_from, date_to=date_to, max_reject_ratio=max_reject_ratio,
        )  # fmt: skip
        inputs, audit = _audit(request, rejects)
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
            render_report(stdout(), audit, inputs.ingested.warnings, inputs.roster)
        else:
            err = stderr()
            err.print(reconciliation_line(inputs.ingested), markup=False)
            err.print(timezone_line(inputs.input_timezone), markup=False)
            for warning in [*inputs.ingested.warnings, *audit.warnings]:
                err.print(f"warning: {warning}", markup=False, soft_wrap=True)
            if output_format in BINARY_FORMATS and output is None and sys.stdout.isatty():
                raise ConfigError(
                    f"{output_format.value} is a binary format: it needs `--output FILE`.",
                    f"add e.g. --output usage.{output_format.value}.",
                )
            payload = file_bytes(output_format.value, audit, table, chosen, inputs.roster)
            emit(payload, output, sys.stdout.buffer)
        check_reject_ratio(inputs.ingested, max_reject_ratio)
        if fail_on_overage and not audit.overage(chosen).is_empty():
            raise typer.Exit(1)


@app.command(
    cls=Command,
    epilog="Examples:\n\n"
    "  licaudit check /var/exports/netexplorer --contract /etc/licaudit.toml\n\n"
    "In a crontab (mail on overage, exit 1, and when the check could not run, exit 2 or 3;\n"
    "nothing on success):\n\n"
    "\b\n"
    "  out=$(licaudit check /var/exports --contract /etc/licaudit.toml 2>&1); rc=$?\n"
    '  [ $rc -ne 0 ] && echo "$out" | mail -s "licaudit exit $rc" it@example.com',
    short_help="For cron: one line per period over capacity; exit 1 on overage.",
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
    sheet: SheetOpt = None,
    recursive: RecursiveOpt = False,
    roster: RosterOpt = None,
    roster_mode: RosterModeOpt = None,
    period: PeriodOpt = PeriodOption.day,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    rejects: RejectsOpt = None,
    max_reject_ratio: RatioOpt = 0.01,
    debug: DebugOpt = False,
) -> None:
    """For cron: print one line per contract and period over capacity; exit 1 on overage."""
    with _errors_to_exit_codes(debug):
        check_destination(rejects, "--rejects")
        request = _request(
            paths, column_map, contract=contract, model=model, capacity=capacity,
            timezone=timezone, input_tz=input_tz, date_order=date_order, encoding=encoding,
            sheet=sheet, recursive=recursive, roster=roster, roster_mode=roster_mode,
            date_from=date_from, date_to=date_to, max_reject_ratio=max_reject_ratio,
        )  # fmt: skip
        warnings = check_warnings(resolve_settings(request, need_contract=True))
        inputs, audit = _audit(request, rejects)
        for warning in [*warnings, *inputs.ingested.warnings, *audit.warnings]:
            stderr().print(f"warning: {warning}", markup=False, soft_wrap=True)
        lines = check_lines(audit, "day" if period is PeriodOption.day else "month")
        for line in lines:
            typer.echo(line)
        check_reject_ratio(inputs.ingested, max_reject_ratio)
        if lines:
            raise typer.Exit(1)


@app.command(
    cls=Command,
    short_help="What was found: files, columns, rows, time range, rejects.",
    epilog="Examples:\n\n  licaudit inspect export.csv\n\n"
    "  licaudit inspect logs/ --format json\n\n"
    "  licaudit inspect logs/ --roster accounts.csv --roster-mode snapshot",
)
def inspect(
    paths: Paths,
    contract: ContractOpt = None,
    input_tz: InputTzOpt = None,
    date_order: DateOrderOpt = None,
    column_map: MapOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    recursive: RecursiveOpt = False,
    roster: RosterOpt = None,
    roster_mode: RosterModeOpt = None,
    rejects: RejectsOpt = None,
    output_format: InspectFormatOpt = InspectFormat.table,
    debug: DebugOpt = False,
) -> None:
    """Show what was found: files, formats, column mapping, rows, time range, rejects."""
    with _errors_to_exit_codes(debug):
        check_destination(rejects, "--rejects")
        request = _request(
            paths, column_map, contract=contract, input_tz=input_tz, date_order=date_order,
            encoding=encoding, sheet=sheet, recursive=recursive, roster=roster,
            roster_mode=roster_mode,
        )  # fmt: skip
        inputs = _read(request, need_contract=False)
        if rejects is not None:
            emit(csv_bytes(inputs.ingested.rejects), rejects, sys.stdout.buffer)
        summary = inspection_summary(inputs.ingested) | {"input_timezone": inputs.input_timezone}
        if inputs.roster is not None:
            summary["roster"] = roster_summary(inputs.roster)
        if output_format is InspectFormat.json:
            emit(json_bytes(summary), None, sys.stdout.buffer)
        else:
            render_inspection(stdout(), summary, inputs.ingested, inputs.input_timezone)


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
