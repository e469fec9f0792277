"""The options of a flex contract (SPEC 3.7): windows, idleness, grace, alerts, rates, packs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from licaudit.models.base import file_option
from licaudit.models.flex.files import Packs, Rates, read_packs, read_rates


@dataclass(frozen=True)
class FlexOptions:
    """``window``: one charge's coverage; ``idle_timeout``: the longest gap inside a stretch;
    ``grace``: free usage; ``alert_days``: how soon a run-out makes ``check`` fail;
    ``rates`` (required) and ``packs`` (optional): the files the contract names."""

    window: timedelta = timedelta(hours=24)
    idle_timeout: timedelta = timedelta(minutes=15)
    grace: timedelta = timedelta(minutes=5)
    alert_days: int = 30
    rates: Rates | None = file_option(read_rates)
    packs: Packs | None = file_option(read_packs)
