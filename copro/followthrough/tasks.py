"""Telling contributors what became of what they said: in the background, exactly once each.

`send_notices(update_id)` goes through the update's notice rows (written by notify.queue), 500 at a time:
- people who asked for no emails (notify_by_email off, an inactive or erased account, or "stop these
  emails" for this project) are marked skipped: the news is still on the project's pages;
- people who chose a weekly summary (email_frequency "weekly") are kept for `send_digest`;
- everyone else gets one email now, in their language. Each row is claimed first (queued -> sending, a
  conditional UPDATE): a retried or doubled task skips what another already claimed.

Each batch of up to 500 goes over one SMTP connection (opened once, every message handed over on it), not
one connection per person: 5,000 contributors are 10 connections, not 5,000.

If the SMTP server cannot be reached, or drops the connection, the claims not yet sent are released (back to
queued), the task stops (failed, with the error, for the operator) and a retry is queued 5 minutes later, for
up to an hour. A message the server refuses (a bad address) is marked failed and the others go on.

A worker killed mid-send leaves its claimed row "sending". Such a row, claimed more than STALE_CLAIM
(15 minutes) ago, goes back to the queue: the next run for that update sends it, and `requeue_stale`
(run with the daily `copro followthrough overdue`, or `copro followthrough retry`) queues that run.
At worst that one person gets the message twice (if the worker died after the server took it), never none.
"""

from __future__ import annotations

import contextlib
import smtplib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives, get_connection
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from copro.core.email import render_email

BATCH_SIZE = 500
RETRY_DELAY = timedelta(minutes=5)
MAX_ATTEMPTS = 12
STOP_SALT = "copro.followthrough.stop"
# One message takes seconds at most (EMAIL_TIMEOUT): a row still "sending" after 15 minutes was left by a
# worker that died, and is sent again.
STALE_CLAIM = timedelta(minutes=15)


class MailServerUnavailable(Exception):
    """The SMTP server could not be reached; nothing was sent to the person being tried."""


def stop_token(user_id: int, project_id: int) -> str:
    """The secret in the "stop these emails" link: signed, so it cannot be guessed or changed."""
    return signing.dumps({"u": user_id, "p": project_id}, salt=STOP_SALT, compress=True)


def read_stop_token(token: str) -> tuple[int, int] | None:
    try:
        data = signing.loads(token, salt=STOP_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int) or not isinstance(data.get("p"), int):
        return None
    return data["u"], data["p"]


def _wants_email(user: Any, opted_out: set[int]) -> bool:
    return bool(
        user.is_active and user.erased_at is None and user.notify_by_email and user.email and user.pk not in opted_out
    )


def _message(user: Any, project: Any, template: str, context: dict[str, Any]) -> EmailMultiAlternatives:
    stop_url = settings.SITE_URL + reverse("followthrough:stop", args=[stop_token(user.pk, project.pk)])
    subject, text, html = render_email(
        template,
        {**context, "project": project, "recipient": user, "stop_url": stop_url},
        user.preferred_language,
    )
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[user.email],
        headers={"List-Unsubscribe": f"<{stop_url}>", "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"},
    )
    message.attach_alternative(html, "text/html")
    return message


class Mailer:
    """One SMTP connection for a batch of messages, opened on the first message and closed at the end.

    `send` returns "" when the server took the message, or the server's refusal of that one message (a bad
    address: the others go on); it raises MailServerUnavailable when the server cannot be reached or drops
    the connection (nothing more can be sent now)."""

    def __init__(self) -> None:
        self.connection: Any = None

    def __enter__(self) -> Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.connection is not None:
            with contextlib.suppress(Exception):  # a failed QUIT does not undo messages already accepted
                self.connection.close()
            self.connection = None

    def send(self, message: EmailMultiAlternatives) -> str:
        if self.connection is None:
            connection = get_connection()
            try:
                connection.open()
            except OSError as exc:  # smtplib's errors are OSErrors too
                raise MailServerUnavailable(f"Could not reach the mail server: {exc}") from exc
            self.connection = connection
        try:
            # On an open connection, send_messages hands the message over and leaves the connection open.
            self.connection.send_messages([message])
        except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError) as exc:
            self.__exit__()
            raise MailServerUnavailable(f"The mail server dropped the connection: {exc}") from exc
        except smtplib.SMTPResponseException as exc:
            if exc.smtp_code == 421:  # "service not available, closing transmission channel"
                self.__exit__()
                raise MailServerUnavailable(f"The mail server is closing: {exc}") from exc
            return str(exc)[:300] or exc.__class__.__name__
        except smtplib.SMTPException as exc:  # SMTPRecipientsRefused and the like: this message only
            return str(exc)[:300] or exc.__class__.__name__
        except OSError as exc:  # the connection broke (reset, timed out)
            self.__exit__()
            raise MailServerUnavailable(f"Lost the mail server: {exc}") from exc
        except Exception as exc:  # noqa: BLE001 - one unsendable message must not stop the rest
            return str(exc)[:300] or exc.__class__.__name__
        return ""


