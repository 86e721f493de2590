"""Routing: where a ticket goes and in which language it is answered."""
