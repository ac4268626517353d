"""The audit table's trigger: append-only like the event tables (:func:`core.db.append_only`),
with one controlled way out for the retention purge.

On PostgreSQL every UPDATE is refused. A DELETE is refused too, unless the transaction has named
a cut-off with ``SELECT set_config('audit.purge_before', <timestamp>, true)`` (local to the
transaction, as :func:`audit.services.purge` does) and the row is older than that cut-off *and*
older than 180 days by the database's own clock — so no session, whatever it sets, can remove a
row younger than the shortest retention. Other databases rely on
:class:`core.models.ImmutableModel` alone."""

from django.db import migrations

MIN_DAYS = 180


def append_only_but_purge(table: str) -> migrations.RunPython:
    def forwards(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        schema_editor.execute(
            f"""
CREATE OR REPLACE FUNCTION {table}_append_only() RETURNS trigger AS $$
DECLARE
    purge_before text := current_setting('audit.purge_before', true);
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(purge_before, '') <> ''
       AND OLD.at < purge_before::timestamptz
       AND OLD.at < now() - interval '{MIN_DAYS} days' THEN
        RETURN OLD;
    END IF;
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
        schema_editor.execute(
            f"DROP TRIGGER IF EXISTS {table}_append_only ON {table};"
            f"DROP FUNCTION IF EXISTS {table}_append_only();"
        )

    return migrations.RunPython(forwards, backwards, elidable=False)
