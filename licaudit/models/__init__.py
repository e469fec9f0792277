"""The licence models licaudit knows, by the name a contract gives in ``model = "..."``."""

from __future__ import annotations

from typing import Any

from licaudit.models import accounts, concurrent, daily_active, flex, floating, nominal, rau
from licaudit.models.base import Calendar, Contract, Model, ModelInput, ModelResult

# In the order the documentation presents them: NetExplorer, Netex Cloud, Autodesk.
MODELS: dict[str, Model[Any]] = {
    daily_active.MODEL.name: daily_active.MODEL,
    concurrent.MODEL.name: concurrent.MODEL,
    floating.MODEL.name: floating.MODEL,
    accounts.MODEL.name: accounts.MODEL,
    nominal.MODEL.name: nominal.MODEL,
    rau.MODEL.name: rau.MODEL,
    flex.MODEL.name: flex.MODEL,
}

__all__ = ["MODELS", "Calendar", "Contract", "Model", "ModelInput", "ModelResult"]
