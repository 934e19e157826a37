from prometheus_client import Counter, Gauge

from services.referrals.reconciliation.gaps import Reconciliation

CONSUMED = Counter("referrals_events_total", "Events consumed", ["topic", "outcome"])
OUTBOX_PUBLISHED = Counter("referrals_outbox_published_total", "Referral events published from the outbox")

# The casework KPIs for the borough, refreshed every minute (per school: GET /v1/kpis; labels stay bounded).
KPI_FLAGGED = Gauge("referrals_kpi_flagged_pupils", "Pupils with a case (flagged)")
KPI_SUPPORTED_SHARE = Gauge(
    "referrals_kpi_supported_in_time_ratio", "Share of flagged pupils with support started within 10 school days"
)
KPI_FUNNEL = Gauge("referrals_kpi_funnel", "Referrals reaching each step", ["intervention", "step"])
KPI_WAITLIST = Gauge("referrals_kpi_waitlist", "Referrals waiting for a place")
KPI_WAIT_DAYS = Gauge("referrals_kpi_referral_to_start_days", "Median days from referral to start")
KPI_CLOSED = Gauge("referrals_kpi_cases_closed", "Closed cases by outcome", ["outcome"])


def refresh_kpis(figures) -> None:
    KPI_FLAGGED.set(figures.flagged_pupils)
    KPI_SUPPORTED_SHARE.set(figures.share_supported_in_time or 0)
    KPI_WAITLIST.set(figures.waitlist_length)
    KPI_WAIT_DAYS.set(figures.median_days_referral_to_start or 0)
    for intervention, steps in figures.by_intervention.items():
        for step, count in steps.items():
            KPI_FUNNEL.labels(intervention, step).set(count)
    for outcome, count in figures.cases_closed_by_outcome.items():
        KPI_CLOSED.labels(outcome).set(count)


# Today's registers against the pupils on roll, refreshed every minute. School URNs are public
# identifiers of institutions, not people, and bounded by the borough's schools.
REGISTER_UNMARKED = Gauge(
    "referrals_register_unmarked_pupils", "Pupils on roll with no mark today", ["school_urn", "session"]
)
REGISTER_OVERDUE = Gauge(
    "referrals_register_overdue",
    "1 when a school day's register has no mark after its deadline",
    ["school_urn", "session"],
)


def refresh_registers(reconciliation: Reconciliation) -> None:
    REGISTER_UNMARKED.clear()
    REGISTER_OVERDUE.clear()
    for school in reconciliation.sessions:
        key = (school.school_urn, school.session)
        REGISTER_UNMARKED.labels(*key).set(school.unmarked)
        REGISTER_OVERDUE.labels(*key).set(int(key in reconciliation.overdue))
