"""No Docker engine runs here, so the production compose file is checked by parsing it."""

import importlib
import json
import re
from pathlib import Path

import prometheus_client
import pytest
import yaml

from infra.local.processes import service_commands
from services.ingest.settings import Settings as IngestSettings
from services.notifications.settings import Settings as NotificationsSettings
from services.referrals.settings import Settings as ReferralsSettings
from services.risk_engine.settings import Settings as RiskEngineSettings
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
    assert service["command"][:3] == ["python", *service_commands()[name][1:3]]


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_environment_variable_is_a_real_setting_and_required_ones_are_set(name):
    environment = SERVICES[name]["environment"]
    known = env_names(SETTINGS[name]) | env_names(KafkaSettings)
    assert set(environment) <= set(known), set(environment) - set(known)
    required = {env for env, field in env_names(SETTINGS[name]).items() if field.is_required()}
    assert required <= set(environment)
    assert environment["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    port_key = SETTINGS[name].model_config["env_prefix"] + "PORT"
    assert int(environment[port_key]) == DEFAULT_PORTS[name]
    assert environment[SETTINGS[name].model_config["env_prefix"] + "HOST"] == "0.0.0.0"


def test_published_ports_match_the_services_ports():
    for name in ("ingest", "referrals", "notifications"):
        assert SERVICES[name]["ports"] == [f"{DEFAULT_PORTS[name]}:{DEFAULT_PORTS[name]}"]


def test_prometheus_scrapes_every_service_on_its_port():
    config = yaml.safe_load((ROOT / "infra/prometheus/prometheus.yml").read_text())
    targets = {job["job_name"]: job["static_configs"][0]["targets"] for job in config["scrape_configs"]}
    assert targets == {name: [f"{name}:{port}"] for name, port in DEFAULT_PORTS.items()}


def test_databases_named_in_urls_are_created_and_use_postgres():
    init = (ROOT / "infra/postgres/init.sql").read_text()
    for name, key in (("referrals", "REFERRALS_DATABASE_URL"), ("notifications", "NOTIFICATIONS_DATABASE_URL")):
        url = SERVICES[name]["environment"][key]
        assert url.startswith("postgresql+psycopg://") and "@postgres:5432/" in url
        assert f"CREATE DATABASE {url.rsplit('/', 1)[1]};" in init


def test_no_secret_is_written_in_the_file():
    text = (ROOT / "docker-compose.yml").read_text()
    for secret in ("POSTGRES_PASSWORD", "INGEST_PSEUDONYM_KEY", "GF_SECURITY_ADMIN_PASSWORD"):
        for value in re.findall(rf"{secret}: (.+)", text):
            assert value.strip().startswith("${"), f"{secret} must come from the environment"


def test_grafana_is_provisioned_with_prometheus_and_a_dashboard():
    mounts = SERVICES["grafana"]["volumes"]
    assert any(m.startswith("./infra/grafana/provisioning:") for m in mounts)
    assert list((ROOT / "infra/grafana/dashboards").glob("*.json"))


def queried_metrics(expression: str) -> set[str]:
    """The names of our services' metrics in a PromQL expression (their prefixes say which)."""
    return set(re.findall(r"\b(?:ingest|risk_engine|referrals|notifications)_[a-z_]+\b", expression))


def test_every_alert_rule_and_dashboard_panel_queries_a_metric_the_services_export():
    for name in SETTINGS:
        importlib.import_module(f"services.{name}.metrics")  # registers the service's metrics
    exported = {  # a family's samples: its name, with a suffix for counters and histograms
        f"{family.name}{suffix}"
        for family in prometheus_client.REGISTRY.collect()
        for suffix in ("", "_total", "_bucket", "_count", "_sum")
    }
    rules = yaml.safe_load((ROOT / "infra/prometheus/alerts.yml").read_text())["groups"][0]["rules"]
    panels = json.loads((ROOT / "infra/grafana/dashboards/pipeline.json").read_text())["panels"]
    expressions = [rule["expr"] for rule in rules] + [t["expr"] for panel in panels for t in panel["targets"]]
    queried = set().union(*(queried_metrics(e) for e in expressions))
    assert "risk_engine_consumer_lag" in queried
    assert queried - exported == set()
