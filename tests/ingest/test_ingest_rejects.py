"""Ingest, end to end: rejects, unreadable files, reconciliation (SPEC 1.3, 1.4).

Most tests run once per input format through ``write_records``; expected
instants are computed by hand and written out in UTC.
"""

from __future__ import annotations

import gzip
import json
import tempfile
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from licaudit.errors import DataError
from licaudit.ingest.events import REASONS, Ingested
from tests.conftest import RecordWriter, write_format
from tests.ingest.support import at, column, read, reasons, ts_file, write_csv

# --- Rejects (SPEC 1.3, 1.4) ---------------------------------------------------------------


def test_record_with_too_many_fields_is_malformed_and_the_rest_is_read(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "m.csv", "ts,user\n2025-03-10,a\n2025-03-10,b,extra\n2025-03-11,c\n"
    )
    ingested = read(path)
    assert column(ingested, "user") == ["a", "c"]
    assert ingested.rejects.rows() == [(str(path), 2, "malformed", "2025-03-10,b,extra")]


def test_record_with_too_few_fields_is_malformed(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", "ts,user,method\n2025-03-10,a\n2025-03-11,b,web\n")
    ingested = read(path)
    assert column(ingested, "user") == ["b"]
    assert reasons(ingested) == [(1, "malformed")]


def test_field_holding_a_nul_byte_is_malformed(write_records: RecordWriter) -> None:
    path = write_records(
        [{"ts": "2025-03-10", "user": "a\x00b"}, {"ts": "2025-03-11", "user": "c"}]
    )
    ingested = read(path)
    assert column(ingested, "user") == ["c"]
    assert reasons(ingested) == [(1, "malformed")]


def test_a_few_nul_bytes_in_a_small_csv_are_a_malformed_row_not_a_binary_file(
    tmp_path: Path,
) -> None:
    # Three NUL bytes are 6 % of this file: still one malformed row, the rest read (1.4).
    path = tmp_path / "small.csv"
    path.write_bytes(b"ts,user\n2025-03-10 09:00,ab\x00\x00\x00\n2025-03-10 10:00,c\n")
    ingested = read(path)
    assert column(ingested, "user") == ["c"]
    assert reasons(ingested) == [(1, "malformed")]


@pytest.mark.parametrize("field", ["user", "method", "product"])
def test_a_nul_in_an_identity_field_is_malformed_and_the_others_are_normalized(
    write_records: RecordWriter, field: str
) -> None:
    # Identity fields are screened on their distinct values, which the identity rules
    # then reuse: after a record goes, the rules must read the values left (" Bob " is
    # trimmed and lowercased whatever went).
    records = [
        {"ts": "2025-03-10", "user": " Bob ", "method": "WEB", "product": "Crm"},
        {"ts": "2025-03-11", "user": " Bob ", "method": "WEB", "product": "Crm"},
    ]
    records[0][field] = "x\x00y"
    ingested = read(write_records(records))
    assert reasons(ingested) == [(1, "malformed")]
    assert column(ingested, "user") == ["bob"]
    assert column(ingested, "method") == ["web"]
    assert column(ingested, "product") == ["crm"]


def test_json_line_that_does_not_parse_or_is_not_an_object_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "m.jsonl"
    path.write_text(
        '{"ts": "2025-03-10", "user": "a"}\n'
        '{"ts": "2025-03-10", "user": \n'
        '["2025-03-10", "b"]\n'
        '"2025-03-10"\n'
        '{"ts": "2025-03-11", "user": "c"}\n'
    )
    ingested = read(path)
    assert column(ingested, "user") == ["a", "c"]
    assert reasons(ingested) == [(2, "malformed"), (3, "malformed"), (4, "malformed")]
    assert ingested.rejects.get_column("raw").to_list() == [
        '{"ts": "2025-03-10", "user": ',
        '["2025-03-10", "b"]',
        '"2025-03-10"',
    ]


def test_json_string_holding_a_line_separator_character_stays_one_record(tmp_path: Path) -> None:
    # JSON Lines ends records at \n only; U+2028 and U+0085 are ordinary characters in a string.
    path = tmp_path / "sep.jsonl"
    path.write_text('{"ts": "2025-03-10", "user": "a\u2028b\x85c"}\r\n', encoding="utf-8")
    ingested = read(path)
    assert column(ingested, "user") == ["a\u2028b\x85c"]
    assert ingested.rows_rejected == 0


def test_empty_ts_cell_is_missing_ts(write_records: RecordWriter) -> None:
    path = write_records(
        [{"ts": "", "user": "a"}, {"ts": None, "user": "b"}, {"ts": "  ", "user": "c"}]
    )
    assert reasons(read(path)) == [(1, "missing_ts"), (2, "missing_ts"), (3, "missing_ts")]


def test_file_without_ts_column_rejects_every_row_as_missing_ts_with_a_warning(
    write_records: RecordWriter,
) -> None:
    path = write_records([{"user": "a"}, {"user": "b"}])
    ingested = read(path)
    assert reasons(ingested) == [(1, "missing_ts"), (2, "missing_ts")]
    assert len(ingested.warnings) == 1
    assert "no timestamp column" in ingested.warnings[0]
    assert "--map ts=" in ingested.warnings[0]


def test_unparseable_ts_includes_hour_24_and_impossible_dates(tmp_path: Path) -> None:
    values = [
        "yesterday",
        "2025-03-10 24:00",
        "2025-03-10T24:00:00Z",
        "2025-02-30",
        "2025-02-29",
        "31/04/2025",
        "2025-13-01",
        "2025-03-10 10:60",
        "10:00",
    ]
    ingested = read(ts_file(tmp_path, *values, "2024-02-29"))
    assert reasons(ingested) == [(row, "unparseable_ts") for row in range(1, len(values) + 1)]
    assert column(ingested, "ts") == [at(2024, 2, 29)]


def test_unparseable_end_or_duration_is_unparseable_end(tmp_path: Path) -> None:
    ends = write_csv(tmp_path / "e.csv", "ts,end\n2025-03-10,soon\n2025-03-10,2025-03-10 24:00\n")
    seconds = write_csv(tmp_path / "s.csv", "ts,duration\n2025-03-10,ten\n2025-03-10,nan\n")
    minutes = write_csv(tmp_path / "m.csv", 'ts,duration_min\n2025-03-10,"1,5"\n')
    assert ingest_reasons(read(ends, seconds, minutes)) == ["unparseable_end"] * 5


def ingest_reasons(ingested: Ingested) -> list[str]:
    return ingested.rejects.get_column("reason").to_list()


def test_empty_end_or_duration_is_no_end(tmp_path: Path) -> None:
    ends = write_csv(tmp_path / "e.csv", "ts,end\n2025-03-10,\n")
    durations = write_csv(tmp_path / "d.csv", "ts,duration\n2025-03-10,\n")
    assert column(read(ends, durations), "end") == [None, None]


def test_ts_or_end_outside_1990_to_2100_is_out_of_range(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        "ts,end\n"
        "1989-12-31T23:59:59Z,\n"
        "2100-01-01T00:00Z,\n"
        "2025-03-10T10:00Z,2100-01-01\n"
        "2025-03-10T10:00Z,1989-12-31\n"
        "-1,\n"
        "1990-01-01T00:00:00+00:01,\n",
    )
    assert reasons(read(path)) == [(row, "out_of_range") for row in range(1, 7)]


def test_range_bounds_are_inclusive_at_1990_and_exclusive_at_2100(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "r.csv",
        "ts,end\n"
        "1990-01-01T00:00:00Z,2099-12-31T23:59:59.999999Z\n"
        "1990-01-01T01:00:00+01:00,2100-01-01T00:59:59+01:00\n",
    )
    ingested = read(path)
    assert ingested.rows_rejected == 0
    assert column(ingested, "ts") == [at(1990, 1, 1)] * 2


def test_duration_reaching_past_2100_is_out_of_range(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "d.csv", "ts,duration_min\n2099-12-31T23:00Z,60\n")
    assert reasons(read(path)) == [(1, "out_of_range")]


def test_end_before_ts_is_rejected_but_end_equal_to_ts_is_kept(tmp_path: Path) -> None:
    ends = write_csv(
        tmp_path / "e.csv",
        "ts,end\n2025-03-10T10:00Z,2025-03-10T09:59:59Z\n2025-03-10T10:00Z,2025-03-10T10:00Z\n",
    )
    durations = write_csv(tmp_path / "d.csv", "ts,duration\n2025-03-10T10:00Z,-1\n")
    ingested = read(ends, durations)
    assert ingested.rejects.select("source", "row", "reason").rows() == [
        (str(ends), 1, "end_before_ts"),
        (str(durations), 1, "end_before_ts"),
    ]
    assert column(ingested, "end") == [at(2025, 3, 10, 10)]


def test_reject_reason_is_the_first_that_applies(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "p.csv",
        "ts,end\n"
        ",soon\n"  # missing_ts before unparseable_end
        ",1980-01-01\n"  # missing_ts before out_of_range
        "soon,later\n"  # unparseable_ts before unparseable_end
        "soon,1980-01-01\n"  # unparseable_ts before out_of_range
        "1980-01-01,later\n"  # unparseable_end before out_of_range
        "2100-06-01,2025-01-01\n"  # out_of_range before end_before_ts
        "2025-03-10,1980-01-01\n",  # out_of_range (end) before end_before_ts
    )
    assert ingest_reasons(read(path)) == [
        "missing_ts",
        "missing_ts",
        "unparseable_ts",
        "unparseable_ts",
        "unparseable_end",
        "out_of_range",
        "out_of_range",
    ]


def test_malformed_comes_before_any_other_reason(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "m.csv", "ts,end\nsoon,later,extra\n,\x00\n")
    assert reasons(read(path)) == [(1, "malformed"), (2, "malformed")]


def test_rows_read_is_rows_used_plus_rows_rejected_with_counts_by_reason(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "mix.csv",
        "ts,end,user\n"
        "2025-03-10T10:00Z,,a\n"  # 1 used
        "2025-03-10T10:00Z,,a,b\n"  # 2 malformed
        ",,c\n"  # 3 missing_ts
        "2025-02-30,,d\n"  # 4 unparseable_ts
        "2025-03-10,nope,e\n"  # 5 unparseable_end
        "1970-01-01,,f\n"  # 6 out_of_range
        "2025-03-10,2025-03-09,g\n"  # 7 end_before_ts
        "2025-03-11,2025-03-12,h\n"  # 8 used
        "2025-03-11 24:00,,i\n",  # 9 unparseable_ts
    )
    ingested = read(path)
    assert (ingested.rows_read, ingested.rows_used, ingested.rows_rejected) == (9, 2, 7)
    assert ingested.files[0].rows_read == 9
    assert ingested.files[0].rows_rejected == 7
    assert ingested.rejects_by_reason == {
        "malformed": 1,
        "missing_ts": 1,
        "unparseable_ts": 2,
        "unparseable_end": 1,
        "out_of_range": 1,
        "end_before_ts": 1,
    }
    assert list(ingested.rejects_by_reason) == [
        reason for reason in REASONS if reason in ingested.rejects_by_reason
    ]


def test_rejects_have_source_record_number_reason_and_the_record_as_read(tmp_path: Path) -> None:
    # Record numbers count data records: not the header, not blank lines.
    first = write_csv(
        tmp_path / "a.csv",
        'ts;user\n\n2025-03-10;a\nbad;b\n\n2025-03-10;c;x\nbad;"semi;colon ""q"""\n',
    )
    second = tmp_path / "b.jsonl"
    second.write_text('\n{"ts": "bad", "user": "d"}\n{"ts": "2025-03-10"}\n{"ts": \n{}\n')
    ingested = read(first, second)
    assert ingested.rejects.schema == pl.Schema(
        {"source": pl.String, "row": pl.Int64, "reason": pl.String, "raw": pl.String}
    )
    assert ingested.rejects.rows() == [
        (str(first), 2, "unparseable_ts", "bad;b"),
        (str(first), 3, "malformed", "2025-03-10;c;x"),
        (str(first), 4, "unparseable_ts", 'bad;"semi;colon ""q"""'),
        (str(second), 1, "unparseable_ts", '{"ts": "bad", "user": "d"}'),
        (str(second), 3, "malformed", '{"ts": '),
        (str(second), 4, "missing_ts", "{}"),
    ]


def test_rejected_parquet_row_keeps_its_values_as_json(tmp_path: Path) -> None:
    path = tmp_path / "r.parquet"
    pl.DataFrame({"ts": ["2025-03-10", "bad"], "user": ["a", None]}).write_parquet(path)
    ingested = read(path)
    assert ingested.rejects.select("row", "reason", "raw").rows() == [
        (2, "unparseable_ts", json.dumps({"ts": "bad", "user": None}, separators=(",", ":")))
    ]


def test_rejected_parquet_row_with_list_and_struct_values_keeps_them_as_json(
    tmp_path: Path,
) -> None:
    path = tmp_path / "nested.parquet"
    pl.DataFrame(
        {"ts": ["soon"], "tags": [["a", "b"]], "geo": [{"lat": 1.5}], "n": [7]}
    ).write_parquet(path)
    assert read(path).rejects.get_column("raw").to_list() == [
        '{"ts":"soon","tags":["a","b"],"geo":{"lat":1.5},"n":"7"}'
    ]


# --- Files that cannot be read (SPEC 1.3, 1.4) ---------------------------------------------


def assert_data_error(path: Path, raised: pytest.ExceptionInfo[DataError]) -> None:
    assert raised.value.exit_code == 3
    assert str(path) in str(raised.value)


def test_missing_path_is_a_data_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.csv"
    with pytest.raises(DataError) as raised:
        read(path)
    assert_data_error(path, raised)


def test_folder_with_no_supported_file_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "licaudit.toml").write_text("")
    (tmp_path / "sub").mkdir()
    write_csv(tmp_path / "sub" / "a.csv", "ts\n2025-03-10\n")
    with pytest.raises(DataError, match="--recursive") as raised:
        read(tmp_path)
    assert_data_error(tmp_path, raised)


