"""Deterministic demo data: Jiangsu's project library as a province office would see it.

Everything comes from seeded random generators and a fixed reference date, so two runs (or
two machines) produce the same library; existing rows are left alone, so running it again
changes nothing and keeps whatever a user edited.

Built in this order, each part in a module of its own: the logins (:mod:`demo.logins`), the
project library with its pre-reviews (:mod:`demo.projects`), key milestones
(:mod:`demo.milestones`), approvals, funding, issue tickets, monthly progress, indicator
targets and, from all of them, a published briefing and meeting agenda (:mod:`demo.reports`).
"""

from django.db import transaction

from accounts import reference_data
from accounts.models import Region, Role, Unit
from projects.models import Project

from .approvals import DemoApprovals
from .fieldservice import DemoFieldService
from .funding import DemoFunding
from .issues import DemoIssues
from .logins import load_logins
from .milestones import DemoMilestones
from .progress import DemoProgress
from .projects import DemoProjects
from .reports import DemoReports
from .targets import DemoTargets


class DemoBuilder:
    def __init__(self, stdout=None):
        self.stdout = stdout

    def log(self, message: str) -> None:
        if self.stdout:
            self.stdout.write(message)

    @transaction.atomic
    def run(self) -> None:
        reference_data.load(Region, Unit, Role)
        regions = {r.code: r for r in Region.objects.all()}
        users = load_logins(regions)
        created = DemoProjects(regions).run(users)
        DemoMilestones().run(users["province_office"])
        DemoApprovals(users).run()
        DemoFunding(users).run()
        DemoIssues(regions, users).run()
        DemoProgress(users).run()
        DemoTargets(users).run()
        DemoFieldService(users).run()
        DemoReports(users, self.log).run()
        self.log(f"演示数据就绪：新建项目 {created} 个，项目总数 {Project.objects.count()} 个。")
