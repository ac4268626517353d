"""Benchmark: a county's monthly Excel import at ten times a large county's size.

Builds a throwaway database with N active projects (default 3,000) in one county (江阴),
downloads the county's template, fills every row with openpyxl as a filer would, and imports
it, reporting time and query count of each phase — the checks on the bytes, the read of the
rows, the validation of every row and the all-or-nothing write — then the same file again
(nothing changes), the completion handbook and the filing status of the month.

    .venv/bin/python bench/progress_import.py                  # SQLite in a temporary file
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_projects \\
        .venv/bin/python bench/progress_import.py --projects 3000

The database named by DATABASE_URL is emptied and rebuilt; never point it at real data.
"""

import argparse
import io
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from project_library import setup_django  # noqa: E402

COUNTY = "320281"


def build(count: int) -> None:
    import datetime
    import random
    from decimal import Decimal

    from django.core.management import call_command

    from accounts import reference_data
    from accounts.models import Region, Role, Unit
    from projects.models import Admission, Category, Project, Stage, Tier

    call_command("flush", "--noinput", verbosity=0)
    call_command("migrate", "--noinput", verbosity=0)
    reference_data.load(Region, Unit, Role)
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
    Project.objects.bulk_create(projects, batch_size=1000)


@contextmanager
def counted():
    """Wall time (ms) and queries of the block: ``with counted() as done: …; done()``."""
    from django.db import connection

    queries: list = []
    box = {}
    with connection.execute_wrapper(lambda run, sql, *rest: queries.append(sql) or run(sql, *rest)):
        start = time.perf_counter()
        yield lambda: box.setdefault("result", ((time.perf_counter() - start) * 1000, len(queries)))
    box.setdefault("result", ((time.perf_counter() - start) * 1000, len(queries)))


def row(label: str, ms: float, queries: int | None, note: str = "") -> None:
    shown = "" if queries is None else f"{queries:6d}"
    print(f"{label:<46} {ms:9.0f} ms {shown:>6}  {note}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--projects", type=int, default=3000)
    args = parser.parse_args()
    setup_django()
    from django.conf import settings
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.db import connection
    from django.utils import timezone
    from openpyxl import load_workbook

    from accounts.models import Region, Role, User
    from progress import imports, selectors, services, upload, xlsx
    from progress.handbook import handbook
    from progress.models import MonthlyReport, period_of

    print(f"database: {connection.vendor}; building {args.projects} active projects in {COUNTY} …")
    start = time.perf_counter()
    build(args.projects)
    print(f"built in {time.perf_counter() - start:.1f} s\n")

    settings.MEDIA_ROOT = tempfile.mkdtemp()  # the uploaded files go nowhere that matters
    settings.PROGRESS_IMPORT_SYNC_ROWS = args.projects + 1  # run inline, phase by phase
    filer = User.objects.create_user("bench_filer", region=Region.objects.get(code=COUNTY))
    filer.roles.set(Role.objects.filter(code="county_filer"))
    office = User.objects.create_user("bench_city", region=Region.objects.get(code="320200"))
    office.roles.set(Role.objects.filter(code="office_staff"))
    period = period_of(timezone.localdate())

    print(f"{'phase':<46} {'time':>12} {'queries':>6}")
    with counted() as done:
        template = xlsx.build_template(filer, period)
    ms, queries = done()
    row("template (download)", ms, queries, f"{len(template) / 1024:.0f} KB")

    start = time.perf_counter()
    workbook = load_workbook(io.BytesIO(template))
    sheet = workbook[xlsx.SHEET]
    for number in range(xlsx.FIRST_ROW, xlsx.FIRST_ROW + args.projects):
        sheet[f"H{number}"] = 10 + number % 90
        sheet[f"I{number}"] = "主体结构施工"
        sheet[f"J{number}"] = 30 + number % 50
    buffer = io.BytesIO()
    workbook.save(buffer)
    filled = buffer.getvalue()
    for number in range(xlsx.FIRST_ROW, xlsx.FIRST_ROW + args.projects):
        sheet[f"H{number}"] = sheet[f"H{number}"].value + 1
    buffer = io.BytesIO()
    workbook.save(buffer)
    corrected = buffer.getvalue()
    row(
        "(fill every row with openpyxl, not the platform)",
        (time.perf_counter() - start) * 1000,
        None,
    )

    with counted() as done:
        upload.check_upload(filled)
    ms, queries = done()
    row("1 checks on the bytes (size, zip, XML)", ms, queries, f"{len(filled) / 1024:.0f} KB")
    with counted() as done:
        parsed = xlsx.read_workbook(filled)
    ms, queries = done()
    row("2 read the rows (openpyxl, read-only)", ms, queries, f"{len(parsed.rows)} rows")

    # the import itself, with the read and the write timed inside it
    phases: dict[str, tuple[float, int]] = {}

    def timed(name, function):
        def wrapper(*args, **kwargs):
            with counted() as finished:
                result = function(*args, **kwargs)
            phases[name] = finished()
            return result

        return wrapper

    real_read, real_write = xlsx.read_workbook, services.sheet_save
    for label, data in (
        ("first import", filled),
        ("same file again", filled),
        ("every row corrected", corrected),
    ):
        phases.clear()
        imports.xlsx.read_workbook = timed("read", real_read)
        imports.services.sheet_save = timed("write", real_write)
        try:
            with counted() as done:
                job = imports.start_import(
                    by=filer, uploaded=SimpleUploadedFile("bench.xlsx", data)
                )
            total_ms, total_queries = done()
        finally:
            imports.xlsx.read_workbook, imports.services.sheet_save = real_read, real_write
        assert job.status == "done", (job.message, job.errors[:3])
        read_ms = sum(ms for name, (ms, _q) in phases.items() if name == "read")
        write_ms, write_queries = phases["write"]
        # start_import reads the rows once to count them, run_import once more to check them
        validate_ms = total_ms - write_ms - 2 * read_ms
        validate_queries = total_queries - write_queries - 2 * phases["read"][1]
        print(
            f"-- {label}: created {job.created}, updated {job.updated}, unchanged {job.unchanged}"
        )
        row("3 validate every row (services.clean_many)", validate_ms, validate_queries)
        row("4 write all or nothing (services.sheet_save)", write_ms, write_queries)
        row("  whole upload (checks, 2 reads, validation, write)", total_ms, total_queries)

    assert MonthlyReport.objects.filter(period=period).count() == args.projects
    with counted() as done:
        book = handbook(office, period)
    ms, queries = done()
    row("completion handbook (city office)", ms, queries, f"{len(book) / 1024:.0f} KB")
    with counted() as done:
        rows = selectors.filing_status(office, period)
    ms, queries = done()
    row("filing status of the month (city office)", ms, queries, f"{len(rows)} county")


if __name__ == "__main__":
    main()
