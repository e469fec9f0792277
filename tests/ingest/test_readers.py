"""Reading files into raw text tables (SPEC 1.1 and the reading rules of 1.4)."""

from __future__ import annotations

import codecs
import gzip
import os
from pathlib import Path

import polars as pl
import pytest

from licaudit.errors import ConfigError, DataError
from licaudit.ingest.discover import discover, is_supported
from licaudit.ingest.encodings import decode_text
from licaudit.ingest.readers import ROW, RawTable, read_table
from licaudit.ingest.readers import sniff_delimiter as sniff
from tests.conftest import csv_text


def values(table: RawTable) -> list[tuple[object, ...]]:
    """The table's rows as (row number, value per source column)."""
    return table.frame.select(ROW, *table.internal_names).collect().rows()


def malformed(table: RawTable) -> list[tuple[int, str]]:
    return table.malformed.rows()


def write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


# --- Discovery (SPEC 1.1, 1.4 "Files") -----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "supported"),
    [
        ("a.csv", True),
        ("a.CSV", True),
        ("a.tsv", True),
        ("a.txt", True),
        ("a.jsonl", True),
        ("a.ndjson", True),
        ("a.parquet", True),
        ("a.pq", True),
        ("a.xlsx", True),
        ("a.XLSX", True),
        ("a.csv.gz", True),
        ("a.jsonl.gz", True),
        ("access.2025-03.csv", True),
        ("a.gz", False),
        ("licaudit.toml", False),
        ("a.json", False),
        ("a.xls", False),
        ("README", False),
    ],
)
def test_folder_files_are_supported_by_their_name(name: str, supported: bool) -> None:
    assert is_supported(Path(name)) is supported


def test_folder_means_its_supported_files_sorted_not_recursive(tmp_path: Path) -> None:
    for name in ["b.csv", "a.jsonl.gz", "c.parquet", "d.xlsx", "licaudit.toml", ".hidden.csv"]:
        write(tmp_path / name, "")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "d.csv", "")
    assert discover([tmp_path]) == (
        [tmp_path / "a.jsonl.gz", tmp_path / "b.csv", tmp_path / "c.parquet", tmp_path / "d.xlsx"],
        [],
    )


def test_folder_with_recursive_includes_subfolders(tmp_path: Path) -> None:
    (tmp_path / "2025" / "03").mkdir(parents=True)
    write(tmp_path / "top.csv", "")
    write(tmp_path / "2025" / "03" / "day.csv.gz", "")
    assert discover([tmp_path], recursive=True) == (
        [tmp_path / "2025" / "03" / "day.csv.gz", tmp_path / "top.csv"],
        [],
    )


def test_folder_files_of_unknown_type_are_named_in_one_warning(tmp_path: Path) -> None:
    for name in ["a.csv", "b.pdf", "notes.md", "export.xls", "README"]:
        write(tmp_path / name, "")
    files, warnings = discover([tmp_path])
    assert files == [tmp_path / "a.csv"]
    assert len(warnings) == 1
    assert warnings[0].startswith(
        f"skipped 4 files of unknown type in {tmp_path}: README, b.pdf, export.xls, notes.md. "
    )


def test_hidden_files_and_the_contract_file_are_skipped_silently(tmp_path: Path) -> None:
    for name in ["a.csv", ".DS_Store", ".hidden.md", "licaudit.toml"]:
        write(tmp_path / name, "")
    assert discover([tmp_path]) == ([tmp_path / "a.csv"], [])


def test_recursive_folder_names_unknown_files_by_their_path_below_it_and_skips_hidden_folders(
    tmp_path: Path,
) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / ".git" / "objects").mkdir(parents=True)
    write(tmp_path / "a.csv", "")
    write(tmp_path / "sub" / "notes.md", "")
    write(tmp_path / "sub" / "licaudit.toml", "")
    write(tmp_path / ".git" / "HEAD", "")
    write(tmp_path / ".git" / "objects" / "old.csv", "")
    files, warnings = discover([tmp_path], recursive=True)
    assert files == [tmp_path / "a.csv"]
    assert len(warnings) == 1
    assert f"skipped 1 file of unknown type in {tmp_path}: sub/notes.md." in warnings[0]


def test_warning_lists_ten_unknown_files_and_counts_the_rest(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "")
    for index in range(12):
        write(tmp_path / f"n{index:02}.md", "")
    _, warnings = discover([tmp_path])
    assert "skipped 12 files" in warnings[0]
    assert "n09.md and 2 more." in warnings[0]
    assert "n10.md" not in warnings[0]


