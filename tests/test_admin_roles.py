"""Separation of duties (三权分立) in the Django admin: the system administrator keeps users,
units, regions, reference data and the calendar; the security administrator role assignments
and tokens; the audit administrator has no part of it (the audit pages are elsewhere); nobody
holds two of these roles, and the admin grants no superuser."""

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from rest_framework.authtoken.models import Token

from accounts.models import Role, User

from . import factories


@pytest.fixture
def admins(people):
    f = factories
    return {
        "system": f.user("sysadmin", None, ["system_admin"], is_staff=True),
        "security": f.user("secadmin", None, ["security_admin"], is_staff=True),
        "audit": f.user("auditadmin", None, ["audit_admin"], is_staff=True),
    }


#: admin pages and who may open them (200); everyone else is refused (403, or the admin's door)
MATRIX = {
    "/admin/accounts/user/": {"system", "security"},
    "/admin/accounts/user/add/": {"system"},
    "/admin/accounts/unit/": {"system"},
    "/admin/accounts/unit/add/": {"system"},
    "/admin/accounts/region/": {"system"},
    "/admin/accounts/role/": {"system", "security"},
    "/admin/schedule/calendarday/": {"system"},
    "/admin/schedule/scheduletemplate/": {"system"},
    "/admin/approvals/approvalkind/": {"system"},
    "/admin/funding/fundingchannel/": {"system"},
    "/admin/indicators/target/": {"system"},
    "/admin/authtoken/tokenproxy/": {"security"},
    # business data: not in any administrator's part (the platform's pages and workflows)
    "/admin/projects/project/": set(),
    "/admin/issues/issue/": set(),
    "/admin/funding/quota/": set(),
    "/admin/reports/report/": set(),
    "/admin/progress/monthlyreport/": set(),
    "/admin/fieldservice/visit/": set(),
    "/admin/fieldservice/assignment/": set(),
    "/admin/attachments/attachment/": set(),
    "/admin/opendata/publication/": set(),
    "/admin/opendata/publishedfile/": set(),
}


@pytest.mark.parametrize("who", ["system", "security", "audit"])
def test_each_administrator_opens_only_their_part_of_the_admin(client, admins, who):
    client.force_login(admins[who])
    for url, allowed in MATRIX.items():
        status = client.get(url).status_code
        if who in allowed:
            assert status == 200, (who, url, status)
        else:
            assert status in (302, 403, 404), (who, url, status)


def test_the_audit_administrator_is_not_let_into_the_admin(client, admins):
    client.force_login(admins["audit"])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_the_admin_index_lists_each_administrator_s_part(client, admins):
    client.force_login(admins["system"])
    page = client.get(reverse("admin:index")).content.decode()
    assert "/admin/accounts/unit/" in page and "/admin/schedule/calendarday/" in page
    assert "/admin/authtoken/" not in page and "/admin/projects/project/" not in page

    client.force_login(admins["security"])
    page = client.get(reverse("admin:index")).content.decode()
    assert "/admin/authtoken/tokenproxy/" in page and "/admin/accounts/user/" in page
    assert "/admin/accounts/unit/" not in page and "/admin/schedule/" not in page


def test_the_superuser_keeps_the_whole_admin_for_bootstrap(client, people):
    client.force_login(people["admin"])  # a superuser made with createsuperuser
    for url in MATRIX:
        assert client.get(url).status_code == 200, url


def test_the_system_administrator_edits_a_user_but_not_their_roles(client, admins, people):
    client.force_login(admins["system"])
    person = people["county_office"]
    url = reverse("admin:accounts_user_change", args=[person.pk])
    page = client.get(url).content.decode()
    assert 'name="full_name"' in page
    assert 'name="roles"' not in page  # shown read-only
    assert 'name="is_superuser"' not in page and 'name="user_permissions"' not in page


def test_the_security_administrator_assigns_roles_and_nothing_else(client, admins, people):
    client.force_login(admins["security"])
    person = people["county_office"]
    url = reverse("admin:accounts_user_change", args=[person.pk])
    page = client.get(url).content.decode()
    assert 'name="roles"' in page
    assert 'name="full_name"' not in page and 'name="region"' not in page
    assert 'name="is_superuser"' not in page

    response = client.post(url, {"roles": ["office_staff", "leader"]})
    assert response.status_code == 302, response.content.decode()[:2000]
    person.refresh_from_db()
    assert set(person.roles.values_list("code", flat=True)) == {"office_staff", "leader"}
    assert person.full_name == people["county_office"].full_name


def test_the_admin_refuses_a_second_administrator_role_in_chinese(client, admins):
    client.force_login(admins["security"])
    target = admins["system"]
    url = reverse("admin:accounts_user_change", args=[target.pk])

    response = client.post(url, {"roles": ["system_admin", "audit_admin"]})

    assert response.status_code == 200
    assert "三权分立：系统管理员、安全管理员和审计管理员不能由同一人兼任" in (
        response.content.decode()
    )
    assert set(target.roles.values_list("code", flat=True)) == {"system_admin"}


def test_nobody_holds_two_administrator_roles_whoever_writes(admins):
    person = admins["security"]
    with pytest.raises(ValidationError) as refused, transaction.atomic():
        person.roles.add("audit_admin")
    assert "不能由同一人兼任（安全管理员、审计管理员）" in refused.value.messages[0]
    with pytest.raises(ValidationError), transaction.atomic():
        Role.objects.get(code="system_admin").users.add(person)
    with pytest.raises(ValidationError), transaction.atomic():
        person.roles.set(["security_admin", "system_admin"])
    assert set(person.roles.values_list("code", flat=True)) == {"security_admin"}
    # a business role beside an administrator role is another matter
    person.roles.add("leader")
    # and swapping one administrator role for another is allowed
    person.roles.set(["audit_admin"])
    assert set(person.roles.values_list("code", flat=True)) == {"audit_admin"}


def test_groups_and_per_user_permissions_grant_nothing(admins):
    from django.contrib.auth.models import Permission

    person = admins["audit"]
    person.user_permissions.add(Permission.objects.get(codename="change_project"))
    person = User.objects.get(pk=person.pk)
    assert not person.has_perm("projects.change_project")
    assert admins["system"].has_perm("accounts.change_unit")
    assert not admins["system"].has_perm("authtoken.view_tokenproxy")
    assert not admins["security"].has_perm("accounts.change_unit")


def test_the_security_administrator_revokes_a_token_in_the_admin(client, admins, people):
    token = Token.objects.create(user=people["api_client"])
    client.force_login(admins["security"])
    # the admin names a token by its user (rest_framework.authtoken.admin.TokenAdmin)
    url = reverse("admin:authtoken_tokenproxy_delete", args=[token.user_id])
    response = client.post(url, {"post": "yes"})
    assert response.status_code == 302
    assert not Token.objects.filter(pk=token.pk).exists()


def test_the_admin_link_is_offered_to_the_system_and_security_administrators_only(
    client, admins, people
):
    def offered(person) -> bool:
        client.force_login(person)
        return "管理后台" in client.get(reverse("todo:list")).content.decode()

    assert offered(admins["system"]) and offered(admins["security"])
    assert not offered(admins["audit"])
    assert not offered(people["province_office"])  # staff status alone
