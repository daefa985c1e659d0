"""Sending updates to subscribers, in the background, exactly once each: one email per update for
people who chose "immediate", one weekly digest for people who chose "weekly".

Each (update, subscriber) pair is claimed by inserting a Delivery row (unique per update and
subscriber) before the message goes out, in its own transaction. A worker restarted mid-send runs the
task again: claimed pairs are skipped, so nobody receives the same update twice (at most once per
subscriber; a message that failed at SMTP is marked failed and reported, not resent blindly). A digest
claims every update it lists before it is sent, so the same holds for digests.

One address, one copy: someone subscribed to the whole project and to one of its consultations gets
each update once. The rule is decided from the subscriptions, not from what happened to be sent first,
so two workers (or an immediate send and a digest running at once) agree on it:
- a project-wide subscription with immediate emails covers everything: that address's consultation
  subscriptions in the project are not used at all;
- a project-wide weekly subscription covers the consultation's weekly one (the digest lists it), but
  not an immediate one: then the consultation's updates go out at once, and the weekly digest leaves
  them out.

Two kinds of failure are told apart:
- the SMTP server refuses one message (a bad address, a full mailbox): that delivery is marked
  failed and the others go on;
- the SMTP server cannot be reached at all: nothing was handed over, so the claim is released, the
  task stops (failed, with the error, for the operator to see) and a retry is queued for later. Without
  this, an outage would mark every remaining subscriber failed and they would never get the update.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from copro.core.email import render_email

if TYPE_CHECKING:
    from copro.projects.models import Project
    from copro.updates.models import Subscription, Update

# Subscribers are read 500 at a time, by id (keyset), so no cursor stays open while rows are written
# and 1,200 (or 100,000) subscribers never sit in memory at once.
BATCH_SIZE = 500
# While the SMTP server is unreachable, try again every 5 minutes, for up to an hour (12 attempts).
RETRY_DELAY = timedelta(minutes=5)
MAX_ATTEMPTS = 12
# A digest looks back 1 hour before the previous one: an update saved just before that digest started
# but committed just after it would otherwise fall between the two. Deliveries stop it being listed twice.
DIGEST_OVERLAP = timedelta(hours=1)
# A digest shows the first 60 words of each update; the link leads to the rest.
DIGEST_EXCERPT_WORDS = 60


class MailServerUnavailable(Exception):
    """The SMTP server could not be reached; nothing was sent to the subscriber being tried."""


# --- Who gets what ---------------------------------------------------------------------------------


def active_subscriptions(project_id: int) -> QuerySet[Subscription]:
    from copro.updates.models import Subscription

    return Subscription.objects.filter(project_id=project_id, confirmed_at__isnull=False, unsubscribed_at__isnull=True)


def _same_address(queryset: QuerySet[Any]) -> QuerySet[Any]:
    """Rows of `queryset` whose email is the outer subscription's, case aside."""
    return queryset.annotate(address=Lower("email")).filter(address=Lower(OuterRef("email")))


def _covered_by_project_wide(project_id: int, frequencies: list[str]) -> Exists:
    """The outer (consultation) subscription's address also has an active project-wide subscription
    with one of these frequencies."""
    return Exists(
        _same_address(active_subscriptions(project_id).filter(consultation__isnull=True, frequency__in=frequencies))
    )


def _for_members_only(pending: QuerySet[Subscription], project: Project) -> QuerySet[Subscription]:
    """A private project's news is for its members: addresses that subscribed while it was public, or
    that a member typed in, receive nothing unless they belong to a current member."""
    from copro.projects.models import Membership, ProjectVisibility

    if project.visibility != ProjectVisibility.PRIVATE:
        return pending
    member_emails = Membership.objects.filter(project=project, user__is_active=True).values(email=Lower("user__email"))
    return pending.annotate(lower_email=Lower("email")).filter(lower_email__in=member_emails)


def _batches(pending: QuerySet[Subscription]) -> Iterator[list[Subscription]]:
    last_id = 0
    while batch := list(pending.filter(id__gt=last_id).order_by("id")[:BATCH_SIZE]):
        last_id = batch[-1].pk
        yield batch


# --- Sending one message ---------------------------------------------------------------------------


def _links(subscription: Subscription) -> dict[str, str]:
    return {
        "unsubscribe_url": settings.SITE_URL + reverse("updates:unsubscribe", args=[subscription.token]),
        "manage_url": settings.SITE_URL + reverse("updates:manage", args=[subscription.token]),
    }


