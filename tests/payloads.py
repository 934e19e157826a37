"""Request bodies connectors send, for tests that need a valid one to vary."""

from shared.upn import make_upn

SCHOOL = "123456"
UPN = make_upn(807, 4001, 18, 1)


def mark_row(**overrides) -> dict:
    row = {
        "school_urn": SCHOOL,
        "upn": UPN,
        "date": "2025-09-08",
        "session": "AM",
        "code": "N",
        "recorded_at": "2025-09-08T09:05:00Z",
    }
    return {**row, **overrides}


def pupil_row(**overrides) -> dict:
    row = {
        "school_urn": SCHOOL,
        "upn": UPN,
        "given_name": "Maya",
        "family_name": "Patel",
        "date_of_birth": "2012-04-17",
        "year_group": 8,
        "admission_date": "2023-09-04",
    }
    return {**row, **overrides}
