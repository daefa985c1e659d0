"""`copro ideas digest`: queue the weekly summary of news about ideas people support, for everyone who chose
weekly emails. Run it once a week from cron or a systemd timer, next to `copro updates digest`; the
background worker (`copro db_worker`) sends it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from copro.ideas import tasks


class Command(BaseCommand):
    help = "Send the weekly summary of news about the ideas people support (for those who chose weekly emails)."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        digest = sub.add_parser("digest", help="queue the weekly summary (the background worker sends it)")
        digest.add_argument(
            "--now", action="store_true", help="send it in this process instead of queueing it for the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            sent = tasks.send_digests.call()
            self.stdout.write(f"sent {sent} summary email(s)")
        else:
            result = tasks.send_digests.enqueue()
            self.stdout.write(f"weekly summary queued (task {result.id})")
