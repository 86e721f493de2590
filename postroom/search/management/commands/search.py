"""`postroom search …`: maintain the full-text search index.

    postroom search rebuild     rebuild every ticket's search document (progress bar)

Documents are refreshed as tickets change; a rebuild is needed after restoring a backup,
after an upgrade that changes what is indexed, or to fill the index of an existing desk.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand
from tqdm import tqdm


class Command(BaseCommand):
    help = "Maintain the full-text search index of tickets, messages and customers."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        sub.add_parser(
            "rebuild",
            help="Rebuild every ticket's search document.",
            description="Rebuild the search document of every ticket, 1,000 at a time. "
            "Search keeps working meanwhile; documents of deleted tickets are dropped.",
        )

    def handle(self, *args, action: str, **options):
        from postroom.search.services import search_rebuild
        from postroom.tickets.models import Ticket

        total = Ticket.objects.count()
        with tqdm(total=total, unit="ticket", disable=options["verbosity"] == 0) as bar:
            count = search_rebuild(progress=bar.update)
        self.stdout.write(f"Indexed {count} tickets.")
