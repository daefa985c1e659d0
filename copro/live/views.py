"""Live feed pages. Thin: load through access, validate with a form, change through a service, render.

Every page works without JavaScript: the feed is a server-rendered list with a "Refresh" link, and every
action is a form. live.js adds the live updates (WebSocket, or polling `entries` when that fails).
"""

from __future__ import annotations

import mimetypes
from typing import Any

from allauth.core import ratelimit
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from copro.core.forms import parse_id, run_service
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.live import selectors, services
from copro.live.access import can_report, get_entry_for_user, get_feed_for_user, get_question_for_user
from copro.live.consumers import parse_after
from copro.live.forms import (
    AnswerForm,
    EntryCorrectForm,
    EntryForm,
    QuestionForm,
    ReporterForm,
    WithdrawForm,
)
from copro.live.models import Entry, FeedStatus, LiveFeed, Question, QuestionStatus, Reporter
from copro.meetings.models import Meeting, MeetingStatus
from copro.projects.models import Membership, Project
from copro.projects.views import page

PRESENT_ENTRIES = 6  # the present view shows the latest 6 entries ...
PRESENT_QUESTIONS = 5  # ... and the 5 most liked questions: large type, nothing to scroll


def _meeting_url(project: Project, meeting: Meeting) -> str | None:
    try:
        return reverse("meetings:detail", args=[project.slug, meeting.pk])
    except NoReverseMatch:  # the meetings pages are not wired in yet
        return None


def _feed_url(feed: LiveFeed, *, anchor: str = "") -> str:
    return reverse("live:feed", args=[feed.project.slug, feed.meeting_id]) + anchor


def _feed_redirect(feed: LiveFeed, anchor: str = "") -> HttpResponse:
    return redirect(_feed_url(feed, anchor=anchor))


def _script_context(request: HttpRequest, project: Project, meeting: Meeting, feed: LiveFeed) -> dict[str, Any]:
    """What live.js needs, as data attributes on the page's root element."""
    return {
        "socket_path": f"/ws/p/{project.slug}/meetings/{meeting.pk}/live/",
        "poll_url": reverse("live:entries", args=[project.slug, meeting.pk]),
        "entry_url_zero": reverse("live:entry_edit", args=[project.slug, meeting.pk, 0]),
        "question_url_zero": reverse("live:question", args=[project.slug, meeting.pk, 0]),
        "like_url_zero": reverse("live:like", args=[project.slug, meeting.pk, 0]),
        "moderate_url_zero": reverse("live:question_moderate", args=[project.slug, meeting.pk, 0]),
        "time_zone": settings.TIME_ZONE,
        "live_text": _texts(),
    }


def _texts() -> dict[str, str]:
    """The words live.js shows, in the page's language."""
    return {
        "live": _("Live."),
        "connecting": _("Connecting…"),
        "reconnecting": _("Connection lost. Reconnecting…"),
        "polling": _("Updates every 10 seconds."),
        "waiting": _("Live reporting has not started yet."),
        "ended": _("Live reporting has ended. This is now the record of the meeting."),
        "gone": _("This feed is no longer available to you. Reload the page."),
        "new_one": _("1 new entry."),
        "new_many": _("%(n)s new entries."),
        "new_question": _("New questions or comments."),
        "queue_new": _("New question waiting for you."),
        "kind_note": _("Note"),
        "kind_decision": _("Decision"),
        "kind_action": _("Action"),
        "kind_question": _("Question"),
        "kind_comment": _("Comment"),
        "former": _("Former reporter"),
        "name_not_shown": _("Name not shown"),
        "corrected": _("corrected"),
        "withdrawn": _("Withdrawn."),
        "like_one": _("%(n)s like"),
        "like_many": _("%(n)s likes"),
        "correct": _("Correct or withdraw"),
        "photo_too_big": _(
            "This photo is larger than 5 MB: choose a smaller one, or post without it. Your text stays here."
        ),
        "answer_label": _("Answer"),
        "answer_or_take_down": _("Answer or take down"),
    }


