"""Open data: a project's public commitments, decisions and activity, as CSV and JSON, and a public feed.

Only public data, whoever asks: commitments shared with everyone, decisions once opened (drafts are never
published), and activity log entries visible to everyone. Nothing here names the people behind a commitment
or a vote; the activity text names only those the public activity page already names.

The files (`rows(dataset, project)`) and the feed (`feed_page`) are versioned: ``FORMAT_VERSION`` changes
only when a field is removed or changes meaning; new fields may be added at any time. The fields are listed
in ``FIELDS`` and documented on the open data page and in docs/facilitators/reports-and-health.md.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Max, Q
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from copro.core import activity
from copro.core.csvfiles import safe
from copro.core.models import ActivityEntry, ResourceLink, Visibility
from copro.followthrough.models import Commitment, CommitmentUpdate
from copro.followthrough.reports import _model
from copro.projects.models import MemberRole, Membership, Project

FORMAT_VERSION = 1
FEED_PAGE_SIZE = 50
# Public files and the feed may be cached for 5 minutes by browsers and shared caches.
PUBLIC_MAX_AGE = 300

FIELDS: dict[str, list[tuple[str, Any]]] = {
    "commitments": [
        ("id", _("The commitment's number in Copro (stable).")),
        ("title", _("What the project will do (“we will …”).")),
        ("description", _("What this means in practice.")),
        ("status", _("planned, in_progress, done, changed or dropped.")),
        ("status_reason", _("Why it changed or was dropped, in plain words.")),
        ("due_on", _("The date it is due by (YYYY-MM-DD).")),
        ("done_at", _("When it was done (ISO 8601), or empty.")),
        ("created_at", _("When it was made (ISO 8601).")),
        ("owner_role", _("The owner's role in the project (participant, expert, facilitator, observer), or empty.")),
        ("participant_owned", _("true when a participant owns or shares ownership of it.")),
        ("milestones", _("How many milestones it has.")),
        ("milestones_done", _("How many of them are done.")),
        ("updates", _("How many updates have been posted about it.")),
        ("last_update_at", _("When the latest update was posted (ISO 8601), or empty.")),
        ("came_from", _("What led to it: items such as decisions.decision:12 or ideas.idea:7, separated by spaces.")),
        ("url", _("Its page.")),
    ],
    "decisions": [
        ("id", _("The decision's number in Copro (stable).")),
        ("kind", _("proposal, poll or budget.")),
        ("question", _("The question or proposal.")),
        ("status", _("open or closed.")),
        ("method", _("How it is decided (the voting method, counting rule or process).")),
        ("who_could_decide", _("The roles that could vote, separated by spaces.")),
        ("equal_votes", _("true when every vote counted the same.")),
        ("opened_at", _("When it opened (ISO 8601).")),
        ("closes_at", _("When it closes or closed (ISO 8601).")),
        ("closed_at", _("When it was closed (ISO 8601), or empty.")),
        ("took_part", _("How many took part (when closed).")),
        ("offline", _("Of them, how many took part on paper, in person or with a voting code.")),
        ("outcome", _("adopted, adopted_changed, not_adopted, withdrawn or counted; empty while open.")),
        ("outcome_statement", _("The outcome in plain words.")),
        ("winners", _("What won (polls and budgets), separated by semicolons.")),
        ("rationale", _("Why, in plain words.")),
        ("url", _("Its page.")),
    ],
    "activity": [
        ("id", _("The entry's number in the activity log (stable; larger is later).")),
        ("published", _("When it happened (ISO 8601).")),
        ("kind", _("What happened, as a code (for example decisions.closed).")),
        ("summary", _("What happened, in words, in the language asked for.")),
        ("target_type", _("The kind of item it is about (for example followthrough.commitment), or empty.")),
        ("target_id", _("That item's number, or empty.")),
        ("target_label", _("That item's title when it happened.")),
    ],
}
DATASETS = {
    "commitments": _("Commitments (“you said, we did”)"),
    "decisions": _("Decisions"),
    "activity": _("Public activity"),
}


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _iso(value: Any) -> str:
    return value.isoformat() if value is not None else ""


def public_commitments(project: Project) -> Any:
    return Commitment.objects.filter(project=project, visibility=Visibility.PUBLIC).order_by("id")


def _keyset(queryset: Any, after: int | None, limit: int | None, chunk: int = 500) -> Iterator[list[Any]]:
    """Walk a queryset in id order, `chunk` rows at a time, starting after the id `after` and stopping after
    `limit` rows: memory stays one chunk, however big the project, and every page is a cheap indexed query."""
    last = after or 0
    left = limit
    while left is None or left > 0:
        size = chunk if left is None else min(chunk, left)
        batch = list(queryset.filter(id__gt=last).order_by("id")[:size])
        if not batch:
            return
        yield batch
        last = batch[-1].pk
        if left is not None:
            left -= len(batch)
        if len(batch) < size:
            return


def commitment_rows(project: Project, after: int | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
    commitments = public_commitments(project).annotate(
        milestone_count=Count("milestones", distinct=True),
        milestones_done_count=Count("milestones", filter=Q(milestones__done_at__isnull=False), distinct=True),
    )
    commitment_type = ContentType.objects.get_for_model(Commitment)
    for batch in _keyset(commitments, after, limit):
        ids = [c.pk for c in batch]
        co_owners: dict[int, list[int]] = {}
        for commitment_id, user_id in Commitment.co_owners.through.objects.filter(commitment_id__in=ids).values_list(
            "commitment_id", "user_id"
        ):
            co_owners.setdefault(commitment_id, []).append(user_id)
        people = {c.owner_id for c in batch if c.owner_id} | {u for us in co_owners.values() for u in us}
        roles = dict(Membership.objects.filter(project=project, user_id__in=people).values_list("user_id", "role"))
        updates: dict[int, int] = {}
        last: dict[int, Any] = {}
        for commitment_id, n, latest in (
            CommitmentUpdate.objects.filter(commitment_id__in=ids)
            .values("commitment_id")
            .annotate(n=Count("id"), latest=Max("created_at"))
            .values_list("commitment_id", "n", "latest")
        ):
            updates[commitment_id], last[commitment_id] = n, latest
        sources: dict[int, list[str]] = {}
        for target_id, app_label, model, source_id in (
            ResourceLink.objects.filter(project=project, target_type=commitment_type, target_id__in=ids)
            .order_by("id")
            .values_list("target_id", "source_type__app_label", "source_type__model", "source_id")
        ):
            sources.setdefault(target_id, []).append(f"{app_label}.{model}:{source_id}")
        for c in batch:
            owners = [c.owner_id, *co_owners.get(c.pk, [])]
            yield {
                "id": c.pk,
                "title": c.title,
                "description": c.description,
                "status": c.status,
                "status_reason": c.status_reason,
                "due_on": c.due_on.isoformat(),
                "done_at": _iso(c.done_at),
                "created_at": _iso(c.created_at),
                "owner_role": roles.get(c.owner_id, ""),
                "participant_owned": any(roles.get(u) == MemberRole.PARTICIPANT for u in owners),
                "milestones": c.milestone_count,
                "milestones_done": c.milestones_done_count,
                "updates": updates.get(c.pk, 0),
                "last_update_at": _iso(last.get(c.pk)),
                "came_from": " ".join(sources.get(c.pk, [])),
                "url": _url("followthrough:commitment", project.slug, c.pk),
            }


def public_decisions(project: Project) -> Any:
    model: Any = _model("decisions.Decision")
    if model is None:
        return None
    return model._default_manager.filter(project=project).exclude(status="draft").order_by("id")


def decision_rows(project: Project, after: int | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
    decisions = public_decisions(project)
    if decisions is None:
        return
    for d in (d for batch in _keyset(decisions, after, limit) for d in batch):
        participation = d.participation or {}
        result = d.result if isinstance(d.result, dict) else {}
        yield {
            "id": d.pk,
            "kind": d.kind,
            "question": d.title,
            "status": d.status,
            "method": d.method or d.rule or d.process,
            "who_could_decide": " ".join(d.electorate_roles or []),
            "equal_votes": d.equal_votes,
            "opened_at": _iso(d.opened_at),
            "closes_at": _iso(d.closes_at),
            "closed_at": _iso(d.closed_at),
            "took_part": participation.get("total", "") if d.status == "closed" else "",
            "offline": participation.get("offline", "") if d.status == "closed" else "",
            "outcome": d.outcome,
            "outcome_statement": d.outcome_statement,
            "winners": "; ".join(result.get("winner_titles", []) or []),
            "rationale": d.rationale,
            "url": _url("decisions:detail", project.slug, d.pk),
        }


def public_activity(project: Project) -> Any:
    return activity.visible_entries(project, [Visibility.PUBLIC])


def activity_item(entry: ActivityEntry) -> dict[str, Any]:
    return {
        "id": entry.pk,
        "published": entry.created_at.isoformat(),
        "kind": entry.verb,
        "summary": activity.describe(entry),
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_label": entry.target_label,
    }


def activity_rows(project: Project, after: int | None = None, limit: int | None = None) -> Iterator[dict[str, Any]]:
    for batch in _keyset(public_activity(project), after, limit, chunk=1000):
        for entry in batch:
            yield activity_item(entry)


ROWS = {"commitments": commitment_rows, "decisions": decision_rows, "activity": activity_rows}
QUERYSETS = {"commitments": public_commitments, "decisions": public_decisions, "activity": public_activity}


def rows(
    dataset: str, project: Project, after: int | None = None, limit: int | None = None
) -> Iterator[dict[str, Any]]:
    """The dataset's rows in id order: all of them (the files), or `limit` rows after the id `after` (a page
    of the API). Read a chunk at a time, never the whole dataset at once."""
    return ROWS[dataset](project, after, limit)


def count(dataset: str, project: Project) -> int:
    queryset = QUERYSETS[dataset](project)
    return queryset.count() if queryset is not None else 0


def csv_safe(value: Any) -> Any:
    """A cell for the open-data CSV: true/false written as words, text made safe for spreadsheets
    (copro.core.csvfiles.safe, as every export)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return safe(value)


