"""Identities coded as they are read (``licaudit.ingest.dictionary``): the NUL screen codes
user, method and product against the run's dictionaries, and the encoder gathers from those
codes instead of coding the rows again. The encoding must be the one it makes without them,
whatever the spellings, missing columns, rejected rows and NUL bytes of the files."""

from __future__ import annotations

import tempfile
from pathlib import Path

import polars as pl
from hypothesis import given, settings
from hypothesis import strategies as st
from polars.testing import assert_frame_equal

from licaudit.ingest.dictionary import SAMPLE_EVERY
from licaudit.ingest.encode import encode
from licaudit.ingest.events import IngestOptions, ingest

from .support import write_csv

USERS = st.sampled_from(
    ["alice", "Alice", " bob ", "BOB", "", "-", "guest", "carol@corp", "zed", "a\x00b", None]
)
METHODS = st.sampled_from(["web", "WEB ", "sync", "", "api", "x\x00", None])
PRODUCTS = st.sampled_from(["netexplorer", "Autocad", " ", None])


def _encodings_agree(paths: list[Path], **options: object) -> None:
    """The encoding from ingest's codes equals the one made from the names alone."""
    ingested = ingest(paths, IngestOptions(**options))  # type: ignore[arg-type]
    assert ingested.codes is not None
    assert ingested.codes.codes.height == ingested.events.height
    from_codes = encode(ingested.events, codes=ingested.codes)
    from_names = encode(ingested.events)
    assert_frame_equal(from_codes.events, from_names.events)
    for identity in ("users", "methods", "products"):
        assert_frame_equal(getattr(from_codes.names, identity), getattr(from_names.names, identity))


file_rows = st.lists(
    st.tuples(st.booleans(), USERS, METHODS, PRODUCTS), min_size=0, max_size=3 * SAMPLE_EVERY
)


@settings(max_examples=60, deadline=None)
@given(
    files=st.lists(
        st.tuples(file_rows, st.sampled_from(["parquet", "csv", "no-method"])),
        min_size=1,
        max_size=3,
    ),
    case_sensitive=st.booleans(),
)
def test_codes_read_with_the_files_encode_like_the_names_alone(
    files: list[tuple[list[tuple[bool, str | None, str | None, str | None]], str]],
    case_sensitive: bool,
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, (rows, kind) in enumerate(files):
            frame = pl.DataFrame(
                {
                    # A row with a bad time is rejected after its names were coded.
                    "ts": ["2025-03-10 10:00" if good else "not a time" for good, *_ in rows],
                    "user": [user for _, user, _, _ in rows],
                    "method": [method for _, _, method, _ in rows],
                    "product": [product for *_, product in rows],
                },
                schema={name: pl.String for name in ("ts", "user", "method", "product")},
            )
            path = Path(folder) / f"events-{number}.{'csv' if kind != 'parquet' else 'parquet'}"
            if kind == "parquet":
                frame.write_parquet(path)
            else:
                frame.drop("method" if kind == "no-method" else []).write_csv(path)
            paths.append(path)
        if not any(good for rows, _ in files for good, *_ in rows):
            return  # no used row: nothing to encode
        _encodings_agree(paths, case_sensitive_users=case_sensitive)


def test_a_name_seen_only_on_rejected_rows_is_in_no_dictionary(tmp_path: Path) -> None:
    path = write_csv(
        tmp_path / "events.csv",
        "ts,user,method\n2025-03-10 10:00,alice,web\nnot a time,zoe,api\n",
    )
    ingested = ingest([path], IngestOptions())
    assert ingested.codes is not None
    # Names coded on a row that was rejected: the encoder looks for the names still used.
    # No product column: no name coded, the missing product's name only.
    assert ingested.codes.complete == {"user": False, "method": False, "product": True}
    encoded = encode(ingested.events, codes=ingested.codes)
    assert encoded.names.users["name"].to_list() == ["alice"]
    assert encoded.names.methods["name"].to_list() == ["web"]
    assert encoded.names.products["name"].to_list() == ["default"]
    assert encoded.events.select("user", "method", "product").row(0) == (0, 0, 0)


def test_spellings_of_one_name_share_its_code(tmp_path: Path) -> None:
    first = write_csv(tmp_path / "a.csv", "ts,user,method\n2025-03-10 10:00,Alice,WEB\n")
    second = write_csv(tmp_path / "b.csv", "ts,user,method\n2025-03-10 11:00, alice ,web\n")
    ingested = ingest([first, second], IngestOptions())
    assert ingested.codes is not None
    assert ingested.codes.complete == {"user": True, "method": True, "product": True}
    # Two spellings as written, one name once normal.
    assert ingested.codes.codes["user"].n_unique() == 2
    encoded = encode(ingested.events, codes=ingested.codes)
    assert encoded.names.users["name"].to_list() == ["alice"]
    assert encoded.events["user"].to_list() == [0, 0]
    assert encoded.events["method"].to_list() == [0, 0]


def test_a_nul_name_of_an_earlier_file_is_screened_row_by_row_in_a_later_one(
    tmp_path: Path,
) -> None:
    frames = [
        pl.DataFrame({"ts": ["2025-03-10 10:00"] * 2, "user": ["a\x00b", "alice"]}),
        pl.DataFrame({"ts": ["2025-03-10 11:00"] * 2, "user": ["bob", "a\x00b"]}),
    ]
    paths = []
    for number, frame in enumerate(frames):
        paths.append(tmp_path / f"events-{number}.parquet")
        frame.write_parquet(paths[-1])
    ingested = ingest(paths, IngestOptions())
    assert ingested.rejects.select("row", "reason").rows() == [(1, "malformed"), (2, "malformed")]
    assert ingested.events["user"].to_list() == ["alice", "bob"]
    # The user column of the second file was screened row by row, so not coded: the
    # encoder codes it from the names.
    assert ingested.codes is not None
    assert "user" not in ingested.codes.codes.columns
    encoded = encode(ingested.events, codes=ingested.codes)
    assert encoded.events["user"].to_list() == [0, 1]


def test_an_identity_column_not_of_text_is_left_to_the_encoder(tmp_path: Path) -> None:
    path = tmp_path / "events.parquet"
    frame = pl.DataFrame(
        {"ts": ["2025-03-10 10:00"] * 3, "user": [42, 7, 42], "method": ["web", "api", "web"]}
    )
    frame.write_parquet(path)
    ingested = ingest([path], IngestOptions())
    assert ingested.codes is not None
    # Numbers are not coded as read (their text is made later): the encoder codes them.
    assert ingested.codes.codes.columns == ["method", "product"]
    encoded = encode(ingested.events, codes=ingested.codes)
    assert encoded.names.users["name"].to_list() == ["42", "7"]
    assert encoded.events["user"].to_list() == [0, 1, 0]
    assert encoded.events["method"].to_list() == [1, 0, 1]
