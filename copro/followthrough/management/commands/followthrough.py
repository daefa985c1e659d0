"""`copro followthrough overdue` (daily) and `copro followthrough digest` (weekly), from cron or a systemd
timer (docs/facilitators/you-said-we-did.md). The background worker (`copro db_worker`) does the sending.

- overdue: tell each overdue commitment's owner and the project's facilitators, once per commitment; and
  send again the update emails a worker killed mid-send left half-sent (as `retry` does);
- digest: send people who chose a weekly summary the commitment news kept for them;
- retry: queue again the update emails left "sending" for over 15 minutes by a worker that died.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from copro.followthrough import services, tasks


class Command(BaseCommand):
    help = "Follow-through's scheduled work: flag overdue commitments (daily); send the weekly summaries."

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        overdue = sub.add_parser("overdue", help="flag overdue commitments to their owners and facilitators (daily)")
        overdue.add_argument("--queue", action="store_true", help="queue it for the background worker instead")
        sub.add_parser("retry", help="send again update emails a dead worker left half-sent (over 15 minutes)")
        digest = sub.add_parser("digest", help="queue the weekly summaries of commitment news (weekly)")
        digest.add_argument(
            "--now", action="store_true", help="send them in this process instead of queueing them for the worker"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "retry":
            self.stdout.write(f"{tasks.requeue_stale()} update(s) queued to be sent again")
            return
        if options["action"] == "overdue":
            if options["queue"]:
                queued = tasks.flag_overdue.enqueue()
                self.stdout.write(f"overdue check queued (task {queued.id})")
                return
            requeued = tasks.requeue_stale()
            if requeued:
                self.stdout.write(f"{requeued} update(s) left half-sent queued to be sent again")
            flagged = services.overdue_flag()
            self.stdout.write(f"{len(flagged)} overdue commitment(s) flagged to their owners and facilitators")
            return
        if options["now"]:
            counts = tasks.send_digest.call()
            self.stdout.write(
                f"sent {counts['sent']} summary email(s) listing {counts['updates']} update(s); "
                f"{counts['failed']} refused, {counts['skipped']} not wanted"
            )
        else:
            result = tasks.send_digest.enqueue()
            self.stdout.write(f"weekly summaries queued (task {result.id})")
