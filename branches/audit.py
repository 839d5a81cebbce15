"""The audit trail: who changed what people enter, when, with old and new values.

django-simple-history keeps a full snapshot per change (the previous
snapshot gives the old values) and works the same on SQLite and PostgreSQL;
trigger-based libraries do not run on SQLite. It records through model
signals, which bulk writes bypass, so every audited model uses
``AuditedQuerySet``: its ``bulk_create`` and ``bulk_update`` record history
rows too (and so do ``copy_create`` and ``copy_update``, their PostgreSQL
``COPY`` counterparts for tens of thousands of rows), and its ``update()``
refuses, because a silent unaudited write is worse than an error. Derived fields (paths, counters) are written with
``update_derived``; demo seeding passes ``audit=False``.

Who made a change comes from the request (``HistoryRequestMiddleware``) or,
for commands and imports, from ``acting_as(user)``.
"""

from __future__ import annotations

from collections.abc import Iterable
from contextlib import contextmanager
from contextvars import ContextVar
from operator import itemgetter

from django.db import connections, models, transaction
from django.utils import timezone
from django.utils.text import format_lazy
from simple_history.models import HistoricalRecords

from branches.pg_copy import staged, text_fields

_actor: ContextVar = ContextVar("audit_actor", default=None)
_reason: ContextVar = ContextVar("audit_reason", default="")


@contextmanager
def acting_as(user, reason: str = ""):
    """Attribute changes made inside the block (commands, imports) to *user*, with *reason*."""
    tokens = _actor.set(user), _reason.set(reason)
    try:
        yield
    finally:
        _actor.reset(tokens[0])
        _reason.reset(tokens[1])


def history_user(instance=None, request=None, **kwargs):
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return _actor.get()


class AuditedRecords(HistoricalRecords):
    """simple-history's records, taking the reason of an ``acting_as`` block by default."""

    def get_change_reason_for_object(self, instance, history_type, using):
        reason = super().get_change_reason_for_object(instance, history_type, using)
        return reason or _reason.get()[:100] or None

    def get_meta_options(self, model):
        # simple-history names the history model "historical <name>" outside any
        # catalogue; the admin shows it in breadcrumbs and the permission lists.
        options = super().get_meta_options(model)
        options["verbose_name"] = format_lazy("{}（历史版本）", model._meta.verbose_name)
        options["verbose_name_plural"] = format_lazy(
            "{}（历史版本）", model._meta.verbose_name_plural
        )
        return options


def audit_history(**kwargs) -> HistoricalRecords:
    """``HistoricalRecords`` as every audited model of the project declares it."""
    return AuditedRecords(get_user=history_user, **kwargs)


def pk_batches(connection, pks: list):
    """``(condition, params)`` pairs selecting *pks*: ``IN`` lists, or one array on PostgreSQL.

    SQLite limits the number of parameters; PostgreSQL takes an array of any
    length as one parameter, so 70,000 rows are one statement instead of 35.
    """
    if connection.vendor == "postgresql":
        yield "= ANY(%s)", [list(pks)]
        return
    for start in range(0, len(pks), 2000):
        chunk = pks[start : start + 2000]
        yield f"IN ({', '.join(['%s'] * len(chunk))})", chunk


def _default(field, now):
    """What a new instance would hold in *field* when not given (see ``copy_create``)."""
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    if field.has_default() and callable(field.default):
        # Would differ per instance; one value for every row would be wrong.
        raise TypeError(f"copy_create does not support {field.name}'s callable default")
    return field.get_default()


