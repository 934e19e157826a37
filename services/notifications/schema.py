"""The notifications database: its tables, and where their migrations live."""

from pathlib import Path

from services.notifications.models import Delivery
from services.notifications.operators import Operator

TABLES = (Delivery, Operator)
MIGRATIONS = Path(__file__).with_name("migrations")