def _feed_context(
    request: HttpRequest, project: Project, role: Role, meeting: Meeting, feed: LiveFeed
) -> dict[str, Any]:
    user = request.user
    reporter = can_report(feed, user, role)
    record = selectors.is_record(feed)
    entries = list(selectors.entries_for_page(feed))
    if record:
        entries.reverse()  # the record reads in order, from the start of the meeting
    questions = list(selectors.top_questions(feed))
    return {
        "meeting": meeting,
        "feed": feed,
        "meeting_url": _meeting_url(project, meeting),
        "entries": entries,
        "questions": questions,
        "liked": selectors.liked_ids(feed, user),
        "my_questions": selectors.my_unshown_questions(feed, user),
        "reporter": reporter,
        "manager": TABLE.allowed(role, "live.manage"),
        "can_edit_all": TABLE.allowed(role, "live.manage"),
        "is_open": services.is_open(feed),
        "can_start": feed.status != FeedStatus.LIVE
        and timezone.now() < services.closes_at(feed)
        and meeting.status == MeetingStatus.PUBLISHED,
        "record": record,
        "closes_at": services.closes_at(feed),
        "can_ask": services.is_open(feed) and feed.questions_open and TABLE.allowed(role, "live.ask"),
        "waiting": selectors.queue(feed).count() if reporter else 0,
        **_script_context(request, project, meeting, feed),
    }


def _render_feed(
    request: HttpRequest,
    project: Project,
    role: Role,
    meeting: Meeting,
    feed: LiveFeed,
    *,
    status: int = 200,
    entry_form: EntryForm | None = None,
    question_form: QuestionForm | None = None,
) -> HttpResponse:
    context = _feed_context(request, project, role, meeting, feed)
    return page(
        request,
        "live/feed.html",
        project,
        role,
        status=status,
        entry_form=entry_form or EntryForm(),
        question_form=question_form or QuestionForm(),
        **context,
    )


@require_GET
def feed(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id)
    services.feed_close_if_overdue(the_feed)
    return _render_feed(request, project, role, meeting, the_feed)


@require_GET
def entries(request: HttpRequest, slug: str, meeting_id: int) -> JsonResponse:
    """The polling fallback: everything changed after ?after=<sequence number> (0: everything)."""
    project, role, meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id)
    raw = request.GET.get("after", "0")
    after = parse_after(raw)
    if after is None:
        return JsonResponse({"error": "after must be a whole number (the last sequence number you have)."}, status=400)
    services.feed_close_if_overdue(the_feed)
    data = selectors.changes_since(the_feed, after, moderator=can_report(the_feed, request.user, role, "live.moderate"))
    response = JsonResponse(data)
    response["Cache-Control"] = "private, no-store"
    return response


@require_GET
def present(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    """The room's projector: large type, high contrast, the latest entries and the most liked questions."""
    project, role, meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id)
    services.feed_close_if_overdue(the_feed)
    context = {
        "project": project,
        "meeting": meeting,
        "feed": the_feed,
        "entries": list(selectors.entries_for_page(the_feed).filter(withdrawn_at__isnull=True)[:PRESENT_ENTRIES]),
        "questions": list(selectors.top_questions(the_feed)[:PRESENT_QUESTIONS]),
        "present_entries": PRESENT_ENTRIES,
        "present_questions": PRESENT_QUESTIONS,
        "join_url": request.build_absolute_uri(_feed_url(the_feed)),
        **_script_context(request, project, meeting, the_feed),
    }
    return render(request, "live/present.html", context)


# --- Reporting ------------------------------------------------------------------------------------


@require_POST
def post(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id, "live.report")
    form = EntryForm(request.POST, request.FILES)
    if form.is_valid():
        data = form.cleaned_data
        if run_service(
            request,
            form,
            lambda: services.entry_post(
                user=actor(request),
                feed=the_feed,
                kind=data["kind"],
                text=data["text"],
                photo=data["photo"],
                photo_alt=data["photo_alt"],
                form_token=data["form_token"],
            ),
            _("Posted. Everyone watching can see it now."),
        ):
            return _feed_redirect(the_feed, "#post")
    if "photo" in form.errors:
        # A browser never fills a file field in again: say so, next to what was typed (which is kept).
        form.add_error(
            None, _("The photo was not posted. Your text is still here: choose another photo or post without one.")
        )
    return _render_feed(request, project, role, meeting, the_feed, status=400, entry_form=form)


def entry_edit(request: HttpRequest, slug: str, meeting_id: int, entry_id: int) -> HttpResponse:
    project, role, meeting, the_feed, entry = get_entry_for_user(
        request.user, slug, meeting_id, entry_id, "live.report"
    )
    correct = EntryCorrectForm(
        request.POST or None,
        has_photo=bool(entry.photo),
        initial={"kind": entry.kind, "text": entry.text, "photo_alt": entry.photo_alt},
    )
    if request.method == "POST" and correct.is_valid():
        data = correct.cleaned_data
        if run_service(
            request,
            correct,
            lambda: services.entry_correct(
                user=actor(request),
                entry=entry,
                kind=data["kind"],
                text=data["text"],
                photo_alt=data.get("photo_alt", ""),
            ),
            _("Corrected. Everyone watching sees the new version, marked as corrected."),
        ):
            return _feed_redirect(the_feed, f"#entry-{entry.pk}")
    return _entry_page(request, project, role, meeting, the_feed, entry, correct=correct)


