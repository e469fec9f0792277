"""The licence models licaudit knows, by the name a contract gives in ``model = "..."``."""

from __future__ import annotations

from licaudit.models import daily_active
from licaudit.models.base import Calendar, Model, ModelResult, Option

MODELS: dict[str, Model] = {
    daily_active.MODEL.name: daily_active.MODEL,
}

__all__ = ["MODELS", "Calendar", "Model", "ModelResult", "Option"]
