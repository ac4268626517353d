"""The project groups the seeds set targets for (seed 002: 省重大项目, 政府投资项目, 产业项目;
the library's 两重 projects), loaded by a migration. Offices add their own groups beside them."""

#: code, name, rule, how its projects are found
GROUPS = (
    (
        "provincial_implementation",
        "省重大实施项目",
        "provincial_implementation",
        "项目层级为“省重大实施”的项目",
    ),
    (
        "provincial_reserve",
        "省重大储备项目",
        "provincial_reserve",
        "项目层级为“省重大储备”的项目",
    ),
    ("two_major", "“两重”项目", "two_major", "标为“两重”或有超长期特别国债资金下达的项目"),
    (
        "government",
        "政府投资项目",
        "government",
        "有中央预算内投资、专项债、超长期特别国债或省级资金下达（下达额大于0）的项目",
    ),
    ("industrial", "产业项目", "industrial", "项目类别为“产业类”的项目"),
)


def load(apps) -> None:
    ProjectGroup = apps.get_model("indicators", "ProjectGroup")
    for position, (code, name, rule, note) in enumerate(GROUPS, start=1):
        ProjectGroup.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "rule": rule,
                "note": note,
                "position": position,
                "region": None,
            },
        )