class AuditedQuerySet(models.QuerySet):
    # Fields that are derived from others and written without history.
    derived_fields: frozenset[str] = frozenset()

    def bulk_create(self, objs, *args, audit: bool = True, **kwargs):
        objs = super().bulk_create(objs, *args, **kwargs)
        if audit:
            self._record_history([o.pk for o in objs], "+")
        return objs

    def bulk_update(self, objs, fields, *args, **kwargs):
        objs = list(objs)
        # Django's bulk_update ends in QuerySet.update(), which this class
        # refuses; run it on a plain queryset and record the history here.
        plain = models.QuerySet(self.model, using=self.db)
        updated = plain.bulk_update(objs, fields, *args, **kwargs)
        self._record_history([o.pk for o in objs], "~")
        return updated

    def copy_create(self, rows: Iterable[dict]) -> list:
        """``bulk_create`` on PostgreSQL through ``COPY``, with history; the new pks.

        Each row maps field names (or a relation's attname) to Python values,
        as a model's constructor takes them; fields left out get their defaults,
        ``auto_now`` fields the current time. The rows go through a temporary
        table into one ``INSERT … SELECT``, in order: no model instance and no
        per-value preparation in Python. All or nothing, like ``bulk_create``.
        """
        fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        now = timezone.now()
        defaults = {f.name: _default(f, now) for f in fields}
        for f in fields:
            if f.attname != f.name:
                defaults[f.attname] = None  # accepted as a key, read through its field
        # C-level merging and picking: this runs for each of tens of thousands of rows.
        pick = itemgetter(*(f.name for f in fields))
        relations = [i for i, f in enumerate(fields, start=1) if f.is_relation]
        known = defaults.keys()

        def values():
            for order, row in enumerate(rows):
                if not row.keys() <= known:
                    raise TypeError(f"not fields of {self.model.__name__}: {row.keys() - known}")
                merged = {**defaults, **row}
                out = [order, *pick(merged)]
                for i in relations:
                    field = fields[i - 1]
                    if field.attname in row:
                        out[i] = row[field.attname]
                    elif isinstance(out[i], models.Model):
                        out[i] = out[i].pk
                yield out

        with self._staged(fields, values()) as (cursor, stage, listed, table, pk):
            cursor.execute(
                f"INSERT INTO {table} ({listed}) SELECT {listed} FROM {stage} "
                f"ORDER BY ord RETURNING {pk}"
            )
            pks = [pk for (pk,) in cursor.fetchall()]
            self._record_history(pks, "+")
        return pks

    def copy_update(self, objs: list, fields: list[str]) -> int:
        """``bulk_update`` on PostgreSQL through ``COPY``, with history.

        The objects' *fields* go through a temporary table into one
        ``UPDATE … FROM`` instead of a ``CASE`` per thousand rows. Each object
        once: of two rows for one pk, PostgreSQL would apply either.
        """
        meta = self.model._meta
        written = [meta.get_field(name) for name in fields]
        rows = (
            [order, obj.pk, *(getattr(obj, f.attname) for f in written)]
            for order, obj in enumerate(objs)
        )
        quote = connections[self.db].ops.quote_name
        sets = ", ".join(f"{quote(f.column)} = s.{quote(f.column)}" for f in written)
        with self._staged([meta.pk, *written], rows) as (cursor, stage, _, table, pk):
            cursor.execute(
                f"UPDATE {table} AS t SET {sets} FROM {stage} AS s "
                f"WHERE t.{pk} = s.{pk} RETURNING t.{pk}"
            )
            pks = [pk for (pk,) in cursor.fetchall()]
            self._record_history(pks, "~")
        return len(pks)

    @contextmanager
    def _staged(self, fields, rows):
        """A cursor and the *rows* of *fields* staged for one statement, in a transaction."""
        connection = connections[self.db]
        quote = connection.ops.quote_name
        columns = [f.column for f in fields]
        not_null = [f.column for f in text_fields(fields)]
        table = self.model._meta.db_table
        with (
            transaction.atomic(using=self.db),
            connection.cursor() as cursor,
            staged(cursor, table=table, columns=columns, rows=rows, not_null=not_null) as stage,
        ):
            listed = ", ".join(quote(c) for c in columns)
            yield cursor, stage, listed, quote(table), quote(self.model._meta.pk.column)

    def _record_history(self, pks: list, history_type: str) -> None:
        """One history row per written row, copied inside the database.

        The same rows simple-history writes, but ``INSERT … SELECT`` from the
        rows just written instead of a model instance per row in Python:
        tens of thousands of rows a second, so a 70,000-row import keeps its
        full audit trail.
        """
        if not pks:
            return
        connection = connections[self.db]
        quote = connection.ops.quote_name
        pk = quote(self.model._meta.pk.column)
        insert, history = self._history_insert(history_type)
        with connection.cursor() as cursor:
            for condition, params in pk_batches(connection, pks):
                cursor.execute(
                    f"{insert} FROM {quote(self.model._meta.db_table)} "
                    f"WHERE {pk} {condition} ORDER BY {pk}",
                    [*history, *params],
                )

    def _history_insert(self, history_type: str) -> tuple[str, list]:
        """``INSERT INTO <history> (…) SELECT …`` of history rows, to be completed by
        ``FROM`` the written rows (a table, or a ``WITH`` of the statement that wrote
        them); its parameters: when, why, how and by whom."""
        history = self.model.history.model
        connection = connections[self.db]
        quote = connection.ops.quote_name
        columns = [
            f.column for f in history._meta.concrete_fields if not f.name.startswith("history_")
        ]
        user = history.get_default_history_user(self.model())
        now = history._meta.get_field("history_date").get_db_prep_value(timezone.now(), connection)
        extra = ["history_date", "history_change_reason", "history_type", "history_user_id"]
        target = ", ".join(quote(c) for c in columns + extra)
        source = ", ".join(quote(c) for c in columns)
        return (
            f"INSERT INTO {quote(history._meta.db_table)} ({target}) "
            f"SELECT {source}, %s, %s, %s, %s",
            [now, _reason.get()[:100], history_type, user.pk if user else None],
        )

    def bulk_delete(self) -> int:
        """Delete the rows, recording their last state in history, in a few queries.

        For models nothing else points at (attendance rows): no cascade or
        signal is needed, so the rows go in one statement instead of one
        delete signal (and history insert) per row.
        """
        if self.model._meta.related_objects:
            raise TypeError(f"{self.model.__name__} has dependants: use delete()")
        pks = list(self.values_list("pk", flat=True))
        self._record_history(pks, "-")
        connection = connections[self.db]
        quote = connection.ops.quote_name
        table, pk = quote(self.model._meta.db_table), quote(self.model._meta.pk.column)
        deleted = 0
        with connection.cursor() as cursor:
            for start in range(0, len(pks), 2000):
                chunk = pks[start : start + 2000]
                marks = ", ".join(["%s"] * len(chunk))
                cursor.execute(f"DELETE FROM {table} WHERE {pk} IN ({marks})", chunk)
                deleted += cursor.rowcount
        return deleted

    def update(self, **kwargs):
        raise TypeError(
            f"{self.model.__name__} is audited: QuerySet.update() would bypass its history. "
            "Use save(), bulk_update(), or update_derived() for derived fields."
        )

    def update_derived(self, **kwargs) -> int:
        """``update()`` limited to the model's derived fields, which are not audited."""
        undeclared = set(kwargs) - self.derived_fields
        if undeclared:
            raise TypeError(f"not derived fields of {self.model.__name__}: {sorted(undeclared)}")
        return super().update(**kwargs)
