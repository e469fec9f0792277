"""The HTML report as a person sees it (issue 12 item 3): headless Chromium loads the page.

Skipped where Debian's ``chromium`` is absent (CI installs it). The page has no script,
so any console message at all (an error, a failed load) is a fault; each chart must be
an SVG with marks of positive size once the browser has laid the page out.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from licaudit.audit import AuditResult
from licaudit.report.document import file_bytes

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
needs_chromium = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="headless Chromium not installed (apt-get install -y chromium; CI installs it)",
)
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
    "--enable-logging=stderr",
    "--v=0",
    "--virtual-time-budget=5000",
)


def chromium(page: Path, profile: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, *FLAGS, f"--user-data-dir={profile}", *args, page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )


def console_messages(stderr: str) -> list[str]:
    """What the page wrote to the console, or what the browser reported about it."""
    return re.findall(r":CONSOLE[^\]]*\] (.*)", stderr)


class Charts(HTMLParser):
    """Each ``svg.chart`` of the rendered DOM with its marks of positive size."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[tuple[str, int]] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "svg" and "chart" in (found.get("class") or "").split():
            self.charts.append((found.get("aria-label") or "", 0))
            self._inside = True
        elif self._inside and tag in ("rect", "path", "line") and _drawn(tag, found):
            label, marks = self.charts[-1]
            self.charts[-1] = (label, marks + 1)

    def handle_endtag(self, tag: str) -> None:
        if tag == "svg":
            self._inside = False


def _drawn(tag: str, attrs: dict[str, str | None]) -> bool:
    if tag == "rect":
        return float(attrs.get("width") or 0) > 0 and float(attrs.get("height") or 0) > 0
    if tag == "path":
        return bool(attrs.get("d"))
    return True


@pytest.fixture
def sample_page(sample_audit: AuditResult, tmp_path: Path) -> Path:
    page = tmp_path / "report.html"
    page.write_bytes(file_bytes("html", sample_audit, "usage", "day", None))
    return page


@needs_chromium
def test_console_check_catches_a_script_error(tmp_path: Path) -> None:
    # The check below is only worth something if it sees errors when there are some.
    page = tmp_path / "broken.html"
    page.write_text("<!DOCTYPE html><p>x</p><script>console.error('boom'); nope();</script>")
    messages = console_messages(chromium(page, tmp_path / "profile", "--dump-dom").stderr)
    assert any("boom" in message for message in messages)
    assert any("nope is not defined" in message for message in messages)


@needs_chromium
def test_sample_report_loads_without_console_messages_and_every_chart_drew(
    sample_page: Path, sample_audit: AuditResult, tmp_path: Path
) -> None:
    rendered = chromium(sample_page, tmp_path / "profile", "--dump-dom")
    assert console_messages(rendered.stderr) == []
    parser = Charts()
    parser.feed(rendered.stdout)
    labels = [label for label, _ in parser.charts]
    for result in sample_audit.results:
        name = result.contract.name
        assert any(label.startswith(f"{name}: units per day") for label in labels), name
        assert any(label.startswith(f"{name}: events per hour") for label in labels), name
        if result.contract.model == "concurrent":
            peak_day = f"{name}: busy slots on the peak day"
            assert any(label.startswith(peak_day) for label in labels), name
    assert "autodesk-flex: balance of each pack (Europe/Paris)" in labels
    empty = [label for label, marks in parser.charts if marks == 0]
    assert empty == []


@needs_chromium
def test_sample_report_screenshot_is_a_picture(sample_page: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    chromium(sample_page, tmp_path / "profile", "--window-size=1200,1600", f"--screenshot={shot}")
    picture = shot.read_bytes()
    assert picture.startswith(b"\x89PNG") and len(picture) > 20_000
