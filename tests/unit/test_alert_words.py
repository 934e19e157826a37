"""What each rule's alert says, in words and figures. The rules say only whether they hold; the words
are written when an alert is sent (rules.Explanation), so each rule's are checked here."""

from shared.events import Transition
from tests.unit.engine_helpers import DAYS, day_marks, run


def first(alerts, rule: str, transition: Transition = Transition.RAISED):
    return next(a for a in alerts if a.rule == rule and a.transition == transition)


def test_first_week_absence_says_how_many_of_the_first_sessions_were_missed():
    _, alerts = run(day_marks(DAYS[:5], lambda i, _: "I" if i == 0 else "present"))
    raised = first(alerts, "first_week_absence")
    assert raised.reasons[0] == "absent 1 of the first 1 sessions of this term"  # raised on the first mark
    assert raised.figures["first_week_absent_sessions"] == 1


def test_unauthorised_and_missing_education_say_how_many_sessions_and_days():
    _, alerts = run(day_marks(DAYS[:10], lambda i, _: "O"))
    unauthorised = first(alerts, "unauthorised_10_in_10")
    assert unauthorised.reasons[0] == "10 unauthorised sessions in the last 10 school weeks (support comes first)"
    assert unauthorised.figures["unauthorised_recent_sessions"] == 10
    missing = first(alerts, "missing_education")
    assert missing.reasons[0] == "unauthorised absence in every session for 10 consecutive school days"
    assert missing.figures["consecutive_days_missing"] == 10


def test_the_ladder_says_the_rate_and_the_line_and_a_resolved_alert_says_it_no_longer_holds():
    absent_then_present = day_marks(DAYS[:60], lambda i, _: "I" if 20 <= i < 24 else "present")
    _, alerts = run(absent_then_present)
    raised = first(alerts, "persistent_absence")
    assert raised.reasons[0] == (
        "absent 5 of 45 possible sessions this year (11.1%), at or above the 10% persistent absence line"
    )  # raised once 40 sessions were possible and the rate was over the line
    assert (raised.figures["absent_sessions"], raised.figures["absence_rate"]) == (5, 0.1111)
    assert raised.figures["risk_score"] > 0
    resolved = first(alerts, "persistent_absence", Transition.RESOLVED)
    assert resolved.reasons[0] == "persistent absence no longer holds"
    assert resolved.figures["absence_rate"] < 0.1  # the pupil's figures when it resolved
