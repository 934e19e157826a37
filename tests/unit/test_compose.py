"""No Docker engine runs here, so the production compose file is checked by parsing it."""

import importlib
import json
import re
from pathlib import Path

import prometheus_client
import pytest
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from infra.local.kafka_broker import kafka_version
from infra.local.processes import service_commands
from services.ingest.settings import Settings as IngestSettings
from services.notifications.settings import Settings as NotificationsSettings
from services.notifications.settings import SmtpSettings
from services.referrals.settings import Settings as ReferralsSettings
from services.risk_engine.settings import Settings as RiskEngineSettings
from shared.logging import LoggingSettings
from shared.ops import add_operations_routes
from shared.settings import KafkaSettings

ROOT = Path(__file__).parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]
SETTINGS = {
    "ingest": IngestSettings,
    "risk_engine": RiskEngineSettings,
    "referrals": ReferralsSettings,
    "notifications": NotificationsSettings,
}
EXTRA_SETTINGS = {"notifications": (SmtpSettings,)}  # every service also reads Kafka and logging settings
DATABASE_URLS = {
    "ingest": "INGEST_DATABASE_URL",
    "referrals": "REFERRALS_DATABASE_URL",
    "notifications": "NOTIFICATIONS_DATABASE_URL",
}
DEFAULT_PORTS = {"ingest": 8001, "referrals": 8002, "notifications": 8003, "risk_engine": 8004}


def env_names(settings_class) -> dict[str, object]:
    prefix = settings_class.model_config["env_prefix"]
    return {f"{prefix}{name}".upper(): field for name, field in settings_class.model_fields.items()}


def test_compose_runs_kafka_kraft_postgres_prometheus_grafana_and_the_four_services():
    assert {"kafka", "postgres", "prometheus", "grafana", *SETTINGS} <= set(SERVICES)
    assert "controller" in SERVICES["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert "KAFKA_ZOOKEEPER_CONNECT" not in SERVICES["kafka"]["environment"]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_service_is_built_from_the_one_image_and_runs_its_own_module(name):
    service = SERVICES[name]
    assert service["build"]["dockerfile"] == "infra/Dockerfile"
    assert (ROOT / service["build"]["dockerfile"]).exists()
    assert service["command"] == ["python", *service_commands()[name][1:]]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_environment_variable_is_a_real_setting_and_required_ones_are_set(name):
    environment = SERVICES[name]["environment"]
    known = env_names(SETTINGS[name]) | env_names(KafkaSettings) | env_names(LoggingSettings)
    for extra in EXTRA_SETTINGS.get(name, ()):
        known |= env_names(extra)
    assert set(environment) <= set(known), set(environment) - set(known)
    required = {env for env, field in env_names(SETTINGS[name]).items() if field.is_required()}
    assert required <= set(environment)
    assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    port_key = SETTINGS[name].model_config["env_prefix"] + "PORT"
    assert int(environment[port_key]) == DEFAULT_PORTS[name]
    assert environment[SETTINGS[name].model_config["env_prefix"] + "HOST"] == "0.0.0.0"


def test_published_ports_match_the_services_ports_and_operations_only_ones_stay_on_loopback():
    for name in ("ingest", "referrals"):
        assert SERVICES[name]["ports"] == [f"{DEFAULT_PORTS[name]}:{DEFAULT_PORTS[name]}"]
    assert SERVICES["notifications"]["ports"] == ["127.0.0.1:8003:8003"]  # the delivery log
    assert "ports" not in SERVICES["risk_engine"]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_service_has_a_healthcheck_on_its_health_endpoint(name):
    check = SERVICES[name]["healthcheck"]
    assert f"http://127.0.0.1:{DEFAULT_PORTS[name]}/health" in " ".join(check["test"])
    assert check["retries"] >= 1


def test_logs_are_json_in_production():
    for name in SETTINGS:
        assert SERVICES[name]["environment"]["LOG_FORMAT"] == "json"


def test_mail_goes_over_starttls_with_authentication_not_plain_port_25():
    environment = SERVICES["notifications"]["environment"]
    assert environment["NOTIFICATIONS_SMTP_PORT"] == "${SMTP_PORT:-587}"
    assert environment["NOTIFICATIONS_SMTP_STARTTLS"].endswith(":-true}")
    assert "NOTIFICATIONS_SMTP_USERNAME" in environment


def test_prometheus_scrapes_every_service_on_its_port():
    config = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert targets == {name: [f"{name}:{port}"] for name, port in DEFAULT_PORTS.items()}


def test_every_service_holding_state_has_a_durable_store_it_can_write():
    """Databases: each its own PostgreSQL database, created at init. The risk engine's tables: a named
    volume at its data folder, which the image creates and gives to its non-root user (a mount point
    Docker has to create is owned by root)."""
    init = (ROOT / "infra/postgres/init.sql").read_text()
    for name, key in DATABASE_URLS.items():
        url = SERVICES[name]["environment"][key]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
        assert f"CREATE DATABASE {url.rsplit('/', 1)[1]};" in init
        assert SERVICES[name]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert set(DATABASE_URLS) | {"risk_engine"} == set(SETTINGS)
    engine = SERVICES["risk_engine"]
    data_dir = engine["environment"].get("RISK_ENGINE_DATA_DIR", "/data/risk_engine")
    volume, mount = engine["volumes"][0].split(":")
    assert mount == data_dir and volume in COMPOSE["volumes"]
    dockerfile = (ROOT / "infra/Dockerfile").read_text()
    assert f"mkdir -p {data_dir}" in dockerfile and "chown -R ews /data" in dockerfile
    assert re.search(r"^USER ews$", dockerfile, re.MULTILINE)


def test_no_secret_is_written_in_the_file():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "INGEST_PSEUDONYM_KEY", "GF_SECURITY_ADMIN_PASSWORD", "OIDC_CLIENT_SECRET"):
        for value in re.findall(rf"{secret}: (.+)", text):
            assert value.strip().startswith("${"), f"{secret} must come from the environment"


