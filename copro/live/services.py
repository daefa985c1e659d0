"""Every write to a meeting's live feed. Keyword arguments, one transaction each, plain-language errors.

Each change takes the feed's next sequence number (models' docstring) and, once committed, is pushed to
the people watching (copro.live.broadcast): the public version to viewers, the full one (with questions
waiting for approval) to facilitators and reporters. A push that fails loses nothing: viewers catch up
from the sequence number when they reconnect or poll.

The activity log gets the feed's own changes (started, ended, closed by itself, reporters appointed),
never one line per entry, question or like: a busy meeting would otherwise serialise on the hash chain.

When posting closes: when a facilitator ends live reporting, or by itself GRACE after the meeting's
planned end (checked whenever the feed is read or written: `feed_close_if_overdue`). After that the
feed is the meeting's public record: read only, except that facilitators can still correct or withdraw
an entry and answer approved questions, so the record is right.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.core import activity
from copro.core.forms import claim_token
from copro.core.models import Visibility
from copro.core.permissions import TABLE, Role
from copro.core.photos import photo_clean
from copro.core.sanitize import CONTROL as _CONTROL
from copro.live import broadcast
from copro.live.access import can_report
from copro.live.models import (
    Entry,
    EntryKind,
    EntryRevision,
    FeedStatus,
    Like,
    LiveFeed,
    Question,
    QuestionKind,
    QuestionStatus,
    Reporter,
)
from copro.meetings.models import MeetingStatus
from copro.projects.access import forget_roles, project_role
from copro.projects.models import Membership

# Posting stays open this long after the meeting's planned end (a late finish, a closing summary), then
# the feed closes by itself.
GRACE = timedelta(hours=3)
TEXT_MAX = 5000
ALT_MAX = 300
QUESTION_MAX = 1000
ANSWER_MAX = 3000
REASON_MAX = 300

# C0 control characters (except tab and newline) and DEL: never meant, and they confuse screen readers.


def clean_text(raw: Any, *, max_length: int) -> str:
    """Plain text as typed: line endings made "\n", control characters removed, trimmed. Never HTML: pages
    escape it and the script puts it in place with textContent."""
    text = raw if isinstance(raw, str) else ""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text).strip()
    if len(text) > max_length:
        raise ValidationError(_("Keep it to %(max)d characters.") % {"max": max_length})
    return text


def _field_text(raw: Any, *, field: str, max_length: int) -> str:
    try:
        return clean_text(raw, max_length=max_length)
    except ValidationError as error:
        raise ValidationError({field: error.messages}) from None


# --- The feed's state -----------------------------------------------------------------------------


def closes_at(feed: LiveFeed) -> datetime:
    """When a live feed closes by itself."""
    return feed.meeting.ends_at + GRACE


def is_open(feed: LiveFeed, now: datetime | None = None) -> bool:
    """Whether reporters may post and viewers send questions now."""
    return feed.status == FeedStatus.LIVE and (now or timezone.now()) < closes_at(feed)


def _next_seq(feed: LiveFeed) -> int:
    # The UPDATE takes the feed's row lock until the transaction ends, so numbers are handed out in the
    # order changes commit: a viewer who has seen number n never misses a smaller one committed later.
    LiveFeed.objects.filter(pk=feed.pk).update(seq=F("seq") + 1)
    feed.seq = LiveFeed.objects.filter(pk=feed.pk).values_list("seq", flat=True).get()
    return feed.seq


def _require_manager(user: User, feed: LiveFeed) -> None:
    if not TABLE.allowed(project_role(user, feed.project), "live.manage"):
        raise PermissionDenied


def _require_reporter(user: User, feed: LiveFeed) -> Role | None:
    role = project_role(user, feed.project)
    if not can_report(feed, user, role):
        raise PermissionDenied
    return role


def _require_open(feed: LiveFeed) -> None:
    if feed.status == FeedStatus.WAITING:
        raise ValidationError(_("Live reporting has not started yet."))
    if not is_open(feed):
        raise ValidationError(_("Live reporting has ended: the feed is now the record of the meeting."))


@transaction.atomic
def feed_start(*, user: User, feed: LiveFeed) -> LiveFeed:
    """Start (or restart, after ending it by mistake) live reporting."""
    _require_manager(user, feed)
    if feed.meeting.status != MeetingStatus.PUBLISHED:
        raise ValidationError(_("Publish the meeting before you start reporting it live."))
    now = timezone.now()
    if now >= closes_at(feed):
        raise ValidationError(
            _("This meeting ended more than %(hours)d hours ago: its feed is the record and cannot be reopened.")
            % {"hours": GRACE.total_seconds() // 3600}
        )
    if feed.status == FeedStatus.LIVE:
        return feed
    restarted = feed.status == FeedStatus.ENDED
    feed.status = FeedStatus.LIVE
    feed.started_at = feed.started_at or now
    feed.started_by = feed.started_by or user
    feed.ended_at = None
    feed.ended_by = None
    _next_seq(feed)
    feed.save(update_fields=["status", "started_at", "started_by", "ended_at", "ended_by"])
    activity.record(
        verb="live.restarted" if restarted else "live.started", actor=user, project=feed.project, target=feed
    )
    broadcast.status(feed)
    return feed


@transaction.atomic
def feed_end(*, user: User, feed: LiveFeed) -> LiveFeed:
    _require_manager(user, feed)
    if feed.status != FeedStatus.LIVE:
        raise ValidationError(_("Live reporting is not on."))
    updated = LiveFeed.objects.filter(pk=feed.pk, status=FeedStatus.LIVE).update(
        status=FeedStatus.ENDED, ended_at=timezone.now(), ended_by=user
    )
    if not updated:  # ended by someone else a moment ago: the outcome wanted
        feed.refresh_from_db()
        return feed
    feed.refresh_from_db()
    _next_seq(feed)
    activity.record(verb="live.ended", actor=user, project=feed.project, target=feed)
    broadcast.status(feed)
    return feed


def feed_close_if_overdue(feed: LiveFeed, now: datetime | None = None) -> bool:
    """Close a live feed whose meeting ended more than GRACE ago. Returns True if this call closed it.

    Called whenever the feed is read or written; the conditional UPDATE makes it happen once.
    """
    now = now or timezone.now()
    if feed.status != FeedStatus.LIVE or now < closes_at(feed):
        return False
    with transaction.atomic():
        updated = LiveFeed.objects.filter(pk=feed.pk, status=FeedStatus.LIVE).update(
            status=FeedStatus.ENDED, ended_at=closes_at(feed), ended_by=None
        )
        feed.refresh_from_db()
        if not updated:
            return False
        _next_seq(feed)
        activity.record(verb="live.closed", actor=None, project=feed.project, target=feed)
        broadcast.status(feed)
    return True


@transaction.atomic
def feed_questions_open(*, user: User, feed: LiveFeed, open: bool) -> LiveFeed:
    """Pause or resume viewers' questions and comments (for example while the room takes a break)."""
    _require_reporter(user, feed)
    if feed.questions_open == open:
        return feed
    feed.questions_open = open
    _next_seq(feed)
    feed.save(update_fields=["questions_open"])
    broadcast.status(feed)
    return feed


