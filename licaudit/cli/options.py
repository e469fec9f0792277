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


class RosterMode(StrEnum):
    events = "events"
    snapshot = "snapshot"


class CsvDialect(StrEnum):
    rfc4180 = "rfc4180"
    excel = "excel"


class DateOrderOption(StrEnum):
    dmy = "dmy"
    mdy = "mdy"


class Engine(StrEnum):
    local = "local"
    spark = "spark"


# Text, not Path: a Path would turn s3://bucket/logs into s3:/bucket/logs. ``build_request``
# keeps a URL as written and makes every other input a Path (``remote.input_source``); a
# URL reaches the local engine only to be refused (``licaudit.pipeline.Request``).
Paths = Annotated[
    list[str],
    typer.Argument(help="Log files or folders (a folder: its supported files).", metavar="PATH..."),
]
# The inputs of the commands with --engine: a URL is read by Spark's tasks.
EnginePaths = Annotated[
    list[str],
    typer.Argument(
        help="Log files or folders (a folder: its supported files); with --engine spark, "
        "object-store URLs too (s3://bucket/logs).",
        metavar="PATH...",
    ),
]
ContractOpt = Annotated[
    Path | None,
    typer.Option(
        "--contract",
        "-c",
        metavar="FILE",
        help="Contract file (TOML). Default: licaudit.toml in a folder given.",
    ),
]
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model", metavar="MODEL", help=f"Model of a command-line contract: {', '.join(MODELS)}."
    ),
]
CapacityOpt = Annotated[
    int | None,
    typer.Option(
        "--capacity", min=0, metavar="N", help="Contracted units of the --model contract."
    ),
]
TimezoneOpt = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        metavar="TZ",
        help="Timezone of the --model contract (default Europe/Paris).",
    ),
]
InputTzOpt = Annotated[
    str | None,
    typer.Option(
        "--input-tz",
        metavar="TZ",
        help="Timezone of timestamps written without offset "
        "(default: the contract's timezone; W3C date + time pairs: UTC).",
    ),
]
DateOrderOpt = Annotated[
    DateOrderOption | None,
    typer.Option(
        "--date-order",
        case_sensitive=False,
        metavar="dmy|mdy",
        help="Force DD/MM/YYYY (dmy) or MM/DD/YYYY (mdy) for slash dates.",
    ),
]
MapOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--map",
        metavar="FIELD=COLUMN",
        help="Column overrides, e.g. --map ts=EventTime,user=Login.",
    ),
]
EncodingOpt = Annotated[
    str | None,
    typer.Option(
        "--encoding", metavar="NAME", help="Text encoding of the inputs (default: detected)."
    ),
]
SheetOpt = Annotated[
    str | None,
    typer.Option(
        "--sheet", metavar="NAME", help="Sheet of Excel (.xlsx) inputs (default: the first)."
    ),
]
RecursiveOpt = Annotated[bool, typer.Option("--recursive", "-r", help="Read folders recursively.")]
RosterOpt = Annotated[
    Path | None,
    typer.Option("--roster", metavar="FILE", help="Roster file (ts, user, status[, product])."),
]
RosterModeOpt = Annotated[
    RosterMode | None,
    typer.Option(
        "--roster-mode",
        case_sensitive=False,
        metavar="events|snapshot",
        help="Roster rows are status changes (events, default) or complete lists (snapshot).",
    ),
]
GroupsOpt = Annotated[
    Path | None,
    typer.Option(
        "--groups",
        metavar="FILE",
        help="CSV user,group: split units and cost per group (tables chargeback, ungrouped).",
    ),
]
RejectsOpt = Annotated[
    Path | None,
    typer.Option("--rejects", metavar="FILE", help="Write every rejected row to this CSV file."),
]
RatioOpt = Annotated[
    float,
    typer.Option(
        "--max-reject-ratio",
        min=0.0,
        max=1.0,
        metavar="R",
        help="Exit 3 when a larger share of rows is rejected (default 0.01).",
    ),
]
PartsOpt = Annotated[
    int | None,
    typer.Option(
        "--parts",
        min=1,
        metavar="N",
        help="Keep the events in N parts by user as they are read, and run the models part by "
        "part: same results, far less memory on very large inputs (default: 1 up to about "
        "25 million events, then one part per 12.5 million).",
    ),
]
FromOpt = Annotated[
    str | None,
    typer.Option("--from", metavar="YYYY-MM-DD", help="First reported day (contract timezone)."),
]
ToOpt = Annotated[
    str | None,
    typer.Option("--to", metavar="YYYY-MM-DD", help="Last reported day, inclusive."),
]
DebugOpt = Annotated[bool, typer.Option("--debug", help="Show tracebacks of errors.")]
FormatOpt = Annotated[
    Format | None,
    typer.Option(
        "--format",
        "-f",
        case_sensitive=False,
        metavar="FORMAT",
        help="table, csv, json, parquet, xlsx or html "
        "(default: from --output's extension, else table).",
    ),
]
InspectFormatOpt = Annotated[
    InspectFormat,
    typer.Option("--format", "-f", case_sensitive=False, metavar="FORMAT", help="table or json."),
]
TableOpt = Annotated[
    str,
    typer.Option(
        "--table",
        "-t",
        metavar="NAME",
        help="Table for csv/parquet: usage (default), refused, peaks, charges, ...",
    ),
]
PeriodOpt = Annotated[
    PeriodOption,
    typer.Option(
        "--period", case_sensitive=False, metavar="day|month", help="day (default) or month rows."
    ),
]
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", metavar="FILE", help="Write here instead of stdout."),
]
FailOnOverageOpt = Annotated[
    bool, typer.Option("--fail-on-overage", help="Exit 1 when a period is over capacity.")
]
CsvDialectOpt = Annotated[
    CsvDialect,
    typer.Option(
        "--csv-dialect",
        case_sensitive=False,
        metavar="rfc4180|excel",
        help="CSV as RFC 4180 UTF-8 (default), or for European Excel: UTF-8 with BOM, `;` "
        "between fields, decimal comma.",
    ),
]
EngineOpt = Annotated[
    Engine,
    typer.Option(
        "--engine",
        case_sensitive=False,
        metavar="local|spark",
        help="Where files are read and models run: this machine (local, default), or Apache "
        "Spark tasks at --spark-master, same results (needs pip install 'licaudit[spark]' "
        "and Java 17).",
    ),
]
SparkMasterOpt = Annotated[
    str | None,
    typer.Option(
        "--spark-master",
        metavar="URL",
        help="The Spark cluster of --engine spark: local[*] (default: every core here), "
        "local[N], spark://HOST:7077, yarn, k8s://HOST:PORT. Every worker must read the "
        "input paths and have licaudit installed.",
    ),
]
