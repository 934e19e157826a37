"""Cases and the alerts that join them: the service layer the JSON API (and pages) call."""
