"""Getting into the API: tokens (endpoint and management command), sessions, the schema."""

from io import StringIO

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts.models import User

from . import factories

TOKEN_URL = "/api/v1/auth/token/"
PROJECTS = "/api/v1/projects/"


@pytest.fixture(autouse=True)
def fresh_throttle():
    """The token endpoint is rate limited through the cache (Redis in CI): start each test
    with an empty count so repeated runs within a minute do not trip it."""
    cache.clear()
    yield
    cache.clear()


def has_chinese(text: str) -> bool:
    return any("\u4e00" <= char <= "\u9fff" for char in text)


# --- token endpoint -------------------------------------------------------------------------


def test_password_gets_a_token_that_opens_the_api(people, library):
    client = APIClient()

    response = client.post(
        TOKEN_URL, {"username": "county_filer", "password": factories.PASSWORD}, format="json"
    )

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"token"}
    key = response.json()["token"]
    assert key == Token.objects.get(user=people["county_filer"]).key

    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    projects = client.get(PROJECTS)
    assert projects.status_code == 200
    jiangyin = {library[k].pk for k in ("jiangyin_enterprise_1", "jiangyin_enterprise_2")}
    jiangyin.add(library["jiangyin_other"].pk)
    assert {item["id"] for item in projects.json()["results"]} == jiangyin


def test_asking_twice_gives_the_same_token(people):
    client = APIClient()
    credentials = {"username": "api_client", "password": factories.PASSWORD}

    first = client.post(TOKEN_URL, credentials, format="json").json()["token"]
    second = client.post(TOKEN_URL, credentials, format="json").json()["token"]

    assert first == second
    assert Token.objects.filter(user=people["api_client"]).count() == 1


def test_form_encoded_credentials_work_too(people):
    response = APIClient().post(
        TOKEN_URL, {"username": "leader", "password": factories.PASSWORD}, format="multipart"
    )

    assert response.status_code == 200
    assert response.json()["token"] == Token.objects.get(user=people["leader"]).key


@pytest.mark.parametrize(
    "username, password",
    [
        ("county_filer", "wrong-password"),
        ("county_filer", factories.PASSWORD.lower()),
        ("no_such_user", factories.PASSWORD),
    ],
)
def test_wrong_credentials_are_401_authentication_failed(people, username, password):
    response = APIClient().post(
        TOKEN_URL, {"username": username, "password": password}, format="json"
    )

    assert response.status_code == 401, response.content
    assert response.headers["WWW-Authenticate"] == "Token"
    body = response.json()
    assert body["code"] == "authentication_failed"
    assert has_chinese(body["message"])
    assert "token" not in body
    assert not Token.objects.exists()


def test_an_inactive_account_gets_no_token(people):
    User.objects.filter(username="county_filer").update(is_active=False)

    response = APIClient().post(
        TOKEN_URL, {"username": "county_filer", "password": factories.PASSWORD}, format="json"
    )

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"
    assert not Token.objects.exists()


@pytest.mark.parametrize(
    "payload, missing",
    [
        ({"username": "county_filer"}, {"password"}),
        ({"password": factories.PASSWORD}, {"username"}),
        ({}, {"username", "password"}),
        ({"username": "", "password": factories.PASSWORD}, {"username"}),
    ],
)
def test_missing_fields_are_400_naming_the_field(people, payload, missing):
    response = APIClient().post(TOKEN_URL, payload, format="json")

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "validation_error"
    assert set(body["errors"]) == missing
    for field in missing:
        assert has_chinese(body["errors"][field][0])


def test_a_bad_token_is_401_and_no_token_is_401(people):
    client = APIClient()
    assert client.get(PROJECTS).json()["code"] == "not_authenticated"

    client.credentials(HTTP_AUTHORIZATION="Token 0000000000000000000000000000000000000000")
    response = client.get(PROJECTS)

    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_a_deactivated_users_token_stops_working(people, api):
    client = api.as_user(people["api_client"])
    assert client.get(PROJECTS).status_code == 200

    User.objects.filter(pk=people["api_client"].pk).update(is_active=False)

    response = client.get(PROJECTS)
    assert response.status_code == 401
    assert response.json()["code"] == "authentication_failed"


def test_get_on_the_token_endpoint_is_not_allowed(people):
    response = APIClient().get(TOKEN_URL)

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- management command ---------------------------------------------------------------------


def test_create_api_token_prints_the_key_alone(people):
    out = StringIO()

    call_command("create_api_token", "api_client", stdout=out)

    output = out.getvalue()
    assert output.endswith("\n")
    lines = output.splitlines()
    assert len(lines) == 1
    key = lines[0]
    assert key == key.strip() and len(key) == 40
    assert key == Token.objects.get(user=people["api_client"]).key


