"""The notifications database: its tables, and where their migrations live."""

from pathlib import Path

from services.notifications.models import (
    CaseLead,
    Delivery,
    OpenAlert,
    ParentContacts,
    ParentMessage,
    ParentPlan,
    ParentRound,
    PupilYearGroup,
    Recipient,
    SessionsSoFar,
)
from services.notifications.operators import Operator
from shared.calendar_store import SchoolCalendarRow
from shared.outbox import Outbox

TABLES = (Delivery, Recipient, PupilYearGroup, CaseLead, SchoolCalendarRow, Operator, OpenAlert, SessionsSoFar,
          ParentContacts, ParentPlan, ParentRound, ParentMessage, Outbox)  # fmt: skip
MIGRATIONS = Path(__file__).with_name("migrations")
