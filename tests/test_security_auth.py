"""Identification and authentication (等保 2.0 level 3): lockout and unlock, password policy,
session limits, the list of one's sessions, token expiry and revocation."""

import datetime
import os
import subprocess
import sys
import zoneinfo

import pytest
import time_machine
from django.contrib.auth.signals import user_logged_in
from django.contrib.sessions.models import Session
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from accounts import signals
from accounts.models import Lockout, PasswordHistory, User, UserSession

from . import factories

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
MORNING = datetime.datetime(2031, 5, 6, 9, 0, tzinfo=SHANGHAI)
TOKEN_URL = "/api/v1/auth/token/"
WRONG = "wrong-password"
PROXY = "10.9.9.9"


@pytest.fixture
def limits(settings):
    settings.LOGIN_FAILURE_WINDOW_MINUTES = 15
    settings.LOGIN_FAILURE_LIMIT = 5
    settings.LOGIN_FAILURES_PER_ADDRESS = 50
    settings.LOGIN_LOCKOUT_MINUTES = 30
    settings.PASSWORD_MAX_AGE_DAYS = 90
    settings.PASSWORD_POLICY_EXEMPT_DEMO = False
    settings.SESSION_IDLE_MINUTES = 30
    settings.SESSION_ABSOLUTE_HOURS = 12
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "NUM_PROXIES": 1}
    with time_machine.travel(MORNING, tick=False) as clock:
        yield clock


@pytest.fixture
def admins(people):
    office = factories.office("320000")
    return {
        "security": factories.user("security", "320000", ["security_admin"], office),
        "system": factories.user("system", "320000", ["system_admin"], office),
        "audit": factories.user("auditor", "320000", ["audit_admin"], office),
    }


