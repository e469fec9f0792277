"""Ingest, end to end: Files, formats, encodings (SPEC 1.1, 1.4).

Most tests run once per input format through ``write_records``; expected
instants are computed by hand and written out in UTC.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from licaudit.ingest.events import IngestOptions, ingest
from tests.conftest import ALL_FORMATS, csv_text, write_format
from tests.ingest.support import at, column, read, write_csv

# --- Files, formats, encodings (SPEC 1.1, 1.4) -------------------------------------------


def test_gzip_compressed_text_is_decompressed(tmp_path: Path) -> None:
    csv_gz = tmp_path / "a.csv.gz"
    csv_gz.write_bytes(gzip.compress(b"ts,user\n2025-03-10,a\n"))
    jsonl_gz = tmp_path / "b.jsonl.gz"
    jsonl_gz.write_bytes(gzip.compress(b'{"ts": "2025-03-11", "user": "b"}\n'))
    ingested = read(csv_gz, jsonl_gz)
    assert column(ingested, "user") == ["a", "b"]
    assert [report.compressed for report in ingested.files] == [True, True]


def test_gz_file_holding_plain_text_is_read_as_text(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "plain.csv.gz", "ts,user\n2025-03-10,a\n")
    ingested = read(path)
    assert column(ingested, "user") == ["a"]
    assert not ingested.files[0].compressed


@pytest.mark.parametrize("name", ["events.csv", "events.log", "events.csv.gz"])
def test_parquet_is_recognised_by_its_magic_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    pl.DataFrame({"ts": ["2025-03-10"], "user": ["a"]}).write_parquet(path)
    ingested = read(path)
    assert ingested.files[0].format == "parquet"
    assert column(ingested, "user") == ["a"]


def test_many_files_with_different_column_orders_and_names_are_one_stream(
    tmp_path: Path,
) -> None:
    first = write_csv(tmp_path / "a.csv", "ts,user,method\n2025-03-10T10:00Z,a,web\n")
    second = write_csv(tmp_path / "b.csv", "Channel;Login;Timestamp\nSync;B;2025-03-11T10:00Z\n")
    third = tmp_path / "c.jsonl"
    third.write_text('{"email": "c@x", "event_time": "2025-03-12T10:00Z"}\n')
    ingested = read(first, second, third)
    assert ingested.events.select("ts", "user", "method").rows() == [
        (at(2025, 3, 10, 10), "a", "web"),
        (at(2025, 3, 11, 10), "b", "sync"),
        (at(2025, 3, 12, 10), "c@x", "unknown"),
    ]
    assert ingested.rows_read == 3


def test_every_format_gives_the_same_events(tmp_path: Path) -> None:
    records = [
        {"ts": "2025-03-10T10:00Z", "user": " Alice ", "method": "Web", "session": "S1"},
        {"ts": "10/03/2025 11:00", "user": "guest", "product": "Drive", "device": ""},
        {"ts": "1741600800", "user": "", "authenticated": "false"},
    ]
    frames = [read(write_format(tmp_path / f"e.{fmt}", records, fmt)).events for fmt in ALL_FORMATS]
    for frame in frames[1:]:
        assert_frame_equal(frame, frames[0])


def test_latin1_semicolon_csv_from_french_windows_with_day_first_dates(tmp_path: Path) -> None:
    text = (
        "Date;Utilisateur;Login;Méthode;Application\r\n"
        "03/02/2025 08:15;x;Hélène;Web;Drive\r\n"
        "25/02/2025 17:40;x;François;Sync;Drive\r\n"
        "26/02/2025 09:00;x;Zoë;Web;Coût €\r\n"
    )
    path = tmp_path / "export.csv"
    path.write_bytes(text.encode("cp1252"))
    ingested = read(path)
    assert ingested.files[0].encoding == "windows-1252"
    assert ingested.files[0].delimiter == ";"
    assert ingested.events.select("ts", "user", "product").rows() == [
        (at(2025, 2, 3, 8, 15), "hélène", "drive"),
        (at(2025, 2, 25, 17, 40), "françois", "drive"),
        (at(2025, 2, 26, 9), "zoë", "coût €"),
    ]


def test_utf8_bom_is_dropped_before_the_header(tmp_path: Path) -> None:
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbfts,user\n2025-03-10,Zo\xc3\xa9\n")
    ingested = read(path)
    assert ingested.files[0].columns == ["ts", "user"]
    assert column(ingested, "user") == ["zoé"]


def test_utf16_with_a_bom_is_decoded(tmp_path: Path) -> None:
    text = "ts\tuser\n2025-03-10\tZoé\n"
    little = tmp_path / "le.csv"
    little.write_bytes(b"\xff\xfe" + text.encode("utf-16-le"))
    big = tmp_path / "be.csv"
    big.write_bytes(b"\xfe\xff" + text.replace("Zoé", "Åsa").encode("utf-16-be"))
    ingested = read(little, big)
    assert [report.encoding for report in ingested.files] == ["utf-16", "utf-16"]
    assert column(ingested, "user") == ["zoé", "åsa"]


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
def test_csv_delimiter_is_detected(tmp_path: Path, delimiter: str) -> None:
    records = [
        {"ts": "2025-03-10 10:00", "user": "Smith, J.; Jr", "method": "web|dav"},
        {"ts": "2025-03-10 11:00", "user": "b", "method": "sync"},
    ]
    path = write_csv(tmp_path / "d.csv", csv_text(records, sep=delimiter))
    ingested = read(path)
    assert ingested.files[0].delimiter == delimiter
    assert column(ingested, "user") == ["smith, j.; jr", "b"]
    assert column(ingested, "method") == ["web|dav", "sync"]


def test_folder_reads_its_supported_files_but_not_subfolders(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", "ts,user\n2025-03-10,a\n")
    (tmp_path / "b.jsonl").write_text('{"ts": "2025-03-10", "user": "b"}\n')
    (tmp_path / "licaudit.toml").write_text('[[contract]]\nmodel = "rau"\n')
    (tmp_path / "notes.md").write_text("not a log\n")
    (tmp_path / "sub").mkdir()
    write_csv(tmp_path / "sub" / "c.csv", "ts,user\n2025-03-10,c\n")
    assert column(read(tmp_path), "user") == ["a", "b"]


def test_folder_with_recursive_reads_subfolders_too(tmp_path: Path) -> None:
    write_csv(tmp_path / "a.csv", "ts,user\n2025-03-10,a\n")
    (tmp_path / "sub" / "deeper").mkdir(parents=True)
    write_csv(tmp_path / "sub" / "deeper" / "c.csv.gz", "ts,user\n2025-03-10,c\n")
    assert sorted(column(read(tmp_path, recursive=True), "user")) == ["a", "c"]


def test_progress_counts_bytes_half_when_read_and_all_once_normalized(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", "ts,user\n2025-03-10,a\n")
    second = write_csv(tmp_path / "b.csv", "ts,user\n2025-03-10,b\n2025-03-11,c\n")
    size_a, size_b = first.stat().st_size, second.stat().st_size
    calls: list[tuple[str, str, int, int]] = []
    ingest([first, second], IngestOptions(), lambda p, s, d, t: calls.append((p.name, s, d, t)))
    total = size_a + size_b
    assert calls == [
        ("a.csv", "reading", 0, total),
        ("a.csv", "normalizing", size_a // 2, total),
        ("a.csv", "read", size_a, total),
        ("b.csv", "reading", size_a, total),
        ("b.csv", "normalizing", size_a + size_b // 2, total),
        ("b.csv", "read", total, total),
    ]
