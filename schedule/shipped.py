"""The schedule templates shipped with the platform (SPEC §4), loaded by a data migration.

Durations are working days, as the provincial departments' promised time limits and common
practice in Jiangsu put them; offices edit the templates to their own experience. Each step is
(position, kind, name, duration, handler, ((predecessor position, lag), ...)).
"""

INDUSTRIAL = {
    "name": "产业类项目（工业）",
    "category": "industrial",
    "description": "工业、制造业等产业项目从备案到开工的典型关键节点。",
    "steps": [
        (1, "approval_filing", "项目备案赋码", 5, "development_reform", ()),
        (2, "land_pre_review", "用地预审与选址意见", 20, "natural_resources", ((1, 0),)),
        (3, "design", "规划设计方案审查", 15, "natural_resources", ((2, 0),)),
        (4, "eia", "环评批复", 30, "ecology_environment", ((1, 0),)),
        (5, "energy", "节能审查", 20, "development_reform", ((1, 0),)),
        (6, "soil_water", "水土保持方案批复", 10, "water", ((2, 0),)),
        (7, "land_supply", "土地出让（供地）", 40, "natural_resources", ((2, 5),)),
        (8, "planning_permit", "建设用地规划许可证", 7, "natural_resources", ((7, 0),)),
        (9, "planning_permit", "建设工程规划许可证", 10, "natural_resources", ((3, 0), (8, 0))),
        (10, "drawing_review", "施工图审查", 15, "housing", ((3, 0),)),
        (11, "tendering", "施工招标", 20, "project_unit", ((10, 0),)),
        (
            12,
            "construction_permit",
            "施工许可",
            5,
            "housing",
            ((4, 0), (5, 0), (6, 0), (9, 0), (11, 0)),
        ),
        (13, "construction_start", "开工", 0, "project_unit", ((12, 0),)),
    ],
}

INFRASTRUCTURE = {
    "name": "基础设施类项目（交通、水利、市政）",
    "category": "infrastructure",
    "description": "政府投资的交通、水利、市政等基础设施项目从项目建议书到开工的典型关键节点。",
    "steps": [
        (1, "proposal", "项目建议书批复", 20, "development_reform", ()),
        (2, "land_pre_review", "用地预审与选址意见", 20, "natural_resources", ((1, 0),)),
        (3, "stability", "社会稳定风险评估", 15, "local_government", ((1, 0),)),
        (4, "eia", "环评批复", 40, "ecology_environment", ((1, 0),)),
        (5, "forestry", "使用林地审核", 20, "forestry", ((2, 0),)),
        (6, "soil_water", "水土保持方案批复", 15, "water", ((2, 0),)),
        (7, "energy", "节能审查", 20, "development_reform", ((1, 0),)),
        (
            8,
            "approval_filing",
            "可行性研究报告批复",
            20,
            "development_reform",
            ((2, 0), (3, 0), (4, 0), (7, 0)),
        ),
        (9, "design", "初步设计批复", 30, "development_reform", ((8, 0),)),
        (10, "relocation", "征地拆迁", 60, "local_government", ((8, 10),)),
        (11, "land_supply", "建设用地批准", 30, "natural_resources", ((5, 0), (6, 0), (8, 0))),
        (12, "drawing_review", "施工图审查", 20, "housing", ((9, 0),)),
        (13, "tendering", "施工招标", 25, "project_unit", ((12, 0),)),
        (14, "construction_permit", "施工许可", 5, "housing", ((10, 0), (11, 0), (13, 0))),
        (15, "construction_start", "开工", 0, "project_unit", ((14, 0),)),
    ],
}

TEMPLATES = (INDUSTRIAL, INFRASTRUCTURE)


def load(apps) -> None:
    """Create the shipped templates that do not exist yet (by name)."""
    ScheduleTemplate = apps.get_model("schedule", "ScheduleTemplate")
    TemplateStep = apps.get_model("schedule", "TemplateStep")
    TemplateLink = apps.get_model("schedule", "TemplateLink")
    for spec in TEMPLATES:
        template, created = ScheduleTemplate.objects.get_or_create(
            name=spec["name"],
            defaults={"category": spec["category"], "description": spec["description"]},
        )
        if not created:
            continue
        steps = {}
        for position, kind, name, duration, handler, _links in spec["steps"]:
            steps[position] = TemplateStep.objects.create(
                template=template,
                position=position,
                kind=kind,
                name=name,
                duration_days=duration,
                handler=handler,
            )
        for position, *_rest, links in spec["steps"]:
            for predecessor, lag in links:
                TemplateLink.objects.create(
                    successor=steps[position], predecessor=steps[predecessor], lag_days=lag
                )
