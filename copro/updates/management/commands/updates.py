"""`copro updates digest`: queue the weekly digest of updates for everyone who chose it. Run it once a
week from cron or a systemd timer (docs/facilitators/updates.md, docs/deployment.md); the background
worker (`copro db_worker`) sends it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from copro.updates import tasks


class Command(BaseCommand):
    help = "Send the weekly digest of updates to subscribers who chose a weekly email."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        digest = sub.add_parser("digest", help="queue the weekly digest (the background worker sends it)")
        digest.add_argument(
            "--now", action="store_true", help="send it in this process instead of queueing it for the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            counts = tasks.send_digests.call()
            self.stdout.write(
                f"sent {counts['sent']} digest(s) listing {counts['updates']} update(s); {counts['failed']} refused"
            )
        else:
            result = tasks.send_digests.enqueue()
            self.stdout.write(f"weekly digest queued (task {result.id})")
