"""Every CLI that makes a credential writes it where the running system reads it: EWS_DATA_DIR
(issue #10, item 7: issue-key wrote ./data/ingest.db whatever the data folder was)."""

import pytest

from services.ingest.__main__ import cli as ingest_cli
from services.notifications.__main__ import cli as notifications_cli
from services.referrals.__main__ import cli as referrals_cli
from tests.cli_support import RUNNER, run


def test_issue_key_writes_to_the_data_dir(data_dir):
    run(ingest_cli, "issue-key", "--name", "mis", "--school", "123456")
    assert (data_dir / "ingest.db").exists() and not (data_dir.parent / "data").exists()
    assert "mis\tlive\t123456" in run(ingest_cli, "list-keys")


def test_staff_are_added_listed_and_revoked_in_the_data_dir(data_dir):
    run(referrals_cli, "add-staff", "--name", "Lead A", "--role", "school_staff", "--school-urn", "111111")
    assert (data_dir / "referrals.db").exists()
    assert "Lead A\tschool_staff\t111111\texpires" in run(referrals_cli, "list-staff")
    assert "revoked 1 token(s) of Lead A" in run(referrals_cli, "revoke-staff", "--name", "Lead A")
    assert "\trevoked " in run(referrals_cli, "list-staff")


def test_school_staff_without_a_school_are_refused_by_the_cli(data_dir):
    result = RUNNER.invoke(referrals_cli, ["add-staff", "--name", "Lead", "--role", "school_staff"])
    assert result.exit_code != 0 and "school" in result.output


def test_operator_tokens_live_in_the_data_dir(data_dir):
    token = run(notifications_cli, "issue-operator-token", "--name", "ops").strip()
    assert token.startswith("ops_") and (data_dir / "notifications.db").exists()


@pytest.mark.parametrize("cli, database", [(ingest_cli, "ingest.db"), (referrals_cli, "referrals.db"),
                                           (notifications_cli, "notifications.db")])  # fmt: skip
def test_migrate_builds_each_database_in_the_data_dir(data_dir, cli, database):
    assert "latest schema" in run(cli, "migrate")
    assert (data_dir / database).exists()
