"""Open data (issue 23): the projects offices mark public, published as an OC4IDS project
package — valid against the standard's schema by its own review library (libcoveoc4ids, run
offline on the schema vendored in opendata/schema/), with only the public projects and no
personal data — through the public API, the monthly file and its public page; marking a project
public from its page, in scope and by office staff only.

Today is pinned to Monday 23 November 2026.
"""

import csv
import datetime
import functools
import hashlib
import json
import re
import shutil
import threading
from decimal import Decimal
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from core.exceptions import DomainError
from funding.models import FundingRecord
from opendata import mapping, selectors, services, tasks
from opendata.models import Publication, PublishedFile
from projects.choices import Admission, LeaderLevel, Stage
from projects.models import Project
from schedule.models import Milestone, MilestoneKind, MilestoneLink, MilestoneStatus

from . import factories
from .conftest import clock_at

TODAY = datetime.date(2026, 11, 23)
day = datetime.date
SCHEMA = Path(__file__).resolve().parent.parent / "opendata" / "schema" / "0.9.5"
#: the one absolute $ref of the package schema, pointed at the local copy when served
PROJECT_SCHEMA_URL = (
    "https://standard.open-contracting.org/infrastructure/schema/0__9__5/project-schema.json"
)
CONTACT_NAME, CONTACT_PHONE, LEADER = "周晓梅", "13912345678", "陈国栋"


