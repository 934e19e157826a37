"""The borough's figures, their suppression and enrichment participation, on small boroughs counted by
hand."""

import dataclasses

import pytest

from services.referrals.insight.figures import AttendanceRow, Breakdown, PupilPeriod, Pupils, pupils_figures
from services.referrals.insight.participation import compare_attendance, participation
from services.referrals.insight.suppression import SUPPRESSED, suppress


def pupil(school: str, possible: int, absent: int, *, year: int = 8, area: str = "E01", groups=()) -> PupilPeriod:
    return PupilPeriod(school, f"{school}-{possible}-{absent}-{year}", year, area, frozenset(groups), possible, absent)


BOROUGH = [
    # School 111111: 4 pupils, one persistently absent (10/100), one severely (60/100).
    pupil("111111", 100, 0),
    pupil("111111", 100, 10, groups=["fsm"]),
    pupil("111111", 100, 60, groups=["fsm", "sen_support"]),
    pupil("111111", 100, 9),
    # School 222222: 2 pupils in year 7, one of them at 20%; and one with too few sessions to count.
    pupil("222222", 50, 10, year=7, area="E02"),
    pupil("222222", 50, 0, year=7, area="E02"),
    pupil("222222", 9, 9, year=7, area="E02"),
]


def test_rates_and_bands_are_counted_as_defined():
    figures = pupils_figures(BOROUGH)
    assert figures.total == AttendanceRow("All pupils", pupils=6, possible=500, absent=89, persistent=3, severe=1)
    assert figures.total.attendance_rate == pytest.approx(1 - 89 / 500, abs=1e-4)
    assert figures.total.persistent_rate == pytest.approx(0.5)
    schools = {row.group: row for row in figures.breakdowns["school"].rows}
    assert (schools["111111"].pupils, schools["111111"].persistent, schools["111111"].severe) == (4, 2, 1)
    assert (schools["222222"].pupils, schools["222222"].persistent) == (2, 1)


def test_nine_sessions_are_not_enough_to_count_a_pupil():
    assert pupils_figures([pupil("222222", 9, 9)]).total.pupils == 0


def test_characteristic_groups_overlap_and_year_groups_sort_naturally():
    groups = pupils_figures(BOROUGH).breakdowns["group"]
    assert not groups.partition
    assert {row.group: row.pupils for row in groups.rows} == {"fsm": 2, "sen_support": 1}
    years = pupils_figures(BOROUGH + [pupil("111111", 100, 0, year=10)]).breakdowns["year_group"]
    assert [row.group for row in years.rows] == ["Year 7", "Year 8", "Year 10"]


def row(group: str, pupils: int, persistent: int, severe: int = 0) -> AttendanceRow:
    return AttendanceRow(group, pupils=pupils, possible=pupils * 100, absent=persistent * 10, persistent=persistent,
                         severe=severe)  # fmt: skip


def test_counts_from_one_to_four_are_shown_as_c_with_their_rates():
    rows = [row("A", 40, 12, 0), row("B", 30, 3, 0), row("C", 50, 8, 0)]
    total = row("All pupils", 120, 23)
    _, published = suppress(Breakdown("school", total, rows, partition=False))
    assert published[1].persistent == SUPPRESSED and published[1].persistent_rate == SUPPRESSED
    assert published[0].persistent == 12 and published[2].persistent == 8
    assert all(p.severe == 0 for p in published)  # zero is not suppressed


def test_one_suppressed_cell_in_a_partition_takes_the_next_smallest_with_it():
    rows = [row("A", 40, 12), row("B", 30, 3), row("C", 50, 8), row("D", 60, 0)]
    total, published = suppress(Breakdown("school", row("All pupils", 180, 23), rows, partition=True))
    shown = {p.group: p.persistent for p in published}
    assert shown == {"A": 12, "B": SUPPRESSED, "C": SUPPRESSED, "D": 0}
    assert total.persistent == 23
    # The total less what is shown leaves 11 between two cells: neither can be worked back.


def test_a_group_of_fewer_than_five_pupils_shows_nothing_but_c():
    rows = [row("A", 3, 1), row("B", 60, 10), row("C", 70, 9)]
    _, published = suppress(Breakdown("school", row("All pupils", 133, 20), rows, partition=True))
    tiny = published[0]
    assert {tiny.pupils, tiny.persistent, tiny.severe, tiny.attendance_rate, tiny.persistent_rate} == {SUPPRESSED}
    # Its pupils were suppressed alone in their column, so the next smallest school's are too, and with
    # them every rate that would give them back.
    assert published[1].pupils == SUPPRESSED and published[1].persistent_rate == SUPPRESSED
    assert published[2].pupils == 70


def test_no_published_cell_is_one_to_four_and_no_lone_cell_is_suppressed():
    rows = [row(f"S{n}", 5 + n * 7 % 40, n % 6, n % 3) for n in range(25)]
    total = dataclasses.replace(
        row("All pupils", sum(r.pupils for r in rows), sum(r.persistent for r in rows)),
        severe=sum(r.severe for r in rows),
    )
    _, published = suppress(Breakdown("school", total, rows, partition=True))
    for name in ("pupils", "persistent", "severe"):
        column = [getattr(p, name) for p in published]
        assert not any(isinstance(value, int) and 0 < value < 5 for value in column)
        assert column.count(SUPPRESSED) != 1


def test_a_school_with_no_pupils_yet_has_empty_figures_and_no_participation():
    empty = Pupils.of([])
    assert pupils_figures([]).total.pupils == 0
    assert [rate.share for rate in participation(empty, set())] == [None, None, None]


def test_participation_counts_targeted_and_aged_pupils_who_came():
    pupils = Pupils.of([pupil("111111", 100, 20, year=3), pupil("111111", 100, 5, year=5),
                        pupil("111111", 100, 30, year=11), pupil("111111", 5, 5, year=6)])  # fmt: skip
    came = {("111111", pupils.pupil_id[0]), ("111111", pupils.pupil_id[1]), ("111111", pupils.pupil_id[3])}
    rates = {rate.group: (rate.participants, rate.pupils) for rate in participation(pupils, came)}
    assert rates == {"Targeted pupils (below 90% attendance)": (1, 2), "Pupils aged 8 to 16 (years 4 to 11)": (1, 2),
                     "All pupils": (2, 3)}  # fmt: skip
    comparison = compare_attendance(pupils, came)
    assert (comparison.participants_attendance, comparison.others_attendance) == (0.875, 0.7)
