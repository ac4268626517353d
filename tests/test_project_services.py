"""Stage changes, pre-review admission, history and the derived figures of a project."""

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from projects import services
from projects.models import (
    Admission,
    LeaderLevel,
    PreReviewOpinion,
    Project,
    Stage,
    StageChange,
    investment_bracket,
)
from projects.selectors import project_history

from . import factories

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def office(people):
    return people["county_office"]


@pytest.fixture
def signed_project(office):
    return factories.project("320281", by=office, stage=Stage.SIGNED, signed_on=TODAY - 90 * DAY)


def codes_of(exc_info) -> str:
    return exc_info.value.code


class TestTransitions:
    def test_forward_keeps_the_date_of_each_stage_reached(self, office):
        project = factories.project("320281", by=office)
        services.project_transition(
            project=project, stage=Stage.FILED, date=TODAY - 30 * DAY, by=office
        )
        project = services.project_transition(
            project=project, stage=Stage.STARTED, date=TODAY - 2 * DAY, by=office
        )
        project.refresh_from_db()
        assert project.stage == Stage.STARTED
        assert project.filed_on == TODAY - 30 * DAY
        assert project.started_on == TODAY - 2 * DAY
        assert [c.to_stage for c in project.stage_changes.all()] == [Stage.FILED, Stage.STARTED]

    def test_backward_move_is_refused_for_non_office_users(self, people, office):
        project = factories.project(
            "320281", by=office, stage=Stage.STARTED, started_on=TODAY - 5 * DAY
        )
        with pytest.raises(ValidationError) as caught:
            services.project_transition(
                project=project,
                stage=Stage.FILED,
                date=None,
                by=people["api_client"],
                reason="误报",
            )
        assert codes_of(caught) == "stage_backward"
        assert "不能倒退" in caught.value.messages[0]
        project.refresh_from_db()
        assert project.stage == Stage.STARTED

    def test_correction_needs_a_reason(self, office):
        project = factories.project(
            "320281", by=office, stage=Stage.STARTED, started_on=TODAY - 5 * DAY
        )
        with pytest.raises(ValidationError) as caught:
            services.project_transition(
                project=project, stage=Stage.FILED, date=None, by=office, reason=" "
            )
        assert codes_of(caught) == "correction_reason_required"

    def test_correction_by_office_staff_is_recorded_with_its_reason(self, office):
        project = factories.project(
            "320281",
            by=office,
            stage=Stage.STARTED,
            filed_on=TODAY - 40 * DAY,
            started_on=TODAY - 5 * DAY,
        )
        services.project_transition(
            project=project,
            stage=Stage.FILED,
            date=None,
            by=office,
            reason="开工手续未齐，误报开工",
        )
        project.refresh_from_db()
        assert project.stage == Stage.FILED
        assert project.started_on is None
        assert project.filed_on == TODAY - 40 * DAY
        change = StageChange.objects.get(project=project)
        assert (
            change.is_correction
            and change.reason == "开工手续未齐，误报开工"
            and change.by == office
        )
        # the correction, and after it any move of the sub-library the rule makes for the year
        entries = project_history(project)
        correction = next(entry for entry in entries if "误报开工" in entry.reason)
        assert ("当前阶段", "开工", "备案/赋码") in correction.changes
        assert all(
            entry.reason == "阶段变更后按规则调整子库"
            for entry in entries[: entries.index(correction)]
        )

    @pytest.mark.parametrize(
        ("stage", "date", "code"),
        [
            (Stage.PLANNING, None, "stage_unchanged"),
            (Stage.STARTED, None, "date_required"),
            (Stage.STARTED, TODAY + DAY, "stage_date_in_future"),
            ("built", TODAY, "invalid_stage"),
        ],
    )
    def test_illegal_transitions_are_refused(self, office, stage, date, code):
        project = factories.project("320281", by=office)
        with pytest.raises(ValidationError) as caught:
            services.project_transition(project=project, stage=stage, date=date, by=office)
        assert codes_of(caught) == code
        project.refresh_from_db()
        assert project.stage == Stage.PLANNING
        assert not project.stage_changes.exists()

    def test_a_stage_date_cannot_precede_the_previous_one(self, office):
        project = factories.project(
            "320281", by=office, stage=Stage.FILED, filed_on=TODAY - 10 * DAY
        )
        with pytest.raises(ValidationError) as caught:
            services.project_transition(
                project=project, stage=Stage.STARTED, date=TODAY - 20 * DAY, by=office
            )
        assert codes_of(caught) == "stage_date_order"


