import dataclasses
import datetime as dt

from services.risk_engine.rules import Thresholds
from shared.events import Transition, alert_id_for
from tests.unit.engine_helpers import CONTEXT, DAYS, SCHOOL, day_marks, mark, run

AUTUMN = [d for d in DAYS if d < dt.date(2026, 1, 1)]
SPRING = [d for d in DAYS if dt.date(2026, 1, 1) <= d < dt.date(2026, 4, 1)]
SUMMER = [d for d in DAYS if d >= dt.date(2026, 4, 1)]


def transitions(alerts):
    return [(a.rule, a.transition, a.band) for a in alerts]


def absent_every(n: int, code: str = "N", offset: int = 0):
    return lambda i, _: code if i % n == n - 1 - offset else "present"


def test_rate_rules_wait_for_forty_possible_sessions():
    _, alerts = run(day_marks(AUTUMN[5:24], lambda i, d: "I"))  # 38 sessions, 100% absent
    assert [a for a in alerts if a.rule == "persistent_absence"] == []
    _, alerts = run(day_marks(AUTUMN[5:25], lambda i, d: "I"))
    assert transitions(a for a in alerts if a.rule == "persistent_absence") == [
        ("persistent_absence", Transition.RAISED, "severe_absence")
    ]


def test_persistent_absence_is_raised_once_and_escalates_through_the_bands():
    # 3 of the first 20 days absent (15%), then absent every day: the rate only climbs.
    _, alerts = run(day_marks(AUTUMN[:40], lambda i, d: "I" if i in (5, 10, 15) or i >= 20 else "present"))
    ladder = [t for t in transitions(alerts) if t[0] == "persistent_absence"]
    assert ladder == [
        ("persistent_absence", Transition.RAISED, "persistent_absence"),
        ("persistent_absence", Transition.ESCALATED, "chronic_absence"),
        ("persistent_absence", Transition.ESCALATED, "severe_absence"),
    ]
    ids = {a.alert_id for a in alerts if a.rule == "persistent_absence"}
    assert ids == {alert_id_for(SCHOOL, "p1", "persistent_absence", 1)}
    severe = [a for a in alerts if a.band == "severe_absence"][0]
    assert severe.routes == ["la_attendance_team", "early_help"]
    assert severe.figures["absence_rate"] >= 0.5 and "50% severe absence line" in severe.reasons[0]


def test_a_pupil_below_ten_percent_raises_no_rate_alert():
    _, alerts = run(day_marks(AUTUMN, absent_every(12, "I")))
    assert [a for a in alerts if a.rule == "persistent_absence"] == []


def test_correction_that_removes_the_condition_resolves_the_episode():
    marks = day_marks(AUTUMN[:20], lambda i, d: "N" if i == 7 else "present") + [mark(AUTUMN[8], "AM", "N", 10)]
    state, alerts = run(marks)  # 3 of 40 sessions absent: 7.5%
    assert transitions(a for a in alerts if a.rule == "persistent_absence") == []
    state, alerts = run([mark(AUTUMN[11], s, "N", 10) for s in ("AM", "PM")], state)
    raised = [a for a in alerts if a.rule == "persistent_absence"]
    assert transitions(raised) == [("persistent_absence", Transition.RAISED, "persistent_absence")]
    _, later = run([mark(AUTUMN[7], s, "/" if s == "AM" else "\\", 17) for s in ("AM", "PM")], state)
    resolved = [a for a in later if a.rule == "persistent_absence"]
    assert [(a.transition, a.alert_id) for a in resolved] == [(Transition.RESOLVED, raised[0].alert_id)]


def test_first_week_absence_is_raised_per_term():
    first_days = AUTUMN[:5] + SPRING[:5]
    _, alerts = run(day_marks(first_days, lambda i, d: "I" if i in (2, 7) else "present"))
    first_week = [a for a in alerts if a.rule == "first_week_absence"]
    assert [(a.transition, a.episode) for a in first_week] == [
        (Transition.RAISED, 1),
        (Transition.RESOLVED, 1),
        (Transition.RAISED, 2),
    ]


