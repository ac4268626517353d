"""专题督办 beyond the issues (issue 22): the regions whose indicators show red lights and the
departments with approvals running past their promised time limit, each against thresholds in
the settings, each within the reader's scope.

The indicators use the cockpit's hand-made library (``test_cockpit.build_world``): 无锡 has
two of four projects filed in 2026 started, 50 % against its 开工率 target of 70 — red with a
five-point yellow margin; 江阴 the same 50 % against 40 — green. Pinned to 7 December 2026.
"""

import datetime

import pytest
from django.urls import reverse

from accounts.models import Unit
from approvals import services as approval_services
from approvals.models import ApprovalKind
from indicators.models import Indicator
from issues import selectors
from schedule.workdays import current_calendar

from . import factories
from .test_cockpit import build_world

TODAY = datetime.date(2026, 12, 7)
pytestmark = [pytest.mark.django_db, pytest.mark.clock(TODAY)]


@pytest.fixture
def world(people, settings):
    settings.COCKPIT_YELLOW_MARGIN = 5
    return build_world(people)


def running_since(by, project, code: str, workdays_ago: int, unit: Unit):
    """An approval of ``unit`` accepted ``workdays_ago`` working days before today, in review."""
    calendar = current_calendar()
    accepted_on = calendar.add_workdays(calendar.previous_workday(TODAY), -workdays_ago)
    approval = approval_services.approval_create(
        by=by, project=project, kind=ApprovalKind.objects.get(code=code), unit=unit
    )
    for status in ("submitted", "accepted"):
        approval = approval_services.approval_transition(
            approval=approval, by=by, status=status, date=accepted_on
        )
    return approval_services.approval_transition(approval=approval, by=by, status="under_review")


def test_a_city_with_a_red_indicator_is_listed_with_its_value_and_target(world):
    rows = selectors.red_indicator_regions(world["province_office"], TODAY)

    assert [row.region.code for row in rows] == ["320200"]  # 宿迁: no target, no light
    (figure,) = rows[0].figures
    assert figure.indicator == Indicator.WX_START
    assert (figure.value, figure.target) == (50, 70)


def test_the_threshold_of_red_indicators_is_a_setting(world, settings):
    settings.SUPERVISION_RED_INDICATORS = 2
    assert selectors.red_indicator_regions(world["province_office"], TODAY) == []
    settings.SUPERVISION_RED_INDICATORS = 1
    settings.COCKPIT_YELLOW_MARGIN = 25  # 50 against 70 is now yellow, not red
    assert selectors.red_indicator_regions(world["province_office"], TODAY) == []


def test_a_city_office_looks_at_its_counties_and_a_county_at_nothing_above_it(world):
    # 江阴 is at 50 % against 40: green; the other counties have no target
    assert selectors.red_indicator_regions(world["city_office"], TODAY) == []
    assert selectors.red_indicator_regions(world["county_filer2"], TODAY) == []


@pytest.fixture
def late(world):
    """江阴's land bureau: two approvals past their 20-working-day promise; its ecology bureau:
    one past it among four running (25 %, under the 30 % share)."""
    by = world["province_office"]
    land = factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)
    ecology = factories.unit("江阴市生态环境局", "320281", Unit.Kind.DEPARTMENT)

    def project():
        return factories.project("320281", by=by)

    for days in (25, 30):
        running_since(by, project(), "land", days, land)
    for days in (80, 1, 2, 3):  # the eia promise is longer than 3 working days
        running_since(by, project(), "eia", days, ecology)
    return {"land": land, "ecology": ecology}


def test_departments_past_the_approval_thresholds_are_listed(world, late, settings):
    rows = selectors.late_approval_units(world["province_office"], TODAY)

    assert [(row.unit, row.running, row.overdue) for row in rows] == [(late["land"], 2, 2)]
    settings.APPROVAL_SUPERVISION = {"min_overdue": 3, "overdue_ratio": 0.25, "min_running": 2}
    rows = selectors.late_approval_units(world["province_office"], TODAY)
    assert [(row.unit, row.overdue, row.share) for row in rows] == [
        (late["land"], 2, 1.0),
        (late["ecology"], 1, 0.25),
    ]


def test_the_supervision_page_shows_both_lists_within_the_scope(client, world, late):
    client.force_login(world["province_office"])
    html = client.get(reverse("issues:supervision")).content.decode()
    red = html[html.index('id="red-indicators"') : html.index('id="late-approvals"')]
    assert "无锡市" in red and "50.0% / 70.0%" in red and "宿迁市" not in red
    assert "至少 1 项亮红灯（低于本地区目标超过 5 个百分点）" in red
    approvals = html[html.index('id="late-approvals"') :]
    assert "江阴市自然资源和规划局" in approvals and "江阴市生态环境局" not in approvals
    assert f"?unit={late['land'].pk}&amp;overdue=true" in approvals

    # 沭阳's filer sees neither 无锡 nor 江阴's departments
    client.force_login(world["county_filer2"])
    html = client.get(reverse("issues:supervision")).content.decode()
    assert "没有指标亮红灯的地区。" in html and "没有审批超期需要督办的部门。" in html
