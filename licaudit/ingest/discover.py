"""Which files a run reads: the files given, and each folder's supported files (SPEC 1.1, 1.3).

A folder's files of unknown type are named in a warning, never skipped silently.
The same file reached twice (given twice, through a link, or inside a folder also
given) is read once, with a warning; the files a contract file names (roster,
rates, packs) are never read as events.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from pathlib import Path

from licaudit.errors import DataError
from licaudit.ingest.readers import (
    CONTRACT_FILE,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    SUPPORTED,
    TEXT_SUFFIXES,
)


def is_supported(path: Path) -> bool:
    """Whether a file in a folder is an input licaudit reads (by name)."""
    suffixes = [suffix.lower() for suffix in path.suffixes]
    if suffixes and suffixes[-1] == ".gz":
        suffixes = suffixes[:-1]
    if not suffixes:
        return False
    return suffixes[-1] in TEXT_SUFFIXES or suffixes[-1] in PARQUET_SUFFIXES | EXCEL_SUFFIXES


def _folder_files(folder: Path, recursive: bool) -> tuple[list[Path], list[str]]:
    """A folder's supported files (sorted), and the names of the others, relative to it.

    Hidden files, files in hidden folders (``.git``...) and the contract file are
    neither read nor named: they are not inputs anyone would expect read.
    """
    pattern = "**/*" if recursive else "*"
    supported: list[Path] = []
    unknown: list[str] = []
    for candidate in folder.glob(pattern):
        relative = candidate.relative_to(folder)
        if (
            not candidate.is_file()
            or any(part.startswith(".") for part in relative.parts)
            or candidate.name == CONTRACT_FILE
        ):
            continue
        if is_supported(candidate):
            supported.append(candidate)
        else:
            unknown.append(relative.as_posix())
    return sorted(supported), sorted(unknown)


def _listed(names: Sequence[str], limit: int = 10) -> str:
    more = f" and {len(names) - limit} more" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def discover(
    paths: Iterable[Path], recursive: bool = False, exclude: Collection[Path] = ()
) -> tuple[list[Path], list[str]]:
    """The input files named by ``paths``, and warnings about what was left out.

    Files are taken as given, whatever their name; folders are expanded to their
    supported files (sorted). A folder's files of unknown type are named in a
    warning rather than skipped silently (SPEC 1.3). ``exclude`` holds the files a
    contract file names: never events (a warning when one is given by name).
    """
    found: list[Path] = []
    warnings: list[str] = []
    for path in paths:
        try:
            if path.is_dir():
                files, unknown = _folder_files(path, recursive)
                if not files:
                    where = "anywhere below it" if recursive else "at its top level"
                    holds = f" (it holds {_listed(unknown)})" if unknown else ""
                    raise DataError(
                        f"Folder {path} has no supported file {where}{holds}.",
                        f"licaudit reads {SUPPORTED}"
                        + ("" if recursive else "; add --recursive to read subfolders")
                        + ".",
                    )
                found.extend(files)
                if unknown:
                    count = f"{len(unknown)} file{'s' if len(unknown) > 1 else ''}"
                    warnings.append(
                        f"skipped {count} of unknown type in {path}: {_listed(unknown)}. "
                        f"Hint: licaudit reads {SUPPORTED}; a file given by name is read "
                        "whatever its extension."
                    )
            elif path.is_file():
                found.append(path)
            else:
                raise DataError(
                    f"Input {path} does not exist.", "check the path, or quote it if it has spaces."
                )
        except OSError as error:  # symlink loops, permissions
            raise DataError(f"Input {path} cannot be read: {error.strerror or error}.") from None
    given = {path.resolve() for path in paths if path.is_file()}
    return _once(found, given, exclude, warnings), warnings


def _once(
    found: Sequence[Path], given: Collection[Path], exclude: Collection[Path], warnings: list[str]
) -> list[Path]:
    """Each file once, after resolving links, without the contract file's own files."""
    excluded = {path.resolve() for path in exclude}
    kept: list[Path] = []
    seen: dict[Path, Path] = {}
    for path in found:
        try:
            real = path.resolve(strict=True)
        except (OSError, RuntimeError) as error:  # a dangling link or a loop
            raise DataError(f"Input {path} cannot be read: {error}.") from None
        if real in excluded:
            if real in given:
                warnings.append(
                    f"{path} is a file the contract file names (roster, rates or packs): "
                    "it is not read as access events."
                )
            continue
        if real in seen:
            warnings.append(
                f"{path} is the same file as {seen[real]}, given twice (or inside a folder "
                "also given): it is read once."
            )
            continue
        seen[real] = path
        kept.append(path)
    return kept
