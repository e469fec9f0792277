"""Durations as contracts write them: ``10m``, ``30d``, ``1h30m``; a bare number is seconds.

``d`` is exactly 24 hours (SPEC 3, "Durations"), never a calendar day.
"""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

_PART = re.compile(r"(\d+(?:\.\d+)?)([dhms])")
_UNIT_SECONDS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def parse_duration(text: str | int | float | Decimal) -> timedelta:
    """Read ``"1h30m"``, ``"30d"``, ``"90"`` or ``90`` as a timedelta; ValueError if not one."""
    if isinstance(text, bool):
        raise ValueError(f"{text!r} is not a duration")
    if isinstance(text, int | float | Decimal):
        if text < 0:
            raise ValueError(f"{text!r} is negative")
        return timedelta(seconds=float(text))
    spelled = text.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", spelled):
        return timedelta(seconds=float(spelled))
    if not spelled or _PART.sub("", spelled):
        raise ValueError(f"{text!r} is not a duration like 10m, 30d or 1h30m")
    seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in _PART.findall(spelled))
    return timedelta(seconds=seconds)
