"""一通报、两约谈 per task and 受理超时 (README "困难问题与碰头会").

A notice carries its number within its ticket (existing notices are numbered by date, so
a ticket notified in two overdue spells has notices 1 and 2), an interview the rule that made
it (every existing one was made by the per-unit window rule) and, per task, its ticket; a
ticket carries the day it was marked 受理超时.
"""

import django.db.models.deletion
from django.db import migrations, models


def number_notices(apps, schema_editor):
    Notice = apps.get_model("issues", "Notice")
    previous, sequence = None, 0
    for pk, issue_id in Notice.objects.order_by("issue_id", "issued_on", "pk").values_list(
        "pk", "issue_id"
    ):
        sequence = sequence + 1 if issue_id == previous else 1
        previous = issue_id
        if sequence > 1:
            Notice.objects.filter(pk=pk).update(sequence=sequence)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0002_reference_data"),
        ("issues", "0003_event_kind_match"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="notice",
            name="notice_once_per_overdue_spell",
        ),
        migrations.AddField(
            model_name="interview",
            name="issue",
            field=models.ForeignKey(
                blank=True,
                help_text="按同一任务通报次数约谈时的问题。",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="interviews",
                to="issues.issue",
                verbose_name="所涉问题",
            ),
        ),
        migrations.AddField(
            model_name="interview",
            name="rule",
            field=models.CharField(
                choices=[
                    ("task", "同一任务多次通报未完成"),
                    ("unit_window", "单位一定时期内多次被通报"),
                ],
                default="unit_window",
                max_length=12,
                verbose_name="约谈依据",
            ),
        ),
        migrations.AddField(
            model_name="issue",
            name="accept_overdue_since",
            field=models.DateField(
                blank=True,
                help_text="上报或上提后超过受理时限仍未受理，由每日巡检标记；受理、上提或不予受理后清除。",
                null=True,
                verbose_name="受理超时起始日",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="sequence",
            field=models.PositiveSmallIntegerField(
                default=1,
                help_text="同一问题的通报依次编号，上提后接着计数。",
                verbose_name="第几次通报",
            ),
        ),
        migrations.RunPython(number_notices, migrations.RunPython.noop, elidable=False),
        migrations.AlterField(
            model_name="interview",
            name="notice_count",
            field=models.PositiveSmallIntegerField(verbose_name="通报次数"),
        ),
        migrations.AlterField(
            model_name="issueevent",
            name="kind",
            field=models.CharField(
                choices=[
                    ("report", "上报"),
                    ("accept", "受理"),
                    ("assign", "交办"),
                    ("start", "开始办理"),
                    ("note", "进展反馈"),
                    ("resolve", "办结"),
                    ("confirm", "确认满意"),
                    ("close", "销号"),
                    ("return", "退回重办"),
                    ("escalate", "上提"),
                    ("reject", "不予受理"),
                    ("remind", "到期提醒"),
                    ("overdue", "逾期"),
                    ("accept_overdue", "受理超时"),
                    ("notice", "通报"),
                    ("decision", "会商意见"),
                    ("match", "匹配项目"),
                ],
                max_length=16,
                verbose_name="事项",
            ),
        ),
        migrations.AddIndex(
            model_name="notice",
            index=models.Index(fields=["unit", "issued_on"], name="notice_unit_issued"),
        ),
        migrations.AddConstraint(
            model_name="interview",
            constraint=models.UniqueConstraint(
                condition=models.Q(("issue__isnull", False)),
                fields=("issue", "kind"),
                name="interview_once_per_task_and_kind",
            ),
        ),
        migrations.AddConstraint(
            model_name="interview",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("issue__isnull", False), ("rule", "task")),
                    models.Q(("issue__isnull", True), ("rule", "unit_window")),
                    _connector="OR",
                ),
                name="interview_task_rule_names_its_issue",
            ),
        ),
        migrations.AddConstraint(
            model_name="notice",
            constraint=models.UniqueConstraint(
                fields=("issue", "sequence"), name="notice_sequence_once"
            ),
        ),
    ]
