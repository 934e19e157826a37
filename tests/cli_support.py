"""Running the services' command-line interfaces in tests: the output of a command that must succeed,
or of one that must be refused."""

from typer.testing import CliRunner

RUNNER = CliRunner()


def run(cli, *args: str) -> str:
    result = RUNNER.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def refused(cli, *args: str) -> str:
    result = RUNNER.invoke(cli, list(args))
    assert result.exit_code != 0, result.output
    return result.output
