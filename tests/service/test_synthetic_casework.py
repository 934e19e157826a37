"""The synthetic borough's staff work a caseload through the real referrals API: `make run` shows a
caseload with some support declined, some started and ended, and a KPI that is neither 0 nor 100%."""

import dataclasses
import datetime as dt

from services.referrals.staff import Role
from shared.events import PupilAttendance, Transition
from synthetic.casework import CaseworkActor, CaseworkPlan
from tests.factories import SCHOOL_A, SCHOOL_B, context, identity, risk_alert
from tests.service.referrals_support import consume, headers_for

START = dt.date(2025, 10, 6)


def figures_on(pupil: str, school: str, day: dt.date) -> PupilAttendance:
    return PupilAttendance(pupil_id=pupil, school_urn=school, possible=100, attended=85, authorised=10,
                           unauthorised=5, attendance_rate=0.85, absence_rate=0.15, last_date=day)  # fmt: skip


def test_staff_work_the_caseload_to_mixed_outcomes(referrals):
    client, engine = referrals
    pupils = [(f"p{n}", SCHOOL_A if n % 2 else SCHOOL_B, START + dt.timedelta(days=n % 5)) for n in range(40)]
    for pupil, school, day in pupils:
        consume(engine, identity(pupil, school), context(pupil, school),
                risk_alert(pupil, school, band="persistent_absence", as_of=day))  # fmt: skip
    client.headers.update(headers_for(referrals, Role.LA_ATTENDANCE_OFFICER))
    actor = CaseworkActor(client, dataclasses.replace(CaseworkPlan(), every_s=0))
    actor.ensure_providers([SCHOOL_A, SCHOOL_B])
    for week in range(12):  # twelve school weeks pass; staff look at the caseload every few days
        for pupil, school, day in pupils:
            consume(engine, figures_on(pupil, school, day + dt.timedelta(days=7 * week)))
        if week == 8:  # a third of the pupils recover: their alerts resolve
            consume(engine, *(risk_alert(p, s, transition=Transition.RESOLVED) for p, s, _ in pupils[::3]))
        actor.run(rounds=2)
    kpis = client.get("/v1/kpis?as_of=2026-01-30").json()
    funnel = kpis["funnel"]
    assert funnel["referred"] >= 30 and funnel["declined"] >= 3 and funnel["started"] >= 15 and funnel["ended"] >= 5
    assert 0 < kpis["share_supported_in_time"] < 1
    assert kpis["cases_closed_by_outcome"]
