"""会商预审 through the API (issue 22, seed 001): an office opens it for a signed project, each
invited department records its opinion with its assessment against the criteria (生态环保、
安全生产、产业政策、用地、能耗), the office concludes it and the project is admitted or kept out —
within the caller's scope, with the services' refusals as Chinese 400s."""

import datetime

import pytest

from accounts.models import Unit
from projects.models import Admission, Stage

from . import factories
from .test_api_projects import assert_error

pytestmark = pytest.mark.django_db

PREREVIEWS = "/api/v1/prereviews/"


@pytest.fixture
def world(people):
    ecology = factories.unit("江阴市生态环境局", "320281", Unit.Kind.DEPARTMENT)
    land = factories.unit("江阴市自然资源和规划局", "320281", Unit.Kind.DEPARTMENT)
    signed = factories.project(
        "320281",
        by=people["province_office"],
        name="江阴新签约项目",
        stage=Stage.SIGNED,
        signed_on=datetime.date(2026, 10, 8),
    )
    return {
        **people,
        "ecology": ecology,
        "land": land,
        "signed": signed,
        "ecology_liaison": factories.user(
            "ecology_liaison", "320281", ["department_liaison"], ecology
        ),
    }


def opened(api, world):
    response = api.as_user(world["county_office"]).post(
        PREREVIEWS,
        {
            "project": world["signed"].pk,
            "held_on": "2026-11-02",
            "departments": [world["ecology"].pk, world["land"].pk],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    return response.json()


def test_the_office_opens_departments_judge_the_criteria_and_the_office_concludes(api, world):
    review = opened(api, world)
    assert review["result"] == "pending" and review["opinions"] == []
    url = f"{PREREVIEWS}{review['id']}/"

    liaison = api.as_user(world["ecology_liaison"])
    refused = liaison.post(
        f"{url}opinions/",
        {"unit": world["ecology"].pk, "verdict": "agree", "environment": "fails"},
    )
    body = assert_error(refused, 400, "criterion_failed", field="verdict")
    assert "“生态环保”评估为不符合，不能出具同意意见" in body["message"]
    recorded = liaison.post(
        f"{url}opinions/",
        {
            "unit": world["ecology"].pk,
            "verdict": "conditional",
            "comment": "须配套建设危废暂存设施",
            "environment": "fails",
            "safety": "meets",
            "energy": "na",
        },
    )
    assert recorded.status_code == 200, recorded.content
    (opinion,) = recorded.json()["opinions"]
    assert (opinion["environment"], opinion["safety"], opinion["energy"], opinion["land"]) == (
        "fails",
        "meets",
        "na",
        "",
    )
    # a liaison speaks for its own unit only
    other = liaison.post(f"{url}opinions/", {"unit": world["land"].pk, "verdict": "agree"})
    assert other.status_code == 403

    office = api.as_user(world["county_office"])
    early = office.post(f"{url}conclude/", {})
    assert_error(early, 400, "opinions_missing")
    land = {"unit": world["land"].pk, "verdict": "agree", "land": "meets"}
    office.post(f"{url}opinions/", {**land, "industrial_policy": "meets"})
    done = office.post(f"{url}conclude/", {"note": "同意入库，落实环保条件"})
    assert done.status_code == 200, done.content
    assert done.json()["result"] == "passed"
    world["signed"].refresh_from_db()
    assert world["signed"].admission == Admission.ADMITTED


def test_a_bad_assessment_and_a_non_office_opening_are_refused(api, world):
    review = opened(api, world)
    bad = api.as_user(world["ecology_liaison"]).post(
        f"{PREREVIEWS}{review['id']}/opinions/",
        {"unit": world["ecology"].pk, "verdict": "agree", "environment": "maybe"},
    )
    assert_error(bad, 400, "validation_error", field="environment")
    filer = api.as_user(world["county_filer"]).post(
        PREREVIEWS,
        {"project": world["signed"].pk, "held_on": "2026-11-02", "departments": []},
        format="json",
    )
    assert filer.status_code == 403


def test_another_countys_prereview_is_not_found(api, world):
    review = opened(api, world)
    outsider = api.as_user(world["county_filer2"])  # 沭阳
    assert outsider.get(f"{PREREVIEWS}{review['id']}/").status_code == 404
    assert outsider.get(PREREVIEWS).json()["results"] == []
    assert outsider.post(f"{PREREVIEWS}{review['id']}/conclude/", {}).status_code == 404
    mine = api.as_user(world["county_office"]).get(PREREVIEWS, {"project": world["signed"].pk})
    assert [row["id"] for row in mine.json()["results"]] == [review["id"]]
