"""Benchmark: the province's monthly briefing 《重大项目工作简报》 at 20 pages or more.

Builds a throwaway database with the demo data (330 projects across Jiangsu with their
milestones, issues, 通报/约谈, approvals, funding and eleven months of forms) plus N extra
projects whose planned start has passed without a start (default 360) — they are the lagging
list that makes a long briefing — then generates the briefing the way the worker does and
reports the time and query count of each phase: the figures from the selectors, the layout and
the PDF (fonts subset and embedded). The fonts are converted to TrueType before timing, as
`make run` and the image build do.

    .venv/bin/python bench/briefing.py                          # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_projects \\
        .venv/bin/python bench/briefing.py --lagging 360

The database named by DATABASE_URL is emptied and rebuilt; never point it at real data.
"""

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from project_library import setup_django  # noqa: E402


def build(lagging: int) -> None:
    import datetime
    import random
    from decimal import Decimal
    from io import StringIO

    from django.core.management import call_command
    from django.utils import timezone

    from accounts.models import Region, Unit
    from projects.models import Admission, Category, Project, Stage, Tier

    call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)
    call_command("seed_demo", force=True, stdout=StringIO())
    rng = random.Random(11)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY))
    units = Unit.objects.bulk_create(
        [
            Unit(name=f"滞后企业{i:04d}有限公司", kind="enterprise", region=rng.choice(counties))
            for i in range(60)
        ]
    )
    today = timezone.localdate()
    Project.objects.bulk_create(
        [
            Project(
                name=f"基准滞后项目{i:04d}（计划开工已过）",
                unit=unit,
                region=unit.region,
                category=rng.choice(Category.values),
                tier=Tier.COUNTY,
                stage=Stage.FILED,
                admission=Admission.ADMITTED,
                signed_on=datetime.date(today.year - 1, 6, 1),
                filed_on=datetime.date(today.year - 1, 9, 1),
                total_investment=Decimal(rng.randint(10_000, 300_000)),
                planned_investment_year=Decimal(rng.randint(2_000, 60_000)),
                planned_start=today - datetime.timedelta(days=rng.randint(1, 250)),
            )
            for i, unit in ((i, rng.choice(units)) for i in range(lagging))
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lagging", type=int, default=360, help="extra not-started projects")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp())  # the PDFs stay out of var/media
    setup_django()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from accounts.models import Region
    from reports import services
    from reports.documents import briefing
    from reports.documents.common import masthead
    from reports.models import Kind
    from reports.pdf import ensure_fonts, render_pdf
    from reports.periods import month_of, parse_period
    from reports.reader import OfficeReader

    print(f"database: {connection.vendor}; demo data + {args.lagging} lagging projects …")
    start = time.perf_counter()
    build(args.lagging)
    ensure_fonts()
    print(f"built in {time.perf_counter() - start:.1f} s\n")

    today = timezone.localdate()
    province = Region.objects.get(code="320000")
    office = services.office_for(province)
    period = parse_period(Kind.BRIEFING, month_of(today))
    reader = OfficeReader(province)
    quiet = lambda percent, step: None  # noqa: E731

    print(f"{'run':<5} {'figures':>10} {'queries':>8} {'layout+PDF':>11} {'pages':>6} {'job':>9}")
    for run in range(1, args.runs + 1):
        t0 = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            data = briefing.context(reader, period, today, quiet)
        t1 = time.perf_counter()
        report, _queued = services.report_request(
            kind=Kind.BRIEFING, period=period.code, unit=office
        )
        rendered = render_pdf(
            "reports/pdf/briefing.html", {**masthead(report, today, "重大项目工作简报"), **data}
        )
        t2 = time.perf_counter()
        # the whole job as the worker runs it: figures, PDF, file saved
        done = services.report_run(report.pk)
        t3 = time.perf_counter()
        assert done.status == "done", done.error
        print(
            f"{run:<5} {(t1 - t0) * 1000:8.0f} ms {len(queries):>8} {(t2 - t1):9.2f} s"
            f" {rendered.pages:>6} {(t3 - t2):7.2f} s"
        )
    print(f"\nPDF: {done.file.path} ({done.file.size / 1024:.0f} KB, {done.page_count} pages)")


if __name__ == "__main__":
    main()
