"""The security audit trail: what is recorded (who, role, address, user agent, what, outcome),
that rows never change, the purge after the retention period, and the auditor's page."""

import datetime
import io
from decimal import Decimal

import openpyxl
import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.db import connection
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from accounts import signals as account_signals
from accounts.models import Region, Role
from audit import services
from audit.models import Action, AuditEntry, Outcome
from core import events
from indicators import services as indicator_services
from indicators.models import Indicator, Target

from . import factories
from .conftest import clock_at

AGENT = "Mozilla/5.0 (Windows NT 10.0) 测试浏览器"
DAY = datetime.date(2026, 11, 23)


def rows(action, **filters):
    return list(AuditEntry.objects.filter(action=action, **filters).order_by("pk"))


@pytest.fixture
def auditor(db):
    return factories.user("auditor", None, [Role.Code.AUDIT_ADMIN], full_name="审计员甲")


# --- signing in and out ---------------------------------------------------------------------


def test_a_login_is_recorded_with_role_address_and_user_agent(client, people):
    response = client.post(
        reverse("login"),
        {"username": "county_filer", "password": factories.PASSWORD},
        HTTP_USER_AGENT=AGENT,
        REMOTE_ADDR="10.1.2.3",
    )
    assert response.status_code == 302
    (entry,) = rows(Action.LOGIN)
    assert entry.user == people["county_filer"]
    assert entry.username == "county_filer"
    assert entry.roles == "county_filer"
    assert entry.address == "10.1.2.3"
    assert entry.user_agent == AGENT
    assert entry.outcome == Outcome.SUCCESS


def test_a_failed_login_keeps_the_username_as_typed(client, people):
    client.post(reverse("login"), {"username": "county_filer", "password": "wrong"})
    client.post(reverse("login"), {"username": "nosuchperson", "password": "wrong"})
    typed = [(entry.username, entry.user_id, entry.outcome) for entry in rows(Action.LOGIN_FAILED)]
    assert typed == [("county_filer", None, "failed"), ("nosuchperson", None, "failed")]


def test_the_address_is_the_real_client_behind_the_trusted_proxy(client, people):
    from django.conf import settings

    framework = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with override_settings(TRUSTED_PROXY_COUNT=1, REST_FRAMEWORK=framework):
        client.post(
            reverse("login"),
            {"username": "county_filer", "password": "wrong"},
            REMOTE_ADDR="172.16.0.2",
            HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9",  # the first entry is the client's own
        )
    (entry,) = rows(Action.LOGIN_FAILED)
    assert entry.address == "203.0.113.9"


def test_a_logout_is_recorded(client, people):
    client.force_login(people["leader"])
    client.post(reverse("logout"))
    (entry,) = rows(Action.LOGOUT)
    assert entry.user == people["leader"] and entry.roles == "leader"


def test_lockouts_unlocks_passwords_tokens_and_two_factor_changes(people, auditor):
    person = people["county_filer"]
    security = factories.user("security", None, [Role.Code.SECURITY_ADMIN])
    kwargs = {"user": person, "by": security, "request": None}
    account_signals.password_changed.send(sender=None, **{**kwargs, "by": person}, reason="change")
    account_signals.account_unlocked.send(
        sender=None, **kwargs, username="county_filer", ip_address=None
    )
    account_signals.token_created.send(sender=None, **kwargs, token=None, expires_at=None)
    account_signals.token_revoked.send(sender=None, **kwargs, token_key_prefix="abcd1234")
    account_signals.sessions_ended.send(sender=None, **{**kwargs, "by": person}, count=2)
    account_signals.otp_device_added.send(sender=None, **{**kwargs, "by": person}, device=None)
    account_signals.otp_device_reset.send(sender=None, **kwargs)

    got = {
        entry.action: (entry.user.username, entry.object_id, entry.detail)
        for entry in AuditEntry.objects.exclude(action__in=[Action.CREATE, Action.ROLES])
    }
    target = str(person.pk)
    assert got[Action.PASSWORD] == (
        "county_filer",
        target,
        {"reason": "change", "target": "county_filer"},
    )
    assert got[Action.UNLOCK][:2] == ("security", target)
    assert got[Action.TOKEN_CREATED][:2] == ("security", target)
    assert got[Action.TOKEN_REVOKED][2]["token_key_prefix"] == "abcd1234"
    assert got[Action.SESSIONS_ENDED][2]["count"] == 2
    assert got[Action.OTP_ADDED][:2] == ("county_filer", target)
    assert got[Action.OTP_RESET][:2] == ("security", target)


