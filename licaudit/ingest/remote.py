"""Object-store URLs as inputs (``s3://bucket/logs``), read through ``pyarrow.fs`` (issue 11).

An input written ``scheme://...`` (a scheme of two letters or more: ``C://`` stays a
Windows drive) is a ``Url``, kept as written; every other input is a local ``Path``, as
before. Only ``--engine spark`` reads URLs: the driver lists them with
``pyarrow.fs.FileSystem.from_uri`` under the rules of local folders (``discover``), and
each Spark task copies its object to a local temporary file, reads it with licaudit's
own ingest, and deletes it. Reports and rejects name the URL, never the copy.

Credentials and endpoints come from the environment, as pyarrow reads them (for
``s3://``: ``AWS_ACCESS_KEY_ID``, ``AWS_SECRET_ACCESS_KEY``, ``AWS_ENDPOINT_URL``...), or
from the URL's own options (``?endpoint_override=host:port&scheme=http``).
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Collection, Hashable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from licaudit.errors import ConfigError, DataError, LicauditError
from licaudit.ingest.discover import (
    file_key,
    file_keys,
    folder_files,
    input_files,
    no_supported_file,
    once,
    skipped_warning,
)
from licaudit.ingest.events import IngestOptions
from licaudit.ingest.slices import named_parquet, row_group_slices
from licaudit.scale import TEXT_BYTES_PER_ROW, estimated_rows

if TYPE_CHECKING:
    import pyarrow.parquet as pq

# A scheme of two characters or more, then ``://``: ``C://logs`` is a Windows drive.
URL_PATTERN = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]+://")
# Bytes a task copies at a time from the store to its local file.
COPY_CHUNK = 8 << 20
CREDENTIALS = (
    "the store's credentials, which pyarrow reads from the environment (for s3://: "
    "AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_ENDPOINT_URL...)"
)
STORE_HINT = f"check the URL, the network and {CREDENTIALS}."


@dataclass(frozen=True)
class Url:
    """An input on an object store: the URL as given, which says how to reach the store,
    and for a file found below it (a prefix given as a folder), its path there.

    It prints as the file's URL without the given URL's password, query (connection
    options such as ``endpoint_override``) or fragment: the name reports and the rejects
    file give the file.
    """

    given: str
    inside: str = ""  # the file's path below ``given``, "/"-separated; "" for ``given`` itself
    size: int | None = field(default=None, compare=False)  # bytes, as the store listed it

    def __str__(self) -> str:
        parts = urlsplit(self.given)
        netloc = parts.netloc
        if parts.password is not None:  # user:password@host: a secret, never printed
            user, _, host = netloc.rpartition("@")
            netloc = f"{user.partition(':')[0]}@{host}"
        path = f"{parts.path.rstrip('/')}/{self.inside}" if self.inside else parts.path
        return f"{parts.scheme}://{netloc}{path}"

    @property
    def name(self) -> str:
        """The object's name, extensions included (``a.csv.gz``): they say its format."""
        return PurePosixPath(urlsplit(str(self)).path).name

    def below(self, inside: str, size: int | None) -> Url:
        """The file at ``inside`` (a path below this URL's folder)."""
        return Url(self.given, inside, size)

    def store(self) -> tuple[Any, str]:
        """The ``pyarrow.fs`` filesystem of the URL, and the object's path in it."""
        from pyarrow import fs

        filesystem, root = fs.FileSystem.from_uri(self.given)
        return filesystem, f"{root.rstrip('/')}/{self.inside}" if self.inside else root


Source = Path | Url
"""An input: a local file or folder, or an object-store URL (``--engine spark`` only)."""


def is_url(text: str) -> bool:
    """Whether an input is written as a URL (``scheme://``), a Windows drive excepted."""
    return URL_PATTERN.match(text) is not None


def input_source(text: str) -> Source:
    """An input as the command line gives it: a URL kept as written, else a local path."""
    return Url(text) if is_url(text) else Path(text)


def local_paths(paths: Sequence[Source]) -> list[Path]:
    """The inputs of the local engine, which reads local files only: a URL is a ConfigError."""
    for path in paths:
        if isinstance(path, Url):
            raise ConfigError(
                f"Input {path} is a URL, and only `--engine spark` reads URLs.",
                "add --engine spark (`report` and `check`), or mount the store and give the "
                "mounted path.",
            )
    return [path for path in paths if isinstance(path, Path)]


def shown_path(source: Source) -> Path:
    """``source`` where ``FileReport`` and ``RawTable`` type their ``path`` as a ``Path``.

    They only ever print it (``str``), and a ``Url`` prints as its URL: the reports and the
    rejects file name the object, not the local copy a task read.
    """
    return cast(Path, source)


@contextmanager
def _store_errors(url: Url) -> Iterator[None]:
    """pyarrow's errors about a URL as licaudit's: a URL it cannot open is a ConfigError
    (exit 2); a store it cannot reach or read (network, credentials) a DataError (exit 3)."""
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as error:
        raise ConfigError(
            f"Input {url} is not a URL pyarrow can open: {_first_line(error)}.",
            "licaudit reads s3://, gs://, abfs:// and hdfs:// stores and file:/// URLs "
            "through pyarrow.fs; or mount the store and give the mounted path.",
        ) from None
    except OSError as error:
        raise DataError(f"Input {url} cannot be read: {_first_line(error)}.", STORE_HINT) from None


