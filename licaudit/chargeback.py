"""Chargeback: every contract's units and cost split per group of users (issue 13, item 2).

Nothing here knows a licence rule: each model exposes, in a detail table, what each
user contributed to a day's units, and the split only adds those rows up per group.

- **Who holds a day's units.** ``daily-active``: the seats each user took that day
  (``seats``); ``rau``: each user counted in the month to date (``users``, from the day
  of their first access); ``flex``: the tokens of each charge with ``window_start`` on the
  day (``charges``, charged ones); ``concurrent``: the slots each identity holds at the
  day's peak instant, ``floating``: the licences each user holds then, ``accounts`` and
  ``nominal``: the accounts active then (``peak_holders``). So a day's peak is shared in
  proportion to what each group holds at its first peak instant; what contributes to
  the day's units adds up to them exactly.
- **Groups.** A user's group comes from the groups file (``user,group``); users it does
  not list, and anonymous identities (visitors, which have no user), go to
  ``unassigned`` and are listed in the ``ungrouped`` table.
- **Months.** A month's group units are, for every model whose month is the max of its
  days, those of the month's peak day (the first day reaching the month's units: the
  day that sets the bill), and for flex the sum over the month's days. Every
  contribution is a whole number of units, so group units are whole and sum to the
  usage row's units with no rounding.
- **Cost.** A month's cost is shared in proportion to the groups' units of that month,
  each share rounded half-up to cents; what rounding leaves over (a few cents, either
  way) goes to the largest share (ties: the group first by name), so the groups sum
  exactly to the month's cost. A month with a cost and no units is charged to
  ``unassigned``. Day rows have no cost, as in the usage table.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from decimal import ROUND_HALF_UP, Decimal, localcontext

import polars as pl

from licaudit.audit import CENT, COST_DTYPE, MONEY_DIGITS, ContractResult, Period
from licaudit.models import MODELS
from licaudit.scoping import scope_label

UNASSIGNED = "unassigned"
CHARGEBACK_SCHEMA = pl.Schema(
    {
        "contract": pl.String(),
        "scope": pl.String(),
        "period": pl.String(),
        "group": pl.String(),
        "units": pl.Int64(),
        "cost": COST_DTYPE,
        "currency": pl.String(),
    }
)
UNGROUPED_SCHEMA = pl.Schema({"contract": pl.String(), "scope": pl.String(), "user": pl.String()})
CONTRIBUTION_SCHEMA = pl.Schema(
    {"scope": pl.String(), "period": pl.String(), "user": pl.String(), "units": pl.Int64()}
)

Contributions = Callable[[ContractResult], pl.DataFrame]


def _table(result: ContractResult, name: str) -> pl.DataFrame:
    """A detail table of the contract, among its contributions (seats, peak holders) first."""
    return result.contributions.get(name, result.details.get(name, pl.DataFrame()))


def _across(result: ContractResult, table: str, units: pl.Expr) -> pl.DataFrame:
    """Rows ``period, user, ...`` of an across-products model, under its one scope."""
    frame = _table(result, table)
    return frame.select(
        scope=pl.lit(scope_label(result.contract), pl.String), period="period", user="user",
        units=units,
    )  # fmt: skip


def _seats(result: ContractResult) -> pl.DataFrame:
    return _across(result, "seats", pl.col("seats"))


def _slots(result: ContractResult) -> pl.DataFrame:
    return _across(result, "peak_holders", pl.col("slots"))


def _licences(result: ContractResult) -> pl.DataFrame:
    return _across(result, "peak_holders", pl.col("licences"))


def _accounts(result: ContractResult) -> pl.DataFrame:
    return _across(result, "peak_holders", pl.lit(1, pl.Int64))


def _nominal(result: ContractResult) -> pl.DataFrame:
    frame = _table(result, "peak_holders")
    return frame.select(scope="product", period="period", user="user", units=pl.lit(1, pl.Int64))


def _local_day(instant: str, result: ContractResult) -> pl.Expr:
    return pl.col(instant).dt.convert_time_zone(result.contract.timezone).dt.strftime("%Y-%m-%d")


def _month_to_date_users(result: ContractResult) -> pl.DataFrame:
    """Each user of a month counts on every day of it from their first access's day on."""
    users = _table(result, "users").select(
        scope="product", month="period", user="user", first_day=_local_day("first_access", result)
    )
    days = result.day_rows.select("scope", "period", month=pl.col("period").str.slice(0, 7))
    return (
        days.join(users, on=["scope", "month"])
        .filter(pl.col("first_day") <= pl.col("period"))
        .select("scope", "period", "user", units=pl.lit(1, pl.Int64))
    )


def _tokens(result: ContractResult) -> pl.DataFrame:
    charges = _table(result, "charges").filter(pl.col("status") == "charged")
    return charges.select(
        scope="product", period=_local_day("window_start", result), user="user", units="tokens"
    )


# Which detail rows say who contributed to a model's units (see the module docstring).
CONTRIBUTIONS: dict[str, Contributions] = {
    "daily-active": _seats,
    "concurrent": _slots,
    "floating": _licences,
    "accounts": _accounts,
    "nominal": _nominal,
    "rau": _month_to_date_users,
    "flex": _tokens,
}


