"""docker-compose.yml read as Docker would, for running its services as local processes: each service's
command and environment (the image's ENV, then compose's, with `${VAR}`, `${VAR:-default}` and
`${VAR:?message}` taken from a .env), its service hostnames mapped to loopback and its volumes to
local folders."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]
VARIABLE = re.compile(r"\$\{(\w+)(?::([-?])([^}]*))?\}")


class MissingVariable(ValueError):
    pass


def interpolate(value: str, dotenv: Mapping[str, str]) -> str:
    def one(match: re.Match) -> str:
        name, kind, argument = match.groups()
        if dotenv.get(name):
            return dotenv[name]
        if kind == "?":
            raise MissingVariable(f"{name}: {argument}")
        return argument if kind == "-" else dotenv.get(name, "")

    return VARIABLE.sub(one, value)


def image_environment() -> dict[str, str]:
    """The ENV lines of the services' image (infra/Dockerfile)."""
    environment = {}
    for line in (ROOT / "infra" / "Dockerfile").read_text().splitlines():
        if line.startswith("ENV "):
            environment |= dict(pair.split("=", 1) for pair in shlex.split(line[4:]))
    return environment


class Compose:
    def __init__(self, dotenv: Mapping[str, str], hosts: Mapping[str, str], folders: Mapping[str, Path]) -> None:
        """`hosts` maps a service's `host:port` to where it listens here; `folders` maps a path in the
        container (a volume's mount point, the image's data folder) to a local folder."""
        self.file = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
        self.dotenv, self.hosts, self.folders = dotenv, hosts, folders

    def _localised(self, value: str) -> str:
        for address, local in self.hosts.items():
            value = value.replace(address, local)
        for inside, outside in sorted(self.folders.items(), key=lambda item: -len(item[0])):
            if value == inside or value.startswith(f"{inside}/"):
                return str(outside) + value[len(inside) :]
        return value

    def environment(self, service: str) -> dict[str, str]:
        declared = {**image_environment(), **self.file["services"][service].get("environment", {})}
        return {key: self._localised(interpolate(str(value), self.dotenv)) for key, value in declared.items()}

    def command(self, service: str) -> list[str]:
        return list(self.file["services"][service]["command"])

    def volume_mounts(self, service: str) -> list[str]:
        return [volume.split(":")[1] for volume in self.file["services"][service].get("volumes", [])]

    def health_url(self, service: str) -> str:
        check = " ".join(self.file["services"][service]["healthcheck"]["test"])
        return re.search(r"http://[^']+/health", check).group(0)
