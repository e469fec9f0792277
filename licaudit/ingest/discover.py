"""Which files a run reads: the files given, and each folder's supported files (SPEC 1.1, 1.3).

A folder's files of unknown type are named in a warning, never skipped silently.
The same file reached twice (given twice, through a link, or inside a folder also
given) is read once, with a warning; the files a contract file names (roster,
rates, packs) are never read as events.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Hashable, Iterable, Sequence
from pathlib import Path, PurePath
from typing import TypeVar

from licaudit.errors import DataError
from licaudit.ingest.readers import (
    CONTRACT_FILE,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    SUPPORTED,
    TEXT_SUFFIXES,
)

FileT = TypeVar("FileT")  # a file of a folder: a local Path, or an object-store Url


def is_supported(path: PurePath) -> bool:
    """Whether a file in a folder is an input licaudit reads (by name)."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes:
        return False
    return suffixes[-1] in TEXT_SUFFIXES or suffixes[-1] in PARQUET_SUFFIXES | EXCEL_SUFFIXES


def folder_files(entries: Iterable[tuple[FileT, PurePath]]) -> tuple[list[FileT], list[str]]:
    """A folder's supported files, sorted by their path in it, and the names of the others.

    ``entries`` are the folder's files, each with its path relative to the folder (a
    local folder's or an object-store prefix's, ``licaudit.ingest.remote``). Hidden
    files, files in hidden folders (``.git``...) and the contract file are neither read
    nor named: they are not inputs anyone would expect read.
    """
    supported: list[tuple[PurePath, FileT]] = []
    unknown: list[str] = []
    for file, relative in entries:
        if _hidden(relative) or relative.name == CONTRACT_FILE:
            continue
        if is_supported(relative):
            supported.append((relative, file))
        else:
            unknown.append(relative.as_posix())
    return [file for _, file in sorted(supported, key=lambda entry: entry[0])], sorted(unknown)


def _hidden(relative: PurePath) -> bool:
    """Whether an entry of a folder is hidden, or in a hidden folder (``.git``...)."""
    return any(part.startswith(".") for part in relative.parts)


def _folder_files(folder: Path, recursive: bool) -> tuple[list[Path], list[str]]:
    """A local folder's supported files (sorted), and the names of the others. A link to
    nothing in it (dangling, or a loop of links) is an error naming it (SPEC 1.4), never
    skipped silently; hidden ones are not looked at."""
    pattern = "**/*" if recursive else "*"
    entries: list[tuple[Path, PurePath]] = []
    for candidate in folder.glob(pattern):
        relative = candidate.relative_to(folder)
        if candidate.is_file():
            entries.append((candidate, relative))
        elif candidate.is_symlink() and not candidate.exists() and not _hidden(relative):
            raise broken_link(candidate)
    return folder_files(entries)


def broken_link(path: Path) -> DataError:
    """The DataError of an input that is a link to nothing: dangling, or a loop of links."""
    return DataError(
        f"Input {path} is a link to nothing (its target is missing, or links loop).",
        "remove the link or point it at a log file.",
    )


def _listed(names: Sequence[str], limit: int = 10) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def no_supported_file(folder: object, recursive: bool, unknown: Sequence[str]) -> DataError:
    """The DataError of a folder given with no supported file where it is read."""
    where = "anywhere below it" if recursive else "at its top level"
    holds = f" (it holds {_listed(unknown)})" if unknown else ""
    return DataError(
        f"Folder {folder} has no supported file {where}{holds}.",
        f"licaudit reads {SUPPORTED}"
        + ("" if recursive else "; add --recursive to read subfolders")
        + ".",
    )


def skipped_warning(folder: object, unknown: Sequence[str]) -> str:
    """The warning naming a folder's files of unknown type, never skipped silently (SPEC 1.3)."""
    count = f"{len(unknown)} file{'s' if len(unknown) > 1 else ''}"
    return (
        f"skipped {count} of unknown type in {folder}: {_listed(unknown)}. "
        f"Hint: licaudit reads {SUPPORTED}; a file given by name is read "
        "whatever its extension."
    )


def input_files(path: Path, recursive: bool, warnings: list[str]) -> list[Path]:
    """The files one local input names: a file as given, whatever its name; a folder's
    supported files (sorted). A folder's files of unknown type go in a warning."""
    try:
        if path.is_dir():
            files, unknown = _folder_files(path, recursive)
            if not files:
                raise no_supported_file(path, recursive, unknown)
            if unknown:
                warnings.append(skipped_warning(path, unknown))
            return files
        if path.is_file():
            return [path]
        if path.is_symlink():
            raise broken_link(path)
        raise DataError(
            f"Input {path} does not exist.", "check the path, or quote it if it has spaces."
        )
    except OSError as error:  # symlink loops, permissions
        raise DataError(f"Input {path} cannot be read: {error.strerror or error}.") from None


def discover(
    paths: Iterable[Path], recursive: bool = False, exclude: Collection[Path] = ()
) -> tuple[list[Path], list[str]]:
    """The input files named by ``paths``, and warnings about what was left out.

    Files are taken as given, whatever their name; folders are expanded to their
    supported files (sorted). A folder's files of unknown type are named in a
    warning rather than skipped silently (SPEC 1.3). ``exclude`` holds the files a
    contract file names: never events (a warning when one is given by name).
    """
    warnings: list[str] = []
    found = [file for path in paths for file in input_files(path, recursive, warnings)]
    return once(found, file_key, file_keys(paths), file_keys(exclude), warnings), warnings


def file_key(path: Path) -> Hashable:
    """What tells two names of one local file apart: its device and inode, so that a
    symbolic link or a hard link to a file is that file (a hard link to the roster
    was read as events, and a hard-linked copy of a log read twice)."""
    try:
        status = path.stat()
    except (OSError, RuntimeError) as error:  # a dangling link or a loop
        raise DataError(f"Input {path} cannot be read: {error}.") from None
    return (status.st_dev, status.st_ino)


def file_keys(paths: Iterable[Path]) -> set[Hashable]:
    """``file_key`` of each of ``paths`` that is a file (others have no key)."""
    return {file_key(path) for path in paths if path.is_file()}


def once(
    found: Sequence[FileT],
    real: Callable[[FileT], Hashable],
    given: Collection[Hashable],
    excluded: Collection[Hashable],
    warnings: list[str],
) -> list[FileT]:
    """Each file once, told apart by ``real`` (a local file: its path after resolving
    links), without the files the contract file names (``excluded``; a warning when one
    was ``given`` by name)."""
    kept: list[FileT] = []
    seen: dict[Hashable, FileT] = {}
    for path in found:
        key = real(path)
        if key in excluded:
            if key in given:
                warnings.append(
                    f"{path} is a file the contract file names (roster, rates or packs): "
                    "it is not read as access events."
                )
            continue
        if key in seen:
            warnings.append(
                f"{path} is the same file as {seen[key]}, given twice (or inside a folder "
                "also given): it is read once."
            )
            continue
        seen[key] = path
        kept.append(path)
    return kept
