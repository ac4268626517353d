"""Room on each page of the projects' schedule summaries (PostgreSQL): every summary is
rewritten each night and on each calendar change, and with the pages full each new version
went to a new page, with a new entry in each of the table's indexes for every project — the
most of ``recompute_all``'s time spent storing. With room left, a summary's new version stays on
its page (a heap-only update) while its indexed columns are unchanged."""

from django.db import migrations

FILLFACTOR = 70


def leave_room(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"ALTER TABLE schedule_projectschedule SET (fillfactor = {FILLFACTOR})"
        )


def fill_pages(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("ALTER TABLE schedule_projectschedule RESET (fillfactor)")


class Migration(migrations.Migration):
    dependencies = [("schedule", "0005_history")]

    operations = [migrations.RunPython(leave_room, fill_pages, elidable=False)]