# --- Reporters ------------------------------------------------------------------------------------


@transaction.atomic
def reporter_appoint(*, user: User, feed: LiveFeed, member_id: Any) -> Reporter:
    _require_manager(user, feed)
    membership = Membership.objects.filter(project=feed.project, user_id=member_id).select_related("user").first()
    if membership is None:
        raise ValidationError({"member": _("Choose one of the project's members.")})
    if membership.role == Role.FACILITATOR:
        raise ValidationError({"member": _("Facilitators can always report: there is no need to appoint them.")})
    if not TABLE.allowed(Role(membership.role), "live.report"):
        raise ValidationError(
            {"member": _("Observers follow the project and cannot report. Choose a participant or an expert.")}
        )
    try:
        with transaction.atomic():
            reporter = Reporter.objects.create(feed=feed, user=membership.user, appointed_by=user)
    except IntegrityError:
        return Reporter.objects.get(feed=feed, user=membership.user)  # appointed already: the outcome wanted
    activity.record(
        verb="live.reporter_appointed",
        actor=user,
        project=feed.project,
        target=feed,
        visibility=Visibility.STAFF,
        data={"member": membership.user.public_name},
    )
    forget_roles(membership.user)
    return reporter


@transaction.atomic
def reporter_remove(*, user: User, feed: LiveFeed, member_id: Any) -> bool:
    _require_manager(user, feed)
    reporter = Reporter.objects.filter(feed=feed, user_id=member_id).select_related("user").first()
    if reporter is None:
        return False
    name = reporter.user.public_name
    reporter_user_id = reporter.user_id
    reporter.delete()
    broadcast.revoke(reporter_user_id)  # their open feeds stop getting waiting questions at once
    activity.record(
        verb="live.reporter_removed",
        actor=user,
        project=feed.project,
        target=feed,
        visibility=Visibility.STAFF,
        data={"member": name},
    )
    return True


# --- Entries --------------------------------------------------------------------------------------


def _check_kind(kind: Any) -> str:
    if kind not in EntryKind.values:
        raise ValidationError({"kind": _("Choose what this is: a note, a decision or an action.")})
    return str(kind)


