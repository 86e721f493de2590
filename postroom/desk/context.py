"""What every desk page's frame needs (issue #4)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from postroom.accounts.roles import user_role


def desk(request: HttpRequest) -> dict[str, Any]:
    """Return the signed-in user's desk role for the page frame's menus."""
    role = user_role(request.user) if hasattr(request, "user") else None
    return {"desk_role": role.value if role is not None else ""}
