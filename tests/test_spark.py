"""`--engine spark`: ingest and models in Spark tasks give the one-machine bytes (issue 11).

One ``local[2]`` session, started once for the module (about 10 s), runs every case: the
sample month (every model, a roster, Flex packs, a groups file) and a random log in three
formats whose large Parquet file is read in slices, with rejects of every kind. Every
table of every period, as CSV, JSON and Parquet, the rejects and the reconciliation must
be byte-identical to the one-machine run. Skipped, saying why, where PySpark or Java is
missing (CI installs the ``spark`` extra and runs it). The errors of a missing PySpark or
Java need neither, and always run.

The same files given as object-store URLs give the same bytes, the rejects and warnings
naming the URLs: ``file://`` URLs, and ``s3://`` ones on a local S3 server (moto, of the
``dev`` extra; skipped without it) that pyarrow reaches through ``AWS_ENDPOINT_URL``.
"""

from __future__ import annotations

import json
import logging
import os
import random
import shutil
import socket
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from typer.testing import CliRunner

from licaudit.audit import AuditResult
from licaudit.cli.commands import app
from licaudit.ingest import slices
from licaudit.ingest.events import IngestOptions
from licaudit.ingest.remote import Source, Url, discover_sources
from licaudit.pipeline import Inputs, Request, read_inputs, run
from licaudit.report.document import file_bytes
from licaudit.spark import ingest as spark_ingest

SAMPLE = Path(__file__).resolve().parents[1] / "sample_logs"
runner = CliRunner()


@pytest.fixture(scope="module")
def spark() -> Iterator[Any]:
    """The module's Spark session, its Python workers on this interpreter."""
    pytest.importorskip(
        "pyspark", reason="PySpark is not installed (pip install 'licaudit[spark]')"
    )
    pytest.importorskip("pandas", reason="PySpark's SQL extras are not installed (pandas)")
    java_home = os.environ.get("JAVA_HOME")
    if shutil.which("java") is None and not (
        java_home and Path(java_home, "bin", "java").is_file()
    ):
        pytest.skip("no Java runtime (java on PATH or JAVA_HOME): Spark cannot start")
    from licaudit.spark.session import start

    os.environ["PYSPARK_PYTHON"] = sys.executable
    session, owned = start("local[2]")
    yield session
    if owned:
        session.stop()


def audited(request: Request) -> tuple[Inputs, AuditResult]:
    inputs = read_inputs(request, need_contract=True, parts=True)
    return inputs, run(inputs, request)


def outputs(inputs: Inputs, audit: AuditResult) -> dict[tuple[str, str, str], bytes]:
    """Every table of every period as CSV and Parquet, the JSON document, the rejects."""
    found = {("rejects", "-", "csv"): inputs.ingested.rejects.write_csv().encode()}
    for period in ("day", "month"):
        found[("all", period, "json")] = file_bytes("json", audit, "usage", period, inputs.roster)  # type: ignore[arg-type]
        for table in audit.table_names():
            for kind in ("csv", "parquet"):
                found[(table, period, kind)] = file_bytes(kind, audit, table, period, inputs.roster)  # type: ignore[arg-type]
    return found


def assert_same_run(
    request: Request,
    at: tuple[Source, ...] | None = None,
    renamed: tuple[str, str] = ("", ""),
    **spark_options: Any,
) -> tuple[Inputs, AuditResult]:
    """The Spark run gives the one-machine bytes; ``at``: the inputs as Spark reads them
    (URLs), whose file names are the local ones with ``renamed[0]`` read ``renamed[1]``."""

    def named(text: str) -> str:
        return text.replace(*renamed) if renamed[0] else text

    local_inputs, local_audit = audited(request)
    spark_paths = {"paths": at} if at is not None else {}
    spark_request = Request(
        **{**request.__dict__, "engine": "spark", **spark_paths, **spark_options}
    )
    spark_inputs, spark_audit = audited(spark_request)
    one, other = local_inputs.ingested, spark_inputs.ingested
    assert (other.rows_read, other.rows_used, other.rows_rejected) == (
        one.rows_read,
        one.rows_used,
        one.rows_rejected,
    )
    assert [(str(r.path), replace(r, path=Path())) for r in other.files] == [
        (named(str(r.path)), replace(r, path=Path())) for r in one.files
    ]
    assert other.warnings == [named(warning) for warning in one.warnings]
    source = pl.col("source").map_elements(named, return_dtype=pl.String)
    assert other.rejects.equals(one.rejects.with_columns(source))
    expected = outputs(local_inputs, local_audit)
    got = outputs(spark_inputs, spark_audit)
    assert got.keys() == expected.keys()
    for key, payload in expected.items():
        text = key[2] != "parquet"  # file names are in the rejects and the JSON document
        assert got[key] == (named(payload.decode()).encode() if text else payload), key
    return spark_inputs, spark_audit


