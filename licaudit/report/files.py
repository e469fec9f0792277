"""CSV, JSON and Parquet output, written atomically, safe to open in a spreadsheet."""

from __future__ import annotations

import io
import json
import os
import re
import stat
import tempfile
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import polars as pl

from licaudit.errors import ConfigError
from licaudit.periods import TIMESTAMP_FORMAT

INJECTION_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def guard_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """Prefix text cells a spreadsheet would run as a formula with ``'`` (SPEC 4)."""
    pattern = "^[" + "".join(re.escape(prefix) for prefix in INJECTION_PREFIXES) + "]"
    return frame.with_columns(
        pl.when(pl.col(name).str.contains(pattern))
        .then(pl.lit("'") + pl.col(name))
        .otherwise(pl.col(name))
        .alias(name)
        for name, dtype in frame.schema.items()
        if dtype == pl.String
    )


def instant_text(instant: pl.Expr) -> pl.Expr:
    """ISO 8601 text of a timezone-aware instant in its own timezone, with its offset.

    ``2025-10-08T15:57:17+02:00``: seconds, and the fraction only where there is one,
    without trailing zeros (``15:57:17.978+02:00``).
    """
    fraction = instant.dt.strftime("%.6f").str.replace(r"\.?0+$", "")
    return instant.dt.strftime("%Y-%m-%dT%H:%M:%S") + fraction + instant.dt.strftime("%:z")


def as_text_friendly(frame: pl.DataFrame) -> pl.DataFrame:
    """Instants as ISO 8601 text with their offset and decimals as text, for CSV and JSON.

    A timezone-aware instant is written in its column's timezone: convert it first
    (``local_instants``) to write it as the contract's local time.
    """
    columns = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, pl.Datetime):
            columns.append(
                instant_text(pl.col(name))
                if dtype.time_zone
                else pl.col(name).dt.strftime(TIMESTAMP_FORMAT)
            )
        elif isinstance(dtype, pl.Date):
            columns.append(pl.col(name).dt.strftime("%Y-%m-%d"))
        elif isinstance(dtype, pl.Decimal):
            columns.append(pl.col(name).cast(pl.String))
        elif isinstance(dtype, pl.Duration):
            columns.append(pl.col(name).dt.total_seconds())
    return frame.with_columns(columns) if columns else frame


def in_timezone(frame: pl.DataFrame, timezone: str) -> pl.DataFrame:
    """Every timezone-aware instant of ``frame`` converted to ``timezone`` (same instants)."""
    return frame.with_columns(
        pl.col(name).dt.convert_time_zone(timezone)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    )


def _has_instants(frame: pl.DataFrame) -> bool:
    return any(
        isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
        for dtype in frame.schema.values()
    )


def local_instants(frame: pl.DataFrame, timezones: Mapping[str, str]) -> pl.DataFrame:
    """Each row's instants as ISO text in its contract's timezone, with the offset (SPEC 4).

    ``timezones`` maps a contract name (the ``contract`` column) to its timezone. One
    Polars column holds one timezone, and a table may join contracts of several: each
    contract's rows are formatted in its timezone, then put back in their order. Rows
    of a contract not in ``timezones`` (or a frame without ``contract``) stay in UTC.
    Other columns keep their types.
    """
    if not _has_instants(frame):
        return frame
    if "contract" not in frame.columns or frame.is_empty():
        return _instants_as_text(frame)
    indexed = frame.with_row_index("__row")
    parts = [
        _instants_as_text(in_timezone(group, timezones.get(str(contract), "UTC")))
        for (contract,), group in indexed.group_by("contract", maintain_order=True)
    ]
    return pl.concat(parts).sort("__row").drop("__row")


def _instants_as_text(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        instant_text(pl.col(name)).alias(name)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Datetime) and dtype.time_zone is not None
    )


def typed_for_parquet(frame: pl.DataFrame, timezones: Mapping[str, str]) -> pl.DataFrame:
    """Instants typed in the contracts' timezone, ``period`` as a Date (Parquet has both).

    A Parquet column holds one timezone: the table's contracts' when they share one,
    else UTC (the instants are the same). ``period`` becomes the day, or a month's
    first day, when every value is a day or every value a month; else it stays text.
    """
    if "contract" in frame.columns:
        zones = {timezones.get(str(name), "UTC") for name in frame["contract"].unique()}
        if len(zones) == 1:
            frame = in_timezone(frame, zones.pop())
    if "period" in frame.columns and frame.schema["period"] == pl.String:
        text = pl.col("period")
        present = frame["period"].drop_nulls()
        for parsed in (text.str.to_date("%Y-%m-%d", strict=False),
                       (text + "-01").str.to_date("%Y-%m-%d", strict=False)):  # fmt: skip
            # Days, or months: never a mix (a table joining models of both stays text).
            as_date = frame.select(parsed.alias("period"))["period"]
            if as_date.null_count() == frame["period"].null_count() and present.len():
                frame = frame.with_columns(as_date)
                break
    return frame


