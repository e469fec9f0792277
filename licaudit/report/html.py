"""The report as one self-contained HTML page: the reconciliation, then every table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from html import escape

import polars as pl

from licaudit.report.files import as_text_friendly

STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0 1.5rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.6rem; }
th { background: #f2f2f2; text-align: left; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
tr.over td { background: #fde8e8; }
"""


def _table_html(frame: pl.DataFrame) -> str:
    numeric = [dtype.is_numeric() or isinstance(dtype, pl.Decimal) for dtype in frame.dtypes]
    over = frame.get_column("excess").to_list() if "excess" in frame.columns else None
    ready = as_text_friendly(frame)
    head = "".join(f"<th>{escape(name)}</th>" for name in ready.columns)
    rows = []
    for index, values in enumerate(ready.iter_rows()):
        cells = "".join(
            f'<td class="number">{escape(_text(value))}</td>'
            if is_number
            else f"<td>{escape(_text(value))}</td>"
            for value, is_number in zip(values, numeric, strict=True)
        )
        css = ' class="over"' if over is not None and (over[index] or 0) > 0 else ""
        rows.append(f"<tr{css}>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def html_bytes(title: str, lines: Sequence[str], tables: Mapping[str, pl.DataFrame]) -> bytes:
    """A page with ``lines`` (reconciliation, warnings) and one section per table."""
    sections = [
        f"<h2>{escape(name)} ({frame.height:,} rows)</h2>{_table_html(frame)}"
        for name, frame in tables.items()
    ]
    body = "".join(f"<p>{escape(line)}</p>" for line in lines) + "".join(sections)
    page = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head>"
        f"<body><h1>{escape(title)}</h1>{body}</body></html>\n"
    )
    return page.encode("utf-8")
