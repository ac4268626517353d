"""Chinese by default, English on request — whatever the browser's own language."""

from django.conf import settings
from django.urls import reverse


def test_chinese_even_for_an_english_browser(client, people):
    client.force_login(people["county_office"])
    response = client.get(reverse("projects:list"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "项目库" in html and "Project library" not in html


def test_english_when_the_user_switches(client, people, library):
    client.force_login(people["county_office"])
    switched = client.post(
        reverse("set_language"), {"language": "en", "next": reverse("projects:list")}
    )
    assert switched.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    html = client.get(reverse("projects:list")).content.decode()
    assert '<html lang="en">' in html
    assert "Project library" in html
    detail = client.get(
        reverse("projects:detail", args=[library["jiangyin_other"].pk])
    ).content.decode()
    assert "Change log" in detail and "变更记录" not in detail
