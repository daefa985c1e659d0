from __future__ import annotations

import uuid

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.core import activity
from copro.core.email import queue_email
from copro.core.forms import claim_token
from copro.core.models import Visibility
from copro.core.sanitize import clean_html
from copro.projects.models import Project
from copro.updates import tasks
from copro.updates.models import Subscription, Update


@transaction.atomic
def update_publish(
    *, user: User, project: Project, title: str, body: str, visibility: str = Visibility.PUBLIC,
    form_token: uuid.UUID | None = None,
) -> Update:
    if not title.strip() or not body.strip():
        raise ValidationError(_("An update needs a title and some text."))
    if visibility not in (Visibility.PUBLIC, Visibility.MEMBERS):
        raise ValidationError(_("Choose who can read the update."))
    claim_token(form_token)
    update = Update.objects.create(project=project, title=title.strip(), body=clean_html(body.strip()),
                                   visibility=visibility, author=user)
    activity.record(verb="updates.published", actor=user, project=project, target=update, visibility=visibility)
    if visibility == Visibility.PUBLIC:
        # Saved with the update (same transaction): a rolled-back update is never sent.
        tasks.send_update.enqueue(update_id=update.pk)
    return update


def subscribe(*, project: Project, email: str, language: str) -> Subscription:
    """Ask for updates. Always answers the same way, so nobody can learn who subscribes (no enumeration).

    A new or unconfirmed address gets a confirmation email; a confirmed one is left as it is; one that
    unsubscribed must confirm again.
    """
    email = email.strip().lower()
    with transaction.atomic():
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(project=project, email=email, language=language)
        except IntegrityError:
            subscription = Subscription.objects.select_for_update().get(project=project, email=email)
        if subscription.is_active:
            return subscription
        if subscription.unsubscribed_at:
            subscription.unsubscribed_at = None
            subscription.confirmed_at = None
            subscription.save(update_fields=["unsubscribed_at", "confirmed_at"])
        queue_email(
            to=email,
            template="updates/email/confirm",
            context={
                "project_title": project.title,
                "confirm_url": settings.SITE_URL + reverse("updates:confirm", args=[subscription.token]),
            },
            language=language,
        )
    return subscription


@transaction.atomic
def subscription_confirm(*, subscription: Subscription) -> Subscription:
    if subscription.confirmed_at is None or subscription.unsubscribed_at is not None:
        subscription.confirmed_at = timezone.now()
        subscription.unsubscribed_at = None
        subscription.save(update_fields=["confirmed_at", "unsubscribed_at"])
        activity.record(verb="updates.subscribed", actor=None, project=subscription.project, target=None,
                        visibility=Visibility.STAFF)
    return subscription


@transaction.atomic
def unsubscribe(*, subscription: Subscription) -> Subscription:
    if subscription.unsubscribed_at is None:
        subscription.unsubscribed_at = timezone.now()
        subscription.save(update_fields=["unsubscribed_at"])
        activity.record(verb="updates.unsubscribed", actor=None, project=subscription.project, target=None,
                        visibility=Visibility.STAFF)
    return subscription
