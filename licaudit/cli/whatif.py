"""``licaudit whatif``: every model that applies, at every candidate capacity (issue 13)."""

from __future__ import annotations

import sys
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

import typer

from licaudit.advisor import COST_NOTE, Advice, advise, parse_capacities
from licaudit.cli.app import app, build_request, errors_to_exit_codes, read, resolve_format
from licaudit.cli.console import stderr, stdout
from licaudit.cli.help import Command
from licaudit.cli.options import (
    ContractOpt,
    DateOrderOpt,
    DebugOpt,
    EncodingOpt,
    Format,
    FromOpt,
    InputTzOpt,
    MapOpt,
    OutputOpt,
    Paths,
    RatioOpt,
    RecursiveOpt,
    RosterModeOpt,
    RosterOpt,
    SheetOpt,
    ToOpt,
)
from licaudit.errors import ConfigError
from licaudit.ingest.events import Ingested
from licaudit.pipeline import Inputs, Request, check_reject_ratio, check_usable, report_range
from licaudit.report.document import reconciliation_counts, reconciliation_line, timezone_line
from licaudit.report.files import (
    check_destination,
    csv_bytes,
    emit,
    json_bytes,
    json_rows,
    parquet_bytes,
)
from licaudit.report.terminal import frame_table

BINARY = (Format.parquet, Format.xlsx)


class WhatifTable(StrEnum):
    whatif = "whatif"
    candidates = "candidates"


CapacitiesOpt = Annotated[
    str | None,
    typer.Option(
        "--capacities",
        metavar="START:STOP[:STEP]",
        help="Candidate capacities, STOP included (10:200:5), or a list (10,20,40). "
        "Default: 0 to the peak month, by 1 up to 100 capacities.",
    ),
]
WhatifFormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        metavar="FORMAT",
        help="table, csv, json, parquet, xlsx or html (default: from --output's extension, else "
        "table).",
    ),
]
WhatifTableOpt = Annotated[
    WhatifTable,
    typer.Option(
        "--table",
        "-t",
        case_sensitive=False,
        metavar="NAME",
        help="Table for csv/parquet: whatif (default) or candidates.",
    ),
]


def _counts(ingested: Ingested, input_timezone: str) -> dict[str, Any]:
    return reconciliation_counts(ingested) | {"input_timezone": input_timezone}


def _render(advice: Advice, every_candidate: bool) -> None:
    console = stdout()
    sizes = frame_table(console, advice.whatif.drop("currency"), "What if")
    sizes.caption, sizes.caption_justify = COST_NOTE, "left"
    console.print(sizes)
    shown = advice.candidates if every_candidate else advice.notable_candidates()
    table = frame_table(console, shown.drop("currency"), "Candidates")
    if not every_candidate:
        table.caption_justify = "left"
        table.caption = (
            "at 0, the capacity, p95, p99, the peak and the optimum; every capacity with "
            "--format csv --table candidates"
        )
    console.print(table)


def _file_bytes(
    output_format: Format, table: WhatifTable, advice: Advice, inputs: Inputs, request: Request
) -> bytes:
    """One table (csv, parquet) or both (json, xlsx, html) in ``output_format``."""
    counts = _counts(inputs.ingested, inputs.input_timezone)
    currency = inputs.settings.currency
    if output_format is Format.json:
        tables = {name: json_rows(frame) for name, frame in advice.tables().items()}
        return json_bytes(counts | {"tables": tables})
    if output_format is Format.xlsx:
        from licaudit.report.xlsx import Sheet, workbook_bytes  # xlsxwriter: only this format

        by_reason = counts.pop("rejects_by_reason")
        counts |= {f"rejected: {reason}": count for reason, count in by_reason.items()}
        sheets = [
            Sheet("whatif", advice.whatif, COST_NOTE, counts),
            Sheet("candidates", advice.candidates),
        ]
        return workbook_bytes(sheets, currency)
    if output_format is Format.html:
        first, last = report_range(request)
        files = [str(report.path) for report in inputs.ingested.files]
        if inputs.roster is not None:
            files.append(f"{inputs.roster.path} (roster)")
        span = "every day of the logs"
        if first or last:
            span = f"{first or 'the first day of the logs'} to {last or 'the last day of the logs'}"
        facts = [("Input files", ", ".join(files)), ("Report range", span)]
        lines = [
            reconciliation_line(inputs.ingested),
            timezone_line(inputs.input_timezone, inputs.ingested.files),
        ]
        warnings = [*inputs.ingested.warnings, *advice.warnings]
        from licaudit.report.whatif_html import whatif_html_bytes  # only this format needs it

        return whatif_html_bytes(
            advice, currency, lines, warnings, facts, datetime.now().astimezone()
        )
    frame = advice.tables()[table.value]
    return parquet_bytes(frame) if output_format is Format.parquet else csv_bytes(frame)


