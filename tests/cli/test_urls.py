"""Object-store URLs on the command line (issue 11): kept as written, read by Spark only.

A URL given to the local engine, or to a command without ``--engine``, is a usage error
(exit 2) that names the URL and says how to fix it, before any contract or file is read;
never a traceback. Spark's reading of URLs is tested in ``tests/test_spark.py``.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from licaudit.cli.app import build_request
from licaudit.cli.commands import app
from licaudit.ingest.remote import Url

runner = CliRunner()
URL = "s3://acme-logs/2025-10"


def test_a_url_argument_is_kept_as_written_and_a_local_one_is_a_path() -> None:
    request = build_request([URL, "logs", "C://exports"], None, engine="spark")
    assert request.paths == (Url(URL), Path("logs"), Path("C://exports"))


@pytest.mark.parametrize(
    "args",
    [
        ["report", URL, "--model", "rau"],
        ["report", URL],  # no contract either: the URL is what to fix first
        ["report", "sample_logs", URL, "--model", "rau", "--engine", "local"],
        ["check", URL, "--model", "rau", "--capacity", "3"],
        ["inspect", URL],
        ["whatif", URL],
        ["reconcile", URL, "--vendor", "bill.csv"],
    ],
)
def test_a_url_without_engine_spark_is_a_usage_error_naming_it(args: list[str]) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "Traceback" not in result.stderr
    assert " ".join(result.stderr.split()) == (
        f"Error: Input {URL} is a URL, and only `--engine spark` reads URLs. "
        "Hint: add --engine spark (`report` and `check`), or mount the store and give the "
        "mounted path."
    )


def test_an_input_with_one_slash_after_the_scheme_is_a_local_path() -> None:
    # Missing, as any other local path (exit 3), not refused as a URL.
    result = runner.invoke(app, ["report", "s3:/acme-logs", "--model", "rau"])
    assert result.exit_code == 3
    assert "Input s3:/acme-logs does not exist." in result.stderr
