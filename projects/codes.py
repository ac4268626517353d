"""The national project code (项目代码, GB/T 40058-2021): format check only.

Layout: ``YYYY-RRRRRR-DD-TT-NNNNNN`` — year the code was given, 6-digit region code, 2-digit code
of the industry's central guiding department, 2-digit project type, 6 digits (5 serial + 1 check
digit). The check-digit algorithm is not public, so it is not verified.
"""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

CODE_LENGTH = 24
#: the first codes of the national online approval platform were issued in 2015
FIRST_YEAR = 2015
_FULL_WIDTH = str.maketrans("０１２３４５６７８９－—–", "0123456789---")
_PARTS = (
    (4, "年份"),
    (6, "行政区划代码"),
    (2, "行业代码"),
    (2, "项目类型代码"),
    (6, "顺序码及校验码"),
)


def normalize_project_code(value: str) -> str:
    """Strip blanks and turn full-width digits and dashes (common in pasted text) to ASCII."""
    return (value or "").strip().translate(_FULL_WIDTH).replace(" ", "")


def validate_project_code(value: str, today: datetime.date | None = None) -> None:
    """Raise ValidationError with a Chinese message saying exactly what is wrong."""
    code = normalize_project_code(value)
    expected = _("格式应为 YYYY-RRRRRR-DD-TT-NNNNNN，例如 2024-320281-26-03-512345")
    if len(code) != CODE_LENGTH:
        raise ValidationError(
            _("项目代码应为24位，当前为%(length)d位；%(expected)s。")
            % {"length": len(code), "expected": expected},
            code="project_code_length",
        )
    parts = code.split("-")
    if len(parts) != len(_PARTS):
        raise ValidationError(
            _("项目代码应由5段组成并以“-”分隔；%(expected)s。") % {"expected": expected},
            code="project_code_format",
        )
    for index, (part, (width, label)) in enumerate(zip(parts, _PARTS, strict=True), start=1):
        if len(part) != width or not part.isdigit():
            raise ValidationError(
                _("项目代码第%(index)d段（%(label)s）应为%(width)d位数字，当前为“%(part)s”。")
                % {"index": index, "label": _(label), "width": width, "part": part},
                code="project_code_segment",
            )
    year = int(parts[0])
    this_year = (today or datetime.date.today()).year
    if not FIRST_YEAR <= year <= this_year:
        raise ValidationError(
            _("项目代码中的年份%(year)d不合理，应在%(first)d年至%(last)d年之间。")
            % {"year": year, "first": FIRST_YEAR, "last": this_year},
            code="project_code_year",
        )