def _check_alt(photo_alt: Any, *, needed: bool) -> str:
    alt = _field_text(photo_alt, field="photo_alt", max_length=ALT_MAX).replace("\n", " ")
    if needed and not alt:
        raise ValidationError({"photo_alt": _("Say what the photo shows, for people who cannot see it.")})
    return alt


@transaction.atomic
def entry_post(
    *,
    user: User,
    feed: LiveFeed,
    kind: Any = EntryKind.NOTE,
    text: Any = "",
    photo: Any = None,
    photo_alt: Any = "",
    form_token: uuid.UUID | None = None,
) -> Entry:
    """A note, decision or action, with an optional photo. Raises ValidationError and saves nothing if any
    part is wrong (a photo that is too large included): the form keeps what was typed."""
    _require_reporter(user, feed)
    _require_open(feed)
    errors: dict[str, list[str]] = {}
    try:
        kind = _check_kind(kind)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        text = _field_text(text, field="text", max_length=TEXT_MAX)
    except ValidationError as error:
        errors.update(error.message_dict)
        text = ""
    try:
        alt = _check_alt(photo_alt, needed=bool(photo))
    except ValidationError as error:
        errors.update(error.message_dict)
        alt = ""
    if not text and not photo and "text" not in errors:
        errors["text"] = [_("Write something, or add a photo.")]
    cleaned_photo = None
    if photo:
        try:
            cleaned_photo = photo_clean(photo)
        except ValidationError as error:
            errors.update(error.message_dict)
    if errors:
        raise ValidationError(errors)
    claim_token(form_token)
    entry = Entry(
        feed=feed,
        project_id=feed.project_id,
        kind=kind,
        text=text,
        photo_alt=alt if cleaned_photo else "",
        author=user,
        seq=_next_seq(feed),
    )
    if cleaned_photo is not None:
        entry.photo.save(cleaned_photo.name, cleaned_photo, save=False)
    entry.save()
    broadcast.entry(feed, entry)
    return entry


def _require_entry_editor(user: User, entry: Entry) -> None:
    """Its author while they may still report and the feed is open; a facilitator at any time."""
    feed = entry.feed
    role = project_role(user, feed.project)
    if TABLE.allowed(role, "live.manage"):
        return
    if entry.author_id != user.pk or not can_report(feed, user, role):
        raise PermissionDenied
    _require_open(feed)


@transaction.atomic
def entry_correct(*, user: User, entry: Entry, kind: Any, text: Any, photo_alt: Any = "") -> Entry:
    """Correct an entry. What it said before is kept (EntryRevision) and the entry shows "corrected"."""
    _require_entry_editor(user, entry)
    if entry.is_withdrawn:
        raise ValidationError(_("This entry has been withdrawn: it can no longer be corrected."))
    errors: dict[str, list[str]] = {}
    try:
        kind = _check_kind(kind)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        text = _field_text(text, field="text", max_length=TEXT_MAX)
    except ValidationError as error:
        errors.update(error.message_dict)
        text = ""
    try:
        alt = _check_alt(photo_alt, needed=bool(entry.photo))
    except ValidationError as error:
        errors.update(error.message_dict)
        alt = ""
    if not text and not entry.photo and "text" not in errors:
        errors["text"] = [_("Write something: an entry without a photo needs text.")]
    if errors:
        raise ValidationError(errors)
    if (kind, text, alt) == (entry.kind, entry.text, entry.photo_alt):
        return entry  # nothing changed: no new version
    previous = EntryRevision.objects.filter(entry=entry).order_by("-replaced_at", "-id").first()
    EntryRevision.objects.create(
        entry=entry,
        kind=entry.kind,
        text=entry.text,
        photo_alt=entry.photo_alt,
        written_at=entry.edited_at or entry.created_at,
        written_by=previous.replaced_by if previous else entry.author,
        replaced_by=user,
    )
    entry.kind, entry.text, entry.photo_alt = kind, text, alt
    entry.edited_at = timezone.now()
    entry.seq = _next_seq(entry.feed)
    entry.save(update_fields=["kind", "text", "photo_alt", "edited_at", "seq"])
    broadcast.entry(entry.feed, entry)
    return entry


@transaction.atomic
def entry_withdraw(*, user: User, entry: Entry, reason: Any = "") -> Entry:
    """Withdraw an entry: everyone then sees "withdrawn" in its place (with the reason, if given); what it
    said is kept for facilitators and reporters."""
    _require_entry_editor(user, entry)
    reason = _field_text(reason, field="reason", max_length=REASON_MAX).replace("\n", " ")
    if entry.is_withdrawn:
        return entry
    entry.withdrawn_at = timezone.now()
    entry.withdrawn_by = user
    entry.withdrawn_reason = reason
    entry.seq = _next_seq(entry.feed)
    entry.save(update_fields=["withdrawn_at", "withdrawn_by", "withdrawn_reason", "seq"])
    broadcast.entry(entry.feed, entry)
    return entry