def test_files_given_by_name_are_read_whatever_their_extension(tmp_path: Path) -> None:
    log = write(tmp_path / "access.log", "")
    folder = tmp_path / "more"
    folder.mkdir()
    write(folder / "x.csv", "")
    assert discover([log, folder]) == ([log, folder / "x.csv"], [])


def test_missing_path_is_a_data_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist") as raised:
        discover([tmp_path / "nope.csv"])
    assert raised.value.exit_code == 3
    assert str(tmp_path / "nope.csv") in str(raised.value)


def test_symlink_loop_is_a_data_error_naming_it(tmp_path: Path) -> None:
    loop = tmp_path / "loop.csv"
    loop.symlink_to(loop)
    with pytest.raises(DataError) as raised:
        discover([loop])
    assert str(loop) in str(raised.value)


@pytest.mark.parametrize("target", ["l2.csv", "missing/x.csv"])
def test_a_link_to_nothing_inside_a_folder_is_a_data_error_naming_it(
    tmp_path: Path, target: str
) -> None:
    # "a missing path, a symlink loop ...: exit 3 naming the path" (SPEC 1.4), inside a
    # folder as given by name: a loop of two links, or a dangling one, is never skipped.
    write(tmp_path / "a.csv", "")
    link = tmp_path / "l1.csv"
    link.symlink_to(tmp_path / target)
    if target == "l2.csv":
        (tmp_path / "l2.csv").symlink_to(link)
    with pytest.raises(DataError, match="link to nothing") as raised:
        discover([tmp_path])
    assert raised.value.exit_code == 3
    assert "l1.csv" in str(raised.value) or "l2.csv" in str(raised.value)
    with pytest.raises(DataError, match="link to nothing"):
        discover([link])


def test_a_hard_link_is_the_same_file_read_once_and_never_a_named_file_read_as_events(
    tmp_path: Path,
) -> None:
    # SPEC 1.3: the same file reached twice is read once; the files a contract names are
    # never events. A hard link has its own path but is the same file (device, inode).
    logs = tmp_path / "logs"
    logs.mkdir()
    write(logs / "a.csv", "ts,user\n2025-10-01 09:00,g1\n")
    os.link(logs / "a.csv", logs / "copy.csv")
    roster = tmp_path / "roster.csv"
    write(roster, "ts,user,status\n2025-10-01,r1,active\n")
    os.link(roster, logs / "roster_link.csv")
    files, warnings = discover([logs], exclude=[roster])
    assert files == [logs / "a.csv"]
    assert len(warnings) == 1 and "copy.csv is the same file as" in warnings[0]


def test_a_hidden_link_to_nothing_inside_a_folder_is_not_looked_at(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "")
    (tmp_path / ".lock.csv").symlink_to(tmp_path / "gone")
    assert discover([tmp_path]) == ([tmp_path / "a.csv"], [])


def test_symlinked_folder_loop_is_not_followed(tmp_path: Path) -> None:
    write(tmp_path / "a.csv", "")
    (tmp_path / "again").symlink_to(tmp_path)
    assert discover([tmp_path], recursive=True) == ([tmp_path / "a.csv"], [])


def test_folder_with_no_supported_file_at_its_top_level_is_a_data_error(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub" / "a.csv", "")
    write(tmp_path / "licaudit.toml", "")
    with pytest.raises(DataError, match="at its top level") as raised:
        discover([tmp_path])
    assert str(tmp_path) in str(raised.value)
    assert "--recursive" in str(raised.value)
    assert discover([tmp_path], recursive=True) == ([tmp_path / "sub" / "a.csv"], [])


def test_folder_with_only_files_of_unknown_type_is_a_data_error_naming_them(
    tmp_path: Path,
) -> None:
    write(tmp_path / "export.xls", "")
    with pytest.raises(DataError, match=r"it holds export\.xls") as raised:
        discover([tmp_path])
    assert ".xlsx" in str(raised.value)


def test_empty_folder_is_a_data_error_even_with_recursive(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="anywhere below it"):
        discover([tmp_path], recursive=True)


# --- Format by content, then name (SPEC 1.4 "Format") ----------------------------------------


def test_gzip_is_recognised_by_its_magic(tmp_path: Path) -> None:
    path = write(tmp_path / "log.csv.gz", gzip.compress(b"ts,user\n2025-03-10,a\n"))
    table = read_table(path)
    assert (table.format, table.compressed) == ("csv", True)
    assert values(table) == [(1, "2025-03-10", "a")]


def test_gz_holding_plain_text_is_read_as_text(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "log.jsonl.gz", '{"ts": "2025-03-10"}\n'))
    assert (table.format, table.compressed) == ("jsonl", False)
    assert values(table) == [(1, "2025-03-10")]


