"""Idea and review pages. Thin: load through access, validate with a form, change through a service, render."""

from __future__ import annotations

from typing import Any

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from copro.accounts.models import User
from copro.core.forms import DuplicateSubmission, errors_to_form, parse_id, run_service, whole_number
from copro.core.links import only_visible
from copro.core.paging import page_of
from copro.core.permissions import TABLE, Role
from copro.core.views import actor
from copro.ideas import access, files, selectors, services
from copro.ideas.access import (
    OwnIdea,
    can_edit,
    can_see_idea,
    can_see_results,
    get_idea_for_user,
    get_ideas_project,
    get_review_for_user,
    get_round_for_user,
    is_author,
    reviewer_for,
    space_of,
    visible_rounds,
)
from copro.ideas.forms import (
    AttachmentForm,
    CoAuthorForm,
    CommentForm,
    FilterForm,
    IdeaForm,
    InviteForm,
    MergeForm,
    ResponseForm,
    ReviewForm,
    ReviseForm,
    RoundForm,
    SpaceForm,
    SplitForm,
    StaffIdeaForm,
    StatusForm,
)
from copro.ideas.models import (
    Idea,
    IdeaAttachment,
    IdeaEvent,
    IdeaVersion,
    Reviewer,
    ReviewRound,
    ReviewScore,
    RoundStatus,
    Support,
)
from copro.projects.models import Project
from copro.projects.views import page, project_view

PER_PAGE = 20


def _detail(idea: Idea) -> HttpResponse:
    return redirect("ideas:detail", idea.project.slug, idea.pk)


def _perms_extra(project: Project, role: Role) -> dict[str, bool]:
    return {
        "can_submit": access.allowed(project, role, "ideas.submit") and space_of(project).is_open,
        "can_support": access.allowed(project, role, "ideas.support"),
        "can_comment": access.allowed(project, role, "ideas.comment"),
        "can_manage": TABLE.allowed(role, "ideas.manage"),
    }


# --- The list ------------------------------------------------------------------------------------


@project_view("ideas.view")
def idea_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    scope = selectors.scope_choices(project)
    filters = FilterForm(request.GET or None, scope=scope)
    wanted = filters.values()
    ideas = selectors.ideas_for_list(
        project, **wanted, show_hidden=TABLE.allowed(role, "ideas.manage"), viewer=request.user
    )
    return page(
        request,
        "ideas/list.html",
        project,
        role,
        space=space_of(project),
        filters=filters,
        page=page_of(request, ideas, PER_PAGE),
        filtered=any(v for k, v in wanted.items() if k != "sort"),
        show_rounds=TABLE.allowed(role, "ideas.view_reviews"),
        **_perms_extra(project, role),
    )


# --- Putting an idea forward ---------------------------------------------------------------------


