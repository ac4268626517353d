"""The top navigation, per role: each person is offered only the pages their roles can use
(nobody is offered a page that then refuses them or can only be empty for them)."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from accounts.duties import uses_admin_site
from accounts.models import Role

R = Role.Code
OFFICE = frozenset({R.OFFICE_STAFF, R.SYSTEM_ADMIN})
GOVERNMENT = OFFICE | {R.LEADER}
FILING = GOVERNMENT | {R.COUNTY_FILER}


@dataclass(frozen=True)
class Item:
    label: str
    url_name: str
    #: the roles that use the page; None: everyone signed in
    roles: frozenset[str] | None = None
    #: the app (or url-name part) that marks the entry current
    app: str = ""
    url_part: str = ""
    without: str = ""
    #: only the roles, a superuser included (三权分立: the audit trail is the auditor's alone)
    strict: bool = False


ITEMS = (
    Item(_("驾驶舱"), "home", GOVERNMENT, app="cockpit"),
    Item(_("我的待办"), "todo:list", app="todo"),
    Item(_("项目库"), "projects:list", app="projects"),
    Item(_("困难问题"), "issues:board", app="issues", without="meeting"),
    Item(_("碰头会"), "issues:meetings", GOVERNMENT | {R.DEPARTMENT_LIAISON}, "issues", "meeting"),
    Item(_("要素审批"), "approvals:board", app="approvals"),
    Item(_("资金保障"), "funding:dashboard", FILING, "funding"),
    Item(_("月度调度"), "progress:index", FILING, "progress"),
    Item(_("走访服务"), "fieldservice:list", FILING, "fieldservice"),
    Item(_("指标"), "indicators:dashboard", FILING | {R.DEPARTMENT_LIAISON}, "indicators"),
    Item(_("报告简报"), "reports:list", FILING | {R.DEPARTMENT_LIAISON}, "reports"),
    Item(_("节点模板"), "schedule:templates", OFFICE, "schedule"),
    Item(_("Webhook"), "webhooks:list", OFFICE, "webhooks"),
    Item(_("接口文档"), "api-docs", OFFICE),
    Item(_("安全审计"), "audit:list", frozenset({R.AUDIT_ADMIN}), "audit", strict=True),
    Item(_("双因素重置"), "otp-devices", frozenset({R.SECURITY_ADMIN}), strict=True),
)


def _uses(user, item: Item) -> bool:
    if item.strict:
        return bool(user.role_codes & item.roles)
    if user.is_superuser or item.roles is None:
        return True
    return bool(user.role_codes & item.roles)


def _current(request, item: Item) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is not None and item.url_name == "home":
        return match.view_name == "home"
    if match is None or not item.app or match.app_name != item.app:
        return False
    name = match.url_name or ""
    if item.url_part and item.url_part not in name:
        return False
    return not (item.without and item.without in name)


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    entries = [
        {"label": item.label, "url": reverse(item.url_name), "current": _current(request, item),
         "todo": item.url_name == "todo:list"}
        for item in ITEMS
        if _uses(user, item)
    ]  # fmt: skip
    # the admin is for the system and security administrators (accounts/duties.py); staff status
    # alone, or the audit administrator's role, would open an empty page
    if uses_admin_site(user):
        entries.append({"label": _("管理后台"), "url": reverse("admin:index"), "current": False})
    return {"nav_items": entries}