def test_ten_unauthorised_sessions_in_ten_weeks():
    nine = day_marks(AUTUMN[:40], lambda i, d: "O" if i in (3, 10, 17, 24) else "present") + [
        mark(AUTUMN[30], "AM", "U", 10)
    ]
    state, alerts = run(nine)
    assert not [a for a in alerts if a.rule == "unauthorised_10_in_10"]
    _, alerts = run([mark(AUTUMN[31], "PM", "G", 10)], state)
    [alert] = [a for a in alerts if a.rule == "unauthorised_10_in_10"]
    assert alert.figures["unauthorised_recent_sessions"] == 10 and alert.routes == ["family_outreach"]


def test_unauthorised_sessions_older_than_ten_school_weeks_do_not_count():
    codes = lambda i, d: "N" if i < 5 else "present"  # noqa: E731 - ten N sessions in week one
    _, alerts = run(day_marks(AUTUMN[:60], codes))
    episodes = [a.transition for a in alerts if a.rule == "unauthorised_10_in_10"]
    assert episodes == [Transition.RAISED, Transition.RESOLVED]


def test_missing_education_after_ten_consecutive_school_days_across_a_weekend():
    _, alerts = run(day_marks(AUTUMN[:20], lambda i, d: "N" if i >= 10 else "present"))
    [alert] = [a for a in alerts if a.rule == "missing_education"]
    assert alert.transition == Transition.RAISED and alert.figures["consecutive_days_missing"] == 10


def test_an_authorised_day_breaks_the_missing_education_streak():
    _, alerts = run(day_marks(AUTUMN[:20], lambda i, d: "I" if i == 15 else "N" if i >= 8 else "present"))
    assert not [a for a in alerts if a.rule == "missing_education"]


def test_strong_attendance_declining_over_two_terms():
    def code(i, d):
        term, position = (AUTUMN, 0) if d in AUTUMN else (SPRING, 1) if d in SPRING else (SUMMER, 2)
        every = {0: 100, 1: 20, 2: 8}[position]  # 100% -> 95% -> 87.5% attendance
        return "I" if term.index(d) % every == every - 1 else "present"

    _, alerts = run(day_marks(AUTUMN + SPRING + SUMMER[:25], code))
    [alert] = [a for a in alerts if a.rule == "strong_attendance_decline" and a.transition == "raised"]
    assert alert.figures["baseline_attendance"] > 0.95
    assert alert.figures["latest_attendance"] <= alert.figures["next_attendance"] - 0.01
    assert alert.routes == ["mentoring", "cultural_enrichment"]


def test_every_number_is_configuration():
    strict = dataclasses.replace(CONTEXT, thresholds=Thresholds(persistent_absence=0.05, min_possible_sessions=10))
    _, alerts = run(day_marks(AUTUMN[:10], lambda i, d: "I" if i == 7 else "present"), context=strict)
    assert [a.band for a in alerts if a.rule == "persistent_absence"] == ["persistent_absence"]


def test_backfill_holds_back_episodes_that_ended_before_the_cut_off():
    backfill = dataclasses.replace(CONTEXT, alerts_from=SPRING[0])
    early_illness = day_marks(AUTUMN[:30], lambda i, d: "I" if 20 <= i < 26 else "present")  # PA for a while
    recovered = day_marks(AUTUMN[30:], lambda i, d: "present")
    state, alerts = run(early_illness + recovered, context=backfill)
    assert alerts == []
    _, live = run(day_marks(SPRING[:3], lambda i, d: "present"), state, context=backfill)
    assert [a for a in live if a.rule == "persistent_absence"] == []


def test_backfill_announces_an_episode_still_open_at_the_cut_off():
    backfill = dataclasses.replace(CONTEXT, alerts_from=SPRING[0])
    state, alerts = run(day_marks(AUTUMN, absent_every(4, "I")), context=backfill)  # 25% all autumn
    assert alerts == []
    _, live = run(day_marks(SPRING[:1], lambda i, d: "present"), state, context=backfill)
    assert transitions(a for a in live if a.rule == "persistent_absence") == [
        ("persistent_absence", Transition.RAISED, "chronic_absence")
    ]


def test_alerts_carry_an_explainable_risk_score():
    _, alerts = run(day_marks(AUTUMN[:40], lambda i, d: "N" if d.weekday() in (0, 4) and i > 10 else "present"))
    alert = [a for a in alerts if a.rule == "persistent_absence"][0]
    assert alert.figures["risk_score"] > 0
    assert "risk signal: absent 20% of sessions this year" in alert.reasons and alert.figures["risk_score"] == 80
