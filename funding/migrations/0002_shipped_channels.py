from django.db import migrations


def load(apps, schema_editor):
    from funding import shipped

    shipped.load(apps)


class Migration(migrations.Migration):
    dependencies = [("funding", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
