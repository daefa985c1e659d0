"""Every write to follow-through: commitments, milestones, updates, feedback moments and their settings.

Keyword arguments, one transaction each, plain-language errors (ValidationError) for bad input and
nothing half-saved. Contributors are told of every update by copro.followthrough.notify: one bulk insert
of per-person notice rows and one background task, never per-person work in the request.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Model
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from copro.core import activity
from copro.core.forms import claim_token
from copro.core.links import link_create
from copro.core.models import OFFLINE_ENTRY_CHANNELS, EntryChannel, ResourceLink, Visibility
from copro.followthrough import notify
from copro.followthrough.models import (
    NEEDS_REASON,
    SOURCE_KINDS,
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    FeedbackAbout,
    FeedbackMoment,
    FeedbackSettings,
    FeedbackTag,
    Milestone,
    NoticeOptOut,
    Triage,
)
from copro.projects.models import Membership, Project, ProjectVisibility

if TYPE_CHECKING:
    from copro.accounts.models import User

TITLE_MAX = 200
DESCRIPTION_MAX = 10000
UPDATE_MAX = 10000
REASON_MAX = 3000
FEEDBACK_MAX = 5000
CONTACT_MAX = 300
NOTE_MAX = 3000
EXCERPT_MAX = 1000
INTRO_MAX = 1000
MILESTONES_MAX = 50  # a commitment with more steps than this is several commitments


# --- Helpers -------------------------------------------------------------------------------------


def is_blank(value: str | None) -> bool:
    """True for text with nothing to read: empty, or only spaces (any Unicode space separator, Z*) and
    invisible format characters (Cf: zero-width spaces and joiners, direction marks, soft hyphens...).
    Python's str.strip() leaves "\u200b" in place, so a reason made of it would look given but say nothing."""
    return all(
        ch.isspace() or unicodedata.category(ch).startswith("Z") or unicodedata.category(ch) == "Cf"
        for ch in (value or "")
    )


def _text(value: str | None, *, field: str, max_length: int, required: str | None = None) -> str:
    """Trimmed text; `required` is the message when it is empty. Text of only spaces and invisible
    characters (is_blank) counts as empty, and is saved as empty where the text is optional."""
    value = (value or "").strip()
    if is_blank(value):
        value = ""
    if required and not value:
        raise ValidationError({field: required})
    if len(value) > max_length:
        raise ValidationError(
            {
                field: _("This can be at most %(max)d characters long (it is %(n)d).")
                % {"max": max_length, "n": len(value)}
            }
        )
    return value


def _label(obj: Model) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _member_ids(project: Project, users: Iterable[Any]) -> set[int]:
    ids = {u.pk for u in users if u is not None}
    found = set(Membership.objects.filter(project=project, user_id__in=ids).values_list("user_id", flat=True))
    return found


def _check_people(project: Project, owner: Any, co_owners: Iterable[Any]) -> list[Any]:
    co_owners = [u for u in co_owners if u is not None and u.pk != getattr(owner, "pk", None)]
    if owner is None:
        raise ValidationError({"owner": _("Choose who owns this commitment.")})
    members = _member_ids(project, [owner, *co_owners])
    if owner.pk not in members:
        raise ValidationError({"owner": _("The owner must be a member of this project.")})
    strangers = [u for u in co_owners if u.pk not in members]
    if strangers:
        raise ValidationError({"co_owners": _("Everyone who shares ownership must be a member of this project.")})
    return co_owners


def _check_due(due_on: Any, today: date) -> date:
    if not isinstance(due_on, date):
        raise ValidationError({"due_on": _("Give the date it is due by, for example 31 March 2027.")})
    if due_on < today:
        raise ValidationError(
            {
                "due_on": _(
                    "The date it is due by (%(date)s) is in the past. A new promise needs a date from today on."
                )
                % {"date": date_format(due_on, "j F Y")}
            }
        )
    return due_on


def _check_visibility(visibility: str) -> str:
    if visibility not in Visibility.values:
        raise ValidationError({"visibility": _("Choose who can see this commitment.")})
    return visibility


