"""The yearly rollover of the project library (issue 22): the sub-library and the new-start /
continuing status follow the stage and the year by one rule (``projects.library``); a preview,
applied when the office confirms it, every move in the project's history; the stage changing
moves a project at once; the turn of the year puts the confirmation on the office's to-do list.

Pinned to Monday 4 January 2027: the rollover into 2027.
"""

import datetime
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.models import Region
from projects import library
from projects import services as project_services
from projects.models import Admission, LibraryRollover, Project, Stage, SubLibrary
from projects.tasks import propose_rollover
from todo.selectors import todo_count, todo_items

from . import factories

TODAY = datetime.date(2027, 1, 4)
D = datetime.date
pytestmark = [pytest.mark.django_db, pytest.mark.clock(TODAY)]

ANNUAL, RESERVE, KEY, COMPLETED = "annual", "reserve", "key", "completed"
DONE = dict(signed_on=D(2024, 1, 5), filed_on=D(2024, 3, 1), started_on=D(2024, 6, 1))


@pytest.fixture
def world(people):
    by = people["province_office"]

    def project(name, region="320281", **fields):
        return factories.project(region, by=by, name=name, **fields)

    return {
        # completed in an earlier year: out of the year's construction lists
        "done_2025": project(
            "2025年竣工", stage=Stage.COMPLETED, sub_library=ANNUAL,
            construction_kind="continuing", completed_on=D(2025, 10, 8), **DONE,
        ),
        "key_done_2026": project(
            "重点工程2026年竣工", stage=Stage.COMPLETED, sub_library=KEY,
            construction_kind="continuing", completed_on=D(2026, 6, 30), **DONE,
        ),
        # started last year: continuing, wherever it was
        "started_2026": project(
            "2026年开工", stage=Stage.STARTED, sub_library=ANNUAL, construction_kind="new",
            signed_on=D(2025, 5, 1), filed_on=D(2025, 9, 1), started_on=D(2026, 3, 2),
        ),
        "started_in_reserve": project(
            "开工仍在储备库", region="320282", stage=Stage.STARTED, sub_library=RESERVE,
            signed_on=D(2025, 5, 1), filed_on=D(2025, 9, 1), started_on=D(2026, 3, 2),
        ),
        # started this year: a new start
        "started_2027": project(
            "2027年开工", stage=Stage.STARTED, sub_library=ANNUAL, construction_kind="continuing",
            signed_on=D(2026, 5, 1), filed_on=D(2026, 9, 1), started_on=D(2027, 1, 2),
        ),
        # not started: by its planned start
        "due_2027": project(
            "计划2027年开工", stage=Stage.FILED, sub_library=RESERVE, planned_start=D(2027, 5, 1),
            signed_on=D(2026, 5, 1), filed_on=D(2026, 9, 1),
        ),
        "late": project(
            "计划2026年开工未开工", stage=Stage.FILED, sub_library=ANNUAL,
            construction_kind="new", planned_start=D(2026, 9, 1),
            signed_on=D(2026, 5, 1), filed_on=D(2026, 6, 1),
        ),
        "due_2028": project(
            "计划2028年开工", stage=Stage.FILED, sub_library=ANNUAL, construction_kind="new",
            planned_start=D(2028, 3, 1), signed_on=D(2026, 5, 1), filed_on=D(2026, 9, 1),
        ),
        "key_2028": project(
            "重点工程2028年开工", sub_library=KEY, construction_kind="new",
            planned_start=D(2028, 3, 1),
        ),
        "refused": project(
            "预审未通过", sub_library=ANNUAL, construction_kind="new", planned_start=D(2028, 3, 1),
            admission=Admission.REJECTED,
        ),
        "suqian": project(
            "沭阳计划2028年开工", region="321322", sub_library=ANNUAL, construction_kind="new",
            planned_start=D(2028, 3, 1),
        ),
        **people,
    }  # fmt: skip


EXPECTED = {
    "done_2025": (COMPLETED, ""),
    "key_done_2026": (COMPLETED, ""),
    "started_2026": (ANNUAL, "continuing"),
    "started_in_reserve": (ANNUAL, "continuing"),
    "started_2027": (ANNUAL, "new"),
    "due_2027": (ANNUAL, "new"),
    "late": (ANNUAL, "new"),  # already in place
    "due_2028": (RESERVE, ""),
    "key_2028": (KEY, ""),
}


def placed(world, key) -> tuple[str, str]:
    project = Project.objects.get(pk=world[key].pk)
    return project.sub_library, project.construction_kind


