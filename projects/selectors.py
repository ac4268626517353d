"""Reads for the project page that go beyond a queryset method."""

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Prefetch

from .models import PreReviewOpinion, Project, Tag

#: fields whose changes mean nothing to a reader of the history
HIDDEN_HISTORY_FIELDS = {"id", "created_at", "updated_at"}
HISTORY_LIMIT = 50


@dataclass
class HistoryEntry:
    at: object
    user: object
    kind: str
    reason: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)
    subject: str = ""


def project_prereviews(project: Project):
    return project.prereviews.prefetch_related(
        "departments",
        Prefetch(
            "opinions", queryset=PreReviewOpinion.objects.select_related("unit", "recorded_by")
        ),
    ).select_related("concluded_by")


def _display(model_field, value, names: dict) -> str:
    if value is None or value == "":
        return "—"
    if model_field.many_to_many:
        tag_ids = [row.get("tag") for row in value]
        return "，".join(names.get(("tag", tag_id), str(tag_id)) for tag_id in tag_ids) or "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if model_field.get_internal_type() == "BooleanField":
        return "是" if value else "否"
    if model_field.is_relation:
        return names.get((model_field.related_model._meta.model_name, value), str(value))
    if model_field.get_internal_type() == "DecimalField":
        return f"{Decimal(value):,.2f}"
    return str(value)


def project_history(project: Project) -> list[HistoryEntry]:
    """Every change to the project, newest first: who, when, which fields, old → new."""
    records = list(
        project.history.select_related("history_user").order_by("-history_date", "-history_id")[
            : HISTORY_LIMIT + 1
        ]
    )
    return history_entries(
        Project, [records], limit=HISTORY_LIMIT, truncated=len(records) > HISTORY_LIMIT
    )


def history_entries(
    model, record_groups, *, limit: int, truncated: bool, subject=None
) -> list[HistoryEntry]:
    """History entries, newest first, at most ``limit``.

    ``record_groups`` holds one list per object, newest first. When the records were fetched
    with a limit (``truncated``), an object's oldest record is only the base for diffing the
    next one, unless it is the object's creation. ``subject`` names the object of a record when
    several objects share one history (a project's milestones)."""
    deltas = []
    for records in record_groups:
        for index, newer in enumerate(records):
            older = records[index + 1] if index + 1 < len(records) else None
            if older is None and truncated and newer.history_type != "+":
                continue
            deltas.append((newer, newer.diff_against(older) if older is not None else None))
    deltas.sort(key=lambda pair: (pair[0].history_date, pair[0].history_id), reverse=True)
    deltas = deltas[:limit]

    # Resolve foreign keys and tags to names in one query per related model.
    wanted: dict[type, set] = {}
    for _record, delta in deltas:
        for change in delta.changes if delta else []:
            model_field = model._meta.get_field(change.field)
            if model_field.many_to_many:
                ids = {row.get("tag") for row in (change.old or []) + (change.new or [])}
                wanted.setdefault(Tag, set()).update(ids)
            elif model_field.is_relation:
                wanted.setdefault(model_field.related_model, set()).update({change.old, change.new})
    names = {}
    for related, ids in wanted.items():
        for obj in related.objects.filter(pk__in=[pk for pk in ids if pk is not None]):
            names[(related._meta.model_name, obj.pk)] = str(obj)

    entries = []
    for record, delta in deltas:
        changes = []
        for change in delta.changes if delta else []:
            if change.field in HIDDEN_HISTORY_FIELDS:
                continue
            model_field = model._meta.get_field(change.field)
            changes.append(
                (
                    str(model_field.verbose_name),
                    _display(model_field, change.old, names),
                    _display(model_field, change.new, names),
                )
            )
        entries.append(
            HistoryEntry(
                at=record.history_date,
                user=record.history_user,
                kind=record.get_history_type_display(),
                reason=record.history_change_reason or "",
                changes=changes,
                subject=subject(record) if subject else "",
            )
        )
    return entries
