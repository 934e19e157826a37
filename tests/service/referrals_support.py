"""Building a referrals service in-process, feeding it events as its consumer would, and staff headers."""

from __future__ import annotations

from sqlmodel import Session

from services.referrals.consumer import handle_event
from services.referrals.staff import Role, add_staff
from shared.events import Event


def consume(engine, *events: Event) -> None:
    """Each event in its own transaction, as the consumer loop commits them."""
    for event in events:
        with Session(engine) as session:
            handle_event(session, event)
            session.commit()


def headers_for(referrals, role: Role, school: str | None = None, **staff: object) -> dict[str, str]:
    _, engine = referrals
    token = add_staff(engine, f"{role} {school}", role, school, **staff)
    return {"Authorization": f"Bearer {token}"}
