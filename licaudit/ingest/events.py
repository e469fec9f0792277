"""From input files to canonical events, with every rejected row counted (SPEC 1).

Each file is read as text columns (``licaudit.ingest.readers``), its columns mapped to
the canonical ones (``licaudit.ingest.columns``), its timestamps parsed
(``licaudit.ingest.timeparse``) and its values normalized. A row is used, or rejected
with the first reason that applies: ``malformed``, ``missing_ts``,
``unparseable_ts``, ``unparseable_end``, ``out_of_range``, ``end_before_ts``.
Every run reconciles: ``rows_read = rows_used + rows_rejected``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl
import polars.selectors as cs

from licaudit.errors import ConfigError
from licaudit.ingest.columns import ColumnMapping, Match, map_columns
from licaudit.ingest.dictionary import CODE, CODE_PREFIX, Dictionary, IdentityCodes
from licaudit.ingest.discover import discover
from licaudit.ingest.identity import (
    DISTINCT_COLUMNS,
    IDENTITY_COLUMNS,
    normal_values,
    with_identity,
)
from licaudit.ingest.readers import ROW, RawTable, read_table
from licaudit.ingest.timeparse import (
    DateOrder,
    DateOrderBasis,
    date_order_verdict,
    parse_time_struct,
)

REASONS = (
    "malformed",
    "missing_ts",
    "unparseable_ts",
    "unparseable_end",
    "out_of_range",
    "end_before_ts",
)

EVENT_SCHEMA: dict[str, pl.DataType] = {
    "ts": pl.Datetime("us", "UTC"),
    "end": pl.Datetime("us", "UTC"),
    "user": pl.String(),
    "anonymous": pl.Boolean(),
    "method": pl.String(),
    "product": pl.String(),
    "session": pl.String(),
    "device": pl.String(),
}
REJECT_SCHEMA: dict[str, pl.DataType] = {
    "source": pl.String(),
    "row": pl.Int64(),
    "reason": pl.String(),
    "raw": pl.String(),
}
_DATE_ONLY = r"^\s*(\d{4}-\d{2}-\d{2}|\d{1,2}/\d{1,2}/\d{4})\s*$"
_TIME_ONLY = r"^\s*\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*$"


@dataclass(frozen=True)
class IngestOptions:
    """How to read: timezone of naive times, slash-date order, user case, column overrides.

    ``input_timezone`` reads naive times and dates alone; ``w3c_timezone`` reads a
    W3C/IIS ``date`` + ``time`` pair, which that log format defines as UTC (SPEC 1.2).
    """

    input_timezone: str = "UTC"
    w3c_timezone: str = "UTC"
    date_order: DateOrder | None = None
    case_sensitive_users: bool = False
    column_map: Mapping[str, str] = field(default_factory=dict)
    encoding: str | None = None
    recursive: bool = False
    # The sheet of an Excel workbook to read; None: the first.
    sheet: str | None = None
    # Files the contract file names (roster, rates, packs): never events (SPEC 1.3).
    exclude: frozenset[Path] = frozenset()


@dataclass
class FileReport:
    """What was found in one file, for ``inspect`` and the report header."""

    path: Path
    format: str
    compressed: bool
    encoding: str | None
    delimiter: str | None
    columns: list[str]
    mapping: ColumnMapping
    date_order: DateOrder
    combined_date_time: bool
    # "forced" by --date-order, else what the file's values say (SPEC 1.2).
    date_order_basis: DateOrderBasis | Literal["forced"] = "none"
    rows_read: int = 0
    rows_rejected: int = 0
    # The timezone its W3C/IIS date + time pair was read in (UTC unless input_timezone is
    # given explicitly, SPEC 1.2); None without such a pair.
    w3c_timezone: str | None = None


@dataclass
class Ingested:
    """The used events, the rejected rows, and what each file held."""

    events: pl.DataFrame
    rejects: pl.DataFrame
    files: list[FileReport]
    warnings: list[str] = field(default_factory=list)
    # Used rows handed to a sink as each file was read (large inputs: ``licaudit.scale``)
    # rather than kept in ``events``.
    rows_streamed: int = 0
    # The identities of ``events`` as coded when read, which the encoder gathers from.
    codes: IdentityCodes | None = None

    @property
    def rows_rejected(self) -> int:
        return self.rejects.height

    def release_events(self) -> None:
        """Let the used events go (their texts are half the memory of a run) once they
        are encoded; their count stays in ``rows_streamed``."""
        self.rows_streamed += self.events.height
        self.events = self.events.clear()
        self.codes = None

    @property
    def rows_used(self) -> int:
        return self.events.height + self.rows_streamed

    @property
    def rows_read(self) -> int:
        return self.rows_used + self.rows_rejected

    @property
    def rejects_by_reason(self) -> dict[str, int]:
        counts = dict(self.rejects.group_by("reason").len().iter_rows())
        return {reason: int(counts[reason]) for reason in REASONS if reason in counts}


def _text(match: Match | None) -> pl.Expr | None:
    return None if match is None else pl.col(f"c{match.index}")


def _is_all(frame: pl.DataFrame, column: str, pattern: str) -> bool:
    values = frame.get_column(column)
    if values.dtype != pl.String:
        return False
    values = values.drop_nulls()
    return values.len() > 0 and bool(values.str.contains(pattern).all())


def _combined_date_time(frame: pl.DataFrame, mapping: ColumnMapping) -> bool:
    """W3C/IIS logs: a `date` column of dates only and a `time` column of times of day only."""
    if mapping.date_time_pair is None:
        return False
    date, time = mapping.date_time_pair
    date_col, time_col = f"c{date.index}", f"c{time.index}"
    dtypes = frame.schema
    if dtypes[date_col] == pl.Date and dtypes[time_col] == pl.Time:
        return True
    return _is_all(frame, date_col, _DATE_ONLY) and _is_all(frame, time_col, _TIME_ONLY)


def _time_source(
    frame: pl.DataFrame, mapping: ColumnMapping, combined: bool
) -> tuple[pl.Expr | None, pl.DataType]:
    if combined:
        assert mapping.date_time_pair is not None
        date, time = mapping.date_time_pair
        joined = pl.concat_str(
            [pl.col(f"c{date.index}").cast(pl.String), pl.col(f"c{time.index}").cast(pl.String)],
            separator=" ",
        )
        return joined, pl.String()
    match = mapping.chosen.get("ts")
    if match is None:
        return None, pl.String()
    return pl.col(f"c{match.index}"), frame.schema[f"c{match.index}"]


def _date_order(
    frame: pl.DataFrame, sources: Sequence[pl.Expr], options: IngestOptions
) -> tuple[DateOrder, DateOrderBasis | Literal["forced"]]:
    if options.date_order is not None:
        return options.date_order, "forced"
    if not sources:
        return "dmy", "none"
    values = frame.select(
        pl.concat([source.cast(pl.String) for source in sources]).alias("value")
    ).get_column("value")
    return date_order_verdict(values)


def _normalize(
    table: RawTable, frame: pl.DataFrame, options: IngestOptions
) -> tuple[pl.DataFrame, FileReport]:
    mapping = map_columns(table.columns, options.column_map)
    combined = _combined_date_time(frame, mapping)
    ts_source, ts_dtype = _time_source(frame, mapping, combined)
    end_match = mapping.chosen.get("end")
    # Slash-date order is decided per file, over its ts and end texts together.
    time_texts: list[tuple[pl.Expr | None, pl.DataType]] = [(ts_source, ts_dtype)]
    if end_match is not None and end_match.reading == "value":
        end_column = f"c{end_match.index}"
        time_texts.append((pl.col(end_column), frame.schema[end_column]))
    order_sources = [expr for expr, dtype in time_texts if expr is not None and dtype == pl.String]
    date_order, date_order_basis = _date_order(frame, order_sources, options)

    tz = options.input_timezone
    # Each parse is evaluated once into columns, then referred to by name: a parse
    # expression is large, and Polars evaluates every reference to it anew.
    if ts_source is None:
        parsed = frame.with_columns(
            __ts=pl.lit(None, pl.Datetime("us", "UTC")), __ts_problem=pl.lit("missing")
        )
    else:
        ts_tz = options.w3c_timezone if combined else tz
        parsed = parse_into(frame, "__ts", ts_source, ts_dtype, ts_tz, date_order)
    ts, ts_problem = pl.col("__ts"), pl.col("__ts_problem")
    if end_match is not None and end_match.reading == "value":
        column = f"c{end_match.index}"
        parsed = parse_into(parsed, "__end", pl.col(column), frame.schema[column], tz, date_order)
    else:
        end, end_problem = pl.lit(None, pl.Datetime("us", "UTC")), pl.lit(None, pl.String)
        if end_match is not None:
            end, end_problem = _end_from_duration(
                pl.col(f"c{end_match.index}"), ts, 60 if end_match.reading == "minutes" else 1
            )
        parsed = parsed.with_columns(end.alias("__end"), end_problem.alias("__end_problem"))
    end, end_problem = pl.col("__end"), pl.col("__end_problem")

    # An empty end is no end ("missing" matches none of the end reasons).
    reason = (
        pl.when(ts_problem == "missing")
        .then(pl.lit("missing_ts"))
        .when(ts_problem == "unparseable")
        .then(pl.lit("unparseable_ts"))
        .when(end_problem == "unparseable")
        .then(pl.lit("unparseable_end"))
        .when((ts_problem == "out_of_range") | (end_problem == "out_of_range"))
        .then(pl.lit("out_of_range"))
        .when(end < ts)
        .then(pl.lit("end_before_ts"))
        .otherwise(pl.lit(None, pl.String))
    )
    # Streaming, like the parse: text normalization a slice of rows at a time.
    normalized = (
        with_identity(parsed, mapping, options.case_sensitive_users, table.distinct)
        .select(
            pl.col(ROW),
            reason.alias("reason"),
            ts.alias("ts"),
            end.alias("end"),
            *IDENTITY_COLUMNS,
            *_code_columns(table, frame, mapping),
        )
        .collect(engine="streaming")
    )
    report = FileReport(
        path=table.path,
        format=table.format,
        compressed=table.compressed,
        encoding=table.encoding,
        delimiter=table.delimiter,
        columns=table.columns,
        mapping=mapping,
        date_order=date_order,
        combined_date_time=combined,
        date_order_basis=date_order_basis,
        w3c_timezone=options.w3c_timezone if combined else None,
    )
    return normalized, report


def _code_columns(table: RawTable, frame: pl.DataFrame, mapping: ColumnMapping) -> list[pl.Expr]:
    """The identities' codes as read, for a table read with dictionaries: a column mapped
    to no identity is missing on every row (null codes); a mapped one not coded (not text,
    or its dictionary holds a NUL) has none, and the run's encoder then codes it itself."""
    if not table.coded:
        return []
    columns = []
    for name in DISTINCT_COLUMNS:
        column = CODE_PREFIX + name
        if column in frame.columns:
            columns.append(pl.col(column))
        elif name not in mapping.chosen:
            columns.append(pl.lit(None, CODE).alias(column))
    return columns


