"""Help text a person reads: arguments shown as ``PATH...``, without Python type names.

Typer prints a list argument as ``{paths}... <list[Path]>``; our commands use a
command class whose arguments print their metavar alone.
"""

from __future__ import annotations

from typing import Any

import typer.core


class PlainArgument(typer.core.TyperArgument):
    """An argument whose help shows its metavar, not its Python type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def get_usage_pieces(self, ctx: Any) -> list[str]:
        # Typer writes a required argument's metavar in braces in the usage line.
        if self.metavar is None:
            return list(super().get_usage_pieces(ctx))
        return [self.metavar if self.required else f"[{self.metavar}]"]


class Command(typer.core.TyperCommand):
    """A licaudit command: plain argument names in usage and help."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for param in self.params:
            if type(param) is typer.core.TyperArgument:
                param.__class__ = PlainArgument
