"""Reads for follow-through: what each person may see, the "You said, we did" page, the promise-kept numbers.

The public page is built in a constant number of queries per page, whatever the number of commitments,
updates and links: the page's commitments with their progress counted in the database, then one query for
their latest updates, one for their links, one per kind of linked item, one for consultation response
counts and one for shared feedback (tests/test_commitments.py guards this at two sizes).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time
from typing import Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Exists, IntegerField, Max, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.core.models import ResourceLink, Visibility
from copro.core.permissions import FACILITATORS, MEMBERS, TABLE, Role
from copro.followthrough.models import (
    SOURCE_KINDS,
    Commitment,
    CommitmentNotice,
    CommitmentStatus,
    CommitmentUpdate,
    FeedbackMoment,
    Milestone,
)
from copro.projects.models import Membership, Project

SOURCES_SHOWN = 200  # the source picker lists at most this many of each kind, newest first
OWNERS_SHOWN = 300  # owner and co-owner choices (facilitators and experts first)


# --- Who sees which commitment -------------------------------------------------------------------


def visibilities_for(role: Role | None) -> list[str]:
    if role in FACILITATORS:
        return [Visibility.PUBLIC, Visibility.MEMBERS, Visibility.STAFF]
    if role in MEMBERS:
        return [Visibility.PUBLIC, Visibility.MEMBERS]
    return [Visibility.PUBLIC]


def visible_commitments(project: Project, role: Role | None) -> QuerySet[Commitment]:
    return Commitment.objects.filter(project=project, visibility__in=visibilities_for(role))


def with_progress(commitments: QuerySet[Commitment]) -> QuerySet[Commitment]:
    """Milestones done and in all, counted by the database (two subqueries, no join fan-out)."""

    def count(condition: Q) -> Coalesce:
        rows = (
            Milestone.objects.filter(condition, commitment=OuterRef("pk"))
            .order_by()
            .values("commitment")
            .annotate(n=Count("id"))
            .values("n")
        )
        return Coalesce(Subquery(rows, output_field=IntegerField()), Value(0))

    return commitments.annotate(
        milestones_total=count(Q()), milestones_done=count(Q(done_at__isnull=False))
    ).select_related("owner")


def progress_percent(done: int, total: int) -> int | None:
    """Milestones done out of all, as a whole percentage (None without milestones)."""
    return round(100 * done / total) if total else None


# --- What led to a commitment --------------------------------------------------------------------


@dataclass
class Source:
    """One item a commitment came from, as the public page shows it."""

    label: str  # "app.model"
    kind_label: str  # "Decision", "Idea"...
    title: str
    url: str = ""
    detail: str = ""  # a decision's outcome, a consultation's number of responses
    people: list[str] = field(default_factory=list)  # an idea's authors' public names
    via: str = ""  # the title of the linked item this one led to (an idea taken to a decision)
    hidden: bool = False  # the viewer may not see the item itself (a draft): only its kind is shown


def _model(label: str) -> Any:
    try:
        return apps.get_model(label)
    except (LookupError, ValueError):
        return None


def _url(name: str, *args: Any) -> str:
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


def _has_field(model: Any, name: str) -> bool:
    return any(f.name == name for f in model._meta.get_fields())


def _placeholder(label: str, kind_label: str, title: str) -> Source:
    """An item this viewer may not see (a draft, something hidden): named by its kind only, no title or link."""
    return Source(label, kind_label, title, hidden=True)


def _visible(queryset: QuerySet[Any], visible: QuerySet[Any] | None, field: str = "pk") -> QuerySet[Any]:
    """Annotate `shown`: whether the row (or, with `field`, the row it points at) is among `visible`.
    One EXISTS in the same query, so checking costs no extra round trip."""
    if visible is None:
        return queryset.annotate(shown=Value(True))
    return queryset.annotate(shown=Exists(visible.filter(pk=OuterRef(field))))


def _decision_sources(project: Project, ids: set[int], role: Role | None) -> dict[int, Source]:
    model = _model("decisions.decision")
    if model is None:
        return {}
    try:
        from copro.decisions.access import visible_decisions
    except ImportError:  # pragma: no cover - the decisions app without its access module
        visible = model.objects.exclude(status="draft")
    else:
        visible = visible_decisions(project, role or Role.PUBLIC)
    decisions = _visible(
        model.objects.filter(project=project, pk__in=ids).only("id", "title", "outcome", "outcome_statement", "status"),
        visible,
    )
    found = {}
    for d in decisions:
        if not d.shown:
            found[d.pk] = _placeholder("decisions.decision", _("Decision"), _("A decision not yet published"))
            continue
        outcome = str(d.get_outcome_display()) if d.outcome else ""
        statement = d.outcome_statement or ""
        if outcome and statement.casefold().startswith(outcome.casefold()):
            outcome = ""  # "Agreed: ..." already says it
        detail = ": ".join(p for p in (outcome, statement) if p)
        found[d.pk] = Source(
            "decisions.decision", _("Decision"), d.title, _url("decisions:detail", project.slug, d.pk), detail=detail
        )
    return found


def _idea_sources(project: Project, ids: set[int], role: Role | None) -> dict[int, Source]:
    model = _model("ideas.idea")
    if model is None:
        return {}
    ideas = model.objects.filter(project=project, pk__in=ids)
    # An idea a facilitator hid (moderation) is named, with its authors, only to facilitators.
    sees_hidden = TABLE.allowed(role or Role.PUBLIC, "ideas.manage")
    has_authorships = _has_field(model, "authorships")
    if has_authorships:
        authorship = model._meta.get_field("authorships").related_model
        ideas = ideas.prefetch_related(
            Prefetch(
                "authorships",
                queryset=authorship.objects.filter(left_at__isnull=True).select_related("user"),
                to_attr="current_authors",
            )
        )
    else:
        ideas = ideas.select_related("author")
    found = {}
    for idea in ideas:
        if getattr(idea, "hidden_at", None) is not None and not sees_hidden:
            found[idea.pk] = _placeholder("ideas.idea", _("Idea"), _("An idea hidden by a facilitator"))
            continue
        if has_authorships:
            people = [a.user.public_name for a in idea.current_authors]
        else:
            people = [idea.author.public_name] if getattr(idea, "author", None) is not None else []
        found[idea.pk] = Source(
            "ideas.idea", _("Idea"), idea.title, _url("ideas:detail", project.slug, idea.pk), people=people
        )
    return found


def _consultation_sources(project: Project, ids: set[int], role: Role | None) -> dict[int, Source]:
    model = _model("consultations.consultation")
    if model is None:
        return {}
    try:
        from copro.consultations.access import visible_consultations
    except ImportError:  # pragma: no cover
        visible = model.objects.exclude(status="draft")
    else:
        visible = visible_consultations(project, role or Role.PUBLIC)
    consultations = _visible(
        model.objects.filter(project=project, pk__in=ids).annotate(
            submitted=Count("responses", filter=Q(responses__status="submitted"))
        ),
        visible,
    )
    found = {}
    for c in consultations.only("id", "title"):
        if not c.shown:
            found[c.pk] = _placeholder(
                "consultations.consultation", _("Consultation"), _("A consultation being prepared")
            )
            continue
        detail = _("%(n)s responses") % {"n": f"{c.submitted:,}"} if c.submitted != 1 else _("1 response")
        found[c.pk] = Source(
            "consultations.consultation",
            _("Consultation"),
            c.title,
            _url("consultations:detail", project.slug, c.pk),
            detail=detail,
        )
    return found


def _visible_meetings(project: Project, role: Role | None) -> QuerySet[Any] | None:
    try:
        from copro.meetings.access import visible_meetings
    except ImportError:  # pragma: no cover - the meetings app without its access module
        return None
    return visible_meetings(project, role or Role.PUBLIC)


def _action_sources(project: Project, ids: set[int], role: Role | None) -> dict[int, Source]:
    """Meeting actions, named only where the viewer may see their meeting: an action agreed at a meeting
    still being prepared (a draft, seen by facilitators only) is "a meeting action", with no words or link."""
    model = _model("meetings.meetingaction")
    if model is None:
        return {}
    has_meeting = _has_field(model, "meeting")
    actions = model.objects.filter(project=project, pk__in=ids)
    if has_meeting:
        actions = _visible(actions.select_related("meeting"), _visible_meetings(project, role), "meeting_id")
    else:
        actions = actions.annotate(shown=Value(True))
    found = {}
    for action in actions:
        meeting = getattr(action, "meeting", None)
        # An action names people, so it is shown like the meeting's minutes: to everyone only once they are
        # published (copro.meetings.selectors.actions_visible), to facilitators at once.
        minutes_out = meeting is None or getattr(meeting, "minutes_published_at", None) is not None
        if not action.shown or not (minutes_out or TABLE.allowed(role, "meetings.minutes")):
            found[action.pk] = _placeholder("meetings.meetingaction", _("Meeting action"), _("A meeting action"))
            continue
        url = _url("meetings:detail", project.slug, meeting.pk) if meeting is not None else ""
        detail = _("From the meeting “%(title)s”") % {"title": meeting.title} if meeting is not None else ""
        title = str(getattr(action, "title", "") or getattr(action, "text", "") or action)
        found[action.pk] = Source("meetings.meetingaction", _("Meeting action"), title[:200], url, detail=detail)
    return found


_LOADERS: dict[str, Callable[[Project, set[int], Role | None], dict[int, Source]]] = {
    "decisions.decision": _decision_sources,
    "ideas.idea": _idea_sources,
    "consultations.consultation": _consultation_sources,
    "meetings.meetingaction": _action_sources,
}


def _label_of(type_id: int) -> str:
    ct = ContentType.objects.get_for_id(type_id)
    return f"{ct.app_label}.{ct.model}"


def sources_for(project: Project, commitment_ids: list[int], role: Role | None = None) -> dict[int, list[Source]]:
    """What led to each commitment: the items linked to it, then the items that led to those (an idea taken
    to the decision), shown with `via` naming the item they led to. Two queries for the links, then one per
    kind of item, whatever the number of commitments.

    Each item is shown as `role` may see it (None: as the public sees it): an item still being prepared
    (a draft decision, a consultation or a meeting still in draft) is named by its kind only, with no title,
    detail or link; an idea hidden by a moderator is left out."""
    if not commitment_ids:
        return {}
    commitment_type = ContentType.objects.get_for_model(Commitment)
    direct = list(
        ResourceLink.objects.filter(
            project=project,
            kind__in=list(SOURCE_KINDS.values()),
            target_type=commitment_type,
            target_id__in=commitment_ids,
        )
        .order_by("created_at", "id")
        .values_list("target_id", "source_type_id", "source_id")
    )
    wanted: dict[str, set[int]] = defaultdict(set)
    by_type: dict[int, set[int]] = defaultdict(set)
    for _target, type_id, source_id in direct:
        wanted[_label_of(type_id)].add(source_id)
        by_type[type_id].add(source_id)
    # One step further upstream: what led to the linked items (ideas taken to a decision...).
    upstream: dict[tuple[int, int], list[tuple[int, int]]] = defaultdict(list)
    if by_type:
        condition = Q()
        for type_id, ids in by_type.items():
            condition |= Q(target_type_id=type_id, target_id__in=list(ids))
        rows = (
            ResourceLink.objects.filter(condition, project=project)
            .order_by("created_at", "id")
            .values_list("target_type_id", "target_id", "source_type_id", "source_id")
        )
        for target_type, target_id, type_id, source_id in rows:
            if _label_of(type_id) in _LOADERS:
                upstream[(target_type, target_id)].append((type_id, source_id))
                wanted[_label_of(type_id)].add(source_id)
    loaded = {label: _LOADERS[label](project, ids, role) for label, ids in wanted.items() if label in _LOADERS}
    result: dict[int, list[Source]] = defaultdict(list)
    for target, type_id, source_id in direct:
        source = loaded.get(_label_of(type_id), {}).get(source_id)
        if source is None:
            continue
        result[target].append(source)
        for up_type, up_id in upstream.get((type_id, source_id), []):
            before = loaded.get(_label_of(up_type), {}).get(up_id)
            if before is not None and all(before is not s for s in result[target]):
                result[target].append(replace(before, via=source.title))
    return dict(result)


def latest_updates(commitment_ids: list[int]) -> dict[int, CommitmentUpdate]:
    """Each commitment's newest update, in one query (the newest id per commitment, then those rows)."""
    if not commitment_ids:
        return {}
    newest = (
        CommitmentUpdate.objects.filter(commitment_id__in=commitment_ids)
        .values("commitment_id")
        .annotate(last=Max("id"))
        .values_list("last", flat=True)
    )
    return {u.commitment_id: u for u in CommitmentUpdate.objects.filter(pk__in=newest)}


