from prometheus_client import Counter, Gauge, Histogram

EVENTS = Counter("risk_engine_events_total", "Events consumed", ["topic", "outcome"])
LATENCY = Histogram(
    "risk_engine_processing_seconds",
    "From the mark's creation at ingest to its alerts being sent",
    buckets=(0.01, 0.025, 0.05, 0.075, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10),
)
TAKE_MARKS = Histogram(
    "risk_engine_take_marks",
    "Marks per take: small on a live stream, up to RISK_ENGINE_BATCH_SIZE behind a backlog",
    buckets=(1, 10, 100, 250, 500, 1000, 2000, 4000, 8000, 16000),
)
ALERTS = Counter("risk_engine_alerts_total", "Alert transitions emitted", ["rule", "transition"])
DEAD_LETTERS = Counter("risk_engine_dead_letters_total", "Events sent to the dead-letter topic", ["topic"])
PUPILS = Gauge("risk_engine_pupils", "Pupils held in this worker's state table")
LAST_PROCESSED = Gauge("risk_engine_last_processed_timestamp_seconds", "When the last event was processed")
ASSIGNED_PARTITIONS = Gauge("risk_engine_assigned_partitions", "Marks partitions this worker holds")
CONSUMER_LAG = Gauge("risk_engine_consumer_lag", "Marks on this worker's partitions not yet processed")
HEALTHY = Gauge("risk_engine_healthy", "1 while the worker makes progress; 0 when marks wait and nothing moves")
