"""Audits the report tests render: the sample month, and small hand-made folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from licaudit.audit import AuditResult
from licaudit.pipeline import Request, read_inputs, run

SAMPLE_LOGS = Path(__file__).resolve().parents[2] / "sample_logs"


def audit_of(*paths: Path, date_from: str | None = None) -> AuditResult:
    """What ``licaudit report PATHS`` computes, as the writers receive it."""
    request = Request(paths=paths, date_from=date_from)
    return run(read_inputs(request, need_contract=True), request)


@pytest.fixture(scope="session")
def sample_audit() -> AuditResult:
    return audit_of(SAMPLE_LOGS)


def folder_of(tmp_path: Path, events: str, contract: str) -> Path:
    """A folder with ``access.csv`` and ``licaudit.toml``."""
    folder = tmp_path / "logs"
    folder.mkdir()
    (folder / "access.csv").write_text(events)
    (folder / "licaudit.toml").write_text(contract)
    return folder