def shared_feedback(project: Project, limit: int = 6) -> list[FeedbackMoment]:
    """Excerpts shared with the giver's consent ("What people told us"), newest first."""
    return list(
        FeedbackMoment.objects.filter(project=project, shared_at__isnull=False, consent_to_share=True)
        .exclude(public_excerpt="")
        .select_related("commitment")
        .order_by("-shared_at", "-id")[:limit]
    )


@dataclass
class Row:
    commitment: Commitment
    overdue: bool
    progress: int | None
    latest: CommitmentUpdate | None
    sources: list[Source]


def page_rows(
    project: Project, commitments: list[Commitment], role: Role | None = None, today: date | None = None
) -> list[Row]:
    today = today or timezone.localdate()
    ids = [c.pk for c in commitments]
    sources = sources_for(project, ids, role)
    latest = latest_updates(ids)
    return [
        Row(
            commitment=c,
            overdue=c.is_overdue(today),
            progress=progress_percent(getattr(c, "milestones_done", 0), getattr(c, "milestones_total", 0)),
            latest=latest.get(c.pk),
            sources=sources.get(c.pk, []),
        )
        for c in commitments
    ]


def status_counts(commitments: QuerySet[Commitment]) -> dict[str, int]:
    counts = {s.value: 0 for s in CommitmentStatus}
    for status, n in commitments.order_by().values_list("status").annotate(n=Count("id")):
        counts[status] = n
    return counts


