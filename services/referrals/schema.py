"""The referrals database: its tables, and where their migrations live."""

from pathlib import Path

from services.referrals.api.writes import IdempotencyRecord
from services.referrals.audit import AuditEntry
from services.referrals.casework.models import Alert, Case, Proposal, Provider, Referral, TimelineEntry
from services.referrals.insight.store import (
    ActivityAttendanceRow,
    ActivityRow,
    ParentRoundRow,
    PupilHalfTerm,
    PupilWeek,
    SchoolWeek,
)
from services.referrals.pupils import PupilContextRow, PupilFigures, PupilIdentity
from services.referrals.registers import RegisterSession
from services.referrals.staff import StaffMember
from services.referrals.web.oidc import OidcHandshake
from services.referrals.web.sessions import SignInLink, StaffSession
from shared.calendar_store import SchoolCalendarRow
from shared.outbox import Outbox

TABLES = (
    StaffMember,
    Case,
    Alert,
    TimelineEntry,
    Provider,
    Referral,
    Proposal,
    PupilIdentity,
    PupilFigures,
    PupilContextRow,
    RegisterSession,
    SchoolCalendarRow,
    AuditEntry,
    Outbox,
    IdempotencyRecord,
    StaffSession,
    SignInLink,
    OidcHandshake,
    PupilWeek,
    PupilHalfTerm,
    SchoolWeek,
    ActivityRow,
    ActivityAttendanceRow,
    ParentRoundRow,
)
MIGRATIONS = Path(__file__).with_name("migrations")
