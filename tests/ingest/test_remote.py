"""Object-store URLs as inputs (issue 11): which inputs are URLs, how a URL prefix is listed
(the rules of a local folder, SPEC 1.1 and 1.3), how an object is copied for a task, and
the errors of a URL that cannot be read. ``file://`` URLs reach ``pyarrow.fs`` without a
store; the S3 protocol itself is tested against a local S3 server in ``tests/test_spark.py``.
"""

from __future__ import annotations

import gzip
import socket
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from licaudit.errors import ConfigError, DataError
from licaudit.ingest import slices
from licaudit.ingest.discover import discover
from licaudit.ingest.events import IngestOptions
from licaudit.ingest.remote import (
    Url,
    discover_sources,
    estimated_source_rows,
    input_source,
    is_url,
    local_copy,
    local_paths,
    url_parquet_slices,
)
from licaudit.ingest.slices import parquet_slices
from licaudit.scale import estimated_rows


def url_of(path: Path) -> Url:
    return Url(path.as_uri())


@pytest.mark.parametrize(
    ("text", "url"),
    [
        ("s3://bucket/logs", True),
        ("S3://bucket/logs/a.csv", True),
        ("gs://bucket/logs", True),
        ("abfs://container@account.dfs.core.windows.net/logs", True),
        ("hdfs://namenode:8020/logs", True),
        ("file:///var/logs", True),
        ("s3a://bucket/logs", True),
        ("C://logs", False),  # a Windows drive
        ("C:\\logs", False),
        ("s3:/bucket/logs", False),
        ("/var/logs/s3://x", False),
        ("logs", False),
        ("./s3://bucket", False),
    ],
)
def test_an_input_written_scheme_colon_slash_slash_is_a_url_except_a_drive_letter(
    text: str, url: bool
) -> None:
    assert is_url(text) is url
    assert isinstance(input_source(text), Url if url else Path)


def test_a_url_is_kept_as_written_and_a_local_input_is_the_path_it_always_was() -> None:
    assert input_source("s3://bucket/logs//2025") == Url("s3://bucket/logs//2025")
    assert str(input_source("s3://bucket/logs")) == "s3://bucket/logs"
    assert input_source("logs/./a.csv") == Path("logs/./a.csv")


def test_a_url_prints_without_its_password_query_or_fragment() -> None:
    url = Url("s3://key:secret@bucket/logs?endpoint_override=127.0.0.1:9000&scheme=http#x")
    assert str(url) == "s3://key@bucket/logs"
    assert str(url.below("2025/a.csv.gz", None)) == "s3://key@bucket/logs/2025/a.csv.gz"
    assert url.below("2025/a.csv.gz", None).name == "a.csv.gz"
    # A container@account is no password: kept.
    azure = Url("abfs://logs@account.dfs.core.windows.net/2025/")
    assert str(azure.below("a.csv", 10)) == "abfs://logs@account.dfs.core.windows.net/2025/a.csv"


def test_the_local_engine_reads_no_url() -> None:
    assert local_paths([Path("a.csv")]) == [Path("a.csv")]
    with pytest.raises(ConfigError) as raised:
        local_paths([Path("a.csv"), Url("s3://bucket/logs")])
    assert raised.value.exit_code == 2
    assert "s3://bucket/logs" in raised.value.message
    assert "--engine spark" in str(raised.value.hint)


def write_folder(folder: Path) -> Path:
    """Files of every kind a folder may hold: read, named in a warning, or silently left."""
    for sub in ("sub", ".git", "a"):
        (folder / sub).mkdir(parents=True)
    # a/z.csv sorts before a-b.jsonl, path by path (as local paths sort), not as text.
    names = ("b.csv", "a-b.jsonl", "a/z.csv", "sub/c.csv", "a.csv.gz", "notes.md", "sub/d.json")
    for name in names:
        (folder / name).write_text("ts,user\n2025-10-01T10:00Z,alice\n")
    for name in (".hidden.csv", ".git/x.csv", "licaudit.toml"):
        (folder / name).write_text("")
    return folder


@pytest.mark.parametrize("recursive", [False, True])
def test_a_url_folder_gives_the_files_order_and_warnings_of_the_local_folder(
    tmp_path: Path, recursive: bool
) -> None:
    folder = write_folder(tmp_path / "logs")
    local, local_warnings = discover([folder], recursive)
    found, warnings = discover_sources([url_of(folder)], recursive)
    assert [str(url) for url in found] == [path.as_uri() for path in local]
    assert warnings == [w.replace(str(folder), folder.as_uri()) for w in local_warnings]
    assert all(isinstance(url, Url) and url.size for url in found)
    if recursive:
        assert [url.inside for url in found][:2] == ["a/z.csv", "a-b.jsonl"]