def _message(subscription: Subscription, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    links = _links(subscription)
    subject, text, html = render_email(
        template, {**context, **links, "subscription": subscription}, subscription.language
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[subscription.email],
        headers={
            # RFC 8058 one-click unsubscribe: mail programs POST to this address.
            "List-Unsubscribe": f"<{links['unsubscribe_url']}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(html, "text/html")
    return message


def _send(message: EmailMultiAlternatives) -> str:
    """Send one message on its own connection. Returns "" when the server accepted it, or the server's
    refusal. Raises MailServerUnavailable when the server cannot be reached (nothing was sent)."""
    connection = get_connection()
    try:
        connection.open()
    except OSError as exc:  # smtplib's errors are OSErrors too
        raise MailServerUnavailable(f"Could not reach the mail server: {exc}") from exc
    try:
        connection.send_messages([message])
    except Exception as exc:  # noqa: BLE001 - an SMTP failure for one address must not stop the rest
        return str(exc)[:300] or exc.__class__.__name__
    finally:
        with contextlib.suppress(OSError):  # a failed QUIT does not undo a message already accepted
            connection.close()
    return ""


def _claim(update_id: int, subscription: Subscription) -> int | None:
    """Claim one (update, subscriber) pair; the Delivery's id, or None if someone claimed it first."""
    from copro.updates.models import Delivery

    try:
        with transaction.atomic():
            return Delivery.objects.create(update_id=update_id, subscription=subscription).pk
    except IntegrityError:
        return None


def _record(delivery_ids: list[int], error: str) -> None:
    from copro.updates.models import Delivery

    deliveries = Delivery.objects.filter(pk__in=delivery_ids)
    if error:
        deliveries.update(status=Delivery.Status.FAILED, error=error)
    else:
        deliveries.update(status=Delivery.Status.SENT, sent_at=timezone.now())


def _release(delivery_ids: list[int]) -> None:
    """Not sent (the server was unreachable): let a later run send them."""
    from copro.updates.models import Delivery

    Delivery.objects.filter(pk__in=delivery_ids).delete()


# --- One email per update ----------------------------------------------------------------------------


def update_recipients(update: Update) -> QuerySet[Subscription]:
    """Subscriptions that get this update by email as soon as it is published (not yet claimed)."""
    from copro.updates.models import Frequency

    audience = Q(consultation__isnull=True)
    if update.consultation_id is not None:
        covered = _covered_by_project_wide(update.project_id, [Frequency.IMMEDIATE])
        audience |= Q(Q(consultation_id=update.consultation_id), ~covered)
    pending = (
        active_subscriptions(update.project_id)
        .filter(audience, frequency=Frequency.IMMEDIATE)
        .exclude(deliveries__update=update)
    )
    return _for_members_only(pending, update.project)


@task()
def send_update(update_id: int, attempt: int = 1) -> dict[str, int]:
    from copro.core.models import Visibility
    from copro.core.sanitize import plain_text
    from copro.updates.models import Update

    update = Update.objects.select_related("project", "consultation").get(pk=update_id)
    counts = {"sent": 0, "failed": 0}
    if update.visibility != Visibility.PUBLIC:
        return counts  # members-only updates are never emailed
    context = {
        "update": update,
        "project": update.project,
        "body_text": plain_text(update.body),
        "update_url": settings.SITE_URL + reverse("updates:detail", args=[update.project.slug, update.pk]),
    }
    for batch in _batches(update_recipients(update)):
        for subscription in batch:
            delivery_id = _claim(update.pk, subscription)
            if delivery_id is None:
                continue  # another worker claimed it
            message = _message(subscription, "updates/email/update", context)
            try:
                error = _send(message)
            except MailServerUnavailable:
                _release([delivery_id])
                _retry_later(send_update, attempt, update_id=update_id)
                raise
            _record([delivery_id], error)
            counts["failed" if error else "sent"] += 1
    return counts


def _retry_later(what: Any, attempt: int, **kwargs: Any) -> None:
    if attempt < MAX_ATTEMPTS:
        what.using(run_after=timezone.now() + RETRY_DELAY).enqueue(attempt=attempt + 1, **kwargs)


# --- The weekly digest -------------------------------------------------------------------------------


def digest_subscribers() -> QuerySet[Subscription]:
    """Active weekly subscriptions, except consultation ones whose address also follows the whole project
    (its project-wide subscription already brings those updates), and, on a private project, addresses
    that are not a current member's (see _for_members_only)."""
    from copro.projects.models import Membership, ProjectVisibility
    from copro.updates.models import Frequency, Subscription

    project_wide = Subscription.objects.filter(
        project_id=OuterRef("project_id"),
        consultation__isnull=True,
        confirmed_at__isnull=False,
        unsubscribed_at__isnull=True,
    )
    member = (
        Membership.objects.filter(project_id=OuterRef("project_id"), user__is_active=True)
        .annotate(address=Lower("user__email"))
        .filter(address=Lower(OuterRef("email")))
    )
    return (
        Subscription.objects.filter(
            confirmed_at__isnull=False, unsubscribed_at__isnull=True, frequency=Frequency.WEEKLY
        )
        .exclude(Q(consultation__isnull=False) & Exists(_same_address(project_wide)))
        .exclude(Q(project__visibility=ProjectVisibility.PRIVATE) & ~Exists(member))
        .select_related("project", "consultation")
    )


def digest_updates(subscription: Subscription, as_of: datetime) -> QuerySet[Update]:
    """The public updates a subscriber's next digest lists: published since their last digest (or since
    they confirmed), up to `as_of`, and not yet delivered to their address in any way."""
    from copro.core.models import Visibility
    from copro.updates.models import Delivery, Frequency, Update

    assert subscription.confirmed_at is not None
    since = subscription.confirmed_at
    if subscription.digest_sent_at is not None:
        since = max(since, subscription.digest_sent_at - DIGEST_OVERLAP)
    updates = Update.objects.filter(
        project_id=subscription.project_id,
        visibility=Visibility.PUBLIC,
        published_at__gt=since,
        published_at__lte=as_of,
    )
    same_address = Q(subscription__project_id=subscription.project_id) & Q(
        subscription__email__iexact=subscription.email
    )
    if subscription.consultation_id is not None:
        updates = updates.filter(consultation_id=subscription.consultation_id)
    else:
        # Updates about a consultation this address follows with immediate emails went out at once.
        immediate_for_it = active_subscriptions(subscription.project_id).filter(
            consultation_id=OuterRef("consultation_id"),
            frequency=Frequency.IMMEDIATE,
            email__iexact=subscription.email,
            confirmed_at__lte=OuterRef("published_at"),
        )
        updates = updates.exclude(Exists(immediate_for_it))
    delivered = Delivery.objects.filter(same_address, update_id=OuterRef("pk"))
    return updates.exclude(Exists(delivered)).select_related("consultation").order_by("published_at", "id")


@task()
def send_digests(attempt: int = 1) -> dict[str, int]:
    """Send each weekly subscriber one email listing the updates published since their last digest.

    Run once a week (`copro updates digest`, from cron). Running it again sends only what is new since
    (usually nothing); running it after a crash or an outage finishes the work without repeating any.
    """
    from copro.core.sanitize import plain_text
    from copro.updates.models import Subscription

    counts = {"sent": 0, "failed": 0, "updates": 0}
    as_of = timezone.now()
    for batch in _batches(digest_subscribers()):
        for subscription in batch:
            updates = list(digest_updates(subscription, as_of))
            claimed = [(u, d) for u in updates if (d := _claim(u.pk, subscription)) is not None]
            if claimed:
                items = [
                    {
                        "update": update,
                        "excerpt": _excerpt(plain_text(update.body)),
                        "url": settings.SITE_URL
                        + reverse("updates:detail", args=[subscription.project.slug, update.pk]),
                    }
                    for update, _ in claimed
                ]
                context = {"project": subscription.project, "items": items, "count": len(items)}
                message = _message(subscription, "updates/email/digest", context)
                delivery_ids = [d for _, d in claimed]
                try:
                    error = _send(message)
                except MailServerUnavailable:
                    _release(delivery_ids)
                    _retry_later(send_digests, attempt)
                    raise
                _record(delivery_ids, error)
                counts["failed" if error else "sent"] += 1
                counts["updates"] += 0 if error else len(items)
        # The next digests start here, whether or not there was anything to send. One write per batch: a
        # crash before it only widens the next window, and the deliveries keep that from repeating anything.
        Subscription.objects.filter(pk__in=[s.pk for s in batch]).update(digest_sent_at=as_of)
    return counts


def _excerpt(text: str) -> str:
    words = text.split()
    if len(words) <= DIGEST_EXCERPT_WORDS:
        return " ".join(words)
    return " ".join(words[:DIGEST_EXCERPT_WORDS]) + " …"
