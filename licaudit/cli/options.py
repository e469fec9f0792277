"""The options the ``licaudit`` commands share, declared once for Typer."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from licaudit.models import MODELS


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    parquet = "parquet"
    xlsx = "xlsx"
    html = "html"


class InspectFormat(StrEnum):
    table = "table"
    json = "json"


class PeriodOption(StrEnum):
    day = "day"
    month = "month"


class DateOrderOption(StrEnum):
    dmy = "dmy"
    mdy = "mdy"


Paths = Annotated[
    list[Path], typer.Argument(help="Log files or folders (a folder: its supported files).")
]
ContractOpt = Annotated[
    Path | None,
    typer.Option(
        "--contract", "-c", help="Contract file (TOML). Default: licaudit.toml in a folder given."
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", help=f"Model of a command-line contract: {', '.join(MODELS)}."),
]
CapacityOpt = Annotated[
    int | None, typer.Option("--capacity", min=0, help="Contracted units of the --model contract.")
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option("--timezone", help="Timezone of the --model contract (default Europe/Paris)."),
]
InputTzOpt = Annotated[
    str | None,
    typer.Option("--input-tz", help="Timezone of timestamps written without offset (default UTC)."),
]
DateOrderOpt = Annotated[
    DateOrderOption | None,
    typer.Option(
        "--date-order", help="Force DD/MM/YYYY (dmy) or MM/DD/YYYY (mdy) for slash dates."
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option("--map", help="Column overrides, e.g. --map ts=EventTime,user=Login."),
]
EncodingOpt = Annotated[
    str | None, typer.Option("--encoding", help="Text encoding of the inputs (default: detected).")
]
RecursiveOpt = Annotated[bool, typer.Option("--recursive", "-r", help="Read folders recursively.")]
RosterOpt = Annotated[
    Path | None, typer.Option("--roster", help="Roster file (ts, user, status[, product]).")
]
RejectsOpt = Annotated[
    Path | None, typer.Option("--rejects", help="Write every rejected row to this CSV file.")
]
RatioOpt = Annotated[
    float,
    typer.Option(
        "--max-reject-ratio", min=0.0, max=1.0, help="Exit 3 when more rows are rejected."
    ),
]
FromOpt = Annotated[
    str | None, typer.Option("--from", help="First reported day, YYYY-MM-DD (contract timezone).")
]
ToOpt = Annotated[
    str | None, typer.Option("--to", help="Last reported day, YYYY-MM-DD, inclusive.")
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")]
FormatOpt = Annotated[
    Format,
    typer.Option("--format", "-f", help="table (default), csv, json, parquet, xlsx or html."),
]
InspectFormatOpt = Annotated[InspectFormat, typer.Option("--format", "-f", help="table or json.")]
TableOpt = Annotated[
    str, typer.Option("--table", "-t", help="Table for csv/parquet: usage, refused, ...")
]
PeriodOpt = Annotated[PeriodOption, typer.Option("--period", help="day or month rows.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
]
FailOnOverageOpt = Annotated[
    bool, typer.Option("--fail-on-overage", help="Exit 1 when a period is over capacity.")
]
