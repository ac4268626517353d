"""The library pages: scope on list, detail and export; editing and stage changes in the browser."""

import datetime
from io import BytesIO

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from projects.models import Project, Stage

from . import factories

TODAY = timezone.localdate()

VISIBLE = {
    "province_office": {
        "jiangyin_enterprise_1",
        "jiangyin_enterprise_2",
        "jiangyin_other",
        "yixing",
        "shuyang",
        "nanjing",
    },
    "city_office": {"jiangyin_enterprise_1", "jiangyin_enterprise_2", "jiangyin_other", "yixing"},
    "county_filer": {"jiangyin_enterprise_1", "jiangyin_enterprise_2", "jiangyin_other"},
    "county_filer2": {"shuyang"},
    "enterprise": {"jiangyin_enterprise_1", "jiangyin_enterprise_2"},
    "nobody": set(),
}


def names(library, keys):
    return {library[key].name for key in keys}


def listed_names(response) -> set[str]:
    return {project.name for project in response.context["page"].object_list}


@pytest.mark.parametrize("who", VISIBLE)
def test_list_shows_only_projects_in_scope(client, people, library, who):
    client.force_login(people[who])
    response = client.get(reverse("projects:list"), {"page_size": 100})
    assert response.status_code == 200
    assert listed_names(response) == names(library, VISIBLE[who])


@pytest.mark.parametrize("who", VISIBLE)
def test_detail_outside_scope_is_not_found(client, people, library, who):
    client.force_login(people[who])
    for key, project in library.items():
        response = client.get(reverse("projects:detail", args=[project.pk]))
        expected = 200 if key in VISIBLE[who] else 404
        assert response.status_code == expected, (who, key)
    not_found = client.get(reverse("projects:detail", args=[library["shuyang"].pk]))
    if "shuyang" not in VISIBLE[who]:
        assert "不在您的管辖范围内" in not_found.content.decode()


