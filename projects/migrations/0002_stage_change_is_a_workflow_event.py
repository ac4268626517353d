"""A stage change is a workflow event like every other: the same actor, time and comment
fields (``by`` → ``actor``, ``reason`` → ``comment``), append-only in the database."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from core.db import append_only


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RenameField(model_name="stagechange", old_name="by", new_name="actor"),
        migrations.AlterField(
            model_name="stagechange",
            name="actor",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
                verbose_name="操作人",
            ),
        ),
        migrations.RenameField(model_name="stagechange", old_name="reason", new_name="comment"),
        migrations.AlterField(
            model_name="stagechange",
            name="comment",
            field=models.TextField(blank=True, verbose_name="说明"),
        ),
        migrations.AlterField(
            model_name="stagechange",
            name="at",
            field=models.DateTimeField(default=django.utils.timezone.now, verbose_name="时间"),
        ),
        migrations.AlterField(
            model_name="stagechange",
            name="project",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.PROTECT,
                related_name="stage_changes",
                to="projects.project",
                verbose_name="项目",
            ),
        ),
        append_only("projects_stagechange"),
    ]
