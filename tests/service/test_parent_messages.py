"""Messages to parents at the start of each half-term (issue #13): flagged pupils' families are
told the days missed, once a half-term; a seeded share is held back and recorded; an opt-out is
honoured even after the round was made; every pupil's arm is recorded for evaluation."""

import datetime as dt
import itertools
import json

from fastapi.testclient import TestClient
from sqlmodel import Session, select

import shared.events
from services.notifications.app import create_app
from services.notifications.models import DeliveryKind, DeliveryStatus, ParentMessage, ParentRound
from services.notifications.operators import issue_operator_token
from services.notifications.parent_messages import held_back
from services.notifications.parent_rounds import NewParentPlan, make_due_rounds, save_plan
from services.notifications.settings import NotifySettings, SmtpSettings
from shared.events import Event, ParentContact, ParentMessageArm, ParentRoundEntry, PupilContacts, Transition
from shared.outbox import Outbox
from shared.settings import KafkaSettings
from shared.time import SCHOOL_TIMEZONE
from shared.topics import PARENT_ROUNDS
from tests.factories import SCHOOL_A, attendance, risk_alert
from tests.notifications_support import notifications_in
from tests.unit.test_parent_messages import CALENDAR

WORDING = "From your child's school: they have missed {days_missed} of school this year. Every day counts."
PUPILS = [f"p{n}" for n in range(40)]
SEED, SHARE = "autumn-2026", 0.25


def half_term(day: int, hour: int = 10, minute: int = 30) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=SCHOOL_TIMEZONE)


def school_with_flagged_pupils(tmp_path):
    n = notifications_in(tmp_path)
    with Session(n.engine) as session:
        plan = NewParentPlan(rules="persistent_absence", wording=WORDING, hold_back_share=SHARE, seed=SEED)
        save_plan(session, SCHOOL_A, plan)
    n.take(CALENDAR.model_copy(update={"school_urn": SCHOOL_A}))
    for pupil in PUPILS:
        n.take(risk_alert(pupil), attendance(pupil, possible=120, absent=13))
        if pupil != "p1":  # p1's school holds no contact for the family
            parents = [
                ParentContact(mobile="07700 900123"),
                ParentContact(email=f"{pupil}@home.example", prefers="email"),
            ]
            n.take(PupilContacts(pupil_id=pupil, school_urn=SCHOOL_A, parents=parents, opted_out=pupil == "p0"))
    n.take(risk_alert("p39", transition=Transition.RESOLVED))  # no longer flagged
    return n


def rounds(n, now):
    with Session(n.engine) as session:
        return make_due_rounds(session, now)


def test_a_round_goes_once_at_the_half_terms_start_stating_days_never_rates(tmp_path):
    n = school_with_flagged_pupils(tmp_path)
    assert rounds(n, half_term(2, hour=9)) == 0  # before the plan's send time
    assert rounds(n, half_term(2)) == 1
    assert rounds(n, half_term(3)) == 0  # once a half-term
    n.dispatch(half_term(2))
    with Session(n.engine) as session:
        arms = {m.pupil_id: m.arm for m in session.exec(select(ParentMessage))}
        [round_] = session.exec(select(ParentRound)).all()
    expected_held = {p for p in PUPILS[:39] if held_back(p, seed=SEED, share=SHARE)}
    assert {p for p, arm in arms.items() if arm == ParentMessageArm.HELD_BACK} == expected_held and expected_held
    assert "p39" not in arms and arms.get("p0") in (ParentMessageArm.OPTED_OUT, ParentMessageArm.HELD_BACK)
    assert arms.get("p1") in (ParentMessageArm.NO_CONTACT, ParentMessageArm.HELD_BACK)
    sent_pupils = {p for p, arm in arms.items() if arm == ParentMessageArm.SENT}
    assert (round_.flagged, round_.sent, round_.held_back) == (39, len(sent_pupils), len(expected_held))
    texts = {message.text for message, _ in n.channel.sent}
    assert texts == {WORDING.replace("{days_missed}", "6 and a half days")}
    assert len(n.channel.sent) == 2 * len(sent_pupils)  # a text to each mobile, an email to each address
    assert sorted({address for _, address in n.channel.sent} - {"07700 900123"}) == sorted(
        f"{p}@home.example" for p in sent_pupils
    )


