"""``licaudit report``, ``check`` and ``inspect``: options in, one core call, rendered out."""

from __future__ import annotations

import sys

import typer

from licaudit.audit import Period
from licaudit.cli.app import (
    app,
    build_request,
    errors_to_exit_codes,
    read,
    read_and_audit,
    resolve_format,
)
from licaudit.cli.console import stderr, stdout
from licaudit.cli.help import Command
from licaudit.cli.options import (
    CapacityOpt,
    ContractOpt,
    CsvDialect,
    CsvDialectOpt,
    DateOrderOpt,
    DebugOpt,
    EncodingOpt,
    Engine,
    EngineOpt,
    EnginePaths,
    FailOnOverageOpt,
    Format,
    FormatOpt,
    FromOpt,
    GroupsOpt,
    InputTzOpt,
    InspectFormat,
    InspectFormatOpt,
    MapOpt,
    ModelOpt,
    OutputOpt,
    PartsOpt,
    Paths,
    PeriodOpt,
    PeriodOption,
    RatioOpt,
    RecursiveOpt,
    RejectsOpt,
    RosterModeOpt,
    RosterOpt,
    SheetOpt,
    SparkMasterOpt,
    TableOpt,
    TimezoneOpt,
    ToOpt,
)
from licaudit.errors import ConfigError
from licaudit.ingest.inspection import inspection_summary, roster_summary
from licaudit.pipeline import (
    check_lines,
    check_reject_ratio,
    check_warnings,
    resolve_settings,
)
from licaudit.report.document import BINARY_FORMATS, file_bytes, header_lines
from licaudit.report.files import check_destination, csv_bytes, emit, json_bytes
from licaudit.report.terminal import render_inspection, render_report


@app.command(
    cls=Command,
    short_help="Usage per day or month, overage, costs and details of every contract.",
    epilog="Examples:\n\n"
    "  licaudit report sample_logs\n\n"
    "  licaudit report logs/ --model daily-active --capacity 40 --period month --format csv\n\n"
    "  licaudit report logs/ --format csv --table refused --output refused.csv\n\n"
    "  licaudit report logs/ --format xlsx --period month --output usage.xlsx\n\n"
    "  licaudit report logs/ --groups departments.csv --period month --table chargeback "
    "--format csv\n\n"
    "  licaudit report /shared/logs --engine spark --spark-master spark://head:7077 "
    "--format csv --output usage.csv\n\n"
    "  licaudit report s3://acme-logs/2025-10 --contract licaudit.toml --engine spark",
)
def report(
    paths: EnginePaths,
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
    groups: GroupsOpt = None,
    output_format: FormatOpt = None,
    table: TableOpt = "usage",
    period: PeriodOpt = PeriodOption.day,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    output: OutputOpt = None,
    rejects: RejectsOpt = None,
    max_reject_ratio: RatioOpt = 0.01,
    parts: PartsOpt = None,
    engine: EngineOpt = Engine.local,
    spark_master: SparkMasterOpt = None,
    fail_on_overage: FailOnOverageOpt = False,
    csv_dialect: CsvDialectOpt = CsvDialect.rfc4180,
    debug: DebugOpt = False,
) -> None:
    """Read the logs, run every contract, and print the usage table with its details."""
    with errors_to_exit_codes(debug):
        output_format = resolve_format(output_format, output)
        check_destination(output, "--output")
        check_destination(rejects, "--rejects")
        request = build_request(
            paths, column_map, contract=contract, model=model, capacity=capacity,
            timezone=timezone, input_tz=input_tz, date_order=date_order, encoding=encoding,
            sheet=sheet, recursive=recursive, roster=roster, roster_mode=roster_mode,
            groups=groups, date_from=date_from, date_to=date_to,
            max_reject_ratio=max_reject_ratio, parts=parts, engine=engine.value,
            spark_master=spark_master,
        )  # fmt: skip
        inputs, audit = read_and_audit(request, rejects)
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
            for line in header_lines(inputs.ingested, inputs.input_timezone):
                err.print(line, markup=False)
            for warning in [*inputs.ingested.warnings, *audit.warnings]:
                err.print(f"warning: {warning}", markup=False, soft_wrap=True)
            if output_format in BINARY_FORMATS and output is None and sys.stdout.isatty():
                raise ConfigError(
                    f"{output_format.value} is a binary format: it needs `--output FILE`.",
                    f"add e.g. --output usage.{output_format.value}.",
                )
            payload = file_bytes(
                output_format.value, audit, table, chosen, inputs.roster, csv_dialect.value
            )
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
    paths: EnginePaths,
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
    parts: PartsOpt = None,
    engine: EngineOpt = Engine.local,
    spark_master: SparkMasterOpt = None,
    debug: DebugOpt = False,
) -> None:
    """For cron: print one line per contract and period over capacity; exit 1 on overage."""
    with errors_to_exit_codes(debug):
        check_destination(rejects, "--rejects")
        request = build_request(
            paths, column_map, contract=contract, model=model, capacity=capacity,
            timezone=timezone, input_tz=input_tz, date_order=date_order, encoding=encoding,
            sheet=sheet, recursive=recursive, roster=roster, roster_mode=roster_mode,
            date_from=date_from, date_to=date_to, max_reject_ratio=max_reject_ratio, parts=parts,
            engine=engine.value, spark_master=spark_master,
        )  # fmt: skip
        settings = resolve_settings(request, need_contract=True)
        warnings = check_warnings(settings)
        inputs, audit = read_and_audit(request, rejects, settings)
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
    with errors_to_exit_codes(debug):
        check_destination(rejects, "--rejects")
        request = build_request(
            paths, column_map, contract=contract, input_tz=input_tz, date_order=date_order,
            encoding=encoding, sheet=sheet, recursive=recursive, roster=roster,
            roster_mode=roster_mode,
        )  # fmt: skip
        inputs = read(request, need_contract=False)
        if rejects is not None:
            emit(csv_bytes(inputs.ingested.rejects), rejects, sys.stdout.buffer)
        summary = inspection_summary(inputs.ingested) | {"input_timezone": inputs.input_timezone}
        if inputs.roster is not None:
            summary["roster"] = roster_summary(inputs.roster)
        if output_format is InspectFormat.json:
            emit(json_bytes(summary), None, sys.stdout.buffer)
        else:
            render_inspection(stdout(), summary, inputs.ingested, inputs.input_timezone)
