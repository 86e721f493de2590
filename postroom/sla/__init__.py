"""Service levels: business-hours calendars, policies, due times, breach and escalation."""
