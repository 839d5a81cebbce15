"""A trigram index on the member's name, for the admin's search by part of a name
(issue 19): PostgreSQL's pg_trgm serves ``name LIKE '%…%'`` from a GIN index
instead of reading the whole roster. Nothing happens on SQLite (tests and trying
the app), which has no such index; the model state is the same on both, so the
index is not declared on the model.

Plain ``name``, not ``UPPER(name)``: the admin compares names with LIKE when the
term has no letter case (``members.admin.MemberAdmin``), as Chinese names have
none. The index serves terms of three characters or more; pg_trgm extracts
nothing from shorter ones, which read the table as before (without UPPER()).
"""

from django.db import migrations

INDEX = "member_name_trgm"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    table = schema_editor.quote_name(apps.get_model("members", "Member")._meta.db_table)
    # pg_trgm is a trusted extension: the database's owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table} USING gin (name gin_trgm_ops)"
    )


def drop_index(apps, schema_editor):
    # The extension stays: other objects of the database may use it; it costs nothing.
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("members", "0012_ways_of_leaving")]

    # Not django.contrib.postgres' TrigramExtension: going back it asks SQLite for
    # pg_extension.
    operations = [migrations.RunPython(create_index, drop_index)]