# --- Questions and comments -----------------------------------------------------------------------


@transaction.atomic
def question_ask(
    *,
    user: User,
    feed: LiveFeed,
    text: Any,
    kind: Any = QuestionKind.QUESTION,
    show_name: bool = False,
    form_token: uuid.UUID | None = None,
) -> Question:
    """A viewer's question or comment: shown to moderators at once, to everyone once approved."""
    if not TABLE.allowed(project_role(user, feed.project), "live.ask"):
        raise PermissionDenied
    _require_open(feed)
    if not feed.questions_open:
        raise ValidationError(_("Questions and comments are paused for now. Try again in a little while."))
    if kind not in QuestionKind.values:
        raise ValidationError({"kind": _("Choose whether this is a question or a comment.")})
    text = _field_text(text, field="text", max_length=QUESTION_MAX)
    if not text:
        raise ValidationError({"text": _("Write your question or comment first.")})
    claim_token(form_token)
    question = Question.objects.create(
        feed=feed,
        project_id=feed.project_id,
        kind=kind,
        text=text,
        author=user,
        show_name=bool(show_name),
        seq=_next_seq(feed),
    )
    broadcast.question(feed, question)
    return question


@transaction.atomic
def question_moderate(*, user: User, question: Question, approve: bool) -> Question:
    """Approve (everyone sees it) or turn down (only its author and moderators see it) a question.

    A moderator can change their mind: an approved question can be taken down again, and the other way.
    """
    feed = question.feed
    _require_reporter(user, feed)
    if feed.status != FeedStatus.LIVE and not TABLE.allowed(project_role(user, feed.project), "live.manage"):
        raise ValidationError(_("Live reporting has ended: only facilitators can change the record now."))
    status = QuestionStatus.APPROVED if approve else QuestionStatus.REJECTED
    if question.status == status:
        return question
    question.status = status
    question.moderated_by = user
    question.moderated_at = timezone.now()
    question.seq = _next_seq(feed)
    question.save(update_fields=["status", "moderated_by", "moderated_at", "seq"])
    broadcast.question(feed, question)
    return question


@transaction.atomic
def question_answer(*, user: User, question: Question, answer: Any) -> Question:
    """Write (or change, or clear) the answer to an approved question, in the room or afterwards."""
    feed = question.feed
    _require_reporter(user, feed)
    if feed.status != FeedStatus.LIVE and not TABLE.allowed(project_role(user, feed.project), "live.manage"):
        raise ValidationError(_("Live reporting has ended: only facilitators can change the record now."))
    if question.status != QuestionStatus.APPROVED:
        raise ValidationError(_("Approve the question before you answer it, so everyone can see both."))
    answer = _field_text(answer, field="answer", max_length=ANSWER_MAX)
    if answer == question.answer:
        return question
    question.answer = answer
    question.answered_at = timezone.now() if answer else None
    question.answered_by = user if answer else None
    question.seq = _next_seq(feed)
    question.save(update_fields=["answer", "answered_at", "answered_by", "seq"])
    broadcast.question(feed, question)
    return question


def _check_likeable(question: Question) -> None:
    if question.status != QuestionStatus.APPROVED:
        raise ValidationError(_("Only questions shown to everyone can be liked."))
    if question.feed.status != FeedStatus.LIVE or not is_open(question.feed):
        raise ValidationError(_("Live reporting has ended: likes can no longer change."))


def _liked(question: Question, delta: int) -> None:
    Question.objects.filter(pk=question.pk).update(like_count=F("like_count") + delta, seq=_next_seq(question.feed))
    question.refresh_from_db(fields=["like_count", "seq"])
    broadcast.question(question.feed, question)


@transaction.atomic
def question_like(*, user: User, question: Question) -> bool:
    """Like a question. Liking twice changes nothing (one like per person, held by the database).

    Returns True if this was a new like.
    """
    if not TABLE.allowed(project_role(user, question.feed.project), "live.ask"):
        raise PermissionDenied
    _check_likeable(question)
    try:
        with transaction.atomic():
            Like.objects.create(question=question, user=user)
    except IntegrityError:
        return False
    _liked(question, +1)
    return True


@transaction.atomic
def question_unlike(*, user: User, question: Question) -> bool:
    if not TABLE.allowed(project_role(user, question.feed.project), "live.ask"):
        raise PermissionDenied
    _check_likeable(question)
    deleted, _rows = Like.objects.filter(question=question, user=user).delete()
    if not deleted:
        return False
    _liked(question, -1)
    return True
