"""Who may use the desk and what they see: roles and queue membership (issue #4)."""

from __future__ import annotations

from typing import Any

from postroom.accounts.models import AgentProfile, Role


def user_role(user: Any) -> Role | None:
    """Return *user*'s desk role, None when they may not use the desk at all.

    Superusers are admins; a user with an AgentProfile has its role; other staff are
    agents (the admin-era accounts). Inactive and anonymous users have none.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if hasattr(user, "_postroom_role"):
        cached: Role | None = user._postroom_role
        return cached
    role: Role | None
    if user.is_superuser:
        role = Role.ADMIN
    else:
        try:
            role = Role(user.agent_profile.role)
        except AgentProfile.DoesNotExist:
            role = Role.AGENT if user.is_staff else None
    user._postroom_role = role
    return role


def sees_every_queue(user: Any) -> bool:
    """Return whether *user* sees every queue's tickets (admins)."""
    return user_role(user) == Role.ADMIN


def is_supervisor(user: Any) -> bool:
    """Return whether *user* is a supervisor or an admin."""
    return user_role(user) in (Role.SUPERVISOR, Role.ADMIN)


def queue_ids_visible_to(user: Any) -> list[int] | None:
    """Return the ids of the queues *user* works in; None means every queue (admins)."""
    if sees_every_queue(user):
        return None
    if user_role(user) is None:
        return []
    cached = getattr(user, "_postroom_queue_ids", None)
    if cached is None:
        cached = sorted(user.queues.values_list("id", flat=True))
        user._postroom_queue_ids = cached
    return list(cached)
