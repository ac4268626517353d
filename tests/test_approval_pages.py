"""The approval pages (SPEC §7, §13): the board by kind and status, the approval page with its
status changes and history, registering and editing, the project page's section, and the
department performance table with its export — as the people of the scope matrix see them.

Today is pinned to Friday 20 March 2026; March 2026 has no holidays, so its working days are
the weekdays.
"""

import datetime
from io import BytesIO

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import Unit
from approvals import services
from approvals.models import Approval, ApprovalEvent, ApprovalKind, ApprovalStatus

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 3, 20)
MAR = {day: datetime.date(2026, 3, day) for day in range(1, 32)}


@pytest.fixture(autouse=True)
def pinned_today():
    with clock_at(TODAY):
        yield TODAY


def department(name):
    return factories.unit(name, "320000", Unit.Kind.DEPARTMENT)


def make(project, kind, unit, *, by, submitted=None, accepted=None, decided=None, **fields):
    """An approval registered and moved through the service to the given dates."""
    approval = services.approval_create(
        by=by, project=project, kind=ApprovalKind.objects.get(code=kind), unit=unit, **fields
    )
    steps = [
        (ApprovalStatus.SUBMITTED, submitted, ""),
        (ApprovalStatus.ACCEPTED, accepted, ""),
        (ApprovalStatus.APPROVED, decided, "苏环审〔2026〕1号"),
    ]
    for status, date, document_no in steps:
        if date is not None:
            approval = services.approval_transition(
                approval=approval, by=by, status=status, date=date, document_no=document_no
            )
    return approval


@pytest.fixture
def world(people, library):
    """EIA approvals handled by 省生态环境厅 in 江阴 (running), 宜兴 (decided) and 沭阳;
    land approvals handled by 省自然资源厅 in 江阴 (overdue) and for the 江阴 enterprise
    (decided fast); one not started."""
    by = people["province_office"]
    ecology = department("省生态环境厅")
    land = people["liaison"].unit  # 省自然资源厅
    return {
        **people,
        **library,
        "ecology": ecology,
        "land": land,
        "ecology_liaison": factories.user(
            "ecology_liaison", "320000", ["department_liaison"], ecology
        ),
        # accepted 2 March: 14 working days so far of 30 promised, target 70% = 21
        "jiangyin_eia": make(
            library["jiangyin_other"],
            "eia",
            ecology,
            by=by,
            submitted=MAR[2],
            accepted=MAR[2],
            note="化工园区环评",
        ),
        # 5 promised, 14 used: 9 past the promise
        "jiangyin_land": make(
            library["jiangyin_other"],
            "land",
            land,
            by=by,
            submitted=MAR[2],
            accepted=MAR[2],
            promised_days=5,
        ),
        # decided in 6 of 20 working days: 70% faster than promised
        "enterprise_land": make(
            library["jiangyin_enterprise_1"],
            "land",
            land,
            by=by,
            submitted=MAR[2],
            accepted=MAR[2],
            decided=MAR[10],
        ),
        # decided in 10 of 30 working days
        "yixing_eia": make(
            library["yixing"],
            "eia",
            ecology,
            by=by,
            submitted=MAR[2],
            accepted=MAR[2],
            decided=MAR[16],
        ),
        "shuyang_eia": make(library["shuyang"], "eia", ecology, by=by, submitted=MAR[9]),
        "jiangyin_energy": make(library["jiangyin_other"], "energy", ecology, by=by),
    }


def login(client, person):
    assert client.login(username=person.username, password=factories.PASSWORD)
    return client


def board_list(response) -> list[tuple[str, str]]:
    return [(row.approval.project.name, row.approval.kind.name) for row in response.context["rows"]]


def board_rows(response) -> set[tuple[str, str]]:
    return set(board_list(response))


def action_url(approval, action):
    return reverse("approvals:action", args=[approval.pk, action])


def detail_url(approval):
    return reverse("approvals:detail", args=[approval.pk])


# --- the board -----------------------------------------------------------------------------


