"""Names numbered as files are read: a dictionary that grows file by file.

Coding ten million names costs a hash of each; a name's code is its position in the
dictionary when it was first seen, and stays so while later files add names. Two users:
ingest codes the user, method and product columns as written while the NUL screen reads
them, which gives both their distinct values and codes the encoder then only gathers
(``licaudit.ingest.encode``); ``licaudit.scale.PartStore`` codes each file's used events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

CODE = pl.UInt32()
"""The dtype of a code (``licaudit.ingest.encode.CODE`` is the same)."""

CODE_PREFIX = "__code_"
"""Ingest's columns of codes are named this and the identity (``__code_user``)."""

SAMPLE_EVERY = 64
"""One row in this many guesses the names of an empty dictionary (``guess``), and of an
identity column in ``licaudit.ingest.encode``."""


class Dictionary:
    """Names in order of first sight, each with its provisional code (its position)."""

    def __init__(self) -> None:
        self.names = pl.Series("name", [], dtype=pl.String)
        # How many values ingest coded: when all of a file's are used, every name they
        # brought is some used row's, and the encoder need not look for the names used.
        self.rows_coded = 0

    def add(self, values: pl.Series) -> None:
        fresh = values.drop_nulls().unique(maintain_order=True)
        fresh = fresh.filter(~fresh.is_in(self.names.implode())).sort()
        if fresh.len():
            self.names = pl.concat([self.names, fresh.rename("name")])

    def codes(self, column: str) -> pl.Expr:
        """The provisional codes of a column's values, null for a name not yet ``add``ed."""
        return pl.col(column).cast(pl.Enum(self.names), strict=False).to_physical().cast(CODE)

    def completed(self, values: pl.Series, codes: pl.Series) -> pl.Series:
        """``codes`` (as ``codes`` gives them for ``values``) with the names they missed
        added: only those rows are coded again, since the codes of the names known stay."""
        if codes.null_count() == values.null_count():
            return codes  # every name known: null counts are kept with the arrays
        missed = codes.is_null() & values.is_not_null()
        rest = values.filter(missed)
        self.add(rest)
        found = rest.cast(pl.Enum(self.names)).to_physical().cast(CODE)
        return codes.scatter(missed.arg_true(), found)

    def guess(self, values: pl.Series) -> None:
        """An empty dictionary starts from a sample of ``values``: one pass then codes the
        rows, and only the names the sample missed are looked for again (``completed``)."""
        if not self.names.len():
            self.add(values.gather_every(SAMPLE_EVERY))

    def final(self) -> tuple[pl.DataFrame, pl.Series]:
        """The sorted dictionary ``(code, name)``, and the final code of each provisional one."""
        ranks = self.names.rank("ordinal").cast(CODE) - 1
        table = pl.DataFrame(
            {
                "code": pl.int_range(self.names.len(), dtype=CODE, eager=True),
                "name": self.names.sort(),
            },
            schema={"code": CODE, "name": pl.String()},
        )
        return table, ranks


def code_columns(
    frame: pl.DataFrame, dictionaries: Mapping[str, Dictionary]
) -> dict[str, pl.Series]:
    """Each column of ``frame`` that ``dictionaries`` names, coded by its dictionary, which
    gains the names it lacked. One pass, every column at once, against the names known so
    far (a sample of the column's when the dictionary is empty); then only the rows of
    names not seen before are coded again. Dictionaries soon hold every name, so a later
    file costs one pass per column, not a search for its distinct names and then that pass.
    """
    for name, dictionary in dictionaries.items():
        dictionary.guess(frame[name])
    guessed = frame.select(dictionary.codes(name) for name, dictionary in dictionaries.items())
    return {
        name: dictionary.completed(frame[name], guessed[name])
        for name, dictionary in dictionaries.items()
    }


@dataclass(frozen=True)
class IdentityCodes:
    """The used events' user, method and product as ingest coded them, for the encoder.

    ``codes``: a UInt32 column per identity, row for row with the used events: the code of
    the value as written in the run's dictionary, null where none was written. ``normal``:
    per identity, the normal form (``licaudit.ingest.identity.normal_form``) of each code's
    name, then of a missing value. ``complete``: per identity, whether every name of the
    dictionary is some used row's (else the encoder looks for the ones still used).
    """

    codes: pl.DataFrame
    normal: dict[str, pl.Series]
    complete: dict[str, bool]
