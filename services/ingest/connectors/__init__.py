"""Connectors that pull from MIS systems and publish through the ingest API like any client."""
