"""What the beat schedule produces (settings ``CELERY_BEAT_SCHEDULE``, ``REPORT_*``): next
week's meeting agenda before the meeting, the briefing after the monthly filing deadline, the
monthly special report and the handbook — one of each per office of the configured regions."""

from __future__ import annotations

import datetime
import logging

from django.conf import settings
from django.utils import timezone

from accounts.models import Region

from .models import Report
from .periods import current_period
from .services import office_for, report_request

logger = logging.getLogger(__name__)


def run(kind: str, today: datetime.date | None = None) -> list[int]:
    today = today or timezone.localdate()
    period = current_period(kind, today)
    queued = []
    for region in Region.objects.filter(code__in=settings.REPORT_SCHEDULE_REGIONS).order_by("code"):
        unit = office_for(region)
        if unit is None:
            logger.warning("no office in %s: scheduled %s skipped", region.code, kind)
            continue
        published = Report.objects.filter(unit=unit, kind=kind, period=period).published()
        if published.exists():
            continue  # issued already; a correction is the office's decision, not the clock's
        report, _queued = report_request(kind=kind, period=period, unit=unit, today=today)
        queued.append(report.pk)
    return queued
