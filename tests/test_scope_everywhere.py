"""Scope everywhere (SPEC §2): whoever cannot open a project sees none of its rows.

A walk over the URL resolver finds every API route and every export. Each is requested, on the
demo data set, as each restricted demo person, and what it answers is traced back to what it
belongs to through the model's own foreign keys (and the ``scope_region_path`` of its
queryset): a project, else a region, else a unit. That project (region, unit) must be one the
same person can open — ``Project.objects.for_user`` (``Region``, ``Unit``). Rows of the table
that a list did not answer are "not found" on every detail route of the resource. Exports and
summaries are read whole: no project code, project name or region there may be one the person
cannot open.

A new model or route is walked without changing this file. Models with no way to a project,
region or unit are reference data (channels, approval kinds, templates); the self-checks at the
end fail when the walk no longer finds the routes it must, leaves a route unclassified, or has
no hidden rows to probe a resource with.

Today is pinned to the demo day, Monday 23 November 2026.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import Counter, deque
from dataclasses import dataclass
from io import BytesIO, StringIO
from urllib.parse import urlencode

import pytest
from django.contrib.auth import get_user_model
from django.urls import URLResolver, get_resolver, include, path, reverse
from openpyxl import load_workbook
from rest_framework import viewsets
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.routers import DefaultRouter
from rest_framework.test import APIClient, APIRequestFactory
from rest_framework.views import APIView

from accounts.models import Region, Unit
from accounts.scope import ScopedQuerySet
from config.api_router import router
from funding.api.serializers import FundingRecordSerializer
from funding.models import FundingRecord
from issues.models import Interview
from projects.models import Project

from .conftest import clock_at

User = get_user_model()
pytestmark = pytest.mark.django_db

#: the restricted demo people: a county filer, a city office, a provincial and a county
#: department liaison, an enterprise contact
RESTRICTED = ("county_filer", "city_office", "liaison", "jiangyin_liaison", "enterprise")
#: what summaries and exports are asked for: the demo day's year and month, an indicator
QUERY = {"year": 2026, "period": "2026-11", "indicator": "new_start_rate"}
#: what a row may belong to, in the order it is asked: its project, else region, else unit
OWNERS = (Project, Region, Unit)
#: models a reader also sees from the regions below, and why
SEEN_FROM_BELOW = {
    "reports.Report": "a published document of a region covers the regions below it",
    "indicators.Target": "the targets of the regions above a region are its own to reach",
    "indicators.ProjectGroup": "a group an office defines is read, with its targets, below it",
}
#: models whose rows without an owner are shipped reference data, open to everyone signed in,
#: beside rows that belong to a region
SHIPPED_WHEN_UNOWNED = {"indicators.ProjectGroup": "the shipped project groups (no region)"}
#: models that belong to no project, region or unit: open to everyone signed in. The walk finds
#: them by their foreign keys; this list only guards against a link the walk cannot follow
REFERENCE_DATA = {
    "approvals.ApprovalKind",
    "funding.FinancialInstitution",
    "funding.FundingChannel",
    "schedule.ScheduleTemplate",
}
#: models whose rows are a person's own (the field naming them): a list answers that person's
#: rows alone, whatever their scope (a large export holds what the requester's scope showed)
PERSONAL = {"core.ExportJob": "requested_by"}
#: routes that answer no rows of their own
DOCUMENTATION = {"api:api-root", "schema", "api-docs"}
#: the audit administrator's alone, refused to every other role whatever its scope
#: (tests/test_audit.py): not walked, like the admin
ADMINISTRATION = {"audit:list", "audit:export"}
#: a project code anywhere in a text (GB: YYYY-RRRRRR-DD-TT-NNNNNN)
PROJECT_CODE = re.compile(r"\d{4}-\d{6}-\d{2}-\d{2}-\d{6}")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


# --- the walk over the routes ------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str
    view: object
    kwargs: tuple[str, ...]

    def __str__(self) -> str:
        return self.name

    @property
    def cls(self):
        return getattr(self.view, "cls", None)

    @property
    def is_api(self) -> bool:
        return self.cls is not None and issubclass(self.cls, APIView)

    @property
    def get(self) -> str | None:
        """The view method answering GET: a viewset's action, ``get`` of a plain API view."""
        actions = getattr(self.view, "actions", None)
        if actions is not None:
            return actions.get("get")
        if self.is_api:
            return "get" if hasattr(self.cls, "get") else None
        return "get"

    @property
    def kind(self) -> str:
        if self.pattern.startswith("admin/") or self.name in ADMINISTRATION:
            return "admin"
        if self.name in DOCUMENTATION:
            return "documentation"
        if self.is_api and self.get is None:
            return "write"
        if self.is_api and self.kwargs:  # one row of a resource: by its key in the address
            return "detail" if self.get == "retrieve" else "detail-action"
        if is_export(self):
            return "export"
        if not self.is_api:
            return "page"
        if self.get == "list" and self.has_rows:
            return "list"
        return "summary"

    @property
    def has_rows(self) -> bool:
        """Whether the view answers the rows of a model (a queryset), not computed figures."""
        return (
            getattr(self.cls, "queryset", None) is not None
            or getattr(self.cls, "get_queryset", None) is not GenericAPIView.get_queryset
        )


