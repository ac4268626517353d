"""Benchmark: a county's monthly Excel import and template at national-deployment size.

Builds N active projects (default 20,000) in one county (江阴), downloads the county's template
(``progress.xlsx.build_template``) and fills every row as a filer would, then measures

- the template download against a floor: a write-only workbook of the same rows written from a
  ``.values_list()`` iterator (goal ≤ 3×);
- the import of the filled file (``progress.imports.start_import`` run inline: the checks on the
  bytes, the one parse, the validation of every row and the all-or-nothing write) against a
  floor: a bare read-only parse (``load_workbook(read_only=True)`` iterating ``values_only``
  rows) of the same file (goal ≤ 3×, peak memory ≤ 2×). Each run starts from a month with no
  forms: it runs in a transaction rolled back at its end;
- the same file once more when it has been imported (nothing changes).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/progress_import.py --projects 20000

Goals (issue 21): the import ≤ 3× the bare parse, memory ≤ 2×; the template ≤ 3× its floor.
"""

import io
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

COUNTY = "320281"


def build(count: int) -> None:
    """``count`` active projects of 300 enterprises in the county (bulk inserts)."""
    import datetime
    import random
    from decimal import Decimal

    from accounts.models import Region, Unit
    from projects.models import Admission, Category, Project, Stage, Tier

    rng = random.Random(7)
    county = Region.objects.get(code=COUNTY)
    units = Unit.objects.bulk_create(
        [
            Unit(name=f"基准企业{i:05d}有限公司", kind="enterprise", region=county)
            for i in range(300)
        ]
    )
    stages = [Stage.SIGNED, Stage.FILED, Stage.STARTED, Stage.STARTED, Stage.COMPLETED]
    projects = []
    for i in range(count):
        stage = rng.choice(stages)
        dates = {"signed_on": datetime.date(2025, 6, 1)}
        if Stage.order(stage) >= Stage.order(Stage.FILED):
            dates["filed_on"] = datetime.date(2025, 9, 1)
        if Stage.order(stage) >= Stage.order(Stage.STARTED):
            dates["started_on"] = datetime.date(2026, 3, 1)
        if stage == Stage.COMPLETED:
            dates["completed_on"] = datetime.date(2026, 9, 1)
        total = Decimal(rng.randint(3_000, 500_000))
        projects.append(
            Project(
                name=f"基准项目{i:06d}",
                unit=rng.choice(units),
                region=county,
                category=rng.choice(Category.values),
                tier=Tier.COUNTY,
                stage=stage,
                admission=Admission.ADMITTED,
                total_investment=total,
                planned_investment_year=(total / 5).quantize(Decimal(1)),
                planned_start=datetime.date(2026, 3, 1),
                **dates,
            )
        )
    Project.objects.bulk_create(projects, batch_size=2000)


def filled_copy(template: bytes) -> bytes:
    """The template with every row's inputs typed in (openpyxl, as a filer's Excel would)."""
    from openpyxl import load_workbook

    from progress import xlsx

    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook[xlsx.SHEET]
    for number in range(xlsx.FIRST_ROW, sheet.max_row + 1):
        sheet[f"H{number}"] = 10 + number % 90
        sheet[f"I{number}"] = "主体结构施工"
        sheet[f"J{number}"] = 30 + number % 50
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def bare_parse(data: bytes) -> int:
    """The floor of reading: openpyxl read-only, every row's values, nothing else."""
    from openpyxl import load_workbook

    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    rows = sum(1 for _values in workbook.worksheets[0].iter_rows(values_only=True))
    workbook.close()
    return rows


def write_only_floor(region) -> bytes:
    """The floor of the template: the same rows and cells, write-only, from a
    ``.values_list()`` — without the styles, the protection, the validation lists."""
    from openpyxl import Workbook

    from progress import xlsx
    from progress.models import active_projects

    book = Workbook(write_only=True)
    sheet = book.create_sheet(xlsx.SHEET)
    sheet.append(list(xlsx.HEADERS))
    rows = (
        active_projects()
        .filter(region=region)
        .order_by("region_id", "code", "pk")
        .values_list("pk", "code", "name", "region__name", "total_investment")
    )
    # a cell for each of the 14 columns, as the template has (a blank input is a cell there:
    # it carries the unlocked protection), plain and unstyled
    blanks = [""] * (len(xlsx.COLUMNS) - 5)
    for pk, code, name, place, total in rows.iterator(chunk_size=2000):
        sheet.append([pk, code or "", name, place, float(total), *blanks])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], projects=20_000)
    with harness.own_database("progress_import"):
        harness.setup_django()
        from django.conf import settings
        from django.core.files.uploadedfile import SimpleUploadedFile
        from django.db import connection, transaction
        from django.utils import timezone

        from accounts.models import Region, Role, User
        from progress import imports, xlsx
        from progress.models import ImportStatus, MonthlyReport, period_of

        build(args.projects)
        bench = harness.Bench(
            "progress_import",
            f"{args.projects:,} active projects in one county, {connection.vendor}",
        )
        bench.note(f"dataset: {bench.dataset}")
        settings.MEDIA_ROOT = tempfile.mkdtemp()  # the uploaded files go nowhere that matters
        # inline, so that the run is measured in this process (a worker runs the same code)
        settings.PROGRESS_IMPORT_SYNC_ROWS = args.projects
        county = Region.objects.get(code=COUNTY)
        filer = User.objects.create_user("bench_filer", region=county)
        filer.roles.set(Role.objects.filter(code="county_filer"))
        period = period_of(timezone.localdate())

        template = harness.measure(lambda: xlsx.build_template(filer, period), memory=True)
        floor = harness.measure(lambda: write_only_floor(county), memory=True)
        bench.compare(
            "template download (write-only, 14 columns)",
            template,
            floor,
            floor_name="write-only workbook from .values_list()",
            goal=3,
        )

        data = filled_copy(xlsx.build_template(filer, period))
        bench.note(f"filled file: {len(data) / 1024 / 1024:.1f} MB, {args.projects:,} rows")
        last: dict = {}

        def upload() -> None:
            job = imports.start_import(by=filer, uploaded=SimpleUploadedFile("bench.xlsx", data))
            assert job.status == ImportStatus.DONE, (job.message, job.errors[:3])
            last["job"] = job

        def import_rolled_back() -> None:
            with transaction.atomic():
                upload()
                transaction.set_rollback(True)

        platform = harness.measure(import_rolled_back, memory=True, setup=harness.vacuum)
        assert last["job"].created == args.projects, last["job"].message
        floor = harness.measure(lambda: bare_parse(data), memory=True)
        bench.compare(
            f"import {args.projects:,} rows (checks, parse, validate, write)",
            platform,
            floor,
            floor_name="bare read-only parse (values_only)",
            goal=3,
            memory_goal=2,
        )

        upload()  # the month filed: the same file again changes nothing
        assert MonthlyReport.objects.filter(period=period).count() == args.projects
        again = harness.measure(upload, memory=True, setup=harness.vacuum)
        assert last["job"].unchanged == args.projects, last["job"].message
        bench.compare(
            "the same file again (nothing changes)",
            again,
            floor,
            floor_name="bare read-only parse (values_only)",
            goal=3,
            memory_goal=2,
        )
        return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
