"""The seasonal reference: each school year group's half-term attendance, summed from the pupils'
own half-term counts and kept equal to a recount as counts change."""

import pytest

from services.risk_engine.cohorts import MIN_SESSIONS, Cohorts

AUTUMN_1, AUTUMN_2 = "2025/1-autumn/1", "2025/1-autumn/2"


def counts(school: str, autumn_1: tuple[int, int], autumn_2: tuple[int, int] = (0, 0)) -> dict[str, list[int]]:
    """A pupil's running counts: (possible, attended) per half-term, and year and term rows the
    cohorts must ignore."""
    return {
        f"{school}|Y|2025": [autumn_1[0] + autumn_2[0], autumn_1[1] + autumn_2[1], 0, 0],
        f"{school}|T|2025/1-autumn": [autumn_1[0] + autumn_2[0], autumn_1[1] + autumn_2[1], 0, 0],
        f"{school}|H|{AUTUMN_1}": [*autumn_1, 0, 0],
        f"{school}|H|{AUTUMN_2}": [*autumn_2, 0, 0],
    }


def year_group_of(cohorts: Cohorts, pupils: int, year_group: int | None, before: float, now: float) -> None:
    for n in range(pupils):
        cohorts.move(
            f"s|{year_group}-{n}", "s", year_group, None, counts("s", (70, round(70 * before)), (60, round(60 * now)))
        )


def test_the_change_is_the_year_groups_own_when_it_has_enough_sessions():
    cohorts = Cohorts()
    year_group_of(cohorts, 10, 8, before=1.0, now=0.9)
    year_group_of(cohorts, 10, 9, before=1.0, now=0.5)
    change = cohorts.change("s", 8, [AUTUMN_1], [AUTUMN_2])
    assert (change.year_group, change.before, change.now) == (8, 1.0, pytest.approx(0.9))
    assert change.fall == pytest.approx(0.1)
    assert cohorts.change("s", 9, [AUTUMN_1], [AUTUMN_2]).now == pytest.approx(0.5)


def test_a_small_year_group_falls_back_to_the_school_and_a_small_school_to_nothing():
    cohorts = Cohorts()
    year_group_of(cohorts, 10, 8, before=1.0, now=0.9)
    year_group_of(cohorts, 2, 7, before=1.0, now=0.5)  # 120 sessions a half-term: under MIN_SESSIONS
    assert MIN_SESSIONS > 2 * 60
    change = cohorts.change("s", 7, [AUTUMN_1], [AUTUMN_2])
    assert change.year_group is None and change.now == pytest.approx((600 * 0.9 + 120 * 0.5) / 720)
    assert cohorts.change("elsewhere", 7, [AUTUMN_1], [AUTUMN_2]) is None


def test_a_pupils_changed_counts_replace_their_old_ones():
    cohorts = Cohorts()
    year_group_of(cohorts, 10, 8, before=1.0, now=1.0)
    cohorts.move("s|8-0", "s", 8, counts("s", (70, 70), (60, 60)), counts("s", (70, 70), (60, 0)))
    assert cohorts.change("s", 8, [AUTUMN_1], [AUTUMN_2]).now == pytest.approx(540 / 600)


def test_a_year_group_learnt_later_moves_the_pupils_counts_to_it():
    cohorts = Cohorts()
    year_group_of(cohorts, 10, 8, before=1.0, now=1.0)
    late = counts("s", (70, 70), (60, 0))
    cohorts.move("s|late", "s", None, None, late)  # marks before pupil.context: the school only
    assert cohorts.change("s", 8, [AUTUMN_1], [AUTUMN_2]).now == 1.0
    cohorts.move("s|late", "s", 8, late, late)
    assert cohorts.change("s", 8, [AUTUMN_1], [AUTUMN_2]).now == pytest.approx(600 / 660)
    assert cohorts.change("s", None, [AUTUMN_1], [AUTUMN_2]).now == pytest.approx(600 / 660)  # counted once


def test_a_rebuild_equals_the_moves_that_led_there():
    moved, rebuilt = Cohorts(), Cohorts()
    first, second = counts("s", (700, 700), (600, 300)), counts("s", (700, 600), (600, 500))
    moved.move("s|a", "s", 8, None, counts("s", (700, 700)))
    moved.move("s|a", "s", 8, counts("s", (700, 700)), first)
    moved.move("s|b", "s", 8, None, second)
    rebuilt.move("s|gone", "s", 8, None, counts("s", (500, 0), (500, 0)))  # a pupil no longer held
    rebuilt.rebuild([("s|a", "s", 8, first), ("s|b", "s", 8, second)])
    for group in (8, None):
        expected = moved.change("s", group, [AUTUMN_1], [AUTUMN_2])
        assert rebuilt.change("s", group, [AUTUMN_1], [AUTUMN_2]) == expected
        assert (expected.before, expected.now) == (pytest.approx(1300 / 1400), pytest.approx(800 / 1200))


def test_a_recount_that_drops_a_half_term_takes_it_out():
    cohorts = Cohorts()
    year_group_of(cohorts, 9, 8, before=1.0, now=1.0)
    absent_lately = counts("s", (70, 70), (60, 0))
    cohorts.move("s|late", "s", 8, None, absent_lately)
    assert cohorts.change("s", 8, [AUTUMN_1], [AUTUMN_2]).now == pytest.approx(540 / 600)
    recounted = {key: row for key, row in counts("s", (130, 130)).items() if AUTUMN_2 not in key}
    cohorts.move("s|late", "s", 8, absent_lately, recounted)  # a new calendar: all one half-term
    change = cohorts.change("s", 8, [AUTUMN_1], [AUTUMN_2])
    assert (change.before, change.now) == (1.0, 1.0)
