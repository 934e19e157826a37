"""The contract every service shares: events, topics, register codes, settings."""