def test_board_shows_the_approvals_in_scope_with_their_figures(client, world):
    page = login(client, world["county_filer"]).get(reverse("approvals:board"))
    assert page.status_code == 200
    assert board_rows(page) == {
        ("江阴其他企业项目", "环评"),
        ("江阴其他企业项目", "用地用海"),
        ("江阴其他企业项目", "能评"),
        ("江阴澄新一期", "用地用海"),
    }
    html = page.content.decode()
    assert "沭阳项目" not in html and "宜兴项目" not in html
    # 江阴 EIA: 14 working days used, 16 left of the promise, 7 of the 70% target
    assert "余 16 日" in html and "余 7 日" in html
    # 江阴 land: 5 promised, 14 used
    assert "超 9 日" in html and "超承诺时限" in html
    # the enterprise's land approval: decided in 6 of 20 working days
    assert "提速 70%" in html and "提前 14 日" in html
    # one of the running approvals is past its promise
    assert "其中 1 项办理中已超承诺时限" in html

    page = login(client, world["county_filer2"]).get(reverse("approvals:board"))
    assert board_rows(page) == {("沭阳项目", "环评")}


def test_board_lists_by_kind_then_status_and_counts_them(client, world):
    page = login(client, world["province_office"]).get(reverse("approvals:board"))
    # the kinds' order, within a kind the department's clock running first, then what is on
    # its way, then what is decided (the latest decision first)
    assert [(row.approval.kind.code, row.approval.status) for row in page.context["rows"]] == [
        ("land", "accepted"),
        ("land", "approved"),
        ("eia", "accepted"),
        ("eia", "submitted"),
        ("eia", "approved"),
        ("energy", "not_started"),
    ]
    matrix = {line["kind"].code: dict(line["cells"]) for line in page.context["matrix"]}
    assert matrix["eia"]["accepted"] == 1 and matrix["eia"]["approved"] == 1
    assert matrix["land"]["accepted"] == 1 and matrix["land"]["approved"] == 1
    # a kind in the summary lists that kind
    html = page.content.decode()
    assert '<a href="?kind=eia">环评</a>' in html


def test_board_sorts_by_a_column_and_ignores_an_unknown_one(client, world):
    login(client, world["province_office"])
    board = reverse("approvals:board")
    by_promise = client.get(board, {"sort": "promise_due_on"})
    # promised by 9 March (5 days from 2 March), then 30 working days from 2 March; the others
    # have no promise yet (last)
    assert board_list(by_promise)[:2] == [
        ("江阴其他企业项目", "用地用海"),
        ("江阴澄新一期", "用地用海"),
    ]
    html = by_promise.content.decode()
    assert 'aria-sort="ascending"' in html and "sort=-promise_due_on" in html
    by_project = board_list(client.get(board, {"sort": "-project", "kind": "eia"}))
    assert [name for name, _kind in by_project] == sorted(
        ["江阴其他企业项目", "宜兴项目", "沭阳项目"], reverse=True
    )
    unknown = client.get(board, {"sort": "figures"})
    assert unknown.status_code == 200
    assert board_list(unknown) == board_list(client.get(board))


def test_board_pages_keep_the_filters_and_the_sort(client, world, monkeypatch):
    from approvals import views

    monkeypatch.setattr(views, "BOARD_PAGE_SIZE", 2)
    login(client, world["province_office"])
    board = reverse("approvals:board")
    first = client.get(board, {"kind": "eia", "sort": "project"})
    assert first.context["page"].paginator.count == 3 and len(first.context["rows"]) == 2
    html = first.content.decode()
    assert 'href="?kind=eia&amp;sort=project&amp;page=2" rel="next"' in html
    second = client.get(board, {"kind": "eia", "sort": "project", "page": 2})
    assert len(board_list(second)) == 1
    assert set(board_list(first) + board_list(second)) == {
        ("江阴其他企业项目", "环评"),
        ("宜兴项目", "环评"),
        ("沭阳项目", "环评"),
    }


def test_board_filters_by_kind_status_region_unit_and_overdue(client, world):
    login(client, world["province_office"])
    board = reverse("approvals:board")
    assert board_rows(client.get(board, {"kind": "eia", "status": "approved"})) == {
        ("宜兴项目", "环评")
    }
    assert board_rows(client.get(board, {"overdue": "true"})) == {("江阴其他企业项目", "用地用海")}
    assert board_rows(client.get(board, {"region": "321300"})) == {("沭阳项目", "环评")}
    by_unit = board_rows(client.get(board, {"unit": world["land"].pk}))
    assert by_unit == {("江阴其他企业项目", "用地用海"), ("江阴澄新一期", "用地用海")}
    unknown = client.get(board, {"region": "999999"})
    assert "行政区划代码“999999”不存在。" in unknown.content.decode()