def my_notices(user: Any, project: Project, role: Role | None, limit: int = 5) -> list[CommitmentNotice]:
    """The latest commitment news this person was told of (or would have been, had they wanted emails),
    about commitments they may still see with their role today (a commitment made facilitators-only since,
    or a project they have left, keeps its title from them)."""
    if not user.is_authenticated:
        return []
    return list(
        CommitmentNotice.objects.filter(
            user=user,
            update__commitment__project=project,
            update__commitment__visibility__in=visibilities_for(role),
        )
        .select_related("update__commitment")
        .order_by("-id")[:limit]
    )


# --- The promise-kept numbers --------------------------------------------------------------------


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def owner_choices(project: Project) -> list[Any]:
    """Members who can own a commitment (observers, the board, do not): facilitators and experts first."""
    order = {"facilitator": 0, "expert": 1, "participant": 2}
    memberships = (
        Membership.objects.filter(project=project, role__in=list(order), user__is_active=True)
        .select_related("user")
        .order_by("id")
    )
    people = sorted(memberships[:5000], key=lambda m: (order[m.role], m.user.public_name.casefold()))
    return [m.user for m in people[:OWNERS_SHOWN]]


def source_choices(project: Project, role: Role | None) -> list[tuple[str, list[tuple[str, str]]]]:
    """The picker's groups: decisions made, ideas, meeting actions, consultations (each item "app.model:id").

    Only items that can lead to a commitment (services.check_source) and that `role` may see: no decision
    still open, no consultation or meeting still being prepared, no idea hidden by a moderator."""
    groups: list[tuple[str, list[tuple[str, str]]]] = []
    decision = _model("decisions.decision")
    if decision is not None:
        made = decision.objects.filter(project=project, status="closed").order_by("-closed_at", "-id")
        groups.append((_("Decisions made"), [(f"decisions.decision:{d.pk}", d.title) for d in made[:SOURCES_SHOWN]]))
    idea = _model("ideas.idea")
    if idea is not None:
        ideas = idea.objects.filter(project=project).order_by("-id")
        if _has_field(idea, "merged_into"):
            ideas = ideas.filter(merged_into__isnull=True)
        if _has_field(idea, "hidden_at"):
            ideas = ideas.filter(hidden_at__isnull=True)
        groups.append((_("Ideas"), [(f"ideas.idea:{i.pk}", i.title) for i in ideas[:SOURCES_SHOWN]]))
    action = _model("meetings.meetingaction")
    if action is not None:
        actions = action.objects.filter(project=project).order_by("-id")
        if _has_field(action, "meeting"):
            # An action from a meeting still being prepared cannot lead to a public promise yet.
            actions = actions.exclude(meeting__status="draft").exclude(
                meeting__status="cancelled", meeting__published_at__isnull=True
            )
            meetings = _visible_meetings(project, role)
            if meetings is not None:
                actions = actions.filter(meeting__in=meetings)
        groups.append(
            (
                _("Meeting actions"),
                [
                    (f"meetings.meetingaction:{a.pk}", str(getattr(a, "title", "") or a)[:200])
                    for a in actions[:SOURCES_SHOWN]
                ],
            )
        )
    consultation = _model("consultations.consultation")
    if consultation is not None:
        consultations = consultation.objects.filter(project=project).exclude(status="draft").order_by("-id")
        groups.append(
            (
                _("Consultations"),
                [(f"consultations.consultation:{c.pk}", c.title) for c in consultations[:SOURCES_SHOWN]],
            )
        )
    return [(label, items) for label, items in groups if items]


def find_source(project: Project, value: str) -> Any:
    """The item named "app.model:id" in this project, or None (unknown kind, bad id, other project)."""
    from copro.core.forms import parse_id

    if not isinstance(value, str) or ":" not in value or len(value) > 80:
        return None
    label, _sep, raw_id = value.partition(":")
    if label not in SOURCE_KINDS:
        return None
    item_id = parse_id(raw_id)
    model = _model(label)
    if item_id is None or model is None:
        return None
    return model.objects.filter(project=project, pk=item_id).first()


def source_summary(project: Project, item: Any, role: Role | None = None) -> Source | None:
    label = f"{item._meta.app_label}.{item._meta.model_name}"
    loader = _LOADERS.get(label)
    return loader(project, {item.pk}, role).get(item.pk) if loader else None
