"""Approval kinds shipped with the platform (seed 000 measures 7–11), loaded by a migration;
administrators may add more kinds or change the numbers in the admin."""

#: code, name, handler, promised working days, target rule, target share, milestone kind, note
KINDS = (
    (
        "land",
        "用地用海",
        "natural_resources",
        20,
        "share",
        "1.00",
        "land_pre_review",
        "一项目一专员，随到随审、当日办结（措施7）",
    ),
    (
        "forestry",
        "用林",
        "forestry",
        20,
        "share",
        "1.00",
        "forestry",
        "用地用林合并审批，加快林地审核（措施8）",
    ),
    (
        "eia",
        "环评",
        "ecology_environment",
        30,
        "share",
        "0.70",
        "eia",
        "审批完成时间比承诺时限提前30%（措施9）",
    ),
    (
        "energy",
        "能评",
        "development_reform",
        20,
        "fixed_date",
        "1.00",
        "energy",
        "一项目一方案，限定批复日期（措施10）",
    ),
    (
        "soil_water",
        "水保",
        "water",
        5,
        "same_day",
        "1.00",
        "soil_water",
        "区域评估范围内推行承诺制，即来即办、当日办结（措施11）",
    ),
    (
        "planning_permit",
        "规划许可",
        "natural_resources",
        10,
        "share",
        "1.00",
        "planning_permit",
        "",
    ),
    ("construction_permit", "施工许可", "housing", 5, "share", "1.00", "construction_permit", ""),
)


#: the kinds decided the day they are accepted for a project with its own specialist
#: ("一项目一专员"，随到随审、当日办结, measure 7)
SAME_DAY_WITH_SPECIALIST = ("land",)


def load(apps) -> None:
    ApprovalKind = apps.get_model("approvals", "ApprovalKind")
    # the migrations before the field was added load the kinds without it
    has_flag = any(f.name == "same_day_with_specialist" for f in ApprovalKind._meta.fields)
    for position, row in enumerate(KINDS, start=1):
        code, name, handler, days, rule, share, milestone_kind, note = row
        defaults = {
            "name": name,
            "position": position,
            "handler": handler,
            "promised_days": days,
            "target_rule": rule,
            "target_share": share,
            "milestone_kind": milestone_kind,
            "note": note,
        }
        if has_flag:
            defaults["same_day_with_specialist"] = code in SAME_DAY_WITH_SPECIALIST
        ApprovalKind.objects.update_or_create(code=code, defaults=defaults)
