"""The one scope rule, seen through the REST API (SPEC §2).

Whoever asks, lists and detail pages of /api/v1/ answer only with what lies in the caller's
region (and, for a project-unit contact, their own unit); anything else is simply not found.
"""

import pytest

from accounts.models import Region, Unit

PROJECTS = "/api/v1/projects/"
REGIONS = "/api/v1/regions/"
UNITS = "/api/v1/units/"

JIANGYIN = {"jiangyin_enterprise_1", "jiangyin_enterprise_2", "jiangyin_other"}
ALL_PROJECTS = JIANGYIN | {"yixing", "shuyang", "nanjing"}

#: person → the projects of the ``library`` fixture they may see
VISIBLE_PROJECTS = {
    "province_office": ALL_PROJECTS,
    "city_office": JIANGYIN | {"yixing"},
    "county_office": JIANGYIN,
    "county_filer": JIANGYIN,
    "county_filer2": {"shuyang"},
    "enterprise": {"jiangyin_enterprise_1", "jiangyin_enterprise_2"},
    "liaison": set(),  # a department liaison sees only the projects their unit works on
    "leader": ALL_PROJECTS,
    "api_client": ALL_PROJECTS,
    "admin": ALL_PROJECTS,
    "nobody": set(),
}


def listed(client, url, **params):
    """Every item of a (paginated) list answer, following ``next`` links."""
    response = client.get(url, {"page_size": 200, **params})
    assert response.status_code == 200, response.content
    items = list(response.json()["results"])
    while response.json()["next"]:
        response = client.get(response.json()["next"])
        assert response.status_code == 200
        items += response.json()["results"]
    return items


def assert_not_found(response):
    assert response.status_code == 404, response.content
    body = response.json()
    assert body["code"] == "not_found"
    assert isinstance(body["message"], str) and body["message"]


# --- projects -------------------------------------------------------------------------------


@pytest.mark.parametrize("person, visible", VISIBLE_PROJECTS.items(), ids=VISIBLE_PROJECTS)
def test_project_list_shows_exactly_the_projects_in_scope(people, library, api, person, visible):
    client = api.as_user(people[person])

    items = listed(client, PROJECTS)

    assert {item["id"] for item in items} == {library[key].pk for key in visible}
    assert len(items) == len(visible)  # no duplicates from joins
    assert client.get(PROJECTS).json()["count"] == len(visible)


@pytest.mark.parametrize("person, visible", VISIBLE_PROJECTS.items(), ids=VISIBLE_PROJECTS)
def test_project_detail_is_found_only_in_scope(people, library, api, person, visible):
    client = api.as_user(people[person])

    for key, project in library.items():
        response = client.get(f"{PROJECTS}{project.pk}/")
        if key in visible:
            assert response.status_code == 200, (key, response.content)
            assert response.json()["id"] == project.pk
            assert response.json()["name"] == project.name
        else:
            assert_not_found(response)


def test_county_filer_gets_404_for_another_countys_project(people, library, api):
    client = api.as_user(people["county_filer"])

    for key in ("yixing", "shuyang", "nanjing"):
        assert_not_found(client.get(f"{PROJECTS}{library[key].pk}/"))
    listed_ids = {item["id"] for item in listed(client, PROJECTS)}
    assert library["yixing"].pk not in listed_ids
    assert library["jiangyin_other"].pk in listed_ids


def test_enterprise_gets_404_for_another_unit_in_its_own_county(people, library, api):
    client = api.as_user(people["enterprise"])

    assert_not_found(client.get(f"{PROJECTS}{library['jiangyin_other'].pk}/"))
    response = client.get(f"{PROJECTS}{library['jiangyin_enterprise_1'].pk}/")
    assert response.status_code == 200
    assert response.json()["unit"] == people["enterprise"].unit_id


def test_filtering_by_a_region_outside_scope_does_not_widen_it(people, library, api):
    client = api.as_user(people["city_office"])

    assert listed(client, PROJECTS, region="321300") == []
    assert listed(client, PROJECTS, region="320000") == listed(client, PROJECTS)


def test_a_missing_project_id_is_the_same_404(people, library, api):
    client = api.as_user(people["province_office"])
    missing = max(project.pk for project in library.values()) + 1000

    assert_not_found(client.get(f"{PROJECTS}{missing}/"))


# --- anonymous callers ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        PROJECTS,
        f"{PROJECTS}{{project}}/",
        REGIONS,
        f"{REGIONS}320281/",
        UNITS,
    ],
)
def test_anonymous_is_401_not_authenticated(library, api, url):
    response = api.get(url.format(project=library["jiangyin_other"].pk))

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    assert response.json()["message"]
    assert response.headers["WWW-Authenticate"].startswith("Token")


