from prometheus_client import Counter

CONSUMED = Counter("referrals_events_total", "Events consumed", ["topic", "outcome"])
OUTBOX_PUBLISHED = Counter("referrals_outbox_published_total", "Referral events published from the outbox")