def page_sign_in(client, username, password=WRONG, forwarded="203.0.113.7"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


def token_sign_in(username, password=WRONG, forwarded="203.0.113.7"):
    return APIClient().post(
        TOKEN_URL,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    )


# --- lockout --------------------------------------------------------------------------------


def test_five_failures_over_page_and_token_lock_the_account_despite_spoofed_addresses(
    people, limits, client
):
    heard = []

    def listen(sender, **kwargs):
        heard.append(kwargs)

    signals.user_locked_out.connect(listen)
    try:
        # Each attempt claims another origin in front of the trusted proxy's entry.
        for n in range(3):
            assert page_sign_in(client, "county_filer", forwarded=f"1.2.3.{n}, 203.0.113.7")
        for n in range(2):
            token_sign_in("county_filer", forwarded=f"5.6.7.{n}, 198.51.100.{n}")
    finally:
        signals.user_locked_out.disconnect(listen)

    page = page_sign_in(client, "county_filer", factories.PASSWORD, forwarded="192.0.2.1")
    api = token_sign_in("county_filer", factories.PASSWORD, forwarded="192.0.2.2")

    assert page.status_code == 429
    assert (
        "该账号已被锁定" in page.content.decode() and "联系安全管理员解锁" in page.content.decode()
    )
    assert "_auth_user_id" not in client.session
    assert api.status_code == 429
    assert api.json()["code"] == "account_locked" and "该账号已被锁定" in api.json()["message"]
    assert [(h["username"], h["kind"], h["user"]) for h in heard] == [
        ("county_filer", "username", people["county_filer"])
    ]
    lock = Lockout.objects.get()
    assert lock.value == "county_filer" and lock.ip_address == "198.51.100.1"


def test_a_spoofed_forwarded_entry_does_not_change_the_locked_address(people, limits, settings):
    settings.LOGIN_FAILURES_PER_ADDRESS = 3
    for n in range(3):
        token_sign_in(f"guess{n}", forwarded=f"1.2.3.{n}, 203.0.113.7")

    spoofed = token_sign_in("leader", factories.PASSWORD, forwarded="8.8.8.8, 203.0.113.7")
    other_client = token_sign_in("leader", factories.PASSWORD, forwarded="203.0.113.8")

    assert spoofed.status_code == 429
    assert "网络地址已被锁定" in spoofed.json()["message"]
    assert other_client.status_code == 200
    assert Lockout.objects.get().value == "203.0.113.7"


def test_only_the_security_admin_sees_and_lifts_lockouts(people, admins, limits, client):
    for _ in range(5):
        token_sign_in("county_filer")
    lock = Lockout.objects.get()
    unlock_url = reverse("security-unlock", args=[lock.pk])

    for who in ("system", "audit"):
        client.force_login(admins[who])
        assert client.get(reverse("security-lockouts")).status_code == 403
        assert client.post(unlock_url).status_code == 403
    client.force_login(people["province_office"])
    assert client.post(unlock_url).status_code == 403
    assert token_sign_in("county_filer", factories.PASSWORD).status_code == 429

    client.force_login(admins["security"])
    listing = client.get(reverse("security-lockouts"))
    assert listing.status_code == 200 and "county_filer" in listing.content.decode()
    heard = []

    def listen(sender, **kw):
        heard.append(kw)

    signals.account_unlocked.connect(listen)
    try:
        done = client.post(unlock_url, follow=True)
    finally:
        signals.account_unlocked.disconnect(listen)

    assert "已解除对“county_filer”的锁定" in done.content.decode()
    assert heard[0]["by"] == admins["security"] and heard[0]["user"] == people["county_filer"]
    assert token_sign_in("county_filer", factories.PASSWORD).status_code == 200
    # counting starts afresh
    assert [token_sign_in("county_filer").status_code for _ in range(5)] == [401] * 5


def test_the_admin_login_is_locked_too(people, limits, client):
    for _ in range(5):
        token_sign_in("province_office")

    refused = client.post(
        reverse("admin:login"),
        {"username": "province_office", "password": factories.PASSWORD},
        REMOTE_ADDR=PROXY,
    )

    assert "该账号已被锁定" in refused.content.decode()
    assert "_auth_user_id" not in client.session


# --- password policy ------------------------------------------------------------------------


def change(client, old, new):
    return client.post(
        reverse("password_change"),
        {"old_password": old, "new_password1": new, "new_password2": new},
    )


@pytest.mark.parametrize(
    "new, message",
    [
        ("Ab#1", "密码太短，至少需要 8 个字符"),
        ("abcdefgh1", "密码须包含大写字母、小写字母、数字、符号四类中的至少 3 类"),
        ("ABCDEFGHIJ", "密码须包含大写字母、小写字母、数字、符号四类中的至少 3 类"),
    ],
)
def test_password_rules_in_chinese(people, limits, client, new, message):
    client.force_login(people["county_filer"])

    response = change(client, factories.PASSWORD, new)

    assert response.status_code == 200
    assert message in response.content.decode()


def test_three_classes_of_eight_characters_are_enough(people, limits, client):
    client.force_login(people["county_filer"])

    response = change(client, factories.PASSWORD, "quiet river 42")

    assert response.status_code == 302
    people["county_filer"].refresh_from_db()
    assert people["county_filer"].check_password("quiet river 42")


def test_none_of_the_last_five_passwords(people, limits, client):
    person = people["county_filer"]
    client.force_login(person)
    used = [factories.PASSWORD] + [f"Spring#{n}pass" for n in range(5)]
    for old, new in zip(used, used[1:], strict=False):
        assert change(client, old, new).status_code == 302
    assert PasswordHistory.objects.filter(user=person).count() == 5

    for recent in used[1:]:
        refused = change(client, used[-1], recent)
        assert "新密码不能与最近 5 次使用过的密码相同" in refused.content.decode(), recent
    # the sixth-last is allowed again
    assert change(client, used[-1], used[0]).status_code == 302


def test_an_expired_password_sends_to_the_change_page_and_the_api_answers_403(
    people, limits, client
):
    person = people["county_filer"]
    User.objects.filter(pk=person.pk).update(
        password_changed_at=MORNING - datetime.timedelta(days=89, hours=23, minutes=50)
    )
    client.force_login(person)
    assert client.get("/projects/").status_code == 200

    limits.move_to(MORNING + datetime.timedelta(minutes=10))
    page = client.get("/projects/")
    api = client.get("/api/v1/projects/")

    assert page.status_code == 302
    assert page.url.startswith(reverse("password_change"))
    form = client.get(page.url)
    assert "您的密码已使用超过 90 天，请修改密码后继续" in form.content.decode()
    assert api.status_code == 403 and api.json()["code"] == "password_expired"
    token = Token.objects.create(user=person)
    by_token = APIClient().get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert by_token.status_code == 403 and by_token.json()["code"] == "password_expired"

    done = client.post(
        page.url,
        {
            "old_password": factories.PASSWORD,
            "new_password1": "Autumn#2031",
            "new_password2": "Autumn#2031",
            "next": "/projects/",
        },
    )
    assert done.status_code == 302 and done.url == "/projects/"
    assert client.get("/projects/").status_code == 200


def test_an_initial_password_set_by_an_administrator_is_changed_at_first_sign_in(
    people, limits, client, admin_client
):
    heard = []

    def listen(sender, **kw):
        heard.append(kw)

    signals.password_changed.connect(listen)
    try:
        person = people["county_filer"]
        reset = admin_client.post(
            reverse("admin:auth_user_password_change", args=[person.pk]),
            {"password1": "Initial#2031", "password2": "Initial#2031"},
        )
        assert reset.status_code == 302
        person.refresh_from_db()
        assert person.must_change_password

        assert page_sign_in(client, "county_filer", "Initial#2031").status_code == 302
        landing = client.get("/", follow=True)
        assert "您正在使用管理员设置的初始密码，请先修改密码" in landing.content.decode()
        assert change(client, "Initial#2031", "Personal#2031").status_code == 302
    finally:
        signals.password_changed.disconnect(listen)

    person.refresh_from_db()
    assert not person.must_change_password
    assert client.get("/projects/").status_code == 200
    assert [h["reason"] for h in heard] == ["reset", "first_login"]


def test_demo_accounts_are_spared_by_the_setting(people, limits, client, settings):
    settings.PASSWORD_POLICY_EXEMPT_DEMO = True
    demo = factories.user("demo_person", "320281", ["county_filer"], factories.office("320281"))
    demo.set_password(settings.DEMO_PASSWORD)
    demo.must_change_password = True
    demo.save()

    assert page_sign_in(client, "demo_person", settings.DEMO_PASSWORD).status_code == 302
    assert client.get("/projects/").status_code == 200


def test_production_refuses_the_demo_exemption():
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "x" * 60,
        "PASSWORD_POLICY_EXEMPT_DEMO": "1",
    }
    result = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import django; django.setup()"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "PASSWORD_POLICY_EXEMPT_DEMO must not be set in production" in result.stderr