def idea_create(request: HttpRequest, slug: str) -> HttpResponse:
    project, role = get_ideas_project(request.user, slug, "ideas.submit")
    space = space_of(project)
    if not space.is_open:
        messages.error(request, _("This project is not taking new ideas at the moment."))
        return redirect("ideas:list", project.slug)
    scope = selectors.scope_choices(project)
    form = IdeaForm(request.POST or None, scope=scope, currency=project.budget_currency)
    flagged: list[Any] = []
    if request.method == "POST" and request.POST.get("change") == "1":
        # "Go back and change it" from the confirmation step: the form again, as they filled it in.
        again = request.POST.copy()
        again.pop("confirm_fixed", None)
        form = IdeaForm(again, scope=scope, currency=project.budget_currency)
        form.is_valid()
    elif request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = list(data.get("scope_items") or [])
        flagged = services.fixed_flags(chosen)
        if flagged and not data.get("confirm_fixed"):
            # The confirmation step: the person sees why these lines are fixed before anything is saved.
            confirm = request.POST.copy()
            confirm["confirm_fixed"] = "on"
            form = IdeaForm(confirm, scope=scope, currency=project.budget_currency)
            form.is_valid()
            return page(
                request,
                "ideas/idea_form.html",
                project,
                role,
                form=form,
                space=space,
                flagged=flagged,
                confirming=True,
                scope=scope,
            )
        if not ratelimit.consume(request, action="ideas_submit"):
            return ratelimit.respond_429(request)
        try:
            idea = services.idea_submit(
                project=project,
                author=actor(request),
                title=data["title"],
                problem=data["problem"],
                proposal=data["proposal"],
                scope_items=chosen,
                cost_estimate=data.get("cost_estimate"),
                form_token=data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("ideas:list", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Thank you. Your idea is published."))
            return _detail(idea)
    return page(
        request,
        "ideas/idea_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        space=space,
        flagged=[],
        confirming=False,
        scope=scope,
    )


@project_view("ideas.manage")
def idea_enter(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    """Staff enter an idea that reached them on paper, by phone, at a drop-in or on an outreach visit.

    It can be entered while the project is not taking new ideas online (it was given in time, elsewhere).
    """
    scope = selectors.scope_choices(project)
    members = selectors.author_candidates(project)
    form = StaffIdeaForm(request.POST or None, scope=scope, currency=project.budget_currency, members=members)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        author = next((m.user for m in members if m.user_id == data.get("author")), None)
        try:
            idea = services.idea_submit(
                project=project,
                author=author,
                author_name=data.get("author_name") or "",
                title=data["title"],
                problem=data["problem"],
                proposal=data["proposal"],
                scope_items=list(data.get("scope_items") or []),
                cost_estimate=data.get("cost_estimate"),
                channel=data["channel"],
                entered_by=actor(request),
                form_token=data["form_token"],
            )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("ideas:list", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("The idea is entered and published, with how it reached you."))
            return _detail(idea)
    return page(
        request,
        "ideas/enter.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        scope=scope,
    )


# --- One idea ------------------------------------------------------------------------------------


def idea_detail(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    return _render_idea(request, project, role, idea)


def _render_idea(
    request: HttpRequest, project: Project, role: Role, idea: Idea, *, status: int = 200, **forms: Any
) -> HttpResponse:
    user = request.user
    authors = selectors.authorships(idea)
    active_ids = {a.user_id for a in authors if a.left_at is None}
    mine = bool(user.is_authenticated and user.pk in active_ids)
    manage = TABLE.allowed(role, "ideas.manage")
    editable = not idea.is_read_only and (manage or (mine and TABLE.allowed(role, "ideas.revise")))
    comments = list(idea.comments.select_related("author"))
    events = list(
        IdeaEvent.objects.filter(idea=idea).select_related("actor", "other_idea").order_by("created_at", "id")
    )
    extra = _perms_extra(project, role)
    rounds = selectors.rounds_of_idea(idea)
    context: dict[str, Any] = {
        "idea": idea,
        "authors": authors,
        "co_authors": [a for a in authors if not a.is_lead],
        "mine": mine,
        "is_lead": bool(user.is_authenticated and any(a.user_id == user.pk and a.is_lead for a in authors)),
        "editable": editable,
        "comments": [(c, manage or (user.is_authenticated and c.author_id == user.pk)) for c in comments],
        "supported": bool(user.is_authenticated and Support.objects.filter(idea=idea, user=user).exists()),
        "events": events,
        "versions": list(IdeaVersion.objects.filter(idea=idea, number__lt=idea.version).select_related("created_by")),
        "attachments": list(
            IdeaAttachment.objects.filter(idea=idea, removed_at__isnull=True).select_related("uploaded_by")
        ),
        "scope": list(idea.scope_items.order_by("kind", "position", "id")),
        "merged_from": [
            (m, next((e.actor for e in events if e.kind == "merged_from" and e.other_idea_id == m.pk), None))
            for m in idea.merged_from.select_related("author").order_by("merged_at", "id")
        ],
        "split_into": list(idea.split_into.order_by("id")),
        "outcomes": only_visible(selectors.outcome_links(idea), role, "target"),
        "rounds": [(r, can_see_results(r, user, role, idea)) for r in rounds],
        "comment_form": forms.get("comment_form") or CommentForm(),
        "co_author_form": forms.get("co_author_form"),
        "attachment_form": forms.get("attachment_form") or AttachmentForm(),
        **extra,
    }
    if editable:
        context["co_author_form"] = context["co_author_form"] or CoAuthorForm(
            candidates=selectors.co_author_candidates(idea, active_ids)
        )
    return page(request, "ideas/detail.html", project, role, status=status, **context)


def idea_revise(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    if not can_edit(idea, request.user, role):
        raise PermissionDenied
    if idea.is_read_only:
        messages.error(request, _("This idea was merged or split: it is kept as it was."))
        return _detail(idea)
    scope = selectors.scope_choices(project)
    initial = {
        "title": idea.title,
        "problem": idea.problem,
        "proposal": idea.proposal,
        "scope_items": [s.pk for s in idea.scope_items.filter(removed_at__isnull=True)],
        "cost_estimate": "" if idea.cost_estimate is None else str(idea.cost_estimate),
    }
    form = ReviseForm(request.POST or None, initial=initial, scope=scope, currency=idea.currency)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        if run_service(
            request,
            form,
            lambda: services.idea_revise(
                user=actor(request),
                idea=idea,
                title=data["title"],
                problem=data["problem"],
                proposal=data["proposal"],
                scope_items=list(data.get("scope_items") or []),
                cost_estimate=data.get("cost_estimate"),
                note=data.get("note", ""),
            ),
            _("Your changes are saved. The earlier version stays in the idea's history."),
        ):
            return _detail(idea)
    return page(
        request,
        "ideas/revise.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        idea=idea,
        scope=scope,
    )


def idea_version(request: HttpRequest, slug: str, idea_id: int, number: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    version = IdeaVersion.objects.filter(idea=idea, number=number).select_related("created_by").first()
    if version is None:
        raise Http404
    return page(request, "ideas/version.html", project, role, idea=idea, version=version)


@require_POST
def idea_support(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.support")
    undo = request.POST.get("undo") == "1"
    try:
        if undo:
            services.idea_unsupport(user=actor(request), idea=idea)
        else:
            services.idea_support(user=actor(request), idea=idea)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You no longer support this idea.") if undo else _("You support this idea."))
    return _detail(idea)


@require_POST
def comment_add(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.comment")
    form = CommentForm(request.POST)
    if form.is_valid():
        if not ratelimit.consume(request, action="ideas_comment"):
            return ratelimit.respond_429(request)
        if run_service(
            request,
            form,
            lambda: services.comment_add(
                user=actor(request),
                idea=idea,
                text=form.cleaned_data["text"],
                form_token=form.cleaned_data["form_token"],
            ),
            _("Your comment is published."),
        ):
            return _detail(idea)
    return _render_idea(request, project, role, idea, status=400, comment_form=form)


@require_POST
def co_author_add(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    if not can_edit(idea, request.user, role):
        raise PermissionDenied
    current = access.author_ids(idea)
    form = CoAuthorForm(request.POST, candidates=selectors.co_author_candidates(idea, current))
    if form.is_valid():
        person = User.objects.filter(pk=form.cleaned_data["user"]).first()
        try:
            if person is None:
                raise ValidationError({"user": _("Choose a member of the project.")})
            services.co_author_add(user=actor(request), idea=idea, co_author=person)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Co-author added. They have been told by email."))
            return _detail(idea)
    return _render_idea(request, project, role, idea, status=400, co_author_form=form)


@require_POST
def co_author_leave(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    try:
        services.co_author_leave(user=actor(request), idea=idea)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("You are no longer a co-author of this idea. What you wrote stays in its history."))
    return _detail(idea)


@require_POST
def attachment_add(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    if not can_edit(idea, request.user, role):
        raise PermissionDenied
    form = AttachmentForm(request.POST, request.FILES)
    if form.is_valid():
        if not ratelimit.consume(request, action="ideas_upload"):
            return ratelimit.respond_429(request)
        if run_service(
            request,
            form,
            lambda: services.attachment_add(
                user=actor(request),
                idea=idea,
                upload=form.cleaned_data["file"],
                description=form.cleaned_data["description"],
                form_token=form.cleaned_data["form_token"],
            ),
            _("File added."),
        ):
            return _detail(idea)
    return _render_idea(request, project, role, idea, status=400, attachment_form=form)


def attachment(request: HttpRequest, slug: str, idea_id: int, attachment_id: int) -> FileResponse:
    """A file attached to an idea, served through the same access rules as the idea (private projects)."""
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    found = IdeaAttachment.objects.filter(idea=idea, pk=attachment_id, removed_at__isnull=True).first()
    if found is None or not found.file:
        raise Http404
    try:
        handle = found.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    # Pictures are shown in the page; documents are downloaded, never opened by the browser in our origin.
    response = FileResponse(
        handle,
        content_type=files.CONTENT_TYPES.get(found.kind, "application/octet-stream"),
        as_attachment=not found.is_image,
        filename=found.name,
    )
    response["Cache-Control"] = "private, max-age=3600"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def attachment_remove(request: HttpRequest, slug: str, idea_id: int, attachment_id: int) -> HttpResponse:
    """GET: "remove this file?" POST: remove it. For the idea's authors and facilitators.

    Authors remove files while the idea is open; facilitators also from a merged or split idea (a file that
    should not be there is taken down wherever it is).
    """
    project, role, idea = get_idea_for_user(request.user, slug, idea_id)
    if not can_edit(idea, request.user, role):
        raise PermissionDenied
    found = IdeaAttachment.objects.filter(idea=idea, pk=attachment_id, removed_at__isnull=True).first()
    if found is None:
        raise Http404
    if idea.is_read_only and not TABLE.allowed(role, "ideas.manage"):
        messages.error(request, _("This idea was merged or split: it is kept as it was. Ask a facilitator."))
        return _detail(idea)
    if request.method == "POST":
        found.idea = idea
        services.attachment_remove(user=actor(request), attachment=found)
        messages.success(request, _("The file is removed. The idea's history says it was there, and who removed it."))
        return _detail(idea)
    return page(request, "ideas/attachment_remove.html", project, role, idea=idea, attachment=found)


# --- Facilitators: status, merge, split, settings ------------------------------------------------


def _decisions(project: Project) -> list[Any]:
    from copro.decisions.models import Decision

    return list(Decision.objects.filter(project=project).exclude(status="draft").order_by("-id")[:200])


def idea_status(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.manage")
    decisions = _decisions(project)
    form = StatusForm(request.POST or None, initial={"status": idea.status}, decisions=decisions)
    if request.method == "POST" and form.is_valid():
        chosen = next((d for d in decisions if d.pk == form.cleaned_data.get("decision")), None)
        if run_service(
            request,
            form,
            lambda: services.idea_set_status(
                user=actor(request),
                idea=idea,
                status=form.cleaned_data["status"],
                reason=form.cleaned_data["reason"],
                decision=chosen,
            ),
            _("Status changed. The authors and supporters are being told."),
        ):
            return _detail(idea)
    return page(request, "ideas/status.html", project, role, status=400 if form.errors else 200, form=form, idea=idea)


def idea_merge(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.manage")
    candidates = selectors.merge_candidates(idea)
    form = MergeForm(request.POST or None, candidates=candidates)
    if request.method == "POST" and form.is_valid():
        target = Idea.objects.filter(project=project, pk=form.cleaned_data["target"]).first()
        try:
            if target is None:
                raise ValidationError({"target": _("Choose one of the ideas.")})
            target.project = project
            services.idea_merge(user=actor(request), source=idea, target=target, note=form.cleaned_data["note"])
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Merged. Its supporters and authors now count on this idea, once each."))
            return _detail(target)
    return page(request, "ideas/merge.html", project, role, status=400 if form.errors else 200, form=form, idea=idea)


def idea_split(request: HttpRequest, slug: str, idea_id: int) -> HttpResponse:
    project, role, idea = get_idea_for_user(request.user, slug, idea_id, "ideas.manage")
    low, high = services.SPLIT_PARTS
    raw_parts = request.POST.get("parts") or request.GET.get("parts") or "2"
    parts = whole_number(raw_parts, max_digits=1) or 2
    parts = min(max(parts, low), high)
    form = SplitForm(
        request.POST if request.method == "POST" and "go" in request.POST else None, parts=parts, idea=idea
    )
    if form.is_bound and form.is_valid():
        try:
            made = services.idea_split(
                user=actor(request), idea=idea, parts=form.part_values(), note=form.cleaned_data["note"]
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Split into %(n)d new ideas, each linked back to this one.") % {"n": len(made)})
            return _detail(idea)
    return page(
        request,
        "ideas/split.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        idea=idea,
        parts=parts,
        part_choices=list(range(low, high + 1)),
    )


@project_view("ideas.manage")
def space_settings(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    space = space_of(project)
    form = SpaceForm(request.POST or None, instance=space)
    if (
        request.method == "POST"
        and form.is_valid()
        and run_service(
            request,
            form,
            lambda: services.space_update(
                user=actor(request),
                project=project,
                is_open=form.cleaned_data["is_open"],
                participation=form.cleaned_data["participation"],
                intro=form.cleaned_data["intro"],
            ),
            _("Saved."),
        )
    ):
        return redirect("ideas:list", project.slug)
    return page(request, "ideas/settings.html", project, role, status=400 if form.errors else 200, form=form)


# --- Review rounds -------------------------------------------------------------------------------


@project_view("ideas.view_reviews")
def round_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    rounds = list(visible_rounds(project, role).order_by("-created_at", "-id"))
    invited = set()
    if request.user.is_authenticated:
        invited = set(
            Reviewer.objects.filter(round__in=rounds, user=request.user).values_list("round_id", flat=True)
        ) | set(
            Reviewer.objects.filter(round__in=rounds, user__isnull=True, email__iexact=request.user.email).values_list(
                "round_id", flat=True
            )
        )
    return page(
        request,
        "ideas/rounds.html",
        project,
        role,
        rounds=[(r, r.pk in invited) for r in rounds],
        can_manage=TABLE.allowed(role, "ideas.manage"),
    )


def _round_form_page(request: HttpRequest, project: Project, role: Role, the_round: ReviewRound | None) -> HttpResponse:
    ideas = selectors.reviewable_ideas(project)
    if the_round is not None:
        chosen = list(the_round.ideas.all())
        ideas = ideas + [i for i in chosen if i.pk not in {x.pk for x in ideas}]
        initial = {
            "title": the_round.title,
            "instructions": the_round.instructions,
            "ideas": [i.pk for i in chosen],
            **RoundForm.initial_for(RoundForm.rows_of(list(the_round.criteria.all()))),
        }
    else:
        preselected = [pk for pk in (parse_id(v) for v in request.GET.getlist("idea")) if pk is not None]
        initial = {"ideas": preselected, **RoundForm.initial_for(services.default_criteria())}
    form = RoundForm(request.POST or None, initial=initial, ideas=ideas)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if the_round is None:
                the_round = services.round_create(
                    user=actor(request),
                    project=project,
                    title=data["title"],
                    instructions=data["instructions"],
                    criteria=form.criteria_rows(),
                    idea_ids=data["ideas"],
                    form_token=data["form_token"],
                )
            else:
                services.round_update(
                    user=actor(request),
                    round=the_round,
                    title=data["title"],
                    instructions=data["instructions"],
                    criteria=form.criteria_rows(),
                    idea_ids=data["ideas"],
                )
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("ideas:rounds", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Saved. Invite the reviewers, then open the round."))
            return redirect("ideas:round", project.slug, the_round.pk)
    return page(
        request,
        "ideas/round_form.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        the_round=the_round,
    )


@project_view("ideas.manage")
def round_create(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    return _round_form_page(request, project, role, None)


def round_edit(request: HttpRequest, slug: str, round_id: int) -> HttpResponse:
    project, role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
    if the_round.status != RoundStatus.DRAFT:
        messages.error(
            request, _("Criteria and ideas are fixed once the round is open, so every review is comparable.")
        )
        return redirect("ideas:round", project.slug, the_round.pk)
    return _round_form_page(request, project, role, the_round)


def round_detail(request: HttpRequest, slug: str, round_id: int) -> HttpResponse:
    project, role, the_round = get_round_for_user(request.user, slug, round_id)
    return _render_round(request, project, role, the_round)


def _render_round(
    request: HttpRequest,
    project: Project,
    role: Role,
    the_round: ReviewRound,
    *,
    status: int = 200,
    invite_form: InviteForm | None = None,
) -> HttpResponse:
    manage = TABLE.allowed(role, "ideas.manage")
    reviewer = reviewer_for(the_round, request.user) if TABLE.allowed(role, "ideas.review") else None
    if not (manage or reviewer is not None or TABLE.allowed(role, "ideas.view_reviews")):
        raise PermissionDenied
    if manage:
        selectors.claim_email_reviewers(the_round)
    ideas = list(the_round.ideas.order_by("round_entries__position", "id").prefetch_related("scope_items"))
    results_visible = can_see_results(the_round, request.user, role)
    own = selectors.own_ideas(ideas, request.user)
    rows = [(i, i.pk in own, i.hidden_at is not None and not manage and i.pk not in own) for i in ideas]
    shown = [i for i, _mine, hidden in rows if not hidden]
    context: dict[str, Any] = {
        "the_round": the_round,
        "criteria": list(the_round.criteria.all()),
        "ideas": ideas,
        # Each idea; whether the person wrote it (then it is not theirs to review); whether it is hidden from
        # them (a facilitator hid it: only its authors and facilitators see it).
        "rows": rows,
        "reviewer": reviewer,
        "progress": selectors.reviewer_progress(the_round, reviewer) if reviewer else {},
        "manage": manage,
        "results_visible": results_visible,
        "results": selectors.round_results(the_round, shown) if results_visible else [],
    }
    if manage:
        reviewers = list(the_round.reviewers.select_related("user"))
        done = set(ReviewScore.objects.filter(round=the_round).values_list("reviewer_id", flat=True).distinct())
        context["reviewers"] = [(r, r.pk in done) for r in reviewers]
        invited = {r.user_id for r in reviewers if r.user_id}
        candidates = [m for m in selectors.reviewer_candidates(project) if m.user_id not in invited]
        context["invite_form"] = invite_form or InviteForm(candidates=candidates)
    return page(request, "ideas/round.html", project, role, status=status, **context)


@require_POST
def round_invite(request: HttpRequest, slug: str, round_id: int) -> HttpResponse:
    project, role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
    candidates = selectors.reviewer_candidates(project)
    form = InviteForm(request.POST, candidates=candidates)
    if form.is_valid():
        chosen = set(form.cleaned_data["members"])
        members = [m.user for m in candidates if m.user_id in chosen]
        try:
            made = services.reviewers_invite(
                user=actor(request),
                round=the_round,
                members=members,
                emails=form.email_list(),
                message=form.cleaned_data["message"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("%(n)d reviewers invited.") % {"n": len(made)})
            return redirect("ideas:round", project.slug, the_round.pk)
    return _render_round(request, project, role, the_round, status=400, invite_form=form)


@require_POST
def reviewer_remove(request: HttpRequest, slug: str, round_id: int, reviewer_id: int) -> HttpResponse:
    project, role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
    reviewer = Reviewer.objects.filter(round=the_round, pk=reviewer_id).first()
    if reviewer is None:
        raise Http404
    reviewer.round = the_round
    return _round_step(
        request,
        project,
        the_round,
        lambda: services.reviewer_remove(user=actor(request), reviewer=reviewer),
        _("Reviewer taken off the round."),
    )


def _round_step(request: HttpRequest, project: Project, the_round: Any, call: Any, done: str) -> HttpResponse:
    """Do one step of running a review round; say what happened, or why it could not be done."""
    try:
        call()
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    return redirect("ideas:round", project.slug, the_round.pk)


@require_POST
def round_open(request: HttpRequest, slug: str, round_id: int) -> HttpResponse:
    project, role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
    return _round_step(
        request,
        project,
        the_round,
        lambda: services.round_open(user=actor(request), round=the_round),
        _("The round is open. Reviewers are being told, and the ideas are now under review."),
    )


@require_POST
def round_close(request: HttpRequest, slug: str, round_id: int) -> HttpResponse:
    project, role, the_round = get_round_for_user(request.user, slug, round_id, "ideas.manage")
    return _round_step(
        request,
        project,
        the_round,
        lambda: services.round_close(user=actor(request), round=the_round),
        _("The round is closed. Its results are now published to members."),
    )


def review(request: HttpRequest, slug: str, round_id: int, idea_id: int) -> HttpResponse:
    try:
        project, role, the_round, idea, reviewer = get_review_for_user(request.user, slug, round_id, idea_id)
    except OwnIdea as refused:
        # Said plainly on the round's page (which leaves the idea off their list), rather than a bare 403.
        messages.error(request, str(refused))
        return redirect("ideas:round", slug, round_id)
    criteria = list(the_round.criteria.all())
    saved = {s.criterion_id: s for s in ReviewScore.objects.filter(round=the_round, idea=idea, reviewer=reviewer)}
    initial: dict[str, Any] = {}
    for cid, s in saved.items():
        initial[f"score_{cid}"] = "" if s.score is None else str(s.score)
        initial[f"comment_{cid}"] = s.comment
    is_open = the_round.status == RoundStatus.OPEN
    form = ReviewForm(request.POST if request.method == "POST" else None, initial=initial, criteria=criteria)
    if request.method == "POST":
        if not is_open:
            messages.error(request, _("This round has closed: reviews can no longer be changed."))
            return redirect("ideas:round", project.slug, the_round.pk)
        if form.is_valid() and run_service(
            request,
            form,
            lambda: services.review_save(reviewer=reviewer, round=the_round, idea=idea, entries=form.entries()),
            _("Your review is saved. You can change it until the round closes."),
        ):
            return redirect("ideas:round", project.slug, the_round.pk)
    return page(
        request,
        "ideas/review.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        the_round=the_round,
        idea=idea,
        reviewer=reviewer,
        is_open=is_open,
        scope=list(idea.scope_items.order_by("kind", "position", "id")),
    )


def results(request: HttpRequest, slug: str, round_id: int, idea_id: int) -> HttpResponse:
    project, role, the_round = get_round_for_user(request.user, slug, round_id)
    idea = the_round.ideas.filter(pk=idea_id).first()
    if idea is None or not can_see_idea(idea, request.user, role):
        raise Http404
    idea.project = project
    if not can_see_results(the_round, request.user, role, idea):
        raise PermissionDenied
    return _render_results(request, project, role, the_round, idea)


def _render_results(
    request: HttpRequest,
    project: Project,
    role: Role,
    the_round: ReviewRound,
    idea: Idea,
    *,
    status: int = 200,
    form: ResponseForm | None = None,
) -> HttpResponse:
    result = selectors.round_results(the_round, [idea])[0]
    may_respond = (
        the_round.status == RoundStatus.CLOSED and can_edit(idea, request.user, role) and not idea.is_read_only
    )
    if form is None and may_respond:
        form = ResponseForm(initial={"text": result.response.text if result.response else ""})
    return page(
        request,
        "ideas/results.html",
        project,
        role,
        status=status,
        the_round=the_round,
        idea=idea,
        result=result,
        manage=TABLE.allowed(role, "ideas.manage"),
        may_respond=may_respond,
        response_form=form,
        mine=is_author(idea, request.user),
    )


@require_POST
def respond(request: HttpRequest, slug: str, round_id: int, idea_id: int) -> HttpResponse:
    project, role, the_round = get_round_for_user(request.user, slug, round_id)
    idea = the_round.ideas.filter(pk=idea_id).first()
    if idea is None or not can_see_idea(idea, request.user, role):
        raise Http404
    idea.project = project
    if not can_edit(idea, request.user, role):
        raise PermissionDenied
    form = ResponseForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.response_save(user=actor(request), round=the_round, idea=idea, text=form.cleaned_data["text"]),
        _("Your response is published with the results."),
    ):
        return redirect("ideas:results", project.slug, the_round.pk, idea.pk)
    return _render_results(request, project, role, the_round, idea, status=400, form=form)