def test_anonymous_cannot_write_either(library, api):
    before = library["jiangyin_other"].name

    response = api.patch(f"{PROJECTS}{library['jiangyin_other'].pk}/", {"name": "匿名改名"})

    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
    library["jiangyin_other"].refresh_from_db()
    assert library["jiangyin_other"].name == before


# --- regions --------------------------------------------------------------------------------


def test_county_filer_regions_are_its_county_only(people, api):
    client = api.as_user(people["county_filer"])

    assert [item["code"] for item in listed(client, REGIONS)] == ["320281"]


def test_city_office_regions_are_its_city_and_the_counties_under_it(people, api):
    client = api.as_user(people["city_office"])

    codes = {item["code"] for item in listed(client, REGIONS)}

    children = set(Region.objects.filter(parent_id="320200").values_list("code", flat=True))
    assert {"320281", "320282"} <= children
    assert codes == {"320200"} | children
    assert not codes & {"320000", "321322", "320102"}


def test_province_staff_see_every_region(people, api):
    client = api.as_user(people["province_office"])

    codes = [item["code"] for item in listed(client, REGIONS)]

    assert sorted(codes) == sorted(Region.objects.values_list("code", flat=True))
    assert len(codes) == len(set(codes))


def test_region_items_carry_code_name_level_parent(people, api):
    response = api.as_user(people["county_filer"]).get(f"{REGIONS}320281/")

    assert response.status_code == 200
    assert response.json() == {
        "code": "320281",
        "name": Region.objects.get(code="320281").name,
        "level": "county",
        "parent": "320200",
    }


@pytest.mark.parametrize(
    "person, code, found",
    [
        ("county_filer", "320281", True),
        ("county_filer", "320282", False),
        ("county_filer", "320200", False),
        ("city_office", "320282", True),
        ("city_office", "321322", False),
        ("county_filer2", "321322", True),
        ("county_filer2", "320281", False),
        ("nobody", "320281", False),
    ],
)
def test_region_detail_follows_scope(people, api, person, code, found):
    response = api.as_user(people[person]).get(f"{REGIONS}{code}/")

    if found:
        assert response.status_code == 200
        assert response.json()["code"] == code
    else:
        assert_not_found(response)


def test_nobody_sees_no_regions(people, api):
    assert listed(api.as_user(people["nobody"]), REGIONS) == []


# --- units ----------------------------------------------------------------------------------


def test_enterprise_sees_only_its_own_unit(people, api):
    person = people["enterprise"]
    client = api.as_user(person)

    items = listed(client, UNITS)

    assert [item["id"] for item in items] == [person.unit_id]
    assert items[0]["name"] == person.unit.name
    assert items[0]["region"] == "320281"
    county_office = Unit.objects.get(region_id="320281", kind=Unit.Kind.OFFICE)
    assert_not_found(client.get(f"{UNITS}{county_office.pk}/"))


def test_county_filer_sees_the_units_of_its_county(people, library, api):
    client = api.as_user(people["county_filer"])

    items = listed(client, UNITS)

    assert {item["region"] for item in items} == {"320281"}
    ids = {item["id"] for item in items}
    assert ids == set(Unit.objects.filter(region_id="320281").values_list("pk", flat=True))
    assert people["enterprise"].unit_id in ids
    assert library["yixing"].unit_id not in ids
    assert_not_found(client.get(f"{UNITS}{library['shuyang'].unit_id}/"))


def test_city_office_sees_units_of_its_counties_but_not_of_other_cities(people, library, api):
    client = api.as_user(people["city_office"])

    items = listed(client, UNITS)

    assert {item["region"][:4] for item in items} == {"3202"}
    ids = {item["id"] for item in items}
    assert {library["yixing"].unit_id, library["jiangyin_other"].unit_id} <= ids
    assert library["shuyang"].unit_id not in ids
    assert library["nanjing"].unit_id not in ids


@pytest.mark.parametrize("person", ["province_office", "leader", "api_client", "liaison"])
def test_province_wide_roles_see_every_unit(people, library, api, person):
    ids = {item["id"] for item in listed(api.as_user(people[person]), UNITS)}

    assert ids == set(Unit.objects.values_list("pk", flat=True))


def test_nobody_sees_no_units_and_no_projects(people, library, api):
    client = api.as_user(people["nobody"])

    assert listed(client, UNITS) == []
    assert listed(client, PROJECTS) == []
    assert_not_found(client.get(f"{UNITS}{people['enterprise'].unit_id}/"))


def test_enterprise_sees_its_own_county_as_reference_data(people, api):
    response = api.as_user(people["enterprise"]).get("/api/v1/regions/")
    assert [region["code"] for region in response.json()["results"]] == ["320281"]
