"""Background tasks for consultations: importing a big CSV file (see imports.py).

A run is claimed by moving it from queued to running under a row lock, so a task that is delivered
twice, or run again by hand, does nothing the second time.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task

logger = logging.getLogger(__name__)


@task()
def import_run(run_id: int) -> dict[str, int]:
    """Import the file saved in ImportRun `run_id`; returns the report's counts (empty if it was not queued)."""
    from copro.consultations import imports
    from copro.consultations.models import ImportRun, ImportStatus

    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status != ImportStatus.QUEUED:
            return {}
        now = timezone.now()
        run.status = ImportStatus.RUNNING
        run.started_at = run.updated_at = now
        run.save(update_fields=["status", "started_at", "updated_at"])
    try:
        report = imports.process_run(run)
    except Exception:
        logger.exception("Import run %s stopped", run_id)
        raise
    return report.summary()
