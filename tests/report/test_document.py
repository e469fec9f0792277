"""The report document in JSON, and local times in CSV, JSON and Parquet (SPEC 4)."""

from __future__ import annotations

import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import polars as pl

from licaudit.audit import AuditResult, Period
from licaudit.report.document import cost_computation, file_bytes, price_text

KEYS = ["rows_read", "rows_used", "rows_rejected", "rejects_by_reason", "input_timezone"]


def _document(audit: AuditResult, period: Period = "day") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(file_bytes("json", audit, "usage", period, None))
    return document


def test_json_document_holds_day_rows_month_rows_and_details_in_one_object(
    sample_audit: AuditResult,
) -> None:
    document = _document(sample_audit)
    assert list(document)[:5] == KEYS
    assert document["rows_read"] == sample_audit.ingested.rows_read
    # Day rows: the usage table of --period day, and each contract's daily usage.
    assert {row["period"] for row in document["tables"]["usage"]} >= {"2025-10-01", "2025-10-31"}
    by_name = {contract["name"]: contract for contract in document["contracts"]}
    assert list(by_name) == [result.contract.name for result in sample_audit.results]
    daily = by_name["netexplorer-2k21"]
    assert daily["model"] == "daily-active"
    assert daily["timezone"] == "Europe/Paris"
    assert daily["scope"] == ["netexplorer"]
    assert (daily["capacity"], daily["price"], daily["excess_price"]) == (24, "1500.00", "60.00")
    assert daily["currency"] == "EUR"
    assert daily["events_in_scope"] > 0
    assert len(daily["days"]) == 31
    # Month rows: cost as exact decimal text with its computation.
    assert daily["months"] == [
        {
            "scope": "netexplorer",
            "month": "2025-10",
            "days_in_range": 31,
            "month_days": 31,
            "partial": False,
            "units": 31,
            "capacity": 24,
            "excess": 7,
            "cost": "1920.00",
            "computation": "1500.00 + 7 × 60.00 = 1920.00 EUR",
        }
    ]
    assert [day["period"] for day in daily["days_over_capacity"]] == [
        "2025-10-08", "2025-10-13", "2025-10-15", "2025-10-16", "2025-10-30",
    ]  # fmt: skip
    # Details: each contract names its tables, whose rows are under "tables".
    assert "refused" in daily["tables"]
    for contract in document["contracts"]:
        for name in contract["tables"]:
            assert any(row["contract"] == contract["name"] for row in document["tables"][name])
    refused = document["tables"]["refused"][0]
    assert refused["first_event"] == "2025-10-08T15:57:17+02:00"


def test_json_document_is_the_same_per_contract_whatever_the_period(
    sample_audit: AuditResult,
) -> None:
    day, month = _document(sample_audit, "day"), _document(sample_audit, "month")
    assert day["contracts"] == month["contracts"]
    assert {row["period"] for row in month["tables"]["usage"]} == {"2025-10"}


def test_from_does_not_make_a_month_partial_in_the_json_document(
    sample_audit: AuditResult,
) -> None:
    # --from chooses the reported months; a month row is the whole month within the
    # report range (the logs' days: all 31 of October), so it is not partial.
    from tests.report.conftest import SAMPLE_LOGS, audit_of

    document = _document(audit_of(SAMPLE_LOGS, date_from="2025-10-20"))
    months = document["contracts"][0]["months"]
    assert months[0]["partial"] is False
    assert months[0]["days_in_range"] == 31


def test_csv_writes_detail_instants_in_the_contracts_timezone(sample_audit: AuditResult) -> None:
    csv = file_bytes("csv", sample_audit, "charges", "day", None).decode()
    header, first = csv.splitlines()[:2]
    assert header == "contract,user,product,window_start,window_end,tokens,status"
    assert first.split(",")[3:5] == ["2025-10-01T08:00:26+02:00", "2025-10-02T08:00:26+02:00"]
    # The usage table's period stays text.
    usage = file_bytes("csv", sample_audit, "usage", "day", None).decode().splitlines()
    assert usage[1].split(",")[3] == "2025-10-01"


def test_csv_fraction_only_where_there_is_one(sample_audit: AuditResult) -> None:
    rows = pl.read_csv(io.BytesIO(file_bytes("csv", sample_audit, "holders", "day", None)))
    ends = rows["releases_at"].to_list()
    assert "2025-11-30T16:23:11.011+01:00" in ends  # winter time, milliseconds
    assert all(len(end) == len("2025-11-30T16:55:59+01:00") for end in ends if "." not in end)


def test_excel_dialect_through_file_bytes_writes_local_times(sample_audit: AuditResult) -> None:
    raw = file_bytes("csv", sample_audit, "refused", "day", None, csv_dialect="excel")
    assert ";2025-10-08T15:57:17+02:00;" in raw.decode("utf-8-sig")


def test_parquet_has_typed_local_instants_and_period_as_a_date(sample_audit: AuditResult) -> None:
    paris = ZoneInfo("Europe/Paris")
    peaks = pl.read_parquet(io.BytesIO(file_bytes("parquet", sample_audit, "peaks", "day", None)))
    assert peaks.schema["peak_at"] == pl.Datetime("us", "Europe/Paris")
    assert peaks["peak_at"][0] == datetime(2025, 10, 1, 11, 45, 10, tzinfo=paris)
    # Concurrent peaks per day joined with nominal peaks per month: the period stays text.
    assert peaks.schema["period"] == pl.String
    balances = file_bytes("parquet", sample_audit, "balances", "day", None)
    assert pl.read_parquet(io.BytesIO(balances))["period"][0] == date(2025, 10, 1)
    usage = pl.read_parquet(io.BytesIO(file_bytes("parquet", sample_audit, "usage", "month", None)))
    assert usage["period"].unique().to_list() == [date(2025, 10, 1)]


def test_the_cost_computation_shows_prices_as_written_and_rounds_only_the_cost() -> None:
    # cost = price + excess × excess_price, exact, rounded half-up to cents (SPEC 3): an
    # excess price of 10.005 is a factor, shown whole, or the sum would not add up.
    assert (
        cost_computation(Decimal("100"), 1, Decimal("10.005"), Decimal("110.01"), "EUR")
        == "100.00 + 1 × 10.005 = 110.01 EUR"
    )
    assert (
        cost_computation(Decimal("100.1"), 1, Decimal("0.125"), Decimal("100.23"), "EUR")
        == "100.10 + 1 × 0.125 = 100.23 EUR"
    )
    assert price_text(Decimal("1500"), grouped=True) == "1,500.00"
