"""The ``licaudit`` command line: Typer options in, one core call, rendered output out."""

from __future__ import annotations

from licaudit.cli import commands, reconcile, whatif  # noqa: F401  (each registers its commands)
from licaudit.cli.app import app, main

__all__ = ["app", "main"]
