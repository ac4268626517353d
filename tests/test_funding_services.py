"""Funding (SPEC §11): the invariants in the service and in the database, the figures on a
hand-made dataset, the REITs stage order, financing matches and scope."""

import datetime
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from accounts.models import Region
from core.exceptions import DomainError, NotPermitted
from funding import selectors, services
from funding.models import (
    FinancialInstitution,
    FundingChannel,
    FundingRecord,
    Quota,
    ReitsProject,
)

from .conftest import clock_at

D = datetime.date
TODAY = D(2026, 11, 23)


@pytest.fixture(autouse=True)
def today():
    with clock_at(TODAY):
        yield TODAY


@pytest.fixture
def office(people):
    return people["province_office"]


def channel(code):
    return FundingChannel.objects.get(code=code)


def record(office, project, code="special_bond", year=2026, **amounts):
    return services.record_create(
        by=office, project=project, channel=channel(code), year=year, **amounts
    )


@pytest.mark.parametrize(
    ("amounts", "field"),
    [
        ({"allocated": 100, "issued": 120}, "issued"),
        ({"allocated": 100, "issued": 80, "used": 90}, "used"),
        ({"allocated": -1}, "allocated"),
        ({"allocated": 100, "issued": 100, "capital_share": Decimal("25.01")}, "capital_share"),
    ],
)
def test_each_invariant_is_refused_by_the_service(office, library, amounts, field):
    with pytest.raises(DomainError) as refusal:
        record(office, library["jiangyin_other"], **amounts)
    assert refusal.value.field == field
    assert any("\u4e00" <= ch <= "\u9fff" for ch in refusal.value.messages[0])
    assert not FundingRecord.objects.exists()


def test_a_quarter_of_the_bond_may_be_capital(office, library):
    item = record(office, library["jiangyin_other"], allocated=100, issued=100, capital_share=25)
    assert item.capital_share == 25
    # other channels: capital up to the amount issued
    record(
        office,
        library["jiangyin_other"],
        code="central_budget",
        allocated=100,
        issued=100,
        capital_share=100,
    )


@pytest.mark.parametrize(
    "amounts",
    [
        {"allocated": 100, "issued": 120},
        {"allocated": 100, "issued": 80, "used": 90},
        {"allocated": -5},
        {"allocated": 100, "issued": 100, "capital_share": 30},
    ],
)
def test_each_invariant_is_refused_by_the_database(library, amounts):
    row = FundingRecord(
        project=library["jiangyin_other"], channel=channel("special_bond"), year=2026, **amounts
    )
    with pytest.raises(IntegrityError), transaction.atomic():
        row.save()


def test_update_keeps_the_invariants(office, library):
    item = record(office, library["jiangyin_other"], allocated=100, issued=60, used=10)
    with pytest.raises(DomainError) as refusal:
        services.record_update(record=item, by=office, used=70)
    assert refusal.value.field == "used"
    assert FundingRecord.objects.get(pk=item.pk).used == 10
    services.record_update(record=item, by=office, issued=100, used=70)
    assert FundingRecord.objects.get(pk=item.pk).used == 70


def test_only_editors_write_and_only_in_scope(people, library):
    with pytest.raises(NotPermitted):
        record(people["county_filer"], library["jiangyin_other"], allocated=1)
    with pytest.raises(DomainError) as refusal:
        record(people["county_office"], library["shuyang"], allocated=1)
    assert refusal.value.field == "project"


def test_summary_on_a_hand_made_dataset(office, people, library):
    bond = channel("special_bond")
    services.quota_save(
        by=office,
        channel=bond,
        year=2026,
        region=Region.objects.get(code="320000"),
        amount=Decimal("1000"),
        issuance_deadline=D(2026, 9, 30),
    )
    for code, amount in (("320200", "600"), ("321300", "400")):
        services.quota_save(
            by=office,
            channel=bond,
            year=2026,
            region=Region.objects.get(code=code),
            amount=Decimal(amount),
        )
    record(office, library["jiangyin_other"], allocated=300, issued=200, used=50)
    record(office, library["yixing"], allocated=200, issued=200, used=150, capital_share=50)
    record(office, library["shuyang"], allocated=100, issued=40, used=0)
    record(office, library["shuyang"], year=2025, allocated=999, issued=999)  # another year

    (province,) = selectors.channel_summary(office, year=2026, channel="special_bond")
    assert province.quota == Decimal("1000")  # the province's own, not 1000 + 600 + 400
    assert (province.allocated, province.issued, province.used) == (600, 440, 200)
    assert province.capital == 50 and province.projects == 3
    assert province.issuance_progress == Decimal("0.4400")
    assert province.use_progress == Decimal("0.4545")
    assert province.behind_deadline(TODAY)  # 30 Sep passed with 44 % issued

    wuxi = selectors.channel_summary(
        office, year=2026, channel="special_bond", region=Region.objects.get(code="320200")
    )[0]
    assert (wuxi.quota, wuxi.issued, wuxi.used) == (600, 400, 200)
    # The city office sees its own city only, with its own quota.
    (city_view,) = selectors.channel_summary(people["city_office"], year=2026)
    assert (city_view.quota, city_view.issued) == (600, 400)

    bars = {
        row.region.code: row
        for row in selectors.region_breakdown(
            office, year=2026, channel="special_bond", region=Region.objects.get(code="320000")
        )
    }
    assert bars["320200"].issuance_progress == Decimal("0.6667")
    assert bars["321300"].issuance_progress == Decimal("0.1000")
    assert bars["320100"].quota is None and bars["320100"].issued == 0


