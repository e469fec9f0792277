"""The roster of account states (SPEC 1.5)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import polars as pl
import pytest

from licaudit.audit import run_contract
from licaudit.errors import DataError
from licaudit.ingest.events import EVENT_SCHEMA, IngestOptions
from licaudit.ingest.roster import ROSTER_SCHEMA, Roster, read_roster
from licaudit.models.base import Contract
from tests.conftest import RecordWriter

ACTIVE = ["active", "activated", "enabled", "true", "1", "yes", "oui"]
INACTIVE = ["inactive", "deactivated", "disabled", "deleted", "false", "0", "no", "non"]


def at(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)  # type: ignore[misc]


def roster(path: Path, **options: object) -> Roster:
    return read_roster(path, IngestOptions(**options))  # type: ignore[arg-type]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_status_words_read_as_active_or_inactive_trimmed_and_case_insensitive(
    tmp_path: Path,
) -> None:
    words = [*ACTIVE, *INACTIVE, " Active ", "OUI", "Yes", "NON", " Deleted", "FALSE"]
    path = write(
        tmp_path / "r.csv",
        "ts,user,status\n" + "".join(f"2025-03-01,u{i},{w}\n" for i, w in enumerate(words)),
    )
    loaded = roster(path)
    assert loaded.rows_rejected == 0
    assert loaded.states.get_column("active").to_list() == (
        [True] * len(ACTIVE) + [False] * len(INACTIVE) + [True, True, True, False, False, False]
    )


def test_unknown_status_and_bad_ts_are_rejected_and_counted_apart(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [
            {"ts": "2025-03-01", "user": "a", "status": "active"},
            {"ts": "2025-03-01", "user": "b", "status": "suspended"},
            {"ts": "2025-03-01", "user": "c", "status": ""},
            {"ts": "2025-02-30", "user": "d", "status": "active"},
            {"ts": "", "user": "e", "status": "active"},
            {"ts": "1980-01-01", "user": "f", "status": "inactive"},
            {"ts": "2025-03-02", "user": "g", "status": "inactive"},
        ]
    )
    loaded = roster(path)
    assert loaded.states.get_column("user").to_list() == ["a", "g"]
    assert loaded.rejects.select("row", "reason").rows() == [
        (2, "unknown_status"),
        (3, "unknown_status"),
        (4, "unparseable_ts"),
        (5, "missing_ts"),
        (6, "out_of_range"),
    ]
    assert (loaded.rows_read, loaded.rows_used, loaded.rows_rejected) == (7, 2, 5)
    assert loaded.rejects.columns == ["source", "row", "reason", "raw"]
    assert set(loaded.rejects.get_column("source")) == {str(path)}


def test_bad_ts_is_the_reason_when_the_status_is_unknown_too(tmp_path: Path) -> None:
    loaded = roster(write(tmp_path / "r.csv", "ts,user,status\nsoon,a,maybe\n"))
    assert loaded.rejects.select("row", "reason").rows() == [(1, "unparseable_ts")]


def test_malformed_roster_record_is_rejected_as_malformed(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "ts,user,status\n2025-03-01,a,active,extra\n2025-03-01,b,no\n")
    loaded = roster(path)
    assert loaded.rejects.select("row", "reason", "raw").rows() == [
        (1, "malformed", "2025-03-01,a,active,extra")
    ]
    assert loaded.rows_read == 2


def test_roster_without_product_column_is_for_the_default_product(tmp_path: Path) -> None:
    loaded = roster(write(tmp_path / "r.csv", "ts,user,status\n2025-03-01,a,active\n"))
    assert loaded.states.get_column("product").to_list() == ["default"]


def test_roster_user_and_product_are_normalized_as_events_are(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.csv",
        "Date;Login;State;Application\n"
        "01/03/2025 08:00; Alice ;active; LMS \n"
        "02/03/2025;BOB;disabled;\n",
    )
    loaded = roster(path)
    assert loaded.states.select("ts", "user", "product", "active").rows() == [
        (at(2025, 3, 1, 8), "alice", "lms", True),
        (at(2025, 3, 2), "bob", "default", False),
    ]
    kept = roster(path, case_sensitive_users=True).states.get_column("user").to_list()
    assert kept == ["Alice", "BOB"]


def test_roster_reads_naive_times_in_the_input_timezone(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "ts,user,status\n2025-03-01 08:00,a,active\n")
    loaded = roster(path, input_timezone="Europe/Paris")
    assert loaded.states.get_column("ts").to_list() == [at(2025, 3, 1, 7)]


def test_roster_keeps_file_order_in_seq_for_rows_with_the_same_ts(tmp_path: Path) -> None:
    path = write(
        tmp_path / "r.csv",
        "ts,user,status\n"
        "2025-03-02,a,active\n"
        "2025-03-01,a,inactive\n"
        "2025-03-01,b,unknown\n"
        "2025-03-01,a,active\n",
    )
    states = roster(path).states
    assert states.schema == pl.Schema(ROSTER_SCHEMA)
    assert states.select("ts", "active", "seq").rows() == [
        (at(2025, 3, 2), True, 1),
        (at(2025, 3, 1), False, 2),
        (at(2025, 3, 1), True, 4),
    ]


def test_roster_in_every_format_gives_the_same_states(write_records: RecordWriter) -> None:
    path = write_records(
        [
            {"user": "A", "ts": "2025-03-01T09:00Z", "status": "Enabled", "product": "Drive"},
            {"user": "b", "ts": "2025-03-01T10:00Z", "status": "0", "product": None},
        ]
    )
    assert roster(path).states.drop("seq").rows() == [
        (at(2025, 3, 1, 9), "a", "drive", True),
        (at(2025, 3, 1, 10), "b", "default", False),
    ]


def test_missing_roster_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError) as raised:
        roster(tmp_path / "accounts.csv")
    assert raised.value.exit_code == 3
    assert str(tmp_path / "accounts.csv") in str(raised.value)


def test_roster_without_a_status_column_is_a_data_error_naming_it(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "ts,user,role\n2025-03-01,a,admin\n")
    with pytest.raises(DataError, match="no status column") as raised:
        roster(path)
    assert str(path) in str(raised.value)


# --- Snapshot mode (SPEC 1.5, "Snapshots") ------------------------------------------------


def test_snapshot_roster_without_status_lists_active_accounts(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "date,user,product\n2025-03-01,a,lms\n2025-03-01,b,crm\n")
    loaded = read_roster(path, IngestOptions(input_timezone="Europe/Paris"), mode="snapshot")
    assert loaded.rows_rejected == 0
    # A date alone is its local midnight in the input timezone.
    assert loaded.states.select("ts", "user", "product", "active").rows() == [
        (at(2025, 2, 28, 23), "a", "lms", True),
        (at(2025, 2, 28, 23), "b", "crm", True),
    ]


def test_snapshot_roster_with_status_reads_it_and_an_empty_status_is_active(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "r.csv",
        "ts,user,status\n2025-03-01,a,inactive\n2025-03-01,b,\n2025-03-01,c,suspended\n",
    )
    loaded = read_roster(path, IngestOptions(), mode="snapshot")
    assert loaded.states.select("user", "active").rows() == [("a", False), ("b", True)]
    assert loaded.rejects.select("row", "reason").rows() == [(3, "unknown_status")]


def test_events_roster_without_status_is_still_a_data_error(tmp_path: Path) -> None:
    path = write(tmp_path / "r.csv", "ts,user\n2025-03-01,a\n")
    with pytest.raises(DataError, match="no status column"):
        read_roster(path, IngestOptions())


def test_placeholder_roster_users_are_anonymous_used_rows_that_no_model_counts(
    tmp_path: Path,
) -> None:
    # SPEC 1.5: roster users are normalized as in 1.2, where a null, empty, `-`,
    # `anonymous` or `guest` user is anonymous; only an unknown status is rejected.
    path = tmp_path / "roster.csv"
    path.write_text(
        "ts,user,status\n"
        "2025-10-01T00:00Z,guest,active\n2025-10-01T00:00Z,,active\n"
        "2025-10-01T00:00Z,-,active\n2025-10-01T00:00Z,Anonymous,active\n"
        "2025-10-01T00:00Z,bob,maybe\n2025-10-01T00:00Z,carl,active\n"
    )
    roster = read_roster(path, IngestOptions())
    assert (roster.rows_read, roster.rows_used, roster.rows_rejected) == (6, 5, 1)
    assert roster.states["user"].to_list() == [None, None, None, None, "carl"]
    events = pl.DataFrame(
        {"ts": [datetime(2025, 10, 2, 10, tzinfo=UTC)], "user": ["x"], "anonymous": [False]}
    )
    events = (
        events.with_columns(
            end=pl.lit(None, pl.Datetime("us", "UTC")),
            method=pl.lit("web"),
            product=pl.lit("default"),
            session=pl.lit(None, pl.String),
            device=pl.lit(None, pl.String),
        )
        .select(list(EVENT_SCHEMA))
        .cast(pl.Schema(EVENT_SCHEMA))
    )
    contract = Contract(name="a", model="accounts", timezone="Europe/Paris")
    result = run_contract(events, contract, "EUR", roster=roster.states)
    assert result.day_rows["units"].to_list() == [1]
