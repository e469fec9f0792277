"""licaudit: audit software-licence consumption from raw access logs."""

from __future__ import annotations

__version__ = "0.1.0"
