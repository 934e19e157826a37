"""The notifications CLI (issue #13): the directory, parent-message plans, failed deliveries and
the evaluation export, each refusing bad input with a message naming what is wrong."""

from functools import partial

from services.notifications.__main__ import cli
from tests import cli_support

run, refused = cli_support.run, partial(cli_support.refused, cli)


def test_the_directory_is_kept_from_the_command_line(data_dir):
    head = ["add-recipient", "--name", "Ms Okafor", "--role", "head_of_year", "--school-urn", "100001",
            "--channel", "email", "--address", "hoy9@school.example"]  # fmt: skip
    assert "needs year_group" in refused(*head)
    assert "UK mobile number" in refused(
        *head[:-4], "--channel", "notify_sms", "--address", "12345", "--year-group", "9"
    )
    assert "quiet_hours: " in refused(*head, "--year-group", "9", "--quiet-hours", "after school")
    recipient_id = run(cli, *head, "--year-group", "9").strip()
    assert f"{recipient_id}\t100001\thead_of_year (year 9)\tMs Okafor\temail\tas_routed" in run(cli, "list-recipients")
    assert f"removed {recipient_id}" in run(cli, "remove-recipient", recipient_id)
    assert "Ms Okafor" not in run(cli, "list-recipients")
    assert "no active recipient" in refused("remove-recipient", recipient_id)


def test_parent_plans_resends_and_the_export(data_dir, tmp_path):
    plan = ["parent-plan", "--school-urn", "100001", "--rules", "persistent_absence"]
    assert "never a percentage" in refused(*plan, "--wording", "{days_missed}: 90%")
    assert "saved" in run(cli, *plan, "--wording", "Missed {days_missed}.", "--hold-back-share", "0.2")
    assert "name a delivery id or --all-failed" in refused("resend")
    assert "resending 0" not in run(cli, "list-failed")
    out = tmp_path / "rounds.csv"
    run(cli, "export-parent-messages", "--out", str(out))
    assert out.read_text().splitlines() == [
        "school_urn,pupil_id,half_term_start,arm,rules,days_missed,possible_sessions"
    ]