def _entry_page(
    request: HttpRequest,
    project: Project,
    role: Role,
    meeting: Meeting,
    the_feed: LiveFeed,
    entry: Entry,
    *,
    correct: EntryCorrectForm | None = None,
    withdraw: WithdrawForm | None = None,
) -> HttpResponse:
    user = request.user
    may_change = TABLE.allowed(role, "live.manage") or (
        entry.author_id == user.pk and services.is_open(the_feed) and can_report(the_feed, user, role)
    )
    bound = (correct is not None and correct.is_bound) or (withdraw is not None and withdraw.is_bound)
    return page(
        request,
        "live/entry.html",
        project,
        role,
        status=400 if bound else 200,
        meeting=meeting,
        feed=the_feed,
        entry=entry,
        may_change=may_change,
        revisions=list(entry.revisions.select_related("written_by", "replaced_by")),
        correct_form=correct
        or EntryCorrectForm(
            has_photo=bool(entry.photo), initial={"kind": entry.kind, "text": entry.text, "photo_alt": entry.photo_alt}
        ),
        withdraw_form=withdraw or WithdrawForm(),
        meeting_url=_meeting_url(project, meeting),
    )


@require_POST
def entry_withdraw(request: HttpRequest, slug: str, meeting_id: int, entry_id: int) -> HttpResponse:
    project, role, meeting, the_feed, entry = get_entry_for_user(
        request.user, slug, meeting_id, entry_id, "live.report"
    )
    form = WithdrawForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.entry_withdraw(user=actor(request), entry=entry, reason=form.cleaned_data["reason"]),
        _("Withdrawn. Everyone sees “withdrawn” in its place."),
    ):
        return _feed_redirect(the_feed, f"#entry-{entry.pk}")
    return _entry_page(request, project, role, meeting, the_feed, entry, withdraw=form)