def test_reits_move_one_stage_at_a_time(office, library):
    reits = services.reits_add(
        by=office, project=library["yixing"], date=D(2026, 3, 1), asset="宜兴污水处理厂"
    )
    with pytest.raises(DomainError) as refusal:  # skipping 地方申报
        services.reits_advance(reits=reits, by=office, stage="provincial_review", date=TODAY)
    assert "地方申报" in refusal.value.messages[0]
    with pytest.raises(DomainError) as refusal:  # before the reserve date
        services.reits_advance(reits=reits, by=office, stage="local_submission", date=D(2026, 2, 1))
    assert refusal.value.field == "date"
    steps = [
        ("local_submission", D(2026, 4, 1)),
        ("provincial_review", D(2026, 5, 1)),
        ("reported_national", D(2026, 6, 1)),
        ("registered", D(2026, 9, 1)),
        ("listed", D(2026, 10, 15)),
    ]
    for stage, date in steps:
        reits = services.reits_advance(reits=reits, by=office, stage=stage, date=date)
    assert reits.listed_on == D(2026, 10, 15)
    assert list(reits.events.values_list("to_stage", flat=True)) == [s for s, _ in steps]
    with pytest.raises(DomainError) as refusal:
        services.reits_advance(reits=reits, by=office, stage="reserve", date=TODAY)
    assert "已上市" in refusal.value.messages[0]
    funnel = dict((stage, count) for stage, _label, count in selectors.reits_funnel(office))
    assert funnel["listed"] == 1 and funnel["reserve"] == 0


def test_financing_needs_and_matches(office, library):
    need = services.need_create(
        by=office, project=library["jiangyin_other"], kind="loan", amount=Decimal("40000")
    )
    services.need_create(
        by=office, project=library["yixing"], kind="capital", amount=Decimal("10000")
    )
    banks = list(FinancialInstitution.objects.order_by("name")[:2])
    matches = services.need_push(need=need, by=office, institutions=banks)
    assert len(matches) == 2 and services.need_push(need=need, by=office, institutions=banks) == []
    first, second = matches
    services.match_update(match=first, by=office, state="credit_granted", credit_amount=50000)
    services.match_update(match=first, by=office, state="disbursed", disbursed_amount=20000)
    with pytest.raises(DomainError) as refusal:
        services.match_update(match=first, by=office, state="in_talks")
    assert refusal.value.code == "state_backward"
    with pytest.raises(DomainError) as refusal:
        services.match_update(match=second, by=office, state="credit_granted")
    assert refusal.value.field == "credit_amount"

    figures = selectors.financing_summary(office)
    assert (figures.needs, figures.total) == (2, Decimal("50000"))
    assert figures.matched == Decimal("40000")  # pushed to two banks, counted once
    assert (figures.credit_granted, figures.disbursed) == (Decimal("50000"), Decimal("20000"))


def test_another_citys_records_are_out_of_sight(office, people, library):
    jiangyin = record(office, library["jiangyin_other"], allocated=10)
    shuyang = record(office, library["shuyang"], allocated=10)
    assert list(FundingRecord.objects.for_user(people["county_filer2"])) == [shuyang]
    assert jiangyin not in FundingRecord.objects.for_user(people["county_filer2"])
    services.quota_save(
        by=office,
        channel=channel("special_bond"),
        year=2026,
        region=Region.objects.get(code="320200"),
        amount=Decimal("600"),
    )
    assert not Quota.objects.for_user(people["county_filer2"]).exists()
    assert not ReitsProject.objects.for_user(people["county_filer2"]).exists()
    with pytest.raises(DomainError):  # a county office cannot set a quota for the city above
        services.quota_save(
            by=people["county_office"],
            channel=channel("special_bond"),
            year=2026,
            region=Region.objects.get(code="320200"),
            amount=Decimal("1"),
        )


def test_a_match_keeps_its_history_and_a_refused_step_leaves_none(office, library):
    need = services.need_create(
        by=office, project=library["jiangyin_other"], kind="loan", amount=Decimal("40000")
    )
    bank = FinancialInstitution.objects.order_by("name").first()
    (match,) = services.need_push(need=need, by=office, institutions=[bank])
    services.match_update(match=match, by=office, state="credit_granted", credit_amount=50000)
    with pytest.raises(DomainError):
        services.match_update(match=match, by=office, state="in_talks")
    with pytest.raises(DomainError):
        services.match_update(match=match, by=office, state="disbursed")  # no amount
    services.match_update(match=match, by=office, state="disbursed", disbursed_amount=20000)
    history = [
        (e.from_state, e.to_state, e.credit_amount, e.disbursed_amount, e.actor)
        for e in match.events.all()
    ]
    assert history == [
        ("", "pushed", Decimal(0), Decimal(0), office),
        ("pushed", "credit_granted", Decimal(50000), Decimal(0), office),
        ("credit_granted", "disbursed", Decimal(50000), Decimal(20000), office),
    ]
    with pytest.raises(TypeError):
        match.events.first().delete()