def test_a_lockout_is_recorded_under_the_typed_username(client, people):
    from audit import receivers

    receivers.locked_out(sender=None, request=None, username="county_filer", ip_address="10.0.0.9")
    (entry,) = rows(Action.LOCKOUT)
    assert (entry.username, entry.outcome, entry.detail["ip_address"]) == (
        "county_filer",
        "refused",
        "10.0.0.9",
    )


# --- refusals -------------------------------------------------------------------------------


def test_a_refusal_403_is_recorded(client, people, library):
    client.force_login(people["leader"])
    response = client.get(reverse("projects:create"), REMOTE_ADDR="10.9.9.9")
    assert response.status_code == 403
    (entry,) = rows(Action.DENIED)
    assert entry.user == people["leader"]
    assert entry.outcome == Outcome.REFUSED
    assert entry.object_type == "projects:create"
    assert entry.detail["path"] == reverse("projects:create")
    assert entry.address == "10.9.9.9"


def test_a_404_on_a_real_object_outside_the_scope_is_recorded(client, people, library):
    nanjing = library["nanjing"]
    client.force_login(people["county_filer"])
    assert client.get(reverse("projects:detail", args=[nanjing.pk])).status_code == 404
    (entry,) = rows(Action.OUT_OF_SCOPE)
    assert entry.user == people["county_filer"]
    assert (entry.object_type, entry.object_id) == ("projects:detail", str(nanjing.pk))
    # an address that matches no page at all is not an object request
    assert client.get("/no-such-page/").status_code == 404
    assert len(rows(Action.OUT_OF_SCOPE)) == 1


def test_an_api_refusal_names_the_token_user(api, people, library):
    nanjing = library["nanjing"]
    client = api.as_user(people["county_filer"])
    assert client.get(f"/api/v1/projects/{nanjing.pk}/").status_code == 404
    (entry,) = rows(Action.OUT_OF_SCOPE)
    assert entry.user == people["county_filer"]
    assert entry.object_id == str(nanjing.pk)


# --- business data --------------------------------------------------------------------------


def test_create_update_delete_through_a_service_are_recorded(people):
    office = people["province_office"]
    wuxi = Region.objects.get(code="320200")
    target = indicator_services.target_save(
        by=office,
        region=wuxi,
        year=2026,
        indicator=Indicator.NEW_STARTS,
        sub_period="",
        value=Decimal("30"),
    )
    number = str(target.pk)
    indicator_services.target_save(by=office, target=target, value=Decimal("35"))
    indicator_services.target_delete(target, by=office)

    entries = AuditEntry.objects.filter(object_type="indicators.target").order_by("pk")
    assert [entry.action for entry in entries] == [Action.CREATE, Action.UPDATE, Action.DELETE]
    assert {entry.object_id for entry in entries} == {number}
    assert entries[1].detail["changed"] == ["value"]
    assert not Target.objects.exists()


