from __future__ import annotations

import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

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
from copro.core.sanitize import clean_html, plain_text
from copro.projects.models import Project
from copro.updates import tasks
from copro.updates.models import Frequency, Subscription, Update, new_token

if TYPE_CHECKING:
    from copro.consultations.models import Consultation

# Limits the page form and the API also check; the service checks again because it is the last door.
TITLE_MAX = 200
BODY_MAX = 20_000
# One confirmation email per address every 3 minutes (the same pace as account verification emails).
CONFIRMATION_RESEND_AFTER = timedelta(minutes=3)


@transaction.atomic
def update_publish(
    *,
    user: User,
    project: Project,
    title: str,
    body: str,
    visibility: str = Visibility.PUBLIC,
    consultation: Consultation | None = None,
    form_token: uuid.UUID | None = None,
) -> Update:
    title, body = title.strip(), body.strip()
    if len(title) > TITLE_MAX:
        raise ValidationError(_("The title can be at most %(max)d characters long.") % {"max": TITLE_MAX})
    if len(body) > BODY_MAX:
        raise ValidationError(_("The text can be at most %(max)d characters long.") % {"max": BODY_MAX})
    body = clean_html(body)
    # Checked after sanitising: a body that was only a <script> would otherwise be saved empty.
    if not title or not plain_text(body):
        raise ValidationError(_("An update needs a title and some text."))
    if visibility not in (Visibility.PUBLIC, Visibility.MEMBERS):
        raise ValidationError(_("Choose who can read the update."))
    if consultation is not None and consultation.project_id != project.pk:
        raise ValidationError(_("Choose one of this project's consultations."))
    claim_token(form_token)
    update = Update.objects.create(
        project=project, title=title, body=body, visibility=visibility, author=user, consultation=consultation
    )
    activity.record(verb="updates.published", actor=user, project=project, target=update, visibility=visibility)
    if visibility == Visibility.PUBLIC:
        # Saved with the update (same transaction): a rolled-back update is never sent.
        tasks.send_update.enqueue(update_id=update.pk)
    return update


def subscribe(
    *,
    project: Project,
    email: str,
    language: str,
    consultation: Consultation | None = None,
    frequency: str = Frequency.IMMEDIATE,
) -> Subscription:
    """Ask for updates: all of a project's, or (with `consultation`) only those about one consultation.
    Always answers the same way, so nobody can learn who subscribes (no enumeration).

    A new address gets a confirmation email; an unconfirmed one gets it again at most every 3 minutes
    (with the frequency last asked for); a confirmed one is left as it is (no email: its owner changes
    the frequency from the link in any update); one that unsubscribed must confirm again, with a new
    token, so the links in emails it received before can neither confirm nor unsubscribe it.
    Writes no activity entry: nothing changes for anyone until the address is confirmed, and an
    anonymous form must not be able to grow the permanent log.
    """
    email = email.strip().lower()
    if frequency not in Frequency.values:
        raise ValidationError(_("Choose how often you want updates."))
    if consultation is not None and consultation.project_id != project.pk:
        raise ValidationError(_("Choose one of this project's consultations."))
    with transaction.atomic():
        try:
            with transaction.atomic():
                subscription = Subscription.objects.create(
                    project=project, consultation=consultation, email=email, language=language, frequency=frequency
                )
        except IntegrityError:
            # Locked: two requests for the same address at once send one confirmation between them.
            subscription = Subscription.objects.select_for_update().get(
                project=project, consultation=consultation, email=email
            )
        if subscription.is_active:
            return subscription
        now = timezone.now()
        if subscription.unsubscribed_at is not None:
            subscription.unsubscribed_at = None
            subscription.confirmed_at = None
            subscription.digest_sent_at = None
            subscription.token = new_token()
        elif subscription.confirmation_sent_at and now - subscription.confirmation_sent_at < CONFIRMATION_RESEND_AFTER:
            return subscription
        subscription.language = language
        subscription.frequency = frequency
        subscription.confirmation_sent_at = now
        subscription.save(
            update_fields=[
                "unsubscribed_at",
                "confirmed_at",
                "digest_sent_at",
                "token",
                "language",
                "frequency",
                "confirmation_sent_at",
            ]
        )
        queue_email(
            to=email,
            template="updates/email/confirm",
            context={
                "project_title": project.title,
                "consultation_title": consultation.title if consultation else "",
                "weekly": frequency == Frequency.WEEKLY,
                "confirm_url": settings.SITE_URL + reverse("updates:confirm", args=[subscription.token]),
            },
            language=language,
        )
    return subscription


@transaction.atomic
def subscription_confirm(*, subscription: Subscription) -> Subscription:
    """Confirm a pending subscription. An unsubscribed one is not brought back by an old link: the
    person subscribes again and confirms the new email."""
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.is_pending:
        locked.confirmed_at = timezone.now()
        locked.save(update_fields=["confirmed_at"])
        activity.record(
            verb="updates.subscribed", actor=None, project=locked.project, target=None, visibility=Visibility.STAFF
        )
    subscription.confirmed_at, subscription.unsubscribed_at = locked.confirmed_at, locked.unsubscribed_at
    return subscription


@transaction.atomic
def unsubscribe(*, subscription: Subscription) -> Subscription:
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if locked.unsubscribed_at is None:
        locked.unsubscribed_at = timezone.now()
        locked.save(update_fields=["unsubscribed_at"])
        activity.record(
            verb="updates.unsubscribed", actor=None, project=locked.project, target=None, visibility=Visibility.STAFF
        )
    subscription.unsubscribed_at = locked.unsubscribed_at
    return subscription


@transaction.atomic
def subscription_set_frequency(*, subscription: Subscription, frequency: str) -> Subscription:
    """Switch between an email per update and a weekly digest (from the link in every email).

    Switching to the digest starts it from now: updates already emailed one by one are not listed again
    (the deliveries say so too). Switching back to immediate starts with the next update published.
    """
    if frequency not in Frequency.values:
        raise ValidationError(_("Choose how often you want updates."))
    locked = Subscription.objects.select_for_update().get(pk=subscription.pk)
    if not locked.is_active:
        raise ValidationError(_("This subscription has ended. Subscribe again to get updates."))
    if locked.frequency != frequency:
        locked.frequency = frequency
        if frequency == Frequency.WEEKLY:
            locked.digest_sent_at = timezone.now()
        locked.save(update_fields=["frequency", "digest_sent_at"])
    subscription.frequency, subscription.digest_sent_at = locked.frequency, locked.digest_sent_at
    return subscription
