"""The staff pages: sign-in and sign-out, Today, the caseload and the pupil, and the forms that work a
case. Scoped to the signed-in person's school(s) and role exactly as the JSON API is (another
school's pupil is 404), every view of a pupil audited, every form checked for its CSRF token."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Depends, Form, Path, Query, Request
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from services.referrals.audit import audit
from services.referrals.casework import cases as casework
from services.referrals.casework.caseload import CaseFilters
from services.referrals.casework.catalogue import Stage, catalogue
from services.referrals.casework.models import Alert, Case, CaseOutcome, EntryKind, Judgement, Referral
from services.referrals.casework.referrals import ReferralAction, act, refer
from services.referrals.settings import Settings
from services.referrals.web import sessions, views
from services.referrals.web.oidc import SignInFailed
from services.referrals.web.templating import render
from shared.database import SessionDep
from shared.problems import DomainError

router = APIRouter(include_in_schema=False)


class SignInRequired(Exception):
    def __init__(self, next_path: str) -> None:
        self.next_path = next_path


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def rules(settings: Settings) -> sessions.SessionRules:
    return sessions.SessionRules(
        idle=dt.timedelta(minutes=settings.session_idle_minutes), max_age=dt.timedelta(hours=settings.session_max_hours)
    )


def signed_in(request: Request, session: SessionDep) -> sessions.SignedIn:
    found = sessions.resume(session, request.cookies.get(sessions.COOKIE), rules(settings_of(request)))
    if found is None:
        raise SignInRequired(request.url.path)
    session.commit()  # the session's last-seen time
    return found


SignedInDep = Annotated[sessions.SignedIn, Depends(signed_in)]
Csrf = Annotated[str, Form(alias="csrf_token")]


def _checked(signed: sessions.SignedIn, csrf: str) -> None:
    if not sessions.csrf_ok(signed, csrf):
        raise DomainError("this form is out of date: go back, reload the page and send it again")


def staff_page(template: str, signed: sessions.SignedIn, status: int = 200, **context) -> Response:
    return render(template, status, scope=signed.scope, csrf_token=signed.csrf_token, **context)


def committed(session: Session, page: Response) -> Response:
    """Commit the page's audit entry once the page is rendered: committing first would expire every row
    the template reads, and reloading them one at a time costs a round trip each on PostgreSQL."""
    session.commit()
    return page


def _back(path: str, notice: str | None = None, error: str | None = None) -> RedirectResponse:
    query = urlencode({k: v for k, v in (("notice", notice), ("error", error)) if v})
    return RedirectResponse(f"{path}?{query}" if query else path, status_code=303)


def _signed_in_as(settings: Settings, session: Session, staff, next_path: str) -> RedirectResponse:
    response = RedirectResponse(next_path if next_path.startswith("/") and not next_path.startswith("//") else "/", 303)
    response.set_cookie(
        sessions.COOKIE,
        sessions.start(session, staff),
        httponly=True,
        secure=settings.cookie_secure,
        samesite="lax",
        max_age=settings.session_max_hours * 3600,
    )
    session.commit()
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/", error: str | None = None):  # noqa: A002 - the query parameter's name
    return render("sign_in.html", scope=None, csrf_token=None, next=next, error=error,
                  oidc=request.app.state.oidc.enabled)  # fmt: skip


@router.get("/sign-in/link/{token}")
def sign_in_with_link(token: str, request: Request, session: SessionDep, next: str = "/"):  # noqa: A002
    staff = sessions.redeem_link(session, token)
    if staff is None:
        session.commit()
        return render("sign_in.html", 401, scope=None, csrf_token=None, next="/", oidc=request.app.state.oidc.enabled,
                      error="That sign-in link has been used or has expired. Ask for a new one.")  # fmt: skip
    return _signed_in_as(settings_of(request), session, staff, next)


@router.get("/sign-in/oidc")
async def sign_in_with_provider(request: Request, session: SessionDep, next: str = "/"):  # noqa: A002
    url = await request.app.state.oidc.begin(session, next)
    session.commit()
    return RedirectResponse(url, status_code=303)


@router.get("/sign-in/oidc/callback")
async def provider_callback(request: Request, session: SessionDep, code: str = "", state: str = ""):
    try:
        email, next_path = await request.app.state.oidc.finish(session, state, code)
    except SignInFailed as failed:
        session.commit()
        return _back("/sign-in", error=failed.detail)
    staff = sessions.staff_by_email(session, email)
    session.commit()
    if staff is None:
        return _back("/sign-in", error=f"{email} is not set up to use this service: ask your attendance lead")
    return _signed_in_as(settings_of(request), session, staff, next_path)


@router.post("/sign-out")
def sign_out(request: Request, session: SessionDep, signed: SignedInDep, csrf: Csrf):
    _checked(signed, csrf)
    sessions.end(session, request.cookies.get(sessions.COOKIE))
    session.commit()
    response = _back("/sign-in", notice="You have signed out.")
    response.delete_cookie(sessions.COOKIE)
    return response


@router.get("/")
def today_page(session: SessionDep, signed: SignedInDep, notice: str | None = None, error: str | None = None):
    signed.scope.require(signed.scope.reads_cases, "read alerts")
    view = views.today(session, signed.scope)
    audit(session, signed.scope, "view_today", pupil_ids=(item.alert.pupil_id for item in view.items))
    page = staff_page("today.html", signed, view=view, notice=notice, error=error, catalogue=catalogue().interventions)
    return committed(session, page)


@router.get("/caseload")
def caseload_page(
    session: SessionDep,
    signed: SignedInDep,
    stage: Annotated[Stage | None, Query()] = None,
    intervention: str | None = None,
    year_group: Annotated[int | None, Query(ge=-2, le=14)] = None,
    lead: Annotated[str | None, Query(pattern=r"^(me|[0-9]{1,18})$")] = None,
    rule: Annotated[str | None, Query(pattern=r"^[a-z0-9_]{1,64}$")] = None,
):
    signed.scope.require(signed.scope.reads_cases, "read cases")
    filters = CaseFilters(status="open", stage=stage, intervention=intervention or None, year_group=year_group,
                          lead=lead or None, rule=rule or None)  # fmt: skip
    view = views.caseload_view(session, signed.scope, filters)
    audit(session, signed.scope, "view_caseload", pupil_ids=(row.pupil_id for row, _ in view.rows))
    page = staff_page("caseload.html", signed, view=view, filters=filters, stages=list(Stage),
                      catalogue=catalogue().interventions)  # fmt: skip
    return committed(session, page)


@router.get("/alerts/{alert_id}")
def alert_page(alert_id: Annotated[str, Path(max_length=64)], session: SessionDep, signed: SignedInDep):
    """Where an alert's message links: its id names no pupil, and it opens the pupil's page."""
    return _open_pupil(session, signed, session.get(Alert, alert_id), "alert")


@router.get("/cases/{case_id}")
def case_page(case_id: int, session: SessionDep, signed: SignedInDep):
    """Where a casework message links: the case's number names no pupil, and it opens the pupil's page."""
    return _open_pupil(session, signed, session.get(Case, case_id), "case")


def _open_pupil(session: Session, signed: sessions.SignedIn, record: Alert | Case | None, what: str):
    if record is None or not signed.scope.reads_cases or not signed.scope.allows(record.school_urn):
        if record is not None:
            audit(session, signed.scope, "view_pupil", outcome="refused", school_urn=record.school_urn,
                  pupil_id=record.pupil_id)  # fmt: skip
            session.commit()
        return staff_page("message.html", signed, 404, title="Page not found",
                          message=f"There is no such {what} in your schools.")  # fmt: skip
    return RedirectResponse(f"/pupils/{quote(record.school_urn)}/{quote(record.pupil_id)}", status_code=303)


@router.get("/pupils/{school_urn}/{pupil_id}")
def pupil_page(
    school_urn: str, pupil_id: str, session: SessionDep, signed: SignedInDep,
    notice: str | None = None, error: str | None = None,
):  # fmt: skip
    view = views.pupil(session, signed.scope, school_urn, pupil_id)
    if view is None:
        audit(session, signed.scope, "view_pupil", outcome="refused", school_urn=school_urn, pupil_id=pupil_id)
        session.commit()
        return staff_page("message.html", signed, 404, title="Page not found",
                          message="There is no such pupil in your schools.")  # fmt: skip
    audit(session, signed.scope, "view_pupil", school_urn=school_urn, pupil_id=pupil_id)
    page = staff_page("pupil.html", signed, view=view, notice=notice, error=error, stages=list(Stage),
                      outcomes=list(CaseOutcome), judgements=list(Judgement))  # fmt: skip
    return committed(session, page)


def _case_for_form(session: Session, signed: sessions.SignedIn, case_id: int, csrf: str) -> Case:
    _checked(signed, csrf)
    signed.scope.require(signed.scope.writes_cases, "change cases")
    case = session.get(Case, case_id)
    if case is None or not signed.scope.allows(case.school_urn):
        raise DomainError("no such case in your schools")
    return case


def _pupil_path(case_or_referral) -> str:
    return f"/pupils/{case_or_referral.school_urn}/{quote(case_or_referral.pupil_id)}"


def _done(session: Session, signed: sessions.SignedIn, target, action: str, notice: str, back: str | None = None):
    audit(session, signed.scope, action, school_urn=target.school_urn, pupil_id=target.pupil_id)
    session.commit()
    return _back(back or _pupil_path(target), notice=notice)


@router.post("/cases/{case_id}/refer")
def refer_form(case_id: int, session: SessionDep, signed: SignedInDep, csrf: Csrf,
               intervention: Annotated[str, Form()], back: Annotated[str, Form()] = ""):  # fmt: skip
    case = _case_for_form(session, signed, case_id, csrf)
    referral = refer(session, case, intervention=intervention, provider_id=None, reason="chosen on the staff pages",
                     staff_id=signed.scope.staff_id)  # fmt: skip
    name = catalogue().interventions[intervention].name
    notice = f"{name}: {'offered' if referral.status == 'offered' else 'on the waitlist (no place this term)'}"
    return _done(session, signed, case, "create_referral", notice, back if back.startswith("/") else None)


@router.post("/cases/{case_id}/notes")
def note_form(case_id: int, session: SessionDep, signed: SignedInDep, csrf: Csrf,
              text: Annotated[str, Form(min_length=1, max_length=4000)],
              sensitive: Annotated[bool, Form()] = False):  # fmt: skip
    case = _case_for_form(session, signed, case_id, csrf)
    casework.note(session, case, EntryKind.NOTE, text.strip(), staff_id=signed.scope.staff_id, sensitive=sensitive)
    return _done(session, signed, case, "add_note", "Note added to the timeline.")


@router.post("/cases/{case_id}/stage")
def stage_form(case_id: int, session: SessionDep, signed: SignedInDep, csrf: Csrf,
               stage: Annotated[Stage, Form()], version: Annotated[int, Form()]):  # fmt: skip
    case = _case_for_form(session, signed, case_id, csrf)
    _same_version(case, version)
    casework.change_stage(session, signed.scope, case, stage)
    session.add(case)
    return _done(session, signed, case, "update_case", f"Stage changed to {stage.replace('_', ' ')}.")


@router.post("/cases/{case_id}/close")
def close_form(case_id: int, session: SessionDep, signed: SignedInDep, csrf: Csrf,
               outcome: Annotated[CaseOutcome, Form()], version: Annotated[int, Form()],
               override_reason: Annotated[str, Form(max_length=1000)] = ""):  # fmt: skip
    case = _case_for_form(session, signed, case_id, csrf)
    _same_version(case, version)
    casework.close(
        session, case, outcome, staff_id=signed.scope.staff_id, override_reason=override_reason.strip() or None
    )
    session.add(case)
    return _done(session, signed, case, "close_case", "Case closed.")


@router.post("/referrals/{referral_id}/step")
def referral_form(referral_id: int, session: SessionDep, signed: SignedInDep, csrf: Csrf,
                  action: Annotated[ReferralAction, Form()], version: Annotated[int, Form()],
                  declined_reason: Annotated[str, Form(max_length=1000)] = "",
                  judgement: Annotated[Judgement | None, Form()] = None):  # fmt: skip
    _checked(signed, csrf)
    signed.scope.require(signed.scope.writes_cases, "change referrals")
    referral = session.get(Referral, referral_id)
    if referral is None or not signed.scope.allows(referral.school_urn):
        raise DomainError("no such referral in your schools")
    _same_version(referral, version)
    act(session, referral, action, staff_id=signed.scope.staff_id, declined_reason=declined_reason.strip() or None,
        judgement=judgement)  # fmt: skip
    return _done(
        session,
        signed,
        referral,
        "update_referral",
        f"{catalogue().interventions[referral.intervention].name}: {referral.status}.",
    )


def _same_version(row, version: int) -> None:
    if row.version != version:
        raise DomainError("someone else changed this case since you opened the page: here it is as it is now")
