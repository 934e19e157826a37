import pytest
from fastapi.testclient import TestClient

from infra.local.readiness import free_port
from services.ingest.app import create_app, open_database
from services.ingest.keys import issue_key, revoke_key
from services.ingest.settings import Settings
from shared.settings import KafkaSettings
from tests.payloads import SCHOOL

OTHER_SCHOOL = "654321"


@pytest.fixture
def ingest_settings(tmp_path) -> Settings:
    return Settings(
        pseudonym_key="test-key-not-secret",
        database_url=f"sqlite:///{tmp_path / 'ingest.db'}",
        rate_limit="1000/minute",
        max_body_bytes=200_000,
        publish_timeout_s=2,
    )


@pytest.fixture
def unreachable_kafka() -> KafkaSettings:
    """A real address where nothing listens: ingest must answer 503, never hang or 500."""
    return KafkaSettings(bootstrap_servers=f"127.0.0.1:{free_port()}", request_timeout_ms=1000)


@pytest.fixture
def make_client(ingest_settings, unreachable_kafka):
    def make(**overrides) -> TestClient:
        return TestClient(create_app(ingest_settings.model_copy(update=overrides), unreachable_kafka))

    return make


@pytest.fixture
def client(make_client):
    with make_client() as test_client:
        yield test_client


@pytest.fixture
def keys(ingest_settings):
    engine = open_database(ingest_settings)
    live = issue_key(engine, "mis", [SCHOOL])
    revoked = issue_key(engine, "old-mis", [SCHOOL])
    revoke_key(engine, "old-mis")
    return {"live": {"Authorization": f"Bearer {live}"}, "revoked": {"Authorization": f"Bearer {revoked}"}}


@pytest.fixture
def referrals(tmp_path):
    """The referrals API in-process on its own SQLite file, without its consumer: tests feed events
    through the consumer's handler with referrals_support.consume."""
    from services.referrals.app import create_app
    from services.referrals.app import open_database as open_referrals
    from services.referrals.settings import Settings as ReferralsSettings

    settings = ReferralsSettings(database_url=f"sqlite:///{tmp_path / 'referrals.db'}", consumer_enabled=False)
    engine = open_referrals(settings)
    with TestClient(create_app(settings, KafkaSettings())) as client:
        yield client, engine


@pytest.fixture(params=["sqlite", "postgresql"])
def referrals_db(request, tmp_path):
    """Referrals' database, migrated, on SQLite and on PostgreSQL (skipped with the reason where absent)."""
    from services.referrals.app import open_database as open_referrals
    from services.referrals.settings import Settings as ReferralsSettings
    from tests.databases import database

    with database(request.param, tmp_path) as url:
        engine = open_referrals(ReferralsSettings(database_url=url, consumer_enabled=False))
        yield engine
        engine.dispose()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """EWS_DATA_DIR for a CLI test, with no database URL set and ./data somewhere else."""
    monkeypatch.setenv("EWS_DATA_DIR", str(tmp_path))
    for name in ("INGEST_DATABASE_URL", "REFERRALS_DATABASE_URL", "NOTIFICATIONS_DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path.parent)
    return tmp_path
