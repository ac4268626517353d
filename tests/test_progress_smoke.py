import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from openpyxl import load_workbook

from indicators import selectors as ind
from progress import imports, services, xlsx
from progress.models import MonthlyReport, ReportStatus
from projects.models import Admission, Stage

from . import factories


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *a: datetime.date(2026, 11, 23))


def test_round_trip(people, today):
    by = people["province_office"]
    p1 = factories.project("320281", by=by, stage=Stage.FILED, admission=Admission.ADMITTED,
                           filed_on=datetime.date(2026, 3, 1), signed_on=datetime.date(2026, 2, 1),
                           planned_investment_year=Decimal("1000"))
    p2 = factories.project("320281", by=by, stage=Stage.STARTED, admission=Admission.ADMITTED,
                           started_on=datetime.date(2026, 5, 1))
    filer = people["county_filer"]
    data = xlsx.build_template(filer, "2026-11")
    wb = load_workbook(io.BytesIO(data))
    ws = wb["月度进展"]
    ws["H4"] = 120
    ws["I4"] = "主体结构施工"
    ws["K4"] = "开工"
    ws["L4"] = datetime.date(2026, 11, 10)
    ws["H5"] = 80
    ws["I5"] = "设备安装"
    ws["M5"] = "电力接入慢"
    buf = io.BytesIO(); wb.save(buf)
    job = imports.start_import(by=filer, uploaded=SimpleUploadedFile("a.xlsx", buf.getvalue()))
    assert job.status == "done", (job.message, job.errors)
    assert job.created == 2
    job2 = imports.start_import(by=filer, uploaded=SimpleUploadedFile("a.xlsx", buf.getvalue()))
    assert (job2.created, job2.updated, job2.unchanged) == (0, 0, 2)
    for r in MonthlyReport.objects.all():
        services.report_submit(report=r, by=filer)
    r = MonthlyReport.objects.get(project=p1)
    assert r.issue is None
    r2 = MonthlyReport.objects.get(project=p2)
    assert r2.issue is not None
    services.report_approve(report=r, by=people["city_office"])
    p1.refresh_from_db()
    assert p1.stage == Stage.STARTED and p1.completed_investment_year == Decimal("120")
    figs = {f.indicator: f for f in ind.indicators(p1.region, 2026)}
    assert figs["wx_start"].numerator == 1 and figs["wx_start"].denominator == 1
    assert figs["wx_investment"].numerator == Decimal("120")
    hb = xlsx.handbook(people["city_office"], "2026-11")
    assert load_workbook(io.BytesIO(hb)).active.max_row >= 5
    with pytest.raises(services.DomainError):
        services.report_save(project=p1, period="2026-11", by=filer, investment_this_month="5")
