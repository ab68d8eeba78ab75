"""Make SQLite refuse what PostgreSQL refuses, so tests that throw malformed input at the application find
the same 500s on both databases: text longer than its column (SQLite stores it), integers beyond the
column's type, and NUL bytes in text (PostgreSQL refuses them in any text column)."""
from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import BigInteger, Integer, String, event, inspect
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

INT_RANGE = (-(2**31), 2**31 - 1)
BIGINT_RANGE = (-(2**63), 2**63 - 1)


def _problem(column, value) -> str | None:
    kind = column.type
    if isinstance(value, str):
        if "\x00" in value:
            return "NUL byte in text"
        if isinstance(kind, String) and kind.length and len(value) > kind.length:
            return f"{len(value)} characters for {kind.length}"
    if isinstance(value, int) and not isinstance(value, bool) and isinstance(kind, Integer):
        low, high = BIGINT_RANGE if isinstance(kind, BigInteger) else INT_RANGE
        if not low <= value <= high:
            return f"{value} out of the column's integer range"
    return None


def _check_flush(session, flush_context, instances) -> None:
    for obj in list(session.new) + list(session.dirty):
        mapper = inspect(obj).mapper
        for attr in mapper.column_attrs:
            for column in attr.columns:
                if getattr(column, "table", None) is None:
                    continue
                problem = _problem(column, getattr(obj, attr.key, None))
                if problem:
                    raise DataError(f"{column.table.name}.{column.name}: {problem}", None,
                                    ValueError(problem))


@contextmanager
def strict_columns():
    """Within the block, every ORM flush checks what PostgreSQL would refuse (a DataError, as there)."""
    event.listen(Session, "before_flush", _check_flush)
    try:
        yield
    finally:
        event.remove(Session, "before_flush", _check_flush)
