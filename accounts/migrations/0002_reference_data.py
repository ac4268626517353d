from django.db import migrations


def load_reference_data(apps, schema_editor):
    from accounts.reference_data import load

    load(
        apps.get_model("accounts", "Region"),
        apps.get_model("accounts", "Unit"),
        apps.get_model("accounts", "Role"),
    )


class Migration(migrations.Migration):
    """Jiangsu's regions (GB/T 2260), provincial departments, an office per city and county,
    and the roles of SPEC §2."""

    dependencies = [("accounts", "0001_initial")]

    operations = [migrations.RunPython(load_reference_data, migrations.RunPython.noop)]
