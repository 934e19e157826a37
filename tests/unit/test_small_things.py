"""Small promises (issue #10, items 8, 20, 23): usage lines, readable logs, no bound values in errors;
the risk engine's garbage-collector setting (issue #16); events' ids."""

import contextlib
import datetime as dt
import gc
import io
import json
import logging.config
import uuid

import pytest
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bench.__main__ import main as bench_main
from services.referrals.app import open_database
from services.referrals.pupils import PupilIdentity
from services.referrals.settings import Settings
from services.risk_engine.settings import Settings as RiskEngineSettings
from shared.logging import LoggingSettings, logging_config
from shared.ops import collect_less_often
from tests import factories


def test_bench_help_prints_usage_instead_of_crashing(capsys):
    assert bench_main(["--help"]) == 0
    assert "usage: python -m bench" in capsys.readouterr().out
    assert bench_main(["no-such-benchmark"]) == 2


@pytest.fixture
def configured_logging():
    """Root's handlers as they were before the test configured logging, so later tests'
    output is not mixed with log lines."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.mark.parametrize("log_format", ["console", "json"])
def test_logs_are_readable_lines_by_default_and_json_when_asked(capsys, configured_logging, log_format):
    logging.config.dictConfig(logging_config("ingest", LoggingSettings(format=log_format)))
    logging.getLogger("services.ingest").info("batch published")
    line = capsys.readouterr().out.strip().splitlines()[-1]
    if log_format == "json":
        assert json.loads(line)["message"] == "batch published" and json.loads(line)["service"] == "ingest"
    else:
        assert line.endswith("ingest        INFO    batch published") and not line.startswith("{")
    assert LoggingSettings().format == "console"


def test_logs_follow_stdout_when_it_is_replaced_after_configuration(configured_logging):
    logging.config.dictConfig(logging_config("ingest", LoggingSettings()))
    replaced = io.StringIO()
    with contextlib.redirect_stdout(replaced):
        logging.getLogger("services.ingest").info("written to the stdout of the moment")
    assert "written to the stdout of the moment" in replaced.getvalue()


def test_a_failing_insert_does_not_put_a_childs_details_in_the_error(tmp_path):
    engine = open_database(Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}"))
    child = dict(school_urn="123456", pupil_id="p1", upn="A123456789012", given_name="Maya", family_name="Patel")
    for _ in range(2):
        try:
            with Session(engine) as session:
                session.add(PupilIdentity(**child, date_of_birth=dt.date(2012, 4, 17)))
                session.commit()
        except IntegrityError as error:
            message = str(error)
    assert "UNIQUE constraint failed" in message
    assert not [value for value in ("A123456789012", "Maya", "Patel", "2012-04-17") if value in message]


@pytest.fixture
def gc_thresholds():
    before = gc.get_threshold()
    yield before
    gc.set_threshold(*before)


def test_the_engine_collects_garbage_less_often_only_when_asked(gc_thresholds):
    collect_less_often(0)
    assert gc.get_threshold() == gc_thresholds
    collect_less_often(RiskEngineSettings().gc_threshold)
    assert gc.get_threshold() == (50_000, *gc_thresholds[1:])  # the older generations keep their ratios


def test_event_ids_are_distinct_version_4_uuids_in_hex():
    ids = [factories.attendance().event_id for _ in range(2_000)]
    assert len(set(ids)) == len(ids)
    for event_id in ids[:200]:
        parsed = uuid.UUID(hex=event_id)
        assert parsed.hex == event_id and parsed.version == 4 and parsed.variant == uuid.RFC_4122
