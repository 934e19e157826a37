"""The ingest database (connector keys), and where its migrations live."""

from pathlib import Path

from services.ingest.keys import ConnectorKey

TABLES = (ConnectorKey,)
MIGRATIONS = Path(__file__).with_name("migrations")
