"""Benchmark: the province's monthly briefing 《重大项目工作简报》 as the province grows.

Builds the demo data (330 projects across Jiangsu with their milestones, issues, 通报/约谈,
approvals, funding and eleven months of forms) plus N projects whose planned start has passed
without a start (default 360, the lagging list that made a long briefing), generates the
briefing the way the worker does (figures, layout, PDF with subset fonts, file saved), then adds
nine times as many lagging projects (default 3,600 in all) and generates it again.

Each job is measured against a floor: bare WeasyPrint turning the same document's HTML into a
PDF. The long lists print their first REPORT_LIST_LIMIT rows and a count of the rest, so the
larger province gives the same number of pages and about the same time.

    .venv/bin/python bench/briefing.py                          # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/briefing.py --lagging 360 --grown 3600

Goal (issue 21): the same page count at both sizes (exit status 1 otherwise).
"""

import datetime
import os
import random
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402


def add_lagging(count: int, rng: random.Random, start: int = 0) -> None:
    """``count`` admitted, filed projects whose planned start passed this year, not started."""
    from decimal import Decimal

    from django.utils import timezone

    from accounts.models import Region, Unit
    from projects.models import Admission, Category, Project, Stage, Tier

    counties = list(Region.objects.filter(level=Region.Level.COUNTY))
    units = Unit.objects.bulk_create(
        [
            Unit(
                name=f"滞后企业{start + i:05d}有限公司",
                kind="enterprise",
                region=rng.choice(counties),
            )
            for i in range(max(count // 6, 1))
        ]
    )
    today = timezone.localdate()
    first_day = datetime.date(today.year, 1, 1)
    Project.objects.bulk_create(
        [
            Project(
                name=f"基准滞后项目{start + i:05d}（计划开工已过）",
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
                planned_start=max(today - datetime.timedelta(days=rng.randint(1, 250)), first_day),
            )
            for i, unit in ((i, rng.choice(units)) for i in range(count))
        ],
        batch_size=1000,
    )


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], lagging=360, grown=3600)
    os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp())  # the PDFs stay out of var/media
    with harness.own_database("briefing"):
        harness.setup_django()
        from io import StringIO

        from django.conf import settings
        from django.core.management import call_command
        from django.db import connection
        from django.template.loader import render_to_string
        from django.utils import timezone
        from weasyprint import HTML
        from weasyprint.text.fonts import FontConfiguration

        from accounts.models import Region
        from reports import services
        from reports.documents import briefing
        from reports.documents.common import masthead
        from reports.models import Kind
        from reports.pdf import ensure_fonts, font_face_css
        from reports.periods import month_of, parse_period
        from reports.reader import OfficeReader

        call_command("seed_demo", force=True, stdout=StringIO())
        rng = random.Random(11)
        add_lagging(args.lagging, rng)
        ensure_fonts()  # converted once, as `make run` and the image build do

        today = timezone.localdate()
        office = services.office_for(Region.objects.get(code="320000"))
        period = parse_period(Kind.BRIEFING, month_of(today))
        reader = OfficeReader(office.region)
        bench = harness.Bench("briefing", f"demo data + lagging projects, {connection.vendor}")
        quiet = lambda percent, step: None  # noqa: E731

        def job():
            report, _queued = services.report_request(
                kind=Kind.BRIEFING, period=period.code, unit=office
            )
            done = services.report_run(report.pk)
            assert done.status == "done", done.error
            return done

        def bare_weasyprint(html: str):
            base = str(settings.BASE_DIR)
            return lambda: HTML(string=html, base_url=base).write_pdf(
                font_config=FontConfiguration()
            )

        figures = {}
        for size in (args.lagging, args.grown):
            if size > args.lagging:
                add_lagging(size - args.lagging, rng, start=args.lagging)
            data = briefing.context(reader, period, today, quiet)
            report, _queued = services.report_request(
                kind=Kind.BRIEFING, period=period.code, unit=office
            )
            html = render_to_string(
                "reports/pdf/briefing.html",
                {
                    **masthead(report, today, "重大项目工作简报"),
                    **data,
                    "font_faces": font_face_css(),
                },
            )
            bench.compare(
                f"briefing figures (selectors), {size:,} lagging projects",
                harness.measure(lambda: briefing.context(reader, period, today, quiet)),
                None,
            )
            platform = harness.measure(job, repeat=3)
            floor = harness.measure(bare_weasyprint(html), repeat=3)
            done = job()
            figures[size] = (platform, done.page_count)
            bench.note(
                f"{size:,} lagging projects: {data['not_started'].total:,} listed as not started"
                f" ({len(data['not_started'].rows)} printed), {done.page_count} pages,"
                f" {done.file.size / 1024:.0f} KB"
            )
            bench.compare(
                f"briefing job, {size:,} lagging projects ({done.page_count} pages)",
                platform,
                floor,
                floor_name="bare WeasyPrint of the same HTML",
            )
        (small, small_pages), (large, large_pages) = figures[args.lagging], figures[args.grown]
        # The time still grows a little: the figures are sums over every project.
        bench.compare(
            f"briefing job, {args.grown:,} vs {args.lagging:,} lagging ({large_pages} vs"
            f" {small_pages} pages)",
            large,
            small,
            floor_name=f"the same job at {args.lagging:,}",
        )
        status = bench.finish()
        if large_pages != small_pages:
            print(f"goal missed: {large_pages} pages at {args.grown:,}, {small_pages} before")
            status = 1
        return status


if __name__ == "__main__":
    sys.exit(main())