@pytest.mark.parametrize("name", ["data.csv", "data.jsonl", "data", "data.parquet.gz"])
def test_parquet_is_recognised_by_its_magic_whatever_its_name(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    pl.DataFrame({"ts": ["2025-03-10"], "n": [3]}).write_parquet(path)
    if name.endswith(".gz"):
        path.write_bytes(gzip.compress(path.read_bytes()))
    table = read_table(path)
    assert table.format == "parquet"
    assert table.columns == ["ts", "n"]
    assert values(table) == [(1, "2025-03-10", 3)]


def test_file_named_parquet_that_is_not_parquet_is_a_data_error(tmp_path: Path) -> None:
    path = write(tmp_path / "x.parquet", "ts,user\n2025-03-10,a\n")
    with pytest.raises(DataError, match="not a Parquet file") as raised:
        read_table(path)
    assert str(path) in str(raised.value)


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("a.csv", "ts\n2025-03-10\n", "csv"),
        ("a.tsv", "ts\tuser\n2025-03-10\ta\n", "csv"),
        ("a.txt", '{"ts": 1}\n', "csv"),
        ("a.ndjson", '{"ts": "2025-03-10"}\n', "jsonl"),
        ("a.jsonl", '{"ts": "2025-03-10"}\n', "jsonl"),
        ("a.log", '  {"ts": "2025-03-10"}\n', "jsonl"),
        ("a.log", "ts,user\n2025-03-10,a\n", "csv"),
    ],
)
def test_text_format_follows_the_extension_then_the_content(
    tmp_path: Path, name: str, content: str, expected: str
) -> None:
    assert read_table(write(tmp_path / name, content)).format == expected


# --- Encodings (SPEC 1.4 "Encodings") ------------------------------------------------------


def test_utf8_bom_is_dropped() -> None:
    assert decode_text(b"\xef\xbb\xbfts\n\xc3\xa9\n", Path("x"), None) == ("ts\né\n", "utf-8-sig")


def test_utf8_bom_before_windows_1252_text_is_dropped_too() -> None:
    data = codecs.BOM_UTF8 + "ts;user\nZoë;x\n".encode("cp1252")
    assert decode_text(data, Path("x"), None) == ("ts;user\nZoë;x\n", "windows-1252")


