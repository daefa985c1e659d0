"""`copro meetings remind`: remind people with a place, 2 days and 2 hours before their meeting (each
reminder once). Run it every 5 to 15 minutes from cron or a systemd timer (docs/deployment.md); the
background worker (`copro db_worker`) sends the emails."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from copro.meetings import tasks


class Command(BaseCommand):
    help = "Send meeting reminders (2 days and 2 hours before), each once."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        remind = sub.add_parser("remind", help="queue the reminders that are due (the background worker sends them)")
        remind.add_argument(
            "--now", action="store_true", help="work out the reminders in this process instead of queueing the task"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["now"]:
            counts = tasks.send_reminders.call()
            self.stdout.write(
                f"queued {counts['2d']} reminder(s) 2 days before and {counts['2h']} 2 hours before; "
                f"{counts['skipped']} not needed"
            )
        else:
            result = tasks.send_reminders.enqueue()
            self.stdout.write(f"meeting reminders queued (task {result.id})")
