"""The groups file of a chargeback (issue 13): which group (department, cost centre) a user is in.

A CSV file with a header naming the columns ``user`` and ``group`` (in any order, other
columns ignored), UTF-8 with or without BOM, one user a line. Users are normalized as
event users are (SPEC 1.3): trimmed, and lowercased unless ``case_sensitive_users``;
groups are trimmed and kept as written. A missing column, an empty user or group, and
a user listed in two different groups are data errors naming the file, line and column;
a user listed twice in one group is kept once.
"""

from __future__ import annotations

import csv
from pathlib import Path

import polars as pl

from licaudit.errors import ConfigError, DataError

GROUPS_SCHEMA = pl.Schema({"user": pl.String(), "group": pl.String()})
COLUMNS = ("user", "group")


def read_groups(path: Path, case_sensitive_users: bool = False) -> pl.DataFrame:
    """``user``, ``group`` from a groups file, one row per user, sorted by user."""
    if not path.is_file():
        raise ConfigError(
            f"Groups file {path} does not exist.",
            "give a CSV file with columns user,group to --groups (or `groups` in the "
            "contract file, relative to it).",
        )
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise DataError(f"Groups file {path} cannot be read: {error}.") from None
    reader = csv.reader(text.splitlines())
    header = [name.strip().lower() for name in next(reader, [])]
    missing = [name for name in COLUMNS if name not in header]
    if missing:
        raise DataError(
            f"Groups file {path}, line 1: no {' or '.join(f'`{m}`' for m in missing)} column "
            f"(columns: {', '.join(header) or 'none'}).",
            "the first line names the columns: user,group.",
        )
    user_at, group_at = header.index("user"), header.index("group")
    groups: dict[str, tuple[str, int]] = {}
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue  # a blank line
        cells = {name: (record[at].strip() if at < len(record) else "") for name, at in
                 (("user", user_at), ("group", group_at))}  # fmt: skip
        for name in COLUMNS:
            if not cells[name]:
                raise DataError(
                    f"Groups file {path}, line {line}, column `{name}`: empty {name}.",
                    "give every line a user and its group, or delete the line.",
                )
        user = cells["user"] if case_sensitive_users else cells["user"].lower()
        known = groups.get(user)
        if known is not None and known[0] != cells["group"]:
            raise DataError(
                f"Groups file {path}, line {line}, column `group`: user `{user}` is in group "
                f"`{cells['group']}` here and in `{known[0]}` on line {known[1]}.",
                "a user belongs to one group: keep one of the lines.",
            )
        groups.setdefault(user, (cells["group"], line))
    return pl.DataFrame(
        {"user": list(groups), "group": [group for group, _ in groups.values()]},
        schema=GROUPS_SCHEMA,
    ).sort("user")
