from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies: list = []

    operations = [
        migrations.CreateModel(
            name="Heartbeat",
            fields=[
                (
                    "process",
                    models.CharField(
                        choices=[("beat", "定时调度（beat）"), ("worker", "后台任务（worker）")],
                        max_length=20,
                        primary_key=True,
                        serialize=False,
                        verbose_name="进程",
                    ),
                ),
                ("at", models.DateTimeField(verbose_name="时间")),
            ],
            options={"verbose_name": "心跳", "verbose_name_plural": "心跳"},
        ),
    ]
