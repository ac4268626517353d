"""Two factors (TOTP, django-otp): required of the three administrators, optional for everyone
else, recovery codes, and the security administrator's reset; on the login page and the admin's
alike, and the API refuses an administrator's session until the code is given."""

import datetime
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import signals

from . import factories


@pytest.fixture
def admins(people):
    f = factories
    return {
        "system": f.user("sysadmin", None, ["system_admin"], is_staff=True),
        "security": f.user("secadmin", None, ["security_admin"], is_staff=True),
        "audit": f.user("auditadmin", None, ["audit_admin"], is_staff=True),
    }


@pytest.fixture
def heard():
    got = []

    def listen(signal):
        def receiver(sender, **kwargs):
            got.append((signal, kwargs["user"].username, kwargs["by"].username))

        return receiver

    added, reset = listen("added"), listen("reset")
    signals.otp_device_added.connect(added)
    signals.otp_device_reset.connect(reset)
    yield got
    signals.otp_device_added.disconnect(added)
    signals.otp_device_reset.disconnect(reset)


def code_of(device) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def sign_in(client, username):
    return client.post(reverse("login"), {"username": username, "password": factories.PASSWORD})


def set_up(client, person):
    """Through the set-up page: the code of the new authenticator; returns the recovery codes."""
    client.get(reverse("otp-setup"))
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    page = client.post(reverse("otp-setup"), {"code": code_of(device), "next": "/"})
    assert page.status_code == 200
    return re.findall(r"<li>([a-z2-7]{8})</li>", page.content.decode())


def later(seconds=60):
    """A moment past this TOTP step (a code is accepted once)."""
    return time_machine.travel(timezone.now() + datetime.timedelta(seconds=seconds), tick=True)


@pytest.mark.parametrize("who", ["system", "security", "audit"])
def test_an_administrator_sets_up_the_second_factor_before_any_page(client, admins, who, heard):
    person = admins[who]
    response = sign_in(client, person.username)
    assert response.status_code == 302
    home = client.get("/")
    assert home.status_code == 302
    assert home["Location"] == f"{reverse('otp-setup')}?next=/"
    for url in ("/projects/", "/admin/", "/security/lockouts/", "/accounts/sessions/"):
        assert client.get(url)["Location"].startswith(reverse("otp-setup")), url

    page = client.get(reverse("otp-setup")).content.decode()
    assert "管理员账号必须使用双因素认证" in page
    assert "<svg" in page and 'id="otp-secret"' in page  # the QR code, drawn on the server
    device = TOTPDevice.objects.get(user=person, confirmed=False)
    assert "otpauth://totp/" in device.config_url

    wrong = client.post(reverse("otp-setup"), {"code": "000000"})
    assert "验证码不正确" in wrong.content.decode()
    assert client.get("/projects/").status_code == 302

    with later(2):  # a wrong code holds the next try back a second (django-otp's throttle)
        codes = set_up(client, person)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/projects/").status_code == 200
    assert heard == [("added", person.username, person.username)]


def test_the_next_sign_in_asks_for_the_code_a_recovery_code_works_once(client, admins):
    person = admins["security"]
    sign_in(client, person.username)
    codes = set_up(client, person)
    client.post(reverse("logout"))

    with later(60):
        sign_in(client, person.username)
        assert client.get("/security/lockouts/")["Location"].startswith(reverse("otp-verify"))
        refused = client.post(reverse("otp-verify"), {"code": "123456"})
        assert "验证码不正确或已使用" in refused.content.decode()
    with later(65):  # past the throttle's second after a wrong code
        used = client.post(reverse("otp-verify"), {"code": codes[0], "next": "/security/lockouts/"})
        assert used["Location"] == "/security/lockouts/"
        assert client.get("/security/lockouts/").status_code == 200
        assert StaticToken.objects.filter(device__user=person).count() == 9
        client.post(reverse("logout"))

        sign_in(client, person.username)
        again = client.post(reverse("otp-verify"), {"code": codes[0]})
        assert "验证码不正确或已使用" in again.content.decode()
    with later(125):
        device = TOTPDevice.objects.get(user=person, confirmed=True)
        assert client.post(reverse("otp-verify"), {"code": code_of(device)}).status_code == 302
        assert client.get("/security/lockouts/").status_code == 200


