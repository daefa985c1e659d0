"""Every write to ideas and pressure-testing. Keyword arguments, one transaction each, plain-language errors.

What goes to the activity log (a hash chain, one entry per change that matters): an idea put forward,
revised, its status changed, merged, split; a review round opened and closed; the idea settings changed.
Supports, comments and single review scores are not logged one by one (a busy project has thousands);
an idea's own history (`IdeaEvent`) records co-authors, files, responses and every status change.

Telling people: every status change (and a merge or split) is one `IdeaEvent`; the emails to its authors
and supporters are sent by a background task (tasks.notify_events), never in the request.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from copro.accounts.models import User
from copro.core import activity
from copro.core.forms import claim_token, parse_id, whole_number
from copro.core.links import link_create, links_from
from copro.core.models import EntryChannel, Visibility
from copro.core.permissions import CONTRIBUTORS, Role
from copro.ideas import files, tasks
from copro.ideas.access import OWN_IDEA_MESSAGE, may_take_part, space_of
from copro.ideas.models import (
    AUTHOR_NAME_MAX,
    COMMENT_MAX,
    PROBLEM_MAX,
    PROPOSAL_MAX,
    REASON_MAX,
    TITLE_MAX,
    AuthorResponse,
    Criterion,
    EventKind,
    Idea,
    IdeaAttachment,
    IdeaAuthor,
    IdeaComment,
    IdeaEvent,
    IdeaSpace,
    IdeaStatus,
    IdeaVersion,
    Participation,
    Reviewer,
    ReviewerKind,
    ReviewRound,
    ReviewScore,
    RoundIdea,
    RoundStatus,
    Support,
)
from copro.projects.access import project_role
from copro.projects.models import Membership, Project, ScopeItem, ScopeKind

CO_AUTHORS_MAX = 20  # a workshop team is rarely more than 8; 20 leaves room
SPLIT_PARTS = (2, 6)  # an idea is split into 2 to 6 new ideas
CRITERIA_MAX = 12
IDEAS_PER_ROUND_MAX = 100
REVIEWERS_PER_INVITE_MAX = 200
COST_MAX = 10**12  # a trillion pounds: anything more is a typing mistake

# Offered when a round is created; facilitators change them freely. (name, question, low words, high words)
DEFAULT_CRITERIA: list[tuple[Any, Any, Any, Any]] = [
    (
        gettext_lazy("Difference it makes"),
        gettext_lazy("How much difference would this make to the problem?"),
        gettext_lazy("Very little"),
        gettext_lazy("A great deal"),
    ),
    (
        gettext_lazy("Feasibility"),
        gettext_lazy("How possible is it to do this?"),
        gettext_lazy("Very hard"),
        gettext_lazy("Easy to do"),
    ),
    (
        gettext_lazy("Cost"),
        gettext_lazy("Is the cost reasonable for what it gives?"),
        gettext_lazy("Far too costly"),
        gettext_lazy("Good value"),
    ),
    (
        gettext_lazy("Fit with scope"),
        gettext_lazy("Is it within what this project can change?"),
        gettext_lazy("Outside it"),
        gettext_lazy("Well within it"),
    ),
    (
        gettext_lazy("Who benefits"),
        gettext_lazy("Does it help the people who most need it?"),
        gettext_lazy("Few of them"),
        gettext_lazy("Many of them"),
    ),
    (
        gettext_lazy("Risks"),
        gettext_lazy("How well are the risks understood and managed?"),
        gettext_lazy("Serious risks"),
        gettext_lazy("Low risk"),
    ),
]


def default_criteria() -> list[dict[str, Any]]:
    return [
        {"name": str(n), "question": str(q), "low_label": str(lo), "high_label": str(hi), "scale_max": 5}
        for n, q, lo, hi in DEFAULT_CRITERIA
    ]


# --- Settings ------------------------------------------------------------------------------------


@transaction.atomic
def space_update(*, user: User, project: Project, is_open: bool, participation: str, intro: str = "") -> IdeaSpace:
    if participation not in Participation.values:
        raise ValidationError({"participation": _("Choose who may put forward ideas.")})
    intro = (intro or "").strip()
    if len(intro) > 3000:
        raise ValidationError({"intro": _("Keep it to %(max)d characters.") % {"max": 3000}})
    space, _created = IdeaSpace.objects.update_or_create(
        project=project,
        defaults={"is_open": bool(is_open), "participation": participation, "intro": intro, "updated_by": user},
    )
    project.__dict__.pop("_copro_idea_space", None)
    activity.record(
        verb="ideas.settings_changed", actor=user, project=project, target=project, visibility=Visibility.STAFF
    )
    return space


def _seen_by(*ideas: Idea) -> str:
    """Who may read an activity entry about these ideas: facilitators alone while any of them is hidden (the
    entry keeps their titles), everyone otherwise."""
    return Visibility.STAFF if any(i.hidden_at is not None for i in ideas) else Visibility.PUBLIC


# --- Checking what people typed ------------------------------------------------------------------


def _text(errors: dict[str, str], field: str, value: Any, limit: int, missing: str) -> str:
    value = (value or "").strip() if isinstance(value, str) else ""
    if not value:
        errors[field] = missing
    elif len(value) > limit:
        errors[field] = _("Keep it to %(max)d characters.") % {"max": limit}
    return value


def _cost(errors: dict[str, str], value: Any) -> int | None:
    if value in (None, ""):
        return None
    number = whole_number(value.strip() if isinstance(value, str) else value, max_digits=13)
    if number is None or number > COST_MAX:
        errors["cost_estimate"] = _("Give the rough cost as a whole number of pounds, like 2500, or leave it empty.")
        return None
    return number


def _scope_items(project: Project, errors: dict[str, str], chosen: Iterable[Any]) -> list[ScopeItem]:
    ids: list[int] = []
    for item in chosen:
        pk = item.pk if isinstance(item, ScopeItem) else parse_id(str(item).strip())
        if pk is None:
            errors["scope_items"] = _("Choose from the project's scope.")
            return []
        ids.append(pk)
    if not ids:
        return []
    found = list(ScopeItem.objects.filter(project=project, removed_at__isnull=True, pk__in=set(ids)))
    if len(found) != len(set(ids)):
        errors["scope_items"] = _("Choose from the project's scope.")
        return []
    return sorted(found, key=lambda s: (s.kind, s.position, s.pk))


def fixed_flags(items: Iterable[ScopeItem]) -> list[dict[str, Any]]:
    """The fixed lines among the chosen ones, with the reason the scope gives, as the idea keeps them."""
    return [{"id": s.pk, "text": s.text, "reason": s.reason} for s in items if s.kind == ScopeKind.FIXED]


def _scope_snapshot(items: Iterable[ScopeItem]) -> list[dict[str, Any]]:
    return [{"id": s.pk, "kind": s.kind, "text": s.text} for s in items]


def _clean_idea(
    project: Project, *, title: Any, problem: Any, proposal: Any, scope_items: Iterable[Any], cost_estimate: Any
) -> dict[str, Any]:
    errors: dict[str, str] = {}
    cleaned = {
        "title": _text(errors, "title", title, TITLE_MAX, _("Give your idea a short title.")),
        "problem": _text(errors, "problem", problem, PROBLEM_MAX, _("Say what problem your idea addresses.")),
        "proposal": _text(errors, "proposal", proposal, PROPOSAL_MAX, _("Say what you propose.")),
        "cost_estimate": _cost(errors, cost_estimate),
        "scope_items": _scope_items(project, errors, scope_items),
    }
    if errors:
        raise ValidationError(errors)
    return cleaned


def _members(project: Project, users: Iterable[User], roles: Iterable[str]) -> dict[int, str]:
    ids = {u.pk for u in users}
    return dict(
        Membership.objects.filter(project=project, user_id__in=ids, role__in=list(roles)).values_list("user_id", "role")
    )


def _event(idea: Idea, kind: str, actor: User | None, **fields: Any) -> IdeaEvent:
    return IdeaEvent.objects.create(idea=idea, kind=kind, actor=actor, **fields)


def _save_version(idea: Idea, user: User | None, scope: list[ScopeItem], note: str = "") -> IdeaVersion:
    return IdeaVersion.objects.create(
        idea=idea,
        number=idea.version,
        title=idea.title,
        problem=idea.problem,
        proposal=idea.proposal,
        cost_estimate=idea.cost_estimate,
        scope=_scope_snapshot(scope),
        note=note[:500],
        created_by=user,
    )


def _check_writable(idea: Idea) -> None:
    if idea.merged_into_id is not None:
        raise ValidationError(
            _("This idea was merged into “%(title)s”. It is kept as it was; carry on there.")
            % {"title": idea.merged_into.title if idea.merged_into else ""}
        )
    if idea.split_at is not None:
        raise ValidationError(_("This idea was split into new ideas. It is kept as it was; carry on with those."))


def _tell_co_authors(idea: Idea, users: Iterable[User], added_by: User | None) -> None:
    from django.urls import reverse

    url = settings.SITE_URL + reverse("ideas:detail", args=[idea.project.slug, idea.pk])
    for person in users:
        if not (person.email and person.is_active and person.erased_at is None and person.notify_by_email):
            continue
        from copro.core.email import queue_email

        queue_email(
            to=person.email,
            template="ideas/email/co_author",
            context={
                "project_title": idea.project.title,
                "idea_title": idea.title,
                "added_by": added_by.public_name if added_by else "",
                "idea_url": url,
            },
            language=person.preferred_language,
        )


# --- Ideas ---------------------------------------------------------------------------------------


@transaction.atomic
def idea_submit(
    *,
    project: Project,
    author: User | None,
    title: str,
    problem: str,
    proposal: str,
    scope_items: Iterable[Any] = (),
    cost_estimate: Any = None,
    co_authors: Iterable[User] = (),
    channel: str = "online",
    entered_by: User | None = None,
    author_name: str = "",
    form_token: uuid.UUID | None = None,
) -> Idea:
    """Put an idea forward. Its flag (the fixed scope lines it touches, with their reasons) is in
    `idea.fixed_flags` at once.

    People putting forward their own idea (no `entered_by`) need the project to be open for ideas and to be
    allowed to take part. Staff entering an idea for someone (a workshop team's solution, a paper form) can
    do so while ideas are closed, and can name as co-authors anyone with an account; otherwise co-authors
    are members of the project. Staff can enter an idea for someone without an account: no `author`, and
    the name they want shown (if any) as `author_name`.
    """
    cleaned = _clean_idea(
        project,
        title=title,
        problem=problem,
        proposal=proposal,
        scope_items=scope_items,
        cost_estimate=cost_estimate,
    )
    if channel not in EntryChannel.values:
        raise ValidationError({"channel": _("Say how this idea reached you.")})
    author_name = (author_name or "").strip() if author is None else ""
    if len(author_name) > AUTHOR_NAME_MAX:
        raise ValidationError({"author_name": _("Keep it to %(max)d characters.") % {"max": AUTHOR_NAME_MAX}})
    if author is None and entered_by is None:
        raise ValidationError(_("Say whose idea this is."))
    if entered_by is None:
        assert author is not None
        if not space_of(project).is_open:
            raise ValidationError(_("This project is not taking new ideas at the moment."))
        if not may_take_part(project, project_role(author, project)):
            raise ValidationError(_("Only members of this project can put forward ideas."))
    extra = [u for u in dict.fromkeys(co_authors) if author is None or u.pk != author.pk]
    if len(extra) > CO_AUTHORS_MAX:
        raise ValidationError(
            {"co_authors": _("An idea can have at most %(max)d co-authors.") % {"max": CO_AUTHORS_MAX}}
        )
    if extra and entered_by is None:
        members = _members(project, extra, [r.value for r in CONTRIBUTORS])
        if len(members) != len(extra):
            raise ValidationError({"co_authors": _("Co-authors must be members of the project.")})
    claim_token(form_token)
    items = cleaned.pop("scope_items")
    flags = fixed_flags(items)
    idea = Idea.objects.create(
        project=project,
        author=author,
        author_name=author_name,
        channel=channel,
        entered_by=entered_by,
        currency=project.budget_currency or "GBP",
        fixed_flags=flags,
        touches_fixed=bool(flags),
        **cleaned,
    )
    idea.scope_items.set(items)
    if author is not None:
        IdeaAuthor.objects.create(idea=idea, user=author, is_lead=True, added_by=entered_by or author)
    IdeaAuthor.objects.bulk_create(
        [IdeaAuthor(idea=idea, user=u, added_by=entered_by or author) for u in extra], ignore_conflicts=True
    )
    _save_version(idea, entered_by or author, items)
    _event(idea, EventKind.SUBMITTED, entered_by or author, data={"channel": channel} if channel != "online" else {})
    activity.record(verb="ideas.submitted", actor=author or entered_by, project=project, target=idea)
    if extra:
        _tell_co_authors(idea, extra, entered_by or author)
    return idea


@transaction.atomic
def idea_revise(
    *,
    user: User,
    idea: Idea,
    title: str,
    problem: str,
    proposal: str,
    scope_items: Iterable[Any] = (),
    cost_estimate: Any = None,
    note: str = "",
) -> Idea:
    """A new version of the idea's text; every earlier version stays readable."""
    _check_writable(idea)
    cleaned = _clean_idea(
        idea.project,
        title=title,
        problem=problem,
        proposal=proposal,
        scope_items=scope_items,
        cost_estimate=cost_estimate,
    )
    items = cleaned.pop("scope_items")
    note = (note or "").strip()
    if len(note) > 500:
        raise ValidationError({"note": _("Keep it to %(max)d characters.") % {"max": 500}})
    same = all(getattr(idea, k) == v for k, v in cleaned.items()) and {s.pk for s in items} == set(
        idea.scope_items.values_list("pk", flat=True)
    )
    if same:
        raise ValidationError(_("Nothing was changed."))
    locked = Idea.objects.select_for_update().get(pk=idea.pk)
    flags = fixed_flags(items)
    for key, value in cleaned.items():
        setattr(idea, key, value)
    idea.version = locked.version + 1
    idea.fixed_flags, idea.touches_fixed = flags, bool(flags)
    idea.save(
        update_fields=[*cleaned.keys(), "version", "fixed_flags", "touches_fixed", "updated_at"],
    )
    idea.scope_items.set(items)
    _save_version(idea, user, items, note)
    _event(idea, EventKind.REVISED, user, note=note, data={"version": idea.version})
    activity.record(verb="ideas.revised", actor=user, project=idea.project, target=idea, visibility=_seen_by(idea))
    return idea


@transaction.atomic
def co_author_add(*, user: User, idea: Idea, co_author: User) -> IdeaAuthor:
    """Add a co-author (a member who takes part). Two people adding the same person at once: one is added,
    the other finds it already done (never an error page)."""
    # The idea's row is locked first, so two additions at once are counted one after the other (the limit).
    locked = Idea.objects.select_for_update().filter(pk=idea.pk).first()
    if locked is None:
        raise ValidationError(_("This idea is not there any more."))
    _check_writable(locked)
    if not _members(idea.project, [co_author], [r.value for r in CONTRIBUTORS]):
        raise ValidationError({"user": _("Co-authors must be members of the project.")})
    existing = IdeaAuthor.objects.filter(idea=idea, user=co_author).first()
    if existing is not None and existing.left_at is None:
        raise ValidationError({"user": _("This person is already an author of the idea.")})
    # Co-authors only: the person who put it forward is not one of the CO_AUTHORS_MAX (nor is anyone, for an
    # idea whose author erased their account or had none).
    co_authors = IdeaAuthor.objects.filter(idea=idea, left_at__isnull=True, is_lead=False).count()
    if co_authors >= CO_AUTHORS_MAX:
        raise ValidationError({"user": _("An idea can have at most %(max)d co-authors.") % {"max": CO_AUTHORS_MAX}})
    if existing is not None:
        existing.left_at, existing.added_by = None, user
        existing.save(update_fields=["left_at", "added_by"])
        authorship = existing
    else:
        try:
            with transaction.atomic():
                authorship = IdeaAuthor.objects.create(idea=idea, user=co_author, added_by=user)
        except IntegrityError:
            # Added by someone else a moment ago (one_authorship_per_person): already done.
            return IdeaAuthor.objects.get(idea=idea, user=co_author)
    _event(idea, EventKind.CO_AUTHOR_ADDED, user, data={"user": co_author.pk})
    _tell_co_authors(idea, [co_author], user)
    return authorship


@transaction.atomic
def co_author_leave(*, user: User, idea: Idea) -> None:
    authorship = IdeaAuthor.objects.filter(idea=idea, user=user, left_at__isnull=True).first()
    if authorship is None:
        raise ValidationError(_("You are not a co-author of this idea."))
    if authorship.is_lead:
        raise ValidationError(_("You put this idea forward, so you stay its author."))
    authorship.left_at = timezone.now()
    authorship.save(update_fields=["left_at"])
    _event(idea, EventKind.CO_AUTHOR_LEFT, user)


@transaction.atomic
def idea_support(*, user: User, idea: Idea) -> bool:
    """Support an idea. Supporting twice changes nothing (one support per person, held by the database).
    Returns True if this was new."""
    _check_writable(idea)
    try:
        with transaction.atomic():
            Support.objects.create(idea=idea, user=user)
    except IntegrityError:
        return False
    Idea.objects.filter(pk=idea.pk).update(support_count=F("support_count") + 1)
    return True


@transaction.atomic
def idea_unsupport(*, user: User, idea: Idea) -> bool:
    _check_writable(idea)
    deleted, _rows = Support.objects.filter(idea=idea, user=user).delete()
    if not deleted:
        return False
    Idea.objects.filter(pk=idea.pk, support_count__gt=0).update(support_count=F("support_count") - 1)
    return True


@transaction.atomic
def comment_add(*, user: User, idea: Idea, text: str, form_token: uuid.UUID | None = None) -> IdeaComment:
    _check_writable(idea)
    errors: dict[str, str] = {}
    text = _text(errors, "text", text, COMMENT_MAX, _("Write a comment first."))
    if errors:
        raise ValidationError(errors)
    claim_token(form_token)
    return IdeaComment.objects.create(idea=idea, author=user, text=text)


@transaction.atomic
def attachment_add(
    *, user: User, idea: Idea, upload: Any, description: str, form_token: uuid.UUID | None = None
) -> IdeaAttachment:
    """Add a file to an idea. The same form sent twice (a double click on a slow upload) adds it once."""
    _check_writable(idea)
    errors: dict[str, str] = {}
    description = _text(errors, "description", description, 300, _("Say in a few words what the file is."))
    if upload is None:
        errors["file"] = _("Choose a file.")
    if errors:
        raise ValidationError(errors)
    claim_token(form_token)
    current = IdeaAttachment.objects.filter(idea=idea, removed_at__isnull=True)
    if current.count() >= settings.COPRO_IDEAS_ATTACHMENTS_PER_IDEA:
        raise ValidationError(
            {"file": _("An idea can have at most %(max)d files.") % {"max": settings.COPRO_IDEAS_ATTACHMENTS_PER_IDEA}}
        )
    kind, stored = files.check(upload)
    attachment = IdeaAttachment(
        idea=idea,
        name=files.safe_name(getattr(upload, "name", "")),
        description=description,
        kind=kind,
        size=stored.size,
        uploaded_by=user,
    )
    attachment.file.save(stored.name or f"{uuid.uuid4().hex}.{kind}", stored, save=False)
    attachment.save()
    _event(idea, EventKind.ATTACHMENT, user, note=attachment.name)
    return attachment


@transaction.atomic
def attachment_remove(*, user: User, attachment: IdeaAttachment) -> IdeaAttachment:
    """Take a file off an idea (its authors or a facilitator; the view checks who).

    The record stays for the idea's history (its name, what it was, who added and removed it, when); the
    stored file itself is deleted once the change is saved, since people usually remove a file because it
    should not be there (the wrong file, someone's personal details). Removing it twice changes nothing.
    """
    locked = IdeaAttachment.objects.select_for_update().filter(pk=attachment.pk).first()
    if locked is None or locked.removed_at is not None:
        return locked or attachment
    stored = locked.file.name
    storage = locked.file.storage
    locked.removed_at, locked.removed_by = timezone.now(), user
    locked.file = ""
    locked.save(update_fields=["removed_at", "removed_by", "file"])
    IdeaEvent.objects.create(idea_id=locked.idea_id, kind=EventKind.ATTACHMENT_REMOVED, actor=user, note=locked.name)
    if stored:
        # After the commit: a rolled-back removal must not lose the file.
        transaction.on_commit(lambda: storage.delete(stored))
    return locked


# --- Statuses, merging and splitting ---------------------------------------------------------------

STATUS_VERBS = {
    IdeaStatus.SUBMITTED: "ideas.status_reset",
    IdeaStatus.UNDER_REVIEW: "ideas.under_review",
    IdeaStatus.SHORTLISTED: "ideas.shortlisted",
    IdeaStatus.TAKEN: "ideas.taken_to_decision",
    IdeaStatus.NOT_TAKEN: "ideas.not_taken_forward",
}


def _set_status(
    idea: Idea, status: str, reason: str, user: User | None, data: dict[str, Any] | None = None
) -> IdeaEvent:
    idea.status, idea.status_reason, idea.status_changed_at = status, reason, timezone.now()
    idea.save(update_fields=["status", "status_reason", "status_changed_at", "updated_at"])
    return _event(idea, EventKind.STATUS, user, status=status, note=reason, data=data or {})


@transaction.atomic
def idea_set_status(*, user: User, idea: Idea, status: str, reason: str = "", decision: Any = None) -> Idea:
    """Move an idea to a new status; its authors and supporters are told (by a background task).

    "Not taken forward" needs a reason in plain words. "Taken to a decision" can name the decision it went
    to (a decision of the same project): the idea's page then shows what became of it.
    """
    _check_writable(idea)
    if status not in IdeaStatus.values:
        raise ValidationError({"status": _("Choose one of the statuses.")})
    reason = (reason or "").strip()
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Keep it to %(max)d characters.") % {"max": REASON_MAX}})
    if status == IdeaStatus.NOT_TAKEN and not reason:
        raise ValidationError(
            {"reason": _("Say in plain words why the idea is not taken forward: its authors and supporters are told.")}
        )
    if decision is not None and status != IdeaStatus.TAKEN:
        raise ValidationError({"decision": _("Only an idea taken to a decision is linked to one.")})
    if decision is not None and decision.project_id != idea.project_id:
        raise ValidationError({"decision": _("Choose a decision of this project.")})
    if status == idea.status:
        if decision is not None:
            idea_link_decision(user=user, idea=idea, decision=decision)
            return idea
        raise ValidationError({"status": _("The idea already has this status.")})
    data = {"decision": decision.pk} if decision is not None else {}
    event = _set_status(idea, status, reason, user, data)
    if decision is not None:
        link_create(kind="taken_to", source=idea, target=decision, user=user)
    activity.record(
        verb=STATUS_VERBS[IdeaStatus(status)], actor=user, project=idea.project, target=idea, visibility=_seen_by(idea)
    )
    tasks.notify_events.enqueue(event_ids=[event.pk])
    return idea


@transaction.atomic
def idea_link_decision(*, user: User, idea: Idea, decision: Any) -> bool:
    """Link the idea to a decision it was taken to. Linking the same decision again changes nothing (no
    second line in the idea's history). Returns True if the link is new."""
    if decision.project_id != idea.project_id:
        raise ValidationError({"decision": _("Choose a decision of this project.")})
    already = (
        links_from(idea)
        .filter(kind="taken_to", target_type=ContentType.objects.get_for_model(decision), target_id=decision.pk)
        .exists()
    )
    link_create(kind="taken_to", source=idea, target=decision, user=user)
    if already:
        return False
    _event(idea, EventKind.DECISION, user, data={"decision": decision.pk}, note=str(decision.title)[:500])
    return True


def _move_supports(source: Idea, target: Idea, user_ids: list[int]) -> int:
    """Copy these supporters to the target; how many were added. Someone supporting the target at the same
    moment is simply not added twice (one_support_per_person)."""
    if not user_ids:
        return 0
    try:
        with transaction.atomic():
            Support.objects.bulk_create([Support(idea=target, user_id=uid, came_from=source) for uid in user_ids])
        return len(user_ids)
    except IntegrityError:
        pass
    added = 0
    for uid in user_ids:
        try:
            with transaction.atomic():
                Support.objects.create(idea=target, user_id=uid, came_from=source)
            added += 1
        except IntegrityError:
            continue
    return added


@transaction.atomic
def idea_merge(*, user: User, source: Idea, target: Idea, note: str = "") -> Idea:
    """Merge a duplicate (source) into another idea (target).

    The source stays, read only, with a "merged into" notice; its comments stay on it. Its supporters and
    authors are carried over to the target, without counting anyone twice; the target lists "merged from".
    """
    if source.pk == target.pk:
        raise ValidationError({"target": _("Choose a different idea to merge into.")})
    if source.project_id != target.project_id:
        raise ValidationError({"target": _("Choose an idea of this project.")})
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationError({"note": _("Keep it to %(max)d characters.") % {"max": REASON_MAX}})
    locked = {i.pk: i for i in Idea.objects.select_for_update().filter(pk__in=[source.pk, target.pk])}
    for idea, field in ((locked[source.pk], None), (locked[target.pk], "target")):
        if idea.is_read_only:
            message = _("“%(title)s” was already merged or split: it cannot be merged.") % {"title": idea.title}
            raise ValidationError({field: message} if field else message)
    now = timezone.now()
    # Only supporters not already on the target move (nobody counts twice). The target's count goes up by
    # exactly those: it is never recounted from rows, because people who erased their account took their
    # support row with them but still count (see the component's erase_personal_data).
    supporters = set(Support.objects.filter(idea=source).values_list("user_id", flat=True))
    supporters -= set(Support.objects.filter(idea=target, user_id__in=supporters).values_list("user_id", flat=True))
    moved = _move_supports(source, target, sorted(supporters))
    if moved:
        Idea.objects.filter(pk=target.pk).update(support_count=F("support_count") + moved)
    authors = list(IdeaAuthor.objects.filter(idea=source, left_at__isnull=True).values_list("user_id", flat=True))
    IdeaAuthor.objects.bulk_create(
        [IdeaAuthor(idea=target, user_id=uid, added_by=user, came_from=source) for uid in authors],
        ignore_conflicts=True,
    )
    Idea.objects.filter(pk=source.pk).update(merged_into=target, merged_at=now)
    source.merged_into, source.merged_at = target, now
    event = _event(source, EventKind.MERGED_INTO, user, other_idea=target, note=note)
    _event(target, EventKind.MERGED_FROM, user, other_idea=source, note=note)
    activity.record(
        verb="ideas.merged",
        actor=user,
        project=source.project,
        target=source,
        data={"into": target.title[:200], "also": activity.also(target)},
        visibility=_seen_by(source, target),
    )
    tasks.notify_events.enqueue(event_ids=[event.pk])
    target.refresh_from_db(fields=["support_count"])
    return target


@transaction.atomic
def idea_split(*, user: User, idea: Idea, parts: Sequence[dict[str, Any]], note: str = "") -> list[Idea]:
    """Split an idea into 2 to 6 new ones, each linked back to it, each with the original's authors.

    The original stays, read only, listing the new ideas. Supporters are not carried over (they supported
    the whole): they are told of the split and can support the parts they want.
    """
    low, high = SPLIT_PARTS
    if not low <= len(parts) <= high:
        raise ValidationError(_("Split an idea into %(low)d to %(high)d new ideas.") % {"low": low, "high": high})
    note = (note or "").strip()
    if len(note) > REASON_MAX:
        raise ValidationError({"note": _("Keep it to %(max)d characters.") % {"max": REASON_MAX}})
    errors: dict[str, str] = {}
    cleaned_parts = []
    for number, part in enumerate(parts, start=1):
        try:
            cleaned_parts.append(
                _clean_idea(
                    idea.project,
                    title=part.get("title"),
                    problem=part.get("problem") or idea.problem,
                    proposal=part.get("proposal"),
                    scope_items=idea.scope_items.filter(removed_at__isnull=True),
                    cost_estimate=part.get("cost_estimate"),
                )
            )
        except ValidationError as error:
            for field, messages in error.message_dict.items():
                errors[f"{field}_{number}"] = " ".join(messages)
    if errors:
        raise ValidationError(errors)
    locked = Idea.objects.select_for_update().get(pk=idea.pk)
    if locked.is_read_only:
        raise ValidationError(_("This idea was already merged or split."))
    authors = list(IdeaAuthor.objects.filter(idea=idea, left_at__isnull=True).order_by("-is_lead", "id"))
    made: list[Idea] = []
    for cleaned in cleaned_parts:
        items = cleaned.pop("scope_items")
        flags = fixed_flags(items)
        new = Idea.objects.create(
            project=idea.project,
            author=idea.author,
            author_name=idea.author_name,
            channel=idea.channel,
            entered_by=idea.entered_by,
            currency=idea.currency,
            split_from=idea,
            fixed_flags=flags,
            touches_fixed=bool(flags),
            **cleaned,
        )
        new.scope_items.set(items)
        IdeaAuthor.objects.bulk_create(
            [IdeaAuthor(idea=new, user_id=a.user_id, is_lead=a.is_lead, added_by=user, came_from=idea) for a in authors]
        )
        _save_version(new, user, items)
        _event(new, EventKind.SPLIT_FROM, user, other_idea=idea, note=note)
        made.append(new)
    Idea.objects.filter(pk=idea.pk).update(split_at=timezone.now())
    idea.split_at = timezone.now()
    event = _event(idea, EventKind.SPLIT_INTO, user, note=note, data={"ideas": [n.pk for n in made]})
    activity.record(
        verb="ideas.split",
        actor=user,
        project=idea.project,
        target=idea,
        data={"parts": str(len(made))},
        visibility=_seen_by(idea),
    )
    tasks.notify_events.enqueue(event_ids=[event.pk])
    return made


# --- Review rounds -----------------------------------------------------------------------------------

REVIEWABLE = (IdeaStatus.SUBMITTED, IdeaStatus.UNDER_REVIEW, IdeaStatus.SHORTLISTED)


def _clean_criteria(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    errors: dict[str, str] = {}
    cleaned: list[dict[str, Any]] = []
    for number, row in enumerate(rows, start=1):
        name = (row.get("name") or "").strip()
        if not name:
            continue  # an empty row is left out
        question = (row.get("question") or "").strip()
        low = (row.get("low_label") or "").strip()
        high = (row.get("high_label") or "").strip()
        scale_max = whole_number(row.get("scale_max") if row.get("scale_max") not in (None, "") else 5, max_digits=2)
        if len(name) > 120 or len(question) > 300 or len(low) > 80 or len(high) > 80:
            errors[f"name_{number}"] = _("Criterion %(n)d: keep the words shorter.") % {"n": number}
        if not low or not high:
            errors[f"low_label_{number}"] = _(
                "Criterion %(n)d: give words for the lowest and the highest score, like “very little” and "
                "“a great deal”."
            ) % {"n": number}
        if scale_max is None or not 2 <= scale_max <= 10:
            errors[f"scale_max_{number}"] = _("Criterion %(n)d: the scale goes from 1 up to 2 to 10.") % {"n": number}
        cleaned.append(
            {"name": name, "question": question, "low_label": low, "high_label": high, "scale_max": scale_max or 5}
        )
    if errors:
        raise ValidationError(errors)
    if not cleaned:
        raise ValidationError(_("Give the round at least one criterion."))
    if len(cleaned) > CRITERIA_MAX:
        raise ValidationError(_("A round can have at most %(max)d criteria.") % {"max": CRITERIA_MAX})
    return cleaned


def _round_ideas(project: Project, idea_ids: Iterable[Any]) -> list[Idea]:
    ids = []
    for raw in idea_ids:
        pk = parse_id(str(raw).strip())
        if pk is None:
            raise ValidationError({"ideas": _("Choose ideas of this project.")})
        ids.append(pk)
    ids = list(dict.fromkeys(ids))
    if len(ids) > IDEAS_PER_ROUND_MAX:
        raise ValidationError({"ideas": _("A round can have at most %(max)d ideas.") % {"max": IDEAS_PER_ROUND_MAX}})
    found = {
        i.pk: i
        for i in Idea.objects.filter(
            project=project, pk__in=ids, merged_into__isnull=True, split_at__isnull=True, status__in=REVIEWABLE
        )
    }
    if len(found) != len(ids):
        raise ValidationError(
            {"ideas": _("Only ideas that are still open (not merged, split, taken or turned down) can be reviewed.")}
        )
    return [found[pk] for pk in ids]


def _set_round_content(the_round: ReviewRound, criteria: list[dict[str, Any]], ideas: list[Idea]) -> None:
    # While the round is being prepared nobody has scored yet, so criteria and ideas can be replaced whole.
    the_round.criteria.all().delete()
    Criterion.objects.bulk_create(
        [Criterion(round=the_round, position=n, scale_min=1, **row) for n, row in enumerate(criteria)]
    )
    RoundIdea.objects.filter(round=the_round).delete()
    RoundIdea.objects.bulk_create([RoundIdea(round=the_round, idea=idea, position=n) for n, idea in enumerate(ideas)])


@transaction.atomic
def round_create(
    *,
    user: User,
    project: Project,
    title: str,
    instructions: str = "",
    criteria: Sequence[dict[str, Any]] | None = None,
    idea_ids: Iterable[Any] = (),
    form_token: uuid.UUID | None = None,
) -> ReviewRound:
    errors: dict[str, str] = {}
    title = _text(errors, "title", title, 200, _("Give the round a title."))
    instructions = (instructions or "").strip()
    if len(instructions) > 3000:
        errors["instructions"] = _("Keep it to %(max)d characters.") % {"max": 3000}
    if errors:
        raise ValidationError(errors)
    rows = _clean_criteria(criteria if criteria is not None else default_criteria())
    ideas = _round_ideas(project, idea_ids)
    claim_token(form_token)
    the_round = ReviewRound.objects.create(project=project, title=title, instructions=instructions, created_by=user)
    _set_round_content(the_round, rows, ideas)
    return the_round


@transaction.atomic
def round_update(
    *,
    user: User,
    round: ReviewRound,
    title: str,
    instructions: str = "",
    criteria: Sequence[dict[str, Any]],
    idea_ids: Iterable[Any],
) -> ReviewRound:
    if round.status != RoundStatus.DRAFT:
        raise ValidationError(_("Criteria and ideas are fixed once the round is open, so every review is comparable."))
    errors: dict[str, str] = {}
    title = _text(errors, "title", title, 200, _("Give the round a title."))
    instructions = (instructions or "").strip()
    if len(instructions) > 3000:
        errors["instructions"] = _("Keep it to %(max)d characters.") % {"max": 3000}
    if errors:
        raise ValidationError(errors)
    rows = _clean_criteria(criteria)
    ideas = _round_ideas(round.project, idea_ids)
    round.title, round.instructions = title, instructions
    round.save(update_fields=["title", "instructions"])
    _set_round_content(round, rows, ideas)
    return round


def reviewer_kind_for(role: str) -> str | None:
    """Peers are participants; experts are experts. Facilitators run the round; observers only read."""
    return {Role.PARTICIPANT.value: ReviewerKind.PEER, Role.EXPERT.value: ReviewerKind.EXPERT}.get(role)


@transaction.atomic
def reviewers_invite(
    *, user: User, round: ReviewRound, members: Iterable[User] = (), emails: Iterable[str] = (), message: str = ""
) -> list[Reviewer]:
    """Invite reviewers: members who are participants (peers) or experts (experts), and experts by email.

    An address that belongs to a member counts as that member, with the same check: only participants and
    experts review (facilitators run the round; observers only read). Someone invited by email who is not a
    member yet gets the project's own invitation (to join as an expert); once they join, their invitation to
    review is waiting for them. If the round is already open, new reviewers are told at once (by a background
    task). Inviting someone already invited changes nothing, even when two facilitators do it at once.
    """
    from django.core.validators import validate_email

    from copro.projects.services import invitation_create

    # The round's row is locked first: two invitations at once are handled one after the other.
    locked = ReviewRound.objects.select_for_update().filter(pk=round.pk).first()
    if locked is None or locked.status == RoundStatus.CLOSED:
        raise ValidationError(_("This round has closed: no more reviewers can be invited."))
    project = round.project
    members = list(dict.fromkeys(members))
    address_list = [e.strip().lower() for e in emails if e and e.strip()]
    address_list = list(dict.fromkeys(address_list))
    if len(members) + len(address_list) > REVIEWERS_PER_INVITE_MAX:
        raise ValidationError(_("Invite at most %(max)d people at a time.") % {"max": REVIEWERS_PER_INVITE_MAX})
    reviewing_roles = [Role.PARTICIPANT.value, Role.EXPERT.value]
    roles = _members(project, members, reviewing_roles)
    if len(roles) != len(members):
        raise ValidationError({"members": _("Reviewers are members who are participants or experts.")})
    bad = []
    for address in address_list:
        try:
            validate_email(address)
        except ValidationError:
            bad.append(address)
    if bad:
        raise ValidationError({"emails": _("These are not email addresses: %(list)s") % {"list": ", ".join(bad)}})
    member_by_email = {
        m.email_lower: m
        for m in Membership.objects.annotate(email_lower=Lower("user__email"))
        .filter(project=project, email_lower__in=address_list)
        .select_related("user")
    }
    wrong_role = [a for a in address_list if a in member_by_email and member_by_email[a].role not in reviewing_roles]
    if wrong_role:
        raise ValidationError(
            {
                "emails": _(
                    "Reviewers are members who are participants or experts. These addresses belong to members "
                    "who run or observe the project, so they cannot review: %(list)s"
                )
                % {"list": ", ".join(wrong_role)}
            }
        )
    message = (message or "").strip()[:2000]
    made: list[Reviewer] = []
    already_users = set(Reviewer.objects.filter(round=round, user__isnull=False).values_list("user_id", flat=True))
    already_emails = {
        e.lower() for e in Reviewer.objects.filter(round=round).exclude(email="").values_list("email", flat=True)
    }

    def add(**fields: Any) -> Reviewer | None:
        # A savepoint each: invited by someone else a moment ago (one_reviewer_per_person or
        # one_reviewer_per_address) means already done, not an error.
        try:
            with transaction.atomic():
                return Reviewer.objects.create(round=round, invited_by=user, **fields)
        except IntegrityError:
            return None

    people = [(person, roles[person.pk]) for person in members]
    people += [(member_by_email[a].user, member_by_email[a].role) for a in address_list if a in member_by_email]
    for person, role in people:
        if person.pk in already_users:
            continue
        already_users.add(person.pk)
        reviewer = add(user=person, kind=reviewer_kind_for(role) or ReviewerKind.EXPERT)
        if reviewer is not None:
            made.append(reviewer)
    for address in address_list:
        if address in member_by_email or address in already_emails:
            continue
        already_emails.add(address)
        reviewer = add(email=address, kind=ReviewerKind.EXPERT)
        if reviewer is None:
            continue
        made.append(reviewer)
        invitation_create(
            user=user,
            project=project,
            email=address,
            role=Role.EXPERT.value,
            message=message
            or _("You are invited to review ideas in “%(round)s” as an expert.") % {"round": round.title},
        )
    if made and locked.status == RoundStatus.OPEN:
        tasks.notify_reviewers.enqueue(round_id=round.pk, reviewer_ids=[r.pk for r in made])
    return made


@transaction.atomic
def reviewer_remove(*, user: User, reviewer: Reviewer) -> None:
    if reviewer.round.status != RoundStatus.DRAFT:
        raise ValidationError(_("Once a round is open its reviewers stay, so what they said is kept."))
    reviewer.delete()


@transaction.atomic
def round_open(*, user: User, round: ReviewRound) -> ReviewRound:
    """Open the round: reviewers are told, and its submitted ideas move to "under review" (their people are
    told). Ideas already further on (shortlisted) keep their status: being pressure-tested again does not
    send them back, and nobody is emailed about a change that did not happen."""
    locked = ReviewRound.objects.select_for_update().get(pk=round.pk)
    if locked.status != RoundStatus.DRAFT:
        raise ValidationError(_("This round is already open or closed."))
    ideas = list(round.ideas.all())
    if not ideas:
        raise ValidationError(_("Choose at least one idea to review."))
    if not round.criteria.exists():
        raise ValidationError(_("Give the round at least one criterion."))
    if not round.reviewers.exists():
        raise ValidationError(_("Invite at least one reviewer."))
    stale = [i.title for i in ideas if i.is_read_only or i.status not in REVIEWABLE]
    if stale:
        raise ValidationError(
            _("Some ideas were merged, split or decided since you chose them: %(list)s. Take them out first.")
            % {"list": ", ".join(stale)}
        )
    round.status, round.opened_at = RoundStatus.OPEN, timezone.now()
    round.save(update_fields=["status", "opened_at"])
    event_ids = []
    for idea in ideas:
        IdeaEvent.objects.create(
            idea=idea, kind=EventKind.REVIEW, actor=user, data={"round": round.pk}, note=round.title
        )
        if idea.status == IdeaStatus.SUBMITTED:
            idea.project = round.project
            event_ids.append(_set_status(idea, IdeaStatus.UNDER_REVIEW, "", user, {"round": round.pk}).pk)
    # One entry for the whole round (the log is a hash chain): not one per idea.
    activity.record(
        verb="ideas.review_opened",
        actor=user,
        project=round.project,
        target=round,
        data={"ideas": str(len(ideas))},
        visibility=Visibility.MEMBERS,
    )
    tasks.notify_reviewers.enqueue(round_id=round.pk, reviewer_ids=None)
    if event_ids:
        tasks.notify_events.enqueue(event_ids=event_ids)
    return round


@transaction.atomic
def round_close(*, user: User, round: ReviewRound) -> ReviewRound:
    locked = ReviewRound.objects.select_for_update().get(pk=round.pk)
    if locked.status != RoundStatus.OPEN:
        raise ValidationError(_("Only an open round can be closed."))
    round.status, round.closed_at = RoundStatus.CLOSED, timezone.now()
    round.save(update_fields=["status", "closed_at"])
    activity.record(
        verb="ideas.review_closed",
        actor=user,
        project=round.project,
        target=round,
        data={"reviews": str(ReviewScore.objects.filter(round=round).values("reviewer", "idea").distinct().count())},
        visibility=Visibility.MEMBERS,
    )
    tasks.notify_round_closed.enqueue(round_id=round.pk)
    return round


@transaction.atomic
def review_save(*, reviewer: Reviewer, round: ReviewRound, idea: Idea, entries: dict[int, tuple[Any, str]]) -> int:
    """Save a reviewer's scores and comments for one idea: {criterion id: (score, comment)}.

    A score must be a whole number on the criterion's scale, or empty ("I cannot say"). If anything is wrong,
    nothing is saved and every problem is named. A review can be changed until the round closes.
    """
    if round.status != RoundStatus.OPEN:
        raise ValidationError(_("This round is not open for reviews: nothing was saved."))
    if reviewer.round_id != round.pk:
        raise ValidationError(_("You were not invited to review this round."))
    if not RoundIdea.objects.filter(round=round, idea=idea).exists():
        raise ValidationError(_("This idea is not part of the round."))
    if (
        reviewer.user_id is not None
        and IdeaAuthor.objects.filter(idea=idea, user_id=reviewer.user_id, left_at__isnull=True).exists()
    ):
        raise ValidationError(OWN_IDEA_MESSAGE)
    criteria = {c.pk: c for c in round.criteria.all()}
    errors: dict[str, str] = {}
    rows: list[tuple[Criterion, int | None, str]] = []
    for criterion_id, (raw, comment) in entries.items():
        criterion = criteria.get(criterion_id)
        if criterion is None:
            errors["__all__"] = _("One of the criteria is not part of this round. Reload the page and try again.")
            continue
        comment = (comment or "").strip()
        score: int | None = None
        if raw not in (None, ""):
            score = whole_number(raw.strip() if isinstance(raw, str) else raw, max_digits=3)
            if score is None or not criterion.scale_min <= score <= criterion.scale_max:
                errors[f"score_{criterion.pk}"] = _(
                    "“%(name)s”: give a whole number from %(low)d to %(high)d, or leave it empty."
                ) % {"name": criterion.name, "low": criterion.scale_min, "high": criterion.scale_max}
                continue
        if len(comment) > COMMENT_MAX:
            errors[f"comment_{criterion.pk}"] = _("Keep it to %(max)d characters.") % {"max": COMMENT_MAX}
            continue
        rows.append((criterion, score, comment))
    if errors:
        raise ValidationError(errors)
    if not any(score is not None or comment for _c, score, comment in rows):
        raise ValidationError(_("Give at least one score or comment before saving."))
    for criterion, score, comment in rows:
        ReviewScore.objects.update_or_create(
            reviewer=reviewer,
            idea=idea,
            criterion=criterion,
            defaults={"round": round, "score": score, "comment": comment},
        )
    return len(rows)


@transaction.atomic
def response_save(*, user: User, round: ReviewRound, idea: Idea, text: str) -> AuthorResponse:
    """The authors' answer to a round's reviews of their idea (once the results are out; it can be changed)."""
    if round.status != RoundStatus.CLOSED:
        raise ValidationError(_("You can respond once the round has closed and its results are published."))
    if not RoundIdea.objects.filter(round=round, idea=idea).exists():
        raise ValidationError(_("This idea is not part of the round."))
    errors: dict[str, str] = {}
    text = _text(errors, "text", text, 5000, _("Write your response first."))
    if errors:
        raise ValidationError(errors)
    response, created = AuthorResponse.objects.update_or_create(
        round=round, idea=idea, defaults={"text": text, "author": user}
    )
    if created:
        _event(idea, EventKind.RESPONDED, user, data={"round": round.pk}, note=round.title)
    return response
