"""Desk views: inbox (issue #4)."""

from django.urls import URLPattern

urlpatterns: list[URLPattern] = []