def parse_into(
    frame: pl.DataFrame,
    name: str,
    source: pl.Expr,
    dtype: pl.DataType,
    input_tz: str,
    date_order: DateOrder,
) -> pl.DataFrame:
    """Add columns ``name`` (the instant) and ``name_problem``, parsed in one pass.

    Run by the streaming engine: it parses a slice of rows at a time, so the
    parse's intermediate text columns never exist for the whole file at once
    (a fifth of the peak memory on a 1M-row CSV, and faster on two cores).
    """
    parsed = parse_time_struct(source, dtype, input_tz=input_tz, date_order=date_order)
    return (
        frame.lazy()
        .with_columns(parsed.struct.rename_fields([name, f"{name}_problem"]).alias("__parsed"))
        .unnest("__parsed")
        .collect(engine="streaming")
    )


def _end_from_duration(
    duration: pl.Expr, ts: pl.Expr, unit_seconds: int
) -> tuple[pl.Expr, pl.Expr]:
    """``end = ts + duration``; a duration that is not a number makes ``unparseable_end``."""
    text = duration.cast(pl.String).str.strip_chars()
    seconds = text.cast(pl.Float64, strict=False) * unit_seconds
    micros = (seconds * 1_000_000).round(0)
    # Out-of-range durations would overflow the i64 microseconds of a Datetime.
    sane = micros.abs() < 4e18
    end = pl.when(sane).then(ts + pl.duration(microseconds=micros.cast(pl.Int64, strict=False)))
    low = pl.lit(1990, pl.Int32)
    in_range = end.dt.year().is_between(low, pl.lit(2099, pl.Int32))
    problem = (
        pl.when(text.is_null() | (text == ""))
        .then(pl.lit(None, pl.String))
        .when(seconds.is_null() | seconds.is_nan())
        .then(pl.lit("unparseable"))
        .when(~sane | ~in_range)
        .then(pl.lit("out_of_range"))
    )
    return end, problem


