"""Which source column becomes which canonical event column (SPEC 1.2, "Column ties").

Names are compared case-insensitively, ignoring ``_``, ``-`` and spaces. When
several columns match one canonical column, the alias earliest in the table
wins; between exact duplicate names, the first. ``--map ts=EventTime`` overrides
the aliases for the files that have that column.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from licaudit.errors import ConfigError

CANONICAL = ("ts", "end", "user", "method", "product", "session", "device", "authenticated")

# How a matched column is read: most as they are; `duration*` columns give `end`
# as ts + duration; `external` columns are `authenticated` inverted.
Reading = Literal["value", "seconds", "minutes", "inverted"]

ALIASES: dict[str, tuple[tuple[str, Reading], ...]] = {
    "ts": tuple(
        (name, "value")
        for name in (
            "ts", "timestamp", "time", "datetime", "date", "event_time", "eventtime",
            "@timestamp", "start", "start_time", "login_time", "usage_date",
        )
    ),
    "end": (
        ("end", "value"),
        ("end_time", "value"),
        ("stop", "value"),
        ("logout_time", "value"),
        ("duration", "seconds"),
        ("duration_s", "seconds"),
        ("duration_min", "minutes"),
    ),
    "user": tuple(
        (name, "value")
        for name in (
            "user", "username", "user_id", "userid", "login", "email", "account",
            "user_name", "named_user",
        )
    ),
    "method": tuple(
        (name, "value")
        for name in (
            "method", "access_method", "channel", "client", "protocol", "access_type", "app_type",
        )
    ),
    "product": tuple(
        (name, "value")
        for name in (
            "product", "platform", "app", "application", "feature", "product_name", "software",
        )
    ),
    "session": tuple(
        (name, "value")
        for name in (
            "session", "session_id", "ip", "client_ip", "remote_addr", "link", "share_token",
        )
    ),
    "device": tuple(
        (name, "value")
        for name in (
            "device", "device_id", "host", "hostname", "machine", "machine_name", "computer",
        )
    ),
    "authenticated": (
        ("authenticated", "value"),
        ("is_authenticated", "value"),
        ("internal", "value"),
        ("external", "inverted"),
        ("is_external", "inverted"),
    ),
}  # fmt: skip


def fold(name: str) -> str:
    """A column name as aliases compare it: lowercased, without ``_``, ``-`` or spaces."""
    return "".join(char for char in name.strip().lower() if char not in "_- ")


@dataclass(frozen=True)
class Match:
    """A source column chosen for a canonical column, and how to read it."""

    index: int
    name: str
    reading: Reading = "value"


@dataclass
class ColumnMapping:
    """The chosen source column for each canonical column, and the matching ones left aside."""

    chosen: dict[str, Match] = field(default_factory=dict)
    ignored: dict[str, list[str]] = field(default_factory=dict)
    # A W3C/IIS `date` + `time` pair combined into ts, when the values allow it.
    date_time_pair: tuple[Match, Match] | None = None


def parse_map_option(spec: Sequence[str]) -> dict[str, str]:
    """Read ``--map ts=EventTime,user=Login`` (repeatable) into {canonical: column}."""
    mapping: dict[str, str] = {}
    for item in spec:
        for part in item.split(","):
            if not part.strip():
                continue
            key, sep, column = part.partition("=")
            key = key.strip().lower()
            if not sep or not column.strip():
                raise ConfigError(
                    f"`--map` = {part!r} is not of the form canonical=column.",
                    "write e.g. --map ts=EventTime,user=Login.",
                )
            if key not in CANONICAL:
                raise ConfigError(
                    f"`--map` names {key!r}, which is not a canonical column.",
                    f"canonical columns are {', '.join(CANONICAL)}.",
                )
            mapping[key] = column.strip()
    return mapping


def _find_exact(columns: Sequence[str], wanted: str) -> int | None:
    for index, name in enumerate(columns):
        if name == wanted:
            return index
    for index, name in enumerate(columns):
        if name.strip().lower() == wanted.strip().lower():
            return index
    return None


def map_columns(columns: Sequence[str], overrides: Mapping[str, str]) -> ColumnMapping:
    """Choose the source column of every canonical column found in ``columns``."""
    folded = [fold(name) for name in columns]
    mapping = ColumnMapping()
    taken: set[int] = set()
    for canonical, column in overrides.items():
        index = _find_exact(columns, column)
        if index is not None:
            mapping.chosen[canonical] = Match(index, columns[index])
            taken.add(index)
    for canonical, aliases in ALIASES.items():
        candidates: list[Match] = []
        for alias, reading in aliases:
            key = fold(alias)
            candidates.extend(
                Match(index, columns[index], reading)
                for index, name in enumerate(folded)
                if name == key and index not in taken
            )
        # Aliases that fold alike (event_time, eventtime) find the same column twice.
        unique: list[Match] = []
        for match in candidates:
            if all(match.index != kept.index for kept in unique):
                unique.append(match)
        if canonical in mapping.chosen:
            mapping.ignored[canonical] = [match.name for match in unique]
            continue
        if unique:
            mapping.chosen[canonical] = unique[0]
            if len(unique) > 1:
                mapping.ignored[canonical] = [match.name for match in unique[1:]]
    # The pair stands in for ts only where `time` or `date` would win the tie anyway:
    # an earlier alias (`ts`, `timestamp`) is a whole timestamp and keeps its rank.
    winner = mapping.chosen.get("ts")
    if "ts" not in overrides and winner is not None and fold(winner.name) in ("time", "date"):
        date_index = _index_of(folded, "date")
        time_index = _index_of(folded, "time")
        if date_index is not None and time_index is not None:
            mapping.date_time_pair = (
                Match(date_index, columns[date_index]),
                Match(time_index, columns[time_index]),
            )
    return mapping


def _index_of(folded: Sequence[str], key: str) -> int | None:
    return folded.index(key) if key in folded else None
