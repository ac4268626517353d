"""Benchmark: the project library's Excel export at national-deployment size.

Builds N admitted projects (default 100,000) across Jiangsu's counties, a third of them tagged,
then measures the export a province office asks for — run as the background job that an export
of that size becomes (``core.exports.run``: the rows read in chunks with a server-side cursor,
the 20 columns written by the one writer ``core.xlsx`` in write-only mode into a temporary file,
stored through the storage API) — against a floor: openpyxl ``Workbook(write_only=True)``
writing the same rows' plain values from a ``.values_list()`` iterator into a temporary file.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
        .venv/bin/python bench/export.py --projects 100000

Goal (issue 21): time ≤ 1.3× and peak memory ≤ 1.5× the floor.
"""

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

#: the floor's 20 columns: the fields the export shows, as stored (no labels, tags left out)
FLOOR_FIELDS = (
    "code",
    "name",
    "region__name",
    "region_id",
    "unit__name",
    "tier",
    "sub_library",
    "category",
    "sector",
    "two_major",
    "treasury_bond",
    "stage",
    "total_investment",
    "total_investment",  # 投资规模 is worked out from it
    "planned_investment_year",
    "planned_start",
    "planned_completion",
    "started_on",
    "responsible_leader",
)


def build(count: int) -> None:
    """``count`` admitted projects of ``count / 10`` enterprises over every county; every third
    project carries one of five tags (bulk inserts)."""
    import datetime
    import random
    from decimal import Decimal

    from accounts.models import Region, Unit
    from projects.models import Admission, Category, Project, Stage, Tag, Tier

    rng = random.Random(21)
    counties = list(Region.objects.filter(level=Region.Level.COUNTY))
    units = Unit.objects.bulk_create(
        [
            Unit(name=f"基准企业{i:06d}有限公司", kind="enterprise", region=rng.choice(counties))
            for i in range(max(count // 10, 1))
        ],
        batch_size=5000,
    )
    stages = [Stage.SIGNED, Stage.FILED, Stage.STARTED, Stage.STARTED, Stage.COMPLETED]
    batch = []
    for i in range(count):
        unit = rng.choice(units)
        total = Decimal(rng.randint(3_000, 2_000_000))
        batch.append(
            Project(
                name=f"基准项目{i:06d}",
                unit=unit,
                region=unit.region,
                category=rng.choice(Category.values),
                tier=rng.choice(Tier.values),
                stage=rng.choice(stages),
                admission=Admission.ADMITTED,
                total_investment=total,
                planned_investment_year=(total / 5).quantize(Decimal(1)),
                planned_start=datetime.date(2026, 3, 1),
                planned_completion=datetime.date(2028, 12, 31),
                sector="制造业",
                responsible_leader="张三",
            )
        )
        if len(batch) == 10_000:
            Project.objects.bulk_create(batch)
            batch = []
    Project.objects.bulk_create(batch)
    tags = [
        Tag.objects.get_or_create(name=name)[0]
        for name in ("专精特新", "外资", "链主", "省重点", "两重")
    ]
    through = Project.tags.through
    ids = Project.objects.order_by("pk").values_list("pk", flat=True)[::3]
    through.objects.bulk_create(
        [through(project_id=pk, tag_id=tags[pk % len(tags)].pk) for pk in ids], batch_size=10_000
    )


def floor_export() -> int:
    """The least an export must do: the rows' values from a server-side cursor, written by a
    write-only workbook into a temporary file."""
    from openpyxl import Workbook

    from projects.exports import columns
    from projects.models import Project

    book = Workbook(write_only=True)
    sheet = book.create_sheet("项目库")
    sheet.append([column[0] for column in columns()])
    rows = Project.objects.order_by("-total_investment", "pk").values_list(*FLOOR_FIELDS)
    count = 0
    for count, row in enumerate(rows.iterator(chunk_size=2000), start=1):  # noqa: B007
        sheet.append(row)
    with tempfile.TemporaryFile() as handle:
        book.save(handle)
    return count


def main() -> int:
    args = harness.arguments(__doc__.splitlines()[0], projects=100_000)
    with harness.own_database("export"):
        harness.setup_django()
        from django.conf import settings
        from django.db import connection

        from accounts.models import Region, Role, User
        from core import exports
        from core.models import ExportJob, ExportStatus

        build(args.projects)
        bench = harness.Bench(
            "export",
            f"{args.projects:,} projects (a third tagged), {connection.vendor}",
        )
        bench.note(f"dataset: {bench.dataset}")
        settings.MEDIA_ROOT = tempfile.mkdtemp()  # the stored files go nowhere that matters
        office = User.objects.create_user("bench_export", region=Region.objects.get(code="320000"))
        office.roles.set(Role.objects.filter(code="office_staff"))
        asked = exports.as_request(office, "")
        rows = exports.count(exports.get("projects").rows_of(asked))
        assert rows == args.projects, rows
        assert rows > settings.EXPORT_SYNC_ROWS  # a background job, as in production

        def export_job() -> None:
            job = ExportJob.objects.create(
                kind="projects", title="项目库", requested_by=office, total_rows=rows
            )
            assert exports.run(job.pk) == ExportStatus.DONE
            job.refresh_from_db()
            assert job.written_rows == rows, job.error

        platform = harness.measure(export_job, repeat=3, memory=True)
        floor = harness.measure(floor_export, repeat=3, memory=True)
        bench.compare(
            f"export job, {args.projects:,} rows × 20 columns (read, write, store)",
            platform,
            floor,
            floor_name="write-only workbook from .values_list() (server-side cursor)",
            goal=1.3,
            memory_goal=1.5,
        )
        return bench.finish()


if __name__ == "__main__":
    sys.exit(main())
