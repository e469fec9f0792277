"""Text encodings of input files (SPEC 1.4, "Encodings").

UTF-8 (a BOM dropped), UTF-16 with a BOM, and, for text that is not valid
UTF-8, Windows-1252 with Latin-1 for the five bytes Windows-1252 leaves
undefined; ``--encoding`` overrides. UTF-8 input is handed on as the file's own
bytes: checking it never makes a second copy of a large file.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from licaudit.errors import ConfigError, DataError


def _latin1_for_undefined(error: UnicodeError) -> tuple[str, int]:
    # Windows-1252 leaves 0x81, 0x8D, 0x8F, 0x90 and 0x9D undefined; Latin-1 maps every byte.
    assert isinstance(error, UnicodeDecodeError)
    return error.object[error.start : error.end].decode("latin-1"), error.end


codecs.register_error("licaudit-latin1", _latin1_for_undefined)


def _is_utf8(data: bytes | memoryview) -> bool:
    # Checked in slices so that a large file is never held twice as a Python str.
    decoder = codecs.getincrementaldecoder("utf-8")()
    step = 1 << 24
    try:
        for start in range(0, len(data), step):
            decoder.decode(data[start : start + step])
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def detect_encoding(data: bytes, path: Path, encoding: str | None) -> str:
    """The encoding of a text file, as shown to the user; ``encoding`` (``--encoding``) wins."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise ConfigError(
                f"Unknown encoding `--encoding` = {encoding!r}.",
                "use e.g. utf-8, utf-16, cp1252 or latin-1.",
            ) from None
        return encoding
    if data.startswith(codecs.BOM_UTF8) and _is_utf8(memoryview(data)[3:]):
        return "utf-8-sig"
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    return "utf-8" if _is_utf8(data) else "windows-1252"


def decode_text(data: bytes, path: Path, encoding: str | None) -> tuple[str, str]:
    """Decode a text file; return the text and the encoding's name as shown to the user."""
    detected = detect_encoding(data, path, encoding)
    try:
        if detected == "windows-1252" and not encoding:
            # A UTF-8 BOM before text that is not UTF-8 is still a BOM, not header text.
            body = data.removeprefix(codecs.BOM_UTF8)
            return body.decode("cp1252", errors="licaudit-latin1"), detected
        return data.decode(detected).removeprefix("\ufeff"), detected
    except UnicodeDecodeError as error:
        if encoding:
            raise DataError(
                f"File {path} cannot be decoded as {encoding} (byte {error.start}).",
                "leave out --encoding to let licaudit detect it.",
            ) from None
        raise DataError(
            f"File {path} starts like UTF-16 but cannot be decoded.",
            "export it again as UTF-8, or give --encoding.",
        ) from None


def utf8_payload(data: bytes, path: Path, encoding: str | None) -> tuple[bytes, str]:
    """The file's text as UTF-8 bytes without BOM, copying only when it was not UTF-8."""
    detected = detect_encoding(data, path, encoding)
    if detected == "utf-8":
        return data, detected
    if detected == "utf-8-sig":
        return data[3:], detected
    text, detected = decode_text(data, path, encoding)
    return text.encode("utf-8"), detected


BINARY_CONTROLS = 32
"""Control characters a file's head must hold, beyond 5 % of it, to be taken for binary
data: a few NUL bytes in one field of a small CSV are a malformed row (SPEC 1.4), not a
binary file."""


def looks_binary(text: str) -> bool:
    head = text[:4096]
    first_line = head.split("\n", 1)[0]
    if "\x00" in first_line:
        return True
    controls = sum(1 for char in head if char < " " and char not in "\t\r\n")
    return controls >= BINARY_CONTROLS and controls / len(head) > 0.05
