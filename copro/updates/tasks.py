"""Sending an update to its subscribers, in the background, exactly once each.

Each subscriber is claimed by inserting a Delivery row (unique per update and subscriber) before the
message goes out, in its own transaction. A worker restarted mid-send runs the task again: claimed
subscribers are skipped, so nobody receives the same update twice (at most once per subscriber;
a message that failed at SMTP is marked failed and reported, not resent blindly).
"""

from __future__ import annotations

from django.conf import settings
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from copro.core.email import render_email, send_now
from copro.core.sanitize import plain_text


@task()
def send_update(update_id: int) -> dict[str, int]:
    from copro.updates.models import Delivery, Subscription, Update

    update = Update.objects.select_related("project").get(pk=update_id)
    pending = (
        Subscription.objects.filter(project=update.project, confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .exclude(deliveries__update=update)
        .order_by("id")
    )
    counts = {"sent": 0, "failed": 0}
    for subscription in pending.iterator(chunk_size=500):
        try:
            with transaction.atomic():
                delivery = Delivery.objects.create(update=update, subscription=subscription)
        except IntegrityError:
            continue  # another worker claimed it
        unsubscribe_url = settings.SITE_URL + reverse("updates:unsubscribe", args=[subscription.token])
        subject, text, html = render_email(
            "updates/email/update",
            {"update": update, "project": update.project, "body_text": plain_text(update.body),
             "unsubscribe_url": unsubscribe_url,
             "update_url": settings.SITE_URL + reverse("updates:detail", args=[update.project.slug, update.pk])},
            subscription.language,
        )
        headers = {
            # RFC 8058 one-click unsubscribe: mail programs POST to this address.
            "List-Unsubscribe": f"<{unsubscribe_url}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        }
        try:
            send_now(to=subscription.email, subject=subject, text=text, html=html, headers=headers)
        except Exception as exc:  # noqa: BLE001 - an SMTP failure for one address must not stop the rest
            Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.FAILED, error=str(exc)[:300])
            counts["failed"] += 1
            continue
        Delivery.objects.filter(pk=delivery.pk).update(status=Delivery.Status.SENT, sent_at=timezone.now())
        counts["sent"] += 1
    return counts
