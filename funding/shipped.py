"""Funding channels and the main financial institutions, loaded by a migration."""

#: code, name, managed by quota, note
CHANNELS = (
    ("special_bond", "专项债", True, "地方政府专项债券；不超过25%可用作项目资本金"),
    ("reits", "基础设施REITs", False, "基础设施领域不动产投资信托基金"),
    ("treasury_bond", "超长期特别国债", True, "支持“两重”建设"),
    ("central_budget", "中央预算内投资", True, ""),
    ("provincial", "省级资金", True, "省级财政专项资金"),
    ("policy_instrument", "政策性金融工具", True, "政策性开发性金融工具"),
    ("bank", "银行及机构融资", False, "银行贷款和其他机构融资"),
)

INSTITUTIONS = (
    ("国家开发银行江苏省分行", "policy_bank"),
    ("中国农业发展银行江苏省分行", "policy_bank"),
    ("中国进出口银行江苏省分行", "policy_bank"),
    ("中国工商银行江苏省分行", "commercial_bank"),
    ("中国建设银行江苏省分行", "commercial_bank"),
    ("中国农业银行江苏省分行", "commercial_bank"),
    ("中国银行江苏省分行", "commercial_bank"),
    ("江苏银行", "commercial_bank"),
    ("南京银行", "commercial_bank"),
    ("江苏省国信集团", "other"),
)


def load(apps) -> None:
    FundingChannel = apps.get_model("funding", "FundingChannel")
    FinancialInstitution = apps.get_model("funding", "FinancialInstitution")
    for position, (code, name, has_quota, note) in enumerate(CHANNELS, start=1):
        FundingChannel.objects.update_or_create(
            code=code,
            defaults={"name": name, "position": position, "has_quota": has_quota, "note": note},
        )
    for name, kind in INSTITUTIONS:
        FinancialInstitution.objects.update_or_create(name=name, defaults={"kind": kind})
