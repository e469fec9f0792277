"""Reading input files into raw tables of text, before any licence meaning (SPEC 1.1, 1.4).

A file's format is decided by its content first (gzip and Parquet magic bytes; a
zip named ``.xlsx`` is an Excel workbook), then by its name. Text is decoded as
UTF-8 (a BOM dropped), UTF-16 with a BOM, or, when it is not valid UTF-8,
Windows-1252 with Latin-1 for the five bytes Windows-1252 leaves undefined. A CSV
record with the wrong number of fields, a field holding a NUL byte, and a JSON
line that does not parse or is not an object are ``malformed``: counted and kept
for the rejects file, never dropped silently.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
import zlib
from collections.abc import Callable, Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn

import polars as pl
from fastexcel import FastExcelError

from licaudit.errors import DataError
from licaudit.ingest.dictionary import CODE_PREFIX, Dictionary, code_columns
from licaudit.ingest.encodings import looks_binary, utf8_payload
from licaudit.ingest.excel import read_sheet

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

# pyarrow is imported where it is used (CSV parsing, unreadable Parquet), not here:
# with its numpy it costs a quarter of a second at start-up, and Parquet is read
# and screened by Polars alone.

Format = Literal["csv", "jsonl", "parquet", "xlsx"]

TEXT_SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
EXCEL_SUFFIXES = {".xlsx"}
SUPPORTED = ".csv, .tsv, .txt, .jsonl, .ndjson, .parquet, .xlsx (text formats also as .gz)"
# The contract file's name (licaudit.contract.CONTRACT_FILE_NAME), not imported:
# reading files does not depend on contracts.
CONTRACT_FILE = "licaudit.toml"
DELIMITERS = (",", ";", "\t", "|")
ROW = "__row"
"""Internal column: the 1-based record number of a row in its file (header not counted)."""

_GZIP_MAGIC = b"\x1f\x8b"
_PARQUET_MAGIC = b"PAR1"
_ZIP_MAGIC = b"PK\x03\x04"  # an .xlsx workbook is a zip archive
_NUL_SCREEN_ROWS = 1 << 16


@dataclass
class RawTable:
    """One file as text columns ``c0..cN`` plus ``__row``, with what was detected about it."""

    path: Path
    format: Format
    compressed: bool
    columns: list[str]
    frame: pl.LazyFrame
    encoding: str | None = None
    delimiter: str | None = None
    malformed: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(schema={ROW: pl.Int64, "raw": pl.String})
    )
    empty: bool = False
    # Text columns known to hold no NUL byte, screened as they were read (SPEC 1.4).
    nul_free: frozenset[str] = frozenset()
    # The distinct values of some text columns, in order of first sight, found by the
    # NUL screen (``read_table(distinct=...)``) for the identity rules to reuse.
    distinct: dict[str, pl.Series] = field(default_factory=dict)
    # Whether the identity columns were coded as read (``CODE_PREFIX`` columns of ``frame``).
    coded: bool = False

    @property
    def internal_names(self) -> list[str]:
        return [f"c{index}" for index in range(len(self.columns))]

    def raw_text(self) -> pl.Expr:
        """The record as read, for the rejects file."""
        names = self.internal_names
        if self.format == "jsonl" and not self.empty:
            return pl.col("__line")
        if not names:
            return pl.lit("", pl.String)
        if self.format in ("parquet", "xlsx"):
            schema = self.frame.collect_schema()
            # Lists and structs go into the JSON as they are: they have no cast to text.
            return pl.struct(
                [
                    (
                        pl.col(name)
                        if schema[name].is_nested()
                        else pl.col(name).cast(pl.String, strict=False)
                    ).alias(column)
                    for name, column in zip(names, self.columns, strict=True)
                ]
            ).struct.json_encode()
        delimiter = self.delimiter or ","
        return pl.concat_str(
            [_csv_field(pl.col(name), delimiter) for name in names], separator=delimiter
        )


def _csv_field(value: pl.Expr, delimiter: str) -> pl.Expr:
    """A value written back as a CSV field, quoted when it holds a delimiter, quote or newline."""
    text = value.fill_null("")
    quoted = pl.concat_str(
        [pl.lit('"'), text.str.replace_all('"', '""', literal=True), pl.lit('"')]
    )
    needs_quotes = text.str.contains(f'[{re.escape(delimiter)}"\r\n]')
    return pl.when(needs_quotes).then(quoted).otherwise(text)


def _read_bytes(path: Path) -> tuple[bytes, bool]:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise DataError(f"File {path} cannot be read: {error.strerror or error}.") from None
    if data[:2] != _GZIP_MAGIC:
        return data, False
    try:
        return gzip.decompress(data), True
    except (OSError, EOFError, zlib.error) as error:
        raise DataError(
            f"File {path} is a truncated or corrupt gzip file ({error}).",
            "download or export it again.",
        ) from None


def _inner_suffix(path: Path) -> str:
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    return suffixes[-1] if suffixes else ""


def sniff_delimiter(sample: str) -> str:
    """The delimiter among , ; tab | that splits the header most consistently with the rows."""
    lines = sample.splitlines()
    if len(lines) > 1 and not sample.endswith(("\n", "\r")):
        lines = lines[:-1]  # the last line of a sample may be cut short
    lines = lines[:200]
    best, best_score = ",", (0.0, 1)
    for delimiter in DELIMITERS:
        records = list(csv.reader(lines, delimiter=delimiter))
        if not records or len(records[0]) < 2:
            continue
        width = len(records[0])
        body = records[1:]
        consistency = sum(len(record) == width for record in body) / len(body) if body else 1.0
        score = (consistency, width)
        if score > best_score:
            best, best_score = delimiter, score
    return best


def _csv_table(path: Path, payload: bytes, encoding: str, compressed: bool) -> RawTable:
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    head = payload[:65536].decode("utf-8", errors="ignore")
    delimiter = sniff_delimiter(head)
    # newline="": records may end in \r\n, \n or a lone \r (old Mac exports).
    header_line = next(csv.reader(io.StringIO(head, newline=""), delimiter=delimiter), [])
    if b"\n" not in payload and b"\r" not in payload:
        payload += b"\n"  # pyarrow cannot skip a header that does not end its line
    columns = [name.strip() for name in header_line]
    names = [f"c{index}" for index in range(len(columns))]
    invalid: list[tuple[int, str]] = []

    def on_invalid(row: pa_csv.InvalidRow) -> str:
        invalid.append((row.number, row.text))
        return "skip"

    try:
        # One thread: it knows each malformed record's number (threaded parsing does
        # not), parses as fast here (quoted newlines make the parse serial anyway)
        # and holds fewer buffers at once.
        table = pa_csv.read_csv(
            pa.py_buffer(payload),
            read_options=pa_csv.ReadOptions(
                use_threads=False, column_names=names, skip_rows=1, block_size=1 << 22
            ),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, invalid_row_handler=on_invalid
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types={name: pa.string() for name in names},
                strings_can_be_null=True,
                null_values=[""],
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowException) as error:
        raise DataError(f"File {path} cannot be read as CSV: {error}.") from None
    nul_free = frozenset(name for name in names if not _arrow_holds_nul(table.column(name)))
    frame = pl.from_arrow(table)
    assert isinstance(frame, pl.DataFrame)
    # pyarrow numbers records from 1 counting the header; ours count data records only.
    bad_rows = sorted(number - 1 for number, _ in invalid)
    total = frame.height + len(bad_rows)
    row_numbers = pl.int_range(1, total + 1, dtype=pl.Int64, eager=True)
    kept = row_numbers.filter(~row_numbers.is_in(bad_rows)) if bad_rows else row_numbers
    frame = frame.with_columns(kept.alias(ROW))
    malformed = pl.DataFrame(
        {ROW: bad_rows, "raw": [raw for _, raw in sorted(invalid)]},
        schema={ROW: pl.Int64, "raw": pl.String},
    )
    return RawTable(
        path=path,
        format="csv",
        compressed=compressed,
        columns=columns,
        frame=frame.lazy(),
        encoding=encoding,
        delimiter=delimiter,
        malformed=malformed,
        nul_free=nul_free,
    )


def _json_value(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        spelled = repr(value)
        # Exponent notation would not read back as an epoch number: spell it out.
        return format(Decimal(spelled), "f") if "e" in spelled or "E" in spelled else spelled
    return json.dumps(value, ensure_ascii=False)


def _jsonl_table(path: Path, text: str, encoding: str, compressed: bool) -> RawTable:
    columns: dict[str, list[str | None]] = {}
    rows: list[int] = []
    lines: list[str] = []
    bad_rows: list[int] = []
    bad_lines: list[str] = []
    count = 0
    number = 0
    # JSON Lines ends records at "\n" only: str.splitlines() would also cut at
    # U+2028, U+0085 and others, which a JSON string may hold as they are.
    for line in (part.removesuffix("\r") for part in text.split("\n")):
        if not line.strip():
            continue
        number += 1  # records are numbered like CSV ones: blank lines do not count
        try:
            record = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: nesting too deep to parse
            record = None
        if not isinstance(record, dict):
            bad_rows.append(number)
            bad_lines.append(line)
            continue
        for key, value in record.items():
            values = columns.get(key)
            if values is None:
                values = columns[key] = [None] * count
            values.append(_json_value(value))
        count += 1
        for values in columns.values():
            if len(values) < count:
                values.append(None)
        rows.append(number)
        lines.append(line)
    names = list(columns)
    frame = pl.DataFrame(
        {f"c{index}": columns[name] for index, name in enumerate(names)}
        | {ROW: rows, "__line": lines},
        schema={f"c{index}": pl.String for index in range(len(names))}
        | {ROW: pl.Int64, "__line": pl.String},
    )
    malformed = pl.DataFrame(
        {ROW: bad_rows, "raw": bad_lines}, schema={ROW: pl.Int64, "raw": pl.String}
    )
    return RawTable(
        path=path,
        format="jsonl",
        compressed=compressed,
        columns=names,
        frame=frame.lazy(),
        encoding=encoding,
        malformed=malformed,
    )


def _parquet_table(path: Path, data: bytes | None, compressed: bool) -> RawTable:
    try:
        frame = pl.read_parquet(io.BytesIO(data) if data is not None else path)
    except (OSError, pl.exceptions.PolarsError) as error:
        _unreadable_parquet(path, data, error)
    columns = frame.columns
    frame = frame.rename({old: f"c{index}" for index, old in enumerate(frame.columns)})
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return RawTable(
        path=path, format="parquet", compressed=compressed, columns=columns, frame=frame.lazy()
    )


def _unreadable_parquet(path: Path, data: bytes | None, error: Exception) -> NoReturn:
    """The DataError of a Parquet file Polars cannot read, naming pyarrow's reason first.

    pyarrow reads the file's schema as it always has, so that a corrupt file is
    described in the same words; only a file whose schema it reads gets Polars' reason.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    reason: Exception = error
    try:
        pq.ParquetFile(io.BytesIO(data) if data is not None else path).schema_arrow  # noqa: B018
    except (pa.ArrowException, OSError) as schema_error:
        reason = schema_error
    raise DataError(
        f"File {path} is a truncated or corrupt Parquet file ({reason}).", "export it again."
    ) from None


