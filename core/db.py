"""Database pieces: what a migration can use, and the bulk insert of many new rows."""

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


def _plain_fields() -> frozenset:
    from django.db import models

    return frozenset(
        {
            models.CharField,
            models.TextField,
            models.DecimalField,
            models.IntegerField,
            models.PositiveIntegerField,
            models.PositiveSmallIntegerField,
            models.SmallIntegerField,
            models.BigIntegerField,
            models.BooleanField,
            models.DateField,
            models.DateTimeField,
        }
    )


_PLAIN_FIELDS = _plain_fields()


def bulk_insert(model, objects: list) -> list:
    """Insert ``objects`` (new, unsaved instances of ``model``) at once and give each its id,
    as ``bulk_create`` does (no ``save()``, no signals; the database checks the constraints).

    On PostgreSQL by ``COPY … FROM STDIN``, their ids drawn from the table's sequence first:
    for the thousands of rows of an import, Django's ``INSERT`` spends more time preparing
    each field of each row as a parameter and the driver converting the statement than the
    database spends writing them. The values of plain fields (text, numbers, dates, booleans,
    foreign keys' ids) go to the driver as they are, which adapts them as it would their
    ``get_db_prep_save`` (that, for every field of every row, would cost as much again); any
    other field's value is prepared by its field. The ``COPY`` goes to the driver directly: Django's
    query log (``CaptureQueriesContext``) sees only the ids drawn. Elsewhere ``bulk_create``."""
    from django.db import connections, models, router

    if not objects:
        return objects
    alias = router.db_for_write(model)
    connection = connections[alias]
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objects, batch_size=500)
    meta = model._meta
    fields = [field for field in meta.concrete_fields if field is not meta.pk]
    plain = [
        type(field) in _PLAIN_FIELDS or isinstance(field, models.ForeignKey) for field in fields
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(column) for column in [meta.pk.column, *(f.column for f in fields)])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [meta.db_table, meta.pk.column, len(objects)],
        )
        for instance, (pk,) in zip(objects, cursor.fetchall(), strict=True):
            instance.pk = pk
        with cursor.cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy:
            for instance in objects:
                row = [instance.pk]
                for field, as_it_is in zip(fields, plain, strict=True):
                    value = field.pre_save(instance, True)
                    row.append(value if as_it_is else field.get_db_prep_save(value, connection))
                copy.write_row(row)
    for instance in objects:
        instance._state.adding = False
        instance._state.db = alias
    return objects