def share_cents(total: Decimal, weights: Sequence[int]) -> list[Decimal]:
    """``total`` shared in proportion to ``weights`` (sum > 0), in cents, summing to ``total``.

    Each share is rounded half-up to cents; the difference left by rounding goes to the
    largest weight (the first of equal ones).
    """
    whole = sum(weights)
    with localcontext(prec=MONEY_DIGITS):
        shares = [
            (total * weight / whole).quantize(CENT, rounding=ROUND_HALF_UP) for weight in weights
        ]
    largest = max(range(len(weights)), key=lambda index: (weights[index], -index))
    shares[largest] += total - sum(shares, Decimal(0))
    return shares


def _day_split(result: ContractResult, groups: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(scope, period, group, units) of every reported day with units, and the ungrouped users.

    Units no detail row names (there should be none) go to ``unassigned``, so the groups
    always sum to the day's units.
    """
    days = result.day_rows.select("scope", "period", total="units")
    rows = (
        CONTRIBUTIONS[result.contract.model](result)
        .cast(CONTRIBUTION_SCHEMA)
        .join(days.select("scope", "period"), on=["scope", "period"], how="semi")
        .join(groups, on="user", how="left")
    )
    ungrouped = rows.filter(pl.col("group").is_null()).select("scope", "user").unique()
    named = rows.group_by("scope", "period", group=pl.col("group").fill_null(UNASSIGNED)).agg(
        units=pl.col("units").sum().cast(pl.Int64)
    )
    unnamed = (
        days.join(
            named.group_by("scope", "period").agg(named=pl.col("units").sum()),
            on=["scope", "period"],
            how="left",
        )
        .select(
            "scope",
            "period",
            group=pl.lit(UNASSIGNED),
            units=(pl.col("total") - pl.col("named").fill_null(0)).cast(pl.Int64),
        )
        .filter(pl.col("units") != 0)
    )
    split = (
        pl.concat([named, unnamed])
        .group_by("scope", "period", "group")
        .agg(pl.col("units").sum())
        .filter(pl.col("units") != 0)
        .sort("scope", "period", "group")
    )
    return split, ungrouped.sort("scope", "user", nulls_last=True)


def _month_units(result: ContractResult, day_split: pl.DataFrame) -> pl.DataFrame:
    """(scope, period (month), group, units): the peak day's split, or the sum for flex."""
    month = pl.col("period").str.slice(0, 7)
    if MODELS[result.contract.model].month_rollup == "sum":
        return day_split.group_by("scope", "group", period=month).agg(pl.col("units").sum())
    # The first day of each month whose units are the month's (the day that sets the bill).
    peak_days = (
        result.day_rows.with_columns(month=month)
        .filter(pl.col("units") == pl.col("units").max().over("scope", "month"))
        .group_by("scope", "month")
        .agg(pl.col("period").min())
    )
    return day_split.join(peak_days, on=["scope", "period"]).select(
        "scope", period="month", group="group", units="units"
    )


def _month_split(result: ContractResult, day_split: pl.DataFrame) -> pl.DataFrame:
    """Month rows: units per group, and the month's cost shared in proportion to them."""
    units = _month_units(result, day_split).sort("scope", "period", "group")
    rows: list[tuple[str, str, str, int, Decimal | None]] = []
    for scope, period, total_cost in result.month_rows.select("scope", "period", "cost").rows():
        month = units.filter((pl.col("scope") == scope) & (pl.col("period") == period))
        names, weights = month["group"].to_list(), month["units"].to_list()
        if sum(weights) == 0:
            if total_cost is not None:
                rows.append((scope, period, UNASSIGNED, 0, total_cost))
            continue
        costs = [None] * len(weights) if total_cost is None else share_cents(total_cost, weights)
        for group, group_units, group_cost in zip(names, weights, costs, strict=True):
            rows.append((scope, period, group, group_units, group_cost))
    return pl.DataFrame(
        rows,
        schema={k: CHARGEBACK_SCHEMA[k] for k in ("scope", "period", "group", "units", "cost")},
        orient="row",
    )


def chargeback(
    results: Sequence[ContractResult], groups: pl.DataFrame, currency: str
) -> tuple[dict[Period, pl.DataFrame], pl.DataFrame]:
    """The ``chargeback`` table by period (day, month) and the ``ungrouped`` users.

    ``groups`` has ``user`` and ``group`` (``licaudit.ingest.groups``). A contract whose
    model exposes no contribution rows is left out.
    """
    by_period: dict[Period, list[pl.DataFrame]] = {"day": [], "month": []}
    ungrouped: list[pl.DataFrame] = []
    for result in results:
        if result.contract.model not in CONTRIBUTIONS:
            continue
        day_split, missing = _day_split(result, groups)
        month_split = _month_split(result, day_split)
        name = pl.lit(result.contract.name, pl.String)
        for period, split in (("day", day_split), ("month", month_split)):
            frame = split.select(contract=name, scope="scope", period="period", group="group",
                                 units="units", cost=pl.col("cost") if period == "month"
                                 else pl.lit(None, COST_DTYPE),
                                 currency=pl.lit(currency, pl.String))  # fmt: skip
            by_period[period].append(frame.cast(CHARGEBACK_SCHEMA))  # type: ignore[index]
        ungrouped.append(missing.select(contract=name, scope="scope", user="user"))
    tables: dict[Period, pl.DataFrame] = {
        period: pl.concat(frames) if frames else pl.DataFrame(schema=CHARGEBACK_SCHEMA)
        for period, frames in by_period.items()
    }
    users = pl.concat(ungrouped) if ungrouped else pl.DataFrame(schema=UNGROUPED_SCHEMA)
    return tables, users.cast(UNGROUPED_SCHEMA)
