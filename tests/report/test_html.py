"""The HTML report as a file (issue 12 item 2): self-contained, header, per-contract sections."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from licaudit.audit import AuditResult
from licaudit.report.document import file_bytes, month_summary
from licaudit.report.html import html_bytes
from tests.report.conftest import audit_of, folder_of

EVENTS = (
    "timestamp,user,method,product\n"
    "2025-10-01T08:00:00+02:00,alice,web,ne\n"
    "2025-10-01T08:05:00+02:00,<b>eve</b>,web,ne\n"
    "2025-10-02T09:00:00.250+02:00,bob,web,ne\n"
)
CONTRACT = (
    'currency = "EUR"\n[[contract]]\nname = "ne"\nmodel = "daily-active"\n'
    "capacity = 1\nprice = 100\nexcess_price = 10.5\n"
)
GENERATED_AT = datetime(2025, 11, 3, 9, 30, tzinfo=UTC)
# 2025-10-01 peaks at 3 busy slots over [08:07, 08:10) local; 23:30 UTC on the 1st is
# 01:30 on the 2nd in Paris; the row without user is a visitor.
CONCURRENT_EVENTS = (
    "timestamp,user,method,product\n"
    "2025-10-01T08:00:00+02:00,alice,web,ne\n"
    "2025-10-01T08:05:00+02:00,bob,web,ne\n"
    "2025-10-01T08:07:00+02:00,carol,web,ne\n"
    "2025-10-01T23:30:00+00:00,alice,web,ne\n"
    "2025-10-02T09:00:00+02:00,bob,web,ne\n"
    "2025-10-02T09:20:00+02:00,bob,web,ne\n"
    "2025-10-02T10:00:00+02:00,,web,ne\n"
)
CONCURRENT = '[[contract]]\nname = "ne"\nmodel = "concurrent"\ncapacity = 2\n'


def page_of(audit: AuditResult) -> str:
    return html_bytes(
        audit,
        month_summary(audit),
        ["rows read 3 = used 3 + rejected 0"],
        ["a warning <here>"],
        ["logs/access.csv"],
        GENERATED_AT,
    ).decode()


@pytest.fixture
def small(tmp_path: Path) -> AuditResult:
    return audit_of(folder_of(tmp_path, EVENTS, CONTRACT))


def test_page_fetches_nothing_and_runs_no_script(sample_audit: AuditResult) -> None:
    page = file_bytes("html", sample_audit, "usage", "day", None).decode()
    assert page.startswith("<!DOCTYPE html>")
    for outside in ("<script", "<link", "<img", "<iframe", "src=", "url(", "@import"):
        assert outside not in page
    # The only address is the SVG namespace, which is a name, never fetched.
    assert set(re.findall(r"https?://[^\"' )]+", page)) == {"http://www.w3.org/2000/svg"}


def test_header_names_contracts_timezone_files_range_and_generation_time(
    small: AuditResult,
) -> None:
    page = page_of(small)
    for fact in (
        "<dt>Contracts</dt><dd>ne (daily-active)</dd>",
        "<dt>Timezone</dt><dd>Europe/Paris",
        "<dt>Input files</dt><dd>logs/access.csv</dd>",
        "<dt>Report range</dt><dd>2025-10-01 to 2025-10-02</dd>",
        "<dt>Generated at</dt><dd>2025-11-03T09:30:00+00:00</dd>",
    ):
        assert fact in page
    assert "rows read 3 = used 3 + rejected 0" in page
    assert "warning: a warning &lt;here&gt;" in page


def test_daily_chart_marks_each_day_over_capacity_against_the_capacity_line(
    small: AuditResult,
) -> None:
    page = page_of(small)
    # 2025-10-01: alice and eve (2 > 1); 2025-10-02: bob alone (1, at capacity).
    assert len(re.findall(r'<rect [^>]*class="over"', page)) == 1
    assert "<title>2025-10-01: 2 (1 over capacity)</title>" in page
    assert "<title>2025-10-02: 1</title>" in page
    assert page.count('<line class="capacity"') == 1


def test_month_summary_spells_out_the_cost_and_marks_the_partial_month(
    small: AuditResult,
) -> None:
    page = page_of(small)
    assert "100.00 + 1 × 10.50 = 110.50 EUR" in page
    assert "<td>2025-10*</td>" in page
    assert "* 2025-10: partial: 2 of 31 days in the report range" in page


def test_detail_instants_are_local_with_their_offset_and_text_is_escaped(
    small: AuditResult,
) -> None:
    page = page_of(small)
    assert "<td>2025-10-01T08:05:00+02:00</td>" in page
    assert "&lt;b&gt;eve&lt;/b&gt;" in page and "<b>eve</b>" not in page


def test_activity_heatmap_counts_the_events_of_the_scope_by_local_hour(
    small: AuditResult,
) -> None:
    page = page_of(small)
    assert "<title>Wed 08:00–09:00: 2 events</title>" in page
    assert "<title>Thu 09:00–10:00: 1 events</title>" in page


def test_concurrent_peak_day_profile_is_a_step_line_against_capacity_in_local_time(
    tmp_path: Path,
) -> None:
    page = page_of(audit_of(folder_of(tmp_path, CONCURRENT_EVENTS, CONCURRENT)))
    label = "ne: busy slots on the peak day, 2025-10-01 (local time, Europe/Paris)"
    chart = page[page.index(f'aria-label="{label}"') :]
    chart = chart[: chart.index("</svg>")]
    assert "<title>peak 3 busy at 08:07:00</title>" in chart
    # The only step above capacity 2, as a red bar with its local times.
    assert re.findall(r'<rect class="over"[^>]*><title>([^<]*)</title>', chart) == [
        "08:07:00–08:10:00: 3 busy (1 over capacity)"
    ]
    assert chart.count('<line class="capacity"') == 1
    # The steps: 0 from midnight, then 1, 2, 3, 2, 1, 0 (y grows downwards).
    path = re.search(r'<path d="([^"]*)"', chart)
    assert path is not None and path.group(1).count("V") == 7
    # Its table too, under the detail tables.
    assert "Peak_profile (7 rows)" in page


def test_top_users_count_local_active_days_then_events_of_authenticated_users(
    tmp_path: Path,
) -> None:
    page = page_of(audit_of(folder_of(tmp_path, CONCURRENT_EVENTS, CONCURRENT)))
    table = page[page.index("<summary>Top users (3 rows)</summary>") :]
    rows = re.findall(r"<tr><td>([^<]*)</td><td[^>]*>(\d+)</td><td[^>]*>(\d+)</td></tr>", table)
    # alice: 2025-10-01 and (01:30 local) 2025-10-02; the visitor is no user.
    assert rows[:3] == [("bob", "2", "3"), ("alice", "2", "2"), ("carol", "1", "1")]


def test_flex_balance_chart_marks_the_denied_charges_and_expiries(
    sample_audit: AuditResult,
) -> None:
    page = page_of(sample_audit)
    flex = page[page.index("autodesk-flex: balance of each pack") :]
    assert flex.count(" denied: ") == 4
    assert flex.count(" expiry of ") == 1
    for pack in ("FLEX-2024-10", "FLEX-2025-04", "FLEX-2025-10"):
        assert pack in flex


def test_every_contract_has_a_section_with_its_charts_and_tables(
    sample_audit: AuditResult,
) -> None:
    page = page_of(sample_audit)
    for result in sample_audit.results:
        name = result.contract.name
        assert f"<h2>{name}</h2>" in page
        assert f"{name}: units per day" in page
        assert f"{name}: events per hour and weekday" in page
        if result.contract.model == "concurrent":
            assert f"{name}: busy slots on the peak day" in page
    assert page.count("<h3>Month summary</h3>") == len(sample_audit.results)
    assert page.count("<summary>Top users (") == len(sample_audit.results)
