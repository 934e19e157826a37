from __future__ import annotations

import datetime as dt

from pydantic import BaseModel

from services.referrals.models import Alert, AlertPublic, Case, CasePublic, PupilIdentity


class PupilPublic(BaseModel):
    upn: str
    given_name: str
    family_name: str
    date_of_birth: dt.date


class CaseDetail(CasePublic):
    pupil: PupilPublic | None
    alerts: list[AlertPublic]

    @classmethod
    def build(cls, case: Case, identity: PupilIdentity | None, alerts: list[Alert]) -> CaseDetail:
        pupil = PupilPublic.model_validate(identity, from_attributes=True) if identity else None
        return cls(
            **case.model_dump(),
            pupil=pupil,
            alerts=[AlertPublic.model_validate(alert, from_attributes=True) for alert in alerts],
        )
