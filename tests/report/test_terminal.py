"""Detail tables at a terminal of 80 columns: readable, nothing cut (SPEC 5)."""

from __future__ import annotations

import io
import itertools
import re
from datetime import UTC, datetime

import polars as pl
import pytest
from rich.cells import cell_len
from rich.console import Console

from licaudit.audit import AuditResult, ContractResult
from licaudit.report.terminal import DETAIL_ROWS_SHOWN, detail_table, render_report, short_instants

PARIS = "Europe/Paris"


def console_80(terminal: bool = True) -> tuple[Console, io.StringIO]:
    """A console of 80 columns writing into the returned buffer."""
    buffer = io.StringIO()
    console = Console(
        file=buffer, width=80, force_terminal=terminal, color_system=None, highlight=False
    )
    return console, buffer


def rendered(result: ContractResult, name: str, terminal: bool = True) -> list[str]:
    console, buffer = console_80(terminal)
    detail = result.details[name]
    console.print(detail_table(console, detail, name, result.contract.timezone))
    return buffer.getvalue().splitlines()


def result_of(audit: AuditResult, contract: str) -> ContractResult:
    return next(r for r in audit.results if r.contract.name == contract)


def column(lines: list[str], header: str) -> list[str]:
    """The text of one column, line by line, from a table drawn with box characters."""
    body = [line for line in lines if line.startswith("│")]
    heads = [line for line in lines if line.startswith("┃")]
    bars = [i for i, char in enumerate(body[0]) if char == "│"]
    for start, end in itertools.pairwise(bars):
        if any(head[start + 1 : end].strip().startswith(header) for head in heads):
            return [line[start + 1 : end].strip() for line in body]
    raise AssertionError(f"no column {header}")


def test_every_detail_table_of_the_sample_fits_80_columns_whole(
    sample_audit: AuditResult,
) -> None:
    checked = 0
    for result in sample_audit.results:
        for name, detail in result.details.items():
            if detail.is_empty():
                continue
            for terminal in (True, False):
                lines = rendered(result, name, terminal)
                assert all(cell_len(line) <= 80 for line in lines), (name, lines)
                text = "\n".join(lines)
                assert "…" not in text, (result.contract.name, name, text)
                assert not any("contract" in line for line in lines[:5]), (name, lines[:5])
                assert result.contract.name not in text
                if detail.height > DETAIL_ROWS_SHOWN:
                    assert lines[-1].strip().endswith(f"--format csv --table {name}")
            checked += 1
    assert checked >= 10


@pytest.mark.parametrize(
    ("contract", "name", "header", "first"),
    [
        ("netexplorer-2k21", "refused", "first_", "15:57:17"),  # 13:57:17 UTC, under its day
        ("netexplorer-2k17", "peaks", "peak_at", "11:45:10"),
        ("share-enterprise", "holders", "assigned_at", "2025-10-01 09:03"),  # no day column
        ("workspace-2k22", "refused", "ts", "2025-10-10 16:00"),
        ("lms-rau", "users", "first_", "2025-10-03"),  # a month: the date wraps at its space
        ("autodesk-flex", "ledger", "time", "2025-10-01 08:00"),
        ("autodesk-flex", "charges", "window_", "2025-10-01"),
    ],
)
def test_instants_are_local_and_short(
    sample_audit: AuditResult, contract: str, name: str, header: str, first: str
) -> None:
    cells = column(rendered(result_of(sample_audit, contract), name), header)
    assert cells[0] == first
    if re.fullmatch(r"\d\d:\d\d:\d\d", first):
        assert all(re.fullmatch(r"\d\d:\d\d:\d\d", cell) for cell in cells if cell)


@pytest.mark.parametrize(
    ("contract", "name"),
    [
        ("netexplorer-2k21", "refused"),
        ("share-enterprise", "holders"),
        ("lms-rau", "users"),
        ("autodesk-flex", "charges"),
        ("autodesk-flex", "findings"),
    ],
)
def test_user_names_wrap_whole_rather_than_being_cut(
    sample_audit: AuditResult, contract: str, name: str
) -> None:
    result = result_of(sample_audit, contract)
    users = result.details[name]["user"].head(DETAIL_ROWS_SHOWN).to_list()
    assert "".join(column(rendered(result, name), "user")) == "".join(users)


def test_the_overflow_hint_names_the_real_table(sample_audit: AuditResult) -> None:
    lines = rendered(result_of(sample_audit, "netexplorer-2k17"), "peaks")
    assert lines[-1] == "11 more rows: see --format csv --table peaks"


def test_narrow_headers_split_at_underscores_only_where_needed(sample_audit: AuditResult) -> None:
    lines = rendered(result_of(sample_audit, "netexplorer-2k21"), "refused")
    heads = [line for line in lines if line.startswith("┃")]
    assert any("running_" in head for head in heads)
    assert any("total" in head and "running" not in head for head in heads)
    assert any(" period " in head for head in heads)  # no underscore, one line


def test_an_instant_on_another_day_than_its_row_keeps_its_date() -> None:
    frame = pl.DataFrame(
        {
            "period": ["2025-10-08", "2025-10-08"],
            "window_end": [
                datetime(2025, 10, 8, 21, 59, 59, tzinfo=UTC),  # 23:59:59 in Paris
                datetime(2025, 10, 8, 22, 10, tzinfo=UTC),  # 00:10 the next day
            ],
        }
    )
    shown = short_instants(frame, PARIS)["window_end"].to_list()
    assert shown == ["23:59:59", "2025-10-09 00:10"]


def test_month_periods_show_the_date_with_the_time() -> None:
    frame = pl.DataFrame(
        {"period": ["2025-10"], "first_access": [datetime(2025, 10, 3, 11, 32, 6, tzinfo=UTC)]}
    )
    assert short_instants(frame, PARIS)["first_access"].to_list() == ["2025-10-03 13:32"]


def test_the_whole_report_at_80_columns_cuts_no_heading(sample_audit: AuditResult) -> None:
    console, buffer = console_80()
    render_report(console, sample_audit, [], None)
    text = buffer.getvalue()
    assert all(cell_len(line) <= 80 for line in text.splitlines())
    for result in sample_audit.results:
        assert re.search(rf"^─+ {re.escape(result.contract.name)}[ (]", text, re.MULTILINE)
    assert "netexplorer-2k21 (daily-active, scope netexplorer, Europe/Paris): 5,043 events" in (
        text.replace("\n", " ")
    )
