"""Casework through the JSON API, from an alert to a closed case, on SQLite and on PostgreSQL."""

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select

from services.referrals.app import create_app, open_database
from services.referrals.settings import Settings
from services.referrals.staff import Role
from shared.events import Transition
from shared.outbox import Outbox
from shared.settings import KafkaSettings
from tests.databases import database
from tests.factories import SCHOOL_A, SCHOOL_B, attendance, context, identity, risk_alert
from tests.service.referrals_support import consume, headers_for

MENTORS = {
    "name": "School A mentors",
    "kind": "school",
    "interventions": ["mentoring", "pastoral_check_in", "family_outreach"],
    "school_urns": [SCHOOL_A],
    "capacity_per_term": 2,
}
LA_TEAMS = {
    "name": "Borough attendance and CME team",
    "kind": "la",
    "interventions": ["la_attendance_team", "la_children_missing_education_officer", "team_around_the_family"],
    "borough_wide": True,
    "capacity_per_term": 50,
}


@pytest.fixture(params=["sqlite", "postgresql"])
def referrals(request, tmp_path):
    with database(request.param, tmp_path) as url:
        settings = Settings(database_url=url, consumer_enabled=False)
        engine = open_database(settings)
        with TestClient(create_app(settings, KafkaSettings())) as client:
            yield client, engine
        engine.dispose()


@pytest.fixture
def staff(referrals):
    roles = {
        "lead": (Role.SCHOOL_STAFF, SCHOOL_A),
        "dsl": (Role.DSL, SCHOOL_A),
        "other_school": (Role.SCHOOL_STAFF, SCHOOL_B),
        "la": (Role.LA_ATTENDANCE_OFFICER, None),
        "cme": (Role.LA_CME_OFFICER, None),
    }
    return {name: headers_for(referrals, role, school) for name, (role, school) in roles.items()}


@pytest.fixture
def providers(referrals, staff):
    client, _ = referrals
    ids = {}
    for body in (MENTORS, LA_TEAMS):
        response = client.post("/v1/providers", json=body, headers=staff["la"])
        assert response.status_code == 201, response.text
        ids[body["name"]] = response.json()["id"]
    return ids


def flag(referrals, pupil="p1", school=SCHOOL_A, band="chronic_absence", year_group=9, **alert):
    _, engine = referrals
    consume(
        engine,
        identity(pupil, school),
        context(pupil, school, year_group=year_group, fsm=True, child_protection=True),
        attendance(pupil, school, possible=100, absent=22),
        risk_alert(pupil, school, band=band, **alert),
    )


def the_case(client, headers, pupil="p1"):
    [case] = [c for c in client.get("/v1/cases?status=open", headers=headers).json()["items"] if c["pupil_id"] == pupil]
    response = client.get(f"/v1/cases/{case['id']}", headers=headers)
    return response.json(), response.headers["etag"]


