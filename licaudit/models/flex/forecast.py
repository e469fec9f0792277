"""When the tokens run out, and what will expire unused (issue 10, item 4; SPEC 3.7).

From the end of the report range, packs are drawn in consumption order at the burn
rate of the trailing 30 days, as ``licaudit check`` does (``check.run_out``): each pack
is drawn from when the previous one stops (or from its purchase, if later) until it is
empty or expires, and what is left at its expiry is lost. One row per pack not yet
expired, after one row ``pack_id = "*"`` for the whole balance (the packs held at the end
of the range; a pack bought later is drawn from its purchase but is not balance yet),
with the alerts of Autodesk's balance page: a balance under 20 % of the purchased tokens
(of the packs held), and the tokens of held packs expiring within 90 days.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import polars as pl

from licaudit.models.flex.check import TRAILING_DAYS, run_out
from licaudit.models.flex.files import Packs
from licaudit.periods import Calendar

# Autodesk's balance page warns under this share of the purchased tokens (percent) ...
LOW_BALANCE_PERCENT = 20
# ... and about the tokens of packs expiring within this many days.
EXPIRY_NOTICE = timedelta(days=90)
DAY = timedelta(days=1)
ALL_PACKS = "*"

FORECAST_SCHEMA = pl.Schema(
    {
        "pack_id": pl.String(),
        "tokens_left": pl.Int64(),
        "runs_out": pl.Date(),
        "expires": pl.Date(),
        "expiring_unused": pl.Int64(),
        "burn_per_day": pl.Float64(),
        "alert": pl.String(),
    }
)


def burn_per_day(charges: pl.DataFrame, calendar: Calendar) -> float:
    """Tokens charged per day over the trailing 30 local days of the calendar (fewer when it
    is shorter). ``charges``: ``window_start``, ``tokens``, ``status``."""
    trailing = calendar.days.tail(TRAILING_DAYS)
    since, until = trailing["start"][0], trailing["end"][-1]
    burned = charges.filter(
        (pl.col("status") == "charged")
        & (pl.col("window_start") >= since)
        & (pl.col("window_start") < until)
    )["tokens"].sum()
    return float(burned) / trailing.height


def tokens_left(ledger: pl.DataFrame, packs: Packs, now: datetime) -> dict[str, int]:
    """Each pack's tokens before ``now``: its tokens plus the ledger's changes before then;
    none once expired."""
    changes = dict(
        ledger.filter(pl.col("time") < now)
        .group_by("pack_id")
        .agg(pl.col("change").sum())
        .iter_rows()
    )
    return {
        pack.pack_id: 0 if pack.expires_at <= now else pack.tokens + changes.get(pack.pack_id, 0)
        for pack in packs.rows
    }


def _alert(*alerts: str | None) -> str | None:
    said = [alert for alert in alerts if alert]
    return "; ".join(said) if said else None


def _expiring_alert(tokens: int) -> str | None:
    return f"{tokens} tokens expire within {EXPIRY_NOTICE.days} days" if tokens > 0 else None


def forecast_table(
    charges: pl.DataFrame, ledger: pl.DataFrame, packs: Packs, calendar: Calendar
) -> pl.DataFrame:
    """The forecast table (``FORECAST_SCHEMA``) at the end of the calendar's last day.

    ``charges`` and ``ledger`` as the model computes them; the packs are walked in
    consumption order (earliest local expiry date, then smallest, then ``pack_id``).
    """
    if not calendar.days.height:
        return pl.DataFrame(schema=FORECAST_SCHEMA)
    zone = ZoneInfo(calendar.timezone)
    now: datetime = calendar.last_end
    burn = burn_per_day(charges, calendar)
    left = tokens_left(ledger, packs, now)

    def local(instant: datetime) -> date:
        return instant.astimezone(zone).date()

    ordered = sorted(packs.rows, key=lambda p: (local(p.expires_at), p.tokens, p.pack_id))
    # Packs still to come or held at the end of the range: what the balance is drawn from.
    ahead = [pack for pack in ordered if pack.expires_at > now]
    rows: list[tuple[str, int, date | None, date, int, None, str | None]] = []
    moment = now
    for pack in ahead:
        tokens, unused, empty_at = left[pack.pack_id], left[pack.pack_id], None
        begin = max(moment, pack.purchased_at)
        stops = run_out([(pack, tokens)], burn, begin) if tokens > 0 else None
        if stops is not None and begin < pack.expires_at:
            drawn = burn * ((stops - begin) / DAY)
            unused = max(0, tokens - math.floor(drawn + 0.5))
            empty_at = local(stops) if unused == 0 else None
            moment = stops
        soon = pack.purchased_at <= now and pack.expires_at <= now + EXPIRY_NOTICE
        rows.append(
            (
                pack.pack_id,
                tokens,
                empty_at,
                local(pack.expires_at),
                unused,
                None,
                _expiring_alert(tokens if soon else 0),
            )
        )
    held = [pack for pack in ahead if pack.purchased_at <= now]
    balance = sum(left[pack.pack_id] for pack in held)
    purchased = sum(pack.tokens for pack in held)
    expiring = sum(left[p.pack_id] for p in held if p.expires_at <= now + EXPIRY_NOTICE)
    whole = run_out([(pack, left[pack.pack_id]) for pack in ahead], burn, now)
    low = (
        f"balance under {LOW_BALANCE_PERCENT} % of purchased tokens"
        if balance * 100 < purchased * LOW_BALANCE_PERCENT
        else None
    )
    total = (
        ALL_PACKS,
        balance,
        None if whole is None else local(whole),
        None,
        sum(row[4] for row in rows),
        round(burn, 2),
        _alert(low, _expiring_alert(expiring)),
    )
    return pl.DataFrame([total, *rows], schema=FORECAST_SCHEMA, orient="row")
