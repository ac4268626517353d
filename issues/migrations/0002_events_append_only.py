"""On PostgreSQL the database itself refuses to change or remove a timeline event."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION issues_issueevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'issue events are append-only';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER issues_issueevent_append_only
    BEFORE UPDATE OR DELETE ON issues_issueevent
    FOR EACH ROW EXECUTE FUNCTION issues_issueevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS issues_issueevent_append_only ON issues_issueevent;
DROP FUNCTION IF EXISTS issues_issueevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("issues", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