def test_board_query_count_does_not_grow_with_rows(client, world, django_assert_max_num_queries):
    login(client, world["province_office"])

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("approvals:board")).status_code == 200
        return len(captured)

    few = queries()
    by = world["province_office"]
    for n in range(6):
        project = factories.project("320282", by=by, name=f"宜兴批量{n}")
        make(project, "eia", world["ecology"], by=by, submitted=MAR[3], accepted=MAR[4])
        make(project, "land", world["land"], by=by, submitted=MAR[3])
        make(project, "forestry", world["land"], by=by)
    assert queries() == few
    # +2: the notification bell and the to-do badge; +1: the pager counts the rows
    with django_assert_max_num_queries(17):
        client.get(reverse("approvals:board"))


# --- scope ---------------------------------------------------------------------------------


def test_approval_outside_scope_is_not_found(client, world):
    approval = world["jiangyin_eia"]
    login(client, world["county_filer2"])
    assert client.get(detail_url(approval)).status_code == 404
    assert client.post(action_url(approval, "approve")).status_code == 404
    assert client.get(reverse("approvals:edit", args=[approval.pk])).status_code == 404
    assert login(client, world["county_filer"]).get(detail_url(approval)).status_code == 200


def test_ecology_liaison_sees_the_eia_approvals_it_handles_and_nothing_else(client, world):
    login(client, world["ecology_liaison"])
    page = client.get(reverse("approvals:board"))
    assert ("江阴其他企业项目", "环评") in board_rows(page)
    assert all(kind != "用地用海" for _project, kind in board_rows(page))

    eia = client.get(detail_url(world["jiangyin_eia"]))
    assert eia.status_code == 200
    # the handling department's liaison keeps its approvals up to date
    assert action_url(world["jiangyin_eia"], "approve") in eia.content.decode()
    assert client.get(detail_url(world["jiangyin_land"])).status_code == 404
    assert (
        client.get(reverse("approvals:edit", args=[world["jiangyin_land"].pk])).status_code == 404
    )


def test_ecology_liaison_does_not_see_a_project_page_where_it_handles_nothing(client, world):
    nothing_there = world["nanjing"]
    assert not Approval.objects.filter(project=nothing_there).exists()
    login(client, world["ecology_liaison"])
    assert client.get(reverse("projects:detail", args=[nothing_there.pk])).status_code == 404
    # …but reads the page of a project whose EIA it handles.
    handled = Approval.objects.filter(unit=world["ecology_liaison"].unit).first().project
    assert client.get(reverse("projects:detail", args=[handled.pk])).status_code == 200


def test_approval_pages_need_a_login(client, world):
    for url in (reverse("approvals:board"), reverse("approvals:performance")):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the approval page and its status changes ----------------------------------------------


def test_approval_page_shows_facts_figures_history_and_only_allowed_actions(client, world):
    approval = world["jiangyin_eia"]
    page = login(client, world["county_office"]).get(detail_url(approval)).content.decode()
    assert "省生态环境厅" in page and "化工园区环评" in page
    # 30 working days after 2 March, with Monday 6 April (清明) off
    assert "承诺办结日 2026-04-14" in page and "目标办结日 2026-03-31" in page
    assert "已申报 → 已受理" in page and "未启动 → 已申报" in page
    for action in ("review", "approve", "refuse", "return"):
        assert action_url(approval, action) in page
    for action in ("submit", "accept", "prepare"):
        assert action_url(approval, action) not in page

    filer_page = login(client, world["county_filer"]).get(detail_url(approval)).content.decode()
    assert 'action="/approvals/' not in filer_page
    assert "当前没有需要您办理的操作" in filer_page


def test_approving_from_the_page_records_the_decision_and_the_history(client, world):
    approval = world["jiangyin_eia"]
    events = ApprovalEvent.objects.filter(approval=approval).count()
    login(client, world["ecology_liaison"])
    response = client.post(
        action_url(approval, "approve"),
        {"date": "2026-03-19", "document_no": "苏环审〔2026〕88号", "comment": "提前办结"},
    )
    assert response.status_code == 302
    assert response["Location"] == detail_url(approval)
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.APPROVED
    assert approval.decided_on == MAR[19] and approval.document_no == "苏环审〔2026〕88号"
    assert ApprovalEvent.objects.filter(approval=approval).count() == events + 1
    last = ApprovalEvent.objects.filter(approval=approval).last()
    assert (last.actor, last.comment) == (world["ecology_liaison"], "提前办结")

    page = client.get(response["Location"]).content.decode()
    assert "“批复”已完成。" in page
    assert "已受理 → 已批复" in page and "提前办结" in page
    assert "提速 57%" in page  # 13 of 30 working days


