"""The one workflow mechanism: a status workflow declared as data, and one way to take a step.

A :class:`Workflow` names its model, the field that holds the state, and its :class:`Action`
table: per action the states it may start from, the state it leads to, who may take it (a
predicate over the object and the user, built on the one scope rule) and the fields it
requires. :meth:`Workflow.perform` is the only way a step is taken: it locks the row, checks
the table, lets the service apply what the step changes, writes the state, appends the
immutable event row (:class:`core.models.WorkflowEvent`) and publishes the domain event after
commit (:mod:`core.events`). A refusal is a :class:`~core.exceptions.DomainError` (or
:class:`~core.exceptions.NotPermitted`) with a stable ``code``, a Chinese message and the field
it concerns, raised before anything is written.

:meth:`Workflow.allowed_actions` answers "which steps may this user take on this object now"
from the same table, for pages, the API (``allowed_actions``) and the to-do list alike.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from . import events
from .exceptions import DomainError, NotPermitted

Predicate = Callable[[Any, Any], bool]


def anyone(obj, user) -> bool:
    return True


def about_project(project, *units: int | None) -> dict:
    """The context of an event about ``project``: the project, its region, its unit and any
    other ``units`` concerned."""
    return {
        "project_id": project.pk,
        "region": project.region_id,
        "units": (project.unit_id, *units),
    }


@dataclass(frozen=True)
class Required:
    """A field the action needs, with the message shown when it is left blank."""

    name: str
    message: str
    code: str = "required"


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    #: the states the action may start from
    sources: frozenset[str]
    #: the state it leads to; None: the state stays (a note, an amount corrected)
    target: str | None = None
    #: who may take it (besides the workflow's own ``may``)
    who: Predicate = anyone
    #: the refusal when ``who`` says no; default: the workflow's
    denied: str | None = None
    requires: tuple[Required, ...] = ()
    #: further conditions on the object and the user: raise DomainError to refuse; an action
    #: whose check refuses is not offered
    check: Callable[[Any, Any], None] | None = None
    #: the event kind written for it (default: the action's name)
    kind: str | None = None

    @property
    def event_kind(self) -> str:
        return self.kind or self.name


@dataclass
class Workflow:
    #: the prefix of its published event names, e.g. ``issue`` → ``issue.accept``
    name: str
    model: type
    states: type
    actions: Iterable[Action]
    state_field: str = "status"
    #: the event table and the name of its foreign key to the object
    event_model: type | None = None
    event_subject: str = ""
    #: who may take any step at all (e.g. editors of the object's scope)
    may: Predicate = anyone
    #: the refusal when ``may`` says no
    denied: str = ""
    #: object attribute → (event field before, event field after), recorded with each step
    tracked: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: state → the timestamp field set when it is reached
    stamps: dict[str, str] = field(default_factory=dict)
    #: builds the refusal for a step the current state does not allow
    refusal: Callable[[Any, Action], DomainError] | None = None
    #: builds the refusal for a step the user may not take (``who`` says no)
    denial: Callable[[Any, Action], NotPermitted] | None = None
    #: whether ``who`` is asked before the state (a refusal then never tells an outsider
    #: the object's state); by default the state is checked first
    who_first: bool = False
    #: code and message of an unknown action
    unknown: tuple[str, str] = ("unknown_action", "")
    #: the object, locked for a step (default: select_for_update of its own row)
    lock: Callable[[Any], Any] | None = None
    #: where the object belongs: a dict with project_id, region (code) and units
    context: Callable[[Any], dict] | None = None

    def __post_init__(self):
        self.table: dict[str, Action] = {action.name: action for action in self.actions}

    # --- asking -----------------------------------------------------------------------------

    def action(self, name: str | Action) -> Action:
        if isinstance(name, Action):
            return name
        found = self.table.get(name)
        if found is None:
            code, message = self.unknown
            raise DomainError(
                (message or _("未知的操作“%(action)s”。")) % {"action": name}, code=code
            )
        return found

    def state_of(self, obj) -> str:
        return getattr(obj, self.state_field)

    def allowed_actions(self, obj, user) -> list[str]:
        """The steps ``user`` may take on ``obj`` now, in table order."""
        if user is None or not user.is_authenticated or not self.may(obj, user):
            return []
        allowed = []
        for action in self.table.values():
            if self.state_of(obj) not in action.sources:
                continue
            try:
                self._permitted(obj, action, user)
                if action.check is not None:
                    action.check(obj, user)
            except DomainError:
                continue
            allowed.append(action.name)
        return allowed

    def check(self, obj, action: Action, by) -> None:
        """Refuse a step ``by`` may not take, or that the current state does not allow."""
        if by is not None and not self.may(obj, by):
            raise NotPermitted(self.denied or _("您没有办理此事项的权限。"), code="not_permitted")
        if self.who_first:
            self._permitted(obj, action, by)
        if self.state_of(obj) not in action.sources:
            raise self._refused(obj, action)
        if not self.who_first:
            self._permitted(obj, action, by)
        if action.check is not None:
            action.check(obj, by)

    def _permitted(self, obj, action: Action, by) -> None:
        """Refuse when ``action.who`` says no (``who`` may also raise its own refusal)."""
        if by is None or action.who(obj, by):
            return
        if self.denial is not None:
            raise self.denial(obj, action)
        raise NotPermitted(
            action.denied or self.denied or _("您没有办理此事项的权限。"), code="not_permitted"
        )

    def _refused(self, obj, action: Action) -> DomainError:
        if self.refusal is not None:
            return self.refusal(obj, action)
        label = self.states(self.state_of(obj)).label
        return DomainError(
            _("当前为“%(state)s”，不能%(action)s。") % {"state": label, "action": action.label},
            code="illegal_transition",
        )

    @staticmethod
    def required(action: Action, data: dict) -> dict[str, str]:
        values = {}
        for need in action.requires:
            value = (data.get(need.name) or "").strip()
            if not value:
                raise DomainError(need.message, code=need.code, field=need.name)
            values[need.name] = value
        return values

    # --- doing ------------------------------------------------------------------------------

    def locked(self, obj):
        if self.lock is not None:
            return self.lock(obj)
        return self.model.objects.select_for_update(of=("self",)).get(pk=obj.pk)

    def perform(
        self,
        obj,
        name: str | Action,
        by,
        *,
        data: dict | None = None,
        change: Callable[[Any, dict], str | None] | None = None,
        comment: str = "",
        extra: dict | None = None,
        lock: bool = True,
    ):
        """Take step ``name`` on ``obj`` for ``by`` (None: the platform's own job).

        ``change(current, values)`` applies what the step changes besides the state, on the
        locked object whose state is already the target; it may refuse with DomainError (then
        nothing is written) and may return the comment for the event row. ``extra`` adds
        fields to the event row."""
        action = self.action(name)
        with transaction.atomic():
            current = self.locked(obj) if lock else obj
            self.check(current, action, by)
            values = self.required(action, data or {})
            before = self._snapshot(current)
            if action.target is not None:
                setattr(current, self.state_field, action.target)
            said = change(current, values) if change is not None else None
            self._stamp(current, before[self.state_field])
            current.save()
            self.record(
                current,
                action.event_kind,
                by,
                before=before,
                comment=comment if said is None else said,
                **(extra or {}),
            )
        return current

    def _snapshot(self, obj) -> dict:
        names = (self.state_field, *self.tracked)
        return {name: getattr(obj, name) for name in names}

    def _stamp(self, obj, before: str) -> None:
        field_name = self.stamps.get(self.state_of(obj))
        if field_name and self.state_of(obj) != before:
            setattr(obj, field_name, timezone.now())

    def record(
        self,
        obj,
        kind: str,
        by,
        *,
        before: dict | None = None,
        comment="",
        units=(),
        payload: dict | None = None,
        **extra,
    ):
        """Append the event row of a step (or of a job's mark on the object: a reminder, an
        overdue mark) and publish ``<workflow>.<kind>`` after commit; ``units`` adds units
        concerned besides the object's own, ``payload`` facts for the listeners."""
        before = before or self._snapshot(obj)
        row = None
        if self.event_model is not None:
            model = self.event_model
            fields = {self.event_subject: obj, "actor": by, "comment": comment, **extra}
            if model.kind_field:
                fields[model.kind_field] = kind
            if model.from_field:
                fields[model.from_field] = before[self.state_field]
                fields[model.to_field] = self.state_of(obj)
            for name, (was, now) in self.tracked.items():
                fields[was] = before[name]
                fields[now] = getattr(obj, name)
            row = model.objects.create(**fields)
        key = f"{self.name}.{kind}:{row._meta.label_lower}:{row.pk}" if row is not None else ""
        self.publish(
            obj,
            kind,
            by,
            before=before[self.state_field],
            comment=comment,
            key=key,
            units=units,
            **(payload or {}),
        )
        return row

    def publish(
        self,
        obj,
        kind: str,
        by,
        *,
        before: str = "",
        comment: str = "",
        key: str = "",
        units=(),
        **payload,
    ):
        where = dict(self.context(obj)) if self.context is not None else {}
        where["units"] = (*where.get("units", ()), *units)
        events.publish(
            f"{self.name}.{kind}",
            obj,
            actor=by,
            payload={"from": before, "to": self.state_of(obj), "comment": comment, **payload},
            key=key,
            **where,
        )
