"""Each component of the risk score at its line, directly (issue #14, item 5): moving a threshold,
a weight or a cap fails a test here. Which components there are was decided by measuring them
(python -m synthetic evaluate, README)."""

import pytest

from services.risk_engine.attendance import Tally
from services.risk_engine.figures import Figures
from services.risk_engine.scoring import components, score
from shared.events import Characteristics, SenStatus

QUIET = Figures(year=Tally(possible=100, attended=100))


def points(**figures) -> int:
    return score(QUIET._replace(**figures), None).points


def component(name: str, **figures) -> int:
    return sum(part.points for part in components(QUIET._replace(**figures)) if part.name == name)


def absent(sessions: int, possible: int = 100) -> Tally:
    return Tally(possible=possible, attended=possible - sessions, authorised=sessions)


@pytest.mark.parametrize(
    "year, expected",
    [(absent(0), 0), (absent(1), 8), (absent(5), 40), (absent(9), 72), (absent(10), 80), (absent(60), 80),
     (absent(10, possible=19), 0)],
)  # fmt: skip
def test_absence_so_far_counts_eight_points_a_percent_up_to_eighty_once_there_are_twenty_sessions(year, expected):
    assert component("absence_so_far", year=year) == expected


def test_target_groups_add_five_each_up_to_twenty_and_never_a_reason():
    fsm = Characteristics(fsm=True)
    three = Characteristics(fsm=True, child_in_need=True, young_carer=True)
    many = Characteristics(fsm=True, sen=SenStatus.EHC_PLAN, child_in_need=True, looked_after=True, young_carer=True)
    assert (score(QUIET, fsm).points, score(QUIET, three).points, score(QUIET, many).points) == (5, 15, 20)
    assert score(QUIET, many).reasons == []


def test_the_score_adds_its_parts_and_each_point_has_its_reason():
    busy = QUIET._replace(year=absent(20))  # 160 points of absence, capped at 80
    result = score(busy, Characteristics(fsm=True, child_protection=True, young_carer=True))
    assert result.points == 80 + 15 == 95
    assert result.reasons == ["absent 20% of sessions this year"]