def test_illegal_transition_is_refused_in_chinese_and_changes_nothing(client, world):
    approval = world["jiangyin_energy"]  # not started
    login(client, world["county_office"])
    response = client.post(
        action_url(approval, "approve"), {"date": "2026-03-19", "document_no": "苏发改〔2026〕1号"}
    )
    assert response.status_code == 400
    assert "审批事项当前为“未启动”，不能变更为“已批复”。" in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.NOT_STARTED
    assert not ApprovalEvent.objects.filter(approval=approval).exists()


@pytest.mark.parametrize(
    "posted, message",
    [
        ({"date": "2026-03-19", "document_no": ""}, "请填写批复文号。"),
        ({"date": "2026-03-23", "document_no": "苏环审〔2026〕9号"}, "发生日期不能晚于今天。"),
        ({"date": "2026-02-27", "document_no": "苏环审〔2026〕9号"}, "批复日期不能早于受理日期。"),
        ({"date": "", "document_no": "苏环审〔2026〕9号"}, "请填写发生日期。"),
    ],
)
def test_invalid_transition_shows_the_error_on_the_form_and_changes_nothing(
    client, world, posted, message
):
    approval = world["jiangyin_eia"]
    events = ApprovalEvent.objects.filter(approval=approval).count()
    response = login(client, world["county_office"]).post(action_url(approval, "approve"), posted)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert '<details class="action" id="action-approve" open>' in html
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.ACCEPTED and approval.decided_on is None
    assert ApprovalEvent.objects.filter(approval=approval).count() == events


def test_a_transition_not_the_users_to_make_is_forbidden(client, world):
    approval = world["jiangyin_eia"]
    response = login(client, world["county_filer"]).post(
        action_url(approval, "review"), {"date": "2026-03-19"}
    )
    assert response.status_code == 403
    assert "您没有变更该审批事项状态的权限。" in response.content.decode()
    approval.refresh_from_db()
    assert approval.status == ApprovalStatus.ACCEPTED


def test_unknown_action_is_not_found_and_get_is_not_allowed(client, world):
    approval = world["jiangyin_eia"]
    login(client, world["county_office"])
    assert client.post(action_url(approval, "teleport")).status_code == 404
    assert client.get(action_url(approval, "approve")).status_code == 405


# --- editing and registering ---------------------------------------------------------------


def test_editing_changes_the_promise_and_its_due_date(client, world):
    approval = world["jiangyin_eia"]
    login(client, world["county_office"])
    url = reverse("approvals:edit", args=[approval.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "authority_level": "province",
            "unit": world["ecology"].pk,
            "promised_days": "20",
            "document_no": "",
            "note": "承诺时限调整",
        },
    )
    assert response.status_code == 302
    approval.refresh_from_db()
    assert approval.promised_days == 20 and approval.note == "承诺时限调整"
    assert approval.promise_due_on == MAR[30]
    assert approval.status == ApprovalStatus.ACCEPTED

    refused = client.post(url, {"authority_level": "province", "unit": world["ecology"].pk})
    assert refused.status_code == 400
    approval.refresh_from_db()
    assert approval.promised_days == 20

    assert login(client, world["county_filer"]).get(url).status_code == 403


def test_registering_from_the_project_page(client, world):
    project = world["jiangyin_enterprise_2"]
    login(client, world["county_office"])
    page = client.get(reverse("projects:detail", args=[project.pk])).content.decode()
    create = f"{reverse('approvals:create')}?project={project.pk}"
    assert create in page and "暂无审批事项。" in page

    form = client.get(create)
    assert form.status_code == 200
    response = client.post(create, {"project": project.pk, "kind": "soil_water"})
    assert response.status_code == 302
    approval = Approval.objects.get(project=project, kind="soil_water")
    assert response["Location"] == detail_url(approval)
    assert approval.status == ApprovalStatus.NOT_STARTED
    assert approval.promised_days == 5  # the kind's default

    again = client.post(create, {"project": project.pk, "kind": "soil_water"})
    assert again.status_code == 400
    assert Approval.objects.filter(project=project).count() == 1

    assert login(client, world["county_filer"]).get(create).status_code == 403
    outside = f"{reverse('approvals:create')}?project={world['shuyang'].pk}"
    assert login(client, world["county_office"]).get(outside).status_code == 404


