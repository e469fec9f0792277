"""The ``licaudit`` command line: Typer options in, one core call, rendered output out."""

from __future__ import annotations

from licaudit.cli.commands import app, main

__all__ = ["app", "main"]
