"""What ``licaudit check`` says about a flex contract (SPEC 3.7, last paragraph).

"``licaudit check`` on a flex contract with packs prints a line and exits 1 when a
charge was denied in the reported range, or when the usable balance runs out within
``alert_days`` (default 30) at the burn rate of the trailing 30 days."

The burn rate is the tokens charged with ``window_start`` in the 30 local days ending
with the last reported day, per day (over fewer days when the reported range is
shorter). The run-out walks the packs in consumption order from the end of the last
reported day: each is drawn at that rate until it is empty or expires (its rest is
lost), a pack bought later joins at its purchase, and the balance runs out when no
usable pack is left.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from licaudit.models.base import Contract
from licaudit.models.flex.files import Pack
from licaudit.models.flex.options import FlexOptions
from licaudit.periods import day_start

TRAILING_DAYS = 30
DAY = timedelta(days=1)


def run_out(
    packs: Sequence[tuple[Pack, int]], burn_per_day: float, now: datetime
) -> datetime | None:
    """When the usable balance runs out from ``now`` at ``burn_per_day``, or None (no burn).

    ``packs``: (pack, tokens left at ``now``) in consumption order. The burn draws, as
    the ledger does, on the first pack in that order that is usable at each moment
    (``purchased_at <= t < expires_at``, tokens left): a pack bought later that comes
    first in that order takes over at its purchase, the packs held being drawn until
    then. The balance runs out at the first moment no pack is usable.
    """
    if burn_per_day <= 0:
        return None
    left = [float(max(tokens, 0)) for _, tokens in packs]
    moment = now
    while True:
        usable = next(
            (
                index
                for index, (pack, _) in enumerate(packs)
                if left[index] > 0 and pack.purchased_at <= moment < pack.expires_at
            ),
            None,
        )
        if usable is None:
            return moment
        pack = packs[usable][0]
        empty_at = moment + timedelta(days=left[usable] / burn_per_day)
        # A pack ahead of it in consumption order, bought later, takes over at its purchase.
        takeovers = [
            earlier.purchased_at
            for index, (earlier, _) in enumerate(packs[:usable])
            if left[index] > 0 and moment < earlier.purchased_at < earlier.expires_at
        ]
        stop = min([empty_at, pack.expires_at, *takeovers])
        if stop == empty_at:
            left[usable] = 0.0
        else:
            left[usable] -= burn_per_day * ((stop - moment) / DAY)
            if stop == pack.expires_at:
                left[usable] = 0.0  # what is left at expiry is lost
        moment = stop


def check_lines(
    contract: Contract, details: Mapping[str, pl.DataFrame], first_day: date, last_day: date
) -> list[str]:
    """The lines ``check`` prints for one flex contract (none when all is well).

    ``details``: the contract's decoded detail tables as the report has them
    (``charges``, ``balances``), restricted to the reported range ``first_day..last_day``
    (local days). A contract without packs has nothing to check (empty list).
    """
    options: FlexOptions = contract.options
    if options.packs is None:
        return []
    lines: list[str] = []
    charges = details["charges"]
    now = day_start(last_day + DAY, contract.timezone)
    # Only denials in the reported range: a stretch running past the last day is charged
    # (and may be denied) after it, which the report does not cover (SPEC 3.7).
    reported = (pl.col("window_start") >= day_start(first_day, contract.timezone)) & (
        pl.col("window_start") < now
    )
    denied = charges.filter((pl.col("status") == "denied") & reported).sort("window_start")
    if denied.height:
        first = denied.row(0, named=True)
        lines.append(
            f"{contract.name}: {denied.height} charge(s) denied, the first at "
            f"{first['window_start']:%Y-%m-%d %H:%M} UTC ({first['user']}, {first['product']})"
        )
    trailing_first = max(first_day, last_day - timedelta(days=TRAILING_DAYS - 1))
    days = (last_day - trailing_first).days + 1
    since = day_start(trailing_first, contract.timezone)
    charged = charges.filter(pl.col("status") == "charged")
    recent = charged.filter((pl.col("window_start") >= since) & (pl.col("window_start") < now))
    burn = float(recent["tokens"].sum()) / days
    left_now = dict(
        details["balances"]
        .filter(pl.col("period") == last_day.isoformat())
        .select("pack_id", "balance")
        .iter_rows()
    )
    ordered = sorted(
        options.packs.rows,
        key=lambda p: (
            p.expires_at.astimezone(ZoneInfo(contract.timezone)).date(),
            p.tokens,
            p.pack_id,
        ),
    )
    held = [
        (pack, left_now.get(pack.pack_id, pack.tokens if pack.purchased_at >= now else 0))
        for pack in ordered
    ]
    ends = run_out(held, burn, now)
    if ends is not None and ends - now <= timedelta(days=options.alert_days):
        lines.append(
            f"{contract.name}: the token balance runs out around "
            f"{ends.astimezone(ZoneInfo(contract.timezone)):%Y-%m-%d %H:%M} ({contract.timezone}) "
            f"(within {options.alert_days} days at {burn:.2f} tokens/day over the last "
            f"{days} days)"
        )
    return lines
