"""Customer satisfaction surveys after a ticket is solved (issue #5)."""
