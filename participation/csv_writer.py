"""The one way the platform writes CSV files meant for spreadsheets (exports, statistics, results).

Spreadsheet programs run a cell whose text starts with =, +, -, @ (or a tab or carriage return before
one) as a formula: a proposal titled `=HYPERLINK("http://evil.example","Open")` or a district named
`=cmd|' /C calc'!A0` would run in the city employee's spreadsheet (CSV/formula injection, OWASP). Every
text cell that could start a formula gets a leading apostrophe, which spreadsheets show as text and do
not display; numbers stay numbers. Pabulib `.pb` files are not written here: they are a data format
read by tally programs, whose digest must match the published one byte for byte.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable

# What a spreadsheet may read as the start of a formula, also after leading spaces, and full-width
# forms some spreadsheets normalise (＝ ＋ － ＠).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")


def neutralise(value) -> object:
    """The cell to write: numbers and booleans as they are, None as empty, lists joined with ", ", text
    prefixed with an apostrophe when a spreadsheet would run it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        value = ", ".join(str(v) for v in value)
    text = str(value)
    if text.lstrip(" \u00a0").startswith(FORMULA_START):
        return "'" + text
    return text


def write_csv(header: Iterable[str], rows: Iterable[Iterable]) -> str:
    """A whole CSV document (comma-separated, CRLF line ends as RFC 4180), every cell neutralised."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([neutralise(h) for h in header])
    writer.writerows([neutralise(cell) for cell in row] for row in rows)
    return out.getvalue()
