"""The `postroom` command: Django's management commands under a friendlier name.

    postroom serve              web app + SMTP/LMTP receivers + IMAP pollers + job worker
    postroom setup              migrate, create default queues and an admin account
    postroom mail import PATH…  import .eml files, folders, maildirs and mbox files
    postroom mail retry         replay quarantined messages
    postroom mail explain FILE  dry-run the intake pipeline and print each decision
    postroom agent add NAME     create a desk user (--role agent|supervisor|admin, --queue SLUG)
    postroom agent list         list desk users with their roles, queues and two-factor state
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    """Run a Postroom (Django management) command."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
    from django.core.management import execute_from_command_line

    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        args = ["help", "--commands"]
        print(__doc__)
    execute_from_command_line(["postroom", *args])


if __name__ == "__main__":
    main()
