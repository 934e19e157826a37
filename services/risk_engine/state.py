"""What the engine keeps per enrolment (school and pupil), stored as JSON in a faust table. Pure."""

from __future__ import annotations

from typing import TypedDict

from services.risk_engine.attendance import Records
from services.risk_engine.figures import Counts


class EpisodeState(TypedDict):
    """One rule's current episode for the pupil."""

    episode: int  # 1, 2, ...: part of the alert id
    open: bool
    band: str | None  # the absence ladder's current band
    key: str | None  # the term of a term-bound rule's episode
    announced: bool  # False while held back by a backfill cut-off


class PupilState(TypedDict):
    school: str
    records: Records  # the sessions, see attendance.py
    counts: Counts  # running year and term totals, see figures.py
    latest: str | None  # ISO date of the latest school day with a mark: the evaluation date
    calendar: str | None  # version of the school calendar the counts were made with
    alerts: dict[str, EpisodeState]  # rule -> its episode


def empty_state(school_urn: str) -> PupilState:
    return PupilState(school=school_urn, records={}, counts={}, latest=None, calendar=None, alerts={})


def new_episode() -> EpisodeState:
    return EpisodeState(episode=0, open=False, band=None, key=None, announced=False)