def test_the_admin_login_asks_for_the_second_factor_too(client, admins):
    person = admins["system"]
    response = client.post(
        reverse("admin:login"), {"username": person.username, "password": factories.PASSWORD}
    )
    assert response.status_code == 302
    assert client.get("/admin/")["Location"].startswith(reverse("otp-setup"))
    assert client.get("/admin/accounts/unit/")["Location"].startswith(reverse("otp-setup"))
    set_up(client, person)
    assert client.get("/admin/accounts/unit/").status_code == 200


def test_the_api_refuses_an_unverified_administrators_session(client, admins, api):
    client.force_login(admins["system"], verified=False)
    refused = client.get("/api/v1/projects/")
    assert refused.status_code == 403
    assert refused.json() == {"code": "otp_required", "message": "请先在网页上完成双因素认证。"}
    client.force_login(admins["system"])  # verified
    assert client.get("/api/v1/projects/").status_code == 200


def test_others_are_not_asked_unless_they_switch_it_on(client, people, heard):
    person = people["city_office"]
    sign_in(client, person.username)
    assert client.get("/projects/").status_code == 200
    page = client.get(reverse("otp-manage")).content.decode()
    assert "未开启" in page and "开启双因素认证" in page

    set_up(client, person)
    page = client.get(reverse("otp-manage")).content.decode()
    assert "已开启" in page and "剩余恢复码 10 个" in page and "关闭双因素认证" in page
    client.post(reverse("logout"))

    with later():
        sign_in(client, person.username)
        assert client.get("/projects/")["Location"].startswith(reverse("otp-verify"))
        device = TOTPDevice.objects.get(user=person, confirmed=True)
        client.post(reverse("otp-verify"), {"code": code_of(device)})
        assert client.get("/projects/").status_code == 200

        new = client.post(reverse("otp-new-codes"))
        assert len(re.findall(r"<li>([a-z2-7]{8})</li>", new.content.decode())) == 10

        assert client.post(reverse("otp-disable")).status_code == 302
        assert not TOTPDevice.objects.filter(user=person).exists()
        client.post(reverse("logout"))
        sign_in(client, person.username)
        assert client.get("/projects/").status_code == 200
    assert [event for event, *_ in heard] == ["added", "reset"]


def test_an_administrator_cannot_switch_it_off(client, admins):
    client.force_login(admins["audit"])
    refused = client.post(reverse("otp-disable"))
    assert refused.status_code == 403 and "无权操作" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=admins["audit"], confirmed=True).exists()


def test_the_security_administrator_resets_a_persons_second_factor(client, admins, people, heard):
    lost = admins["system"]
    TOTPDevice.objects.create(user=lost, name="手机", confirmed=True)

    client.force_login(admins["security"])
    page = client.get(reverse("otp-devices")).content.decode()
    assert f'id="otp-user-{lost.pk}"' in page
    response = client.post(reverse("otp-reset", args=[lost.pk]), follow=True)
    assert "已重置“sysadmin”的双因素认证" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=lost).exists()
    assert ("reset", "sysadmin", "secadmin") in heard

    # at the next sign-in the system administrator sets it up again
    other = client.__class__()
    sign_in(other, lost.username)
    assert other.get("/")["Location"].startswith(reverse("otp-setup"))


@pytest.mark.parametrize("who", ["system", "audit"])
def test_only_the_security_administrator_resets(client, admins, people, who):
    client.force_login(admins[who])
    for response in (
        client.get(reverse("otp-devices")),
        client.post(reverse("otp-reset", args=[people["city_office"].pk])),
    ):
        assert response.status_code == 403 and "无权操作" in response.content.decode()


def test_every_page_offers_the_second_factor_the_security_administrator_its_reset(
    client, admins, people
):
    client.force_login(people["county_filer"])
    page = client.get(reverse("todo:list")).content.decode()
    assert f'href="{reverse("otp-manage")}"' in page
    assert reverse("otp-devices") not in page

    client.force_login(admins["security"])
    page = client.get(reverse("todo:list")).content.decode()
    assert f'href="{reverse("otp-devices")}"' in page and "双因素重置" in page
