"""Allow ``python -m licaudit``."""

from __future__ import annotations

from licaudit.cli.commands import main

main()
