"""Ingest, end to end: Normalization and the anonymous rule (SPEC 1.2).

Most tests run once per input format through ``write_records``; expected
instants are computed by hand and written out in UTC.
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.conftest import RecordWriter
from tests.ingest.support import column, csv_only, read, write_csv

# --- Normalization and the anonymous rule (SPEC 1.2) -------------------------------------


@csv_only
def test_user_method_product_are_trimmed_and_lowercased(write_records: RecordWriter) -> None:
    path = write_records(
        [
            {
                "ts": "2025-03-10",
                "user": "  Alice.B@X.org ",
                "method": " WebDAV ",
                "product": " Drive ",
            }
        ]
    )
    assert read(path).events.select("user", "method", "product").row(0) == (
        "alice.b@x.org",
        "webdav",
        "drive",
    )


@csv_only
def test_case_sensitive_users_keeps_user_case_but_still_trims(write_records: RecordWriter) -> None:
    path = write_records([{"ts": "2025-03-10", "user": " Alice ", "method": "WEB"}])
    events = read(path, case_sensitive_users=True).events
    assert events.select("user", "method").row(0) == ("Alice", "web")


def test_empty_or_missing_method_and_product_take_the_defaults(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [
            {"ts": "2025-03-10", "method": "", "product": "  "},
            {"ts": "2025-03-10", "method": None, "product": None},
        ]
    )
    no_columns = write_records([{"ts": "2025-03-10"}])
    events = read(path, no_columns).events
    assert events.select("method", "product").rows() == [("unknown", "default")] * 3


def test_session_and_device_are_kept_as_written_and_empty_cells_are_null(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [
            {"ts": "2025-03-10", "user": "a", "session": " Tok-AB ", "device": "PC-01"},
            {"ts": "2025-03-10", "user": "", "session": "", "device": None},
            {"ts": "2025-03-10", "user": "  ", "session": None, "device": ""},
        ]
    )
    events = read(path).events
    assert events.select("user", "session", "device").rows() == [
        ("a", " Tok-AB ", "PC-01"),
        (None, None, None),
        (None, None, None),
    ]


ANONYMOUS_MARKERS = [None, "", "  ", "-", " - ", "anonymous", " Anonymous ", "guest", "GUEST"]


NAMED_USERS = ["Alice", "guest1", "anonymous-bob", "--"]


def test_null_empty_dash_anonymous_or_guest_user_is_anonymous(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [{"ts": "2025-03-10", "user": user} for user in [*ANONYMOUS_MARKERS, *NAMED_USERS]]
    )
    expected = [True] * len(ANONYMOUS_MARKERS) + [False] * len(NAMED_USERS)
    assert column(read(path), "anonymous") == expected


@csv_only
def test_anonymous_users_are_recognised_even_with_case_sensitive_users(
    write_records: RecordWriter,
) -> None:
    path = write_records(
        [{"ts": "2025-03-10", "user": user} for user in [*ANONYMOUS_MARKERS, *NAMED_USERS]]
    )
    ingested = read(path, case_sensitive_users=True)
    expected = [True] * len(ANONYMOUS_MARKERS) + [False] * len(NAMED_USERS)
    assert column(ingested, "anonymous") == expected
    assert column(ingested, "user")[-4:] == NAMED_USERS


def test_file_without_user_column_is_all_anonymous(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "nouser.csv", "ts,method\n2025-03-10,web\n")
    assert column(read(path), "anonymous") == [True]


FALSE_WORDS = ["false", "FALSE", "0", "no", "No", "n", "N", "f", "F", "non", " Non "]


@csv_only
def test_authenticated_false_words_make_the_row_anonymous(write_records: RecordWriter) -> None:
    path = write_records(
        [{"ts": "2025-03-10", "user": "alice", "authenticated": word} for word in FALSE_WORDS]
    )
    assert column(read(path), "anonymous") == [True] * len(FALSE_WORDS)


def test_authenticated_typed_as_json_booleans_and_numbers(tmp_path: Path) -> None:
    path = tmp_path / "typed.jsonl"
    lines = [{"ts": "2025-03-10", "user": "alice", "authenticated": v} for v in (False, 0, True, 1)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    assert column(read(path), "anonymous") == [True, True, False, False]


def test_authenticated_empty_or_other_words_change_nothing(write_records: RecordWriter) -> None:
    words = [None, "", "true", "1", "yes", "maybe"]
    path = write_records(
        [{"ts": "2025-03-10", "user": "alice", "authenticated": word} for word in words]
        + [{"ts": "2025-03-10", "user": "guest", "authenticated": word} for word in words]
    )
    assert column(read(path), "anonymous") == [False] * len(words) + [True] * len(words)