def test_each_pupils_arm_goes_to_the_outbox_with_the_round_and_nothing_about_the_family(tmp_path, monkeypatch):
    # Event ids that happen to hold a mobile prefix (a random one did, once in a while) must not read as a leak.
    ids = itertools.count(0x07700 << 100)
    monkeypatch.setattr(shared.events, "new_event_id", lambda: f"{next(ids):032x}")
    n = school_with_flagged_pupils(tmp_path)
    rounds(n, half_term(2))
    with Session(n.engine) as session:
        arms = {m.pupil_id: m.arm for m in session.exec(select(ParentMessage))}
        rows = session.exec(select(Outbox)).all()
    entries = [PARENT_ROUNDS.decode(row.payload.encode()) for row in rows]
    assert {e.pupil_id: e.arm for e in entries} == arms and len(entries) == 39
    assert {(e.school_urn, e.half_term_start, e.hold_back_share) for e in entries} == {
        (SCHOOL_A, dt.date(2026, 11, 2), SHARE)
    }
    assert {row.key for row in rows} == {f"{SCHOOL_A}|{p}" for p in arms}  # keyed by enrolment, like every pupil topic
    sent = [json.loads(row.payload) for row in rows]
    assert {frozenset(fields) for fields in sent} == {frozenset(ParentRoundEntry.model_fields)}  # nothing more travels
    # Every event's own fields (its random id, its time) are made with it, and hold nothing of the family.
    values = " ".join(str(value) for fields in sent for name, value in fields.items() if name not in Event.model_fields)
    assert "home.example" not in values and "07700" not in values and "days_missed" not in values


def test_a_family_that_opts_out_after_the_round_is_not_sent_it(tmp_path):
    n = school_with_flagged_pupils(tmp_path)
    rounds(n, half_term(2))
    sent = next(p for p in PUPILS if not held_back(p, seed=SEED, share=SHARE) and p not in ("p0", "p1"))
    n.take(PupilContacts(pupil_id=sent, school_urn=SCHOOL_A, opted_out=True))
    n.dispatch(half_term(2))
    assert f"{sent}@home.example" not in {address for _, address in n.channel.sent}
    parents = [d for d in n.deliveries() if d.kind == DeliveryKind.PARENT and d.pupil_id == sent]
    assert [d.status for d in parents] == [DeliveryStatus.SUPPRESSED] * 2


def test_a_round_is_not_made_late_in_the_half_term_or_without_a_plan(tmp_path):
    n = school_with_flagged_pupils(tmp_path)
    assert rounds(n, half_term(16)) == 0
    other = notifications_in(tmp_path / "other")
    other.take(risk_alert("p1"))
    assert rounds(other, half_term(2)) == 0


def test_plans_are_checked_and_rounds_listed_by_counts_only(tmp_path):
    n = school_with_flagged_pupils(tmp_path)
    rounds(n, half_term(2))
    with TestClient(create_app(n.settings, KafkaSettings(), SmtpSettings(), NotifySettings())) as client:
        client.headers["Authorization"] = f"Bearer {issue_operator_token(n.engine, 'ops')}"
        plan = {"rules": "persistent_absence", "wording": WORDING, "hold_back_share": 0.2, "seed": "x"}
        assert client.put(f"/v1/parent-plans/{SCHOOL_A}", json=plan).status_code == 200
        rate = client.put(f"/v1/parent-plans/{SCHOOL_A}", json={**plan, "wording": "Attendance {days_missed} (88%)"})
        assert rate.status_code == 422 and "never a percentage" in rate.text
        unknown = client.put(f"/v1/parent-plans/{SCHOOL_A}", json={**plan, "rules": "truancy"})
        assert unknown.status_code == 422 and "truancy" in unknown.text
        [listed] = client.get("/v1/parent-rounds").json()
        assert listed["flagged"] == 39 and "pupil_id" not in str(listed)
