"""Moderation writes: reporting content, and facilitators hiding it (with a reason), keeping it or unhiding it.

Reports are not written to the activity log (a busy map gets many, and the log is one hash chain);
each facilitator decision is, once, visible to staff only, with the reason given.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.core import activity
from copro.core.email import queue_email
from copro.core.forms import claim_token
from copro.core.models import Visibility
from copro.moderation import registry
from copro.moderation.models import Report, ReportStatus
from copro.moderation.registry import Reportable
from copro.projects.access import can

if TYPE_CHECKING:
    from copro.accounts.models import User
    from copro.projects.models import Project

REASON_MAX = 1000  # Report.reason
HIDE_REASON_MAX = 500  # Hideable.hidden_reason
EXCERPT_CHARS = 300  # how much of the hidden text the author is reminded of


def _reportable(kind: str) -> Reportable:
    reportable = registry.get(kind)
    if reportable is None:
        raise ValidationError(_("This kind of content cannot be reported."))
    return reportable


def _check_manage(user: Any, project: Project) -> None:
    if not can(user, project, "moderation.manage"):
        raise PermissionDenied


@transaction.atomic
def report_create(
    *,
    project: Project,
    kind: str,
    object_id: int,
    reason: str,
    reporter: User | None = None,
    form_token: uuid.UUID | None = None,
) -> Report:
    """File a report. A signed-in person reporting the same thing again, while it is open, gets the same report."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say in a few words what is wrong with it.")})
    if len(reason) > REASON_MAX:
        raise ValidationError({"reason": _("Please keep it to %(max)d characters or fewer.") % {"max": REASON_MAX}})
    reportable = _reportable(kind)
    if not reportable.visible(project).filter(pk=object_id).exists():
        raise ValidationError(_("This can no longer be reported: it has been hidden or removed."))
    if reporter is not None and not reporter.is_authenticated:
        reporter = None
    if reporter is not None:
        existing = Report.objects.filter(
            project=project, kind=kind, object_id=object_id, reporter=reporter, status=ReportStatus.OPEN
        ).first()
        if existing is not None:
            return existing
    claim_token(form_token)
    return Report.objects.create(project=project, kind=kind, object_id=object_id, reason=reason, reporter=reporter)


def _resolve(project: Project, kind: str, object_id: int, status: str, user: User) -> int:
    return Report.objects.filter(project=project, kind=kind, object_id=object_id, status=ReportStatus.OPEN).update(
        status=status, resolved_by=user, resolved_at=timezone.now()
    )


def _load_for_update(reportable: Reportable, project: Project, object_id: int) -> Any:
    item = reportable.in_project(project).select_for_update(of=("self",)).filter(pk=object_id).first()
    if item is None:
        raise ValidationError(_("This is not in the project any more."))
    return item


def _count_comment(item: Any, kind: str, change: int) -> None:
    """Keep the pin's comment count (shown in lists and exports) to the comments the public sees.

    Called only when a comment's state really changes. The pin's own page lists the comment rows
    themselves, so the author still sees their hidden comment there, marked as hidden.
    """
    if kind != "comment":
        return
    pins = apps.get_model("maps.Pin")._default_manager.filter(pk=item.pin_id)
    if change < 0:
        pins.filter(comment_count__gt=0).update(comment_count=F("comment_count") - 1)
    else:
        pins.update(comment_count=F("comment_count") + 1)


def _tell_author(
    *, reportable: Reportable, item: Any, project: Project, template: str, context: dict[str, Any]
) -> None:
    author = reportable.author_of(item)
    if author is None or not author.email or not author.is_active or author.erased_at is not None:
        return  # entered by staff for someone, anonymous, or an erased account: no one to tell
    item_url = reportable.url_of(item, project)
    queue_email(
        to=author.email,
        template=template,
        context={
            "project_title": project.title,
            "what": reportable.label,  # lazy: rendered in the author's language
            "excerpt": reportable.text_of(item)[:EXCERPT_CHARS],
            "rules_url": settings.SITE_URL + reverse("moderation:rules", args=[project.slug]),
            "item_url": settings.SITE_URL + item_url if item_url else "",
            **context,
        },
        language=author.preferred_language,
    )


@transaction.atomic
def content_hide(*, user: User, project: Project, kind: str, object_id: int, reason: str) -> Any:
    """Hide an item with a reason in plain words; close its open reports; tell the author why.

    Hiding something already hidden only closes any reports still open on it (a double click sends
    no second email).
    """
    _check_manage(user, project)
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why, in plain words: the author is told this reason.")})
    if len(reason) > HIDE_REASON_MAX:
        raise ValidationError(
            {"reason": _("Please keep the reason to %(max)d characters or fewer.") % {"max": HIDE_REASON_MAX}}
        )
    reportable = _reportable(kind)
    item = _load_for_update(reportable, project, object_id)
    if item.hidden_at is not None:
        _resolve(project, kind, object_id, ReportStatus.HIDDEN, user)
        return item
    item.hidden_at = timezone.now()
    item.hidden_reason = reason
    item.hidden_by = user
    item.save(update_fields=["hidden_at", "hidden_reason", "hidden_by"])
    _count_comment(item, kind, -1)
    reports = _resolve(project, kind, object_id, ReportStatus.HIDDEN, user)
    activity.record(
        verb="moderation.hidden",
        actor=user,
        project=project,
        visibility=Visibility.STAFF,
        data={"kind": kind, "object_id": object_id, "reason": reason, "reports": reports},
    )
    _tell_author(
        reportable=reportable,
        item=item,
        project=project,
        template="moderation/email/hidden",
        context={"reason": reason},
    )
    return item


@transaction.atomic
def content_keep(*, user: User, report: Report) -> int:
    """The item is within the rules: close every open report on it. Returns how many were closed."""
    _check_manage(user, report.project)
    closed = _resolve(report.project, report.kind, report.object_id, ReportStatus.KEPT, user)
    if closed:
        activity.record(
            verb="moderation.kept",
            actor=user,
            project=report.project,
            visibility=Visibility.STAFF,
            data={"kind": report.kind, "object_id": report.object_id, "reports": closed},
        )
    return closed


@transaction.atomic
def content_unhide(*, user: User, project: Project, kind: str, object_id: int) -> Any:
    """Show a hidden item again (it was hidden by mistake). The author is told."""
    _check_manage(user, project)
    reportable = _reportable(kind)
    item = _load_for_update(reportable, project, object_id)
    if item.hidden_at is None:
        return item
    previous_reason = item.hidden_reason
    item.hidden_at = None
    item.hidden_reason = ""
    item.hidden_by = None
    item.save(update_fields=["hidden_at", "hidden_reason", "hidden_by"])
    _count_comment(item, kind, +1)
    activity.record(
        verb="moderation.unhidden",
        actor=user,
        project=project,
        visibility=Visibility.STAFF,
        data={"kind": kind, "object_id": object_id, "reason": previous_reason},
    )
    _tell_author(reportable=reportable, item=item, project=project, template="moderation/email/unhidden", context={})
    return item
