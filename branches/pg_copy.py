"""PostgreSQL's ``COPY`` for writes of tens of thousands of rows at once.

A multi-row ``INSERT`` through the ORM spends most of its time preparing
parameters in Python and parsing a statement of a million placeholders on the
server; ``COPY`` streams the rows as CSV instead, and a set-based statement
then moves them from a temporary table into their own. Used by
``branches.audit.AuditedQuerySet.copy_create`` / ``copy_update``, so the audit
history is written from the same rows, in SQL.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from itertools import islice

from django.db import models

# Columns whose Python values CSV writes as PostgreSQL reads them (str() of the value).
COPYABLE = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


def text_fields(fields: Iterable[models.Field]) -> list[models.Field]:
    """The text columns: CSV cannot tell their "" from NULL unaided (FORCE_NOT_NULL does)."""
    fields = list(fields)
    refused = [f.name for f in fields if f.get_internal_type() not in COPYABLE]
    refused += [f.name for f in fields if f.empty_strings_allowed and f.null]  # "" or NULL?
    if refused:
        raise TypeError(f"cannot be written through COPY: {', '.join(refused)}")
    return [f for f in fields if f.empty_strings_allowed]


@contextmanager
def staged(cursor, *, table: str, columns: list[str], rows: Iterable[list], not_null: list[str]):
    """A temporary table of *columns* (typed as in *table*) holding *rows*, in order.

    Each row is ``[ord, value, …]``: ``ord`` keeps the rows' order for the
    statement that reads them. The table is dropped when the block ends,
    and on commit or rollback whatever happens, so none is left for the next
    write on a pooled connection. Values are the fields' Python values
    (str, int, bool, date, datetime, Decimal, None for NULL); *not_null* names
    the text columns whose empty strings must stay empty strings.
    """
    quote = cursor.db.ops.quote_name
    # Temporary tables belong to their connection, which stages one write at a time.
    name = "copy_stage"
    listed = ", ".join(quote(c) for c in columns)
    cursor.execute(f"DROP TABLE IF EXISTS {name}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {name} ON COMMIT DROP AS "
        f"SELECT 0 AS ord, {listed} FROM {quote(table)} WITH NO DATA"
    )
    force = f", FORCE_NOT_NULL ({', '.join(quote(c) for c in not_null)})" if not_null else ""
    cursor.cursor.copy_expert(
        f"COPY {name} (ord, {listed}) FROM STDIN WITH (FORMAT csv{force})",
        _CsvStream(rows),
        size=1 << 16,
    )
    yield name
    # Not on an error: the transaction is aborted then, and its rollback drops the table.
    cursor.execute(f"DROP TABLE {name}")


def copy_insert(cursor, model, names: list[str], rows: Iterable[tuple]) -> None:
    """*rows* (values of the fields *names*, attnames for relations) straight into
    *model*'s table through ``COPY``: no staging table, no history (for derived or
    demo rows that keep none), no ids returned. PostgreSQL only. The statement does
    not pass through Django's cursor wrapper, so the tests' query counts miss it."""
    fields = [model._meta.get_field(name) for name in names]
    quote = cursor.db.ops.quote_name
    listed = ", ".join(quote(f.column) for f in fields)
    not_null = ", ".join(quote(f.column) for f in text_fields(fields))
    force = f", FORCE_NOT_NULL ({not_null})" if not_null else ""
    cursor.cursor.copy_expert(
        f"COPY {quote(model._meta.db_table)} ({listed}) FROM STDIN WITH (FORMAT csv{force})",
        _CsvStream(rows),
        size=1 << 16,
    )


class _CsvStream(io.TextIOBase):
    """The rows as CSV, written a few thousand rows at a time as COPY reads them.

    Never the whole file in memory: 70,000 members would be another ~30 MB.
    """

    def __init__(self, rows: Iterable[list]) -> None:
        self._rows: Iterator[list] = iter(rows)
        self._buffer = io.StringIO()
        self._writer = csv.writer(self._buffer, lineterminator="\n")
        self._pending, self._at = "", 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        """Up to *size* characters ("" at the end); copy_expert always gives a size."""
        if self._at >= len(self._pending):
            self._pending, self._at = self._next_chunk(), 0
        end = len(self._pending) if size < 0 else self._at + size
        out = self._pending[self._at : end]
        self._at += len(out)
        return out

    def readline(self, size: int = -1) -> str:  # copy_expert only calls read()
        raise io.UnsupportedOperation

    def _next_chunk(self) -> str:
        buffer = self._buffer
        buffer.seek(0)
        buffer.truncate()
        self._writer.writerows(islice(self._rows, 2000))
        return buffer.getvalue()