def _check_map(
    columns_by_file: Mapping[Path, Sequence[str]], column_map: Mapping[str, str]
) -> None:
    for canonical, column in column_map.items():
        wanted = column.strip().lower()
        found = (name.strip().lower() for names in columns_by_file.values() for name in names)
        if wanted not in found:
            seen = sorted({name for names in columns_by_file.values() for name in names})
            files = [str(path) for path in columns_by_file]
            where = ", ".join(files[:3]) + (f" and {len(files) - 3} more" if len(files) > 3 else "")
            raise ConfigError(
                f"`--map {canonical}={column}` names a column the input does not have "
                f"(read: {where or 'no file'}).",
                f"columns found: {', '.join(seen) or 'none'}.",
            )


def _ingest_table(
    table: RawTable, options: IngestOptions
) -> tuple[pl.DataFrame, pl.DataFrame, FileReport]:
    """One file's used events, its rejects (with the raw record), and what was found in it."""
    frame = table.frame.collect()
    normalized, report = _normalize(table, frame, options)
    is_rejected = normalized.get_column("reason").is_not_null()
    if is_rejected.any():
        rejected = normalized.filter(is_rejected)
        events = normalized.filter(~is_rejected).select(*EVENT_SCHEMA, cs.starts_with(CODE_PREFIX))
        raw = frame.filter(pl.col(ROW).is_in(rejected.get_column(ROW).implode())).select(
            pl.col(ROW), table.raw_text().alias("raw")
        )
    else:
        # The common case, every row used: no filter, so no copy of every column.
        rejected = normalized.clear()
        events = normalized.select(*EVENT_SCHEMA, cs.starts_with(CODE_PREFIX))
        raw = pl.DataFrame(schema={ROW: pl.Int64, "raw": pl.String})
    del normalized
    report.rows_read = frame.height + table.malformed.height
    del frame
    file_rejects = pl.concat(
        [
            table.malformed.select(
                pl.col(ROW).alias("row"), pl.lit("malformed").alias("reason"), "raw"
            ),
            rejected.join(raw, on=ROW, how="left").select(
                pl.col(ROW).alias("row"), "reason", "raw"
            ),
        ]
    ).sort("row")
    report.rows_rejected = file_rejects.height
    rejects = file_rejects.select(pl.lit(str(table.path)).alias("source"), "row", "reason", "raw")
    return events, rejects, report