@require_GET
def photo(request: HttpRequest, slug: str, meeting_id: int, entry_id: int) -> FileResponse:
    """An entry's photo, through the same access rules as the feed. A withdrawn entry's photo is gone for
    viewers; facilitators and reporters can still open it from the entry's history."""
    project, role, meeting, the_feed, entry = get_entry_for_user(request.user, slug, meeting_id, entry_id)
    if not entry.photo or (entry.is_withdrawn and not can_report(the_feed, request.user, role)):
        raise Http404
    try:
        handle = entry.photo.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    content_type = mimetypes.guess_type(entry.photo.name)[0] or "application/octet-stream"
    response = FileResponse(handle, content_type=content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


# --- Running the feed -----------------------------------------------------------------------------


@require_POST
def start(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    _project, _role, _meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id, "live.manage")
    try:
        services.feed_start(user=actor(request), feed=the_feed)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Live reporting has started. Everyone watching sees new entries as you post them."))
    return _feed_redirect(the_feed)


@require_POST
def end(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    _project, _role, _meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id, "live.manage")
    try:
        services.feed_end(user=actor(request), feed=the_feed)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Live reporting has ended. The feed is now the record of the meeting."))
    return _feed_redirect(the_feed)


@require_POST
def questions_toggle(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    _project, _role, _meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id, "live.moderate")
    open_them = request.POST.get("open") == "1"
    services.feed_questions_open(user=actor(request), feed=the_feed, open=open_them)
    messages.success(
        request,
        _("Viewers can send questions and comments again.") if open_them else _("Questions and comments are paused."),
    )
    return redirect("live:moderate", the_feed.project.slug, the_feed.meeting_id)


def reporters(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id, "live.manage")
    appointed = list(Reporter.objects.filter(feed=the_feed).select_related("user"))
    taken = {r.user_id for r in appointed}
    members = [
        (m.user_id, f"{m.user.public_name} ({Role(m.role).label})")
        for m in Membership.objects.filter(project=project)
        .exclude(role__in=[Role.FACILITATOR, Role.OBSERVER])
        .select_related("user")
        .order_by("user__display_name", "user_id")
        if m.user_id not in taken
    ]
    form = ReporterForm(request.POST or None, members=members)
    if request.method == "POST":
        remove = request.POST.get("remove")
        if remove is not None:
            member_id = parse_id(remove)
            removed = member_id is not None and services.reporter_remove(
                user=actor(request), feed=the_feed, member_id=member_id
            )
            if removed:
                messages.success(request, _("They are no longer a reporter for this meeting."))
            else:
                messages.error(
                    request,
                    _("Nothing was changed: that person is not a reporter for this meeting (perhaps already removed)."),
                )
            return redirect("live:reporters", project.slug, meeting.pk)
        if form.is_valid() and run_service(
            request,
            form,
            lambda: services.reporter_appoint(
                user=actor(request), feed=the_feed, member_id=form.cleaned_data["member"]
            ),
            _("Appointed. They can now post to this meeting's feed and moderate questions."),
        ):
            return redirect("live:reporters", project.slug, meeting.pk)
    return page(
        request,
        "live/reporters.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        feed=the_feed,
        appointed=appointed,
        form=form,
        meeting_url=_meeting_url(project, meeting),
    )


# --- Questions and comments -----------------------------------------------------------------------


@require_POST
def ask(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id, "live.ask")
    form = QuestionForm(request.POST)
    if form.is_valid():
        if not ratelimit.consume(request, action="live_question"):
            return ratelimit.respond_429(request)
        data = form.cleaned_data
        if run_service(
            request,
            form,
            lambda: services.question_ask(
                user=actor(request),
                feed=the_feed,
                kind=data["kind"],
                text=data["text"],
                show_name=data["show_name"],
                form_token=data["form_token"],
            ),
            _("Thank you. A moderator will read it, then everyone can see it."),
        ):
            return _feed_redirect(the_feed, "#ask")
    return _render_feed(request, project, role, meeting, the_feed, status=400, question_form=form)


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
def like(request: HttpRequest, slug: str, meeting_id: int, question_id: int) -> HttpResponse:
    _p, _r, _m, the_feed, question = get_question_for_user(request.user, slug, meeting_id, question_id, "live.ask")
    undo = request.POST.get("undo") == "1"
    try:
        if undo:
            services.question_unlike(user=actor(request), question=question)
        else:
            services.question_like(user=actor(request), question=question)
    except ValidationError as error:
        if _wants_json(request):
            return JsonResponse({"error": " ".join(error.messages)}, status=400)
        messages.error(request, " ".join(error.messages))
    else:
        if _wants_json(request):
            count = Question.objects.filter(pk=question.pk).values_list("like_count", flat=True).get()
            return JsonResponse({"liked": not undo, "like_count": count})
    return _feed_redirect(the_feed, f"#question-{question.pk}")


def moderate(request: HttpRequest, slug: str, meeting_id: int) -> HttpResponse:
    project, role, meeting, the_feed = get_feed_for_user(request.user, slug, meeting_id, "live.moderate")
    return page(
        request,
        "live/moderate.html",
        project,
        role,
        meeting=meeting,
        feed=the_feed,
        queue=list(selectors.queue(the_feed)),
        approved=list(selectors.top_questions(the_feed)),
        rejected=list(
            Question.objects.filter(feed=the_feed, status=QuestionStatus.REJECTED)
            .select_related("author")
            .order_by("-id")
        ),
        meeting_url=_meeting_url(project, meeting),
        reporter=True,
        **_script_context(request, project, meeting, the_feed),
    )


def question(request: HttpRequest, slug: str, meeting_id: int, question_id: int) -> HttpResponse:
    """One question for a moderator: approve or take it down, and answer it."""
    project, role, meeting, the_feed, item = get_question_for_user(
        request.user, slug, meeting_id, question_id, "live.moderate"
    )
    form = AnswerForm(request.POST or None, initial={"answer": item.answer})
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.question_answer(user=actor(request), question=item, answer=form.cleaned_data["answer"]),
            _("Answer saved. Everyone sees it under the question."),
        )
    ):
        return redirect("live:moderate", project.slug, meeting.pk)
    return page(
        request,
        "live/question.html",
        project,
        role,
        status=400 if form.errors else 200,
        meeting=meeting,
        feed=the_feed,
        question=item,
        form=form,
        meeting_url=_meeting_url(project, meeting),
    )


@require_POST
def question_moderate(request: HttpRequest, slug: str, meeting_id: int, question_id: int) -> HttpResponse:
    project, role, meeting, the_feed, item = get_question_for_user(
        request.user, slug, meeting_id, question_id, "live.moderate"
    )
    decision = request.POST.get("decision")
    if decision not in ("approve", "reject"):
        return HttpResponse(_("Choose to show it or not."), status=400, content_type="text/plain; charset=utf-8")
    try:
        services.question_moderate(user=actor(request), question=item, approve=decision == "approve")
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("Shown to everyone.") if decision == "approve" else _("Not shown. Only its author can see it.")
        )
    return redirect("live:moderate", project.slug, meeting.pk)
