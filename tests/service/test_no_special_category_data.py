"""No special-category or safeguarding characteristic reaches an alert's reasons, an email or an alert
list, for any rule, however many target groups the pupil is in (issue #10, item 4)."""

import dataclasses
import datetime as dt
import re

from services.notifications.messages import digest_message, event_message
from services.notifications.notices import notice_of_alert
from services.referrals.staff import Role
from shared.events import Characteristics, SenStatus
from tests.service.referrals_support import consume, headers_for
from tests.unit.engine_helpers import CONTEXT, DAYS, day_marks, run

EVERY_GROUP = Characteristics(
    fsm=True,
    sen=SenStatus.EHC_PLAN,
    eal=True,
    child_in_need=True,
    child_protection=True,
    looked_after=True,
    young_carer=True,
)
WORDS = ("free school meals", "FSM", "EHC", "SEN", "special educational", "child protection", "looked after",
         "young carer", "in need", "target group", "EAL")  # fmt: skip
AUTUMN = [d for d in DAYS if d < dt.date(2026, 1, 1)]
SPRING = [d for d in DAYS if dt.date(2026, 1, 1) <= d < dt.date(2026, 4, 1)]
SUMMER = [d for d in DAYS if d >= dt.date(2026, 4, 1)]


def every_rules_alerts():
    context = dataclasses.replace(CONTEXT, characteristics=EVERY_GROUP)
    _, absent = run(day_marks(AUTUMN[:50], lambda i, d: "N"), context=context)

    def declining(i, d):
        if d in AUTUMN:
            return "present"
        return "I" if (SPRING.index(d) % 20 == 0 if d in SPRING else SUMMER.index(d) % 8 == 0) else "present"

    _, decline = run(day_marks(AUTUMN + SPRING + SUMMER[:30], declining), context=context)
    _, sliding = run(
        day_marks(AUTUMN + SPRING[:20], lambda i, d: "I" if i >= 40 and i % 2 else "present"), context=context
    )
    alerts = absent + decline + sliding
    assert {a.rule for a in alerts} == {
        "first_week_absence",
        "persistent_absence",
        "unauthorised_10_in_10",
        "missing_education",
        "strong_attendance_decline",
        "attendance_decline",
    }
    assert {a.band for a in alerts if a.rule == "persistent_absence"} >= {"severe_absence"}
    return alerts


def leaked(text: str) -> list[str]:
    return [word for word in WORDS if re.search(rf"\b{re.escape(word)}\b", text, re.IGNORECASE)]


def test_no_characteristic_in_any_rules_email_or_alert_list(referrals):
    alerts = every_rules_alerts()
    messages = [
        event_message(notice_of_alert(a), reference="delivery-1", pages_url="https://ews.example") for a in alerts
    ]
    digest = digest_message([notice_of_alert(a) for a in alerts], day=dt.date(2026, 12, 2), reference="d",
                            pages_url="https://ews.example")  # fmt: skip
    rendered = [part for m in [*messages, digest] for part in (m.subject, m.text, m.html, m.short_text, str(m.card))]
    assert not [leaked(text) for text in rendered if leaked(text)]
    client, engine = referrals
    consume(engine, *alerts)
    listing = client.get("/v1/alerts?limit=500", headers=headers_for(referrals, Role.LA_ATTENDANCE_OFFICER)).text
    assert (
        len(
            client.get("/v1/alerts?limit=500", headers=headers_for(referrals, Role.LA_ATTENDANCE_OFFICER)).json()[
                "items"
            ]
        )
        > 5
    )
    assert leaked(listing) == []
