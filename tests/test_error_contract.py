"""One error contract for bad input: every API error is ``{code, message, errors?}`` with a
Chinese message and the right status — malformed JSON 400, a body too large 413, a NUL byte in
the path, the query or the body 400 on every endpoint at once, nesting beyond the limit 400,
unknown filter values 400 — and an unexpected error is a JSON 500 whose request id is in the log
line with the traceback. Pages answer with the platform's Chinese pages."""

import datetime
import json
import logging

import pytest
from django.test import Client
from django.urls import reverse

from core.api.pagination import PageNumberPagination
from schedule import services as schedule_services
from schedule.models import ScheduleTemplate

#: GET endpoints with filters, among them the six that answered 500 to a NUL byte
FILTERED = [
    "/api/v1/projects/?region=32%000281",
    "/api/v1/issues/?region=32%000281",
    "/api/v1/progress/missing/?region=32%000281&year=2026&month=10",
    "/api/v1/progress/filing-status/?region=32%000281&year=2026&month=10",
    "/api/v1/indicators/?region=32%000281&year=2026&month=10",
    "/api/v1/indicators/by-region/?region=32%000281&year=2026&month=10",
    "/api/v1/indicators/projects/?region=32%000281&year=2026&month=10&indicator=start_rate",
    "/api/v1/funding/summary/?region=32%000281",
    "/api/v1/approvals/?search=%00",
    "/api/v1/projects/?ordering=%00name",
]


def error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["code"] == code, body
    assert any("\u4e00" <= char <= "\u9fff" for char in body["message"]), body["message"]
    return body


@pytest.fixture
def office(api, people):
    return api.as_user(people["province_office"])


@pytest.mark.django_db
@pytest.mark.parametrize("address", FILTERED)
def test_a_nul_byte_in_a_query_is_refused_on_every_endpoint(office, address):
    body = error(office.get(address), 400, "unstorable_characters")
    assert "空字符" in body["message"]


@pytest.mark.django_db
def test_a_nul_byte_in_a_path_or_a_body_is_refused(office, library, people):
    error(office.get("/api/v1/regions/32%000281/"), 400, "unstorable_characters")
    error(office.get("/api/v1/projects/1%00/"), 400, "unstorable_characters")
    project = library["jiangyin_other"]
    before = project.name
    for body in (
        {"name": "新名称\u0000"},
        {"region": "32\u00000281"},
        {"tags\u0000": ["a"]},
        {"nested": [{"deeper": "x\u0000"}]},
    ):
        error(
            office.patch(f"/api/v1/projects/{project.pk}/", body, format="json"),
            400,
            "unstorable_characters",
        )
    error(
        office.post("/api/v1/projects/", {"name": "项目\u0000", "region": "320281"}, format="json"),
        400,
        "unstorable_characters",
    )
    # a lone surrogate (half a pair) cannot be stored either
    error(
        office.generic(
            "PATCH",
            f"/api/v1/projects/{project.pk}/",
            b'{"name": "\\ud800"}',
            content_type="application/json",
        ),
        400,
        "unstorable_characters",
    )
    # form-encoded bodies too
    error(
        office.generic(
            "PATCH",
            f"/api/v1/projects/{project.pk}/",
            "name=%E9%A1%B9%00",
            content_type="application/x-www-form-urlencoded",
        ),
        400,
        "unstorable_characters",
    )
    project.refresh_from_db()
    assert project.name == before


@pytest.mark.django_db
def test_malformed_json_answers_400_in_chinese(office, library):
    project = library["jiangyin_other"]
    body = error(
        office.generic(
            "PATCH",
            f"/api/v1/projects/{project.pk}/",
            b'{"name": ',
            content_type="application/json",
        ),
        400,
        "parse_error",
    )
    assert "JSON" in body["message"] and "第 1 行" in body["message"]
    error(
        office.generic(
            "PATCH", f"/api/v1/projects/{project.pk}/", b"\xff\xfe", content_type="application/json"
        ),
        400,
        "parse_error",
    )


@pytest.mark.django_db
def test_nesting_beyond_the_limit_answers_400_even_when_python_could_not_parse_it(office, library):
    project = library["jiangyin_other"]
    for depth in (21, 100_000):
        payload = ("[" * depth + "]" * depth).encode()
        body = error(
            office.generic(
                "PATCH", f"/api/v1/projects/{project.pk}/", payload, content_type="application/json"
            ),
            400,
            "parse_error",
        )
        assert "嵌套过深" in body["message"]


@pytest.mark.django_db
def test_a_body_too_large_answers_413_in_the_api_and_a_page_elsewhere(
    office, library, client, people, settings
):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    project = library["jiangyin_other"]
    big = json.dumps({"description": "长" * 2000})
    body = error(
        office.generic(
            "PATCH", f"/api/v1/projects/{project.pk}/", big, content_type="application/json"
        ),
        413,
        "request_too_large",
    )
    assert "大小限制" in body["message"]
    client.force_login(people["province_office"])
    page = client.post(reverse("projects:create"), {"name": "长" * 2000})
    assert page.status_code == 413 and "请求无效" in page.content.decode()


