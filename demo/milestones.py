"""Demo key milestones (SPEC §5): every admitted project not yet started has the milestones of
its category's template, the early steps done and one in progress, as the office would find
them; projects whose planned start is near and whose approvals lag come out at risk.
"""

import copy
import datetime
import random

from django.utils import timezone
from simple_history.utils import get_history_manager_for_model

from accounts.models import User
from projects.models import Admission, Category, Project, Stage
from schedule import services as schedule_services
from schedule.models import ANCHOR_KIND, Milestone, MilestoneLink, ScheduleTemplate
from schedule.recompute import recompute_all

from .projects import REFERENCE_DATE, SEED

#: the four questions of seed 000 measure 1, as counties answer them for a stalled milestone
DEMO_PROBLEMS = (
    {
        "problem": "新增建设用地指标尚未落实",
        "bottleneck": "县级用地指标不足，需省级统筹",
        "solution_path": "申请省级重大项目用地指标单列保障",
        "expected_resolution_on": REFERENCE_DATE + datetime.timedelta(days=45),
    },
    {
        "problem": "能耗指标缺口",
        "bottleneck": "所在设区市能耗强度下降目标压力大",
        "solution_path": "通过存量项目腾退和省级能耗指标收储调剂解决",
        "expected_resolution_on": REFERENCE_DATE + datetime.timedelta(days=45),
    },
    {
        "problem": "项目红线内有零星林地",
        "bottleneck": "使用林地审核需报省林业局",
        "solution_path": "提前介入、并联办理，县林业部门协助编制使用林地可行性报告",
        "expected_resolution_on": REFERENCE_DATE + datetime.timedelta(days=45),
    },
)


class DemoMilestones:
    """Written in bulk with the history the services would leave (``apply_template``, then
    ``milestone_update`` for each step taken): a record of each milestone as its template made
    it and one of each step's change, checked as ``milestone_update`` checks it; the rows
    themselves are written once, as they end up; the schedules computed once."""

    def run(self, by: User) -> None:
        planned, created, links = self.plan()
        if not planned:
            return
        as_made = [copy.copy(milestone) for milestone in created]  # for the history
        changed = self.take_steps(planned)
        self.write(by, planned, created, as_made, changed, links)

    def plan(self) -> tuple[list[tuple[Project, list[Milestone]]], list[Milestone], list]:
        """The milestones (and their links) of every admitted project not yet started, from
        the shipped templates, not yet written."""
        templates = {t.category: t for t in ScheduleTemplate.objects.filter(is_active=True)}
        fallback = templates.get(Category.INFRASTRUCTURE)
        pending = (
            Project.objects.filter(admission=Admission.ADMITTED, milestones__isnull=True)
            .exclude(stage__in=[s for s in Stage.values if Stage.order(s) >= 3])
            .select_related("region", "unit")
            .order_by("id")
        )
        steps = {
            template.pk: list(template.steps.prefetch_related("predecessor_links"))
            for template in templates.values()
        }
        units: dict[tuple, dict] = {}
        planned: list[tuple[Project, list[Milestone]]] = []
        created: list[Milestone] = []
        links: list[MilestoneLink] = []
        for project in pending:
            template = templates.get(project.category, fallback)
            if template is None:
                continue
            where = (project.region_id, project.unit_id)
            if where not in units:
                units[where] = schedule_services.units_by_handler(project)
            milestones, project_links = schedule_services.template_milestones(
                project, template, steps=steps[template.pk], units=units[where]
            )
            if not any(m.kind == ANCHOR_KIND for m in milestones):
                milestones.append(schedule_services.anchor_milestone(project))
            planned.append((project, milestones))
            created += milestones
            links += project_links
        return planned, created, links

    def take_steps(self, planned: list[tuple[Project, list[Milestone]]]) -> list[Milestone]:
        """The early steps done and one in progress (some with a problem reported), the nearer
        the planned start the further; the milestones changed, each checked as
        ``milestone_update`` checks it."""
        today = min(REFERENCE_DATE, timezone.localdate())
        changed: list[Milestone] = []
        for project, milestones in planned:
            rng = random.Random(f"{SEED}-{project.pk}-{project.name}")
            steps_done = sorted(
                (m for m in milestones if m.kind != ANCHOR_KIND), key=lambda m: m.position
            )
            # The nearer the planned start, the further its approvals have come; some lag.
            days_left = (project.planned_start - today).days if project.planned_start else 300
            share = min(0.97, max(0.05, 1 - days_left / 400)) * (0.8 + 0.35 * rng.random())
            done_count = min(int(len(steps_done) * share), len(steps_done) - 1)
            spent = sum(int(m.duration_days * 1.3) + 2 for m in steps_done[:done_count])
            cursor = today - datetime.timedelta(days=spent + rng.randrange(5, 30))
            for index, milestone in enumerate(steps_done):
                finish = cursor + datetime.timedelta(days=int(milestone.duration_days * 1.3) + 1)
                changed.append(milestone)
                if index == done_count or finish > today:
                    fields = {"actual_start": min(cursor, today)}
                    if rng.random() < 0.5:
                        fields.update(DEMO_PROBLEMS[rng.randrange(len(DEMO_PROBLEMS))])
                    schedule_services.milestone_change(milestone, fields)
                    break
                schedule_services.milestone_change(
                    milestone, {"actual_start": cursor, "actual_finish": finish}
                )
                cursor = finish + datetime.timedelta(days=rng.randrange(0, 5))
        return changed

    def write(self, by, planned, created, as_made, changed, links) -> None:
        """The rows as they end up, a history record of each as its template made it and one of
        each step's change; then the schedules."""
        Milestone.objects.bulk_create(created, batch_size=500)
        MilestoneLink.objects.bulk_create(links, batch_size=500)
        for made, milestone in zip(as_made, created, strict=True):
            made.pk, made.created_at = milestone.pk, milestone.created_at
        for milestone in changed:
            del milestone._change_reason  # the template's, recorded with the creation
        history = get_history_manager_for_model(Milestone)
        history.bulk_history_create(as_made, default_user=by, default_change_reason=None)
        history.bulk_history_create(
            changed, update=True, default_user=by, default_change_reason=None
        )
        recompute_all(projects=[project.pk for project, _m in planned])