def test_a_change_made_on_a_page_names_the_person_and_the_address(client, people, library):
    project = library["jiangyin_other"]
    client.force_login(people["county_office"])
    from .test_pages import _form_data

    response = client.post(
        reverse("projects:edit", args=[project.pk]),
        {**_form_data(project), "sector": "高端装备"},
        REMOTE_ADDR="10.7.7.7",
        HTTP_USER_AGENT=AGENT,
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(
        action=Action.UPDATE, object_type="projects.project", object_id=str(project.pk)
    ).latest("pk")
    assert entry.user == people["county_office"]
    assert (entry.address, entry.user_agent) == ("10.7.7.7", AGENT)
    assert "sector" in entry.detail["changed"]


def test_a_business_step_from_the_event_stream_is_recorded_once(people, library):
    project = library["yixing"]
    event = events.DomainEvent(
        name="project.stage",
        object_type="projects.project",
        object_id=project.pk,
        key=f"project.stage:projects.stagechange:{project.pk}01",
        actor_id=people["province_office"].pk,
        region="320282",
    )
    events.deliver(event)
    events.deliver(event)  # told again (a retry): one row
    (entry,) = rows(Action.STEP)
    assert entry.user == people["province_office"]
    assert entry.detail["event"] == "project.stage"
    assert entry.detail["step"] == "项目阶段推进或更正"
    # a job of the platform itself (no person) is kept by its event table, not here
    events.deliver(events.DomainEvent("issue.remind", "issues.issue", 1, key="x"))
    assert len(rows(Action.STEP)) == 1


def test_admin_actions_and_role_changes_are_recorded(people):
    admin = people["admin"]
    leader = people["leader"]
    LogEntry.objects.create(
        user=admin,
        content_type=ContentType.objects.get_for_model(leader),
        object_id=str(leader.pk),
        object_repr=str(leader),
        action_flag=CHANGE,
        change_message='[{"changed": {"fields": ["Phone"]}}]',
    )
    (entry,) = rows(Action.ADMIN)
    assert entry.user == admin
    assert (entry.object_type, entry.object_id, entry.detail["flag"]) == (
        "accounts.user",
        str(leader.pk),
        "change",
    )

    leader.roles.add(Role.objects.get(code=Role.Code.OFFICE_STAFF))
    leader.roles.remove(Role.objects.get(code=Role.Code.LEADER))
    changes = [entry.detail for entry in rows(Action.ROLES, object_id=str(leader.pk))]
    assert changes[-2]["added"] == ["office_staff"]
    assert changes[-1]["removed"] == ["leader"]


# --- downloads ------------------------------------------------------------------------------


def test_an_export_download_is_recorded(client, people, library):
    client.force_login(people["province_office"])
    response = client.get(reverse("projects:export"))
    assert response.status_code == 200
    (entry,) = rows(Action.DOWNLOAD)
    assert entry.user == people["province_office"]
    assert entry.object_text.startswith("项目库-") and entry.object_text.endswith(".xlsx")
    assert entry.detail["view"] == "projects:export"


# --- append-only ----------------------------------------------------------------------------


def test_rows_cannot_be_changed_or_removed(people):
    entry = services.record(Action.LOGIN, user=people["leader"])
    entry.outcome = Outcome.FAILED
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(outcome=Outcome.FAILED)
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()
    assert AuditEntry.objects.get(pk=entry.pk).outcome == Outcome.SUCCESS


on_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the trigger exists on PostgreSQL only"
)