# --- sessions -------------------------------------------------------------------------------


def test_thirty_idle_minutes_end_the_session(people, limits, client):
    client.force_login(people["county_filer"])
    limits.move_to(MORNING + datetime.timedelta(minutes=29))
    assert client.get("/projects/").status_code == 200

    limits.move_to(MORNING + datetime.timedelta(minutes=58))
    assert client.get("/projects/").status_code == 200  # 29 idle minutes
    limits.move_to(MORNING + datetime.timedelta(minutes=88))
    ended = client.get("/projects/")

    assert ended.status_code == 302 and ended.url.startswith(reverse("login"))
    assert "_auth_user_id" not in client.session
    assert "您已 30 分钟没有操作，请重新登录" in client.get(ended.url).content.decode()
    api = APIClient()
    api.force_login(people["county_filer"])
    limits.move_to(MORNING + datetime.timedelta(minutes=120))
    assert api.get("/api/v1/projects/").json()["code"] == "session_expired"


def test_twelve_hours_end_a_busy_session(people, limits, client):
    client.force_login(people["county_filer"])
    for minutes in range(20, 12 * 60, 20):
        limits.move_to(MORNING + datetime.timedelta(minutes=minutes))
        assert client.get("/projects/").status_code == 200, minutes

    limits.move_to(MORNING + datetime.timedelta(hours=12))
    ended = client.get("/projects/")

    assert ended.status_code == 302
    assert "登录已超过 12 小时，请重新登录" in client.get(ended.url).content.decode()


