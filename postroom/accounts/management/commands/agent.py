"""`postroom agent …`: desk users from the command line (issue #4).

    postroom agent add USERNAME [--role agent|supervisor|admin] [--queue SLUG ...]
                       [--email ADDRESS] [--name "First Last"] [--password-stdin]
    postroom agent list
    postroom agent role USERNAME ROLE
    postroom agent reset-2fa USERNAME

The password is read from standard input with --password-stdin (one line), or asked for
twice when run in a terminal. Admins get the settings pages (staff, in the "Desk admins"
group with Postroom's own permissions) but are never made superusers.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Sequence
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from postroom.accounts.models import AgentProfile, Queue, Role
from postroom.accounts.roles import user_role
from postroom.accounts.totp import totp_disable

DESK_ADMINS_GROUP = "Desk admins"
ROLES = [role.value for role in Role]


class Command(BaseCommand):
    help = "Add desk users, list them, change their role, reset their two-factor sign-in."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")

        add = sub.add_parser(
            "add",
            help="Create a desk user with a role and queues.",
            description="Create a desk user. Agents see only their queues' tickets; supervisors "
            "also see service figures and may merge customers and edit macros; admins see every "
            "queue and the settings pages.",
        )
        add.add_argument("username", help="The name they sign in with.")
        add.add_argument("--role", choices=ROLES, default=Role.AGENT.value,
                         help="Desk role (default: agent).")
        add.add_argument("--queue", action="append", default=[], metavar="SLUG", dest="queues",
                         help="A queue the user works in, by slug; repeat for several.")
        add.add_argument("--email", default="", help="The user's email address (may sign in with it).")
        add.add_argument("--name", default="", help='Full name, e.g. "Mia Chen".')
        add.add_argument("--password-stdin", action="store_true",
                         help="Read the password from standard input (one line) instead of asking.")

        sub.add_parser("list", help="List desk users with role, queues and two-factor state.",
                       description="List every user who may use the desk.")

        role = sub.add_parser("role", help="Change a user's desk role.",
                              description="Change a user's desk role (admin also grants the "
                              "settings pages; other roles take them away).")
        role.add_argument("username", help="An existing user.")
        role.add_argument("role", choices=ROLES, help="The new role.")

        reset = sub.add_parser("reset-2fa", help="Turn off a user's two-factor sign-in (lost phone).",
                               description="Turn off two-factor sign-in and forget the secret; the "
                               "user signs in with the password alone and may set it up again.")
        reset.add_argument("username", help="An existing user.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "add":
            self._add(options)
        elif action == "list":
            self._list()
        elif action == "role":
            user, role = _user(options["username"]), Role(options["role"])
            agent_role_set(user=user, role=role)
            self.stdout.write(f"{user.get_username()} is now {role.label.lower()}.")
            if user.is_superuser and role != Role.ADMIN:
                self.stderr.write(f"Note: {user.get_username()} is a superuser, and superusers are "
                                  "admins on the desk whatever their role says.")
        elif action == "reset-2fa":
            user = _user(options["username"])
            totp_disable(user=user)
            self.stdout.write(f"Two-factor sign-in is off for {user.get_username()}.")

    def _add(self, options: dict[str, Any]) -> None:
        User = get_user_model()
        username = options["username"]
        if User._default_manager.filter(username__iexact=username).exists():
            raise CommandError(f"A user named {username!r} exists already; use `postroom agent role`.")
        queues = _queues(options["queues"])
        first, _, last = options["name"].strip().partition(" ")
        candidate = User(username=username, email=options["email"], first_name=first,
                         last_name=last.strip())
        password = self._password(options, candidate)
        user = agent_create(username=username, password=password, role=Role(options["role"]),
                            queues=queues, email=options["email"], first_name=first,
                            last_name=last.strip())
        where = ", ".join(q.slug for q in queues) or ("every queue" if options["role"] == "admin"
                                                      else "no queues yet")
        self.stdout.write(self.style.SUCCESS(
            f"Created {user.get_username()} ({options['role']}; {where})."))

    def _password(self, options: dict[str, Any], user: Any) -> str:
        stdin = options.get("stdin") or sys.stdin
        if options["password_stdin"]:
            password = stdin.readline().rstrip("\r\n")
        elif stdin.isatty():
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The passwords do not match.")
        else:
            raise CommandError("No password: pass --password-stdin and pipe it in, or run in a terminal.")
        if not password:
            raise CommandError("The password is empty.")
        try:
            validate_password(password, user)
        except ValidationError as error:
            raise CommandError("Password refused: " + " ".join(error.messages)) from error
        return password

    def _list(self) -> None:
        User = get_user_model()
        users = (User._default_manager.select_related("agent_profile").prefetch_related("queues")
                 .order_by("username"))
        rows = []
        for user in users:
            role = user_role(user)
            profile = getattr(user, "agent_profile", None)
            was_desk_user = profile is not None or user.is_staff or user.is_superuser
            if role is None and (user.is_active or not was_desk_user):
                continue
            rows.append((
                user.get_username(),
                role.value if role is not None else "(inactive)",
                user.email or "-",
                ",".join(q.slug for q in user.queues.all()) or ("*" if role == Role.ADMIN else "-"),
                "on" if profile is not None and profile.totp_enabled else "off",
            ))
        header = ("USERNAME", "ROLE", "EMAIL", "QUEUES", "2FA")
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
        for row in [header, *rows]:
            self.stdout.write("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())


@transaction.atomic
def agent_create(*, username: str, password: str, role: Role, queues: Sequence[Queue] = (),
                 email: str = "", first_name: str = "", last_name: str = "") -> Any:
    """Create a desk user with *role*, member of *queues*."""
    User = get_user_model()
    user = User._default_manager.create_user(username, email, password, first_name=first_name,
                                             last_name=last_name)
    AgentProfile.objects.create(user=user, role=role)
    for queue in queues:
        queue.members.add(user)
    _staff_set(user, role)
    return user


@transaction.atomic
def agent_role_set(*, user: Any, role: Role) -> None:
    """Give *user* the desk *role*; admins get the settings pages, others lose them."""
    AgentProfile.objects.update_or_create(user=user, defaults={"role": role})
    _staff_set(user, role)


def _staff_set(user: Any, role: Role) -> None:
    # Staff opens /admin/ (the settings pages); the group gives Postroom's own models
    # there but not users and groups, so an admin cannot make themselves superuser.
    group = _desk_admins_group()
    if role == Role.ADMIN:
        user.is_staff = True
        user.groups.add(group)
    else:
        user.is_staff = user.is_superuser
        user.groups.remove(group)
    user.save(update_fields=["is_staff"])


def _desk_admins_group() -> Group:
    # Added each time (never removed), so models that came with an upgrade join in and
    # permissions an operator added by hand stay.
    group, _ = Group.objects.get_or_create(name=DESK_ADMINS_GROUP)
    group.permissions.add(*Permission.objects.filter(content_type__app_label__in=_postroom_apps()))
    return group


def _postroom_apps() -> list[str]:
    from django.apps import apps

    return [config.label for config in apps.get_app_configs() if config.name.startswith("postroom.")]


def _queues(slugs: list[str]) -> list[Queue]:
    found = {q.slug: q for q in Queue.objects.filter(slug__in=slugs)}
    missing = [s for s in slugs if s not in found]
    if missing:
        known = ", ".join(Queue.objects.order_by("slug").values_list("slug", flat=True)) or "none"
        raise CommandError(f"No queue with slug {', '.join(missing)} (queues: {known}).")
    return [found[s] for s in dict.fromkeys(slugs)]


def _user(username: str) -> Any:
    User = get_user_model()
    user = User._default_manager.filter(username=username).first()
    if user is None:
        raise CommandError(f"No user named {username!r}.")
    return user