@on_postgresql
def test_postgresql_refuses_update_and_delete_of_audit_rows(people):
    from django.db import DatabaseError, transaction

    entry = services.record(Action.LOGIN, user=people["leader"])
    for statement in (
        "UPDATE audit_auditentry SET outcome = 'failed' WHERE id = %s",
        "DELETE FROM audit_auditentry WHERE id = %s",
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(statement, [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk, outcome="success").exists()


@on_postgresql
def test_postgresql_never_lets_a_young_row_go_whatever_the_session_says(people):
    from django.db import DatabaseError, transaction

    entry = services.record(Action.LOGIN, user=people["leader"])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('audit.purge_before', '2999-01-01', true)")
            cursor.execute("DELETE FROM audit_auditentry WHERE id = %s", [entry.pk])
    assert AuditEntry.objects.filter(pk=entry.pk).exists()


# --- retention ------------------------------------------------------------------------------


def _aged(days: int, person) -> AuditEntry:
    return services.record(
        Action.LOGIN, user=person, at=timezone.now() - datetime.timedelta(days=days)
    )


@override_settings(AUDIT_RETENTION_DAYS=30)  # fewer than 180 is not allowed: 180 it is
def test_purge_keeps_180_days_and_records_itself(people):
    with clock_at(DAY):
        old = _aged(200, people["leader"])
        kept = _aged(170, people["leader"])
        out = io.StringIO()
        call_command("purge_audit", stdout=out)
    assert "已删除 1 条 180 天以前的审计记录" in out.getvalue()
    assert not AuditEntry.objects.filter(pk=old.pk).exists()
    assert AuditEntry.objects.filter(pk=kept.pk).exists()
    (purge,) = rows(Action.PURGE)
    assert purge.detail["removed"] == 1 and purge.detail["retention_days"] == 180


@override_settings(AUDIT_RETENTION_DAYS=365)
def test_a_longer_retention_keeps_more(people):
    with clock_at(DAY):
        kept = _aged(200, people["leader"])
        assert services.purge() == 0
    assert AuditEntry.objects.filter(pk=kept.pk).exists()


# --- the audit page -------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["admin", "province_office", "leader", "county_filer"])
def test_only_the_audit_administrator_reads_the_trail(client, people, who):
    client.force_login(people[who])
    assert client.get(reverse("audit:list")).status_code == 403
    assert client.get(reverse("audit:export")).status_code == 403
    navigation = client.get(reverse("todo:list")).content.decode()
    assert "安全审计" not in navigation


def test_a_system_administrator_holding_superuser_rights_is_refused_too(client, people):
    admin = people["admin"]
    assert admin.is_superuser and Role.Code.SYSTEM_ADMIN in admin.role_codes
    client.force_login(admin)
    response = client.get(reverse("audit:list"))
    assert response.status_code == 403
    (entry,) = rows(Action.DENIED, object_type="audit:list")
    assert entry.user == admin


def test_anonymous_is_sent_to_sign_in(client, db):
    response = client.get(reverse("audit:list"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


def test_the_auditor_sees_the_trail_with_filters(client, people, auditor):
    leader, filer = people["leader"], people["county_filer"]
    with clock_at(datetime.date(2026, 11, 2)):
        services.record(Action.LOGIN, user=leader)
    with clock_at(datetime.date(2026, 11, 20)):
        services.record(Action.LOGIN_FAILED, username="county_filer", outcome=Outcome.FAILED)
        services.record(Action.DOWNLOAD, user=filer, object_type="projects:export",
                        object_text="项目库-20261120.xlsx")  # fmt: skip
    client.force_login(auditor)

    # other tests' rows may stand on the first page (the module-scoped demo): look at the month
    page = client.get(reverse("audit:list"), {"date_from": "2026-11-01", "date_to": "2026-11-30"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "安全审计" in text and "不少于 180 天" in text
    filed = client.get(reverse("audit:list"), {"user": "county_filer"}).content.decode()
    assert "登录失败" in filed and "项目库-20261120.xlsx" in filed

    def listed(**query):
        response = client.get(reverse("audit:list"), query)
        assert response.status_code == 200
        return [entry.action for entry in response.context["entries"]]

    assert listed(user="county_filer") == [Action.DOWNLOAD, Action.LOGIN_FAILED]
    assert listed(action="login_failed") == [Action.LOGIN_FAILED]
    assert listed(object="项目库") == [Action.DOWNLOAD]
    assert listed(date_from="2026-11-01", date_to="2026-11-10", user="leader") == [Action.LOGIN]
    assert listed(outcome="failed") == [Action.LOGIN_FAILED]
    wrong = client.get(reverse("audit:list"), {"date_from": "2026-11-20", "date_to": "2026-11-01"})
    assert "起始日期不能晚于截止日期" in wrong.content.decode()
    assert "安全审计" in client.get(reverse("todo:list")).content.decode()  # in the navigation


def test_the_trail_is_paged_and_sorted(client, people, auditor):
    leader = people["leader"]
    for _n in range(55):
        services.record(Action.LOGIN, user=leader)
    client.force_login(auditor)
    query = {"action": "login", "user": "leader"}
    first = client.get(reverse("audit:list"), query)
    assert "第 1 / 2 页（共 55 条）" in first.content.decode()
    second = client.get(reverse("audit:list"), {**query, "page": 2})
    assert len(second.context["entries"]) == 5
    oldest = client.get(reverse("audit:list"), {**query, "sort": "at"})
    assert oldest.context["entries"][0].pk < first.context["entries"][0].pk


def test_the_export_is_an_excel_of_the_filtered_rows_and_is_itself_recorded(
    client, people, auditor
):
    services.record(Action.LOGIN, user=people["leader"])
    services.record(Action.LOGIN_FAILED, username="=HYPERLINK(1)", outcome=Outcome.FAILED)
    client.force_login(auditor)
    response = client.get(reverse("audit:export"), {"action": "login_failed"})
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert values[0][:3] == ("时间", "用户名", "姓名")
    assert [row[1] for row in values[1:]] == ["=HYPERLINK(1)"]  # text, never a formula
    assert values[1][6] == "登录失败" and values[1][10] == "失败"
    (download,) = rows(Action.DOWNLOAD)
    assert download.user == auditor and download.object_text.startswith("审计记录-")


def test_a_lockout_on_the_login_page_and_the_unlock_are_recorded(client, people):
    from accounts import throttling
    from accounts.models import Lockout

    for _attempt in range(5):
        client.post(reverse("login"), {"username": "county_filer", "password": "wrong"})
    assert len(rows(Action.LOGIN_FAILED)) == 5
    (locked,) = rows(Action.LOCKOUT)
    assert locked.username == "county_filer"
    assert locked.object_id == str(people["county_filer"].pk)
    assert locked.outcome == Outcome.REFUSED

    security = factories.user("security", None, [Role.Code.SECURITY_ADMIN])
    throttling.unlock(Lockout.objects.get(kind="username"), by=security)
    (unlocked,) = rows(Action.UNLOCK)
    assert unlocked.user == security
    assert unlocked.object_id == str(people["county_filer"].pk)