def test_a_person_ends_their_other_sessions(people, limits, client, django_user_model):
    from django.test import Client

    person = people["county_filer"]
    laptop, phone = Client(), Client()
    for other in (laptop, phone):
        assert page_sign_in(other, "county_filer", factories.PASSWORD).status_code == 302
    client.force_login(person)
    listing = client.get(reverse("my-sessions"))
    assert listing.status_code == 200
    assert listing.content.decode().count("203.0.113.7") == 2
    assert UserSession.objects.filter(user=person).count() == 3

    done = client.post(reverse("my-sessions"), follow=True)

    assert "已结束其他 2 个会话" in done.content.decode()
    assert laptop.get("/projects/").status_code == 302
    assert phone.get("/projects/").status_code == 302
    assert client.get("/projects/").status_code == 200
    assert list(UserSession.objects.filter(user=person).values_list("session_key", flat=True)) == [
        client.session.session_key
    ]


def test_logout_deletes_the_session_row(people, limits, client):
    assert page_sign_in(client, "county_filer", factories.PASSWORD).status_code == 302
    key = client.session.session_key
    assert Session.objects.filter(session_key=key).exists()

    client.post(reverse("logout"))

    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(session_key=key).exists()


def test_sign_in_is_recorded_for_listeners(people, limits, client):
    heard = []

    def listen(sender, **kw):
        heard.append(kw["user"])

    user_logged_in.connect(listen)
    try:
        page_sign_in(client, "county_filer", factories.PASSWORD)
    finally:
        user_logged_in.disconnect(listen)
    assert heard == [people["county_filer"]]


# --- tokens ---------------------------------------------------------------------------------


def test_security_admin_gives_a_token_an_expiry_and_an_expired_token_is_refused(
    people, admins, limits, client
):
    token = Token.objects.create(user=people["api_client"])
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    assert api.get("/api/v1/projects/").status_code == 200

    client.force_login(admins["system"])
    assert client.get(reverse("security-tokens")).status_code == 403
    client.force_login(admins["security"])
    listing = client.get(reverse("security-tokens"))
    assert "api_client" in listing.content.decode() and token.key not in listing.content.decode()
    client.post(
        reverse("security-token-expiry", args=[people["api_client"].pk]),
        {"expires_on": "2031-05-06"},
    )
    assert api.get("/api/v1/projects/").status_code == 200  # until midnight

    limits.move_to(datetime.datetime(2031, 5, 7, 0, 0, tzinfo=SHANGHAI))
    refused = api.get("/api/v1/projects/")

    assert refused.status_code == 401
    assert refused.json()["code"] == "token_expired"
    assert "令牌已过期" in refused.json()["message"]
    # the account's password gets a fresh token
    fresh = token_sign_in("api_client", factories.PASSWORD).json()["token"]
    assert fresh != token.key


def test_security_admin_revokes_a_token(people, admins, limits, client):
    token = Token.objects.create(user=people["api_client"])
    heard = []

    def listen(sender, **kw):
        heard.append(kw)

    signals.token_revoked.connect(listen)
    try:
        client.force_login(admins["audit"])
        url = reverse("security-token-revoke", args=[people["api_client"].pk])
        assert client.post(url).status_code == 403
        client.force_login(admins["security"])
        done = client.post(url, follow=True)
    finally:
        signals.token_revoked.disconnect(listen)

    assert "已吊销 api_client 的令牌" in done.content.decode()
    assert not Token.objects.filter(pk=token.pk).exists()
    refused = APIClient().get("/api/v1/projects/", HTTP_AUTHORIZATION=f"Token {token.key}")
    assert refused.status_code == 401
    assert heard[0]["by"] == admins["security"] and heard[0]["token_key_prefix"] == token.key[:6]


def test_machine_accounts_still_cannot_sign_in_to_pages(people, limits, client):
    refused = page_sign_in(client, "api_client", factories.PASSWORD)
    assert refused.status_code == 200
    assert "系统接口账号只能使用接口令牌访问" in refused.content.decode()