def csv_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    guard_formulas(as_text_friendly(frame)).write_csv(buffer)
    return buffer.getvalue()


def csv_excel_bytes(frame: pl.DataFrame) -> bytes:
    """CSV that French, German, Spanish... Excel opens by double-click, columns and numbers intact.

    UTF-8 with a BOM (without it Excel reads the bytes as Windows-1252: ``é`` becomes
    ``Ã©``), ``;`` between fields and CRLF line ends: the list separator of every locale
    whose decimal separator is the comma. Decimals are written with that comma, since
    such an Excel reads ``1.5`` as the date 1 May and ``1920.50`` as text. No ``sep=;``
    line: Excel then ignores the BOM. Dates stay ISO 8601, which Excel reads in any locale.
    """
    with_commas = frame.with_columns(
        pl.col(name).cast(pl.String).str.replace(".", ",", literal=True)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Decimal)
    )
    buffer = io.BytesIO()
    guard_formulas(as_text_friendly(with_commas)).write_csv(
        buffer, separator=";", decimal_comma=True, include_bom=True, line_terminator="\r\n"
    )
    return buffer.getvalue()


def parquet_bytes(frame: pl.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.write_parquet(buffer)
    return buffer.getvalue()


def _json_ready(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def json_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Rows as objects; cost as a number, timestamps as ISO 8601 UTC text."""
    text_frame = frame.with_columns(
        pl.col(name).cast(pl.Float64)
        for name, dtype in frame.schema.items()
        if isinstance(dtype, pl.Decimal)
    )
    text_frame = as_text_friendly(text_frame)
    return [
        {key: _json_ready(value) for key, value in row.items()}
        for row in text_frame.iter_rows(named=True)
    ]


def json_bytes(document: Mapping[str, Any]) -> bytes:
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def write_atomic(path: Path, payload: bytes) -> None:
    """Write a file whole or not at all: a crash leaves no half-written output.

    The payload goes to a temporary file beside ``path``, renamed over it once complete.
    Only an ordinary file (or a new one) is replaced so: a device or a pipe (``/dev/null``,
    ``/dev/stdout``), or a symbolic link, is written through in place, since renaming over
    it would put a file where the device, the pipe or the link was (as root, a
    ``--output /dev/null`` would replace the system's ``/dev/null``).
    """
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ConfigError(
            f"Cannot write {path}: it is a folder.", "give a file name, e.g. --output usage.csv."
        )
    if not directory.is_dir():
        raise ConfigError(
            f"Cannot write {path}: folder {directory} does not exist.",
            "create the folder first, or choose another --output path.",
        )
    if written_in_place(path):
        _write_in_place(path, payload)
        return
    try:
        handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    except OSError as error:
        raise ConfigError(f"Cannot write {path}: {error.strerror or error}.") from None
    try:
        # mkstemp makes the file private (0600); an output is an ordinary file.
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        with os.fdopen(handle, "wb") as stream:
            stream.write(payload)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise ConfigError(f"Cannot write {path}: {error.strerror or error}.") from None
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def written_in_place(path: Path) -> bool:
    """Whether ``write_atomic`` writes through ``path`` rather than replacing it: a link, a
    device or a pipe."""
    return path.is_symlink() or (path.exists() and not stat.S_ISREG(path.stat().st_mode))


def _write_in_place(path: Path, payload: bytes) -> None:
    """``write_atomic`` to what cannot be replaced: opened, truncated and written."""
    try:
        with path.open("wb") as stream:
            stream.write(payload)
            stream.flush()
    except OSError as error:
        raise ConfigError(f"Cannot write {path}: {error.strerror or error}.") from None


def check_destination(path: Path | None, option: str) -> None:
    """Fail before any data is read when ``option``'s file could not be written."""
    if path is None or str(path) == "-":
        return
    directory = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ConfigError(
            f"`{option}` {path} is a folder.", f"give a file name, e.g. {option} {path / 'out'}."
        )
    if not directory.is_dir():
        raise ConfigError(
            f"`{option}` {path}: folder {directory} does not exist.",
            f"create the folder first, or choose another {option} path.",
        )
    if written_in_place(path):
        # A link, a device or a pipe (/dev/null) is written through: it must be writable
        # itself, its folder need not be.
        if not os.access(path, os.W_OK):
            raise ConfigError(
                f"`{option}` {path} is not writable.", f"choose another {option} path."
            )
        return
    if not os.access(directory, os.W_OK | os.X_OK):
        raise ConfigError(
            f"`{option}` {path}: folder {directory} is not writable.",
            f"choose another {option} path.",
        )


def emit(payload: bytes, output: Path | None, stdout: IO[bytes]) -> None:
    """Send output to ``--output`` (atomically) or to standard output."""
    if output is None or str(output) == "-":
        stdout.write(payload)
        stdout.flush()
    else:
        write_atomic(output, payload)
