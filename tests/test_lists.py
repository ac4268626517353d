"""Long lists: one way to sort by a column header (core/sorting.py) and to page through."""

import re
from decimal import Decimal

import pytest
from django.test import RequestFactory
from django.urls import reverse

from core.sorting import Column, Sorting
from projects.views import PAGE_SIZE

from . import factories


def listed(response) -> list[str]:
    return [project.name for project in response.context["page"].object_list]


@pytest.fixture
def priced(people):
    """Four 无锡 projects of different sizes; two of them the same size (a tie)."""
    by = people["province_office"]
    return [
        factories.project("320281", by=by, name="甲", total_investment=Decimal("2000000")),
        factories.project("320281", by=by, name="乙", total_investment=Decimal("300")),
        factories.project("320282", by=by, name="丙", total_investment=Decimal("4500.5")),
        factories.project("320282", by=by, name="丁", total_investment=Decimal("4500.5")),
    ]


def test_sorting_reads_only_whitelisted_columns():
    sorting = Sorting(name=Column("name"), total=Column("total_investment"), default="-total")
    request = RequestFactory().get("/", {"sort": "-name", "region": "320200", "page": "3"})
    sort = sorting.read(request)
    assert (sort.key, sort.descending, sort.requested) == ("name", True, True)
    header = sort.header("name")
    assert header["aria_sort"] == "descending"
    # the link turns the order round, keeps the filter and starts again on page 1
    assert "sort=name" in header["href"] and "region=320200" in header["href"]
    assert "page=" not in header["href"]
    for bogus in ("password", "-__class__", "--name", "name;drop", ""):
        sort = sorting.read(RequestFactory().get("/", {"sort": bogus}))
        assert (sort.key, sort.descending, sort.requested) == ("total", True, False)
    with pytest.raises(ValueError):
        Sorting(name=Column("name"), default="size")


def test_project_list_sorts_by_the_column_clicked(client, people, priced):
    client.force_login(people["city_office"])
    url = reverse("projects:list")
    # by default the largest first; a tie keeps the order the projects were filed in
    assert listed(client.get(url)) == ["甲", "丙", "丁", "乙"]
    assert listed(client.get(url, {"sort": "total_investment"})) == ["乙", "丙", "丁", "甲"]
    assert listed(client.get(url, {"sort": "-total_investment"})) == ["甲", "丙", "丁", "乙"]
    by_name = client.get(url, {"sort": "-name"})
    assert listed(by_name) == sorted(["甲", "乙", "丙", "丁"], reverse=True)
    html = by_name.content.decode()
    assert re.search(r'<th aria-sort="descending"><a class="sort sorted" href="\?sort=name"', html)
    assert html.count("aria-sort=") == 1


def test_an_unknown_sort_is_ignored(client, people, priced):
    client.force_login(people["city_office"])
    response = client.get(reverse("projects:list"), {"sort": "owner__password"})
    assert response.status_code == 200
    assert listed(response) == ["甲", "丙", "丁", "乙"]


def test_project_list_shows_money_in_wan_with_separators(client, people, priced):
    client.force_login(people["city_office"])
    html = client.get(reverse("projects:list")).content.decode()
    assert "总投资（万元）" in html
    assert ">2,000,000.00</td>" in html and ">4,500.50</td>" in html
    assert ">2000000<" not in html


def test_pages_keep_the_filters_and_the_sort(client, people):
    by = people["province_office"]
    for number in range(PAGE_SIZE + 5):
        factories.project("320281", by=by, name=f"江阴{number:02d}")
    factories.project("320282", by=by, name="宜兴不在筛选内")
    client.force_login(people["city_office"])
    url = reverse("projects:list")
    first = client.get(url, {"region": "320281", "sort": "name"})
    assert first.context["page"].paginator.count == PAGE_SIZE + 5
    assert listed(first) == [f"江阴{number:02d}" for number in range(PAGE_SIZE)]
    html = first.content.decode()
    assert "第 1 / 2 页" in html
    next_link = re.search(r'<a href="([^"]+)" rel="next">下一页</a>', html).group(1)
    assert "region=320281" in next_link and "sort=name" in next_link and "page=2" in next_link
    second = client.get(url + next_link.replace("&amp;", "&"))
    assert listed(second) == [f"江阴{number:02d}" for number in range(PAGE_SIZE, PAGE_SIZE + 5)]
    # a header sorts again from page 1, the filter kept
    header = re.search(r'href="(\?[^"]*sort=-name[^"]*)"', second.content.decode()).group(1)
    assert "region=320281" in header and "page=" not in header
    # the filter form carries the chosen sort along
    assert '<input type="hidden" name="sort" value="name">' in html


def test_the_navigation_folds_into_a_menu_button(client, people):
    """At most 600 px wide the menu is a button (static/js/layout.js folds it); the bell and the
    to-do count stay outside the fold."""
    client.force_login(people["city_office"])
    html = client.get(reverse("projects:list")).content.decode()
    menu = re.search(
        r'<details class="navmenu" data-fold open>\s*'
        r'<summary class="menu-button">菜单(.*?)</summary>'
        r'\s*<nav class="mainnav"[^>]*>(.*?)</nav>\s*</details>',
        html,
        re.S,
    )
    assert menu, "the navigation is not inside the menu's <details>"
    assert ">项目库</a>" in menu.group(2) and ">要素审批</a>" in menu.group(2)
    after = html[menu.end() :]
    assert f'<a class="bell" href="{reverse("notify:centre")}"' in after
    assert '<script src="/static/js/layout.js" defer></script>' in html
    # the filter panel folds the same way
    assert '<details class="filters-fold card" data-fold open>' in html
    assert "onclick" not in html and "<script>" not in html  # nothing inline (CSP)
