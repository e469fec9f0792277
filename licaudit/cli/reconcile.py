"""``licaudit reconcile``: the vendor's token bill next to the tokens the logs give (issue 10)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from licaudit.cli.app import app, build_request, errors_to_exit_codes, read_and_audit
from licaudit.cli.console import stderr, stdout
from licaudit.cli.help import Command
from licaudit.cli.options import (
    ContractOpt,
    DateOrderOpt,
    DebugOpt,
    EncodingOpt,
    FromOpt,
    InputTzOpt,
    InspectFormat,
    InspectFormatOpt,
    MapOpt,
    OutputOpt,
    Paths,
    RatioOpt,
    RecursiveOpt,
    ToOpt,
)
from licaudit.pipeline import (
    check_reject_ratio,
    reconcile_vendor,
)
from licaudit.reconcile import differing_rows
from licaudit.report.document import (
    reconciliation_counts,
    reconciliation_line,
)
from licaudit.report.files import check_destination, csv_bytes, emit, json_bytes, json_rows
from licaudit.report.terminal import render_frame


@app.command(
    cls=Command,
    short_help="Autodesk's token bill next to the tokens computed from the logs.",
    epilog="Examples:\n\n"
    "\b\n"
    "  licaudit reconcile sample_logs \\\n"
    "      --vendor sample_logs/licences/autodesk_vendor_export_2025-10.csv\n\n"
    "\b\n"
    "  licaudit reconcile logs/ --vendor usage.xlsx --format json --output diff.json",
)
def reconcile(
    paths: Paths,
    vendor: Annotated[
        Path,
        typer.Option(
            "--vendor",
            metavar="FILE",
            help="Autodesk's token usage export (CSV or XLSX: Day used, Email, Product, "
            "Tokens used, or the API's usageDate, userName, productName, tokensConsumed).",
        ),
    ],
    contract: ContractOpt = None,
    name: Annotated[
        str | None,
        typer.Option("--name", metavar="NAME", help="The flex contract, when there are several."),
    ] = None,
    input_tz: InputTzOpt = None,
    date_order: DateOrderOpt = None,
    column_map: MapOpt = None,
    encoding: EncodingOpt = None,
    recursive: RecursiveOpt = False,
    date_from: FromOpt = None,
    date_to: ToOpt = None,
    output_format: InspectFormatOpt = InspectFormat.table,
    output: OutputOpt = None,
    max_reject_ratio: RatioOpt = 0.01,
    debug: DebugOpt = False,
) -> None:
    """List per user, product and day the tokens Autodesk billed and those the logs give;
    exit 1 when they differ."""
    with errors_to_exit_codes(debug):
        check_destination(output, "--output")
        request = build_request(
            paths, column_map, contract=contract, input_tz=input_tz, date_order=date_order,
            encoding=encoding, recursive=recursive, date_from=date_from, date_to=date_to,
            max_reject_ratio=max_reject_ratio, not_events=(vendor,),
        )  # fmt: skip
        inputs, audit = read_and_audit(request, None)
        rows, line = reconcile_vendor(audit, request, vendor, name)
        stderr().print(reconciliation_line(inputs.ingested), markup=False)
        stderr().print(line, markup=False)
        if output_format is InspectFormat.json:
            # SPEC 1.4: JSON output is one object with the run's reconciliation and tables.
            tables = {"tables": {"reconcile": json_rows(rows)}}
            document = reconciliation_counts(inputs.ingested) | tables
            emit(json_bytes(document), output, sys.stdout.buffer)
        elif output is not None:
            emit(csv_bytes(rows), output, sys.stdout.buffer)
        else:
            render_frame(stdout(), rows, "Billed by the vendor and computed from the logs")
        check_reject_ratio(inputs.ingested, max_reject_ratio)
        if differing_rows(rows):
            raise typer.Exit(1)
