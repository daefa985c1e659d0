from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from copro.core.activity import verify_chain
from copro.core.models import ActivityEntry


class Command(BaseCommand):
    help = "Audit log tools. `copro audit verify` checks the hash chain and names the first broken entry."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args: Any, **options: Any) -> None:
        checked, broken, why = verify_chain()
        if broken is not None:
            when = f"{broken.created_at:%Y-%m-%d %H:%M:%S}"
            raise CommandError(
                f"The audit log is broken at entry #{broken.pk} ({broken.verb}, {when}): {why}. "
                f"{checked} entries before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"The audit log is intact: {checked} entries checked."))
        if checked:
            # The chain cannot show entries cut off the end. Keeping the latest fingerprint somewhere
            # else (a ticket, a printed report) lets a later check show that nothing after it was removed.
            last_id, last_hash = ActivityEntry.objects.order_by("id").values_list("id", "hash")[checked - 1]
            self.stdout.write(f"Latest entry checked: #{last_id}, fingerprint {last_hash}.")
