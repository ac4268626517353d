"""Getting into the API: tokens (endpoint and management command), sessions, the schema."""

import datetime
import os
import warnings
import zoneinfo
from io import StringIO

import pytest
import time_machine
from django.core.cache.backends.base import CacheKeyWarning
from django.core.management import CommandError, call_command
from django.test import RequestFactory
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient
from rest_framework.throttling import BaseThrottle

from accounts import throttling
from accounts.models import User

from . import factories

TOKEN_URL = "/api/v1/auth/token/"
PROJECTS = "/api/v1/projects/"


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


def test_the_token_lookup_reads_the_user_region_and_roles_in_one_query(people, db):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from accounts.tokens import ExpiringTokenAuthentication

    office = people["county_office"]
    office.roles.add("leader")
    cases = [(office, {"office_staff", "leader"}), (people["nobody"], set())]
    cases.append((people["api_client"], {"api_client"}))
    for user, roles in cases:
        key = Token.objects.create(user=user).key
        with CaptureQueriesContext(connection) as captured:
            found, _token = ExpiringTokenAuthentication().authenticate_credentials(key)
            assert found == user
            assert found.role_codes == roles
            assert found.is_machine == (roles == {"api_client"})
            assert (found.region.code if found.region_id else None) == (
                user.region.code if user.region_id else None
            )
        assert len(captured) == 1, [query["sql"] for query in captured]


def test_get_on_the_token_endpoint_is_not_allowed(people):
    response = APIClient().get(TOKEN_URL)

    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


# --- sign-in throttle ------------------------------------------------------------------------

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
#: 200 s into a 15-minute window (windows are aligned to the clock: this one ends at 10:15:00)
IN_A_WINDOW = datetime.datetime(2031, 5, 6, 10, 3, 20, tzinfo=SHANGHAI)
WRONG = "wrong-password"
OFFICE = "10.0.0.5"  # one NAT address for a whole office


@pytest.fixture
def throttle(settings):
    """The documented limits, on a clock standing still 200 s into a window."""
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 50
    settings.LOGIN_LOCKOUT_MINUTES = 30
    trusting_proxies(settings, 0)  # whatever TRUSTED_PROXY_COUNT the environment sets
    with time_machine.travel(IN_A_WINDOW, tick=False) as clock:
        yield clock


def trusting_proxies(settings, count):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": count}


def sign_in(username, password=WRONG, address=OFFICE, **meta):
    return APIClient().post(
        TOKEN_URL,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        **meta,
    )


