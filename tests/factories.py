"""Events the tests build over and over, in one place."""

from __future__ import annotations

import datetime as dt

from shared.events import (
    Activity,
    ActivityAttendance,
    ActivityKind,
    AttendanceMark,
    Characteristics,
    ParentMessageArm,
    ParentRoundEntry,
    PupilAttendance,
    PupilContext,
    PupilIdentity,
    ReferralEvent,
    ReferralEventKind,
    RiskAlert,
    Transition,
    alert_id_for,
)

SCHOOL_A = "111111"
SCHOOL_B = "222222"


def mark(pupil: str, day: dt.date, session: str, code: str, *, hour: int = 9, school: str = SCHOOL_A) -> AttendanceMark:
    """A register mark recorded at `hour` (UTC) on the day itself."""
    return AttendanceMark(pupil_id=pupil, school_urn=school, date=day, session=session, code=code,
                          recorded_at=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC))  # fmt: skip


def risk_alert(
    pupil: str = "p1",
    school: str = SCHOOL_A,
    *,
    rule: str = "persistent_absence",
    episode: int = 1,
    transition: Transition = Transition.RAISED,
    band: str | None = "persistent_absence",
    reasons: tuple[str, ...] = ("absent 5 of 40 possible sessions this year (12.5%)",),
    figures: dict[str, float] | None = None,
    routes: tuple[str, ...] = ("pastoral_check_in",),
    occurred_at: dt.datetime | None = None,
    as_of: dt.date | None = None,
) -> RiskAlert:
    extra = {"occurred_at": occurred_at} if occurred_at else {}
    return RiskAlert(
        alert_id=alert_id_for(school, pupil, rule, episode),
        pupil_id=pupil,
        school_urn=school,
        rule=rule,
        episode=episode,
        transition=transition,
        band=band if rule == "persistent_absence" else None,
        reasons=list(reasons),
        figures=figures if figures is not None else {"absence_rate": 0.125, "possible_sessions": 40},
        routes=list(routes),
        as_of=as_of,
        **extra,
    )


def identity(pupil: str = "p1", school: str = SCHOOL_A, *, given_name: str = "Sam") -> PupilIdentity:
    return PupilIdentity(
        pupil_id=pupil,
        school_urn=school,
        upn=f"UPN-{pupil}-{school}",
        given_name=given_name,
        family_name="Jones",
        date_of_birth=dt.date(2013, 1, 2),
    )


def attendance(pupil: str = "p1", school: str = SCHOOL_A, *, possible: int = 100, absent: int = 12) -> PupilAttendance:
    return PupilAttendance(
        pupil_id=pupil,
        school_urn=school,
        possible=possible,
        attended=possible - absent,
        authorised=absent,
        unauthorised=0,
        attendance_rate=round((possible - absent) / possible, 4),
        absence_rate=round(absent / possible, 4),
        last_date=dt.date(2025, 12, 1),
    )


def context(
    pupil: str = "p1", school: str = SCHOOL_A, *, year_group: int = 9, leaving: dt.date | None = None, **flags: bool
) -> PupilContext:
    return PupilContext(
        pupil_id=pupil,
        school_urn=school,
        year_group=year_group,
        admission_date=dt.date(2021, 9, 1),
        leaving_date=leaving,
        characteristics=Characteristics(**flags),
        area_code="E01012004",
    )


def casework_event(
    kind: ReferralEventKind, pupil: str = "p1", school: str = SCHOOL_A, *, case_id: int = 1, **fields
) -> ReferralEvent:
    return ReferralEvent(kind=kind, case_id=case_id, pupil_id=pupil, school_urn=school, **fields)


def activity(activity_id: str = "ART-1", *, kind: ActivityKind = ActivityKind.CULTURAL_WORKSHOP) -> Activity:
    return Activity(activity_id=activity_id, name="Saturday art workshop", kind=kind)


def came_to(pupil: str, day: dt.date, *, attended: bool = True, activity_id: str = "ART-1", school: str = SCHOOL_A,
            hour: int = 12) -> ActivityAttendance:  # fmt: skip
    """One pupil's register entry for one session of an activity."""
    return ActivityAttendance(activity_id=activity_id, pupil_id=pupil, school_urn=school, date=day, attended=attended,
                              recorded_at=dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC))  # fmt: skip


def round_entry(
    pupil: str, start: dt.date, *, arm: ParentMessageArm = ParentMessageArm.SENT, school: str = SCHOOL_A,
    share: float = 0.5,
) -> ParentRoundEntry:  # fmt: skip
    """A pupil's arm in a school's half-term round of parent messages (share > 0: randomised)."""
    return ParentRoundEntry(pupil_id=pupil, school_urn=school, half_term_start=start, arm=arm, hold_back_share=share)


def randomised_round(start: dt.date, *, pupils: int = 20, held_back: int = 8, school: str = SCHOOL_A) -> list:
    """A school's randomised round of parent messages with six weeks of registers either side: every
    pupil misses 1 day in 5 before it; the offered pupils (all but the first `held_back`) 1 in 10 after."""
    days = [start + dt.timedelta(days=n) for n in range(-42, 42) if (start + dt.timedelta(days=n)).weekday() < 5]
    events: list = []
    for n in range(pupils):
        pupil, offered = f"r{n}", n >= held_back
        events.append(round_entry(pupil, start, arm=ParentMessageArm.SENT if offered else ParentMessageArm.HELD_BACK,
                                  school=school))  # fmt: skip
        for index, day in enumerate(days):
            away = index % (10 if offered and day >= start else 5) == 0
            events += [mark(pupil, day, half, "N" if away else "/", school=school) for half in ("AM", "PM")]
    return events