@app.command(
    cls=Command,
    short_help="Every model at every capacity: percentiles, overage, refusals, least cost.",
    epilog="Examples:\n\n"
    "  licaudit whatif sample_logs\n\n"
    "  licaudit whatif logs/ --contract offers.toml --capacities 10:200:5\n\n"
    "  licaudit whatif logs/ --roster accounts.csv --format csv --table candidates\n\n"
    "  licaudit whatif logs/ --output whatif.html\n\n"
    "Prices per licence a month for models you have no contract of, in the contract file:\n\n"
    "\b\n"
    "  [offers.concurrent]\n"
    "  price = 90.0          # per licence a month\n"
    "  excess_price = 140.0  # per licence above those bought",
)
def whatif(
    paths: Paths,
    contract: ContractOpt = None,
    roster: RosterOpt = None,
    roster_mode: RosterModeOpt = None,
    capacities: CapacitiesOpt = None,
    input_tz: InputTzOpt = None,
    date_order: DateOrderOpt = None,
    column_map: MapOpt = None,
    encoding: EncodingOpt = None,
    sheet: SheetOpt = None,
    recursive: RecursiveOpt = False,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    output_format: WhatifFormatOpt = None,
    table: WhatifTableOpt = WhatifTable.whatif,
    output: OutputOpt = None,
    max_reject_ratio: RatioOpt = 0.01,
    debug: DebugOpt = False,
) -> None:
    """Run the logs under every model that applies: the capacity at the peak, p95 and p99,
    the days, months and users over each candidate capacity, and the one of least cost."""
    with errors_to_exit_codes(debug):
        candidates = parse_capacities(capacities) if capacities is not None else None
        output_format = resolve_format(output_format, output)
        if output_format is Format.table and output is not None:
            raise ConfigError(
                "`--output` needs a file format.", "add --format csv, json, parquet, xlsx or html."
            )
        if output_format in BINARY and output is None and sys.stdout.isatty():
            raise ConfigError(
                f"{output_format.value} is a binary format: it needs `--output FILE`.",
                f"add e.g. --output whatif.{output_format.value}.",
            )
        check_destination(output, "--output")
        request = build_request(
            paths, column_map, contract=contract, input_tz=input_tz, date_order=date_order,
            encoding=encoding, sheet=sheet, recursive=recursive, roster=roster,
            roster_mode=roster_mode, date_from=date_from, date_to=date_to,
            max_reject_ratio=max_reject_ratio,
        )  # fmt: skip
        report_range(request)  # a bad --from/--to stops before any file is read
        inputs = read(request, need_contract=False)
        check_usable(inputs.ingested, reconciliation_line(inputs.ingested))
        advice = advise(inputs, request, candidates)
        err = stderr()
        err.print(reconciliation_line(inputs.ingested), markup=False)
        err.print(timezone_line(inputs.input_timezone, inputs.ingested.files), markup=False)
        for warning in [*inputs.ingested.warnings, *advice.warnings]:
            err.print(f"warning: {warning}", markup=False, soft_wrap=True)
        if output_format is Format.table:
            _render(advice, every_candidate=candidates is not None)
        else:
            payload = _file_bytes(output_format, table, advice, inputs, request)
            emit(payload, output, sys.stdout.buffer)
        check_reject_ratio(inputs.ingested, max_reject_ratio)
