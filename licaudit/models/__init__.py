"""The licence models licaudit knows, by the name a contract gives in ``model = "..."``."""

from __future__ import annotations

from typing import Any

from licaudit.models import daily_active, flex
from licaudit.models.base import Calendar, Contract, Model, ModelInput, ModelResult

MODELS: dict[str, Model[Any]] = {
    daily_active.MODEL.name: daily_active.MODEL,
    flex.MODEL.name: flex.MODEL,
}

__all__ = ["MODELS", "Calendar", "Contract", "Model", "ModelInput", "ModelResult"]