def check_source(project: Project, source: Model) -> str:
    """The link kind for a commitment from this item, or a plain-language ValidationError.

    A commitment shows what led to it to everyone who can see the commitment, and tells the people who took
    part: so the item must be one they can see. A decision still open, a consultation or a meeting still being
    prepared, or an idea hidden by a moderator cannot lead to a commitment (yet)."""
    kind = SOURCE_KINDS.get(_label(source))
    if kind is None:
        raise ValidationError(
            {"source": _("A commitment can come from a decision, an idea, a meeting action or a consultation.")}
        )
    if getattr(source, "project_id", None) != project.pk:
        raise ValidationError({"source": _("That item belongs to another project.")})
    if _label(source) == "decisions.decision" and getattr(source, "status", "") != "closed":
        raise ValidationError({"source": _("Only a decision that has been made (closed) can lead to a commitment.")})
    if _label(source) == "consultations.consultation" and getattr(source, "status", "") == "draft":
        raise ValidationError({"source": _("This consultation is still being prepared.")})
    if _label(source) == "meetings.meetingaction":
        meeting = getattr(source, "meeting", None)
        if meeting is not None and getattr(meeting, "status", "") == "draft":
            raise ValidationError(
                {
                    "source": _(
                        "This action comes from a meeting that is still being prepared, which only facilitators "
                        "can see. Publish the meeting first, then make the commitment."
                    )
                }
            )
    if _label(source) == "ideas.idea" and getattr(source, "hidden_at", None) is not None:
        raise ValidationError({"source": _("This idea was hidden by a moderator, so it cannot lead to a commitment.")})
    return kind


def _visibility_for_activity(commitment: Commitment) -> str:
    return commitment.visibility


# --- Commitments ---------------------------------------------------------------------------------


@transaction.atomic
def commitment_create(
    *,
    project: Project,
    created_by: User,
    title: str,
    description: str = "",
    owner: User,
    due_on: date,
    co_owners: Iterable[User] = (),
    source: Model | None = None,
    visibility: str = Visibility.PUBLIC,
    form_token: uuid.UUID | None = None,
    today: date | None = None,
) -> Commitment:
    """Make a promise ("we will"). With a source (a closed decision, an idea, a meeting action or a
    consultation) the commitment is linked to it, and the people who took part are told."""
    today = today or timezone.localdate()
    title = _text(title, field="title", max_length=TITLE_MAX, required=_("Say what you will do."))
    description = _text(description, field="description", max_length=DESCRIPTION_MAX)
    due_on = _check_due(due_on, today)
    co_owners = _check_people(project, owner, co_owners)
    visibility = _check_visibility(visibility)
    kind = check_source(project, source) if source is not None else None
    claim_token(form_token)
    commitment = Commitment.objects.create(
        project=project,
        title=title,
        description=description,
        owner=owner,
        due_on=due_on,
        visibility=visibility,
        created_by=created_by,
    )
    if co_owners:
        commitment.co_owners.set(co_owners)
    if kind is not None and source is not None:
        link_create(kind=kind, source=source, target=commitment, user=created_by)
    activity.record(
        verb="followthrough.created",
        actor=created_by,
        project=project,
        target=commitment,
        visibility=_visibility_for_activity(commitment),
    )
    if kind is not None:
        # The people who took part hear that a promise was made: the first entry of its history.
        made = CommitmentUpdate.objects.create(
            commitment=commitment, author=created_by, text="", status_from="", status_to=CommitmentStatus.PLANNED
        )
        made.recipients = notify.queue(made)
        CommitmentUpdate.objects.filter(pk=made.pk).update(recipients=made.recipients)
    return commitment


@transaction.atomic
def commitment_link_add(*, commitment: Commitment, source: Model, user: User) -> ResourceLink:
    """Say that a commitment also answers another item (a second decision, an idea...)."""
    kind = check_source(commitment.project, source)
    return link_create(kind=kind, source=source, target=commitment, user=user)