class TestPreReview:
    def test_signed_project_waits_for_pre_review(self, signed_project):
        assert signed_project.admission == Admission.PENDING
        assert signed_project not in Project.objects.admitted()

    def test_pending_project_cannot_move_past_signed(self, signed_project, office):
        with pytest.raises(ValidationError) as caught:
            services.project_transition(
                project=signed_project, stage=Stage.FILED, date=TODAY, by=office
            )
        assert codes_of(caught) == "not_admitted"

    def _review(self, project, office, verdicts):
        units = [factories.unit(name, "320000", "department") for name in verdicts]
        review = services.prereview_open(
            project=project, held_on=TODAY, departments=units, by=office
        )
        for unit in units:
            verdict = verdicts[unit.name]
            services.prereview_record_opinion(
                prereview=review,
                unit=unit,
                verdict=verdict,
                comment="意见" if verdict != "agree" else "",
                by=office,
            )
        return review

    def test_passed_pre_review_admits_the_project(self, signed_project, office):
        review = self._review(
            signed_project, office, {"省自然资源厅": "agree", "省生态环境厅": "conditional"}
        )
        services.prereview_conclude(prereview=review, by=office)
        signed_project.refresh_from_db()
        assert signed_project.admission == Admission.ADMITTED
        services.project_transition(
            project=signed_project, stage=Stage.FILED, date=TODAY, by=office
        )

    def test_one_disagreement_keeps_the_project_out(self, signed_project, office):
        review = self._review(
            signed_project, office, {"省自然资源厅": "agree", "省生态环境厅": "disagree"}
        )
        services.prereview_conclude(prereview=review, by=office)
        signed_project.refresh_from_db()
        assert signed_project.admission == Admission.REJECTED
        assert signed_project not in Project.objects.admitted()
        assert "不予入库" in project_history(signed_project)[0].reason

    def test_cannot_conclude_before_every_department_has_spoken(self, signed_project, office):
        units = [
            factories.unit("省自然资源厅", "320000", "department"),
            factories.unit("省水利厅", "320000", "department"),
        ]
        review = services.prereview_open(
            project=signed_project, held_on=TODAY, departments=units, by=office
        )
        services.prereview_record_opinion(
            prereview=review, unit=units[0], verdict="agree", by=office
        )
        with pytest.raises(ValidationError) as caught:
            services.prereview_conclude(prereview=review, by=office)
        assert codes_of(caught) == "opinions_missing"
        assert "省水利厅" in caught.value.messages[0]

    def test_disagreement_needs_a_reason_and_outsiders_cannot_give_opinions(
        self, signed_project, office
    ):
        unit = factories.unit("省自然资源厅", "320000", "department")
        review = services.prereview_open(
            project=signed_project, held_on=TODAY, departments=[unit], by=office
        )
        with pytest.raises(ValidationError) as caught:
            services.prereview_record_opinion(
                prereview=review, unit=unit, verdict="disagree", by=office
            )
        assert codes_of(caught) == "comment_required"
        outsider = factories.unit("省林业局", "320000", "department")
        with pytest.raises(ValidationError) as caught:
            services.prereview_record_opinion(
                prereview=review, unit=outsider, verdict="agree", by=office
            )
        assert codes_of(caught) == "unit_not_invited"
        assert not PreReviewOpinion.objects.exists()


class TestHistory:
    def test_every_change_is_kept_with_who_and_old_and_new(self, office, people):
        project = factories.project("320281", by=office, total_investment=Decimal("8000"))
        services.project_update(
            project=project,
            by=people["city_office"],
            total_investment=Decimal("120000"),
            sector="新材料",
        )
        entries = project_history(project)
        assert len(entries) == 2
        assert entries[0].user == people["city_office"]
        assert ("总投资（万元）", "8,000.00", "120,000.00") in entries[0].changes
        assert ("行业领域", "—", "新材料") in entries[0].changes
        assert entries[1].user == office

    def test_stage_cannot_be_edited_directly(self, office):
        project = factories.project("320281", by=office)
        with pytest.raises(ValidationError) as caught:
            services.project_update(project=project, by=office, stage=Stage.STARTED)
        assert codes_of(caught) == "field_read_only"


class TestDerivedFigures:
    @pytest.mark.parametrize(
        ("total", "bracket"),
        [
            ("2999.99", "3000万元以下"),
            ("3000", "3000万元以上"),
            ("5000", "5000万元以上"),
            ("10000", "1亿元以上"),
            ("100000", "10亿元以上"),
            ("500000", "50亿元以上"),
            ("1000000", "100亿元以上"),
        ],
    )
    def test_investment_bracket(self, total, bracket):
        assert investment_bracket(Decimal(total)) == bracket

    @pytest.mark.parametrize(
        ("total", "level", "warned"),
        [
            ("9000", None, False),
            ("20000", None, True),
            ("20000", LeaderLevel.COUNTY_HEAD, False),
            ("150000", LeaderLevel.COUNTY_HEAD, True),
            ("150000", LeaderLevel.CITY_DEPUTY, False),
            ("600000", LeaderLevel.CITY_DEPUTY, True),
            ("600000", LeaderLevel.CITY_PRINCIPAL, False),
        ],
    )
    def test_leader_level_warning_follows_the_huaian_rule(self, total, level, warned):
        project = Project(
            total_investment=Decimal(total),
            responsible_leader="张三" if level else "",
            responsible_leader_level=level,
        )
        assert bool(project.leader_warning) is warned

    def test_code_is_normalised_and_unique(self, office):
        factories.project(
            "320281", by=office, code="２０２４－３２０２８１－２６－０３－５１２３４５"
        )
        assert Project.objects.filter(code="2024-320281-26-03-512345").exists()
        with pytest.raises(ValidationError) as caught:
            factories.project("320281", by=office, code="2024-320281-26-03-512345")
        assert "code" in caught.value.message_dict


def test_parts_of_a_project_follow_its_scope(people, library):
    from projects.models import ElementNeed, PreReview

    office = people["county_office"]
    shuyang = library["shuyang"]
    ElementNeed.objects.create(project=shuyang, kind="land", needed=Decimal("10"))
    ElementNeed.objects.create(project=library["jiangyin_other"], kind="land", needed=Decimal("5"))
    assert list(ElementNeed.objects.for_user(office).values_list("project__name", flat=True)) == [
        library["jiangyin_other"].name
    ]
    assert ElementNeed.objects.for_user(people["county_filer2"]).get().project == shuyang
    assert not ElementNeed.objects.for_user(people["enterprise"]).exists()
    assert not PreReview.objects.for_user(people["nobody"]).exists()
