"""The project code check (项目代码, GB/T 40058-2021 layout)."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from projects.codes import normalize_project_code, validate_project_code

TODAY = datetime.date(2026, 11, 23)


@pytest.mark.parametrize(
    "code",
    [
        "2024-320281-26-03-512345",
        "2020-320000-89-01-000017",
        "２０２４－３２０２８１－２６－０３－５１２３４５",
    ],
)
def test_well_formed_codes_pass(code):
    validate_project_code(code, today=TODAY)


@pytest.mark.parametrize(
    ("code", "says"),
    [
        ("2024-320281-26-03-51234", "应为24位，当前为23位"),
        ("2024-320281-26-03-5123456", "应为24位，当前为25位"),
        ("2024/320281/26/03/512345", "5段"),
        ("2024-32028A-26-03-512345", "第2段（行政区划代码）应为6位数字"),
        ("2024-320281-2X-03-512345", "第3段（行业代码）"),
        ("2024-3202810-6-03-512345", "第2段（行政区划代码）"),
        ("2024-320281-26-03-51234x", "第5段（顺序码及校验码）"),
        ("2031-320281-26-03-512345", "年份2031不合理"),
        ("2009-320281-26-03-512345", "年份2009不合理"),
    ],
)
def test_malformed_codes_say_what_is_wrong(code, says):
    with pytest.raises(ValidationError) as caught:
        validate_project_code(code, today=TODAY)
    assert says in caught.value.messages[0]


def test_normalize_strips_blanks_and_full_width_characters():
    assert normalize_project_code(" 2024－320281－26－03－512345 ") == "2024-320281-26-03-512345"