def _first_line(error: Exception) -> str:
    text = str(error).strip()
    return text.splitlines()[0].rstrip(".") if text else type(error).__name__


def url_files(url: Url, recursive: bool, warnings: list[str]) -> list[Url]:
    """The files one URL names, as ``input_files`` for a local input: an object as given,
    whatever its name; a prefix (a folder) its supported files, sorted, at its top level
    or, with ``recursive``, below it. Files of unknown type go in a warning."""
    from pyarrow import fs

    with _store_errors(url):
        filesystem, root = url.store()
        info = filesystem.get_file_info(root)
        if info.type == fs.FileType.File:
            return [Url(url.given, url.inside, info.size)]
        if info.type != fs.FileType.Directory:
            raise DataError(
                f"Input {url} does not exist.",
                f"check the URL (a folder is a prefix of objects: s3://bucket/logs) and "
                f"{CREDENTIALS}.",
            )
        listing = filesystem.get_file_info(fs.FileSelector(root, recursive=recursive))
    entries = [
        (url.below(relative.as_posix(), found.size), relative)
        for found in listing
        if found.type == fs.FileType.File
        for relative in [PurePosixPath(found.path).relative_to(root)]
    ]
    files, unknown = folder_files(entries)
    if not files:
        raise no_supported_file(url, recursive, unknown)
    if unknown:
        warnings.append(skipped_warning(url, unknown))
    return files


def discover_sources(
    paths: Sequence[Source], recursive: bool = False, exclude: Collection[Path] = ()
) -> tuple[list[Source], list[str]]:
    """``discover`` over local inputs and URLs, in the order given, by the same rules: each
    file once (a URL told apart by its printed URL), the contract file's files excluded."""
    warnings: list[str] = []
    found: list[Source] = []
    for path in paths:
        if isinstance(path, Url):
            found.extend(url_files(path, recursive, warnings))
        else:
            found.extend(input_files(path, recursive, warnings))
    given = file_keys(path for path in paths if isinstance(path, Path))
    return once(found, _real, given, file_keys(exclude), warnings), warnings


def _real(source: Source) -> Hashable:
    return str(source) if isinstance(source, Url) else file_key(source)


def estimated_source_rows(files: Sequence[Source]) -> int:
    """``licaudit.scale.estimated_rows`` of local files and objects: a Parquet object's
    footer says its rows; another object is guessed from its size, as a local file is."""
    rows = estimated_rows([path for path in files if isinstance(path, Path)])
    for url in (path for path in files if isinstance(path, Url)):
        footer = _parquet_footer(url)
        if footer is not None:
            rows += footer.metadata.num_rows
        else:
            factor = 5 if url.name.endswith(".gz") else 1
            rows += (url.size or 0) * factor // TEXT_BYTES_PER_ROW
    return rows


def url_parquet_slices(url: Url, options: IngestOptions) -> list[tuple[int, int]] | None:
    """``licaudit.ingest.slices.parquet_slices`` of an object, from its footer alone."""
    footer = _parquet_footer(url)
    return None if footer is None else row_group_slices(footer, options)


def _parquet_footer(url: Url) -> pq.ParquetFile | None:
    """The footer of an object named and made as Parquet, read through ``pyarrow.fs`` (a
    few ranged reads, not the object); None otherwise: reading it whole says what is wrong."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not named_parquet(PurePosixPath(url.name)):
        return None
    try:
        filesystem, path = url.store()
        with filesystem.open_input_file(path) as handle:
            if handle.read(4) != b"PAR1":
                return None
            return pq.ParquetFile(handle)
    except (OSError, pa.ArrowException):
        return None


@contextmanager
def readable(source: Source) -> Iterator[Path]:
    """A local file to read ``source`` from while the block runs: the file itself, or an
    object's local copy (``local_copy``)."""
    if isinstance(source, Path):
        yield source
        return
    with local_copy(source) as copy:
        yield copy


@contextmanager
def local_copy(url: Url) -> Iterator[Path]:
    """The object, copied to a local temporary file for the block, then deleted.

    The copy is streamed (``open_input_stream``, a chunk at a time), never decompressed on
    the way (pyarrow would, by extension), and keeps the object's name, whose extensions
    (``.csv.gz``, ``.parquet``) say its format as a local file's do. An error of the block
    that names the copy names the URL instead.
    """
    with tempfile.TemporaryDirectory(prefix="licaudit-") as folder:
        copy = Path(folder, url.name or "object")
        with _store_errors(url):
            filesystem, path = url.store()
            with (
                filesystem.open_input_stream(path, compression=None) as stream,
                copy.open("wb") as target,
            ):
                shutil.copyfileobj(stream, target, COPY_CHUNK)
        try:
            yield copy
        except LicauditError as error:
            raise type(error)(*_renamed(error, copy, url)) from None


def _renamed(error: LicauditError, copy: Path, url: Url) -> tuple[str, str | None]:
    message = error.message.replace(str(copy), str(url))
    return message, None if error.hint is None else error.hint.replace(str(copy), str(url))
