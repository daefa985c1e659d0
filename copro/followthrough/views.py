"""Follow-through pages. Thin: load through access, validate with a form, change through a service, render."""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from copro.core.forms import DuplicateSubmission, errors_to_form, parse_id, run_service
from copro.core.paging import page_of
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.followthrough import selectors, services
from copro.followthrough.access import (
    can_post_update,
    get_commitment_for_update,
    get_commitment_for_user,
    get_feedback_for_user,
)
from copro.followthrough.forms import (
    CommitmentEditForm,
    CommitmentForm,
    FeedbackEnterForm,
    FeedbackForm,
    FeedbackSettingsForm,
    LinkForm,
    MilestoneForm,
    ShareForm,
    StatusFilterForm,
    TriageForm,
    UpdateForm,
)
from copro.followthrough.models import (
    OPEN_STATUSES,
    Commitment,
    FeedbackMoment,
    FeedbackTag,
    Feeling,
    Milestone,
    NoticeOptOut,
    Triage,
)
from copro.followthrough.tasks import read_stop_token
from copro.projects.models import Project
from copro.projects.views import page, project_view

PER_PAGE = 20
FEEDBACK_PER_PAGE = 25


def _detail(commitment: Commitment) -> HttpResponse:
    return redirect("followthrough:commitment", commitment.project.slug, commitment.pk)


# --- "You said, we did" --------------------------------------------------------------------------


