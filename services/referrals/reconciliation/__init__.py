"""Daily reconciliation: each school's registers against the pupils on roll who could attend, so the
operations team hears of a silent connector before the school does."""