@pytest.mark.parametrize(("bom", "codec"), [(b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be")])
def test_utf16_with_a_bom_is_decoded_and_the_bom_dropped(bom: bytes, codec: str) -> None:
    text, encoding = decode_text(bom + "ts;user\nZoë;€\n".encode(codec), Path("x"), None)
    assert (text, encoding) == ("ts;user\nZoë;€\n", "utf-16")


def test_text_not_valid_utf8_is_read_as_windows_1252() -> None:
    data = "Hélène;Coût 5 €;“quoted”;œ".encode("cp1252")
    assert decode_text(data, Path("x"), None) == ("Hélène;Coût 5 €;“quoted”;œ", "windows-1252")


def test_bytes_windows_1252_leaves_undefined_are_read_as_latin1() -> None:
    # 0x81, 0x8D, 0x8F, 0x90, 0x9D have no Windows-1252 character; Latin-1 maps every byte.
    text, encoding = decode_text(b"\xe9\x81\x8d\x8f\x90\x9d\x80", Path("x"), None)
    assert encoding == "windows-1252"
    assert text == "é\x81\x8d\x8f\x90\x9d€"


def test_encoding_option_overrides_detection() -> None:
    # Valid UTF-8, but declared Latin-1: read as Latin-1.
    assert decode_text("é".encode(), Path("x"), "latin-1") == ("Ã©", "latin-1")
    assert decode_text("\ufeffts".encode("utf-16-le"), Path("x"), "utf-16-le") == (
        "ts",
        "utf-16-le",
    )


def test_unknown_encoding_option_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="klingon") as raised:
        decode_text(b"ts\n", Path("x"), "klingon")
    assert raised.value.exit_code == 2


def test_text_the_encoding_option_cannot_decode_is_a_data_error_naming_the_file() -> None:
    with pytest.raises(DataError, match="utf-8") as raised:
        decode_text(b"ts\n\xe9\n", Path("/logs/a.csv"), "utf-8")
    assert "/logs/a.csv" in str(raised.value)


def test_latin1_file_is_read_through_to_values(tmp_path: Path) -> None:
    path = write(tmp_path / "fr.csv", "Date;Login\r\n03/02/2025 08:15;Hélène\r\n".encode("cp1252"))
    table = read_table(path)
    assert (table.encoding, table.delimiter, table.columns) == (
        "windows-1252",
        ";",
        ["Date", "Login"],
    )
    assert values(table) == [(1, "03/02/2025 08:15", "Hélène")]


# --- CSV dialect (SPEC 1.1) ----------------------------------------------------------------


@pytest.mark.parametrize(
    "delimiter", [",", ";", "\t", "|"], ids=["comma", "semicolon", "tab", "pipe"]
)
def test_delimiter_is_detected_among_comma_semicolon_tab_pipe(delimiter: str) -> None:
    records = [
        {"ts": "2025-03-10 10:00", "user": "Smith, J.; Jr", "method": "a|b\tc"},
        {"ts": "2025-03-10 11:00", "user": "b", "method": "sync"},
    ]
    assert sniff(csv_text(records, sep=delimiter)) == delimiter


def test_delimiter_is_the_one_consistent_between_header_and_rows() -> None:
    # Every line splits in 2 on ",", but the header splits in 3 on ";" and rows do too.
    sample = "ts;user;comment\n2025-03-10;a;x, y\n2025-03-11;b;z, w\n"
    assert sniff(sample) == ";"


def test_single_column_file_falls_back_to_comma() -> None:
    assert sniff("ts\n2025-03-10\n") == ","


def test_cut_last_line_of_a_sample_is_not_held_against_a_delimiter() -> None:
    assert sniff("ts;user;method\n2025-03-10;a;web\n2025-03-10;b") == ";"


def test_csv_header_names_are_trimmed_and_values_kept_as_text(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", " ts , User Name \n0042, Bob \n")
    table = read_table(path)
    assert table.columns == ["ts", "User Name"]
    assert values(table) == [(1, "0042", " Bob ")]


def test_empty_csv_cell_is_null(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.csv", 'ts,user,method\n2025-03-10,,""\n'))
    assert values(table) == [(1, "2025-03-10", None, None)]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_records_may_end_in_lf_crlf_or_a_lone_cr(tmp_path: Path, newline: str) -> None:
    path = write(tmp_path / "a.csv", newline.join(["ts,user", "2025-03-10,a", "2025-03-11,b", ""]))
    assert values(read_table(path)) == [(1, "2025-03-10", "a"), (2, "2025-03-11", "b")]


def test_last_record_without_a_final_newline_is_read(tmp_path: Path) -> None:
    assert values(read_table(write(tmp_path / "a.csv", "ts,user\n2025-03-10,a"))) == [
        (1, "2025-03-10", "a")
    ]


def test_quoted_value_may_hold_a_newline(tmp_path: Path) -> None:
    path = write(tmp_path / "a.csv", 'ts,user\n2025-03-10,"line1\nline2"\n2025-03-11,b\n')
    assert values(read_table(path)) == [(1, "2025-03-10", "line1\nline2"), (2, "2025-03-11", "b")]


# --- Malformed records (SPEC 1.4 "Malformed rows") ------------------------------------------


def test_csv_records_with_too_many_or_too_few_fields_are_malformed_and_the_rest_read(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "a.csv",
        "ts,user\n2025-03-10,a\n2025-03-10,b,extra\n\n2025-03-10\n2025-03-11,c\n",
    )
    table = read_table(path)
    assert values(table) == [(1, "2025-03-10", "a"), (4, "2025-03-11", "c")]
    assert malformed(table) == [(2, "2025-03-10,b,extra"), (3, "2025-03-10")]


def test_csv_field_holding_a_nul_byte_is_malformed(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.csv", "ts,user\n2025-03-10,a\x00b\n2025-03-11,c\n"))
    assert values(table) == [(2, "2025-03-11", "c")]
    assert malformed(table) == [(1, "2025-03-10,a\x00b")]


def test_json_lines_that_do_not_parse_or_are_not_objects_are_malformed(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.jsonl",
        '{"ts": "2025-03-10", "user": "a"}\n'
        "{'ts': 'single quotes'}\n"
        "[1, 2]\n"
        "42\n"
        "null\n"
        '{"ts": "2025-03-11"} trailing\n'
        '{"ts": "2025-03-12", "user": "b"}\n',
    )
    table = read_table(path)
    assert values(table) == [(1, "2025-03-10", "a"), (7, "2025-03-12", "b")]
    assert [row for row, _ in malformed(table)] == [2, 3, 4, 5, 6]


def test_json_line_nested_too_deep_to_parse_is_malformed(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.jsonl", "[" * 100_000 + '\n{"ts": "b"}\n'))
    assert values(table) == [(2, "b")]
    assert [row for row, _ in malformed(table)] == [1]


def test_json_value_holding_a_nul_character_is_malformed(tmp_path: Path) -> None:
    table = read_table(write(tmp_path / "a.jsonl", '{"ts": "a\\u0000"}\n{"ts": "b"}\n'))
    assert values(table) == [(2, "b")]
    assert malformed(table) == [(1, '{"ts": "a\\u0000"}')]


def test_parquet_string_holding_a_nul_byte_is_malformed(tmp_path: Path) -> None:
    path = tmp_path / "a.parquet"
    pl.DataFrame({"ts": ["2025-03-10", "2025-03-11"], "user": ["a\x00", "b"]}).write_parquet(path)
    table = read_table(path)
    assert values(table) == [(2, "2025-03-11", "b")]
    assert malformed(table) == [(1, '{"ts":"2025-03-10","user":"a\\u0000"}')]


def test_json_records_are_numbered_without_blank_lines_and_split_on_newline_only(
    tmp_path: Path,
) -> None:
    path = write(
        tmp_path / "a.jsonl",
        '\n{"ts": "1", "user": "line\u2028sep"}\r\n\n   \n{"ts": "2", "note": "nel\x85"}\n',
    )
    table = read_table(path)
    assert table.columns == ["ts", "user", "note"]
    assert values(table) == [(1, "1", "line\u2028sep", None), (2, "2", None, "nel\x85")]


def test_json_values_become_text_as_a_file_would_spell_them(tmp_path: Path) -> None:
    path = write(
        tmp_path / "a.jsonl",
        '{"n": 1735725600, "f": 1.5, "big": 1e20, "tiny": 1.5e-7, "b": true, "o": {"k": [1]},'
        ' "z": null}\n',
    )
    assert values(read_table(path)) == [
        (1, "1735725600", "1.5", "100000000000000000000", "0.00000015", "true", '{"k": [1]}', None)
    ]


def test_json_keys_missing_from_a_line_are_null(tmp_path: Path) -> None:
    path = write(tmp_path / "a.jsonl", '{"ts": "1"}\n{"user": "b", "ts": "2"}\n{"ts": "3"}\n')
    table = read_table(path)
    assert table.columns == ["ts", "user"]
    assert values(table) == [(1, "1", None), (2, "2", "b"), (3, "3", None)]


# --- Files that cannot be read; empty files (SPEC 1.3, 1.4 "Files") --------------------------


def test_truncated_parquet_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    whole = tmp_path / "whole.parquet"
    pl.DataFrame({"ts": ["2025-03-10"] * 50}).write_parquet(whole)
    for cut in (8, len(whole.read_bytes()) // 2):
        path = write(tmp_path / f"cut{cut}.parquet", whole.read_bytes()[:cut])
        with pytest.raises(DataError, match="truncated or corrupt Parquet") as raised:
            read_table(path)
        assert str(path) in str(raised.value)
        assert raised.value.exit_code == 3


def test_binary_file_named_csv_is_a_data_error(tmp_path: Path) -> None:
    path = write(
        tmp_path / "photo.csv", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 4
    )
    with pytest.raises(DataError, match="binary") as raised:
        read_table(path)
    assert str(path) in str(raised.value)


def test_corrupt_gzip_is_a_data_error_naming_the_file(tmp_path: Path) -> None:
    whole = gzip.compress(b"ts\n" + b"2025-03-10\n" * 100)
    bad_crc = whole[:-8] + b"\x00\x00\x00\x00" + whole[-4:]
    for index, data in enumerate([whole[:30], bad_crc, b"\x1f\x8bnot gzip at all"]):
        path = write(tmp_path / f"c{index}.csv.gz", data)
        with pytest.raises(DataError, match="gzip") as raised:
            read_table(path)
        assert str(path) in str(raised.value)


def test_missing_file_is_a_data_error(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="does not exist"):
        read_table(tmp_path / "gone.csv")


@pytest.mark.parametrize("content", [b"", b"\n\n  \n", b"\xef\xbb\xbf"])
def test_empty_file_is_an_empty_table_not_an_error(tmp_path: Path, content: bytes) -> None:
    table = read_table(write(tmp_path / "e.csv", content))
    assert table.empty
    assert table.columns == []
    assert table.frame.collect().height == 0


@pytest.mark.parametrize("ending", ["\r\n", ""], ids=["with-newline", "without-newline"])
def test_header_only_file_has_columns_and_no_rows(tmp_path: Path, ending: str) -> None:
    table = read_table(write(tmp_path / "h.csv", "ts;user;method" + ending))
    assert not table.empty
    assert (table.columns, table.delimiter) == (["ts", "user", "method"], ";")
    assert table.frame.collect().height == 0
    assert malformed(table) == []
