from prometheus_client import Counter

CONSUMED = Counter("notifications_events_total", "Events consumed", ["topic", "outcome"])
DELIVERED = Counter("notifications_deliveries_total", "Delivery tries, by channel and outcome", ["channel", "outcome"])
