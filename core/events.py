"""The platform's one event stream: business changes published after they commit.

A service that changes something worth telling anyone publishes a typed :class:`DomainEvent`
once its transaction commits — every workflow step does so through :mod:`core.workflow`, the
daily sweeps and jobs call :func:`publish` themselves. Listeners (notifications, webhooks, the
audit trail) subscribe in their app's ``ready()``::

    from core.events import subscribe

    @subscribe("issue.assign", "issue.notice")
    def tell_the_unit(event): ...

A listener that fails is logged and never undoes, delays or breaks the change that caused it,
nor keeps the other listeners from hearing it. Every name is listed once, in
:data:`CATALOGUE` (the README's table is checked against it); publishing a name not listed is a
programming error and raises :class:`UnknownEvent`.
"""

from __future__ import annotations

import datetime
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field

from django.db import transaction
from django.utils import timezone

logger = logging.getLogger(__name__)

ANY = "*"


@dataclass(frozen=True)
class Entry:
    when: str
    concerned: str


def _entries(prefix: str, concerned: str, steps: dict[str, str]) -> dict[str, Entry]:
    return {f"{prefix}.{name}": Entry(when, concerned) for name, when in steps.items()}


_ISSUE_PARTIES = "问题所在层级的重大办；已交办的，责任单位联络员；项目单位"
_APPROVAL_PARTIES = "办理部门联络员、服务专员；项目所在地重大办"
_FORM_PARTIES = "县区填报人；市级、省级重大办审核人"

#: every event the platform publishes: name → when it happens, who is concerned
CATALOGUE: dict[str, Entry] = {
    **_entries(
        "issue",
        _ISSUE_PARTIES,
        {
            "report": "问题上报或由其他系统推送（如12345热线）",
            "match": "重大办为未匹配的工单匹配项目",
            "accept": "重大办受理",
            "assign": "重大办交办（五到位）",
            "start": "责任单位开始办理",
            "note": "责任单位反馈办理进展",
            "resolve": "责任单位办结",
            "confirm": "项目单位（或重大办代为）确认满意",
            "return": "退回重办",
            "close": "重大办销号",
            "escalate": "上提一级（人工或逾期自动上提）",
            "reject": "不予受理",
            "remind": "距办结时限不足规定工作日，每日巡检提醒",
            "overdue": "超过办结时限，每日巡检标记逾期",
            "notice": "逾期未办结，通报责任单位；仍未办结的，隔规定工作日再次通报",
            "decision": "碰头会记录会商意见",
        },
    ),
    "issue.accept_overdue": Entry(
        "上报或上提后超过该层级的受理时限仍未受理，每日巡检标记（每次上报或上提一次）",
        "问题所在层级的重大办（省政府层级由省重大办跟踪）",
    ),
    "unit.interview": Entry(
        "同一任务第二次、第三次通报仍未完成，或责任单位一定时期内被通报的问题达到约谈标准"
        "（一通报、两约谈；附加数据注明依据、第几次通报和约谈领导）",
        "被约谈单位；其所在地区重大办及政府领导",
    ),
    **_entries(
        "approval",
        _APPROVAL_PARTIES,
        {
            "prepare": "审批事项开始编制材料",
            "submit": "申报",
            "accept": "审批部门受理",
            "review": "进入审查",
            "approve": "批复（关联的关键节点随之完成）",
            "refuse": "不予批复",
            "return": "退回补正",
            "sync": "审批平台同步改变了审批事项的状态",
            "due": "在办审批距承诺办结日不足规定工作日（每日检查，每个承诺办结日提示一次）",
            "overdue": "在办审批超过承诺办结日仍未办结（每日检查，每个承诺办结日提示一次）",
        },
    ),
    **_entries(
        "progress",
        _FORM_PARTIES,
        {
            "create": "县区填报当月进展（网页或接口）",
            "update": "报送前修改进展",
            "import": "通过Excel导入填报或修改进展",
            "submit": "县区报送月度进展",
            "approve": "重大办审核通过",
            "return": "重大办退回",
            "reopen": "重大办重新打开已审核的进展",
        },
    ),
    "progress.reminder": Entry("县区当月仍有未报送的月度进展，按设定日期提醒", "该县区填报人"),
    "progress.import_finished": Entry("月度进展Excel导入完成或未导入", "上传人"),
    "project.stage": Entry("项目阶段推进或更正", "项目所在地重大办；项目单位"),
    "reits.advance": Entry("REITs项目进入下一阶段", "项目所在地重大办"),
    "financing.push": Entry("融资需求推送给金融机构", "项目所在地重大办；项目单位"),
    "financing.advance": Entry(
        "融资对接状态推进（洽谈、授信、投放）", "项目所在地重大办；项目单位"
    ),
    "report.request": Entry("重大办请求生成文档（排队）", "编发单位"),
    "report.retry": Entry("生成失败的文档重新排队", "编发单位"),
    "report.requeue": Entry("后台服务中断，生成中的文档自动重新排队", "编发单位"),
    "report.done": Entry("文档生成完成", "编发单位"),
    "report.fail": Entry("文档生成失败", "编发单位"),
    "report.publish": Entry("文档印发", "编发单位；文档范围内的领导和重大办"),
    "meeting.agenda": Entry(
        "碰头会议程生成（人工创建或每周自动生成）", "组织会议的重大办；议程涉及的责任单位"
    ),
    "attachment.upload": Entry(
        "审批事项、问题、碰头会或项目上传附件（附加数据注明所属对象、文件名、类型和大小）",
        "所属审批事项、问题、碰头会或项目的相关方",
    ),
    "visit.record": Entry(
        "服务专员或挂钩领导走访项目，记录走访发现（附加数据注明走访日期、走访人和提出问题生成的工单）",
        "项目所在地重大办；服务专员；项目单位",
    ),
    "webhook.paused": Entry(
        "Webhook订阅持续发送失败，已自动暂停（附加数据注明创建人和原因）", "订阅的创建人"
    ),
}