@pytest.mark.parametrize("who", VISIBLE)
def test_export_contains_only_projects_in_scope(client, people, library, who):
    client.force_login(people[who])
    response = client.get(reverse("projects:export"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(BytesIO(response.content), read_only=True).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:2] == ("项目代码", "项目名称")
    assert {row[1] for row in rows[1:]} == names(library, VISIBLE[who])


def test_export_follows_the_filters(client, people, library):
    client.force_login(people["province_office"])
    response = client.get(reverse("projects:export"), {"region": "320200"})
    sheet = load_workbook(BytesIO(response.content), read_only=True).active
    exported = {row[1] for row in list(sheet.iter_rows(values_only=True))[1:]}
    assert exported == names(library, VISIBLE["city_office"])


def test_list_filters_by_region_including_counties_and_by_stage(client, people, library):
    client.force_login(people["province_office"])
    response = client.get(reverse("projects:list"), {"region": "320200"})
    assert listed_names(response) == names(library, VISIBLE["city_office"])
    response = client.get(reverse("projects:list"), {"region": "999999"})
    assert response.status_code == 200
    assert "不存在" in response.content.decode()


def test_pending_projects_are_kept_out_of_the_default_list(client, people, library):
    office = people["county_office"]
    pending = factories.project(
        "320281", by=office, stage=Stage.SIGNED, signed_on=TODAY, name="待预审项目"
    )
    client.force_login(office)
    assert pending.name not in listed_names(client.get(reverse("projects:list")))
    assert pending.name in listed_names(
        client.get(reverse("projects:list"), {"admission": "pending"})
    )


def test_anonymous_is_sent_to_login(client, library):
    response = client.get(reverse("projects:list"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_login_with_demo_style_credentials(client, people):
    page = client.get(reverse("login"))
    assert "登录" in page.content.decode()
    response = client.post(
        reverse("login"), {"username": "county_filer", "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    bad = client.post(reverse("login"), {"username": "county_filer", "password": "wrong"})
    assert "用户名或密码错误" in bad.content.decode()


def test_project_page_shows_overview_and_change_history(client, people, library):
    project = library["jiangyin_other"]
    client.force_login(people["county_office"])
    client.post(
        reverse("projects:edit", args=[project.pk]),
        {**_form_data(project), "sector": "高端装备", "tags_text": "专精特新，外资"},
    )
    html = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    assert project.name in html
    assert "变更记录" in html
    assert "高端装备" in html and "专精特新" in html
    assert people["county_office"].username in html or str(people["county_office"]) in html


def test_the_form_decides_treasury_bond_support_only_with_a_reason(client, people, library):
    project = library["jiangyin_other"]
    client.force_login(people["county_office"])
    url = reverse("projects:edit", args=[project.pk])
    form = client.get(url).content.decode()
    assert "按资金记录（有超长期特别国债下达金额即为支持）" in form

    refused = client.post(url, _form_data(project, treasury_bond_override="true"))
    assert "人工认定超长期特别国债支持时须写明理由。" in refused.content.decode()
    project.refresh_from_db()
    assert project.treasury_bond_override is None and not project.treasury_bond

    client.post(
        url,
        _form_data(
            project, treasury_bond_override="true", treasury_bond_reason="列入国家“两重”清单"
        ),
    )
    project.refresh_from_db()
    assert project.treasury_bond and project.treasury_bond_reason == "列入国家“两重”清单"
    assert 'value="true" selected' in client.get(url).content.decode()


def _form_data(project: Project, **overrides) -> dict:
    data = {
        "name": project.name,
        "code": project.code or "",
        "region": project.region_id,
        "unit": project.unit_id,
        "category": project.category,
        "sector": project.sector,
        "tier": project.tier,
        "sub_library": project.sub_library,
        "construction_kind": project.construction_kind,
        "content": project.content,
        "total_investment": str(project.total_investment),
        "planned_investment_year": str(project.planned_investment_year),
        "planned_start": project.planned_start.isoformat() if project.planned_start else "",
        "planned_completion": "",
        "responsible_leader": "",
        "responsible_leader_level": "",
        "contact_name": "",
        "contact_phone": "",
        "tags_text": "",
    }
    data.update(overrides)
    return data


class TestForms:
    def test_office_staff_create_a_project(self, client, people, library):
        office = people["county_office"]
        client.force_login(office)
        unit = library["jiangyin_other"].unit
        data = _form_data(
            library["jiangyin_other"], name="新建测试项目", code="2025-320281-26-03-512345"
        )
        data.update(stage=Stage.PLANNING, unit=unit.pk)
        response = client.post(reverse("projects:create"), data)
        created = Project.objects.get(name="新建测试项目")
        assert response.status_code == 302
        assert response["Location"] == reverse("projects:detail", args=[created.pk])
        assert created.history.first().history_user == office

    def test_wrong_code_is_explained_in_chinese(self, client, people, library):
        client.force_login(people["county_office"])
        data = _form_data(
            library["jiangyin_other"],
            name="代码错误项目",
            code="2025-320281-26-03",
            stage="planning",
        )
        response = client.post(reverse("projects:create"), data)
        assert response.status_code == 200
        assert "项目代码应为24位" in response.content.decode()
        assert not Project.objects.filter(name="代码错误项目").exists()

    def test_refused_stage_dates_are_shown_on_the_field(self, client, people, library):
        client.force_login(people["county_office"])
        tomorrow = (TODAY + datetime.timedelta(days=1)).isoformat()
        data = _form_data(
            library["jiangyin_other"], name="未来开工项目", stage="started", started_on=tomorrow
        )
        response = client.post(reverse("projects:create"), data)
        assert response.status_code == 200
        assert "开工日期不能晚于今天" in response.context["form"].errors["started_on"][0]
        assert not Project.objects.filter(name="未来开工项目").exists()

    def test_cannot_file_a_project_into_another_county(self, client, people, library):
        client.force_login(people["county_office"])
        data = _form_data(
            library["jiangyin_other"], name="越界项目", region="321322", stage="planning"
        )
        response = client.post(reverse("projects:create"), data)
        assert response.status_code == 200
        assert not Project.objects.filter(name="越界项目").exists()
        assert response.context["form"].errors["region"]

    @pytest.mark.parametrize("who", ["county_filer", "leader", "enterprise", "liaison"])
    def test_readers_cannot_open_the_forms(self, client, people, library, who):
        client.force_login(people[who])
        assert client.get(reverse("projects:create")).status_code == 403
        own = library["jiangyin_enterprise_1"]
        assert client.get(reverse("projects:edit", args=[own.pk])).status_code in (403, 404)

    def test_edit_outside_scope_is_not_found(self, client, people, library):
        client.force_login(people["county_office"])
        assert client.get(reverse("projects:edit", args=[library["shuyang"].pk])).status_code == 404
        response = client.post(
            reverse("projects:transition", args=[library["shuyang"].pk]), {"stage": "filed"}
        )
        assert response.status_code == 404

    def test_edit_form_does_not_offer_the_stage(self, client, people, library):
        project = library["jiangyin_other"]
        client.force_login(people["county_office"])
        client.post(
            reverse("projects:edit", args=[project.pk]), _form_data(project, stage="completed")
        )
        project.refresh_from_db()
        assert project.stage == Stage.PLANNING


class TestTransitionPage:
    def test_forward_and_refused_backward(self, client, people, library):
        project = library["jiangyin_other"]
        client.force_login(people["county_office"])
        url = reverse("projects:transition", args=[project.pk])
        day = (TODAY - datetime.timedelta(days=3)).isoformat()
        response = client.post(url, {"stage": "started", "date": day}, follow=True)
        assert "项目阶段已更新" in response.content.decode()
        response = client.post(url, {"stage": "filed", "reason": ""}, follow=True)
        assert "阶段更正必须填写原因" in response.content.decode()
        project.refresh_from_db()
        assert project.stage == Stage.STARTED
        response = client.post(url, {"stage": "filed", "reason": "误报开工"}, follow=True)
        project.refresh_from_db()
        assert project.stage == Stage.FILED
        assert "误报开工" in response.content.decode()

    def test_transition_needs_post_and_csrf(self, people, library):
        from django.test import Client

        strict = Client(enforce_csrf_checks=True)
        strict.force_login(people["county_office"])
        url = reverse("projects:transition", args=[library["jiangyin_other"].pk])
        assert strict.get(url).status_code == 405
        assert strict.post(url, {"stage": "filed", "date": TODAY.isoformat()}).status_code == 403
        library["jiangyin_other"].refresh_from_db()
        assert library["jiangyin_other"].stage == Stage.PLANNING


class TestPreReviewPages:
    def test_office_runs_a_pre_review_from_the_project_page(self, client, people):
        office = people["county_office"]
        project = factories.project(
            "320281", by=office, stage=Stage.SIGNED, signed_on=TODAY, name="签约待审项目"
        )
        land = factories.unit("省自然资源厅", "320000", "department")
        env = factories.unit("省生态环境厅", "320000", "department")
        client.force_login(office)
        page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
        assert "发起会商预审" in page
        client.post(
            reverse("projects:prereview-open", args=[project.pk]),
            {"held_on": TODAY.isoformat(), "departments": [land.pk, env.pk]},
        )
        review = project.prereviews.get()
        opinion_url = reverse("projects:prereview-opinion", args=[project.pk, review.pk])
        conclude_url = reverse("projects:prereview-conclude", args=[project.pk, review.pk])
        client.post(opinion_url, {"unit": land.pk, "verdict": "agree"})
        early = client.post(conclude_url, follow=True).content.decode()
        assert "尚有部门未出具意见" in early
        client.post(opinion_url, {"unit": env.pk, "verdict": "disagree", "comment": "环境容量不足"})
        client.post(conclude_url, {"note": "经会商不予入库"})
        project.refresh_from_db()
        assert project.admission == "rejected"
        page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
        assert "环境容量不足" in page and "不通过" in page

    def test_liaison_records_only_their_own_units_opinion(self, client, people):
        office = people["county_office"]
        project = factories.project("320281", by=office, stage=Stage.SIGNED, signed_on=TODAY)
        liaison = people["liaison"]
        other = factories.unit("省水利厅", "320000", "department")
        from projects import services

        review = services.prereview_open(
            project=project, held_on=TODAY, departments=[liaison.unit, other], by=office
        )
        client.force_login(liaison)
        url = reverse("projects:prereview-opinion", args=[project.pk, review.pk])
        assert client.post(url, {"unit": other.pk, "verdict": "agree"}).status_code == 403
        client.post(url, {"unit": liaison.unit.pk, "verdict": "agree"})
        assert list(review.opinions.values_list("unit__name", flat=True)) == ["省自然资源厅"]
        conclude = reverse("projects:prereview-conclude", args=[project.pk, review.pk])
        assert client.post(conclude).status_code == 403

    def test_pre_review_of_another_county_is_not_found(self, client, people, library):
        office = people["county_office"]
        client.force_login(office)
        assert (
            client.post(
                reverse("projects:prereview-open", args=[library["shuyang"].pk])
            ).status_code
            == 404
        )


def test_the_stage_change_offers_the_next_stage_first(client, people, library):
    project = library["jiangyin_other"]
    client.force_login(people["county_office"])
    page = client.get(reverse("projects:detail", args=[project.pk]))
    assert project.stage == Stage.PLANNING  # the factories' default
    assert '<option value="signed" selected>' in page.content.decode()  # 签约, not 谋划
    Project.objects.filter(pk=project.pk).update(stage=Stage.AT_CAPACITY)
    page = client.get(reverse("projects:detail", args=[project.pk]))
    assert '<option value="at_capacity" selected>' in page.content.decode()  # nothing after
