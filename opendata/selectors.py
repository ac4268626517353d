"""Reads of open data: the projects published, and the OC4IDS project package built from them.

The package holds what an office chose to publish and nothing about people: no contact, phone
or leader's name (a project's ``contact_name``, ``contact_phone`` and ``responsible_leader`` are
never read here), only organisations, places, money, dates and stages. The field-by-field
mapping is the table in README "开放数据（OC4IDS）"; the codes come from :mod:`.mapping`.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from decimal import Decimal

from django.conf import settings
from django.db.models import Prefetch
from django.utils import timezone

from accounts.models import Unit
from funding.models import FundingRecord
from projects.choices import Admission, LeaderLevel, Stage
from projects.models import Project
from schedule.models import Milestone, MilestoneStatus
from schedule.recompute import nodes_of
from schedule.scheduling import ScheduleError, compute_schedule
from schedule.workdays import current_calendar

from . import mapping
from .models import PublishedFile

#: the OC4IDS version the package follows (the vendored schema, opendata/schema/0.9.5/)
OC4IDS_VERSION = "0.9"
COUNTRY = "中国"


def published_projects():
    """The projects an office marked public, less those refused at pre-review (a project
    rejected after it was marked drops out), with everything the package shows."""
    return (
        Project.objects.filter(publication__isnull=False)
        .exclude(admission=Admission.REJECTED)
        .select_related("region__parent__parent", "unit", "responsible_unit", "publication")
        .prefetch_related(
            Prefetch(
                "milestones",
                queryset=Milestone.objects.select_related("responsible_unit").prefetch_related(
                    "predecessor_links"
                ),
            ),
            Prefetch(
                "funding_records",
                queryset=FundingRecord.objects.select_related("channel").order_by(
                    "year", "channel__position", "batch", "pk"
                ),
            ),
        )
        .order_by("region_id", "code", "pk")
    )


def published_files():
    return PublishedFile.objects.order_by("-month")


def project_identifier(project: Project) -> str:
    """The project's OC4IDS id: the registered prefix and its 项目代码 (a reserve project
    without a code yet: its platform number, P and the id)."""
    return f"{settings.OC4IDS_PROJECT_ID_PREFIX}{project.code or f'P{project.pk}'}"


def package(*, uri: str, published_at: datetime.datetime | None = None) -> dict:
    """The OC4IDS project package of every published project, as a JSON-ready dict.

    ``projects`` is empty when nothing is published (the schema wants at least one; a package
    with none is still the honest answer)."""
    today = timezone.localdate()
    calendar = current_calendar()
    projects = [_project(project, today, calendar) for project in published_projects()]
    published_at = published_at or timezone.now()
    return {
        "uri": uri,
        "version": OC4IDS_VERSION,
        "publishedDate": published_at.astimezone(mapping.SHANGHAI).isoformat(timespec="seconds"),
        "publisher": {"name": settings.OC4IDS_PUBLISHER_NAME},
        "projects": projects,
    }


def _clean(value: dict) -> dict:
    """Without the keys the project does not have (the schema refuses empty strings, lists
    and objects)."""
    return {key: item for key, item in value.items() if item not in (None, "", [], {})}


def _project(project: Project, today: datetime.date, calendar) -> dict:
    parties = _Parties()
    unit = parties.add(project.unit, "publicAuthority")
    if project.responsible_unit_id:
        parties.add(project.responsible_unit, "administrativeEntity")
    milestones = _milestones(project, today, calendar, parties)
    transactions, breakdowns = _funding(project, parties, unit)
    identifier = project_identifier(project)
    completed = Stage.order(project.stage) >= Stage.order(Stage.COMPLETED)
    return _clean(
        {
            "id": identifier,
            "updated": project.updated_at.astimezone(mapping.SHANGHAI).isoformat(
                timespec="seconds"
            ),
            "language": "zh",
            "identifiers": _identifiers(project),
            "title": project.name,
            "description": project.content.strip(),
            "status": mapping.project_status(project.stage),
            "type": mapping.project_type(project.name),
            "sector": mapping.project_sectors(project.category, project.sector, project.name),
            "purpose": _purpose(project),
            "publicAuthority": unit,
            "locations": [_location(project)],
            "budget": _clean(
                {
                    "amount": mapping.amount(project.total_investment),
                    "description": "总投资",
                    "budgetBreakdowns": breakdowns,
                }
            ),
            "period": mapping.period(project.planned_start, project.planned_completion),
            "identificationPeriod": mapping.period(None, project.signed_on),
            "preparationPeriod": mapping.period(project.signed_on, project.started_on),
            "implementationPeriod": mapping.period(project.started_on, project.completed_on),
            "completion": _completion(project) if completed else None,
            "parties": parties.rows(),
            "milestones": milestones,
            "transactions": transactions,
            "contractingProcesses": [_contracting_process(identifier, project)],
        }
    )


def _identifiers(project: Project) -> list[dict]:
    rows = []
    if project.code:
        rows.append({"id": project.code, "scheme": "CN-TZXM"})  # 投资项目代码 (national)
    rows.append({"id": str(project.pk), "scheme": "platform"})  # 平台编号
    return rows


def _purpose(project: Project) -> str:
    """What the library says of the project's standing: its tier, and the level (never the
    name) of its responsible leader."""
    parts = [str(project.get_tier_display()), str(project.get_category_display())]
    if project.responsible_leader_level is not None:
        parts.append(f"包联领导层级：{LeaderLevel(project.responsible_leader_level).label}")
    return "；".join(parts)


def _location(project: Project) -> dict:
    region = project.region
    chain = []
    while region is not None:
        chain.append(region)
        region = region.parent
    chain.reverse()  # province, city, county
    return {
        "id": project.region_id,
        "description": "".join(region.name for region in chain),
        "gazetteer": {"scheme": "GB/T 2260", "identifiers": [project.region_id]},
        "address": _clean(
            {
                "region": chain[0].name,
                "locality": "".join(region.name for region in chain[1:]),
                "countryName": COUNTRY,
            }
        ),
    }


def _completion(project: Project) -> dict:
    details = [
        f"{label}：{day:%Y-%m-%d}"
        for label, day in (
            ("竣工", project.completed_on),
            ("投产", project.producing_on),
            ("达效", project.at_capacity_on),
        )
        if day
    ]
    return _clean(
        {
            "endDate": mapping.date_time(project.completed_on),
            "endDateDetails": "；".join(details),
            "finalValue": mapping.amount(project.completed_investment_total),
            "finalValueDetails": "累计完成投资",
        }
    )


def _milestones(project: Project, today, calendar, parties: _Parties) -> list[dict]:
    milestones = list(project.milestones.all())
    if not milestones:
        return []
    try:
        results = compute_schedule(
            nodes_of(milestones),
            planned_start=project.planned_start,
            today=today,
            calendar=calendar,
        ).by_id()
    except ScheduleError:  # a cycle, a day past the calendar: the dates recorded only
        results = {}
    rows = []
    for milestone in milestones:
        result = results.get(milestone.pk)
        due = result.latest_finish if result else None
        if milestone.responsible_unit_id:
            parties.add(milestone.responsible_unit, "administrativeEntity")
        rows.append(
            _clean(
                {
                    "id": f"milestone-{milestone.pk}",
                    "title": milestone.name,
                    "type": mapping.MILESTONE_TYPES.get(milestone.kind, "preProcurement"),
                    "code": mapping.MILESTONE_CODES.get(milestone.kind),
                    "description": str(milestone.get_kind_display()),
                    "dueDate": mapping.date_time(due),
                    "dateMet": mapping.date_time(milestone.actual_finish),
                    "dateModified": milestone.updated_at.astimezone(mapping.SHANGHAI).isoformat(
                        timespec="seconds"
                    ),
                    "status": _milestone_status(milestone, due, today),
                }
            )
        )
    return rows


def _milestone_status(milestone: Milestone, due, today) -> str:
    if milestone.status == MilestoneStatus.DONE:
        return "met"
    if due is not None and due < today:
        return "notMet"
    return "scheduled"


def _funding(project: Project, parties: _Parties, payee: dict) -> tuple[list[dict], list[dict]]:
    """The money by channel: each record's amount issued (发行/拨付) as a transaction from the
    channel to the project unit, and the amounts allocated (下达) per channel as the budget's
    breakdown by source."""
    transactions = []
    allocated: dict[str, Decimal] = defaultdict(Decimal)
    channels = {}
    for record in project.funding_records.all():
        channel = parties.add_channel(record.channel)
        channels[record.channel_id] = channel
        allocated[record.channel_id] += record.allocated
        if record.issued > 0:
            transactions.append(
                _clean(
                    {
                        "id": f"funding-{record.pk}",
                        "date": mapping.date_time(record.issued_on or record.allocated_on),
                        "value": mapping.amount(record.issued),
                        "payer": channel,
                        "payee": payee,
                    }
                )
            )
    breakdown = [
        {
            "id": f"channel-{code}",
            "description": f"{channels[code]['name']}下达资金",
            "amount": mapping.amount(total),
            "sourceParty": channels[code],
        }
        for code, total in allocated.items()
        if total > 0
    ]
    return transactions, (
        [{"id": "funding-channels", "budgetBreakdown": breakdown}] if breakdown else []
    )


def _contracting_process(identifier: str, project: Project) -> dict:
    """The works' contracting process, a placeholder the standard expects: the platform keeps
    no tenders or contracts, only how far the works are (pre-award, active, closed)."""
    return {
        "id": f"{identifier}-works",
        "summary": {
            "title": "工程建设",
            "nature": ["construction"],
            "status": mapping.contracting_status(project.stage),
        },
    }


class _Parties:
    """The organisations of one project, each once with all its roles."""

    def __init__(self):
        self._rows: dict[str, dict] = {}

    def add(self, unit: Unit, role: str) -> dict:
        key = f"unit-{unit.pk}"
        row = self._rows.get(key)
        if row is None:
            row = self._rows[key] = {"id": key, "name": unit.name, "roles": []}
            if unit.credit_code:
                row["identifier"] = {
                    "scheme": "CN-USCC",  # 统一社会信用代码
                    "id": unit.credit_code,
                    "legalName": unit.name,
                }
        if role not in row["roles"]:
            row["roles"].append(role)
        return {"id": key, "name": unit.name}

    def add_channel(self, channel) -> dict:
        key = f"channel-{channel.code}"
        if key not in self._rows:
            self._rows[key] = {"id": key, "name": channel.name, "roles": ["funder"]}
        return {"id": key, "name": channel.name}

    def rows(self) -> list[dict]:
        return list(self._rows.values())