def _xlsx_table(path: Path, data: bytes | None, compressed: bool, sheet: str | None) -> RawTable:
    try:
        frame = read_sheet(path, data if data is not None else path, sheet)
    except (FastExcelError, pl.exceptions.PolarsError, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise DataError(
            f"File {path} is a truncated or corrupt Excel workbook ({reason}).",
            "open it in Excel and save it again as .xlsx, or export it again.",
        ) from None
    columns = frame.columns
    # Rows are numbered like CSV records: the header and empty rows do not count.
    frame = frame.rename({old: f"c{index}" for index, old in enumerate(columns)})
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    return RawTable(
        path=path,
        format="xlsx",
        compressed=compressed,
        columns=columns,
        frame=frame.lazy(),
        empty=not columns,
    )


def _arrow_holds_nul(texts: pa.ChunkedArray) -> bool:
    """Whether an Arrow text column may hold a NUL byte: one scan of its bytes.

    An Arrow ``string`` keeps its values' bytes end to end in one buffer per chunk,
    whose smallest byte is 0 when a value holds a NUL (or a byte outside a sliced
    chunk does: then the column is only screened again, value by value).
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    for chunk in texts.chunks:
        data = chunk.buffers()[2]
        if data is not None and data.size:
            text_bytes = pa.Array.from_buffers(pa.uint8(), data.size, [None, data])
            if pc.min(text_bytes).as_py() == 0:
                return True
    return False


DistinctColumns = Callable[[list[str]], Mapping[str, str]]
"""Of a file's header, the internal names (``c0``...) of the columns whose distinct values
the ingest will read anyway, each with its identity (user, method, product): screened on
those values."""


def _reject_nul_fields(
    table: RawTable,
    distinct: DistinctColumns | None = None,
    dictionaries: Mapping[str, Dictionary] | None = None,
) -> RawTable:
    """Move records with a field holding a NUL byte to ``malformed`` (SPEC 1.4), in any format.

    The columns ``distinct`` names are screened on their distinct values, kept in
    ``table.distinct`` when no record goes: a few thousand users instead of millions of
    cells, and the identity rules need those values anyway. With ``dictionaries`` (the
    run's, by identity), those values come from coding the column against its identity's
    dictionary, and the codes go along with the rows (``CODE_PREFIX`` + identity).
    """
    frame = table.frame.collect()
    pending = [
        name
        for name in table.internal_names
        if frame.schema[name] == pl.String and name not in table.nul_free
    ]
    texts: list[str] = []
    wanted = dict(distinct(table.columns)) if distinct is not None else {}
    if dictionaries is not None:
        table.coded = True
        to_code = {
            name: dictionaries[wanted[name]]
            for name in table.internal_names
            if frame.schema[name] == pl.String and wanted.get(name) in dictionaries
        }
        pending = [name for name in pending if name not in to_code]
        # The coding and the other columns' screen at once, each query of a few columns
        # leaving cores idle on its own (10 M events: 0.34 -> 0.25 s).
        with ThreadPoolExecutor(1) as pool:
            coding = pool.submit(_code_texts, frame, to_code, table.distinct, table.nul_free)
            joined = _joined_screen(frame, pending)
            coded, texts = coding.result()
        texts += joined
        frame = frame.with_columns(
            codes.alias(CODE_PREFIX + wanted[name]) for name, codes in coded.items()
        )
        table.frame = frame.lazy()
    else:
        by_value = [name for name in pending if name in wanted]
        if by_value:
            # In order of first sight: half the time of an unordered unique in polars 2.1.
            found_values = frame.select(
                pl.col(name).unique(maintain_order=True).implode() for name in by_value
            )
            for name in by_value:
                values = found_values.get_column(name).item()
                if values.str.contains("\x00", literal=True).any():
                    texts.append(name)
                else:
                    table.distinct[name] = values
        texts += _joined_screen(frame, [name for name in pending if name not in by_value])
    if not texts:
        return table
    has_nul = pl.any_horizontal(
        [pl.col(name).str.contains("\x00", literal=True) for name in texts]
    ).fill_null(False)
    nul_mask = frame.select(has_nul).to_series()
    if not nul_mask.any():
        return table  # the common case: no copy of the frame
    table.distinct = {}  # records go: the values found may be some of theirs
    nul_rows = frame.filter(nul_mask)
    table.frame = frame.filter(~nul_mask).lazy()
    if nul_rows.height:
        table.malformed = pl.concat(
            [table.malformed, nul_rows.select(ROW, raw=table.raw_text())]
        ).sort(ROW)
    return table


def _joined_screen(frame: pl.DataFrame, pending: list[str]) -> list[str]:
    """Of the text columns ``pending``, those holding a NUL somewhere.

    Screened as joined strings: a single memchr-like scan of a column's bytes costs about
    half the per-value test; only a column that holds a NUL somewhere is then tested value
    by value to find its records. Polars keeps strings as views (short ones zero-padded
    inside them), so its buffers cannot be searched as they are. Joined a slice of rows at
    a time, every column of a slice in one query (in parallel): slices of a MiB or so reuse
    the allocator's memory, where joining a million rows faults in fresh pages (half as
    much time again), and no joined string nears the 4 GiB a string may hold.
    """
    found_nul: list[str] = []
    for start in range(0, frame.height, _NUL_SCREEN_ROWS):
        if not pending:
            break
        found = frame.slice(start, _NUL_SCREEN_ROWS).select(
            pl.col(name).str.join("").str.contains("\x00", literal=True) for name in pending
        )
        found_nul += [name for name in pending if found.get_column(name).item()]
        pending = [name for name in pending if name not in found_nul]
    return found_nul


def _code_texts(
    frame: pl.DataFrame,
    dictionaries: Mapping[str, Dictionary],
    distinct: dict[str, pl.Series],
    nul_free: Collection[str],
) -> tuple[dict[str, pl.Series], list[str]]:
    """Each column's codes in its dictionary, and its distinct values into ``distinct``; and
    the columns to screen row by row instead: those not known to be ``nul_free`` whose
    dictionary holds a NUL.

    The coding (``code_columns``) takes about the time of the column's ``unique``, which
    the codes then spare the encoder.
    """
    first = {name: not dictionary.names.len() for name, dictionary in dictionaries.items()}
    found = code_columns(frame, dictionaries)
    coded: dict[str, pl.Series] = {}
    texts: list[str] = []
    for name, dictionary in dictionaries.items():
        values, codes = frame[name], found[name]
        if name not in nul_free and dictionary.names.str.contains("\x00", literal=True).any():
            texts.append(name)  # this file's rows with that name go: tested row by row
            continue
        dictionary.rows_coded += codes.len()
        # A first file gave its dictionary every name it holds; a later one, some of them.
        names = dictionary.names
        if not first[name]:
            names = names.gather(codes.unique().drop_nulls())
        if values.null_count():
            names = pl.concat([names, pl.Series([None], dtype=pl.String)])
        distinct[name] = names
        coded[name] = codes
    return coded, texts


def read_table(
    path: Path,
    encoding: str | None = None,
    sheet: str | None = None,
    distinct: DistinctColumns | None = None,
    dictionaries: Mapping[str, Dictionary] | None = None,
) -> RawTable:
    """Read one file into a RawTable; a file that cannot be read at all is a DataError.

    ``sheet`` names the sheet of an Excel workbook to read (default: the first);
    other formats have no sheets and ignore it. ``distinct``: the columns to screen for
    NUL bytes on their distinct values (``_reject_nul_fields``).
    """
    return _reject_nul_fields(_read_table(path, encoding, sheet), distinct, dictionaries)


def _read_table(path: Path, encoding: str | None, sheet: str | None) -> RawTable:
    if not path.is_file():
        raise DataError(f"Input {path} does not exist or is not a file.")
    suffix = _inner_suffix(path)
    # Binary formats not compressed are read by their reader from the path: no copy in memory.
    if suffix in PARQUET_SUFFIXES | EXCEL_SUFFIXES and path.suffix.lower() != ".gz":
        with path.open("rb") as handle:
            magic = handle.read(4)
        if magic == _PARQUET_MAGIC:
            return _parquet_table(path, None, False)
        if magic == _ZIP_MAGIC and suffix in EXCEL_SUFFIXES:
            return _xlsx_table(path, None, False, sheet)
    data, compressed = _read_bytes(path)
    if data[:4] == _PARQUET_MAGIC:
        return _parquet_table(path, data, compressed)
    is_zip = data[:4] == _ZIP_MAGIC
    if is_zip and suffix in EXCEL_SUFFIXES:
        return _xlsx_table(path, data, compressed, sheet)
    if suffix in PARQUET_SUFFIXES:
        raise DataError(
            f"File {path} is named like Parquet but is not a Parquet file.",
            "export it again, or rename it after its real format.",
        )
    if suffix in EXCEL_SUFFIXES:
        raise DataError(
            f"File {path} is named like an Excel workbook (.xlsx) but is not one.",
            "an old .xls or a password-protected workbook must be saved again as .xlsx "
            "from Excel; otherwise rename the file after its real format.",
        )
    payload, detected = utf8_payload(data, path, encoding)
    del data  # the payload is the same bytes, or a UTF-8 copy: keep one
    head = payload[:65536].decode("utf-8", errors="ignore")
    if looks_binary(head):
        raise DataError(
            f"File {path} does not look like a text file (CSV or JSON Lines): "
            "it holds binary data.",
            "it is a zip archive: an Excel workbook is read when it is named .xlsx."
            if is_zip
            else "check that this is the export you meant; licaudit reads CSV, JSON Lines, "
            "Parquet and Excel (.xlsx).",
        )
    if not payload or payload.isspace():
        frame = pl.DataFrame(schema={ROW: pl.Int64}).lazy()
        kind: Format = "jsonl" if TEXT_SUFFIXES.get(suffix) == "jsonl" else "csv"
        return RawTable(path, kind, compressed, [], frame, encoding=detected, empty=True)
    if TEXT_SUFFIXES.get(suffix) == "jsonl" or (
        suffix not in TEXT_SUFFIXES and head.lstrip().startswith("{")
    ):
        return _jsonl_table(path, payload.decode("utf-8"), detected, compressed)
    return _csv_table(path, payload, detected, compressed)
