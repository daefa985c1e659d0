"""Telling people about ideas, in the background: never in the request, however many supporters an idea has.

- A status change (or a merge or split) is one IdeaEvent. Its authors are emailed at once; its supporters
  as they chose in their account: at once, or in a weekly summary (`copro ideas digest`, from cron), which
  lists every change to ideas they support since the last one. People who asked for no email get none; the
  person who made the change is not told of it.
- Opening a round emails its reviewers; closing it tells authors the results are out.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from copro.core.email import render_email, send_now

logger = logging.getLogger(__name__)

BATCH = 500  # supporters read 500 at a time


def _reachable(user: Any) -> bool:
    return bool(user.email and user.is_active and user.erased_at is None and user.notify_by_email)


def _send(user_email: str, template: str, context: dict[str, Any], language: str | None) -> bool:
    subject, text, html = render_email(template, context, language)
    try:
        send_now(to=user_email, subject=subject, text=text, html=html)
    except Exception:  # noqa: BLE001 - one failed address must not stop the others
        logger.exception("Could not send %s to one recipient", template)
        return False
    return True


def _idea_url(idea: Any) -> str:
    return settings.SITE_URL + reverse("ideas:detail", args=[idea.project.slug, idea.pk])


def _event_context(event: Any) -> dict[str, Any]:
    idea = event.idea
    other = event.other_idea
    return {
        "event": event,
        "idea": idea,
        "project_title": idea.project.title,
        "idea_url": _idea_url(idea),
        "other_title": other.title if other is not None else "",
        "other_url": _idea_url(other) if other is not None else "",
    }


@task()
def notify_events(event_ids: list[int]) -> int:
    """Email the authors and supporters of each event's idea. Returns how many emails were sent."""
    from copro.accounts.models import EmailFrequency, User
    from copro.ideas.models import IdeaAuthor, IdeaEvent, IdeaNotice, Support

    sent = 0
    events = IdeaEvent.objects.filter(pk__in=event_ids).select_related("idea__project", "other_idea__project")
    for event in events:
        idea = event.idea
        context = _event_context(event)
        authors = set(IdeaAuthor.objects.filter(idea=idea, left_at__isnull=True).values_list("user_id", flat=True))
        told: set[int] = {event.actor_id} if event.actor_id else set()
        for user in User.objects.filter(pk__in=authors - told):
            told.add(user.pk)
            if _reachable(user) and _send(
                user.email, "ideas/email/status", {**context, "as_author": True}, user.preferred_language
            ):
                sent += 1
        last = 0
        while True:
            batch = list(
                Support.objects.filter(idea=idea, user_id__gt=last)
                .exclude(user_id__in=told)
                .select_related("user")
                .order_by("user_id")[:BATCH]
            )
            if not batch:
                break
            last = batch[-1].user_id
            for support in batch:
                user = support.user
                if not _reachable(user):
                    continue
                if user.email_frequency == EmailFrequency.WEEKLY:
                    try:
                        with transaction.atomic():
                            IdeaNotice.objects.create(user=user, event=event)
                    except IntegrityError:
                        pass  # already waiting for their summary (the task ran twice)
                    continue
                if _send(user.email, "ideas/email/status", {**context, "as_author": False}, user.preferred_language):
                    sent += 1
    return sent


@task()
def send_digests() -> int:
    """One weekly summary per person with news waiting about ideas they support. Run weekly from cron."""
    from copro.accounts.models import User
    from copro.ideas.models import IdeaNotice

    sent = 0
    user_ids = list(IdeaNotice.objects.filter(sent_at__isnull=True).values_list("user_id", flat=True).distinct())
    for user in User.objects.filter(pk__in=user_ids):
        notices = list(
            IdeaNotice.objects.filter(user=user, sent_at__isnull=True)
            .select_related("event__idea__project", "event__other_idea")
            .order_by("event__created_at", "event_id")
        )
        # Marked first: a worker restarted mid-send must not send the same summary twice.
        IdeaNotice.objects.filter(pk__in=[n.pk for n in notices]).update(sent_at=timezone.now())
        if not _reachable(user):
            continue
        items = [_event_context(n.event) for n in notices]
        if _send(user.email, "ideas/email/digest", {"items": items}, user.preferred_language):
            sent += 1
    return sent


@task()
def notify_reviewers(round_id: int, reviewer_ids: list[int] | None) -> int:
    """Invite the round's reviewers (all of them, or the ones given) to review its ideas (each without the
    ideas they wrote themselves, which they do not review)."""
    from copro.ideas.models import IdeaAuthor, Reviewer, ReviewRound

    the_round = ReviewRound.objects.select_related("project", "created_by").get(pk=round_id)
    reviewers = Reviewer.objects.filter(round=the_round).select_related("user")
    if reviewer_ids is not None:
        reviewers = reviewers.filter(pk__in=reviewer_ids)
    ideas = list(the_round.ideas.filter(hidden_at__isnull=True).order_by("round_entries__position", "id"))
    wrote: dict[int, set[int]] = {}
    for user_id, idea_id in IdeaAuthor.objects.filter(idea__in=[i.pk for i in ideas], left_at__isnull=True).values_list(
        "user_id", "idea_id"
    ):
        wrote.setdefault(user_id, set()).add(idea_id)
    context = {
        "round": the_round,
        "project_title": the_round.project.title,
        "round_url": settings.SITE_URL + reverse("ideas:round", args=[the_round.project.slug, the_round.pk]),
        "joined": True,
    }
    sent = 0
    for reviewer in reviewers:
        user = reviewer.user
        if user is not None:
            if not (user.email and user.is_active and user.erased_at is None):
                continue  # a direct request, sent even to people who turned news off
            address, language = user.email, user.preferred_language
        else:
            address, language = reviewer.email, the_round.created_by.preferred_language
        own = wrote.get(reviewer.user_id or 0, set())
        titles = [i.title for i in ideas if i.pk not in own]
        if not titles:
            continue  # every idea in the round is theirs: nothing to review
        ctx = {**context, "ideas": titles, "kind": reviewer.get_kind_display(), "joined": user is not None}
        if _send(address, "ideas/email/review_invite", ctx, language):
            sent += 1
    return sent


@task()
def notify_round_closed(round_id: int) -> int:
    """Tell the authors of the round's ideas that its results are published and they can respond."""
    from copro.accounts.models import User
    from copro.ideas.models import IdeaAuthor, ReviewRound

    the_round = ReviewRound.objects.select_related("project").get(pk=round_id)
    sent = 0
    for idea in the_round.ideas.all():
        idea.project = the_round.project
        ids = IdeaAuthor.objects.filter(idea=idea, left_at__isnull=True).values_list("user_id", flat=True)
        context = {
            "round": the_round,
            "idea": idea,
            "project_title": the_round.project.title,
            "results_url": settings.SITE_URL
            + reverse("ideas:results", args=[the_round.project.slug, the_round.pk, idea.pk]),
        }
        for user in User.objects.filter(pk__in=list(ids)):
            if _reachable(user) and _send(user.email, "ideas/email/round_closed", context, user.preferred_language):
                sent += 1
    return sent