def test_create_api_token_is_stable_and_can_rotate(people, api):
    first, again, rotated = StringIO(), StringIO(), StringIO()

    call_command("create_api_token", "api_client", stdout=first)
    call_command("create_api_token", "api_client", stdout=again)
    call_command("create_api_token", "api_client", "--rotate", stdout=rotated)

    assert first.getvalue() == again.getvalue()
    assert rotated.getvalue().strip() != first.getvalue().strip()
    assert Token.objects.get(user=people["api_client"]).key == rotated.getvalue().strip()

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {first.getvalue().strip()}")
    assert client.get(PROJECTS).status_code == 401
    client.credentials(HTTP_AUTHORIZATION=f"Token {rotated.getvalue().strip()}")
    assert client.get(PROJECTS).status_code == 200


def test_create_api_token_key_matches_the_endpoint(people):
    out = StringIO()
    call_command("create_api_token", "county_office", stdout=out)

    response = APIClient().post(
        TOKEN_URL, {"username": "county_office", "password": factories.PASSWORD}, format="json"
    )

    assert response.json()["token"] == out.getvalue().strip()


def test_create_api_token_for_an_unknown_user_fails(people):
    out = StringIO()

    with pytest.raises(CommandError, match="no_such_user"):
        call_command("create_api_token", "no_such_user", stdout=out)

    assert out.getvalue() == ""
    assert not Token.objects.exists()


# --- session --------------------------------------------------------------------------------


def test_a_logged_in_session_reads_the_api_within_scope(people, library, client):
    client.force_login(people["enterprise"])

    response = client.get(PROJECTS)

    assert response.status_code == 200
    assert {item["id"] for item in response.json()["results"]} == {
        library["jiangyin_enterprise_1"].pk,
        library["jiangyin_enterprise_2"].pk,
    }


def test_a_session_is_enough_for_writes_by_editors(people, library, client):
    client.force_login(people["county_office"])

    response = client.patch(
        f"{PROJECTS}{library['jiangyin_other'].pk}/",
        {"name": "会话修改"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    library["jiangyin_other"].refresh_from_db()
    assert library["jiangyin_other"].name == "会话修改"


def test_after_logout_the_session_no_longer_works(people, client):
    client.force_login(people["leader"])
    assert client.get(PROJECTS).status_code == 200

    client.logout()

    assert client.get(PROJECTS).status_code == 401
    assert client.get(PROJECTS).json()["code"] == "not_authenticated"


# --- OpenAPI schema and docs ----------------------------------------------------------------


def test_schema_lists_the_project_endpoints(people, client):
    client.force_login(people["leader"])

    response = client.get("/api/schema/", {"format": "json"})

    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    assert "/api/v1/projects/" in schema["paths"]
    assert "/api/v1/projects/{id}/" in schema["paths"]
    assert "post" in schema["paths"]["/api/v1/projects/{id}/transition/"]
    assert "post" in schema["paths"]["/api/v1/auth/token/"]
    assert {"get", "post"} <= schema["paths"]["/api/v1/projects/"].keys()


def test_schema_default_format_is_yaml_with_the_same_paths(people, client):
    client.force_login(people["leader"])

    response = client.get("/api/schema/")

    assert response.status_code == 200
    text = response.content.decode()
    assert "/api/v1/projects/:" in text
    assert "/api/v1/projects/{id}/transition/:" in text


def test_schema_documents_stages_token_auth_and_the_transition_body(people, client):
    client.force_login(people["leader"])

    schema = client.get("/api/schema/", {"format": "json"}).json()

    stages = schema["components"]["schemas"]["StageEnum"]["enum"]
    assert stages[0] == "planning" and "started" in stages
    header_schemes = [
        scheme
        for scheme in schema["components"]["securitySchemes"].values()
        if scheme.get("in") == "header" and scheme.get("name") == "Authorization"
    ]
    assert header_schemes and '"Token"' in header_schemes[0]["description"]
    transition = schema["paths"]["/api/v1/projects/{id}/transition/"]["post"]
    body_ref = transition["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    body = schema["components"]["schemas"][body_ref.rsplit("/", 1)[-1]]
    assert {"stage", "date", "reason"} <= body["properties"].keys()


def test_docs_page_renders_without_any_cdn(people, client):
    client.force_login(people["leader"])

    response = client.get("/api/docs/")

    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger-ui" in html
    assert "/api/schema/" in html
    assert "/static/" in html  # assets are served by the platform itself
    for cdn in ("cdn.jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert cdn not in html
