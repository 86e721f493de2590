"""`postroom setup`: migrate, create the default queues and mailboxes and an admin."""

from __future__ import annotations

import os
import secrets

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import transaction

DEFAULT_QUEUES = [
    # (name, slug, mailbox local part, default queue?)
    ("Technical Support", "support", "support", True),
    ("Billing", "billing", "billing", False),
    ("Warranty & Returns", "warranty", "warranty", False),
    ("Accounts & Privacy", "privacy", "privacy", False),
]


class Command(BaseCommand):
    help = "Prepare the database: migrations, default queues and mailboxes, an admin account."

    def add_arguments(self, parser):
        parser.add_argument("--admin-username", default=os.environ.get("POSTROOM_ADMIN_USERNAME", "admin"))
        parser.add_argument("--no-static", action="store_true", help="Skip collecting static files.")

    def handle(self, *args, admin_username: str, no_static: bool, **options):
        verbosity = options["verbosity"]
        call_command("migrate", interactive=False, verbosity=max(0, verbosity - 1))
        if not no_static:
            call_command("collectstatic", interactive=False, verbosity=0)
        created = self._default_queues()
        if created and verbosity:
            self.stdout.write(f"Created queues and mailboxes: {', '.join(created)}")
        self._admin(admin_username, verbosity)

    @transaction.atomic
    def _default_queues(self) -> list[str]:
        from postroom.accounts.models import Queue
        from postroom.mail.models import Mailbox, MailboxAddress

        if Queue.objects.exists():
            return []
        domain = settings.POSTROOM["MAIL_DOMAIN"]
        created = []
        for name, slug, local, is_default in DEFAULT_QUEUES:
            queue = Queue.objects.create(name=name, slug=slug, is_default=is_default)
            mailbox = Mailbox.objects.create(name=slug, queue=queue)
            MailboxAddress.objects.create(mailbox=mailbox, address=f"{local}@{domain}")
            created.append(f"{name} <{local}@{domain}>")
        return created

    def _admin(self, username: str, verbosity: int) -> None:
        User = get_user_model()
        if User.objects.filter(is_superuser=True).exists():
            return
        password = os.environ.get("POSTROOM_ADMIN_PASSWORD") or secrets.token_urlsafe(12)
        User.objects.create_superuser(username=username, email="", password=password)
        if not verbosity:
            return
        cfg = settings.POSTROOM
        host = cfg["HTTP_BIND"] if cfg["HTTP_BIND"] not in {"0.0.0.0", "::"} else "localhost"  # noqa: S104
        self.stdout.write(self.style.SUCCESS(
            "\nAn admin account was created.\n"
            f"  Sign in to the desk at http://{host}:{cfg['HTTP_PORT']}/desk/ as '{username}' with password: {password}\n"
            f"  (settings: http://{host}:{cfg['HTTP_PORT']}/admin/; add agents there or with `postroom agent add`)\n"
            "  (shown once; change it after signing in, or set POSTROOM_ADMIN_PASSWORD before the first start)\n"
        ))