# --- 超长期特别国债 follows the records (issue 22) ----------------------------------------------


def treasury(project) -> bool:
    project.refresh_from_db()
    return project.treasury_bond


def test_treasury_bond_support_follows_the_records_with_money_allocated(office, library):
    asked, given = library["yixing"], library["nanjing"]
    record(office, asked, "treasury_bond", requested=500)  # asked for, nothing allocated yet
    record(office, given, "special_bond", allocated=100, issued=100)  # another channel
    assert not treasury(asked) and not treasury(given)

    funded = record(office, given, "treasury_bond", allocated=80, issued=40)
    assert treasury(given)
    services.record_update(record=funded, by=office, allocated=0, issued=0)
    assert not treasury(given)


def test_an_office_decision_overrides_the_records_and_needs_a_reason(office, library):
    from projects import services as project_services

    project = library["yixing"]
    with pytest.raises(DomainError) as refusal:
        project_services.project_update(project=project, by=office, treasury_bond_override=True)
    assert refusal.value.field == "treasury_bond_reason"
    assert not treasury(project)

    project_services.project_update(
        project=project,
        by=office,
        treasury_bond_override=True,
        treasury_bond_reason="列入国家“两重”建设项目清单，资金待下达",
    )
    assert treasury(project)
    record(office, project, "treasury_bond", allocated=80)
    project_services.project_update(
        project=project, by=office, treasury_bond_override=False, treasury_bond_reason="资金已调出"
    )
    assert not treasury(project)  # the decision wins over the record
    project_services.project_update(project=project, by=office, treasury_bond_override=None)
    assert treasury(project)  # no decision: the records again
    project.refresh_from_db()
    assert project.treasury_bond_reason == ""

    with pytest.raises(DomainError) as refusal:
        project_services.project_update(project=project, by=office, treasury_bond=False)
    assert refusal.value.code == "field_read_only"


# --- quotas that add up (issue 22) ------------------------------------------------------------


def test_a_split_beyond_the_parent_quota_needs_a_reason_and_is_flagged(office, people, library):
    bond = channel("special_bond")

    def split(code, amount, **extra):
        return services.quota_save(
            by=office,
            channel=bond,
            year=2026,
            region=Region.objects.get(code=code),
            amount=Decimal(amount),
            **extra,
        )

    split("320000", "1000")
    split("320200", "600")
    with pytest.raises(DomainError) as refusal:
        split("321300", "500")
    assert refusal.value.field == "over_reason" and refusal.value.code == "quota_above_parent"
    assert (
        "额度为1,000.00万元，按此分解后下级合计1,100.00万元，超出100.00万元"
        in (refusal.value.messages[0])
    )
    assert not Quota.objects.filter(region_id="321300").exists()

    over = split("321300", "500", over_reason="省里追加额度文件待下发")
    assert over.over_reason == "省里追加额度文件待下发"
    record(office, library["jiangyin_other"], allocated=700, issued=100)  # 无锡: 700 of 600

    rows = selectors.quota_overruns(office, year=2026)
    assert [(r.quota.region_id, r.kind, r.total, r.over) for r in rows] == [
        ("320000", "split", Decimal("1100"), Decimal("100")),
        ("320200", "allocated", Decimal("700"), Decimal("100")),
    ]
    # the city office sees its own city's, not the province's split
    city = selectors.quota_overruns(people["city_office"], year=2026)
    assert [(r.quota.region_id, r.kind) for r in city] == [("320200", "allocated")]

    # back within the parent: no reason needed, none kept, nothing flagged for the split
    assert split("321300", "400").over_reason == ""
    assert [r.kind for r in selectors.quota_overruns(office, year=2026)] == ["allocated"]


def test_special_bond_capital_is_shown_per_region_against_the_quarter(office, library):
    bond = channel("special_bond")
    for code, amount in (("320000", "1000"), ("320200", "600"), ("321300", "400")):
        services.quota_save(
            by=office, channel=bond, year=2026, region=Region.objects.get(code=code),
            amount=Decimal(amount),
        )  # fmt: skip
    record(office, library["jiangyin_other"], allocated=600, issued=600, capital_share=150)
    record(office, library["shuyang"], allocated=400, issued=100, capital_share=25)
    bars = {
        row.region.code: row
        for row in selectors.region_breakdown(
            office, year=2026, channel="special_bond", region=Region.objects.get(code="320000")
        )
    }
    assert bars["320200"].capital_share == Decimal("0.2500")  # 150 of 600: at the limit
    assert not bars["320200"].capital_beyond_limit
    assert bars["321300"].capital_share == Decimal("0.0625")