@dataclass(frozen=True)
class DomainEvent:
    """What changed, where, for whom. ``object_type`` is ``app_label.model``; ``region`` is
    the code of the region the object belongs to; ``units`` the units concerned."""

    name: str
    object_type: str
    object_id: int
    #: the same for the same happening however often it is told: listeners that deliver
    #: something use it to deliver once (the step's event row, or the object itself)
    key: str = ""
    project_id: int | None = None
    region: str | None = None
    units: tuple[int, ...] = ()
    actor_id: int | None = None
    at: datetime.datetime = field(default_factory=timezone.now)
    payload: dict = field(default_factory=dict)

    def as_dict(self) -> dict:
        """A form Celery can carry (JSON): :meth:`from_dict` gives the event back."""
        return {**asdict(self), "units": list(self.units), "at": self.at.isoformat()}

    @classmethod
    def from_dict(cls, data: dict) -> DomainEvent:
        return cls(
            **{
                **data,
                "units": tuple(data.get("units", ())),
                "at": datetime.datetime.fromisoformat(data["at"]),
            }
        )


class UnknownEvent(LookupError):
    """An event name that :data:`CATALOGUE` does not list."""


Listener = Callable[[DomainEvent], None]
_listeners: dict[str, list[Listener]] = defaultdict(list)


def subscribe(*names: str) -> Callable[[Listener], Listener]:
    """Register a listener for ``names`` (``"*"`` for every event); use in ``ready()``."""
    for name in names:
        if name != ANY and name not in CATALOGUE:
            raise UnknownEvent(name)

    def register(listener: Listener) -> Listener:
        for name in names:
            if listener not in _listeners[name]:
                _listeners[name].append(listener)
        return listener

    return register


def unsubscribe(listener: Listener) -> None:
    for listeners in _listeners.values():
        if listener in listeners:
            listeners.remove(listener)


def _listening(name: str) -> list[Listener]:
    return [*_listeners.get(name, ()), *_listeners.get(ANY, ())]


def publish(
    name: str,
    obj,
    *,
    project_id: int | None = None,
    region: str | None = None,
    units: Iterable[int | None] = (),
    actor=None,
    payload: dict | None = None,
    key: str = "",
) -> DomainEvent:
    """Tell the listeners of ``name`` about ``obj`` once the current transaction commits (at
    once outside a transaction); nothing is told when the transaction rolls back."""
    if name not in CATALOGUE:
        raise UnknownEvent(name)
    event = DomainEvent(
        name=name,
        object_type=obj._meta.label_lower,
        object_id=obj.pk,
        key=key or f"{name}:{obj._meta.label_lower}:{obj.pk}",
        project_id=project_id,
        region=region,
        units=tuple(sorted({unit for unit in units if unit is not None})),
        actor_id=getattr(actor, "pk", None),
        payload=dict(payload or {}),
    )
    if _listening(name):
        transaction.on_commit(lambda: deliver(event))
    return event


def deliver(event: DomainEvent) -> None:
    """Hand ``event`` to each listener in turn; one that fails is logged and skipped."""
    for listener in _listening(event.name):
        try:
            listener(event)
        except Exception:
            logger.exception("listener %r failed on %s", listener, event.name)