def step(client, headers, referral, action, **fields):
    etag = client.get(f"/v1/referrals/{referral['id']}", headers=headers).headers["etag"]
    response = client.patch(
        f"/v1/referrals/{referral['id']}", json={"action": action, **fields}, headers={**headers, "If-Match": etag}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_the_whole_funnel_from_alert_to_closed_case(referrals, staff, providers):
    client, engine = referrals
    flag(referrals)
    case, etag = the_case(client, staff["lead"])
    assert [p["intervention"] for p in case["proposals"]][:1] == ["mentoring"]
    assert case["proposals"][0]["reason"] == "chronic absence, year 9, attendance mentoring has 2 places at this school"

    me = client.get("/v1/me", headers=staff["lead"]).json()
    response = client.patch(
        f"/v1/cases/{case['id']}",
        json={"lead_staff_id": me["staff_id"], "stage": "facilitate_support", "plan_summary": "Weekly mentor"},
        headers={**staff["lead"], "If-Match": etag},
    )
    assert response.status_code == 200, response.text
    assert response.json()["lead_staff_id"] == me["staff_id"]
    assert [c["id"] for c in client.get("/v1/cases?lead=me", headers=staff["lead"]).json()["items"]] == [case["id"]]

    referral = client.post(
        f"/v1/cases/{case['id']}/referrals", json={"intervention": "mentoring"}, headers=staff["lead"]
    ).json()
    assert (referral["status"], referral["provider_id"]) == ("offered", providers["School A mentors"])
    referral = step(client, staff["lead"], referral, "consent")
    referral = step(client, staff["lead"], referral, "start")
    assert referral["attendance_before"] == 0.78
    consume(engine, attendance("p1", possible=140, absent=24))  # attendance recovered while mentored
    referral = step(client, staff["lead"], referral, "end", judgement="improved", note="back every day")
    assert (referral["status"], referral["attendance_after"]) == ("ended", round(116 / 140, 4))

    consume(engine, risk_alert(transition=Transition.RESOLVED, band="chronic_absence"))
    case, etag = the_case(client, staff["lead"])
    response = client.patch(
        f"/v1/cases/{case['id']}", json={"stage": "monitor"}, headers={**staff["lead"], "If-Match": etag}
    )
    etag = response.headers["etag"]
    closed = client.post(
        f"/v1/cases/{case['id']}/close", json={"outcome": "improved"}, headers={**staff["lead"], "If-Match": etag}
    )
    assert closed.status_code == 200, closed.text
    assert (closed.json()["status"], closed.json()["outcome"]) == ("closed", "improved")

    timeline = client.get(f"/v1/cases/{case['id']}", headers=staff["lead"]).json()["timeline"]
    kinds = [entry["kind"] for entry in timeline]
    assert kinds[:2] == ["case_opened", "alert"] and kinds[-1] == "case_closed"
    assert "Attendance mentoring: started" in [entry["text"] for entry in timeline]
    with Session(engine) as session:
        events = [row.dedupe_key.split(":")[0] for row in session.exec(select(Outbox).order_by(Outbox.id))]
    assert events == [
        "case_opened",
        "lead_assigned",
        "stage_changed",
        "intervention_offered",
        "intervention_consented",
        "intervention_started",
        "intervention_ended",
        "stage_changed",
        "case_closed",
    ]
    kpis = client.get(f"/v1/kpis?school_urn={SCHOOL_A}", headers=staff["lead"]).json()
    assert kpis["funnel"] == {"referred": 1, "consented": 1, "declined": 0, "started": 1, "ended": 1}
    assert kpis["cases_closed_by_outcome"] == {"improved": 1}


def test_a_family_that_declines_is_recorded_with_the_reason(referrals, staff, providers):
    client, _ = referrals
    flag(referrals)
    case, _ = the_case(client, staff["lead"])
    referral = client.post(
        f"/v1/cases/{case['id']}/referrals", json={"intervention": "mentoring"}, headers=staff["lead"]
    ).json()
    declined = step(client, staff["lead"], referral, "decline", declined_reason="prefers the school nurse first")
    assert (declined["status"], declined["declined_reason"]) == ("declined", "prefers the school nurse first")
    again = client.post(f"/v1/cases/{case['id']}/referrals", json={"intervention": "mentoring"}, headers=staff["lead"])
    assert again.status_code == 201  # a declined referral is not open: it may be offered again later


def test_a_full_provider_waitlists_the_pupil_and_suggests_the_next_best(referrals, staff, providers):
    client, _ = referrals
    for pupil in ("p1", "p2", "p3"):
        flag(referrals, pupil)
    ids = {}
    for pupil in ("p1", "p2", "p3"):
        case, _ = the_case(client, staff["lead"], pupil)
        ids[pupil] = case["id"]
        response = client.post(
            f"/v1/cases/{case['id']}/referrals", json={"intervention": "mentoring"}, headers=staff["lead"]
        )
        assert response.status_code == 201
    third = response.json()
    assert third["status"] == "waitlisted" and third["suggestion"]["intervention"] == "team_around_the_family"
    assert "has 50 places with Borough attendance and CME team" in third["suggestion"]["reason"]
    case, _ = the_case(client, staff["lead"], "p3")
    duplicate = client.post(
        f"/v1/cases/{ids['p3']}/referrals", json={"intervention": "mentoring"}, headers=staff["lead"]
    )
    assert duplicate.status_code == 409  # never a second open referral to the same intervention
    kpis = client.get("/v1/kpis", headers=staff["la"]).json()
    assert kpis["waitlist_length"] == 1


def test_closing_while_a_rule_still_holds_needs_an_override_reason(referrals, staff):
    client, _ = referrals
    flag(referrals)
    case, etag = the_case(client, staff["lead"])
    refused = client.post(
        f"/v1/cases/{case['id']}/close", json={"outcome": "improved"}, headers={**staff["lead"], "If-Match": etag}
    )
    assert refused.status_code == 409 and refused.json()["holding"] == ["persistent_absence"]
    closed = client.post(
        f"/v1/cases/{case['id']}/close",
        json={"outcome": "referred_on", "override_reason": "early help now leads"},
        headers={**staff["lead"], "If-Match": etag},
    )
    assert closed.status_code == 200 and closed.json()["close_reason"] == "early help now leads"


def test_enforcement_only_by_an_la_role_and_only_after_support(referrals, staff):
    client, _ = referrals
    flag(referrals)
    case, etag = the_case(client, staff["lead"])
    school = client.patch(
        f"/v1/cases/{case['id']}", json={"stage": "enforce"}, headers={**staff["lead"], "If-Match": etag}
    )
    assert school.status_code == 403
    too_soon = client.patch(
        f"/v1/cases/{case['id']}", json={"stage": "enforce"}, headers={**staff["la"], "If-Match": etag}
    )
    assert too_soon.status_code == 409 and "support comes first" in too_soon.json()["detail"]
    supported = client.patch(
        f"/v1/cases/{case['id']}", json={"stage": "formalise_support"}, headers={**staff["la"], "If-Match": etag}
    )
    enforced = client.patch(
        f"/v1/cases/{case['id']}",
        json={"stage": "enforce"},
        headers={**staff["la"], "If-Match": supported.headers["etag"]},
    )
    assert enforced.status_code == 200 and enforced.json()["stage"] == "enforce"


def test_two_staff_editing_at_once_cannot_lose_a_change(referrals, staff):
    client, _ = referrals
    flag(referrals)
    case, etag = the_case(client, staff["lead"])
    first = client.patch(
        f"/v1/cases/{case['id']}", json={"plan_summary": "A"}, headers={**staff["lead"], "If-Match": etag}
    )
    second = client.patch(
        f"/v1/cases/{case['id']}", json={"plan_summary": "B"}, headers={**staff["dsl"], "If-Match": etag}
    )
    assert first.status_code == 200 and second.status_code == 412
    missing = client.patch(f"/v1/cases/{case['id']}", json={"plan_summary": "C"}, headers=staff["dsl"])
    assert missing.status_code == 428 and missing.headers["content-type"] == "application/problem+json"
    assert client.get(f"/v1/cases/{case['id']}", headers=staff["lead"]).json()["plan_summary"] == "A"


def test_a_retried_post_with_the_same_idempotency_key_creates_once(referrals, staff):
    client, _ = referrals
    flag(referrals)
    case, _ = the_case(client, staff["lead"])
    headers = {**staff["lead"], "Idempotency-Key": "note-7f3a"}
    first = client.post(f"/v1/cases/{case['id']}/notes", json={"text": "Spoke to mum"}, headers=headers)
    retry = client.post(f"/v1/cases/{case['id']}/notes", json={"text": "Spoke to mum"}, headers=headers)
    assert first.status_code == retry.status_code == 201 and first.json() == retry.json()
    reused = client.post(f"/v1/cases/{case['id']}/notes", json={"text": "Other"}, headers=headers)
    assert reused.status_code == 422
    notes = [
        e
        for e in client.get(f"/v1/cases/{case['id']}", headers=staff["lead"]).json()["timeline"]
        if e["kind"] == "note"
    ]
    assert [n["text"] for n in notes] == ["Spoke to mum"] and notes[0]["staff_name"]


def test_sensitive_notes_and_characteristics_only_for_the_dsl_and_la(referrals, staff):
    client, _ = referrals
    flag(referrals)
    case, _ = the_case(client, staff["lead"])
    client.post(
        f"/v1/cases/{case['id']}/notes", json={"text": "Safeguarding context", "sensitive": True}, headers=staff["dsl"]
    )
    for name, sees in (("lead", False), ("dsl", True), ("la", True)):
        detail = client.get(f"/v1/cases/{case['id']}", headers=staff[name]).json()
        assert ("Safeguarding context" in [e["text"] for e in detail["timeline"]]) is sees
        assert (detail["characteristics"] is not None) is sees
        if sees:
            assert detail["characteristics"]["child_protection"] is True
    assert client.get(f"/v1/cases/{case['id']}", headers=staff["other_school"]).status_code == 404


def test_provider_staff_see_only_their_referrals_and_only_what_they_need(referrals, staff, providers):
    client, _ = referrals
    flag(referrals)
    case, _ = the_case(client, staff["lead"])
    referral = client.post(
        f"/v1/cases/{case['id']}/referrals", json={"intervention": "mentoring"}, headers=staff["lead"]
    ).json()
    mentor = headers_for(referrals, Role.PROVIDER_STAFF, None, provider_id=providers["School A mentors"])
    la_team = headers_for(
        referrals, Role.PROVIDER_STAFF, None, provider_id=providers["Borough attendance and CME team"]
    )
    [seen] = client.get("/v1/provider/referrals", headers=mentor).json()["items"]
    assert (seen["given_name"], seen["year_group"], seen["school_urn"]) == ("Sam", 9, SCHOOL_A)
    assert "family_name" not in seen and "upn" not in str(seen)
    assert client.get("/v1/provider/referrals", headers=la_team).json()["items"] == []
    assert client.get(f"/v1/cases/{case['id']}", headers=mentor).status_code == 404
    step(client, staff["lead"], referral, "consent")
    started = step(client, mentor, referral, "start")
    assert started["status"] == "started"
    etag = client.get(f"/v1/referrals/{referral['id']}", headers=mentor).headers["etag"]
    withdraw = client.patch(
        f"/v1/referrals/{referral['id']}", json={"action": "withdraw"}, headers={**mentor, "If-Match": etag}
    )
    assert withdraw.status_code == 404  # withdrawing is the school's decision


def test_missing_education_goes_straight_to_the_cme_officers_queue(referrals, staff, providers):
    client, _ = referrals
    flag(referrals, rule="missing_education", band=None)
    [entry] = client.get("/v1/cme-queue", headers=staff["cme"]).json()
    assert entry["referral"]["intervention"] == "la_children_missing_education_officer"
    assert entry["referral"]["status"] == "offered" and entry["given_name"] == "Sam"
    assert client.get("/v1/cme-queue", headers=staff["lead"]).status_code == 403


def test_a_pupil_who_leaves_closes_the_schools_case_as_left(referrals, staff):
    client, engine = referrals
    flag(referrals)
    consume(engine, context("p1", leaving=dt.date(2025, 12, 19)))
    [case] = client.get("/v1/cases", headers=staff["lead"]).json()["items"]
    assert (case["status"], case["outcome"]) == ("closed", "left")


def test_a_year_group_filter_reads_the_year_group_at_each_cases_own_school(referrals, staff):
    client, _ = referrals
    flag(referrals, "p1", SCHOOL_A, year_group=9)
    flag(referrals, "p1", SCHOOL_B, year_group=10)  # the same child, recorded in year 10 at the new school
    in_year_ten = client.get("/v1/cases?year_group=10", headers=staff["la"]).json()["items"]
    assert [(case["school_urn"], case["pupil_id"]) for case in in_year_ten] == [(SCHOOL_B, "p1")]
    alerts = client.get("/v1/alerts?status=open", headers=staff["la"]).json()["items"]
    assert {a["school_urn"]: a["current"]["possible"] for a in alerts} == {SCHOOL_A: 100, SCHOOL_B: 100}


def test_an_la_officer_reads_who_saw_a_pupils_record(referrals, staff):
    client, _ = referrals
    pupil = "ab" * 16
    flag(referrals, pupil)
    case, _ = the_case(client, staff["lead"], pupil)
    client.get(f"/v1/cases/{case['id']}", headers=staff["other_school"])  # refused, and audited
    entries = client.get(f"/v1/audit?school_urn={SCHOOL_A}&pupil_id={pupil}", headers=staff["la"]).json()
    seen = [(e["action"], e["outcome"]) for e in entries]
    assert ("list_cases", "allowed") in seen and ("read_case", "allowed") in seen and ("read_case", "refused") in seen
    assert client.get(f"/v1/audit?school_urn={SCHOOL_A}&pupil_id=p1", headers=staff["la"]).status_code == 422
    assert client.get(f"/v1/audit?school_urn={SCHOOL_A}&pupil_id={pupil}", headers=staff["lead"]).status_code == 403


def test_a_step_recorded_afterwards_keeps_the_day_it_happened(referrals, staff, providers):
    """Staff often record on Friday what happened on Tuesday: the KPIs count school days from the
    first alert's school day to the day support really started."""
    client, _ = referrals
    flag(referrals, as_of=dt.date(2025, 10, 6))
    case, _ = the_case(client, staff["lead"])
    assert case["first_alert_on"] == "2025-10-06"
    body = {"intervention": "mentoring", "on": "2025-10-07"}
    referral = client.post(f"/v1/cases/{case['id']}/referrals", json=body, headers=staff["lead"]).json()
    step(client, staff["lead"], referral, "consent", on="2025-10-08")
    started = step(client, staff["lead"], referral, "start", on="2025-10-13")
    assert started["started_at"].startswith("2025-10-13")
    kpis = client.get(f"/v1/kpis?school_urn={SCHOOL_A}&as_of=2025-11-03", headers=staff["lead"]).json()
    assert (kpis["supported_in_time"], kpis["assessed"]) == (1, 1)
    too_early = {"action": "end", "judgement": "improved", "on": "2025-10-01"}
    etag = client.get(f"/v1/referrals/{referral['id']}", headers=staff["lead"]).headers["etag"]
    refused = client.patch(
        f"/v1/referrals/{referral['id']}", json=too_early, headers={**staff["lead"], "If-Match": etag}
    )
    assert refused.status_code == 422 and "before the referral was made" in refused.json()["detail"]
    future = {"action": "end", "judgement": "improved", "on": "2099-01-01"}
    assert (
        client.patch(
            f"/v1/referrals/{referral['id']}", json=future, headers={**staff["lead"], "If-Match": etag}
        ).status_code
        == 422
    )