@transaction.atomic
def commitment_edit(
    *,
    commitment: Commitment,
    user: User,
    title: str,
    description: str = "",
    owner: User,
    due_on: date,
    co_owners: Iterable[User] = (),
    visibility: str = Visibility.PUBLIC,
    message: str = "",
    form_token: uuid.UUID | None = None,
    today: date | None = None,
) -> Commitment:
    """Change the promise's wording, owner or date. A new due date cannot be in the past (the date it
    already had may be: that is what "overdue" means). Status changes go through an update, so people hear.

    Moving the date is news for the people who took part: it needs a `message` saying why, posted as an
    update (so they are told). A message may be given with any other change too.

    Widening who can see it (facilitators only -> members -> everyone) tells the contributors who can see it
    now, and could not before, that the promise was made (notify.queue_newly_visible).

    The same form sent twice (a double click) raises DuplicateSubmission before anything is written: the
    message is posted, and people emailed, once."""
    today = today or timezone.localdate()
    title = _text(title, field="title", max_length=TITLE_MAX, required=_("Say what you will do."))
    description = _text(description, field="description", max_length=DESCRIPTION_MAX)
    message = _text(message, field="message", max_length=UPDATE_MAX)
    if due_on != commitment.due_on:
        due_on = _check_due(due_on, today)
        if not message:
            raise ValidationError(
                {"message": _("You moved the date: say why, in plain words. The people who took part will be told.")}
            )
    co_owners = _check_people(commitment.project, owner, co_owners)
    visibility = _check_visibility(visibility)
    claim_token(form_token)
    was_visible_to = Commitment.objects.select_for_update().values_list("visibility", flat=True).get(pk=commitment.pk)
    fields: dict[str, Any] = {
        "title": title,
        "description": description,
        "owner": owner,
        "due_on": due_on,
        "visibility": visibility,
        "updated_at": timezone.now(),
    }
    if due_on != commitment.due_on and due_on >= today:
        fields["overdue_flagged_at"] = None  # a new date: if it slips again, say so again
    Commitment.objects.filter(pk=commitment.pk).update(**fields)
    for name, value in fields.items():
        setattr(commitment, name, value)
    commitment.co_owners.set(co_owners)
    activity.record(
        verb="followthrough.edited",
        actor=user,
        project=commitment.project,
        target=commitment,
        visibility=_visibility_for_activity(commitment),
    )
    # First that the promise exists (for those who could not see it until now), then the news.
    notify.queue_newly_visible(commitment, was=was_visible_to, editor_id=user.pk)
    if message:
        commitment_update_post(commitment=commitment, author=user, text=message)
    return commitment


@transaction.atomic
def commitment_update_post(
    *,
    commitment: Commitment,
    author: User,
    text: str,
    status: str | None = None,
    reason: str = "",
    form_token: uuid.UUID | None = None,
) -> CommitmentUpdate:
    """Tell people what has happened, optionally changing the status (changed and dropped need a reason).

    Everyone who contributed to the linked items is told, once each (notify.queue: a bulk insert of
    notice rows and one background task)."""
    locked = Commitment.objects.select_for_update().get(pk=commitment.pk)
    if status == locked.status or status == "":
        status = None
    if status is not None and status not in CommitmentStatus.values:
        raise ValidationError({"status": _("Choose one of the statuses in the list.")})
    text = _text(text, field="text", max_length=UPDATE_MAX)
    reason = _text(reason, field="reason", max_length=REASON_MAX)
    if status in NEEDS_REASON and not reason:
        label = CommitmentStatus(status).label
        raise ValidationError(
            {
                "reason": _("Say why it is “%(status)s”, in plain words: the people who took part will read it.")
                % {"status": label}
            }
        )
    if not text and status is None:
        raise ValidationError({"text": _("Write what has happened, or choose a new status.")})
    claim_token(form_token)
    update = CommitmentUpdate.objects.create(
        commitment=locked,
        author=author,
        text=text,
        status_from=locked.status if status else "",
        status_to=status or "",
        reason=reason if status else "",
    )
    now = timezone.now()
    fields: dict[str, Any] = {"updated_at": now}
    if status is not None:
        fields["status"] = status
        if reason:
            fields["status_reason"] = reason
        fields["done_at"] = now if status == CommitmentStatus.DONE else None
    Commitment.objects.filter(pk=locked.pk).update(**fields)
    for name, value in fields.items():
        setattr(commitment, name, value)
    if status is not None:
        activity.record(
            verb="followthrough.status_changed",
            actor=author,
            project=commitment.project,
            target=commitment,
            visibility=_visibility_for_activity(locked),
            data={"status": str(CommitmentStatus(status).label)},
        )
    else:
        activity.record(
            verb="followthrough.update_posted",
            actor=author,
            project=commitment.project,
            target=commitment,
            visibility=_visibility_for_activity(locked),
        )
    update.recipients = notify.queue(update)
    CommitmentUpdate.objects.filter(pk=update.pk).update(recipients=update.recipients)
    return update


