"""Ingest metrics. Labels are bounded: never a pupil, UPN, name or school."""

from prometheus_client import Counter, Gauge, Histogram

MARKS_ACCEPTED = Counter("ingest_marks_accepted_total", "Marks acknowledged by the broker")
MARKS_REJECTED = Counter("ingest_marks_rejected_total", "Invalid fields refused, by pydantic error type", ["reason"])
PUPILS_ACCEPTED = Counter("ingest_pupils_accepted_total", "Pupil records acknowledged by the broker")
ACTIVITY_ATTENDANCE_ACCEPTED = Counter(
    "ingest_activity_attendance_accepted_total", "Activity register rows acknowledged by the broker"
)
PUBLISH_SECONDS = Histogram(
    "ingest_publish_seconds",
    "Time from first send to the broker's last ack for a request",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)
BATCH_ROWS = Histogram("ingest_batch_rows", "Marks per request", buckets=(1, 10, 50, 100, 500, 1000, 2500, 5000))
BROKER_UNAVAILABLE = Counter("ingest_broker_unavailable_total", "Requests answered 503 because the broker failed")
RATE_LIMITED = Counter("ingest_rate_limited_total", "Requests answered 429")
# One series per issued key: bounded by the operator, never by input.
CONNECTOR_LAST_SEEN = Gauge(
    "ingest_connector_last_seen_timestamp_seconds", "When each connector key last made a request", ["connector"]
)
