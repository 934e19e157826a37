from shared.schema_snapshots import SNAPSHOTS, current


def test_event_schemas_match_their_committed_snapshots():
    """A failure means the wire contract changed: if that was meant, run `python -m shared.schema_snapshots`."""
    expected = {path.name: path.read_text() for path in SNAPSHOTS.glob("*.json")}
    assert current() == expected