def test_project_page_lists_its_approvals_with_figures(client, world):
    project = world["jiangyin_other"]
    page = login(client, world["county_filer"]).get(reverse("projects:detail", args=[project.pk]))
    html = page.content.decode()
    assert 'id="approvals"' in html
    for approval in ("jiangyin_eia", "jiangyin_land", "jiangyin_energy"):
        assert detail_url(world[approval]) in html
    assert "14/30" in html and "超 9 日" in html
    assert reverse("approvals:create") not in html  # a filer does not register approvals


# --- department performance ----------------------------------------------------------------


def performance_rows(response):
    return [(row.unit_name, row.kind_code) for row in response.context["rows"]]


def test_performance_table_sorts_by_any_column(client, world):
    login(client, world["province_office"])
    url = reverse("approvals:performance")
    by = world["province_office"]
    make(world["nanjing"], "eia", world["ecology"], by=by, submitted=MAR[2], accepted=MAR[2])

    default = client.get(url)
    assert default.status_code == 200
    assert performance_rows(default) == [
        ("省自然资源厅", "land"),
        ("省生态环境厅", "eia"),
        ("省生态环境厅", "energy"),
    ]

    by_median = client.get(url, {"sort": "-median_days"})
    # EIA took 10 working days, land 6; energy has nothing decided and goes last
    assert performance_rows(by_median) == [
        ("省生态环境厅", "eia"),
        ("省自然资源厅", "land"),
        ("省生态环境厅", "energy"),
    ]
    html = by_median.content.decode()
    assert 'aria-sort="descending"' in html
    assert 'href="?sort=median_days"' in html  # the heading now sorts the other way
    ascending = client.get(url, {"sort": "median_days"})
    assert performance_rows(ascending)[:2] == [("省自然资源厅", "land"), ("省生态环境厅", "eia")]

    by_count = client.get(url, {"sort": "-count"})
    first = by_count.context["rows"][0]
    assert (first.kind_code, first.count, first.running) == ("eia", 4, 2)

    eia_only = client.get(url, {"kind": "eia", "region": "320200"})
    assert performance_rows(eia_only) == [("省生态环境厅", "eia")]
    assert eia_only.context["rows"][0].count == 2  # 江阴 and 宜兴, not 沭阳 or 南京


def test_performance_is_scoped(client, world):
    page = login(client, world["county_filer2"]).get(reverse("approvals:performance"))
    assert [(row.kind_code, row.count) for row in page.context["rows"]] == [("eia", 1)]


def test_performance_export_holds_the_rows_of_the_page(client, world):
    login(client, world["province_office"])
    query = {"sort": "-median_days"}
    response = client.get(reverse("approvals:performance-export"), query)
    assert response.status_code == 200
    assert response["Content-Type"].startswith(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert ".xlsx" in response["Content-Disposition"]
    sheet = load_workbook(BytesIO(response.content)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0][:3] == ("办理单位", "审批类型", "事项数")
    assert [line[:2] for line in lines[1:]] == [
        ("省生态环境厅", "环评"),
        ("省自然资源厅", "用地用海"),
        ("省生态环境厅", "能评"),
    ]
    eia = lines[1]
    # count, decided, running, median, mean, within promise, within target, overdue
    assert eia[2:] == (3, 1, 1, 10, 10, 1, 1, 0)

    outsider = login(client, world["county_filer2"]).get(reverse("approvals:performance-export"))
    rows = list(load_workbook(BytesIO(outsider.content)).active.iter_rows(values_only=True))
    assert [line[:3] for line in rows[1:]] == [("省生态环境厅", "环评", 1)]


def test_a_unit_name_written_as_a_formula_is_exported_as_text(client, world):
    hostile = '=1+1&"省生态环境厅"'
    Unit.objects.filter(name="省生态环境厅").update(name=hostile)
    response = login(client, world["province_office"]).get(reverse("approvals:performance-export"))
    cells = [c for row in load_workbook(BytesIO(response.content)).active.iter_rows() for c in row]
    written = [cell for cell in cells if cell.value == hostile]
    assert written and all(cell.data_type == "s" for cell in written)
    numbers = [cell for cell in cells if isinstance(cell.value, int | float)]
    assert numbers and all(cell.data_type == "n" for cell in numbers)  # figures stay numbers
