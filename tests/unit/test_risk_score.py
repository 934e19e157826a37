"""Each component of the risk score at its line, directly (issue #14, item 5): moving a threshold,
a weight or a cap fails a test here, where before the suite stayed green with the spells line
moved from 4 to 40."""

import pytest

from services.risk_engine.attendance import Tally
from services.risk_engine.figures import Figures
from services.risk_engine.scoring import score
from shared.events import Characteristics, SenStatus

QUIET = Figures(year=Tally(possible=100, attended=100))


def points(**figures) -> int:
    return score(QUIET._replace(**figures), None).points


@pytest.mark.parametrize("spells, expected", [(3, 0), (4, 8), (5, 12), (6, 16), (7, 20), (40, 20)])
def test_separate_spells_count_from_four_at_four_points_a_spell_up_to_twenty(spells, expected):
    assert points(spells=spells) == expected


def test_mondays_and_fridays_count_from_six_absences_and_sixty_percent():
    six_absent = Tally(possible=100, attended=94, authorised=6)
    five_absent = Tally(possible=100, attended=95, authorised=5)
    assert points(year=six_absent, monday_friday_share=0.6) == 15
    assert points(year=six_absent, monday_friday_share=0.59) == 0
    assert points(year=five_absent, monday_friday_share=1.0) == 0


def test_rising_late_and_unauthorised_marks_need_four_and_double_the_earlier_pace():
    assert points(rising_recent=4, rising_before=2.0) == 15
    assert points(rising_recent=4, rising_before=2.1) == 0
    assert points(rising_recent=3, rising_before=0.0) == 0
    assert points(rising_recent=4, rising_before=0.0) == 15  # a pace of nothing counts as one


def test_recent_absence_needs_ten_percent_and_five_points_over_the_baseline():
    assert points(recent_rate=0.10, baseline_rate=0.05) == 20
    assert points(recent_rate=0.10, baseline_rate=0.051) == 0
    assert points(recent_rate=0.09, baseline_rate=0.0) == 0


def test_target_groups_add_five_each_up_to_fifteen_and_never_a_reason():
    fsm = Characteristics(fsm=True)
    many = Characteristics(fsm=True, sen=SenStatus.EHC_PLAN, child_in_need=True, looked_after=True, young_carer=True)
    assert score(QUIET, fsm).points == 5 and score(QUIET, many).points == 15
    assert score(QUIET, many).reasons == []


def test_the_score_is_capped_at_a_hundred_and_each_point_has_its_reason():
    busy = QUIET._replace(
        year=Tally(possible=100, attended=80, authorised=20), spells=9, monday_friday_share=0.9,
        rising_recent=10, rising_before=0.0, recent_rate=0.5, baseline_rate=0.1,
    )  # fmt: skip
    result = score(busy, Characteristics(fsm=True, child_protection=True, young_carer=True))
    assert result.points == min(100, 20 + 15 + 15 + 20 + 15) == 85
    assert len(result.reasons) == 4 and "9 separate absence spells this year" in result.reasons
