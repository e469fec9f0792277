"""The errors licaudit reports to its user, by what the user must fix.

Every error carries a message that says what is wrong, where, and how to fix it.
They become output and exit codes in exactly one place: ``licaudit.cli``.
"""

from __future__ import annotations


class LicauditError(Exception):
    """Root of every error licaudit explains to its user."""

    exit_code = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message}\nHint: {self.hint}"
        return self.message


class ConfigError(LicauditError):
    """The command line or the contract file is wrong (exit 2)."""

    exit_code = 2


class DataError(LicauditError):
    """The input data cannot be used: unreadable file, no usable row, too many rejects (exit 3)."""

    exit_code = 3
