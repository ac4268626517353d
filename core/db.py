"""Database pieces a migration can use."""

from django.db import migrations


def append_only(*tables: str) -> migrations.RunPython:
    """A migration operation: on PostgreSQL, a trigger refuses every UPDATE and DELETE of the
    rows of ``tables`` (the event tables), whoever runs the statement. Other databases rely on
    :class:`core.models.ImmutableModel`."""

    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(
                f"""
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '{table} rows are append-only';
END;
$$ LANGUAGE plpgsql;
DROP TRIGGER IF EXISTS {table}_append_only ON {table};
CREATE TRIGGER {table}_append_only
    BEFORE UPDATE OR DELETE ON {table}
    FOR EACH ROW EXECUTE FUNCTION {table}_append_only();
"""
            )

    def backwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for table in tables:
            schema_editor.execute(
                f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
                f"DROP FUNCTION IF EXISTS {table}_append_only();"
            )

    return migrations.RunPython(forwards, backwards, elidable=False)