@pytest.fixture(autouse=True)
def pinned_today(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.OC4IDS_PROJECT_ID_PREFIX = "oc4ids-test00-"
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture
def world(people, library):
    """江阴's project with a code, content, key milestones, funding by two channels, a project
    unit with its credit code and a responsible department — public; 宜兴's private; 南京's
    marked public and later refused at pre-review."""
    office = people["county_office"]
    project = library["jiangyin_other"]
    department = factories.unit("江阴市发展和改革委员会", "320281", "department")
    Project.objects.filter(pk=project.pk).update(
        code="2025-320281-26-03-123456",
        name="江阴港区通用码头扩建工程",
        content="新建5万吨级通用泊位2个及配套堆场。",
        category="infrastructure",
        sector="交通运输",
        stage=Stage.STARTED,
        signed_on=day(2025, 3, 1),
        filed_on=day(2025, 6, 1),
        started_on=day(2026, 3, 2),
        planned_start=day(2026, 3, 1),
        planned_completion=day(2028, 6, 30),
        total_investment=Decimal("125000.50"),
        completed_investment_total=Decimal("30000"),
        responsible_unit=department,
        responsible_leader=LEADER,
        responsible_leader_level=LeaderLevel.CITY_DEPUTY,
        contact_name=CONTACT_NAME,
        contact_phone=CONTACT_PHONE,
    )
    project.refresh_from_db()
    type(project.unit).objects.filter(pk=project.unit_id).update(credit_code="91320281MA1P8X5Y3K")
    land = Milestone.objects.create(
        project=project,
        position=1,
        kind=MilestoneKind.LAND_SUPPLY,
        name="用地报批",
        duration_days=20,
        responsible_unit=department,
        status=MilestoneStatus.DONE,
        actual_start=day(2025, 9, 1),
        actual_finish=day(2025, 11, 28),
    )
    start = Milestone.objects.create(
        project=project,
        position=2,
        kind=MilestoneKind.CONSTRUCTION_START,
        name="开工",
        duration_days=1,
        status=MilestoneStatus.DONE,
        actual_start=day(2026, 3, 2),
        actual_finish=day(2026, 3, 2),
    )
    MilestoneLink.objects.create(successor=start, predecessor=land)
    FundingRecord.objects.create(
        project=project,
        channel_id="special_bond",
        year=2026,
        allocated=Decimal("3000"),
        issued=Decimal("2000"),
        used=Decimal("1000"),
        allocated_on=day(2026, 4, 1),
        issued_on=day(2026, 5, 10),
    )
    FundingRecord.objects.create(
        project=project, channel_id="central_budget", year=2026, allocated=Decimal("1000")
    )
    services.publication_set(by=office, project=project)
    rejected = library["nanjing"]
    services.publication_set(by=people["province_office"], project=rejected)
    Project.objects.filter(pk=rejected.pk).update(
        admission=Admission.REJECTED, responsible_leader="不应出现的领导"
    )
    return {**people, **library, "public": project, "department": department}


@functools.cache
def codelist(name: str) -> set[str]:
    with open(SCHEMA / "codelists" / f"{name}.csv", encoding="utf-8") as handle:
        return {row["Code"] for row in csv.DictReader(handle)}


@pytest.fixture(scope="session")
def schema_host(tmp_path_factory):
    """The vendored schema served on 127.0.0.1 (the library fetches it over HTTP; these machines
    cannot reach the standard's website), the package schema's $ref pointed at the copy."""
    folder = tmp_path_factory.mktemp("oc4ids-schema")
    shutil.copytree(SCHEMA, folder, dirs_exist_ok=True)
    handler = partial(_QuietHandler, directory=str(folder))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    url = f"http://127.0.0.1:{server.server_address[1]}/"
    package_schema = folder / "project-package-schema.json"
    text = package_schema.read_text(encoding="utf-8")
    assert PROJECT_SCHEMA_URL in text
    package_schema.write_text(
        text.replace(PROJECT_SCHEMA_URL, f"{url}project-schema.json"), encoding="utf-8"
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def validation_errors(package: dict, url: str, folder: Path) -> list:
    from libcoveoc4ids.api import oc4ids_json_output
    from libcoveoc4ids.config import LibCoveOC4IDSConfig

    config = LibCoveOC4IDSConfig(
        {
            "schema_host": url,
            "schema_version_choices": {"0.9.5": ("0.9.5", url)},
            "schema_codelists": {"0.9": f"{url}codelists/"},
        }
    )
    path = folder / "package.json"
    path.write_text(json.dumps(package, ensure_ascii=False), encoding="utf-8")
    output = folder / "cove"
    output.mkdir()
    return oc4ids_json_output(str(output), file=str(path), lib_cove_oc4ids_config=config)[
        "validation_errors"
    ]


def the_package() -> dict:
    return selectors.package(uri="https://example.org/api/v1/open-data/oc4ids/")


# --- the package --------------------------------------------------------------------------


def test_the_package_validates_against_the_oc4ids_schema(world, schema_host, tmp_path, monkeypatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    package = the_package()
    assert validation_errors(package, schema_host, tmp_path) == []

    (project,) = package["projects"]
    assert project["id"] == "oc4ids-test00-2025-320281-26-03-123456"
    assert project["status"] == "implementation"
    assert project["type"] == "expansion"  # 扩建
    assert project["sector"] == ["transport", "transport.water"]  # 港区、码头
    assert project["budget"]["amount"] == {"amount": 1_250_005_000, "currency": "CNY"}
    assert project["period"]["startDate"] == "2026-03-01T00:00:00+08:00"
    assert project["implementationPeriod"] == {"startDate": "2026-03-02T00:00:00+08:00"}
    assert project["locations"][0]["id"] == "320281"
    assert project["locations"][0]["address"]["region"] == "江苏省"
    parties = {party["name"]: party["roles"] for party in project["parties"]}
    assert parties[world["public"].unit.name] == ["publicAuthority"]
    assert parties["江阴市发展和改革委员会"] == ["administrativeEntity"]
    assert parties["专项债"] == ["funder"]
    land, start = project["milestones"]
    assert land["status"] == "met" and land["dateMet"] == "2025-11-28T00:00:00+08:00"
    assert land["type"] == "approval" and start["code"] == "commencement"
    assert land["dueDate"]  # the latest finish the 倒排 gives
    (transaction,) = project["transactions"]  # issued money only: the special bond's
    assert transaction["value"] == {"amount": 20_000_000, "currency": "CNY"}
    assert transaction["payer"]["name"] == "专项债"
    (breakdowns,) = project["budget"]["budgetBreakdowns"]
    allocated = {
        row["sourceParty"]["name"]: row["amount"]["amount"] for row in breakdowns["budgetBreakdown"]
    }
    assert allocated == {"专项债": 30_000_000, "中央预算内投资": 10_000_000}
    assert project["contractingProcesses"][0]["summary"]["status"] == "active"

    # completed and at capacity: the completion and the closed contracting process too
    Project.objects.filter(pk=world["public"].pk).update(
        stage=Stage.AT_CAPACITY,
        completed_on=day(2026, 9, 30),
        producing_on=day(2026, 10, 15),
        at_capacity_on=day(2026, 11, 20),
    )
    package = the_package()
    (tmp_path / "completed").mkdir()
    assert validation_errors(package, schema_host, tmp_path / "completed") == []
    completion = package["projects"][0]["completion"]
    assert completion["endDate"] == "2026-09-30T00:00:00+08:00"
    assert completion["finalValue"] == {"amount": 300_000_000, "currency": "CNY"}


def test_a_wrong_package_is_refused_by_the_validator(world, schema_host, tmp_path, monkeypatch):
    """The validation above is not vacuous: a wrong type is an error."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    package = the_package()
    package["projects"][0]["budget"]["amount"]["amount"] = "许多"
    assert len(validation_errors(package, schema_host, tmp_path)) == 1


def test_only_public_projects_appear(world):
    ids = {project["title"] for project in the_package()["projects"]}
    assert ids == {"江阴港区通用码头扩建工程"}  # not 宜兴's (private), nor 南京's (rejected)
    assert Publication.objects.filter(project=world["nanjing"]).exists()


def test_a_project_refused_at_pre_review_cannot_be_marked_public(world):
    Publication.objects.filter(project=world["nanjing"]).delete()
    with pytest.raises(DomainError, match="会商预审未通过"):
        services.publication_set(by=world["province_office"], project=world["nanjing"])
    assert not Publication.objects.filter(project=world["nanjing"]).exists()


def test_no_personal_data_in_the_package(world):
    text = json.dumps(the_package(), ensure_ascii=False)
    for personal in (CONTACT_NAME, CONTACT_PHONE, LEADER, "不应出现的领导"):
        assert personal not in text
    assert "市分管领导" in text  # the leader's level may be published
    for person in (world["county_office"], world["province_office"]):
        assert person.username not in text


@pytest.mark.parametrize(
    ("stage", "status"),
    [
        (Stage.PLANNING, "identification"),
        (Stage.SIGNED, "preparation"),
        (Stage.FILED, "preparation"),
        (Stage.STARTED, "implementation"),
        (Stage.COMPLETED, "completion"),
        (Stage.PRODUCING, "completion"),
        (Stage.AT_CAPACITY, "completion"),
    ],
)
def test_each_stage_gives_its_project_status(world, stage, status):
    Project.objects.filter(pk=world["public"].pk).update(stage=stage, completed_on=day(2026, 10, 8))
    (project,) = the_package()["projects"]
    assert project["status"] == status
    assert status in codelist("projectStatus")
    assert project["contractingProcesses"][0]["summary"]["status"] in codelist(
        "contractingProcessStatus"
    )
    assert ("completion" in project) == (status == "completion")


def test_every_code_the_mapping_gives_is_in_the_standards_codelists():
    assert set(mapping.STAGE_STATUS.values()) <= codelist("projectStatus")
    assert {code for _words, code in mapping.TYPE_WORDS} | {"construction"} <= codelist(
        "projectType"
    )
    assert {code for _words, code in mapping.SECTOR_WORDS} | {
        mapping.INDUSTRIAL_SECTOR
    } <= codelist("projectSector")
    assert set(mapping.MILESTONE_TYPES.values()) | {"preProcurement"} <= codelist("milestoneType")
    assert set(mapping.MILESTONE_CODES.values()) <= codelist("milestoneCode")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("高速公路改扩建工程", "expansion"),
        ("污水处理厂提标改造工程", "rehabilitation"),
        ("老旧管网更新工程", "replacement"),
        ("人民医院新院区", "construction"),
    ],
)
def test_the_type_follows_the_words_of_the_name(name, kind):
    assert mapping.project_type(name) == kind


def test_the_sector_of_an_industrial_project_is_the_economy():
    assert mapping.project_sectors("industrial", "光伏制造", "高效光伏组件") == ["economy"]
    assert mapping.project_sectors("livelihood", "教育", "职业教育实训基地") == ["education"]
    assert mapping.project_sectors("infrastructure", "市政", "城市综合管廊工程") == [
        "waterAndWaste"
    ]


# --- the API and the public page -------------------------------------------------------------


def test_the_api_answers_an_anonymous_caller(world):
    response = APIClient().get(reverse("api:open-data-oc4ids"))
    assert response.status_code == 200
    body = response.json()
    assert body["uri"] == "http://testserver/api/v1/open-data/oc4ids/"
    assert [project["title"] for project in body["projects"]] == ["江阴港区通用码头扩建工程"]


def test_the_public_page_lists_the_files_without_sign_in(
    world, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        published = services.publish_month()
    assert published.month == "2026-11" and published.project_count == 1

    page = client.get(reverse("opendata:list"))
    assert page.status_code == 200
    assert "oc4ids-2026-11.json" in page.content.decode()
    assert published.sha256 in page.content.decode()

    download = client.get(published.get_absolute_url())
    assert download.status_code == 200
    content = b"".join(download.streaming_content)
    assert hashlib.sha256(content).hexdigest() == published.sha256 == published.sha256
    assert len(content) == published.size
    assert json.loads(content)["uri"].endswith("/open-data/files/2026-11/")
    assert client.get(reverse("opendata:file", args=["2026-10"])).status_code == 404


def test_the_monthly_task_run_twice_leaves_one_file_for_the_month(
    world, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        tasks.publish_monthly()
    first = PublishedFile.objects.get(month="2026-11")
    storage, first_name = first.file.storage, first.file.name
    services.publication_clear(by=world["county_office"], project=world["public"])
    with django_capture_on_commit_callbacks(execute=True):
        tasks.publish_monthly()
    (again,) = PublishedFile.objects.filter(month="2026-11")
    assert again.pk == first.pk and again.project_count == 0
    assert again.file.name != first_name
    assert not storage.exists(first_name) and storage.exists(again.file.name)


def test_the_command_publishes_a_month_by_hand(world, django_capture_on_commit_callbacks):
    from io import StringIO

    out = StringIO()
    with django_capture_on_commit_callbacks(execute=True):
        call_command("publish_oc4ids", month="2026-10", stdout=out)
    assert "2026-10: 1 个项目" in out.getvalue()
    assert PublishedFile.objects.get(month="2026-10").project_count == 1


# --- marking a project public ------------------------------------------------------------------


def test_office_staff_mark_a_project_public_from_its_page(world):
    project = world["yixing"]
    client = Client(enforce_csrf_checks=True)  # the form on the page carries its token
    client.force_login(world["city_office"])
    page = client.get(project.get_absolute_url()).content.decode()
    part = page[page.index('id="opendata"') :]
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', part).group(1)
    url = reverse("opendata:publication", args=[project.pk])
    assert f'action="{url}"' in part
    response = client.post(url, {"public": "1", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    publication = Publication.objects.get(project=project)
    assert publication.published_by == world["city_office"]
    assert publication.history.count() == 1

    assert "已公开" in client.get(project.get_absolute_url()).content.decode()
    response = client.post(url, {"public": "0", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    assert not Publication.objects.filter(project=project).exists()


def test_marking_outside_the_scope_is_not_found(world, client):
    client.force_login(world["county_office"])  # 江阴
    response = client.post(
        reverse("opendata:publication", args=[world["shuyang"].pk]), {"public": "1"}
    )
    assert response.status_code == 404
    assert not Publication.objects.filter(project=world["shuyang"]).exists()


@pytest.mark.parametrize("who", ["county_filer", "enterprise", "leader"])
def test_marking_is_for_office_staff(world, client, who):
    project = world["jiangyin_enterprise_1"]
    client.force_login(world[who])
    response = client.post(reverse("opendata:publication", args=[project.pk]), {"public": "1"})
    assert response.status_code == 403
    assert not Publication.objects.filter(project=project).exists()


def test_a_rejected_project_is_refused_on_the_page(world, client):
    Publication.objects.filter(project=world["nanjing"]).delete()
    client.force_login(world["province_office"])
    response = client.post(
        reverse("opendata:publication", args=[world["nanjing"].pk]), {"public": "1"}
    )
    assert response.status_code == 400
    assert "会商预审未通过的项目不能公开" in response.content.decode()


def test_the_package_reads_a_fixed_number_of_queries(world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as one:
        assert len(the_package()["projects"]) == 1
    for key in ("yixing", "shuyang", "jiangyin_enterprise_1"):
        services.publication_set(by=world["province_office"], project=world[key])
    with CaptureQueriesContext(connection) as four:
        assert len(the_package()["projects"]) == 4
    assert len(four) == len(one)
