from django.db import migrations


def load_templates(apps, schema_editor):
    from schedule import shipped

    shipped.load(apps)


class Migration(migrations.Migration):
    dependencies = [("schedule", "0001_initial")]

    operations = [migrations.RunPython(load_templates, migrations.RunPython.noop)]