# --- Milestones ----------------------------------------------------------------------------------


@transaction.atomic
def milestone_add(
    *,
    commitment: Commitment,
    user: User,
    title: str,
    due_on: date | None = None,
    form_token: uuid.UUID | None = None,
) -> Milestone:
    """Add a step at the end of the list. The same form sent twice adds it once (DuplicateSubmission)."""
    title = _text(title, field="title", max_length=TITLE_MAX, required=_("Name the step."))
    if Milestone.objects.filter(commitment=commitment).count() >= MILESTONES_MAX:
        raise ValidationError(
            _("A commitment can have at most %(max)d milestones. Split it into several commitments.")
            % {"max": MILESTONES_MAX}
        )
    if due_on is not None and due_on > commitment.due_on:
        raise ValidationError({"due_on": _("A milestone is due before the commitment itself.")})
    claim_token(form_token)
    last = Milestone.objects.filter(commitment=commitment).aggregate(m=Max("position"))["m"]
    return Milestone.objects.create(
        commitment=commitment, title=title, due_on=due_on, position=0 if last is None else last + 1
    )


@transaction.atomic
def milestone_edit(*, milestone: Milestone, user: User, title: str, due_on: date | None = None) -> Milestone:
    """Rename a step or change its date (the same checks as adding one); whether it is done is kept."""
    title = _text(title, field="title", max_length=TITLE_MAX, required=_("Name the step."))
    if due_on is not None and due_on != milestone.due_on:  # a date kept as it was stays, even if the commitment moved
        commitment = Commitment.objects.only("due_on").get(pk=milestone.commitment_id)
        if due_on > commitment.due_on:
            raise ValidationError({"due_on": _("A milestone is due before the commitment itself.")})
    milestone.title, milestone.due_on = title, due_on
    Milestone.objects.filter(pk=milestone.pk).update(title=title, due_on=due_on)
    return milestone


@transaction.atomic
def milestone_tick(*, milestone: Milestone, user: User, done: bool) -> Milestone:
    """Mark a step done (or not done after all). Ticking twice is harmless."""
    if done and milestone.done_at is None:
        milestone.done_at = timezone.now()
    elif not done:
        milestone.done_at = None
    Milestone.objects.filter(pk=milestone.pk).update(done_at=milestone.done_at)
    return milestone


@transaction.atomic
def milestone_move(*, milestone: Milestone, user: User, up: bool) -> None:
    """Move a step one place up or down the list (positions are renumbered 0, 1, 2... as they go)."""
    steps = list(Milestone.objects.select_for_update().filter(commitment_id=milestone.commitment_id))
    index = next(i for i, m in enumerate(steps) if m.pk == milestone.pk)
    other = index - 1 if up else index + 1
    if 0 <= other < len(steps):
        steps[index], steps[other] = steps[other], steps[index]
    changed = []
    for position, step in enumerate(steps):
        if step.position != position:
            step.position = position
            changed.append(step)
    Milestone.objects.bulk_update(changed, ["position"])


@transaction.atomic
def milestone_remove(*, milestone: Milestone, user: User) -> None:
    Milestone.objects.filter(pk=milestone.pk).delete()


# --- Overdue -------------------------------------------------------------------------------------