@pytest.mark.django_db
def test_unknown_filter_values_answer_400(office):
    body = error(office.get("/api/v1/projects/?region=999999"), 400, "validation_error")
    assert "999999" in json.dumps(body["errors"], ensure_ascii=False)
    error(office.get("/api/v1/projects/?stage=nonsense"), 400, "validation_error")
    error(office.get("/api/v1/issues/?status=nonsense"), 400, "validation_error")


@pytest.mark.django_db
def test_a_predecessor_without_its_milestone_answers_400(office, library, people):
    project = library["jiangyin_other"]
    template = ScheduleTemplate.objects.get(category="industrial")
    schedule_services.apply_template(
        project=project, template=template, by=people["province_office"]
    )
    milestone = project.milestones.order_by("position").last()
    body = error(
        office.patch(
            f"/api/v1/milestones/{milestone.pk}/",
            {"predecessors": [{"lag_days": 0}]},
            format="json",
        ),
        400,
        "validation_error",
    )
    assert "predecessors" in body["errors"]


@pytest.mark.django_db
def test_an_unexpected_error_is_a_json_500_with_the_request_id_of_the_log_line(
    people, monkeypatch, caplog
):
    def broken(*args, **kwargs):
        raise RuntimeError("database gone")

    client = Client(raise_request_exception=False)
    client.force_login(people["province_office"])
    monkeypatch.setattr(PageNumberPagination, "paginate_queryset", broken)
    with caplog.at_level(logging.ERROR, logger="django.request"):
        response = client.get("/api/v1/projects/")
    body = error(response, 500, "server_error")
    request_id = body["request_id"]
    assert len(request_id) >= 8 and response["X-Request-ID"] == request_id
    logged = [record for record in caplog.records if record.name == "django.request"]
    assert logged and logged[-1].request_id == request_id
    assert logged[-1].exc_info and "database gone" in str(logged[-1].exc_info[1])
    formatted = logging.getLogger().handlers and logging.Formatter(
        "%(levelname)s [%(request_id)s] %(message)s"
    ).format(logged[-1])
    assert f"[{request_id}]" in formatted and "Traceback" in formatted

    # a page's 500 names the request id too, for the person to quote
    monkeypatch.setattr("cockpit.views.landing", broken)
    page = client.get(reverse("home"))
    assert page.status_code == 500 and page["X-Request-ID"] in page.content.decode()


@pytest.mark.django_db
def test_a_proxys_request_id_is_kept_and_a_strange_one_replaced(client):
    assert client.get("/healthz/", HTTP_X_REQUEST_ID="abc123-def456")["X-Request-ID"] == (
        "abc123-def456"
    )
    replaced = client.get("/healthz/", HTTP_X_REQUEST_ID="<script>")["X-Request-ID"]
    assert replaced != "<script>" and len(replaced) == 32


@pytest.mark.django_db
def test_pages_refuse_a_nul_byte_with_the_chinese_400_page(client, people):
    client.force_login(people["province_office"])
    response = client.get("/projects/?region=32%000281")
    assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
    assert "请求无效" in response.content.decode()
    assert client.get("/projects/%00/").status_code == 400


@pytest.mark.django_db
def test_a_partial_update_answers_every_field_the_schema_lists(office, library, people):
    """A read-only name reached through an empty relation is null in a PATCH's answer too (it
    used to be left out, where the schema requires it)."""
    project = library["jiangyin_other"]
    template = ScheduleTemplate.objects.get(category="industrial")
    schedule_services.apply_template(
        project=project, template=template, by=people["province_office"]
    )
    milestone = project.milestones.filter(responsible_unit__isnull=True).first()
    body = office.patch(f"/api/v1/milestones/{milestone.pk}/", {}, format="json").json()
    assert "responsible_unit_name" in body and body["responsible_unit_name"] is None


@pytest.mark.django_db
def test_a_date_beyond_the_working_day_calendar_is_a_400_wherever_it_is_used(office, people):
    """The calendar covers 2000–2060; a date outside it, deep in a service, is a refusal with
    its message (it was a 500 when an approval was accepted in the year 627)."""
    from schedule.workdays import CalendarRangeError, current_calendar

    with pytest.raises(CalendarRangeError) as refused:
        current_calendar().add_workdays(datetime.date(627, 6, 17), 20)
    assert refused.value.code == "calendar_range"
    assert "超出工作日历的范围" in refused.value.messages[0]


@pytest.mark.django_db
def test_control_characters_a_worksheet_cannot_hold_are_left_out_of_downloads(
    client, people, library
):
    """A name stored with a control character (a system sent it through the API) used to fail
    the whole export with a 500: the workbook leaves the character out."""
    from io import BytesIO

    from openpyxl import load_workbook

    from projects.models import Project

    Project.objects.filter(pk=library["jiangyin_other"].pk).update(name="江阴\x1f其他\x03项目")
    client.force_login(people["province_office"])
    response = client.get(reverse("projects:export"))
    assert response.status_code == 200
    sheet = load_workbook(BytesIO(response.content), read_only=True).active
    assert "江阴其他项目" in {row[1] for row in sheet.iter_rows(values_only=True)}
