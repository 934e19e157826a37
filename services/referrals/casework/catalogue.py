"""The intervention catalogue and the support stages, as data. Pure."""

from __future__ import annotations

import enum
import tomllib
from functools import cache
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

CATALOGUE_PATH = Path(__file__).with_name("interventions.toml")


class Stage(enum.StrEnum):
    """The order statutory guidance (2024) sets: support first, enforcement last."""

    MONITOR = "monitor"
    LISTEN_AND_UNDERSTAND = "listen_and_understand"
    FACILITATE_SUPPORT = "facilitate_support"
    FORMALISE_SUPPORT = "formalise_support"
    ENFORCE = "enforce"


SUPPORT_STAGES = frozenset({Stage.FACILITATE_SUPPORT, Stage.FORMALISE_SUPPORT})


class ProviderKind(enum.StrEnum):
    SCHOOL = "school"  # the school's own staff: mentors, family support workers
    LA = "la"  # local-authority teams, borough-wide
    VOLUNTARY = "voluntary"
    CULTURAL = "cultural"


class Intervention(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    code: str
    name: str
    description: str
    delivered_by: tuple[ProviderKind, ...] = Field(min_length=1)
    stage: Stage


class Catalogue(BaseModel):
    model_config = ConfigDict(frozen=True)

    version: str
    interventions: dict[str, Intervention]

    def get(self, code: str) -> Intervention:
        return self.interventions[code]


def load_catalogue(path: Path = CATALOGUE_PATH) -> Catalogue:
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    return Catalogue(
        version=raw["version"],
        interventions={code: Intervention(code=code, **entry) for code, entry in raw["interventions"].items()},
    )


@cache
def catalogue() -> Catalogue:
    return load_catalogue()


def support_first_problem(target: Stage, recorded: set[Stage]) -> str | None:
    """Why a case may not move to `target` yet, or None: enforcement only after a support stage."""
    if target is Stage.ENFORCE and not recorded & SUPPORT_STAGES:
        return "support comes first: record a facilitate or formalise support stage before enforcement"
    return None
