"""The schedule on the project page, the milestone forms, the template pages, the at-risk filter."""

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from projects import services as project_services
from schedule import services
from schedule.models import Milestone, MilestoneLink, ScheduleTemplate

TODAY = timezone.localdate()


@pytest.fixture
def planned(library, people):
    """江阴 project, planned start far ahead, with the industrial template applied."""
    project = library["jiangyin_other"]
    office = people["province_office"]
    project_services.project_update(
        project=project, by=office, planned_start=TODAY + dt.timedelta(days=420)
    )
    template = ScheduleTemplate.objects.get(category="industrial")
    services.apply_template(project=project, template=template, by=office)
    return project


@pytest.fixture
def risky(library, people):
    project = library["yixing"]
    office = people["province_office"]
    project_services.project_update(
        project=project, by=office, planned_start=TODAY + dt.timedelta(days=25)
    )
    services.apply_template(
        project=project, template=ScheduleTemplate.objects.get(category="industrial"), by=office
    )
    return project


def edit_form(milestone, **overrides):
    """The milestone edit form as the browser posts it, without predecessor rows unless given."""
    data = {
        "position": milestone.position,
        "name": milestone.name,
        "kind": milestone.kind,
        "duration_days": milestone.duration_days,
        "handler": milestone.handler,
        "status": "not_started",
        "pred-TOTAL_FORMS": "0",
        "pred-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def milestone_url(name, project, milestone=None):
    args = [project.pk] if milestone is None else [project.pk, milestone.pk]
    return reverse(f"schedule:{name}", args=args)


def test_the_project_page_shows_the_gantt_and_critical_path(client, people, planned):
    client.force_login(people["county_office"])
    html = client.get(planned.get_absolute_url()).content.decode()
    assert 'id="schedule"' in html
    assert html.count('class="gantt-row') == 13
    assert 'class="today"' in html
    assert "bar latest" in html and "bar forecast" in html
    assert "施工许可" in html and "关键路径" in html
    # 420 days ahead reaches into a year the calendar does not know yet: said on the page.
    assert "工作日历暂算" in html


def test_an_at_risk_project_is_marked_and_filtered(client, people, planned, risky):
    client.force_login(people["city_office"])
    html = client.get(risky.get_absolute_url()).content.decode()
    assert "开工有风险" in html and "晚于计划开工日期" in html
    response = client.get(reverse("projects:list"), {"at_risk": "true"})
    assert [p.name for p in response.context["page"].object_list] == [risky.name]
    assert "badge at-risk" in response.content.decode()
    response = client.get(reverse("projects:list"))
    assert planned.name in response.content.decode()


def test_office_adds_a_milestone_with_a_predecessor(client, people, planned):
    client.force_login(people["county_office"])
    eia = planned.milestones.get(kind="eia")
    response = client.post(
        milestone_url("milestone-create", planned),
        {
            "name": "排污许可",
            "kind": "other",
            "duration_days": "10",
            "status": "not_started",
            "pred-TOTAL_FORMS": "2",
            "pred-INITIAL_FORMS": "0",
            "pred-0-milestone": str(eia.pk),
            "pred-0-lag_days": "3",
            "pred-1-milestone": "",
            "pred-1-lag_days": "",
            "problem": "排污总量指标未落实",
        },
    )
    assert response.status_code == 302, response.content.decode()
    added = planned.milestones.get(name="排污许可")
    assert added.predecessor_links.get().predecessor == eia
    assert added.predecessor_links.get().lag_days == 3
    assert added.problem == "排污总量指标未落实"


def test_a_cycle_from_the_form_is_explained_and_changes_nothing(client, people, planned):
    client.force_login(people["county_office"])
    filing = planned.milestones.get(kind="approval_filing")
    permit = planned.milestones.get(kind="construction_permit")
    links = set(MilestoneLink.objects.values_list("successor", "predecessor"))
    response = client.post(
        milestone_url("milestone-edit", planned, filing),
        edit_form(
            filing,
            **{"pred-TOTAL_FORMS": "1", "pred-0-milestone": str(permit.pk), "pred-0-lag_days": "0"},
        ),
    )
    assert response.status_code == 200
    assert "前置关系存在循环" in response.content.decode()
    assert set(MilestoneLink.objects.values_list("successor", "predecessor")) == links


def test_actual_dates_entered_on_the_form(client, people, planned):
    client.force_login(people["county_office"])
    filing = planned.milestones.get(kind="approval_filing")
    start = TODAY - dt.timedelta(days=12)
    response = client.post(
        milestone_url("milestone-edit", planned, filing),
        edit_form(filing, actual_start=start.isoformat(), actual_finish=TODAY.isoformat()),
    )
    assert response.status_code == 302, response.context["form"].errors
    filing.refresh_from_db()
    assert filing.status == "done" and filing.actual_finish == TODAY


def test_a_future_actual_date_is_refused_on_the_field(client, people, planned):
    client.force_login(people["county_office"])
    filing = planned.milestones.get(kind="approval_filing")
    response = client.post(
        milestone_url("milestone-edit", planned, filing),
        edit_form(
            filing, status="in_progress", actual_start=(TODAY + dt.timedelta(days=3)).isoformat()
        ),
    )
    assert response.status_code == 200
    assert "实际开始不能晚于今天" in response.content.decode()
    filing.refresh_from_db()
    assert filing.status == "not_started"


def test_apply_template_from_the_page_once(client, people, library):
    project = library["jiangyin_enterprise_1"]
    client.force_login(people["county_office"])
    template = ScheduleTemplate.objects.get(category="infrastructure")
    url = milestone_url("apply-template", project)
    response = client.post(url, {"template": template.pk}, follow=True)
    assert project.milestones.count() == template.steps.count()
    assert "已按模板" in response.content.decode()
    response = client.post(url, {"template": template.pk}, follow=True)
    assert "已有关键节点" in response.content.decode()
    assert project.milestones.count() == template.steps.count()


def test_delete_a_milestone_and_not_the_anchor(client, people, planned):
    client.force_login(people["county_office"])
    tendering = planned.milestones.get(kind="tendering")
    client.post(milestone_url("milestone-delete", planned, tendering))
    assert not Milestone.objects.filter(pk=tendering.pk).exists()
    anchor = planned.milestones.get(kind="construction_start")
    response = client.post(milestone_url("milestone-delete", planned, anchor), follow=True)
    assert Milestone.objects.filter(pk=anchor.pk).exists()
    assert "不能单独删除" in response.content.decode()


@pytest.mark.parametrize("who", ["county_filer2", "enterprise"])
def test_out_of_scope_milestone_pages_are_not_found(client, people, planned, who):
    client.force_login(people[who])
    filing = planned.milestones.get(kind="approval_filing")
    assert client.get(planned.get_absolute_url()).status_code == 404
    assert client.get(milestone_url("milestone-create", planned)).status_code == 404
    assert client.get(milestone_url("milestone-edit", planned, filing)).status_code == 404
    assert client.post(milestone_url("milestone-delete", planned, filing)).status_code == 404
    assert client.post(milestone_url("apply-template", planned), {}).status_code == 404
    assert Milestone.objects.filter(pk=filing.pk).exists()


def test_readers_cannot_edit_milestones(client, people, planned):
    client.force_login(people["county_filer"])
    filing = planned.milestones.get(kind="approval_filing")
    assert client.get(planned.get_absolute_url()).status_code == 200
    assert client.get(milestone_url("milestone-edit", planned, filing)).status_code == 403
    assert client.post(milestone_url("milestone-delete", planned, filing)).status_code == 403


def test_milestone_forms_need_csrf(people, planned):
    client = Client(enforce_csrf_checks=True)
    client.force_login(people["county_office"])
    filing = planned.milestones.get(kind="approval_filing")
    assert client.post(milestone_url("milestone-delete", planned, filing)).status_code == 403
    assert Milestone.objects.filter(pk=filing.pk).exists()


class TestTemplates:
    def steps_post(self, template, overrides=None, extra=None):
        data = {"name": template.name, "category": template.category, "is_active": "on"}
        steps = list(template.steps.prefetch_related("predecessor_links__predecessor"))
        rows = extra or []
        for index, step in enumerate(steps):
            links = ", ".join(
                f"{link.predecessor.position}+{link.lag_days}"
                if link.lag_days
                else str(link.predecessor.position)
                for link in step.predecessor_links.all()
            )
            row = {
                "position": step.position,
                "kind": step.kind,
                "name": step.name,
                "duration_days": step.duration_days,
                "handler": step.handler,
                "predecessors": links,
            }
            row.update((overrides or {}).get(step.position, {}))
            data.update({f"steps-{index}-{key}": value for key, value in row.items()})
        for offset, row in enumerate(rows):
            data.update({f"steps-{len(steps) + offset}-{k}": v for k, v in row.items()})
        data["steps-TOTAL_FORMS"] = str(len(steps) + len(rows))
        data["steps-INITIAL_FORMS"] = str(len(steps))
        return data

    def test_everyone_reads_templates(self, client, people):
        client.force_login(people["county_filer"])
        template = ScheduleTemplate.objects.get(category="industrial")
        assert "产业类项目" in client.get(reverse("schedule:templates")).content.decode()
        html = client.get(template.get_absolute_url()).content.decode()
        assert "施工许可" in html and "编辑" not in html.split("</h1>")[1][:200]

    def test_only_the_provincial_office_edits(self, client, people):
        template = ScheduleTemplate.objects.get(category="industrial")
        url = reverse("schedule:template-edit", args=[template.pk])
        client.force_login(people["county_office"])
        assert client.get(url).status_code == 403
        client.force_login(people["province_office"])
        assert client.get(url).status_code == 200

    def test_the_province_edits_a_step_and_adds_one(self, client, people):
        client.force_login(people["province_office"])
        template = ScheduleTemplate.objects.get(category="industrial")
        data = self.steps_post(
            template,
            overrides={4: {"duration_days": 25}},
            extra=[
                {
                    "position": 20,
                    "kind": "utilities",
                    "name": "水电气接入",
                    "duration_days": 15,
                    "handler": "project_unit",
                    "predecessors": "8＋2",
                }
            ],
        )
        data["steps-12-predecessors"] += ", 20"  # 开工 waits for the utilities too
        response = client.post(reverse("schedule:template-edit", args=[template.pk]), data)
        assert response.status_code == 302, response.content.decode()[:3000]
        template.refresh_from_db()
        assert template.steps.get(position=4).duration_days == 25
        added = template.steps.get(position=20)
        link = added.predecessor_links.get()
        assert (link.predecessor.position, link.lag_days) == (8, 2)
        assert template.updated_by == people["province_office"]

    def test_a_cycle_or_bad_predecessors_are_refused(self, client, people):
        client.force_login(people["province_office"])
        template = ScheduleTemplate.objects.get(category="industrial")
        url = reverse("schedule:template-edit", args=[template.pk])
        before = template.steps.count()
        data = self.steps_post(template, overrides={1: {"predecessors": "12"}})
        response = client.post(url, data)
        assert "前置关系存在循环" in response.content.decode()
        data = self.steps_post(template, overrides={2: {"predecessors": "一"}})
        response = client.post(url, data)
        assert "看不懂" in response.content.decode()
        assert template.steps.count() == before
        assert not template.steps.get(position=1).predecessor_links.exists()


def test_milestone_changes_are_kept_and_shown(client, people, planned):
    office = people["county_office"]
    filing = planned.milestones.get(kind="approval_filing")
    services.milestone_update(milestone=filing, by=office, duration_days=8, problem="材料不全")
    tendering = planned.milestones.get(kind="tendering")
    services.milestone_delete(milestone=tendering, by=office)
    client.force_login(people["city_office"])
    response = client.get(planned.get_absolute_url())
    entries = response.context["milestone_history"]
    assert entries[0].subject == "施工招标" and entries[0].kind == "已删除"
    change = entries[1]
    assert change.subject == "项目备案赋码" and change.user == office
    assert ("工期（工作日）", "5", "8") in change.changes
    assert ("存在什么问题", "—", "材料不全") in change.changes
    html = response.content.decode()
    assert "节点变更记录" in html and "材料不全" in html
