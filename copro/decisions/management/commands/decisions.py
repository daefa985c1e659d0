"""`copro decisions tick`: close votes whose time has come and send review reminders. Run it every few
minutes from cron or a systemd timer (docs/deployment.md)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from copro.decisions import services


class Command(BaseCommand):
    help = "Close polls and budgets whose closing time has passed, and remind facilitators of review dates."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("tick", help="close due votes and send review reminders")

    def handle(self, *args: Any, **options: Any) -> None:
        closed = services.close_due()
        reminded = services.remind_reviews()
        self.stdout.write(f"closed {len(closed)} decision(s); sent review reminders for {len(reminded)}")