def test_a_url_naming_an_object_is_read_whatever_its_name(tmp_path: Path) -> None:
    path = tmp_path / "export.log"
    path.write_text("ts,user\n")
    assert discover_sources([url_of(path)]) == ([Url(path.as_uri())], [])


def test_a_file_given_by_url_and_inside_a_url_folder_also_given_is_read_once(
    tmp_path: Path,
) -> None:
    folder = write_folder(tmp_path / "logs")
    found, warnings = discover_sources([url_of(folder), url_of(folder / "b.csv")])
    listed, _ = discover_sources([url_of(folder)])
    assert found == listed
    b_csv = (folder / "b.csv").as_uri()
    assert warnings[-1] == (
        f"{b_csv} is the same file as {b_csv}, given twice (or inside a folder also given): "
        "it is read once."
    )


def test_a_missing_url_is_a_data_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DataError) as raised:
        discover_sources([url_of(tmp_path / "missing")])
    assert raised.value.exit_code == 3
    assert raised.value.message == f"Input {(tmp_path / 'missing').as_uri()} does not exist."
    assert "credentials" in str(raised.value.hint)


def test_a_url_folder_without_a_supported_file_is_a_data_error_naming_it(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("")
    with pytest.raises(DataError) as raised:
        discover_sources([url_of(tmp_path)])
    assert raised.value.message == (
        f"Folder {tmp_path.as_uri()} has no supported file at its top level (it holds notes.md)."
    )


def test_a_url_pyarrow_cannot_open_is_a_configuration_error() -> None:
    with pytest.raises(ConfigError) as raised:
        discover_sources([Url("nosuchstore://bucket/logs")])
    assert raised.value.message.startswith("Input nosuchstore://bucket/logs is not a URL")
    assert "mount" in str(raised.value.hint)


def test_an_object_is_copied_under_its_own_name_never_decompressed_then_deleted(
    tmp_path: Path,
) -> None:
    packed = gzip.compress(b"ts,user\n2025-10-01T10:00Z,alice\n")
    (tmp_path / "access.csv.gz").write_bytes(packed)
    with local_copy(url_of(tmp_path / "access.csv.gz")) as copy:
        assert copy.name == "access.csv.gz"
        assert copy.read_bytes() == packed
    assert not copy.exists() and not copy.parent.exists()


def test_an_error_about_the_copy_names_the_url(tmp_path: Path) -> None:
    (tmp_path / "a.parquet").write_bytes(b"PAR1 not really")
    url = url_of(tmp_path / "a.parquet")
    with pytest.raises(DataError) as raised, local_copy(url) as copy:
        raise DataError(f"File {copy} is corrupt.", f"export {copy} again.")
    assert (raised.value.message, raised.value.hint) == (
        f"File {url} is corrupt.",
        f"export {url} again.",
    )


def test_a_parquet_object_is_sliced_from_its_footer_as_the_local_file_is(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base = datetime(2025, 10, 1, tzinfo=UTC)
    frame = pl.DataFrame({"ts": [base + timedelta(minutes=i) for i in range(50)], "user": "a"})
    path = tmp_path / "events.parquet"
    frame.write_parquet(path, row_group_size=10)
    assert url_parquet_slices(url_of(path), IngestOptions()) is None  # one slice would hold it
    local = parquet_slices(path, IngestOptions(), 20)
    assert local == [(0, 20), (20, 20), (40, 10)]
    monkeypatch.setattr(slices, "SLICE_ROWS", 20)
    assert url_parquet_slices(url_of(path), IngestOptions()) == local
    assert estimated_source_rows(discover_sources([url_of(path)])[0]) == 50
    text = tmp_path / "events.csv"
    text.write_text("ts,user\n" * 100)
    [listed], _ = discover_sources([url_of(text)])
    assert estimated_source_rows([listed]) == estimated_rows([text])


def test_a_store_that_cannot_be_reached_is_a_data_error_naming_the_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, never listening: connections are refused
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{closed.getsockname()[1]}",
    }.items():
        monkeypatch.setenv(name, value)
    with closed, pytest.raises(DataError) as raised:
        discover_sources([Url("s3://acme-logs/2025-10")])
    assert raised.value.exit_code == 3
    assert raised.value.message.startswith("Input s3://acme-logs/2025-10 cannot be read: ")
    assert "AWS_ENDPOINT_URL" in str(raised.value.hint)
