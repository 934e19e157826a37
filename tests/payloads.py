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


def calendar_body(**overrides) -> dict:
    body = {
        "school_urn": SCHOOL,
        "academic_year": "2025/26",
        "terms": [
            {"name": "autumn", "start": "2025-09-03", "end": "2025-12-19"},
            {"name": "spring", "start": "2026-01-05", "end": "2026-03-27"},
            {"name": "summer", "start": "2026-04-13", "end": "2026-07-21"},
        ],
        "closures": [],
    }
    return {**body, **overrides}


def activity_row(**overrides) -> dict:
    row = {"activity_id": "ART-2026-01", "name": "Saturday art workshop", "kind": "cultural_workshop"}
    return {**row, **overrides}


def activity_attendance_row(**overrides) -> dict:
    row = {
        "activity_id": "ART-2026-01",
        "school_urn": SCHOOL,
        "upn": UPN,
        "date": "2025-10-04",
        "attended": True,
        "recorded_at": "2025-10-04T12:30:00Z",
    }
    return {**row, **overrides}