@project_view("followthrough.view")
def yswd(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    """Every commitment people may see, with what led to it, its progress and its latest news."""
    filters = StatusFilterForm(request.GET or None)
    status = filters.value()
    visible = selectors.visible_commitments(project, role)
    counts = selectors.status_counts(visible)
    listed = visible
    if status == "overdue":
        listed = listed.filter(status__in=OPEN_STATUSES, due_on__lt=timezone.localdate())
    elif status:
        listed = listed.filter(status=status)
    listed = selectors.with_progress(listed).order_by("due_on", "id")
    current = page_of(request, listed, PER_PAGE)
    rows = selectors.page_rows(project, list(current.object_list), role)
    my_news = selectors.my_notices(request.user, project, role)
    return page(
        request,
        "followthrough/yswd.html",
        project,
        role,
        filters=filters,
        status_filter=status,
        counts=counts,
        total=sum(counts.values()),
        page=current,
        rows=rows,
        quotes=selectors.shared_feedback(project),
        my_news=my_news,
        stopped=bool(my_news and NoticeOptOut.objects.filter(user=actor(request), project=project).exists()),
    )


def commitment_detail(request: HttpRequest, slug: str, commitment_id: int) -> HttpResponse:
    project, role, commitment = get_commitment_for_user(request.user, slug, commitment_id)
    return _render_detail(request, project, role, commitment)


def _render_detail(
    request: HttpRequest, project: Project, role: Role, commitment: Commitment, *, status: int = 200, **forms: Any
) -> HttpResponse:
    may_update = can_post_update(request.user, role, commitment)
    may_manage = TABLE.allowed(role, "followthrough.manage")
    milestones = list(commitment.milestones.all())
    done = sum(1 for m in milestones if m.done_at)
    updates = list(commitment.updates.select_related("author").order_by("-created_at", "-id"))
    sources = selectors.sources_for(project, [commitment.pk], role).get(commitment.pk, [])
    quotes = list(
        FeedbackMoment.objects.filter(commitment=commitment, shared_at__isnull=False, consent_to_share=True)
        .exclude(public_excerpt="")
        .order_by("-shared_at")[:10]
    )
    return page(
        request,
        "followthrough/commitment.html",
        project,
        role,
        status=status,
        commitment=commitment,
        co_owners=list(commitment.co_owners.all()),
        overdue=commitment.is_overdue(),
        milestones=milestones,
        milestones_done=done,
        progress=selectors.progress_percent(done, len(milestones)),
        updates=updates,
        sources=sources,
        quotes=quotes,
        may_update=may_update,
        may_manage=may_manage,
        update_form=forms.get("update_form") or (UpdateForm(current=commitment.status) if may_update else None),
        milestone_form=forms.get("milestone_form") or (MilestoneForm() if may_update else None),
        link_form=forms.get("link_form")
        or (LinkForm(sources=selectors.source_choices(project, role)) if may_manage else None),
    )


# --- Making and changing commitments -------------------------------------------------------------


def _people(form: CommitmentForm) -> tuple[Any, list[Any]]:
    return form.cleaned_data["owner"], list(form.cleaned_data.get("co_owners") or [])


@project_view("followthrough.manage")
def commitment_create(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    """Make a commitment, from a decision, an idea, a meeting action or a consultation, or on its own.
    Other apps link here with ?from=decisions.decision:<id> (or ideas.idea:<id>...)."""
    sources = selectors.source_choices(project, role)
    chosen = request.POST.get("source") if request.method == "POST" else request.GET.get("from")
    origin = None
    if chosen:
        origin = selectors.find_source(project, chosen)
        if origin is None:
            raise Http404
        label = f"{origin._meta.app_label}.{origin._meta.model_name}"
        value = f"{label}:{origin.pk}"
        if not any(value == v for _group, items in sources for v, _t in items):
            # Not among the newest shown: add it, so the choice made stays chosen.
            sources = [(str(origin._meta.verbose_name).capitalize(), [(value, str(origin))]), *sources]
    people = selectors.owner_choices(project)
    initial: dict[str, Any] = {"owner": actor(request).pk}
    if origin is not None and request.method != "POST":
        initial["source"] = f"{origin._meta.app_label}.{origin._meta.model_name}:{origin.pk}"
        statement = getattr(origin, "outcome_statement", "") or ""
        if statement:
            initial["description"] = statement
    form = CommitmentForm(request.POST or None, people=people, sources=sources, initial=initial)
    if request.method == "POST" and form.is_valid():
        owner, co_owners = _people(form)
        try:
            commitment = services.commitment_create(
                project=project,
                created_by=actor(request),
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                owner=owner,
                co_owners=co_owners,
                due_on=form.cleaned_data["due_on"],
                source=origin,
                visibility=form.cleaned_data["visibility"],
                form_token=form.cleaned_data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("followthrough:yswd", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The commitment is made. Add its milestones, then keep people posted."))
            return _detail(commitment)
    return page(
        request,
        "followthrough/commitment_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        origin=selectors.source_summary(project, origin, role) if origin is not None else None,
    )


def commitment_edit(request: HttpRequest, slug: str, commitment_id: int) -> HttpResponse:
    project, role, commitment = get_commitment_for_user(request.user, slug, commitment_id, "followthrough.manage")
    people = selectors.owner_choices(project)
    current = list(commitment.co_owners.all())
    for person in [commitment.owner, *current]:
        if all(p.pk != person.pk for p in people):
            people.append(person)  # keep today's owners choosable even if they are beyond the first shown
    form = CommitmentEditForm(
        request.POST or None,
        people=people,
        initial={
            "title": commitment.title,
            "description": commitment.description,
            "owner": commitment.owner_id,
            "co_owners": [p.pk for p in current],
            "due_on": commitment.due_on,
            "visibility": commitment.visibility,
        },
    )
    if request.method == "POST" and form.is_valid():
        owner, co_owners = _people(form)
        if run_service(
            request,
            form,
            lambda: services.commitment_edit(
                commitment=commitment,
                user=actor(request),
                title=form.cleaned_data["title"],
                description=form.cleaned_data["description"],
                owner=owner,
                co_owners=co_owners,
                due_on=form.cleaned_data["due_on"],
                visibility=form.cleaned_data["visibility"],
                message=form.cleaned_data["message"],
                form_token=form.cleaned_data["form_token"],
            ),
            _("Saved."),
        ):
            return _detail(commitment)
    return page(
        request,
        "followthrough/commitment_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        editing=commitment,
    )


@require_POST
def commitment_update(request: HttpRequest, slug: str, commitment_id: int) -> HttpResponse:
    project, role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
    form = UpdateForm(request.POST, current=commitment.status)
    if form.is_valid():
        try:
            update = services.commitment_update_post(
                commitment=commitment,
                author=actor(request),
                text=form.cleaned_data["text"],
                status=form.cleaned_data["status"] or None,
                reason=form.cleaned_data["reason"],
                form_token=form.cleaned_data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return _detail(commitment)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if update.recipients:
                messages.success(
                    request,
                    _("Update posted. %(n)s people who took part will hear of it.") % {"n": f"{update.recipients:,}"},
                )
            else:
                messages.success(request, _("Update posted."))
            return _detail(commitment)
    return _render_detail(request, project, role, commitment, status=400, update_form=form)


@require_POST
def commitment_link(request: HttpRequest, slug: str, commitment_id: int) -> HttpResponse:
    project, role, commitment = get_commitment_for_user(request.user, slug, commitment_id, "followthrough.manage")
    sources = selectors.source_choices(project, role)
    form = LinkForm(request.POST, sources=sources)
    if form.is_valid():
        item = selectors.find_source(project, form.cleaned_data["source"])
        if item is None:
            raise Http404
        if run_service(
            request,
            form,
            lambda: services.commitment_link_add(commitment=commitment, source=item, user=actor(request)),
            _("Linked. The people who took part in it will hear of the next update."),
        ):
            return _detail(commitment)
    return _render_detail(request, project, role, commitment, status=400, link_form=form)


# --- Milestones ----------------------------------------------------------------------------------


def _milestone(commitment: Commitment, milestone_id: int) -> Milestone:
    found = Milestone.objects.filter(commitment=commitment, pk=milestone_id).first() if parse_id(milestone_id) else None
    if found is None:
        raise Http404
    return found


@require_POST
def milestone_add(request: HttpRequest, slug: str, commitment_id: int) -> HttpResponse:
    project, role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
    form = MilestoneForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.milestone_add(
            commitment=commitment,
            user=actor(request),
            title=form.cleaned_data["title"],
            due_on=form.cleaned_data["due_on"],
            form_token=form.cleaned_data["form_token"],
        ),
        _("Milestone added."),
    ):
        return redirect(_milestones_url(commitment))
    return _render_detail(request, project, role, commitment, status=400, milestone_form=form)


def _milestones_url(commitment: Commitment) -> str:
    from django.urls import reverse

    return reverse("followthrough:commitment", args=[commitment.project.slug, commitment.pk]) + "#milestones"


def milestone_edit(request: HttpRequest, slug: str, commitment_id: int, milestone_id: int) -> HttpResponse:
    """GET: the step's form, filled in. POST: rename it or change its date."""
    project, role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
    milestone = _milestone(commitment, milestone_id)
    form = MilestoneForm(
        request.POST if request.method == "POST" else None,  # an empty POST is checked too
        initial={"title": milestone.title, "due_on": milestone.due_on},
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.milestone_edit(
                milestone=milestone,
                user=actor(request),
                title=form.cleaned_data["title"],
                due_on=form.cleaned_data["due_on"],
            ),
            _("Milestone saved."),
        )
    ):
        return redirect(_milestones_url(commitment))
    return page(
        request,
        "followthrough/milestone_edit.html",
        project,
        role,
        status=400 if form.errors else 200,
        commitment=commitment,
        milestone=milestone,
        form=form,
    )


@require_POST
def milestone_tick(request: HttpRequest, slug: str, commitment_id: int, milestone_id: int) -> HttpResponse:
    project, role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
    milestone = _milestone(commitment, milestone_id)
    done = request.POST.get("done") == "1"
    services.milestone_tick(milestone=milestone, user=actor(request), done=done)
    messages.success(
        request,
        _("“%(title)s” is done.") % {"title": milestone.title}
        if done
        else _("“%(title)s” is no longer marked done.") % {"title": milestone.title},
    )
    return redirect(_milestones_url(commitment))


@require_POST
def milestone_move(request: HttpRequest, slug: str, commitment_id: int, milestone_id: int) -> HttpResponse:
    project, role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
    milestone = _milestone(commitment, milestone_id)
    services.milestone_move(milestone=milestone, user=actor(request), up=request.POST.get("direction") == "up")
    return redirect(_milestones_url(commitment))


@require_POST
def milestone_remove(request: HttpRequest, slug: str, commitment_id: int, milestone_id: int) -> HttpResponse:
    project, role, commitment = get_commitment_for_update(request.user, slug, commitment_id)
    milestone = _milestone(commitment, milestone_id)
    services.milestone_remove(milestone=milestone, user=actor(request))
    messages.success(request, _("Milestone removed."))
    return redirect(_milestones_url(commitment))


# --- Stopping the emails -------------------------------------------------------------------------


@csrf_exempt  # RFC 8058: mail programs POST "List-Unsubscribe=One-Click" with no cookie; the token is the secret.
def stop(request: HttpRequest, token: str) -> HttpResponse:
    from copro.accounts.models import User

    found = read_stop_token(token)
    if found is None:
        raise Http404
    user = User.objects.filter(pk=found[0], is_active=True).first()
    project = Project.objects.filter(pk=found[1]).first()
    if user is None or project is None:
        raise Http404
    if request.method == "POST":
        if request.POST.get("restart") == "1":
            services.notices_restart(user=user, project=project)
            return render(
                request,
                "followthrough/stop.html",
                {"project": project, "stopped": False, "token": token, "restarted": True},
            )
        services.notices_stop(user=user, project=project)
        return render(request, "followthrough/stop.html", {"project": project, "stopped": True, "token": token})
    stopped = NoticeOptOut.objects.filter(user=user, project=project).exists()
    return render(
        request, "followthrough/stop.html", {"project": project, "stopped": stopped, "token": token, "asking": True}
    )


# --- Feedback moments ----------------------------------------------------------------------------


FACES: dict[int, str] = {
    Feeling.VERY_GOOD: "very-good",
    Feeling.GOOD: "good",
    Feeling.OKAY: "okay",
    Feeling.BAD: "bad",
    Feeling.VERY_BAD: "very-bad",
}


def _feedback_page(request: HttpRequest, slug: str, *, staff: bool) -> HttpResponse:
    from copro.projects.access import get_project_for_user

    project, role = get_project_for_user(
        request.user, slug, "followthrough.enter" if staff else "followthrough.feedback"
    )
    signed_in = request.user.is_authenticated
    allowed_anonymous = services.anonymous_feedback_allowed(project)
    settings_row = services.feedback_settings(project)
    if not staff and not signed_in and not allowed_anonymous:
        return page(
            request,
            "followthrough/feedback_sign_in.html",
            project,
            role,
            next_url=request.get_full_path(),
        )
    form_class = FeedbackEnterForm if staff else FeedbackForm
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not staff and not signed_in and not ratelimit.consume(request, action="feedback"):
            return ratelimit.respond_429(request)
        data = form.cleaned_data
        try:
            services.feedback_give(
                project=project,
                text=data["text"],
                feeling=data["feeling"],
                about=data["about"],
                tags=data["tags"],
                contact=data["contact"],
                given_by=None if staff or not signed_in else actor(request),
                entered_by=actor(request) if staff else None,
                channel=data.get("channel") or "online",
                consent_to_share=data["consent_to_share"],
                form_token=data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("followthrough:feedback_thanks", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if staff:
                messages.success(request, _("Feedback recorded. Enter the next one."))
                return redirect("followthrough:feedback_enter", project.slug)
            return redirect("followthrough:feedback_thanks", project.slug)
    return page(
        request,
        "followthrough/feedback_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        staff=staff,
        feelings=[(choice, FACES[Feeling(int(choice.data["value"]))]) for choice in form["feeling"]],
        intro=settings_row.intro,
        anonymous=not signed_in,
    )


def feedback_give(request: HttpRequest, slug: str) -> HttpResponse:
    return _feedback_page(request, slug, staff=False)


def feedback_enter(request: HttpRequest, slug: str) -> HttpResponse:
    return _feedback_page(request, slug, staff=True)


@project_view("followthrough.feedback")
def feedback_thanks(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    return page(request, "followthrough/feedback_thanks.html", project, role)


@project_view("followthrough.view")
def feedback_mine(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    """The feedback this person gave, and (for practitioners) the feedback they entered for others:
    nobody else's."""
    if not request.user.is_authenticated:
        return redirect("followthrough:feedback_give", project.slug)
    mine = FeedbackMoment.objects.filter(
        Q(given_by=request.user) | Q(entered_by=request.user), project=project
    ).order_by("-created_at", "-id")
    return page(
        request, "followthrough/feedback_mine.html", project, role, page=page_of(request, mine, FEEDBACK_PER_PAGE)
    )


@project_view("followthrough.triage")
def feedback_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    triage = request.GET.get("triage", "")
    if triage not in Triage.values:
        triage = ""
    found = FeedbackMoment.objects.filter(project=project).select_related("commitment", "entered_by")
    if triage:
        found = found.filter(triage=triage)
    counts = dict(
        FeedbackMoment.objects.filter(project=project).order_by().values_list("triage").annotate(n=Count("id"))
    )
    current = page_of(request, found.order_by("-created_at", "-id"), FEEDBACK_PER_PAGE)
    for item in current.object_list:
        item.face = FACES.get(item.feeling, "okay")
    return page(
        request,
        "followthrough/feedback_list.html",
        project,
        role,
        page=current,
        triage=triage,
        triage_choices=[(t.value, t.label, counts.get(t.value, 0)) for t in Triage],
        total=sum(counts.values()),
    )


def feedback_detail(request: HttpRequest, slug: str, feedback_id: int) -> HttpResponse:
    project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id)
    return _render_feedback(request, project, role, feedback)


def _render_feedback(
    request: HttpRequest, project: Project, role: Role, feedback: FeedbackMoment, *, status: int = 200, **forms: Any
) -> HttpResponse:
    triager = TABLE.allowed(role, "followthrough.triage")
    commitments = list(Commitment.objects.filter(project=project).order_by("due_on", "id")[:500]) if triager else []
    return page(
        request,
        "followthrough/feedback_detail.html",
        project,
        role,
        status=status,
        feedback=feedback,
        triager=triager,
        mine=bool(request.user.is_authenticated and feedback.given_by_id == request.user.pk),
        face=FACES.get(feedback.feeling, "okay"),
        tag_labels=[str(FeedbackTag(t).label) for t in feedback.tags if t in FeedbackTag.values],
        triage_form=forms.get("triage_form")
        or (
            TriageForm(
                initial={"triage": feedback.triage, "note": feedback.triage_note, "commitment": feedback.commitment_id},
                commitments=commitments,
            )
            if triager
            else None
        ),
        share_form=forms.get("share_form")
        or (ShareForm(initial={"excerpt": feedback.public_excerpt or feedback.text[:1000]}) if triager else None),
    )


@require_POST
def feedback_triage(request: HttpRequest, slug: str, feedback_id: int) -> HttpResponse:
    project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id, "followthrough.triage")
    commitments = list(Commitment.objects.filter(project=project).order_by("due_on", "id")[:500])
    form = TriageForm(request.POST, commitments=commitments)
    if form.is_valid():
        chosen = form.cleaned_data["commitment"]
        commitment = Commitment.objects.filter(project=project, pk=chosen).first() if chosen else None
        if run_service(
            request,
            form,
            lambda: services.feedback_triage(
                feedback=feedback,
                user=actor(request),
                triage=form.cleaned_data["triage"],
                note=form.cleaned_data["note"],
                commitment=commitment,
            ),
            _("Saved."),
        ):
            return redirect("followthrough:feedback_detail", project.slug, feedback.pk)
    return _render_feedback(request, project, role, feedback, status=400, triage_form=form)


@require_POST
def feedback_share(request: HttpRequest, slug: str, feedback_id: int) -> HttpResponse:
    project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id, "followthrough.triage")
    if request.POST.get("unshare") == "1":
        services.feedback_unshare(feedback=feedback, user=actor(request))
        messages.success(request, _("It is no longer shared."))
        return redirect("followthrough:feedback_detail", project.slug, feedback.pk)
    form = ShareForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.feedback_share(feedback=feedback, user=actor(request), excerpt=form.cleaned_data["excerpt"]),
        _("Shared on the “You said, we did” page, without a name."),
    ):
        return redirect("followthrough:feedback_detail", project.slug, feedback.pk)
    return _render_feedback(request, project, role, feedback, status=400, share_form=form)


@require_POST
def feedback_withdraw(request: HttpRequest, slug: str, feedback_id: int) -> HttpResponse:
    project, role, feedback = get_feedback_for_user(request.user, slug, feedback_id)
    if not (request.user.is_authenticated and feedback.given_by_id == request.user.pk):
        raise PermissionDenied
    services.feedback_withdraw_consent(feedback=feedback, user=actor(request))
    messages.success(request, _("Done. Your words will not be quoted."))
    return redirect("followthrough:feedback_detail", project.slug, feedback.pk)


@project_view("followthrough.triage")
def feedback_settings(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    current = services.feedback_settings(project)
    form = FeedbackSettingsForm(
        request.POST or None, initial={"allow_anonymous": current.allow_anonymous, "intro": current.intro}
    )
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.feedback_settings_save(
                project=project,
                user=actor(request),
                allow_anonymous=form.cleaned_data["allow_anonymous"],
                intro=form.cleaned_data["intro"],
            ),
            _("Feedback settings saved."),
        )
    ):
        return redirect("followthrough:feedback_list", project.slug)
    return page(
        request,
        "followthrough/feedback_settings.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        is_public=project.visibility == "public",
    )