def test_rotating_x_forwarded_for_does_not_dodge_the_throttle(people, throttle):
    codes = [
        sign_in("county_filer", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code
        for n in range(40)
    ]

    assert codes == [401] * 5 + [429] * 35


def test_rotating_x_forwarded_for_does_not_dodge_the_address_bucket(people, throttle, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8

    codes = [
        sign_in(f"guess{n}", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}").status_code for n in range(12)
    ]

    assert codes == [401] * 8 + [429] * 4
    assert sign_in("leader", factories.PASSWORD).status_code == 429  # the whole address waits
    assert sign_in("leader", factories.PASSWORD, address="10.0.0.6").status_code == 200


def test_walking_through_an_ipv6_subnet_does_not_dodge_the_address_bucket(
    people, throttle, settings
):
    settings.LOGIN_FAILURES_PER_ADDRESS = 8

    codes = [sign_in(f"guess{n}", address=f"2001:db8:1:2::{n:x}").status_code for n in range(12)]

    assert codes == [401] * 8 + [429] * 4
    assert sign_in("leader", factories.PASSWORD, address="2001:db8:1:2:ffff::1").status_code == 429
    assert sign_in("leader", factories.PASSWORD, address="2001:db8:1:3::1").status_code == 200


def test_one_user_failing_from_an_office_address_does_not_lock_out_a_colleague(people, throttle):
    for n in range(40):
        response = sign_in("county_filer", HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, 10.1.1.1")
        assert response.status_code == (401 if n < 5 else 429), n

    colleague = sign_in("county_office", factories.PASSWORD)

    assert colleague.status_code == 200, colleague.content
    assert colleague.json()["token"] == Token.objects.get(user=people["county_office"]).key
    # The locked username stays refused, even with its right password.
    assert sign_in("county_filer", factories.PASSWORD).status_code == 429


def test_refused_attempts_are_not_counted_as_failures(people, throttle, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 10

    codes = [sign_in("county_filer").status_code for _ in range(40)]

    assert codes.count(401) == 5 and codes.count(429) == 35
    # 5 failures held against the address, not 40: room for 5 more, then refused.
    assert [sign_in(f"typo{n}").status_code for n in range(6)] == [401] * 5 + [429]


def test_a_username_is_refused_from_every_address_after_its_limit(people, throttle):
    failures = [sign_in("county_filer", address=f"10.0.{n}.5").status_code for n in range(5)]

    refused = sign_in("county_filer", factories.PASSWORD, address="172.16.0.9")

    assert failures == [401] * 5
    assert refused.status_code == 429
    assert "token" not in refused.json()
    assert not Token.objects.filter(user=people["county_filer"]).exists()


def test_the_username_bucket_ignores_case_and_width(people, throttle):
    for variant in (
        "county_filer",
        "COUNTY_FILER",
        " County_Filer",
        "ｃｏｕｎｔｙ_filer",
        "county_filer",
    ):
        assert sign_in(variant).status_code == 401

    assert sign_in("county_filer", factories.PASSWORD).status_code == 429


def test_successful_sign_ins_do_not_use_up_the_failure_budget(people, throttle, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3

    assert [sign_in("county_filer").status_code for _ in range(2)] == [401, 401]
    for _ in range(10):
        assert sign_in("county_filer", factories.PASSWORD).status_code == 200
    for who in ("leader", "county_office", "api_client", "enterprise"):
        assert sign_in(who, factories.PASSWORD).status_code == 200

    assert sign_in("leader").status_code == 401  # the address's third failure
    assert sign_in("leader", factories.PASSWORD).status_code == 429


def test_the_refusal_is_a_429_in_chinese_saying_when_to_retry(people, throttle):
    for _ in range(5):
        sign_in("county_filer")

    response = sign_in("county_filer")

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "1800"  # locked at 10:03:20 for 30 minutes
    body = response.json()
    assert body["code"] == "account_locked"
    assert has_chinese(body["message"])
    assert "该账号已被锁定" in body["message"]
    assert "30 分钟" in body["message"] and "10:33" in body["message"]


def test_the_lock_lasts_30_minutes_from_the_fifth_failure(people, throttle):
    for _ in range(5):
        sign_in("county_filer")
    assert sign_in("county_filer", factories.PASSWORD).status_code == 429

    throttle.move_to(IN_A_WINDOW.replace(minute=33, second=19))
    assert sign_in("county_filer", factories.PASSWORD).status_code == 429
    assert sign_in("county_filer").headers["Retry-After"] == "1"

    throttle.move_to(IN_A_WINDOW.replace(minute=33, second=20))
    assert sign_in("county_filer", factories.PASSWORD).status_code == 200
    assert [sign_in("county_filer").status_code for _ in range(6)] == [401] * 5 + [429]


def test_failures_in_different_windows_do_not_add_up(people, throttle):
    for _ in range(4):
        assert sign_in("county_filer").status_code == 401

    throttle.move_to(IN_A_WINDOW.replace(minute=15, second=0))  # the next 15-minute window
    assert sign_in("county_filer").status_code == 401
    assert sign_in("county_filer", factories.PASSWORD).status_code == 200


def test_behind_one_trusted_proxy_the_last_forwarded_entry_is_the_client(
    people, throttle, settings
):
    trusting_proxies(settings, 1)
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    proxy = "10.9.9.9"

    # Spoofed first entries change nothing: the proxy's own entry names the client.
    codes = [
        sign_in(
            f"guess{n}", address=proxy, HTTP_X_FORWARDED_FOR=f"1.2.3.{n}, 203.0.113.7"
        ).status_code
        for n in range(5)
    ]
    other_client = sign_in(
        "leader", factories.PASSWORD, address=proxy, HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.8"
    )

    assert codes == [401] * 3 + [429] * 2
    assert other_client.status_code == 200


@pytest.mark.parametrize(
    "trusted, forwarded, expected",
    [
        (0, None, "10.0.0.5"),
        (0, "203.0.113.7", "10.0.0.5"),
        (0, "1.2.3.4, 203.0.113.7", "10.0.0.5"),
        (1, None, "10.0.0.5"),
        (1, "203.0.113.7", "203.0.113.7"),
        (1, "1.2.3.4, 5.6.7.8,203.0.113.7", "203.0.113.7"),
        (2, "1.2.3.4, 203.0.113.7, 10.8.8.8", "203.0.113.7"),
        (2, "203.0.113.7", "203.0.113.7"),
    ],
)
def test_client_address_matches_drf_with_trusted_proxies(settings, trusted, forwarded, expected):
    trusting_proxies(settings, trusted)
    meta = {"REMOTE_ADDR": "10.0.0.5"}
    if forwarded is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().post(TOKEN_URL, **meta)

    assert throttling.client_address(request) == expected
    assert BaseThrottle().get_ident(request) == expected


def test_the_trusted_proxy_count_comes_from_the_environment_and_is_0_by_default(settings):
    assert settings.REST_FRAMEWORK["NUM_PROXIES"] == settings.TRUSTED_PROXY_COUNT
    assert str(settings.TRUSTED_PROXY_COUNT) == os.environ.get("TRUSTED_PROXY_COUNT", "0")


def test_cache_keys_hold_no_username(people, throttle):
    odd = "张 三:\n\t/{%}" * 60  # spaces, colons, control characters, 540 characters

    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheKeyWarning)
        for username in (odd, "county_filer"):
            assert sign_in(username).status_code == 401
        assert sign_in(odd).status_code == 401

    key = throttling._key("username", "county_filer", 1)
    assert "county_filer" not in key and len(key) < 120
    assert key.isascii() and " " not in key


def test_login_page_is_throttled_per_username_with_a_chinese_error(people, throttle, client):
    url = reverse("login")
    for _ in range(5):
        failed = client.post(
            url, {"username": "county_filer", "password": WRONG}, REMOTE_ADDR=OFFICE
        )
        assert failed.status_code == 200
        assert "用户名或密码错误" in failed.content.decode()

    refused = client.post(
        url, {"username": "county_filer", "password": factories.PASSWORD}, REMOTE_ADDR="10.7.7.7"
    )

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1800"
    html = refused.content.decode()
    assert "登录失败次数过多，该账号已被锁定" in html and "10:33" in html
    assert "_auth_user_id" not in client.session

    colleague = client.post(
        url, {"username": "county_office", "password": factories.PASSWORD}, REMOTE_ADDR=OFFICE
    )
    assert colleague.status_code == 302


def test_token_and_login_page_share_the_failure_count(people, throttle, client):
    for _ in range(3):
        sign_in("county_filer")
    for _ in range(2):
        client.post(reverse("login"), {"username": "county_filer", "password": WRONG})

    assert sign_in("county_filer", factories.PASSWORD).status_code == 429
    refused = client.post(
        reverse("login"), {"username": "county_filer", "password": factories.PASSWORD}
    )
    assert refused.status_code == 429


def test_the_login_page_refusal_in_english(people, throttle, client, settings):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    for _ in range(5):
        client.post(reverse("login"), {"username": "county_filer", "password": WRONG})

    refused = client.post(reverse("login"), {"username": "county_filer", "password": WRONG})

    assert refused.status_code == 429
    assert refused.headers["Retry-After"] == "1800"


def test_admin_login_is_throttled_too(people, throttle, client):
    url = reverse("admin:login")
    # A right password of an account without admin access is refused but is no failure.
    for _ in range(8):
        denied = client.post(url, {"username": "leader", "password": factories.PASSWORD})
        assert denied.status_code == 200 and "_auth_user_id" not in client.session
    assert sign_in("leader", factories.PASSWORD).status_code == 200

    for _ in range(5):
        client.post(url, {"username": "admin", "password": WRONG})
    refused = client.post(url, {"username": "admin", "password": factories.PASSWORD})

    assert refused.status_code == 200
    assert "登录失败次数过多" in refused.content.decode()
    assert "_auth_user_id" not in client.session


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
    assert "/api/schema/" in client.get("/api/docs/", {"script": ""}).content.decode()
    assert "/static/" in html  # assets are served by the platform itself
    for cdn in ("cdn.jsdelivr", "unpkg", "cdnjs", "googleapis"):
        assert cdn not in html


def test_a_machine_account_gets_a_token_but_never_a_page_session(people, client):
    token = client.post(TOKEN_URL, {"username": "api_client", "password": factories.PASSWORD})
    assert token.status_code == 200 and token.json()["token"]
    refused = client.post(
        "/accounts/login/", {"username": "api_client", "password": factories.PASSWORD}
    )
    assert refused.status_code == 200
    assert "系统接口账号只能使用接口令牌访问，不能登录网页。" in refused.content.decode()
    assert "_auth_user_id" not in client.session
    admin = client.post("/admin/login/", {"username": "api_client", "password": factories.PASSWORD})
    assert admin.status_code == 200 and "_auth_user_id" not in client.session
    # a person signs in as before
    assert (
        client.post(
            "/accounts/login/", {"username": "county_office", "password": factories.PASSWORD}
        ).status_code
        == 302
    )
