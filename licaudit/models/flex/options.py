"""The options of a flex contract (SPEC 3.7): windows, idleness, grace, alerts, rates, packs,
and what the findings compare (plug-ins and their hosts, subscription and token prices)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from licaudit.errors import ConfigError
from licaudit.models.base import file_option
from licaudit.models.flex.files import Packs, Rates, read_packs, read_rates


@dataclass(frozen=True)
class FlexOptions:
    """``window``: one charge's coverage; ``idle_timeout``: the longest gap inside a stretch;
    ``grace``: free usage; ``alert_days``: how soon a run-out makes ``check`` fail;
    ``rates`` (required) and ``packs`` (optional): the files the contract names;
    ``plugins``: ``"plugin:host"`` pairs of products; ``named_user_price`` (per user and
    year) and ``token_price`` (per token): what a subscription and a token cost."""

    window: timedelta = timedelta(hours=24)
    idle_timeout: timedelta = timedelta(minutes=15)
    grace: timedelta = timedelta(minutes=5)
    alert_days: int = 30
    rates: Rates | None = file_option(read_rates)
    packs: Packs | None = file_option(read_packs)
    plugins: tuple[str, ...] = ()
    named_user_price: Decimal | None = None
    token_price: Decimal | None = None

    def __post_init__(self) -> None:
        for pair in self.plugins:
            plugin, _, host = (part.strip() for part in pair.partition(":"))
            if not plugin or not host or ":" in host or plugin == host:
                raise ConfigError(
                    f"`plugins` entry {pair!r} is not a pair of two products plugin:host.",
                    'write e.g. plugins = ["vault:autocad"] (the plug-in, a colon, its host).',
                )

    @property
    def plugin_hosts(self) -> tuple[tuple[str, str], ...]:
        """``(plugin, host)`` product names, trimmed."""
        pairs = (pair.partition(":") for pair in self.plugins)
        return tuple((plugin.strip(), host.strip()) for plugin, _, host in pairs)