def test_sample_month_in_spark_gives_the_one_machine_bytes(spark: Any) -> None:
    inputs, audit = assert_same_run(Request(paths=(SAMPLE,)))
    assert len(audit.results) == 7  # every model of the sample's contract file
    assert inputs.ingested.rows_rejected == 15


# A random log: three files, three formats, every kind of identity and reject.
BASE = datetime(2025, 10, 24, 20, tzinfo=UTC)
USERS = ["Alice", "bob", " carol ", "anon:s1", "dave", "anonymous", "", "guest", "Émile"]


def random_events(rng: random.Random, rows: int) -> list[dict[str, Any]]:
    events = []
    for _ in range(rows):
        ts = BASE + timedelta(seconds=rng.randrange(0, 6 * 24 * 3600))
        events.append(
            {
                "ts": ts,
                "end": rng.choice([None, ts + timedelta(minutes=rng.randrange(1, 90))]),
                "user": rng.choice([*USERS, None]),
                "method": rng.choice(["web", "Sync", "mobile", "webdav", None]),
                "product": rng.choice(["crm", "lms", "LMS"]),
                "session": rng.choice([None, "s1", "s2", "s3"]),
                "device": rng.choice([None, "pc1", "pc2"]),
                "authenticated": rng.random() > 0.1,
            }
        )
    return events


