"""Desk views: the composer (issue #4). Placeholder until the composer lands."""

from typing import Any

from django.http import HttpRequest
from django.urls import URLPattern

from postroom.tickets.models import Ticket

urlpatterns: list[URLPattern] = []


def composer_context(request: HttpRequest, ticket: Ticket, **kwargs: Any) -> dict[str, Any]:
    """Return what desk/ticket/_composer.html needs for *ticket*."""
    return {}
