from pathlib import Path

from services.notifications.app import CONSUMED_TOPICS
from services.referrals.app import CONSUMED
from shared import topics
from shared.schema_snapshots import SNAPSHOTS, current

ROOT = Path(__file__).parents[2]


def test_event_schemas_match_their_committed_snapshots():
    """A failure means the wire contract changed: if that was meant, run `python -m shared.schema_snapshots`."""
    expected = {path.name: path.read_text() for path in SNAPSHOTS.glob("*.json")}
    assert current() == expected


def test_parents_contacts_are_read_by_notifications_alone():
    """Only notifications sends parents messages, so only it may read how to reach them (issue #13)."""
    assert topics.CONTACTS in CONSUMED_TOPICS and topics.CONTACTS not in CONSUMED
    others = [path for name in ("risk_engine", "referrals") for path in (ROOT / "services" / name).rglob("*.py")]
    assert not [path for path in others if "CONTACTS" in path.read_text() or "pupil.contacts" in path.read_text()]
    assert topics.CONTACTS.writer == "ingest" and topics.CONTACTS.compacted
