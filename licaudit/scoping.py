"""What the core does to every model's output: scopes named, periods kept, codes named.

``--from/--to`` keep the detail rows of the reported days or months (by a typed day,
month or instant key, SPEC 3); codes become names only on those rows; a scope that
matches no product of the input is said (SPEC 1.3).
"""

from __future__ import annotations

import difflib
from datetime import date

import polars as pl

from licaudit.ingest.encode import Names, decode
from licaudit.models.base import Contract, Detail
from licaudit.periods import Calendar, local_day


def scope_label(contract: Contract) -> str:
    """``*`` for every product; the sorted products joined by ``+`` for a scope list."""
    return "*" if contract.scope is None else "+".join(contract.scope)


def in_range(day: pl.Expr, date_from: date | None, date_to: date | None) -> pl.Expr:
    keep = pl.lit(True)
    if date_from is not None:
        keep = keep & (day >= date_from)
    if date_to is not None:
        keep = keep & (day <= date_to)
    return keep


def month_in_range(month: pl.Expr, date_from: date | None, date_to: date | None) -> pl.Expr:
    """A month (its first day) is reported when one of its days is."""
    keep = pl.lit(True)
    if date_from is not None:
        keep = keep & (month.dt.month_end() >= date_from)
    if date_to is not None:
        keep = keep & (month <= date_to)
    return keep


def detail_frame(
    detail: Detail,
    contract: Contract,
    names: Names,
    calendar: Calendar,
    date_from: date | None,
    date_to: date | None,
) -> pl.DataFrame:
    """A detail table restricted to the reported periods, its keys as text and codes as names."""
    frame = detail.table()
    key = detail.key
    if key is not None:
        column = pl.col(key)
        if detail.key_kind == "day":
            frame = frame.filter(in_range(column, date_from, date_to))
            frame = frame.with_columns(column.dt.strftime("%Y-%m-%d"))
        elif detail.key_kind == "month":
            frame = frame.filter(month_in_range(column, date_from, date_to))
            frame = frame.with_columns(column.dt.strftime("%Y-%m"))
        else:
            local = calendar.day_of(column).fill_null(local_day(column, calendar.timezone))
            frame = frame.filter(in_range(local, date_from, date_to))
    frame = decode(frame, names)
    if key is not None and detail.key_kind != "instant":
        # Every table about days or months names that column as the usage table does.
        frame = frame.rename({key: "period"}).select("period", pl.exclude("period"))
    return frame.select(pl.lit(contract.name, pl.String).alias("contract"), pl.all())


def scope_warnings(contract: Contract, names: Names) -> list[str]:
    """A scope product that matches no product of the input (SPEC 1.3): say so, and the closest."""
    if contract.scope is None:
        return []
    seen = names.products["name"].to_list()
    warnings = []
    for product in contract.scope:
        if product in seen:
            continue
        close = difflib.get_close_matches(product, seen, n=1)
        hint = f" Hint: did you mean `{close[0]}`?" if close else ""
        warnings.append(
            f"contract `{contract.name}`: scope `{product}` matches no product of the input, "
            f"so it counts nothing (products seen: {', '.join(seen) or 'none'}).{hint}"
        )
    return warnings