def write_random_log(folder: Path, seed: int) -> None:
    rng = random.Random(seed)
    typed = pl.DataFrame(random_events(rng, 6000))
    # Rejects in the typed file: a missing time, an end before its start, a NUL byte.
    typed = typed.with_columns(
        ts=pl.when(pl.int_range(pl.len()) == 1234).then(None).otherwise(pl.col("ts")),
        end=pl.when(pl.int_range(pl.len()) == 4321)
        .then(pl.col("ts") - timedelta(hours=1))
        .otherwise(pl.col("end")),
        user=pl.when(pl.int_range(pl.len()) == 5555).then(pl.lit("x\x00y")).otherwise("user"),
    )
    typed.write_parquet(folder / "typed.parquet", row_group_size=700)
    lines = ["date;user;method;product;session;duration"]
    for event in random_events(rng, 1500):
        # Month first (12/10/2025 is 10 December): the file's values decide the order.
        stamp = event["ts"].strftime("%m/%d/%Y %H:%M:%S")
        fields = [stamp, event["user"] or "", event["method"] or "", event["product"]]
        lines.append(";".join([*fields, event["session"] or "", str(rng.randrange(0, 3600))]))
    lines[100] = "13/45/2025 99:00;bob;web;crm;;10"  # unparseable_ts
    lines[200] = "10/26/2025 02:30:00;bob;web"  # malformed: too few fields
    (folder / "access.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with (folder / "sync.jsonl").open("w") as sync:
        for event in random_events(rng, 800):
            record = {
                "timestamp": int(event["ts"].timestamp() * 1000),
                "login": event["user"],
                "client": event["method"],
                "app": event["product"],
            }
            sync.write(json.dumps(record) + "\n")
        sync.write("{not json\n")
    licences = folder / "licences"
    licences.mkdir()
    (licences / "roster.csv").write_text(
        "ts,user,status,product\n"
        "2025-10-20T09:00:00+02:00,alice,active,lms\n"
        "2025-10-20T09:00:00+02:00,bob,active,crm\n"
        "2025-10-25T12:00:00+02:00,carol,active,lms\n"
        "2025-10-26T08:00:00+01:00,alice,inactive,lms\n"
    )
    (licences / "rates.csv").write_text("product,tokens_per_day\ncrm,3\nlms,5\n")
    (licences / "packs.csv").write_text(
        "pack_id,purchased_at,tokens\nP1,2025-10-01T00:00:00Z,40\nP2,2025-10-25T00:00:00Z,30\n"
    )
    (licences / "groups.csv").write_text("user,group\nalice,A\nbob,B\ncarol,A\n")
    (folder / "licaudit.toml").write_text(
        'timezone = "Europe/Paris"\nroster = "licences/roster.csv"\n'
        'groups = "licences/groups.csv"\n'
        '[[contract]]\nname = "da"\nmodel = "daily-active"\ncapacity = 2\nmax_methods = 2\n'
        '[[contract]]\nname = "conc"\nmodel = "concurrent"\ncapacity = 2\nwindow = "30m"\n'
        '[[contract]]\nname = "fixed"\nmodel = "concurrent"\ncapacity = 2\nwindow = "1h"\n'
        'window_mode = "fixed"\n'
        '[[contract]]\nname = "float"\nmodel = "floating"\ncapacity = 3\ninactivity = "20h"\n'
        '[[contract]]\nname = "rau"\nmodel = "rau"\ncapacity = 3\nscope = "lms"\n'
        "price = 100\nexcess_price = 20\n"
        '[[contract]]\nname = "acc"\nmodel = "accounts"\ncapacity = 1\n'
        '[[contract]]\nname = "nom"\nmodel = "nominal"\ncapacity = 1\n'
        '[[contract]]\nname = "flex"\nmodel = "flex"\nrates = "licences/rates.csv"\n'
        'packs = "licences/packs.csv"\nwindow = "6h"\n'
    )


def test_random_log_in_spark_with_a_sliced_parquet_file_gives_the_one_machine_bytes(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_random_log(tmp_path, seed=11)
    monkeypatch.setattr(slices, "SLICE_ROWS", 1000)
    pieces = spark_ingest.pieces_of(
        [tmp_path / name for name in ("access.csv", "sync.jsonl", "typed.parquet")],
        IngestOptions(),
    )
    # The typed Parquet file in slices of whole row groups; the text files whole.
    assert [(piece.file, piece.start) for piece in pieces] == [
        (0, 0),
        (1, 0),
        *[(2, start) for start in range(0, 6000, 1400)],
    ]
    inputs, _ = assert_same_run(Request(paths=(tmp_path,)), parts=3)
    reasons = inputs.ingested.rejects_by_reason
    assert set(reasons) >= {"malformed", "missing_ts", "unparseable_ts", "end_before_ts"}


def test_a_parquet_file_with_times_as_text_is_read_whole(tmp_path: Path) -> None:
    # Its slash-date order is decided over every value of the file (SPEC 1.2).
    frame = pl.DataFrame({"ts": ["03/10/2025 10:00"] * 3000, "user": ["alice"] * 3000})
    frame.write_parquet(tmp_path / "text.parquet", row_group_size=500)
    pieces = spark_ingest.pieces_of([tmp_path / "text.parquet"], IngestOptions())
    assert [(piece.start, piece.rows) for piece in pieces] == [(0, None)]


def test_report_command_with_engine_spark_writes_the_one_machine_files(
    spark: Any, tmp_path: Path
) -> None:
    written = {}
    for engine in ("local", "spark"):
        usage, rejects = tmp_path / f"{engine}.csv", tmp_path / f"{engine}-rejects.csv"
        args = ["report", str(SAMPLE), "--period", "month", "--format", "csv"]
        args += ["--output", str(usage), "--rejects", str(rejects), "--engine", engine]
        if engine == "spark":
            args += ["--spark-master", "local[2]"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.stderr
        written[engine] = (usage.read_bytes(), rejects.read_bytes(), result.stderr)
    assert written["spark"] == written["local"]


def test_an_unreadable_file_stops_the_spark_run_with_the_one_machine_error(
    spark: Any, tmp_path: Path
) -> None:
    (tmp_path / "a.csv").write_text("ts,user\n2025-10-01 10:00,alice\n")
    (tmp_path / "b.parquet").write_bytes(b"PAR1 not really parquet")
    results = [
        runner.invoke(app, ["report", str(tmp_path), "--model", "rau", "--engine", engine])
        for engine in ("local", "spark")
    ]
    assert [result.exit_code for result in results] == [3, 3]
    assert results[1].stderr == results[0].stderr
    assert "b.parquet" in results[1].stderr


def test_engine_spark_without_pyspark_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "pyspark", None)  # import pyspark fails
    result = runner.invoke(app, ["report", str(SAMPLE), "--engine", "spark"])
    assert result.exit_code == 2
    assert "pip install 'licaudit[spark]'" in result.stderr
    assert "Traceback" not in result.stderr


def test_engine_spark_without_java_is_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip(
        "pyspark", reason="PySpark is not installed: the missing PySpark comes first"
    )
    pytest.importorskip("pandas", reason="pandas is not installed: the missing PySpark comes first")
    monkeypatch.setattr(shutil, "which", lambda name: None)
    monkeypatch.delenv("JAVA_HOME", raising=False)
    result = runner.invoke(app, ["check", str(SAMPLE), "--engine", "spark"])
    assert result.exit_code == 2
    assert "Java" in result.stderr
    assert "Traceback" not in result.stderr


def test_spark_master_without_engine_spark_is_a_configuration_error() -> None:
    result = runner.invoke(app, ["report", str(SAMPLE), "--spark-master", "local[2]"])
    assert result.exit_code == 2
    assert "--engine spark" in result.stderr


# --- Object-store URLs (issue 11) ----------------------------------------------------------


def write_url_case(tmp_path: Path) -> tuple[Path, Path]:
    """The random log in a folder of its own (with a file of unknown type, for a warning),
    its contract file and the files it names in another: only the logs' names change."""
    logs, licences = tmp_path / "logs", tmp_path / "contract"
    logs.mkdir()
    licences.mkdir()
    write_random_log(logs, seed=12)
    for name in ("licaudit.toml", "licences"):
        (logs / name).rename(licences / name)
    (logs / "notes.md").write_text("not a log\n")
    return logs, licences / "licaudit.toml"


def test_file_urls_of_a_folder_give_the_bytes_of_its_local_paths(
    spark: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs, contract = write_url_case(tmp_path)
    # The URL's Parquet file in slices, planned from its footer read through pyarrow.fs.
    monkeypatch.setattr(slices, "SLICE_ROWS", 1000)
    url = Url(logs.as_uri())
    files, _ = discover_sources([url])
    assert [str(file) for file in files] == [
        (logs / name).as_uri() for name in ("access.csv", "sync.jsonl", "typed.parquet")
    ]
    pieces = spark_ingest.pieces_of(files, IngestOptions())
    assert [(piece.file, piece.start) for piece in pieces] == [
        (0, 0),
        (1, 0),
        *[(2, start) for start in range(0, 6000, 1400)],
    ]
    request = Request(paths=(logs,), contract=contract)
    inputs, _ = assert_same_run(request, at=(url,), renamed=(str(logs), logs.as_uri()), parts=3)
    assert set(inputs.ingested.rejects["source"]) == {
        (logs / name).as_uri() for name in ("access.csv", "sync.jsonl", "typed.parquet")
    }


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    """A local S3 server (moto) for the module: its address."""
    pytest.importorskip("moto.server", reason="moto is not installed (pip install 'licaudit[dev]')")
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # not a line per request
    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    yield f"http://127.0.0.1:{port}"
    server.stop()


@pytest.fixture
def s3_env(s3_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The environment pyarrow (and boto3) read the local server's address and keys from."""
    env = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_ENDPOINT_URL": s3_endpoint,
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env


@pytest.fixture
def s3_workers(spark: Any, s3_env: dict[str, str]) -> Iterator[dict[str, str]]:
    """The store's environment in Spark's Python workers too.

    A session licaudit starts forks its local workers with licaudit's environment; the
    module's session started before the store, so its workers get it as Spark gives a
    driver's variables to them (``SparkContext.environment``), for the test's jobs only.
    """
    workers = spark.sparkContext.environment
    saved = dict(workers)
    workers.update(s3_env)
    yield s3_env
    workers.clear()
    workers.update(saved)


def upload(folder: Path, bucket: str, prefix: str) -> None:
    """Every file below ``folder`` as an object of ``bucket`` under ``prefix``."""
    import boto3

    client = boto3.client("s3")
    client.create_bucket(Bucket=bucket)
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            client.upload_file(str(path), bucket, f"{prefix}/{path.relative_to(folder).as_posix()}")


def test_report_on_an_s3_prefix_writes_the_bytes_of_the_same_local_folder(
    s3_workers: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    logs, contract = write_url_case(tmp_path)
    (logs / "2024").mkdir()  # a subfolder: not read without --recursive, URL or not
    (logs / "2024" / "old.csv").write_text("ts,user\n2024-01-01T10:00Z,zoe\n")
    upload(logs, "acme-logs", "2025-10")
    monkeypatch.setattr(slices, "SLICE_ROWS", 1000)  # the Parquet object's footer, over S3
    written = {}
    for where in (str(logs), "s3://acme-logs/2025-10"):
        usage, rejects = tmp_path / "usage.csv", tmp_path / "rejects.csv"
        args = ["report", where, "--contract", str(contract), "--period", "month"]
        args += ["--format", "csv", "--output", str(usage), "--rejects", str(rejects)]
        args += ["--engine", "spark", "--spark-master", "local[2]", "--max-reject-ratio", "1"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.stderr
        written[where] = (usage.read_bytes(), rejects.read_text(), " ".join(result.stderr.split()))
    usage, rejects, stderr = written["s3://acme-logs/2025-10"]
    local_usage, local_rejects, local_stderr = written[str(logs)]
    assert usage == local_usage
    assert rejects == local_rejects.replace(str(logs), "s3://acme-logs/2025-10")
    assert stderr == local_stderr.replace(str(logs), "s3://acme-logs/2025-10")
    assert "\ns3://acme-logs/2025-10/typed.parquet,5556,malformed," in rejects
    assert "skipped 1 file of unknown type in s3://acme-logs/2025-10: notes.md" in stderr


def test_a_missing_s3_prefix_is_a_data_error_naming_it(s3_env: dict[str, str]) -> None:
    import boto3

    boto3.client("s3").create_bucket(Bucket="acme-empty")  # a bucket without an object
    for where in ("s3://acme-empty/2025-10", "s3://no-such-bucket/logs"):
        result = runner.invoke(app, ["report", where, "--model", "rau", "--engine", "spark"])
        assert result.exit_code == 3, result.stderr
        assert "Traceback" not in result.stderr
        assert f"Error: Input {where} does not exist." in result.stderr
    result = runner.invoke(
        app, ["report", "s3://acme-empty", "--model", "rau", "--engine", "spark"]
    )
    assert result.exit_code == 3
    assert "Folder s3://acme-empty has no supported file at its top level." in result.stderr


def test_an_endpoint_in_the_url_query_reaches_the_store_without_aws_endpoint_url(
    s3_env: dict[str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a.csv").write_text("ts,user\n2025-10-01T10:00Z,alice\n")
    upload(tmp_path, "acme-query", "logs")
    monkeypatch.delenv("AWS_ENDPOINT_URL")
    host = s3_env["AWS_ENDPOINT_URL"].removeprefix("http://")
    url = Url(f"s3://acme-query/logs?endpoint_override={host}&scheme=http")
    files, _ = discover_sources([url])
    assert [str(file) for file in files] == ["s3://acme-query/logs/a.csv"]
