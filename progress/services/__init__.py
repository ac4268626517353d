"""Writes to the monthly forms (SPEC §8). Pages, the API, the Excel import and the demo all
call these; every step checks who may take it and records a ``ProgressEvent``.

- :mod:`.rules`: who may file and review, and what a form may hold;
- :mod:`.steps`: saving one form and the workflow (draft → submitted → approved, returned,
  reopened) through its one table :data:`WORKFLOW`;
- :mod:`.sheets`: a county's month at once, all or nothing, and the forms still missing.
"""

from .rules import (
    FILER_ROLES,
    INPUT_FIELDS,
    REVIEW_LEVELS,
    check_period,
    clean_many,
    clean_values,
    in_scope,
    may_file,
    may_review,
    project_facts,
    year_months,
)
from .sheets import SheetErrors, SheetResult, missing_projects, sheet_save
from .steps import (
    WORKFLOW,
    EarlierMonthPending,
    MonthApproval,
    allowed_actions,
    month_approve,
    recompute_ytd,
    report_act,
    report_approve,
    report_reopen,
    report_return,
    report_save,
    report_submit,
    review_steps,
)

__all__ = [
    "FILER_ROLES",
    "INPUT_FIELDS",
    "REVIEW_LEVELS",
    "WORKFLOW",
    "EarlierMonthPending",
    "MonthApproval",
    "SheetErrors",
    "SheetResult",
    "allowed_actions",
    "check_period",
    "clean_many",
    "clean_values",
    "in_scope",
    "may_file",
    "may_review",
    "project_facts",
    "missing_projects",
    "month_approve",
    "recompute_ytd",
    "report_act",
    "report_approve",
    "report_reopen",
    "report_return",
    "report_save",
    "report_submit",
    "review_steps",
    "year_months",
    "sheet_save",
]