def walk(patterns, prefix: str = "", namespace: str = ""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            space = namespace
            if entry.namespace:
                space = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
            yield from walk(entry.url_patterns, prefix + str(entry.pattern), space)
        else:
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            kwargs = tuple(entry.pattern.regex.groupindex)
            yield Route(name, prefix + str(entry.pattern), entry.callback, kwargs)


def is_export(route: Route) -> bool:
    """Named or addressed as an export or a spreadsheet, or an API action rendering one."""
    address = route.pattern.rstrip("$/?").replace("\\.", ".")
    if route.name.endswith("export") or address.endswith(("export", ".xlsx", ".csv")):
        return True
    if route.is_api and route.get:
        initkwargs = getattr(route.view, "initkwargs", {})
        renderers = initkwargs.get("renderer_classes") or route.cls.renderer_classes
        return any(
            "spreadsheet" in renderer.media_type or "csv" in renderer.media_type
            for renderer in renderers
        )
    return False


#: every route but the format-suffix twins DRF adds (the same view again)
ROUTES = [route for route in walk(get_resolver().url_patterns) if "format" not in route.kwargs]
LISTS = [route for route in ROUTES if route.kind == "list"]
EXPORTS = [route for route in ROUTES if route.kind == "export"]
SUMMARIES = [route for route in ROUTES if route.kind == "summary"]


def detail_routes(list_route: Route, routes: list[Route]) -> list[Route]:
    """The routes of the same resource that answer GET for one row."""
    return [
        route
        for route in routes
        if route.cls is list_route.cls and route.kind in ("detail", "detail-action")
    ]


# --- what a row belongs to -------------------------------------------------------------------


@functools.cache
def owner_paths(model) -> tuple[tuple[str, type], ...]:
    """The lookup paths from ``model`` to what its rows belong to: its projects (shortest path
    first), then its region (the queryset's ``scope_region_path`` first), then its unit.
    Foreign keys to people (authors, actors) are not followed. None: reference data."""
    if model in OWNERS:
        return (("pk", model),)
    found: dict[type, list[str]] = {owner: [] for owner in OWNERS}
    queryset = type(model._default_manager.all())
    if issubclass(queryset, ScopedQuerySet) and queryset.scope_region_path:
        found[Region].append(queryset.scope_region_path)
    queue = deque([(model, "", (model,))])
    while queue:
        current, trail, chain = queue.popleft()
        for field in current._meta.get_fields():
            if not (field.concrete and (field.many_to_one or field.one_to_one)):
                continue
            target = field.related_model
            if target is User or target in chain:
                continue
            step = f"{trail}__{field.name}" if trail else field.name
            if target in found:
                if step not in found[target]:
                    found[target].append(step)
            elif len(chain) < 3:
                queue.append((target, step, (*chain, target)))
    return tuple((trail, owner) for owner in OWNERS for trail in found[owner])


def owners_of(model, pks) -> dict:
    """pk → (owner model, owner pk): the first of ``owner_paths`` the row has."""
    paths = owner_paths(model)
    rows = model._base_manager.filter(pk__in=list(pks)).values_list(
        "pk", *(path for path, _owner in paths)
    )
    owners = {}
    for pk, *values in rows:
        owners[pk] = next(
            ((owner, value) for (_path, owner), value in zip(paths, values, strict=True) if value),
            (None, None),
        )
    return owners


class Scope:
    """What one person can open, and the names of what they cannot."""

    def __init__(self, user):
        self.user = user
        self.prefix = user.scope_prefix or "-"
        self.projects = set(Project.objects.for_user(user).values_list("pk", flat=True))
        self.regions = set(Region.objects.for_user(user).values_list("pk", flat=True))
        self.units = set(Unit.objects.for_user(user).values_list("pk", flat=True))
        self.lineage = set(user.region.lineage()) if user.region_id else set()
        self.unit_region = dict(Unit.objects.values_list("pk", "region_id"))
        self.counties = set(
            Region.objects.filter(level=Region.Level.COUNTY).values_list("pk", flat=True)
        )
        self.project_region = {}
        shown_names, hidden = set(), {}
        for pk, code, name, region in Project.objects.values_list("pk", "code", "name", "region"):
            self.project_region[pk] = region
            if pk in self.projects:
                shown_names.add(name)
            else:
                hidden[name] = pk
                if code:
                    hidden[code] = pk
        self.hidden_projects = {key: pk for key, pk in hidden.items() if key not in shown_names}
        region_names = dict(Region.objects.values_list("pk", "name"))
        shown_regions = {region_names[code] for code in self.regions}
        self.hidden_regions = {
            text
            for code, name in region_names.items()
            if code not in self.regions
            for text in (code, name)
            if text not in shown_regions
        }

    def opens(self, model, owner, value) -> bool:
        from_below = model._meta.label in SEEN_FROM_BELOW
        if owner is Project:
            return value in self.projects
        if owner is Region:
            return value in self.regions or (from_below and value in self.lineage)
        if owner is Unit:
            region = self.unit_region[value]
            return value in self.units or (from_below and region in self.lineage)
        return False

    def region_of(self, owner, value) -> str:
        return {
            Project: self.project_region.get,
            Region: str,
            Unit: self.unit_region.get,
        }.get(owner, lambda value: "")(value) or ""

    def leaks(self, texts) -> set[str]:
        """The texts naming a project or a region the person cannot open."""
        found = set()
        for text in texts:
            text = text.strip()
            if text in self.hidden_projects or text in self.hidden_regions:
                found.add(text)
            found |= {code for code in PROJECT_CODE.findall(text) if code in self.hidden_projects}
        return found

    def recognised(self, texts) -> bool:
        """Whether the texts name anything the person can open (the scan reads the answer)."""
        names = (
            set(Project.objects.filter(pk__in=self.projects).values_list("name", flat=True))
            | set(Region.objects.filter(pk__in=self.regions).values_list("name", flat=True))
            | set(Unit.objects.filter(pk__in=self.units).values_list("name", flat=True))
        )
        return any(text.strip() in names for text in texts)

    @functools.cached_property
    def home_county(self) -> str:
        """A county of the person's scope with projects they can open."""
        theirs = {self.project_region[pk] for pk in self.projects}
        return min(theirs & self.counties, default=self.user.region_id)

    @functools.cached_property
    def foreign_county(self) -> str | None:
        """A county with projects, none of which the person can open."""
        theirs = {self.project_region[pk] for pk in self.projects}
        return min((set(self.project_region.values()) & self.counties) - theirs, default=None)

    @functools.cached_property
    def hidden_project(self) -> int | None:
        hidden = sorted(set(self.project_region) - self.projects)
        return hidden[len(hidden) // 2] if hidden else None


# --- helpers ---------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def on_the_demo_day(demo):
    with clock_at(demo):
        yield


def person(username: str):
    return User.objects.select_related("region").get(username=username)


def signed_in(user) -> APIClient:
    """A client with a session: for the API (session authentication) and the pages alike."""
    client = APIClient()
    client.force_login(user)
    return client


def model_of(route: Route, user):
    """The model a resource answers rows of, as its view finds them for ``user``."""
    if getattr(route.cls, "queryset", None) is not None:
        return route.cls.queryset.model
    request = Request(APIRequestFactory().get("/"))
    request.user = user
    view = route.cls(**getattr(route.view, "initkwargs", {}))
    view.request, view.args, view.kwargs, view.format_kwarg = request, (), {}, None
    view.action = route.get
    return view.get_queryset().model


def listed(client, route: Route):
    """Every item of a list, following the pages; None when the person may not list it."""
    response = client.get(reverse(route.name), {"page_size": 200})
    if response.status_code == 403:
        return None
    assert response.status_code == 200, (route.name, response.content[:300])
    body = response.json()
    if isinstance(body, list):
        return body
    items = list(body["results"])
    while body["next"]:
        body = client.get(body["next"]).json()
        items += body["results"]
    return items


def item_key(route: Route, model, item: dict) -> str:
    lookup = route.cls.lookup_field
    if lookup != "pk":
        return lookup
    return "id" if "id" in item else model._meta.pk.name


def spread(values: list, count: int) -> list:
    """``count`` values spread over the list (first, middle …), not just its head."""
    if len(values) <= count:
        return values
    step = len(values) / count
    return [values[int(index * step)] for index in range(count)]


def hidden_sample(model, shown, scope: Scope, count: int = 3) -> list:
    """Rows of the table the person was not shown: some of their own region first (where a
    leak would hide), some from elsewhere."""
    hidden = list(model._base_manager.exclude(pk__in=list(shown)).order_by("pk").values_list("pk"))
    hidden = [pk for (pk,) in hidden]
    owners = owners_of(model, hidden)
    near = [pk for pk in hidden if scope.region_of(*owners[pk]).startswith(scope.prefix)]
    far = [pk for pk in hidden if pk not in set(near)]
    return spread(near, count) + spread(far, count)


def detail_url(route: Route, value) -> str:
    (kwarg,) = route.kwargs
    return reverse(route.name, kwargs={kwarg: value})


def texts_of(response) -> list[str]:
    """Every text of an answer: the cells of a workbook or a CSV file, the strings of JSON."""
    content_type = response["Content-Type"]
    if content_type.startswith(XLSX):
        workbook = load_workbook(BytesIO(response.content), read_only=True)
        return [
            str(value)
            for sheet in workbook.worksheets
            for row in sheet.iter_rows(values_only=True)
            for value in row
            if value is not None
        ]
    if content_type.startswith("text/csv"):
        rows = csv.reader(StringIO(response.content.decode("utf-8-sig")))
        return [cell for row in rows for cell in row]
    if content_type.startswith("application/json"):
        return list(json_texts(response.json()))
    raise AssertionError(f"an answer of a type the walk cannot read: {content_type}")


def json_texts(value):
    if isinstance(value, dict):
        for item in value.values():
            yield from json_texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_texts(item)
    elif isinstance(value, str):
        yield value


def json_project_ids(value):
    """The numbers under a "project" key anywhere in a JSON answer."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("project", "project_id") and isinstance(item, int):
                yield item
            else:
                yield from json_project_ids(item)
    elif isinstance(value, list):
        for item in value:
            yield from json_project_ids(item)


def requests_of(route: Route, scope: Scope) -> list[tuple[str, dict]]:
    """Where and with what a summary or an export is asked: the person's own (a county of theirs
    where the address names a region), a county where they open no project, and filtered to a
    project they cannot open."""
    values = {"period": QUERY["period"]}
    unknown = set(route.kwargs) - {"period", "region"}
    assert not unknown, f"{route}: the walk has no value for {unknown}; add one to requests_of"
    if "region" in route.kwargs:
        regions = [region for region in (scope.home_county, scope.foreign_county) if region]
        paths = [
            reverse(route.name, kwargs={k: {**values, "region": region}[k] for k in route.kwargs})
            for region in regions
        ]
    else:
        paths = [reverse(route.name, kwargs={k: values[k] for k in route.kwargs})]
    asked = [(address, QUERY) for address in paths]
    if scope.foreign_county and "region" not in route.kwargs:
        asked.append((paths[0], {**QUERY, "region": scope.foreign_county}))
    if scope.hidden_project:
        asked.append((paths[0], {**QUERY, "project": scope.hidden_project}))
    return asked


def ask(client, address: str, params: dict):
    """GET; a 400 naming parameters of the walk's query (a "period" that means a part of the
    year here) is asked again without them."""
    response = client.get(address, params)
    if response.status_code == 400 and response["Content-Type"].startswith("application/json"):
        refused = set(response.json().get("errors") or {}) & set(params)
        if refused:
            response = client.get(address, {k: v for k, v in params.items() if k not in refused})
    return response


# --- the walk ---------------------------------------------------------------------------------


def check_resource(username: str, route: Route, routes: list[Route] = ROUTES) -> None:
    """A list answers only rows the person can open; its detail routes answer "not found" for
    rows of the table the list did not show, and the row for one it did."""
    user = person(username)
    scope = Scope(user)
    client = signed_in(user)
    model = model_of(route, user)

    items = listed(client, route)
    details = detail_routes(route, routes)
    if items is None:  # not theirs to list: nor to read one by one
        for detail in details:
            some = model._base_manager.values_list(route.cls.lookup_field, flat=True)[:2]
            for value in some:
                assert client.get(detail_url(detail, value)).status_code in (403, 404), detail
        return
    shown = [item[item_key(route, model, item)] for item in items]
    assert len(shown) == len(set(shown)), f"{route}: rows answered twice"
    if model._meta.label in PERSONAL:
        field = PERSONAL[model._meta.label]
        whose = set(model._base_manager.filter(pk__in=shown).values_list(field, flat=True))
        assert whose <= {user.pk}, f"{route} answers rows of other people"
        return
    if not owner_paths(model):
        assert model._meta.label in REFERENCE_DATA, (
            f"{route} answers {model._meta.label} rows the walk cannot trace to a project, "
            "region or unit: reference data (then list it in REFERENCE_DATA) or a scope missing"
        )
        return

    owners = owners_of(model, shown)
    assert set(owners) == set(shown)
    shipped = model._meta.label in SHIPPED_WHEN_UNOWNED
    leaks = [
        (pk, owners[pk][0].__name__ if owners[pk][0] else None, owners[pk][1])
        for pk in shown
        if not scope.opens(model, *owners[pk]) and not (shipped and owners[pk][0] is None)
    ]
    assert not leaks, (
        f"{route} shows {username} {len(leaks)} {model.__name__} rows of what they cannot "
        f"open (row, belongs to, which): {leaks[:8]}"
    )

    lookups = dict(model._base_manager.values_list("pk", route.cls.lookup_field))
    for detail in details:
        for pk in hidden_sample(model, shown, scope):
            response = client.get(detail_url(detail, lookups[pk]))
            assert response.status_code == 404, (
                f"{detail} answers {response.status_code} to {username} for {model.__name__} "
                f"{pk}, which their list does not show"
            )
        if detail.kind == "detail" and shown:
            response = client.get(detail_url(detail, lookups[spread(shown, 1)[0]]))
            assert response.status_code == 200, (detail, response.content[:300])


@pytest.mark.parametrize("route", LISTS, ids=str)
@pytest.mark.parametrize("username", RESTRICTED)
def test_a_resource_answers_only_rows_the_person_can_open(username, route):
    check_resource(username, route)


@pytest.mark.parametrize("route", EXPORTS + SUMMARIES, ids=str)
@pytest.mark.parametrize("username", RESTRICTED)
def test_an_export_or_summary_names_only_what_the_person_can_open(username, route):
    user = person(username)
    scope = Scope(user)
    client = signed_in(user)

    for address, params in requests_of(route, scope):
        response = ask(client, address, params)
        url = f"{address}?{urlencode(params)}"
        assert response.status_code in (200, 400, 403, 404), (url, response.status_code)
        if response.status_code != 200:
            continue
        leaks = scope.leaks(texts_of(response))
        assert not leaks, f"{url} names to {username} what they cannot open: {sorted(leaks)[:8]}"
        if response["Content-Type"].startswith("application/json"):
            foreign = set(json_project_ids(response.json())) - scope.projects
            assert not foreign, f"{url} gives {username} projects {sorted(foreign)[:8]}"


# --- self-checks: the walk still finds what it must -------------------------------------------

#: what the walk makes of a route: walked (list, detail, detail-action, export, summary) or
#: not (admin: superusers' back office; documentation; write: POST-only; page: HTML)
KINDS = {"list", "detail", "detail-action", "export", "summary"}
KINDS |= {"admin", "documentation", "write", "page"}
FUNDING_RESOURCES = ("funding-record", "funding-reits", "financing-need", "financing-match")


def test_the_walk_classifies_every_route_and_finds_the_scoped_resources():
    kinds = Counter(route.kind for route in ROUTES)
    assert set(kinds) <= KINDS, kinds
    names = {route.name for route in ROUTES}
    for resource in FUNDING_RESOURCES:
        assert {f"api:{resource}-list", f"api:{resource}-detail"} <= names, resource
        assert f"api:{resource}-list" in {route.name for route in LISTS}
    assert "funding:records-export" in {route.name for route in EXPORTS}
    assert "api:funding-summary" in {route.name for route in SUMMARIES}
    # every resource of the router is walked through its list, or answers figures only
    registered = {viewset for _prefix, viewset, _basename in router.registry}
    walked = {route.cls for route in LISTS}
    assert not registered - walked - {route.cls for route in SUMMARIES}, registered - walked
    # … and every route reading one row belongs to a resource whose list is walked
    orphans = [
        route
        for route in ROUTES
        if route.kind in ("detail", "detail-action") and route.cls not in walked
    ]
    assert not orphans, orphans
    assert len(LISTS) >= 20 and len(EXPORTS) >= 8 and len(SUMMARIES) >= 6, kinds


def test_the_demo_gives_the_scoped_resources_rows_to_hide():
    """A resource with no rows outside anyone's scope is walked, but its "not found" probes
    prove nothing: the funding resources and most others must have such rows in the demo."""
    scopes = [Scope(person(username)) for username in RESTRICTED]
    probed, unprobed = [], []
    for route in LISTS:
        model = model_of(route, scopes[0].user)
        if not owner_paths(model):
            continue
        owners = owners_of(model, model._base_manager.values_list("pk", flat=True)).values()
        hides = any(not scope.opens(model, *owner) for scope in scopes for owner in owners)
        (probed if hides else unprobed).append(route.name)
    for resource in FUNDING_RESOURCES:
        assert f"api:{resource}-list" in probed, unprobed
    assert len(probed) >= 15, unprobed


def test_reference_data_belongs_to_nothing_and_the_scoped_resources_to_something():
    user = person(RESTRICTED[0])
    models = {model_of(route, user) for route in LISTS}
    unowned = {model._meta.label for model in models if not owner_paths(model)}
    assert unowned <= REFERENCE_DATA | set(PERSONAL), unowned - REFERENCE_DATA
    traced = {model._meta.label: owner_paths(model)[0] for model in models if owner_paths(model)}
    assert traced["funding.FundingRecord"] == ("project", Project)
    assert traced["funding.FinancingMatch"] == ("need__project", Project)
    # an interview per task belongs to its ticket's project; by the unit rule, to its unit's region
    assert traced["issues.Interview"] == ("issue__project", Project)
    assert ("unit__region", Region) in owner_paths(Interview)
    assert len(traced) >= 15, traced


@pytest.mark.parametrize("route", EXPORTS + SUMMARIES, ids=str)
def test_every_export_and_summary_is_read(route):
    """Each answers someone restricted (so the walk does not only read refusals), and an export
    with a file naming what they can open (so the walk reads the file)."""
    for username in RESTRICTED:
        scope = Scope(person(username))
        response = ask(signed_in(scope.user), *requests_of(route, scope)[0])
        if response.status_code != 200:
            continue
        if route.kind == "summary" or scope.recognised(texts_of(response)):
            return
    pytest.fail(f"{route}: no restricted person got an answer the walk could read")


# --- a resource that forgets the scope is caught ------------------------------------------


class ForgetfulViewSet(viewsets.ReadOnlyModelViewSet):
    """Every funding record to whoever asks: the scope forgotten."""

    queryset = FundingRecord.objects.select_related("project", "channel")
    serializer_class = FundingRecordSerializer


forgetful = DefaultRouter()
forgetful.register("forgetful", ForgetfulViewSet, basename="forgetful")
urlpatterns = [
    path("api/v1/", include("config.api_router")),
    path("", include((forgetful.urls, "forgetful"))),
]


@pytest.mark.urls(__name__)
@pytest.mark.parametrize("username", ["liaison", "county_filer"])
def test_a_resource_that_forgets_the_scope_is_caught(username):
    routes = [route for route in walk(get_resolver().url_patterns) if "format" not in route.kwargs]
    (route,) = [route for route in routes if route.name == "forgetful:forgetful-list"]
    assert route.kind == "list" and model_of(route, person(username)) is FundingRecord

    with pytest.raises(AssertionError, match="rows of what they cannot open"):
        check_resource(username, route, routes)
