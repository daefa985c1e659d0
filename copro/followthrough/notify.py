"""Who hears of a commitment's news, and queueing it: the request does one bulk insert and one task.

Contributors are found by walking the typed links upstream from the commitment: the items it came from
(a decision, an idea, a meeting action, a consultation) and the items that led to those (an idea taken to
the decision...), up to MAX_DEPTH steps. Each item's component says who took part in it
(`registry.contributors("app.model")`). The sending task (copro.followthrough.tasks) then decides, per
person, whether to email now, keep it for their weekly summary, or not email at all.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType
from django.db.models import F, Q

from copro.core.components import registry
from copro.core.models import ResourceLink, Visibility

if TYPE_CHECKING:
    from copro.followthrough.models import Commitment, CommitmentUpdate

# The commitment's sources, what led to them, and what led to those (team -> idea -> decision -> commitment).
MAX_DEPTH = 3
INSERT_BATCH = 2000
# Rows per `IN (...)` list, well under SQLite's limit of 32,766 parameters.
ID_CHUNK = 5000


def _label(content_type_id: int) -> str:
    ct = ContentType.objects.get_for_id(content_type_id)
    return f"{ct.app_label}.{ct.model}"


def upstream_items(commitment: Commitment) -> dict[str, set[int]]:
    """Every item the commitment came from, directly or through other items: {"app.model": {ids}}.
    One query per step, whatever the number of items."""
    found: dict[str, set[int]] = defaultdict(set)
    frontier: dict[int, set[int]] = {ContentType.objects.get_for_model(commitment).pk: {commitment.pk}}
    seen: set[tuple[int, int]] = set()
    for _step in range(MAX_DEPTH):
        condition = Q()
        for type_id, ids in frontier.items():
            condition |= Q(target_type_id=type_id, target_id__in=list(ids))
        rows = ResourceLink.objects.filter(condition, project_id=commitment.project_id).values_list(
            "source_type_id", "source_id"
        )
        frontier = defaultdict(set)
        for type_id, item_id in rows:
            if (type_id, item_id) in seen:
                continue
            seen.add((type_id, item_id))
            found[_label(type_id)].add(item_id)
            frontier[type_id].add(item_id)
        if not frontier:
            break
    return dict(found)


def contributors_of(commitment: Commitment) -> set[int]:
    """The ids of everyone who took part in what led to this commitment (and asked, or agreed, to hear)."""
    people: set[int] = set()
    for label, ids in upstream_items(commitment).items():
        who = registry.contributors(label)
        if who is not None:
            people.update(int(i) for i in who(sorted(ids)) if i is not None)
    return people


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    items = sorted(ids)
    for start in range(0, len(items), ID_CHUNK):
        yield items[start : start + ID_CHUNK]


def _who_may_see(commitment: Commitment, ids: set[int], visibility: str | None = None) -> set[int]:
    """A members-only (or facilitators-only) commitment, or one in a private project, is told only to the
    contributors who can still see it. `visibility`: as if the commitment had this one (default: its own)."""
    from copro.projects.models import Membership, ProjectVisibility

    project = commitment.project
    visibility = visibility or commitment.visibility
    if visibility == Visibility.PUBLIC and project.visibility != ProjectVisibility.PRIVATE:
        return ids
    roles = ["facilitator"] if visibility == Visibility.STAFF else ["facilitator", "expert", "participant", "observer"]
    allowed: set[int] = set()
    for chunk in _chunks(ids):
        allowed.update(
            Membership.objects.filter(project=project, user_id__in=chunk, role__in=roles).values_list(
                "user_id", flat=True
            )
        )
    return allowed


def queue(update: CommitmentUpdate) -> int:
    """Write one notice per contributor (the author of the update excepted) and queue the task that sends
    them. Returns how many people will hear. Called inside the service's transaction: if the update rolls
    back, so do the notices and the task, and nobody hears of something that did not happen."""
    from copro.followthrough.models import CommitmentNotice
    from copro.followthrough.tasks import send_notices

    commitment = update.commitment
    ids = _who_may_see(commitment, contributors_of(commitment))
    ids.discard(update.author_id)
    if not ids:
        return 0
    CommitmentNotice.objects.bulk_create(
        [CommitmentNotice(update_id=update.pk, user_id=i) for i in sorted(ids)],
        batch_size=INSERT_BATCH,
        ignore_conflicts=True,
    )
    send_notices.enqueue(update_id=update.pk)
    return len(ids)


def queue_newly_visible(commitment: Commitment, *, was: str, editor_id: int | None) -> int:
    """The commitment's visibility widened (facilitators only -> members -> everyone): the contributors who
    can see it now and could not before are told the promise was made, as those who could see it were when
    it was made. Uses its "promise made" update (or writes one, for a commitment linked after it was made),
    so someone who was told already is not told again (one notice per update and person).
    Returns how many people will hear."""
    from copro.followthrough.models import CommitmentNotice, CommitmentUpdate
    from copro.followthrough.tasks import send_notices

    if was == commitment.visibility:
        return 0
    contributors = contributors_of(commitment)
    if not contributors:
        return 0
    ids = _who_may_see(commitment, contributors) - _who_may_see(commitment, contributors, was)
    if editor_id is not None:
        ids.discard(editor_id)  # they changed it: they know
    if not ids:
        return 0
    made = (
        CommitmentUpdate.objects.filter(commitment=commitment, status_from="")
        .exclude(status_to="")
        .order_by("created_at", "id")
        .first()
    )
    if made is None:
        made = CommitmentUpdate.objects.create(
            commitment=commitment,
            author_id=editor_id or commitment.created_by_id,
            text="",
            status_from="",
            status_to=commitment.status,
        )
    ids.discard(made.author_id)
    for chunk in _chunks(ids):
        ids -= set(CommitmentNotice.objects.filter(update=made, user_id__in=chunk).values_list("user_id", flat=True))
    if not ids:
        return 0
    CommitmentNotice.objects.bulk_create(
        [CommitmentNotice(update_id=made.pk, user_id=i) for i in sorted(ids)],
        batch_size=INSERT_BATCH,
        ignore_conflicts=True,
    )
    CommitmentUpdate.objects.filter(pk=made.pk).update(recipients=F("recipients") + len(ids))
    send_notices.enqueue(update_id=made.pk)
    return len(ids)