# --- The feed --------------------------------------------------------------------------------------------------


def feed_page(project: Project, before: int | None) -> dict[str, Any]:
    """One page of the public activity feed, newest first: FEED_PAGE_SIZE entries with ids below `before`.

    Entries are never changed or removed (the log is append-only), so a page, once full, stays the same:
    following `next` from any page walks the whole history exactly once.
    """
    entries = public_activity(project)
    if before is not None:
        entries = entries.filter(id__lt=before)
    page = list(entries[: FEED_PAGE_SIZE + 1])
    more = len(page) > FEED_PAGE_SIZE
    page = page[:FEED_PAGE_SIZE]
    return {"items": [activity_item(e) for e in page], "next_before": page[-1].pk if more and page else None}


def feed_etag(project: Project, before: int | None, language: str) -> str:
    """Changes whenever the page would: a new public entry (on the first page), the project's details, or the
    language of the summaries. One small query."""
    entries = public_activity(project)
    if before is not None:
        entries = entries.filter(id__lt=before)
    newest = entries.values_list("id", flat=True).first() or 0
    raw = f"v{FORMAT_VERSION}:{project.pk}:{project.updated_at.isoformat()}:{before}:{newest}:{language}"
    return '"' + hashlib.sha256(raw.encode()).hexdigest()[:32] + '"'
