"""Sending an update to its subscribers, in the background, exactly once each.

Each subscriber is claimed by inserting a Delivery row (unique per update and subscriber) before the
message goes out, in its own transaction. A worker restarted mid-send runs the task again: claimed
subscribers are skipped, so nobody receives the same update twice (at most once per subscriber;
a message that failed at SMTP is marked failed and reported, not resent blindly).

Two kinds of failure are told apart:
- the SMTP server refuses one message (a bad address, a full mailbox): that delivery is marked
  failed and the others go on;
- the SMTP server cannot be reached at all: nothing was handed over, so the claim is released, the
  task stops (failed, with the error, for the operator to see) and a retry is queued for later. Without
  this, an outage would mark every remaining subscriber failed and they would never get the update.
"""

from __future__ import annotations

import contextlib
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from copro.core.email import render_email

# Subscribers are read 500 at a time, by id (keyset), so no cursor stays open while rows are written.
BATCH_SIZE = 500
# While the SMTP server is unreachable, try again every 5 minutes, for up to an hour (12 attempts).
RETRY_DELAY = timedelta(minutes=5)
MAX_ATTEMPTS = 12


class MailServerUnavailable(Exception):
    """The SMTP server could not be reached; nothing was sent to the subscriber being tried."""


@task()
def send_update(update_id: int, attempt: int = 1) -> dict[str, int]:
    from copro.core.models import Visibility
    from copro.core.sanitize import plain_text
    from copro.projects.models import Membership, ProjectVisibility
    from copro.updates.models import Delivery, Subscription, Update

    update = Update.objects.select_related("project").get(pk=update_id)
    counts = {"sent": 0, "failed": 0}
    if update.visibility != Visibility.PUBLIC:
        return counts  # members-only updates are never emailed
    update_url = settings.SITE_URL + reverse("updates:detail", args=[update.project.slug, update.pk])
    body_text = plain_text(update.body)
    pending = (
        Subscription.objects.filter(project=update.project, confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .exclude(deliveries__update=update)
        .order_by("id")
    )
    if update.project.visibility == ProjectVisibility.PRIVATE:
        # A private project's news is for its members: addresses that subscribed while it was public,
        # or that a member typed in, receive nothing unless they belong to a current member.
        member_emails = Membership.objects.filter(project=update.project, user__is_active=True).values(
            email=Lower("user__email")
        )
        pending = pending.filter(email__in=member_emails)
    last_id = 0
    while batch := list(pending.filter(id__gt=last_id)[:BATCH_SIZE]):
        last_id = batch[-1].pk
        for subscription in batch:
            try:
                with transaction.atomic():
                    delivery = Delivery.objects.create(update=update, subscription=subscription)
            except IntegrityError:
                continue  # another worker claimed it
            unsubscribe_url = settings.SITE_URL + reverse("updates:unsubscribe", args=[subscription.token])
            subject, text, html = render_email(
                "updates/email/update",
                {
                    "update": update,
                    "project": update.project,
                    "body_text": body_text,
                    "unsubscribe_url": unsubscribe_url,
                    "update_url": update_url,
                },
                subscription.language,
            )
            message = EmailMultiAlternatives(
                subject=subject,
                body=text,
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=[subscription.email],
                headers={
                    # RFC 8058 one-click unsubscribe: mail programs POST to this address.
                    "List-Unsubscribe": f"<{unsubscribe_url}>",
                    "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                },
            )
            message.attach_alternative(html, "text/html")
            connection = get_connection()
            try:
                connection.open()
            except OSError as exc:  # smtplib's errors are OSErrors too
                Delivery.objects.filter(pk=delivery.pk).delete()  # not sent: let a later run send it
                _retry_later(update_id, attempt)
                raise MailServerUnavailable(f"Could not reach the mail server: {exc}") from exc
            error = ""
            try:
                connection.send_messages([message])
            except Exception as exc:  # noqa: BLE001 - an SMTP failure for one address must not stop the rest
                error = str(exc)[:300] or exc.__class__.__name__
            finally:
                with contextlib.suppress(OSError):  # a failed QUIT does not undo a message already accepted
                    connection.close()
            if error:
                Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, error=error)
                counts["failed"] += 1
            else:
                Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, sent_at=timezone.now())
                counts["sent"] += 1
    return counts


def _retry_later(update_id: int, attempt: int) -> None:
    if attempt < MAX_ATTEMPTS:
        send_update.using(run_after=timezone.now() + RETRY_DELAY).enqueue(update_id=update_id, attempt=attempt + 1)
