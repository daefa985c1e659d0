from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from copro.core.permissions import TABLE


class Command(BaseCommand):
    help = "Print the permission table (role x action) that every component declares."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--markdown", action="store_true", help="As the Markdown table in docs/permissions.md")

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(TABLE.markdown(), ending="")
