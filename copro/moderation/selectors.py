"""Moderation reads for facilitators: the queue of reported items and the list of hidden ones.

The queue is grouped by item (one row per reported item, with how many reports it has). A page of the
queue costs the same few queries however many reports there are: the page of groups, the latest
reasons for those groups, and one query per kind of item on the page.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import reduce
from operator import or_
from typing import TYPE_CHECKING, Any

from django.db.models import Count, F, Max, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from copro.moderation import registry
from copro.moderation.models import Report, ReportStatus
from copro.moderation.registry import Reportable

if TYPE_CHECKING:
    from copro.projects.models import Project

REASONS_SHOWN = 5  # per item: the newest reasons; the count says how many more there are
HIDDEN_SHOWN = 50  # the most recently hidden items, per kind


@dataclass
class QueueItem:
    kind: str
    object_id: int
    count: int
    latest: datetime
    reportable: Reportable | None = None
    item: Any = None  # None when it was removed since it was reported
    reports: list[Report] = field(default_factory=list)
    project: Any = None

    @property
    def text(self) -> str:
        return self.reportable.text_of(self.item) if self.reportable and self.item is not None else ""

    @property
    def url(self) -> str:
        return self.reportable.url_of(self.item, self.project) if self.reportable and self.item is not None else ""

    @property
    def context(self) -> str:
        return self.reportable.context_of(self.item) if self.reportable and self.item is not None else ""

    @property
    def more(self) -> int:
        return self.count - len(self.reports)


def open_groups(project: Project) -> QuerySet[Any]:
    """One row per reported item with open reports: most reported first, then most recently reported."""
    return (
        Report.objects.filter(project=project, status=ReportStatus.OPEN)
        .values("kind", "object_id")
        .annotate(count=Count("id"), latest=Max("created_at"))
        .order_by("-count", "-latest", "kind", "object_id")
    )


def queue_items(project: Project, groups: list[dict[str, Any]]) -> list[QueueItem]:
    """The groups of one page, with their newest reasons and the items themselves."""
    rows = [
        QueueItem(
            kind=g["kind"],
            object_id=g["object_id"],
            count=g["count"],
            latest=g["latest"],
            reportable=registry.get(g["kind"]),
            project=project,
        )
        for g in groups
    ]
    if not rows:
        return rows
    by_key = {(r.kind, r.object_id): r for r in rows}
    which = reduce(or_, (Q(kind=r.kind, object_id=r.object_id) for r in rows))
    newest = (
        Report.objects.filter(which, project=project, status=ReportStatus.OPEN)
        .annotate(
            rank=Window(
                RowNumber(), partition_by=[F("kind"), F("object_id")], order_by=[F("created_at").desc(), F("id").desc()]
            )
        )
        .filter(rank__lte=REASONS_SHOWN)
        .order_by("-created_at", "-id")
    )
    for report in newest:
        by_key[(report.kind, report.object_id)].reports.append(report)
    ids_by_kind: dict[str, list[int]] = {}
    for r in rows:
        if r.reportable is not None:
            ids_by_kind.setdefault(r.kind, []).append(r.object_id)
    for kind, ids in ids_by_kind.items():
        reportable = registry.KINDS[kind]
        for item in reportable.in_project(project).filter(pk__in=ids):
            by_key[(kind, item.pk)].item = item
    return rows


@dataclass
class HiddenItem:
    reportable: Reportable
    item: Any
    url: str


def hidden_items(project: Project) -> list[HiddenItem]:
    """What facilitators have hidden, most recent first (one query per kind)."""
    found: list[HiddenItem] = []
    for reportable in registry.KINDS.values():
        items = (
            reportable.in_project(project)
            .filter(hidden_at__isnull=False)
            .select_related("hidden_by")
            .order_by("-hidden_at")[:HIDDEN_SHOWN]
        )
        found.extend(HiddenItem(reportable, item, reportable.url_of(item, project)) for item in items)
    found.sort(key=lambda h: h.item.hidden_at, reverse=True)
    return found[:HIDDEN_SHOWN]


def open_report_count(project: Project) -> int:
    return Report.objects.filter(project=project, status=ReportStatus.OPEN).count()


def open_reports(project: Project, kind: str, object_id: int, limit: int = 20) -> list[Report]:
    return list(
        Report.objects.filter(project=project, kind=kind, object_id=object_id, status=ReportStatus.OPEN)[:limit]
    )


def first_open_report(project: Project, kind: str, object_id: int) -> Report | None:
    return (
        Report.objects.filter(project=project, kind=kind, object_id=object_id, status=ReportStatus.OPEN)
        .select_related("project")
        .first()
    )