def test_the_rule_places_each_project_for_the_year(world):
    found = {
        project.pk: (project.to_library, project.to_kind)
        for project in library.moves(Project.objects.all(), 2027)
    }
    names = {world[key].pk: key for key in (*EXPECTED, "refused", "suqian")}
    assert {names[pk]: target for pk, target in found.items()} == {
        key: target for key, target in {**EXPECTED, "suqian": (RESERVE, "")}.items()
        if key != "late"
    }  # fmt: skip


def test_the_office_previews_and_confirms_and_every_move_is_in_the_history(client, world):
    office = world["city_office"]  # 无锡: not 宿迁's project
    client.force_login(office)
    page = client.get(reverse("projects:rollover"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "需调整 8 个项目" in html
    assert "年度建设库（续建）" in html and "已竣工" in html and "计划2028年开工" in html
    assert "沭阳计划2028年开工" not in html

    response = client.post(reverse("projects:rollover"), {"year": 2027, "expected": 8})
    assert response.status_code == 302
    for key, target in EXPECTED.items():
        assert placed(world, key) == target, key
    assert placed(world, "refused") == (ANNUAL, "new")  # refused at pre-review: left alone
    assert placed(world, "suqian") == (ANNUAL, "new")  # another city's
    change = Project.history.filter(id=world["done_2025"].pk).latest("history_date")
    assert change.history_user == office
    assert change.history_change_reason == "2027年项目库滚动"
    assert (change.sub_library, change.construction_kind) == (COMPLETED, "")
    rollover = LibraryRollover.objects.get(region_id="320200", year=2027)
    assert (rollover.status, rollover.moved, rollover.applied_by) == ("applied", 8, office)
    assert "需调整 0 个项目" in client.get(reverse("projects:rollover")).content.decode()


def test_a_preview_gone_stale_changes_nothing(client, world):
    client.force_login(world["city_office"])
    response = client.post(reverse("projects:rollover"), {"year": 2027, "expected": 5}, follow=True)
    assert "预览后项目库有变化（需调整的项目由5个变为8个），请重新查看后再确认。" in (
        response.content.decode()
    )
    assert placed(world, "done_2025") == (ANNUAL, "continuing")
    assert not LibraryRollover.objects.exists()


@pytest.mark.parametrize("person", ["county_filer", "liaison", "leader"])
def test_only_offices_see_and_confirm_the_rollover(client, world, person):
    client.force_login(world[person])
    assert client.get(reverse("projects:rollover")).status_code == 404
    assert (
        client.post(reverse("projects:rollover"), {"year": 2027, "expected": 8}).status_code == 404
    )
    assert placed(world, "done_2025") == (ANNUAL, "continuing")


def test_a_project_that_starts_joins_the_years_construction_list_at_once(world):
    project = factories.project(
        "320281",
        by=world["province_office"],
        name="储备项目提前开工",
        stage=Stage.FILED,
        sub_library=RESERVE,
        planned_start=D(2028, 3, 1),
        signed_on=D(2026, 5, 1),
        filed_on=D(2026, 9, 1),
    )
    project_services.project_transition(
        project=project, stage=Stage.STARTED, date=TODAY, by=world["province_office"]
    )
    project.refresh_from_db()
    assert (project.sub_library, project.construction_kind) == (ANNUAL, "new")
    change = Project.history.get(id=project.pk, history_change_reason="阶段变更后按规则调整子库")
    assert (change.sub_library, change.construction_kind) == (ANNUAL, "new")
    assert change.history_user == world["province_office"]


def test_the_turn_of_the_year_and_the_command_propose_it_to_the_office(world):
    province = world["province_office"]
    assert not [item for item in todo_items(province) if item.kind == "rollover"]
    assert propose_rollover() == 9  # every move in the province, 宿迁's included
    (item,) = [item for item in todo_items(province) if item.kind == "rollover"]
    assert item.title == "确认2027年项目库滚动" and item.url == reverse("projects:rollover")
    assert "需调整9个项目" in item.detail
    assert todo_count(province) == len(todo_items(province))

    out = StringIO()
    call_command("library_rollover", "--region", "320200", stdout=out)
    assert "无锡市2027年项目库滚动：需调整 8 个项目。" in out.getvalue()
    assert "储备库 → 年度建设库（续建）：1 个" in out.getvalue()
    assert placed(world, "done_2025") == (ANNUAL, "continuing")  # a preview changes nothing

    call_command("library_rollover", "--apply", stdout=StringIO())
    for key, target in EXPECTED.items():
        assert placed(world, key) == target, key
    assert LibraryRollover.objects.get(region=Region.objects.get(code="320000")).status == (
        "applied"
    )
    assert not [item for item in todo_items(province) if item.kind == "rollover"]
    assert SubLibrary.COMPLETED.label == "已竣工"