def test_links_in_emails_and_sign_in_redirects_use_the_one_public_address():
    referrals = SERVICES["referrals"]["environment"]["REFERRALS_PUBLIC_URL"]
    assert referrals.startswith("${PUBLIC_URL:?")
    assert SERVICES["notifications"]["environment"]["NOTIFICATIONS_REFERRALS_URL"].startswith("${PUBLIC_URL:?")
    assert "REFERRALS_COOKIE_SECURE" not in SERVICES["referrals"]["environment"]  # Secure cookies: the default


def test_the_image_ships_the_pinned_page_assets_and_installs_with_the_constraints():
    dockerfile = (ROOT / "infra/Dockerfile").read_text()
    assets, install = (
        dockerfile.index("services.referrals.web.assets"),
        dockerfile.index("pip install -c constraints.txt ."),
    )
    assert assets < install and "COPY pyproject.toml constraints.txt" in dockerfile


def test_grafana_is_provisioned_with_prometheus_and_a_dashboard():
    mounts = SERVICES["grafana"]["volumes"]
    assert any(m.startswith("./infra/grafana/provisioning:") for m in mounts)
    assert list((ROOT / "infra/grafana/dashboards").glob("*.json"))


def queried_metrics(expression: str) -> set[str]:
    """The names of our services' metrics in a PromQL expression (their prefixes say which)."""
    return set(re.findall(r"\b(?:ingest|risk_engine|referrals|notifications|http)_[a-z_]+\b", expression))


def test_every_alert_rule_and_dashboard_panel_queries_a_metric_the_services_export():
    for name in SETTINGS:
        importlib.import_module(f"services.{name}.metrics")  # registers the service's metrics
    app = FastAPI()
    add_operations_routes(app, "any")  # every FastAPI service's HTTP metrics, in the app's own registry
    client = TestClient(app)
    client.get("/health")
    families = [*prometheus_client.REGISTRY.collect(), *text_string_to_metric_families(client.get("/metrics").text)]
    exported = {  # a family's samples: its name, with a suffix for counters and histograms
        f"{family.name}{suffix}" for family in families for suffix in ("", "_total", "_bucket", "_count", "_sum")
    }
    rules = yaml.safe_load((ROOT / "infra/prometheus/alerts.yml").read_text())["groups"][0]["rules"]
    panels = json.loads((ROOT / "infra/grafana/dashboards/pipeline.json").read_text())["panels"]
    expressions = [rule["expr"] for rule in rules] + [t["expr"] for panel in panels for t in panel["targets"]]
    queried = set().union(*(queried_metrics(e) for e in expressions))
    assert {"risk_engine_consumer_lag", "http_requests_total"} <= queried
    assert queried - exported == set()


def test_compose_runs_the_kafka_version_the_local_broker_is_assembled_from():
    assert SERVICES["kafka"]["image"] == f"apache/kafka:{kafka_version()}"


def test_prometheus_sends_its_alerts_to_alertmanager_which_routes_every_severity_to_a_receiver():
    prometheus = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text())
    assert prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"] == ["alertmanager:9093"]
    mounts = SERVICES["alertmanager"]["volumes"]
    assert "./infra/alertmanager/alertmanager.yml:/etc/alertmanager/alertmanager.yml:ro" in mounts
    config = yaml.safe_load((ROOT / "infra/alertmanager/alertmanager.yml").read_text())
    receivers = {receiver["name"] for receiver in config["receivers"]}
    routed = {config["route"]["receiver"]} | {route["receiver"] for route in config["route"]["routes"]}
    assert routed <= receivers
    severities = {route["matchers"][0] for route in config["route"]["routes"]}
    rules = yaml.safe_load((ROOT / "infra/prometheus/alerts.yml").read_text())["groups"][0]["rules"]
    for rule in rules:
        assert rule["labels"]["severity"] in ("critical", "warning"), rule["alert"]
    assert severities == {'severity="critical"'}  # warnings take the default route
    names = {rule["alert"] for rule in rules}
    assert {"RiskEngineFallingBehind", "DeadLetters", "NotificationsFailing", "RegisterOverdue", "ServiceDown"} <= names


def test_alertmanager_secrets_come_from_files_not_the_repository():
    text = (ROOT / "infra/alertmanager/alertmanager.yml").read_text()
    assert "smtp_auth_password_file:" in text and "smtp_auth_password:" not in text
    assert "url_file:" in text and not re.search(r"^\s*url:", text, re.MULTILINE)
