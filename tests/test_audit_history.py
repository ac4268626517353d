"""Every business model keeps a change history (django-simple-history), so every create, update
and delete of business data is in the audit trail. A model of ours without one must be an
append-only log (an event table: it is its own history) or be named below with the reason."""

from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from core.models import ImmutableModel

#: models of ours that keep no change history, and why
EXEMPT = {
    "projects.libraryrollover": "年度滚动的确认记录：每个项目的调整各记入项目的变更记录",
    "schedule.projectschedule": "计算结果：由关键节点（有变更记录）每次变更和每晚重新计算",
    "progress.filingreminder": "提醒发送记录：只由每日任务新增，本身就是日志",
    "progress.progressimport": "导入任务的进度：导入写入的月度进展各有变更记录",
    "reports.report": "生成的文档：请求、生成、印发每一步都记入 ReportEvent（只增不改）",
    "core.pendingrun": "待完成的重算任务标记：运行结束即删除，只供恢复中断的后台任务",
    "core.exportjob": "后台导出任务：文件按保留期自动删除，导出的数据本身各有变更记录",
    "notify.notification": "发给个人的通知：本身就是消息记录",
    "notify.delivery": "通知投递记录（日志）",
    "webhooks.delivery": "推送投递记录（日志）",
    "webhooks.attempt": "推送尝试记录（日志）",
    "accounts.passwordhistory": "历史密码哈希：只新增、按条数淘汰，本身就是记录",
    "accounts.usersession": "会话登记：登录、退出、结束会话已记入审计",
    "accounts.tokenexpiry": "令牌有效期：创建、吊销已通过 token_created/token_revoked 记入审计",
    "accounts.lockout": "登录锁定：锁定和解锁已通过 user_locked_out/account_unlocked 记入审计",
    "health.heartbeat": "定时调度和后台任务的心跳时间：每分钟覆盖，只供健康检查",
}

_OURS = Path(settings.BASE_DIR).resolve()


def _our_models():
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        # installed packages live under the project too when a virtualenv is kept there
        # (.venv, .venv313): ours are the apps outside any site-packages
        if not path.is_relative_to(_OURS) or "site-packages" in path.parts:
            continue
        for model in config.get_models():
            if model._meta.proxy or not model._meta.managed:
                continue
            if hasattr(model, "instance_type"):  # a history table itself
                continue
            yield model


def _has_history(model) -> bool:
    return getattr(model._meta, "simple_history_manager_attribute", None) is not None


def test_every_business_model_keeps_a_change_history():
    missing = [
        model._meta.label_lower
        for model in _our_models()
        if not _has_history(model)
        and not issubclass(model, ImmutableModel)
        and model._meta.label_lower not in EXEMPT
    ]
    assert missing == [], (
        "这些模型没有变更记录：加上 history = HistoricalRecords()，"
        "或在 EXEMPT 中写明理由：" + ", ".join(missing)
    )


def test_the_exemptions_name_real_models_without_history():
    ours = {model._meta.label_lower: model for model in _our_models()}
    stale = [label for label in EXEMPT if label not in ours or _has_history(ours[label])]
    assert stale == []


@pytest.mark.parametrize(
    "label",
    [
        "funding.fundingrecord",
        "funding.quota",
        "funding.financingmatch",
        "indicators.target",
        "accounts.unit",
        "accounts.user",
        "accounts.role",
        "approvals.approval",
        "projects.project",
        "schedule.milestone",
    ],
)
def test_the_models_the_issue_names_keep_history(label):
    assert _has_history(apps.get_model(label))


def test_a_users_history_keeps_no_password():
    historical = apps.get_model("accounts.user").history.model
    fields = {field.name for field in historical._meta.fields}
    assert "password" not in fields and "username" in fields
