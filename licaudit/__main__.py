"""Allow ``python -m licaudit``."""

from __future__ import annotations

from licaudit.cli.app import main

main()