def overdue_flag(*, today: date | None = None) -> list[Commitment]:
    """Tell each overdue commitment's owner and the project's facilitators, once per commitment.

    Run daily (`copro followthrough overdue`). The conditional update makes it once-only even when two
    runs overlap; changing the due date to a later one lets it be flagged again if that slips too."""
    from django.conf import settings as django_settings
    from django.urls import reverse

    from copro.core.email import queue_email

    today = today or timezone.localdate()
    flagged = []
    due = Commitment.objects.filter(
        status__in=[CommitmentStatus.PLANNED, CommitmentStatus.IN_PROGRESS],
        due_on__lt=today,
        overdue_flagged_at__isnull=True,
    ).select_related("project", "owner")
    for commitment in due.order_by("id"):
        with transaction.atomic():
            if not Commitment.objects.filter(pk=commitment.pk, overdue_flagged_at__isnull=True).update(
                overdue_flagged_at=timezone.now()
            ):
                continue
            url = django_settings.SITE_URL + reverse(
                "followthrough:commitment", args=[commitment.project.slug, commitment.pk]
            )
            people = {commitment.owner_id: commitment.owner}
            for membership in Membership.objects.filter(
                project=commitment.project, role="facilitator", user__is_active=True
            ).select_related("user"):
                people.setdefault(membership.user_id, membership.user)
            for person in people.values():
                if not person.is_active or not person.notify_by_email or not person.email:
                    continue
                queue_email(
                    to=person.email,
                    template="followthrough/email/overdue",
                    context={
                        "title": commitment.title,
                        "project_title": commitment.project.title,
                        "due_on": commitment.due_on,
                        "owner": commitment.owner.public_name,
                        "is_owner": person.pk == commitment.owner_id,
                        "url": url,
                    },
                    language=person.preferred_language,
                )
            activity.record(
                verb="followthrough.overdue",
                actor=None,
                project=commitment.project,
                target=commitment,
                visibility=Visibility.STAFF,
            )
        flagged.append(commitment)
    return flagged


# --- Stopping the emails -------------------------------------------------------------------------


def notices_stop(*, user: User, project: Project) -> None:
    """Stop emails about this project's commitments for this person (the news stays on the page)."""
    try:
        with transaction.atomic():
            NoticeOptOut.objects.create(user=user, project=project)
    except IntegrityError:
        pass  # already stopped: pressing the button twice is fine


def notices_restart(*, user: User, project: Project) -> None:
    NoticeOptOut.objects.filter(user=user, project=project).delete()


# --- Feedback moments ----------------------------------------------------------------------------


def feedback_settings(project: Project) -> FeedbackSettings:
    """The project's feedback settings (the defaults, unsaved, if it has none yet)."""
    found = FeedbackSettings.objects.filter(project=project).first()
    return found or FeedbackSettings(project=project)


def anonymous_feedback_allowed(project: Project) -> bool:
    return project.visibility == ProjectVisibility.PUBLIC and feedback_settings(project).allow_anonymous


@transaction.atomic
def feedback_settings_save(*, project: Project, user: User, allow_anonymous: bool, intro: str = "") -> FeedbackSettings:
    intro = _text(intro, field="intro", max_length=INTRO_MAX)
    found, _created = FeedbackSettings.objects.update_or_create(
        project=project, defaults={"allow_anonymous": bool(allow_anonymous), "intro": intro, "updated_by": user}
    )
    return found


def _check_feeling(feeling: Any) -> int:
    if isinstance(feeling, bool) or not isinstance(feeling, int) or not 1 <= feeling <= 5:
        raise ValidationError({"feeling": _("Choose how it felt, from very bad to very good.")})
    return feeling


def _check_tags(tags: Iterable[str]) -> list[str]:
    chosen = []
    for tag in tags:
        if tag not in FeedbackTag.values:
            raise ValidationError({"tags": _("Choose tags from the list.")})
        if tag not in chosen:
            chosen.append(tag)
    return chosen


@transaction.atomic
def feedback_give(
    *,
    project: Project,
    text: str,
    feeling: int,
    about: str = FeedbackAbout.SERVICE,
    tags: Iterable[str] = (),
    contact: str = "",
    given_by: User | None = None,
    entered_by: User | None = None,
    channel: str = EntryChannel.ONLINE,
    consent_to_share: bool = False,
    form_token: uuid.UUID | None = None,
) -> FeedbackMoment:
    """Quick feedback in the moment, private to facilitators. Without an account only where the project
    allows it (the caller also rate-limits). A practitioner entering it for someone records how it reached
    them (paper, phone, drop-in, outreach)."""
    text = _text(text, field="text", max_length=FEEDBACK_MAX, required=_("Tell us what happened, in a few words."))
    feeling = _check_feeling(feeling)
    if about not in FeedbackAbout.values:
        raise ValidationError({"about": _("Say whether this is about the service or the project.")})
    chosen_tags = _check_tags(tags)
    contact = _text(contact, field="contact", max_length=CONTACT_MAX)
    if entered_by is not None:
        if channel not in OFFLINE_ENTRY_CHANNELS:
            raise ValidationError(
                {"channel": _("Say how this feedback reached you: paper, phone, drop-in or outreach.")}
            )
    else:
        channel = EntryChannel.ONLINE
        if given_by is None and not anonymous_feedback_allowed(project):
            raise ValidationError(_("This project takes feedback only from people who are signed in."))
    claim_token(form_token)
    return FeedbackMoment.objects.create(
        project=project,
        about=about,
        text=text,
        feeling=feeling,
        tags=chosen_tags,
        contact=contact,
        given_by=given_by,
        entered_by=entered_by,
        channel=channel,
        consent_to_share=bool(consent_to_share),
    )