def test_folder_with_no_supported_file_anywhere_is_a_data_error_with_recursive(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "notes.md").write_text("x")
    with pytest.raises(DataError, match="anywhere") as raised:
        read(tmp_path, recursive=True)
    assert_data_error(tmp_path, raised)


def test_truncated_parquet_is_a_data_error(tmp_path: Path) -> None:
    whole = tmp_path / "whole.parquet"
    pl.DataFrame({"ts": ["2025-03-10"] * 100}).write_parquet(whole)
    path = tmp_path / "cut.parquet"
    path.write_bytes(whole.read_bytes()[:-30])
    with pytest.raises(DataError, match="Parquet") as raised:
        read(path)
    assert_data_error(path, raised)


def test_binary_file_named_csv_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "image.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(DataError, match="binary") as raised:
        read(path)
    assert_data_error(path, raised)


def test_corrupt_gzip_is_a_data_error(tmp_path: Path) -> None:
    path = tmp_path / "log.csv.gz"
    path.write_bytes(gzip.compress(b"ts,user\n" + b"2025-03-10,a\n" * 50)[:40])
    with pytest.raises(DataError, match="gzip") as raised:
        read(path)
    assert_data_error(path, raised)


@pytest.mark.parametrize("name", ["empty.csv", "empty.jsonl", "empty.csv.gz"])
def test_empty_file_gives_no_rows_and_a_warning(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(gzip.compress(b"") if name.endswith(".gz") else b"")
    ingested = read(path)
    assert (ingested.rows_read, ingested.rows_used, ingested.rows_rejected) == (0, 0, 0)
    assert ingested.warnings == [f"{path} is empty: it adds no rows."]


def test_header_only_file_gives_no_rows_and_a_warning(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "header.csv", "ts,user,method\n")
    parquet = tmp_path / "header.parquet"
    pl.DataFrame(schema={"ts": pl.String}).write_parquet(parquet)
    ingested = read(path, parquet)
    assert ingested.rows_read == 0
    assert ingested.events.schema["ts"] == pl.Datetime("us", "UTC")
    assert ingested.warnings == [
        f"{path} has a header but no rows.",
        f"{parquet} has a header but no rows.",
    ]


# --- Properties --------------------------------------------------------------------------

# One CSV line per kind of row, with the reason it must get (None: used).
ROW_KINDS: dict[str, tuple[str, str | None]] = {
    "good": ("2025-03-10T10:00Z,2025-03-10T10:30Z,alice,web", None),
    "good_no_end": ("10/03/2025 10:00,,Bob,sync", None),
    "too_many": ("2025-03-10,,a,web,extra", "malformed"),
    "too_few": ("2025-03-10,a", "malformed"),
    "nul": ("2025-03-10,,a\x00,web", "malformed"),
    "no_ts": (",2025-03-10,a,web", "missing_ts"),
    "bad_ts": ("2025-02-30,,a,web", "unparseable_ts"),
    "bad_end": ("2025-03-10,later,a,web", "unparseable_end"),
    "old": ("1989-06-01,,a,web", "out_of_range"),
    "backwards": ("2025-03-10T10:00Z,2025-03-10T09:00Z,a,web", "end_before_ts"),
}


@settings(max_examples=8, deadline=None)
@given(kinds=st.lists(st.sampled_from(sorted(ROW_KINDS)), max_size=40))
def test_reconciliation_holds_for_any_mix_of_good_and_bad_rows(kinds: list[str]) -> None:
    text = "ts,end,user,method\n" + "".join(ROW_KINDS[kind][0] + "\n" for kind in kinds)
    expected = [(number, ROW_KINDS[kind][1]) for number, kind in enumerate(kinds, 1)]
    with tempfile.TemporaryDirectory() as folder:
        ingested = read(write_csv(Path(folder) / "mix.csv", text))
    assert ingested.rows_read == len(kinds) == ingested.files[0].rows_read
    assert ingested.rows_used == sum(reason is None for _, reason in expected)
    assert ingested.rows_used + ingested.rows_rejected == ingested.rows_read
    assert reasons(ingested) == [(row, reason) for row, reason in expected if reason is not None]
    by_reason = {
        reason: sum(expected_reason == reason for _, expected_reason in expected)
        for reason in REASONS
    }
    assert ingested.rejects_by_reason == {key: n for key, n in by_reason.items() if n}


PERMUTED_RECORDS = [
    {"Timestamp": "2025-03-10T10:00Z", "Login": "Alice", "Channel": "Web", "Host": "pc1",
     "duration_min": "5", "external": "no"},
    {"Timestamp": "10/03/2025 11:00", "Login": "guest", "Channel": "", "Host": "",
     "duration_min": "", "external": "yes"},
    {"Timestamp": "bad", "Login": "Carol", "Channel": "Sync", "Host": "pc3",
     "duration_min": "1", "external": ""},
]  # fmt: skip


_BASELINE: list[Ingested] = []


def permuted_baseline() -> Ingested:
    if not _BASELINE:
        with tempfile.TemporaryDirectory() as folder:
            _BASELINE.append(read(write_format(Path(folder) / "a.csv", PERMUTED_RECORDS, "csv")))
    return _BASELINE[0]


@settings(max_examples=5, deadline=None)
@given(
    order=st.permutations(list(PERMUTED_RECORDS[0])),
    file_format=st.sampled_from(["csv", "jsonl", "parquet"]),
)
def test_any_column_order_gives_the_same_events(order: list[str], file_format: str) -> None:
    baseline = permuted_baseline()
    with tempfile.TemporaryDirectory() as folder:
        path = write_format(Path(folder) / "b", PERMUTED_RECORDS, file_format, order)
        permuted = read(path)
    assert permuted.files[0].columns == order
    assert_frame_equal(permuted.events, baseline.events)
    assert reasons(permuted) == reasons(baseline) == [(3, "unparseable_ts")]
