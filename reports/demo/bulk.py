"""Bulk writes of the demo at city scale, on PostgreSQL: rows through ``COPY`` and the
foreign keys of the largest tables checked once, after the load, instead of row by row.

Elsewhere (SQLite) both fall back to what Django does: ``bulk_create`` and keys
checked as the database always checks them.
"""

from __future__ import annotations

from contextlib import contextmanager

from django.db import connection, models

from branches.pg_copy import copy_insert


@contextmanager
def keys_checked_once(tables):
    """On PostgreSQL, the tables' foreign keys dropped for the bulk load and added back.

    Deferred, each key of each of some two million rows is checked by its own
    trigger at commit (a minute at city scale); added back, each key checks every
    row in one join. ALTER TABLE refuses tables with checks still pending, so the
    seed's pending checks run first, as they would have at commit. A load that
    fails rolls the whole seed back, the dropped keys with it (DDL is transactional).
    """
    if connection.vendor != "postgresql":
        yield
        return
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        keys = []
        for model in tables:
            table = quote(model._meta.db_table)
            cursor.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                [model._meta.db_table],
            )
            for name, definition in cursor.fetchall():
                keys.append((table, quote(name), definition))
                cursor.execute(f"ALTER TABLE {table} DROP CONSTRAINT {quote(name)}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        yield
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, definition in keys:
            cursor.execute(f"ALTER TABLE {table} ADD CONSTRAINT {name} {definition}")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def insert_rows(model, names: list[str], rows: list[tuple]) -> None:
    """Write *rows* (values of the fields *names*, attnames for relations): on PostgreSQL
    through ``COPY`` (a township's rows, a few MB of CSV), elsewhere ``bulk_create``."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        objs = [model(**dict(zip(names, row, strict=True))) for row in rows]
        # A plain queryset: COPY writes no audit history either, on either database.
        models.QuerySet(model).bulk_create(objs, batch_size=2000)
        return
    # Straight into the table: a staged copy (branches.pg_copy.staged) would write every
    # row twice.
    with connection.cursor() as cursor:
        copy_insert(cursor, model, names, rows)
