"""重大项目完成情况手册 (seed 001 二(三)): the month's completion handbook, the workbook of
the monthly-progress pages (:func:`progress.handbook.handbook`) for the issuing office's region,
archived as a numbered document."""

from __future__ import annotations

from django.utils.translation import gettext as _

from progress.handbook import handbook

from . import Built, filename


def build(*, report, reader, period, today, progress):
    progress(20, _("正在汇总完成情况"))
    content = handbook(reader, period.code, region=reader.region)
    progress(90, _("正在写入工作簿"))
    return Built(filename=filename(report, "xlsx"), content=content)
