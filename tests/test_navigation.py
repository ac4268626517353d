"""The navigation per role: every page offered opens for that person (no refusal), and pages a
role has no use for are not offered."""

import re

import pytest
from django.urls import reverse

LINK = re.compile(r'<nav class="mainnav"[^>]*>(.*?)</nav>', re.S)
HREF = re.compile(r'href="([^"]+)"[^>]*>([^<]+)')


def offered(client, user) -> dict[str, str]:
    client.force_login(user)
    page = client.get(reverse("projects:list")).content.decode()
    nav = LINK.search(page).group(1)
    return {label.strip(): href for href, label in HREF.findall(nav)}


@pytest.mark.parametrize(
    "name",
    ["province_office", "city_office", "county_office", "county_filer", "liaison", "enterprise",
     "leader", "admin"],
)  # fmt: skip
def test_every_page_offered_opens(people, client, name):
    links = offered(client, people[name])
    assert "项目库" in links and "我的待办" in links
    for label, href in links.items():
        answer = client.get(href, follow=True)
        assert answer.status_code == 200, (name, label, href)
        assert "/login/" not in answer.request["PATH_INFO"], (name, label)


def test_each_role_is_offered_what_it_uses(people, client):
    enterprise = offered(client, people["enterprise"])
    for hidden in ("碰头会", "节点模板", "接口文档", "报告简报", "月度调度", "Webhook", "管理后台"):
        assert hidden not in enterprise
    filer = offered(client, people["county_filer"])
    assert "月度调度" in filer and "节点模板" not in filer and "碰头会" not in filer
    office = offered(client, people["city_office"])
    assert {"碰头会", "节点模板", "Webhook", "接口文档"} <= set(office)
    assert "管理后台" not in office  # staff status alone opens an empty admin
    assert "管理后台" in offered(client, people["admin"])


def test_pages_carry_the_platforms_icon(people, client):
    from django.contrib.staticfiles import finders

    client.force_login(people["county_office"])
    page = client.get(reverse("projects:list")).content.decode()
    assert 'rel="icon" href="/static/favicon.svg"' in page
    assert finders.find("favicon.svg")