def _retry_later(what: Any, attempt: int, **kwargs: Any) -> None:
    if attempt < MAX_ATTEMPTS:
        what.using(run_after=timezone.now() + RETRY_DELAY).enqueue(attempt=attempt + 1, **kwargs)


def _status_label(value: str) -> Any:
    """The status's label, lazily: it is turned into words when the email is rendered, inside
    render_email's translation.override, so in the recipient's language (get_status_display() would give
    the words in the language active now, the worker's)."""
    from copro.followthrough.models import CommitmentStatus

    return CommitmentStatus(value).label if value in CommitmentStatus.values else value


def update_context(update: Any) -> dict[str, Any]:
    commitment = update.commitment
    return {
        "commitment": commitment,
        "update": update,
        "status_label": _status_label(commitment.status),
        "made": update.status_from == "" and update.status_to != "",
        "status_to_label": _status_label(update.status_to) if update.status_to else "",
        "commitment_url": settings.SITE_URL
        + reverse("followthrough:commitment", args=[commitment.project.slug, commitment.pk]),
        "yswd_url": settings.SITE_URL + reverse("followthrough:yswd", args=[commitment.project.slug]),
    }


def _release_stale(notices: Any) -> int:
    """Put rows left "sending" by a worker that died (claimed over STALE_CLAIM ago) back in the queue."""
    from copro.followthrough.models import NoticeState

    return notices.filter(state=NoticeState.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM).update(
        state=NoticeState.QUEUED, claimed_at=None
    )


def requeue_stale() -> int:
    """Queue a sending run for every update with rows left "sending" by a dead worker; how many updates.
    Run daily with the overdue check (and by `copro followthrough retry`)."""
    from copro.followthrough.models import CommitmentNotice, NoticeState

    stale = CommitmentNotice.objects.filter(state=NoticeState.SENDING, claimed_at__lt=timezone.now() - STALE_CLAIM)
    updates = sorted(set(stale.values_list("update_id", flat=True)))
    for update_id in updates:
        _release_stale(CommitmentNotice.objects.filter(update_id=update_id))
        send_notices.enqueue(update_id=update_id)
    return len(updates)


@task()
def send_notices(update_id: int, attempt: int = 1) -> dict[str, int]:
    from copro.accounts.models import EmailFrequency
    from copro.followthrough.models import CommitmentNotice, CommitmentUpdate, NoticeOptOut, NoticeState

    update = CommitmentUpdate.objects.select_related("commitment__project", "author").get(pk=update_id)
    project = update.commitment.project
    context = update_context(update)
    opted_out = set(NoticeOptOut.objects.filter(project=project).values_list("user_id", flat=True))
    counts = {"sent": 0, "failed": 0, "digest": 0, "skipped": 0}
    _release_stale(CommitmentNotice.objects.filter(update_id=update_id))
    last_id = 0
    pending = CommitmentNotice.objects.filter(update_id=update_id, state=NoticeState.QUEUED).select_related("user")
    while batch := list(pending.filter(id__gt=last_id).order_by("id")[:BATCH_SIZE]):
        last_id = batch[-1].pk
        skipped = [n.pk for n in batch if not _wants_email(n.user, opted_out)]
        later = [n.pk for n in batch if n.pk not in skipped and n.user.email_frequency == EmailFrequency.WEEKLY]
        counts["skipped"] += CommitmentNotice.objects.filter(pk__in=skipped, state=NoticeState.QUEUED).update(
            state=NoticeState.SKIPPED
        )
        counts["digest"] += CommitmentNotice.objects.filter(pk__in=later, state=NoticeState.QUEUED).update(
            state=NoticeState.DIGEST
        )
        with Mailer() as mailer:  # one connection for the whole batch
            for notice in batch:
                if notice.pk in skipped or notice.pk in later:
                    continue
                claimed = CommitmentNotice.objects.filter(pk=notice.pk, state=NoticeState.QUEUED).update(
                    state=NoticeState.SENDING, claimed_at=timezone.now()
                )
                if not claimed:
                    continue  # another worker has it
                message = _message(notice.user, project, "followthrough/email/update", context)
                try:
                    error = mailer.send(message)
                except MailServerUnavailable:
                    CommitmentNotice.objects.filter(pk=notice.pk).update(state=NoticeState.QUEUED, claimed_at=None)
                    _retry_later(send_notices, attempt, update_id=update_id)
                    raise
                if error:
                    CommitmentNotice.objects.filter(pk=notice.pk).update(state=NoticeState.FAILED, error=error)
                    counts["failed"] += 1
                else:
                    CommitmentNotice.objects.filter(pk=notice.pk).update(state=NoticeState.SENT, sent_at=timezone.now())
                    counts["sent"] += 1
    return counts


