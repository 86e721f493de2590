"""`postroom serve`: the whole help desk in one process.

Runs the web app (waitress), the SMTP and LMTP receivers (aiosmtpd), one IMAP poller per
active IMAP mailbox, the job worker (django-tasks database backend) and a sweep that
retries anything left waiting and retrains the routing models when due — until Ctrl+C or
SIGTERM.
"""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import close_old_connections

logger = logging.getLogger("postroom.serve")

SWEEP_SECONDS = 30


class Command(BaseCommand):
    help = "Run Postroom: web app, SMTP/LMTP receivers, IMAP pollers and the job worker."

    def add_arguments(self, parser):
        cfg = settings.POSTROOM
        parser.add_argument("--http", default=f"{cfg['HTTP_BIND']}:{cfg['HTTP_PORT']}", help="HOST:PORT of the web app")
        parser.add_argument("--smtp-bind", default=cfg["SMTP_BIND"], help="Address of the SMTP/LMTP receivers")
        parser.add_argument("--smtp-port", type=int, default=cfg["SMTP_PORT"], help="SMTP port (0 = off)")
        parser.add_argument("--lmtp-port", type=int, default=cfg["LMTP_PORT"], help="LMTP port (0 = off)")
        parser.add_argument("--no-imap", action="store_true", help="Do not poll IMAP mailboxes")
        parser.add_argument("--no-worker", action="store_true", help="Do not run the job worker here")

    def handle(self, *args, **opts):
        call_command("setup", verbosity=1)
        stop = threading.Event()
        stoppers: list = []

        host, _, port = opts["http"].rpartition(":")
        stoppers.append(self._start_web(host or "127.0.0.1", int(port)))

        from postroom.mail.sources.smtp import start_receivers

        if opts["smtp_port"] or opts["lmtp_port"]:
            receivers = start_receivers(bind=opts["smtp_bind"], smtp_port=opts["smtp_port"] or None,
                                        lmtp_port=opts["lmtp_port"] or None)
            stoppers.append(receivers.stop)

        if not opts["no_imap"]:
            from postroom.mail.sources.imap import start_imap_pollers, stop_imap_pollers

            pollers = start_imap_pollers()
            stoppers.append(lambda: stop_imap_pollers(pollers))
            if pollers:
                self.stdout.write(f"Polling {len(pollers)} IMAP mailbox(es)")

        if not opts["no_worker"]:
            stoppers.append(self._start_worker())
        # Load the language models now (a few seconds, once) rather than on the first mail.
        threading.Thread(target=_warm_up, name="postroom-warm-up", daemon=True).start()
        threading.Thread(target=self._sweep_loop, args=(stop,), name="postroom-sweep", daemon=True).start()

        out = "outgoing mail via SMTP relay " + settings.EMAIL_HOST if settings.EMAIL_HOST else \
            f"outgoing mail kept in the outbox and written to {settings.EMAIL_FILE_PATH}/"
        self.stdout.write(self.style.SUCCESS(f"Postroom is running: http://{host}:{port}/ ; {out}. Ctrl+C stops."))

        def _signal(signum, frame):
            stop.set()

        signal.signal(signal.SIGINT, _signal)
        signal.signal(signal.SIGTERM, _signal)
        stop.wait()
        self.stdout.write("Stopping …")
        for stopper in reversed(stoppers):
            try:
                stopper()
            except Exception:  # keep stopping the rest
                logger.exception("error while stopping")

    def _start_web(self, host: str, port: int):
        from waitress import create_server

        from config.wsgi import application

        server = create_server(application, host=host, port=port, threads=8, ident="Postroom")
        threading.Thread(target=server.run, name="postroom-web", daemon=True).start()
        return server.close

    def _start_worker(self):
        backend = settings.TASKS["default"]["BACKEND"]
        if not backend.startswith("django_tasks_db"):
            return lambda: None
        from django_tasks_db.management.commands.db_worker import Worker

        worker = Worker(queue_names=["*"], interval=0.5, batch=False, backend_name="default",
                        startup_delay=False, max_tasks=None, worker_id="postroom-serve",
                        excluded_queue_names=[])
        threading.Thread(target=worker.run, name="postroom-worker", daemon=True).start()

        def stop_worker():
            worker.running = False

        return stop_worker

    def _sweep_loop(self, stop: threading.Event) -> None:
        """Re-run anything a lost job left waiting: received mail and due outbox entries."""
        from postroom.core.statistics import database_statistics_refresh_due
        from postroom.mail.outbound.tasks import outbox_sweep
        from postroom.mail.pipeline.runner import raw_message_process, raw_messages_waiting
        from postroom.routing.schedule import routing_retrain_in_background
        from postroom.sla.escalation import sla_escalations_run, tickets_auto_close

        while not stop.wait(SWEEP_SECONDS):
            try:
                close_old_connections()
                for raw_id in raw_messages_waiting(older_than_seconds=120):
                    raw_message_process(raw_id=raw_id)
                outbox_sweep()
                routing_retrain_in_background()
                sla_escalations_run()  # warnings and escalations, each sent once
                tickets_auto_close()
                database_statistics_refresh_due()  # the planner's view of a growing desk
            except Exception:
                logger.exception("sweep failed; trying again in %ss", SWEEP_SECONDS)
            finally:
                close_old_connections()


def _warm_up() -> None:
    """Load what the first message would otherwise wait for, then freeze it for the GC."""
    import gc

    from postroom.routing.language import detect_language

    detect_language("Hello, my watch does not sync any more since the update.")
    detect_language("Hallo, meine Uhr synchronisiert seit dem letzten Update nicht mehr mit der App. " * 2)
    # The desk's routing models (and the sentence encoder they may use), once, now.
    from postroom.routing.models import RoutedField
    from postroom.routing.versions import routing_model_active

    try:
        for field in RoutedField.values:
            if (active := routing_model_active(field)) is not None:
                active.model.predict("My watch does not sync since the update.")
    except Exception:  # a model that cannot load is logged by routing; serving goes on
        logger.exception("warming up the routing models failed")
    finally:
        from django.db import connection

        connection.close()  # this thread's own connection
    # Long-lived objects (models, tables) out of the collector's way (gc.freeze docs).
    gc.collect()
    gc.freeze()
