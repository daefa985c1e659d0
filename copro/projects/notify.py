"""Telling members: emails rendered in each person's language and sent by background tasks."""

from __future__ import annotations

import logging
from typing import Any

from django.urls import reverse
from django_tasks import task

from copro.core.email import queue_email, render_email, send_now

logger = logging.getLogger(__name__)


def members(project: Any, template: str, context: dict[str, Any], exclude: Any = None) -> None:
    """Queue one task that emails every member who wants email.

    The queue is in the database, so the task is saved in the same transaction as the change:
    if the change rolls back, nobody is told about something that did not happen.
    """
    notify_members_task.enqueue(
        project_id=project.pk,
        template=template,
        context=context,
        exclude_user_id=exclude.pk if exclude is not None else None,
    )


@task()
def notify_members_task(project_id: int, template: str, context: dict[str, Any], exclude_user_id: int | None) -> int:
    from copro.projects.models import Membership, Project, ScopeChange

    project = Project.objects.get(pk=project_id)
    ctx: dict[str, Any] = {
        "project": project,
        "project_url": reverse("projects:detail", args=[project.slug]),
        **context,
    }
    if "change_id" in context:
        ctx["change"] = ScopeChange.objects.select_related("item").get(pk=context["change_id"])
    sent = 0
    recipients = Membership.objects.filter(
        project=project, user__notify_by_email=True, user__is_active=True
    ).select_related("user")
    if exclude_user_id is not None:
        recipients = recipients.exclude(user_id=exclude_user_id)
    for membership in recipients:
        user = membership.user
        subject, text, html = render_email(template, {**ctx, "recipient": user}, user.preferred_language)
        try:
            send_now(to=user.email, subject=subject, text=text, html=html)
        except Exception:  # noqa: BLE001 - one failed address must not stop the others
            logger.exception("Could not email member %s about %s", user.pk, template)
            continue
        sent += 1
    return sent


def invitation(invitation: Any, accept_url: str) -> None:
    queue_email(
        to=invitation.email,
        template="projects/email/invitation",
        context={
            "project_title": invitation.project.title,
            "organisation": invitation.project.organisation.name,
            "inviter": invitation.invited_by.public_name,
            "role": invitation.get_role_display(),
            "message": invitation.message,
            "accept_url": accept_url,
            "expires_at": invitation.expires_at,
        },
        language=invitation.invited_by.preferred_language,
    )
