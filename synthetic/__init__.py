"""A seeded synthetic borough: schools, pupils, calendars and AM/PM marks."""