@transaction.atomic
def feedback_triage(
    *, feedback: FeedbackMoment, user: User, triage: str, note: str = "", commitment: Commitment | None = None
) -> FeedbackMoment:
    """Celebrate, act on or pass on, with a note for the team; optionally link it to a commitment."""
    if triage not in Triage.values:
        raise ValidationError({"triage": _("Choose what to do with this feedback.")})
    note = _text(note, field="note", max_length=NOTE_MAX)
    if commitment is not None and commitment.project_id != feedback.project_id:
        raise ValidationError({"commitment": _("Choose a commitment of this project.")})
    feedback.triage = triage
    feedback.triage_note = note
    feedback.commitment = commitment
    feedback.triaged_by = user
    feedback.triaged_at = timezone.now()
    feedback.save(update_fields=["triage", "triage_note", "commitment", "triaged_by", "triaged_at"])
    return feedback


_CUTS = re.compile(r"\s*(?:\[\s*(?:…|\.\.\.)\s*\]|…|\.\.\.)\s*")
_SPACES = re.compile(r"\s+")


def _normal(value: str) -> str:
    return (
        _SPACES.sub(" ", value.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"'))
        .strip()
        .casefold()
    )


def excerpt_is_from(excerpt: str, text: str) -> bool:
    """True when every piece of the excerpt, between cuts marked "…" (or "...", "[…]"), is the giver's own
    words, in order: facilitators may leave words out, never add or change them."""
    original = _normal(text)
    position = 0
    pieces = [_normal(p).strip(" \"'.,;:") for p in _CUTS.split(excerpt)]
    pieces = [p for p in pieces if p]
    if not pieces:
        return False
    for piece in pieces:
        found = original.find(piece, position)
        if found < 0:
            return False
        position = found + len(piece)
    return True


@transaction.atomic
def feedback_share(*, feedback: FeedbackMoment, user: User, excerpt: str) -> FeedbackMoment:
    """Show an excerpt on the "You said, we did" page, without a name. Only with the giver's consent."""
    if not feedback.consent_to_share:
        raise ValidationError(
            _("The person who gave this feedback did not agree to it being quoted, so it stays private.")
        )
    excerpt = _text(excerpt, field="excerpt", max_length=EXCERPT_MAX, required=_("Choose the words to share."))
    if not excerpt_is_from(excerpt, feedback.text):
        raise ValidationError(
            {
                "excerpt": _(
                    "Use the giver's own words: you may leave words out (mark each cut with …), "
                    "but not add or change any."
                )
            }
        )
    feedback.public_excerpt = excerpt
    feedback.shared_at = timezone.now()
    try:
        with transaction.atomic():
            feedback.save(update_fields=["public_excerpt", "shared_at"])
    except IntegrityError:
        # Consent was withdrawn a moment ago (the database refuses to share without it).
        raise ValidationError(
            _("The person who gave this feedback did not agree to it being quoted, so it stays private.")
        ) from None
    activity.record(
        verb="followthrough.feedback_shared",
        actor=user,
        project=feedback.project,
        target=None,
        visibility=Visibility.STAFF,
    )
    return feedback


@transaction.atomic
def feedback_unshare(*, feedback: FeedbackMoment, user: User) -> FeedbackMoment:
    feedback.shared_at = None
    feedback.save(update_fields=["shared_at"])
    return feedback


@transaction.atomic
def feedback_withdraw_consent(*, feedback: FeedbackMoment, user: User) -> FeedbackMoment:
    """The giver changes their mind: it is no longer quoted anywhere."""
    FeedbackMoment.objects.filter(pk=feedback.pk).update(consent_to_share=False, shared_at=None, public_excerpt="")
    feedback.consent_to_share = False
    feedback.shared_at = None
    feedback.public_excerpt = ""
    return feedback
