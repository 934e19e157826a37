from prometheus_client import Counter, Gauge, Histogram

CONSUMED = Counter("notifications_events_total", "Events consumed", ["topic", "outcome"])
DELIVERED = Counter("notifications_deliveries_total", "Delivery tries, by channel and outcome", ["channel", "outcome"])
LATENCY = Histogram(
    "notifications_delivery_latency_seconds",
    "From the event's creation to the channel's acceptance (digests: from the oldest item)",
    ["channel", "kind"],
    buckets=(0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300, 3600, 86400),
)
DIGEST_SIZE = Histogram(
    "notifications_digest_items", "Events in each digest", buckets=(1, 2, 5, 10, 20, 50, 100, 200, 500)
)
FAILED_WAITING = Gauge(
    "notifications_failed_deliveries", "Deliveries failed for good and dead-lettered, not yet resent"
)
CALLBACKS = Counter("notifications_channel_receipts_total", "Delivery receipts from channels", ["channel", "status"])
OUTBOX_PUBLISHED = Counter("notifications_outbox_published_total", "Parent round entries published from the outbox")