def distinct_identity_columns(columns: list[str], options: IngestOptions) -> dict[str, str]:
    """The internal names of the columns a file's header maps to the identities whose
    distinct values the rules read (``identity.DISTINCT_COLUMNS``), each with its identity:
    what the NUL screen may test on those values (``read_table(distinct=...)``)."""
    mapping = map_columns(columns, options.column_map)
    return {
        f"c{match.index}": name
        for name, match in mapping.chosen.items()
        if name in DISTINCT_COLUMNS
    }


OnProgress = Callable[[Path, str, int, int], None]
"""Called as ``(file, stage, bytes done, bytes in all)``: stage is "reading" or "normalizing"."""

Sink = Callable[[pl.DataFrame], None]
"""Takes the used events of each file, in file order, instead of ``Ingested.events``."""


def ingest(
    paths: Sequence[Path],
    options: IngestOptions,
    on_progress: OnProgress | None = None,
    sink: Sink | None = None,
) -> Ingested:
    """Read every input file into canonical events and counted rejects.

    Files are read and normalized one at a time, so that only one file's raw text
    columns are held at once, whatever the size of the folder. Progress counts the
    files' bytes: half of a file's when it is read, the rest once it is normalized,
    so that the bar moves on a single large file too. With a ``sink``, each file's used
    events go to it as soon as they are read, and ``Ingested.events`` stays empty.
    """
    # slices reads IngestOptions, defined here.
    from licaudit.ingest.slices import LOCAL_SLICE_ROWS, parquet_slices, read_slice

    files, warnings = discover(paths, options.recursive, options.exclude)
    sizes = [path.stat().st_size for path in files]
    total, done_bytes = sum(sizes), 0

    def progress(path: Path, stage: str, done: int) -> None:
        if on_progress is not None:
            on_progress(path, stage, done, total)

    def distinct_columns(columns: list[str]) -> dict[str, str]:
        return distinct_identity_columns(columns, options)

    # The whole-frame path codes identities as it reads them, for the encoder (a sink
    # codes the events it takes itself).
    dictionaries = {name: Dictionary() for name in DISTINCT_COLUMNS} if sink is None else None
    code_frames: list[pl.DataFrame] = []
    # The identities some of whose coded rows were rejected: some of their names may be no
    # used row's, and the encoder looks for those still used.
    partly_used: set[str] = set()

    events: list[pl.DataFrame] = []
    rejects: list[pl.DataFrame] = []
    reports: list[FileReport] = []
    columns_by_file: dict[Path, list[str]] = {}
    streamed = 0
    for path, size in zip(files, sizes, strict=True):
        progress(path, "reading", done_bytes)
        # With a sink, a large typed Parquet file is read a slice of row groups at a time.
        cuts = None if sink is None else parquet_slices(path, options, LOCAL_SLICE_ROWS)
        pieces: list[tuple[int, int] | None] = list(cuts) if cuts else [None]
        first: tuple[RawTable, FileReport] | None = None
        for number, piece in enumerate(pieces, start=1):
            coded_before = {name: d.rows_coded for name, d in (dictionaries or {}).items()}
            if piece is None:
                table = read_table(
                    path, options.encoding, options.sheet, distinct_columns, dictionaries
                )
            else:
                table = read_slice(path, *piece, distinct_columns, dictionaries)
            progress(path, "normalizing", done_bytes + size * number // (len(pieces) + 1))
            file_events, file_rejects, report = _ingest_table(table, options)
            for name, dictionary in (dictionaries or {}).items():
                if dictionary.rows_coded - coded_before[name] not in (0, file_events.height):
                    partly_used.add(name)
            if sink is None:
                code_frames.append(file_events.select(cs.starts_with(CODE_PREFIX)))
                events.append(file_events.select(list(EVENT_SCHEMA)))
            else:
                streamed += file_events.height
                sink(file_events.cast(pl.Schema(EVENT_SCHEMA)))
            del file_events
            rejects.append(file_rejects)
            if first is None:
                first = (table, report)
            else:  # a later slice of the same file: its counts join the file's report
                first[1].rows_read += report.rows_read
                first[1].rows_rejected += report.rows_rejected
            del table
        assert first is not None
        columns_by_file[path] = first[0].columns
        reports.append(first[1])
        warnings.extend(_file_warnings(*first))
        del first
        done_bytes += size
        progress(path, "read", done_bytes)
    _check_map(columns_by_file, options.column_map)
    codes = None
    if dictionaries is not None:
        codes = _identity_codes(
            code_frames, dictionaries, partly_used, options.case_sensitive_users
        )
    del code_frames
    return Ingested(
        events=pl.concat(events).cast(pl.Schema(EVENT_SCHEMA))
        if events
        else pl.DataFrame(schema=EVENT_SCHEMA),
        rejects=pl.concat(rejects).cast(pl.Schema(REJECT_SCHEMA))
        if rejects
        else pl.DataFrame(schema=REJECT_SCHEMA),
        files=reports,
        warnings=warnings,
        rows_streamed=streamed,
        codes=codes,
    )


def _identity_codes(
    frames: list[pl.DataFrame],
    dictionaries: Mapping[str, Dictionary],
    partly_used: set[str],
    case_sensitive_users: bool,
) -> IdentityCodes | None:
    """The codes of the identities every file could code, row for row with the used events;
    None when none could."""
    coded = [
        name
        for name in DISTINCT_COLUMNS
        if frames and all(CODE_PREFIX + name in frame.columns for frame in frames)
    ]
    if not coded:
        return None
    codes = pl.concat(
        [frame.select(pl.col(CODE_PREFIX + name).alias(name) for name in coded) for frame in frames]
    )
    missing = pl.Series([None], dtype=pl.String)
    normal = {
        name: normal_values(
            name, pl.concat([dictionaries[name].names, missing]), case_sensitive_users
        )
        for name in coded
    }
    complete = {name: name not in partly_used for name in coded}
    return IdentityCodes(codes=codes, normal=normal, complete=complete)


def _file_warnings(table: RawTable, report: FileReport) -> list[str]:
    if table.empty:
        return [f"{table.path} is empty: it adds no rows."]
    if report.rows_read == 0:
        return [f"{table.path} has a header but no rows."]
    if "ts" not in report.mapping.chosen and not report.combined_date_time:
        columns = ", ".join(table.columns) or "none"
        return [
            f"{table.path} has no timestamp column (columns: {columns}); its rows are "
            "rejected as missing_ts. Hint: name it with --map ts=COLUMN."
        ]
    if report.date_order_basis == "assumed":
        return [
            f"{table.path}: every slash date reads both as day/month and as month/day, so "
            "day-first (DD/MM/YYYY) was assumed. Hint: if the file comes from a US export, "
            "give --date-order mdy."
        ]
    return []
