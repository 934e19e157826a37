"""Staff working the synthetic borough's caseload through the referrals API, so `make run` shows a
realistic caseload: most proposals accepted, some families declining, support starting and ending
with mixed outcomes, cases stepping down and closing. Seeded, and dated in school time (each step
is dated by the plan, e.g. consent three days after the offer, once the pupil's school days have
reached that day), so the KPIs mean what they would in a school, however fast the feed runs."""

from __future__ import annotations

import datetime as dt
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass

import httpx
from tenacity import before_sleep_log, retry, retry_if_exception_type, stop_after_delay, wait_exponential_jitter

log = logging.getLogger(__name__)
DECLINE_REASONS = ("family prefer to manage it themselves", "times clash with a carer's shift", "pupil refused")
JUDGEMENTS = (("improved", 0.55), ("no_change", 0.35), ("worse", 0.10))


@dataclass(frozen=True)
class CaseworkPlan:
    seed: int = 2025
    every_s: float = 2.0
    accept_share: float = 0.85  # proposals staff act on
    consent_share: float = 0.7  # families who consent (national pilot: about two thirds supported)
    days_to_answer: int = 3
    days_to_start: int = 4
    days_of_support: int = 40


def providers(schools: list[str]) -> list[dict]:
    """The borough's providers: each school's pastoral team, the LA's teams, a charity and a cultural partner."""
    own = [
        {"name": f"School {urn} pastoral team", "kind": "school", "school_urns": [urn], "capacity_per_term": 40,
         "interventions": ["pastoral_check_in", "mentoring", "family_outreach", "attendance_contract"]}
        for urn in schools
    ]  # fmt: skip
    return own + [
        {"name": "Borough attendance, early help and CME team", "kind": "la", "borough_wide": True,
         "capacity_per_term": 120, "interventions": ["la_attendance_team", "la_children_missing_education_officer",
                                                    "early_help_assessment", "team_around_the_family", "school_nurse"]},
        {"name": "Tees mentoring charity", "kind": "voluntary", "borough_wide": True, "capacity_per_term": 12,
         "interventions": ["mentoring"]},
        {"name": "Kirkleatham cultural partnership", "kind": "cultural", "borough_wide": True,
         "capacity_per_term": 20, "interventions": ["cultural_enrichment"]},
    ]  # fmt: skip


class CaseworkActor:
    def __init__(self, client: httpx.Client, plan: CaseworkPlan) -> None:
        self._client, self._plan = client, plan

    @retry(
        retry=retry_if_exception_type(httpx.TransportError),
        wait=wait_exponential_jitter(multiplier=0.5, max=5),
        stop=stop_after_delay(300),
        before_sleep=before_sleep_log(log, logging.INFO),
        reraise=True,
    )
    def ensure_providers(self, schools: list[str]) -> None:
        """The borough's providers, once (waits for referrals to start)."""
        if not self._client.get("/v1/providers").json():
            for body in providers(schools):
                self._client.post("/v1/providers", json=body).raise_for_status()

    def run(self, rounds: int | None = None) -> None:
        done = 0
        while rounds is None or done < rounds:
            try:
                self._round()
            except httpx.TransportError as error:  # referrals restarting: next round
                log.info("referrals did not answer; trying again", extra={"error": type(error).__name__})
            done += 1
            time.sleep(self._plan.every_s)

    def _round(self) -> None:
        for case in self._open_cases():
            try:
                self.work(case["id"])
            except httpx.HTTPStatusError as error:  # a person got there first (412, 409): next round
                log.info("casework step skipped", extra={"status": error.response.status_code})

    def _open_cases(self) -> Iterator[dict]:
        url = "/v1/cases?status=open&limit=500"
        while url:
            page = self._client.get(url).json()
            yield from page["items"]
            url = page["next"]

    def work(self, case_id: int) -> None:
        response = self._client.get(f"/v1/cases/{case_id}")
        case, etag = response.json(), response.headers["etag"]
        first_alert = dt.date.fromisoformat(case["first_alert_on"])
        # The pupil's school day now: their figures can lag the alert that opened the case by a take.
        today = max(
            first_alert, dt.date.fromisoformat((case["current"] or {}).get("last_date") or case["first_alert_on"])
        )
        chance = random.Random(f"{self._plan.seed}:{case_id}:{len(case['timeline'])}")
        open_referrals = [r for r in case["referrals"] if r["status"] in ("offered", "consented", "started")]
        waiting = [r for r in case["referrals"] if r["status"] == "waitlisted"]
        with_place = [p for p in case["proposals"] if not p["waitlist"]]
        if not case["referrals"] and case["proposals"] and chance.random() < self._plan.accept_share:
            self._refer(case_id, case["proposals"][0], min(today, first_alert + dt.timedelta(days=1)))
        elif waiting and not open_referrals and with_place:  # waitlisted: take up the next-best with a place
            self._refer(case_id, with_place[0], today)
        for referral in open_referrals:
            self._step(referral, today, chance)
        if case["referrals"] and not open_referrals and not case["holding"]:
            self._close(case_id, case, etag)

    def _refer(self, case_id: int, proposal: dict, today: dt.date) -> None:
        body = {"intervention": proposal["intervention"], "reason": proposal["reason"], "on": today.isoformat()}
        self._client.post(f"/v1/cases/{case_id}/referrals", json=body).raise_for_status()

    def _step(self, referral: dict, today: dt.date, chance: random.Random) -> None:
        """The referral's next step, dated by the plan, once the pupil's school days have reached it."""
        plan, status = self._plan, referral["status"]
        wait = {"offered": plan.days_to_answer, "consented": plan.days_to_start, "started": plan.days_of_support}
        due = dt.date.fromisoformat(_last_step(referral)[:10]) + dt.timedelta(days=wait[status])
        if due > today:
            return
        if status == "offered" and chance.random() >= plan.consent_share:
            body = {"action": "decline", "declined_reason": chance.choice(DECLINE_REASONS)}
        elif status == "offered":
            body = {"action": "consent"}
        elif status == "consented":
            body = {"action": "start"}
        else:
            body = {
                "action": "end",
                "judgement": chance.choices([j for j, _ in JUDGEMENTS], [w for _, w in JUDGEMENTS])[0],
            }
        etag = self._client.get(f"/v1/referrals/{referral['id']}").headers["etag"]
        self._client.patch(
            f"/v1/referrals/{referral['id']}", json={**body, "on": due.isoformat()}, headers={"If-Match": etag}
        ).raise_for_status()

    def _close(self, case_id: int, case: dict, etag: str) -> None:
        if case["stage"] != "monitor":
            etag = self._client.patch(
                f"/v1/cases/{case_id}", json={"stage": "monitor"}, headers={"If-Match": etag}
            ).headers["etag"]
        outcome = "improved" if any(r["judgement"] == "improved" for r in case["referrals"]) else "no_longer_needed"
        self._client.post(f"/v1/cases/{case_id}/close", json={"outcome": outcome}, headers={"If-Match": etag})


def _last_step(referral: dict) -> str:
    for field in ("ended_at", "started_at", "declined_at", "consented_at", "referred_at"):
        if referral.get(field):
            return referral[field]
    return referral["referred_at"]
