"""Spells (外出, 失联, 停止党籍) change a member's figures for the days they cover:
a statement touching spells raises the counter of every branch the members
belonged to, as 0002's triggers do for memberships and members."""

from django.db import migrations

BUMP = (
    "INSERT INTO reports_memberstamp (branch_id, version) {rows} "
    "ON CONFLICT (branch_id) DO UPDATE SET version = reports_memberstamp.version + 1"
)
OF_MEMBERS = (
    "SELECT DISTINCT m.branch_id, 1 FROM members_membership m "
    "JOIN ({touched}) AS t ON t.member_id = m.member_id ORDER BY 1"
)
POSTGRES = [
    f"""
    CREATE FUNCTION reports_stamp_spells() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        {BUMP.format(rows=OF_MEMBERS.format(touched="SELECT member_id FROM new_rows"))};
      ELSIF TG_OP = 'DELETE' THEN
        {BUMP.format(rows=OF_MEMBERS.format(touched="SELECT member_id FROM old_rows"))};
      ELSE
        {BUMP.format(rows=OF_MEMBERS.format(touched="SELECT member_id FROM new_rows UNION SELECT member_id FROM old_rows"))};
      END IF;
      RETURN NULL;
    END $$;
    """,
    "CREATE TRIGGER reports_stamp_spell_insert AFTER INSERT ON members_spell "
    "REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_stamp_spells()",
    "CREATE TRIGGER reports_stamp_spell_update AFTER UPDATE ON members_spell "
    "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows "
    "FOR EACH STATEMENT EXECUTE FUNCTION reports_stamp_spells()",
    "CREATE TRIGGER reports_stamp_spell_delete AFTER DELETE ON members_spell "
    "REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION reports_stamp_spells()",
]
POSTGRES_REVERSE = [
    "DROP TRIGGER reports_stamp_spell_delete ON members_spell",
    "DROP TRIGGER reports_stamp_spell_update ON members_spell",
    "DROP TRIGGER reports_stamp_spell_insert ON members_spell",
    "DROP FUNCTION reports_stamp_spells()",
]
# "WHERE true": SQLite needs it to read ON CONFLICT after INSERT … SELECT as the upsert.
ROW = "SELECT DISTINCT branch_id, 1 FROM members_membership WHERE member_id = {side}.member_id AND true"
SQLITE = [
    f"""CREATE TRIGGER reports_stamp_spell_insert AFTER INSERT ON members_spell
    BEGIN {BUMP.format(rows=ROW.format(side="NEW"))}; END""",
    f"""CREATE TRIGGER reports_stamp_spell_update AFTER UPDATE ON members_spell
    BEGIN {BUMP.format(rows=ROW.format(side="NEW"))}; END""",
    f"""CREATE TRIGGER reports_stamp_spell_delete AFTER DELETE ON members_spell
    BEGIN {BUMP.format(rows=ROW.format(side="OLD"))}; END""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER reports_stamp_spell_delete",
    "DROP TRIGGER reports_stamp_spell_update",
    "DROP TRIGGER reports_stamp_spell_insert",
]


def create_triggers(apps, schema_editor):
    statements = POSTGRES if schema_editor.connection.vendor == "postgresql" else SQLITE
    for statement in statements:
        schema_editor.execute(statement)


def drop_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in POSTGRES_REVERSE if vendor == "postgresql" else SQLITE_REVERSE:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("members", "0016_spells"), ("reports", "0002_member_figures")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
