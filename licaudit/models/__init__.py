"""The licence models licaudit knows, by the name a contract gives in ``model = "..."``."""

from __future__ import annotations

from typing import Any

from licaudit.models import concurrent, daily_active, flex, floating
from licaudit.models.base import Calendar, Contract, Model, ModelInput, ModelResult

MODELS: dict[str, Model[Any]] = {
    concurrent.MODEL.name: concurrent.MODEL,
    floating.MODEL.name: floating.MODEL,
    daily_active.MODEL.name: daily_active.MODEL,
    flex.MODEL.name: flex.MODEL,
}

__all__ = ["MODELS", "Calendar", "Contract", "Model", "ModelInput", "ModelResult"]
