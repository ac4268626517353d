"""One row of the to-do list: what is to be done, where, by when, and the steps it names."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ISSUE = "issue", _("困难问题")
    PROGRESS_FILE = "progress_file", _("月报填报")
    PROGRESS_REVIEW = "progress_review", _("月报审核")
    APPROVAL = "approval", _("要素审批")
    REPORT = "report", _("文档印发")
    DECISION = "decision", _("会商意见")
    QUOTA = "quota", _("资金发行")
    ROLLOVER = "rollover", _("项目库滚动")
    VISIT = "visit", _("走访服务")


@dataclass(frozen=True)
class Step:
    """A step the item asks for: the workflow action's name and its label."""

    name: str
    label: str
    #: where on the item's page the step is taken (an element's id), if it has its own place
    anchor: str = ""


@dataclass(frozen=True)
class Item:
    kind: str
    title: str
    #: the page where the step is taken
    url: str
    detail: str = ""
    due_on: datetime.date | None = None
    overdue: bool = False
    steps: tuple[Step, ...] = ()
    #: how many rows the item stands for (forms missing or waiting), when it groups several
    count: int | None = None

    @property
    def kind_label(self) -> str:
        return Kind(self.kind).label

    @property
    def urgency(self) -> tuple:
        """Overdue first, then the nearest due date (no date last), then the title."""
        return (
            not self.overdue,
            self.due_on is None,
            self.due_on or datetime.date.max,
            self.title,
        )


def by_urgency(items) -> list[Item]:
    return sorted(items, key=lambda item: item.urgency)


def month_label(period: str) -> str:
    """``2026-11`` → ``2026年11月``."""
    year, month = period.split("-")
    return _("%(year)s年%(month)s月") % {"year": year, "month": int(month)}