@task()
def send_digest(attempt: int = 1) -> dict[str, int]:
    """One email per person listing the commitment news kept for their weekly summary.

    Run weekly (`copro followthrough digest`). Each notice is claimed (digest -> sending) before the email
    goes, so running it twice, or alongside another run, sends nobody the same news twice. Each batch of
    500 people is sent over one SMTP connection."""
    from copro.followthrough.models import CommitmentNotice, NoticeState

    counts = {"sent": 0, "failed": 0, "updates": 0, "skipped": 0}
    waiting = CommitmentNotice.objects.filter(state=NoticeState.DIGEST)
    last_user = 0
    while people := list(
        waiting.filter(user_id__gt=last_user)
        .order_by("user_id")
        .values_list("user_id", flat=True)
        .distinct()[:BATCH_SIZE]
    ):
        last_user = people[-1]
        with Mailer() as mailer:
            for user_id in people:
                _digest_one(user_id, mailer, counts, attempt)
    return counts


def _digest_one(user_id: int, mailer: Mailer, counts: dict[str, int], attempt: int) -> None:
    from copro.followthrough.models import CommitmentNotice, NoticeOptOut, NoticeState

    notices = list(
        CommitmentNotice.objects.filter(state=NoticeState.DIGEST, user_id=user_id)
        .select_related("user", "update__commitment__project", "update__author")
        .order_by("update__commitment__project_id", "id")
    )
    by_project: dict[int, list[Any]] = {}
    for notice in notices:
        by_project.setdefault(notice.update.commitment.project_id, []).append(notice)
    for project_notices in by_project.values():
        user = project_notices[0].user
        project = project_notices[0].update.commitment.project
        opted_out = set(NoticeOptOut.objects.filter(project=project, user=user).values_list("user_id", flat=True))
        ids = [n.pk for n in project_notices]
        if not _wants_email(user, opted_out):
            counts["skipped"] += CommitmentNotice.objects.filter(pk__in=ids, state=NoticeState.DIGEST).update(
                state=NoticeState.SKIPPED
            )
            continue
        now = timezone.now()
        claimed = [
            n
            for n in project_notices
            if CommitmentNotice.objects.filter(pk=n.pk, state=NoticeState.DIGEST).update(
                state=NoticeState.SENDING, claimed_at=now
            )
        ]
        if not claimed:
            continue
        items = [update_context(n.update) for n in claimed]
        message = _message(user, project, "followthrough/email/digest", {"items": items, "count": len(items)})
        claimed_ids = [n.pk for n in claimed]
        try:
            error = mailer.send(message)
        except MailServerUnavailable:
            CommitmentNotice.objects.filter(pk__in=claimed_ids).update(state=NoticeState.DIGEST, claimed_at=None)
            _retry_later(send_digest, attempt)
            raise
        if error:
            CommitmentNotice.objects.filter(pk__in=claimed_ids).update(state=NoticeState.FAILED, error=error)
            counts["failed"] += 1
        else:
            CommitmentNotice.objects.filter(pk__in=claimed_ids).update(state=NoticeState.SENT, sent_at=timezone.now())
            counts["sent"] += 1
            counts["updates"] += len(claimed)


@task()
def flag_overdue() -> int:
    """The daily overdue check, for a worker-driven schedule (`copro followthrough overdue` queues it).
    It also sends again what a dead worker left half-sent (requeue_stale)."""
    from copro.followthrough.services import overdue_flag

    requeue_stale()
    return len(overdue_flag())
