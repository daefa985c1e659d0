"""Email: composed here, sent by a background task through SMTP.

Every message is plain text and HTML, in the recipient's preferred language.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import translation
from django_tasks import task


def render_email(template: str, context: dict[str, Any], language: str | None) -> tuple[str, str, str]:
    """Render <template>_subject.txt, <template>.txt and <template>.html in `language`."""
    language = language or settings.LANGUAGE_CODE
    with translation.override(language):
        # LANGUAGE_CODE: the HTML part's lang attribute (screen readers pronounce Welsh as Welsh).
        ctx = {"SITE_URL": settings.SITE_URL, "LANGUAGE_CODE": language, **context}
        subject = " ".join(render_to_string(f"{template}_subject.txt", ctx).split())
        text = render_to_string(f"{template}.txt", ctx)
        html = render_to_string(f"{template}.html", ctx)
    return subject, text, html


def send_now(*, to: str, subject: str, text: str, html: str, headers: dict[str, str] | None = None) -> None:
    message = EmailMultiAlternatives(
        subject=subject, body=text, from_email=settings.DEFAULT_FROM_EMAIL, to=[to], headers=headers or {}
    )
    message.attach_alternative(html, "text/html")
    message.send()


@task()
def send_email_task(to: str, subject: str, text: str, html: str, headers: dict[str, str] | None = None) -> None:
    send_now(to=to, subject=subject, text=text, html=html, headers=headers)


def queue_email(
    *,
    to: str,
    template: str,
    context: dict[str, Any],
    language: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    """Render now (in the recipient's language), send in the background."""
    subject, text, html = render_email(template, context, language)
    send_email_task.enqueue(to=to, subject=subject, text=text, html=html, headers=headers or {})


def forget_address(address: str) -> int:
    """Remove every stored background task that carries this address (queued or finished).

    Queued emails hold their recipient and text until they are sent, and the task queue keeps finished
    tasks' arguments: when a person erases their account, their address must leave both.
    """
    from django.db.models import TextField
    from django.db.models.functions import Cast
    from django_tasks_db.models import DBTaskResult

    # Only tasks addressed to exactly this address (case aside) are removed: "bob@example.org" must not
    # take "jimbob@example.org"'s email with it.
    matches = DBTaskResult.objects.annotate(text=Cast("args_kwargs", TextField())).filter(text__icontains=address)
    doomed = [
        task.pk
        for task in matches.only("pk", "args_kwargs")
        if str((task.args_kwargs or {}).get("kwargs", {}).get("to", "")).lower() == address.lower()
    ]
    deleted, _by_model = DBTaskResult.objects.filter(pk__in=doomed).delete()
    return deleted
