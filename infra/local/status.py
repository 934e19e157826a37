"""The status line `ews run` prints every few seconds, so progress is readable among the logs."""

from __future__ import annotations

from infra.local.metrics import read_metric


def status_line(urls: dict[str, str]) -> str:
    marks = read_metric(urls["ingest"], "ingest_marks_accepted_total")
    raised = read_metric(urls["risk_engine"], "risk_engine_alerts_total", transition="raised")
    cases = read_metric(urls["referrals"], "referrals_events_total", topic="risk.alerts", outcome="handled")
    sent = read_metric(urls["notifications"], "notifications_deliveries_total", outcome="sent")
    return (
        f"status  marks fed {marks:,.0f} · alerts raised {raised:,.0f} · "
        f"alert events in referrals {cases:,.0f} · emails sent {sent:,.0f}"
    )
