"""Decision pages. Thin: load through access, validate with a form, change through a service."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from allauth.core import ratelimit
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from copro.core.forms import DuplicateSubmission, errors_to_form, parse_id, run_service
from copro.core.permissions import Role
from copro.core.views import actor
from copro.decisions import counting, pb_io, selectors, services
from copro.decisions.access import get_decision_for_user, visible_decisions
from copro.decisions.forms import (
    CREATE_FORMS,
    AnswerForm,
    BallotForm,
    CloseForm,
    CodeForm,
    CodesForm,
    OfflineBallotForm,
    OptionForm,
    PbImportForm,
    RespondForm,
)
from copro.decisions.models import Decision, Kind, Participation, Status
from copro.decisions.process import PROCESSES
from copro.projects.access import check
from copro.projects.models import Project
from copro.projects.views import page, project_view


def _detail(decision: Decision) -> Any:
    return redirect("decisions:detail", decision.project.slug, decision.pk)


@project_view("decisions.view")
def decision_list(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    decisions = list(visible_decisions(project, role).order_by("status", "closes_at"))
    return page(
        request,
        "decisions/list.html",
        project,
        role,
        open=[d for d in decisions if d.status == Status.OPEN],
        drafts=[d for d in decisions if d.status == Status.DRAFT],
        closed=sorted((d for d in decisions if d.status == Status.CLOSED), key=lambda d: d.closed_at, reverse=True),
    )


@project_view("decisions.view")
def decision_log(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    return page(request, "decisions/log.html", project, role, records=selectors.decision_log(project))


@project_view("decisions.view")
def decision_create(request: HttpRequest, project: Project, role: Role, kind: str) -> HttpResponse:
    if kind not in CREATE_FORMS:
        raise Http404
    check(request.user, project, "decisions.propose" if kind == Kind.PROPOSAL else "decisions.manage")
    form_class = CREATE_FORMS[kind]
    form = form_class(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        common = {k: data.pop(k) for k in ("title", "description", "how_used", "closes_at", "form_token")}
        settings = {k: v for k, v in data.items() if v is not None and v != ""}
        if kind == Kind.PROPOSAL and not common["how_used"].strip():
            common["how_used"] = str(PROCESSES[settings.get("process", "consent")]["how_used"])
        try:
            with transaction.atomic():  # a proposal is created and opened together, or not at all
                decision = services.decision_create(
                    user=actor(request), project=project, kind=kind, **common, **settings
                )
                if kind == Kind.PROPOSAL:
                    decision = services.decision_open(user=actor(request), decision=decision)
        except DuplicateSubmission as error:
            messages.info(request, str(error))
            return redirect("decisions:list", project.slug)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            if kind == Kind.PROPOSAL:
                messages.success(request, _("Your proposal is open for responses."))
            else:
                messages.success(request, _("Saved. Now add the options, then open the vote."))
            return _detail(decision)
    return page(
        request,
        "decisions/create.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        kind=kind,
        processes=PROCESSES,
    )


def decision_edit(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = _ballot_decision(request, slug, decision_id, "decisions.manage")
    if decision.status != Status.DRAFT:
        raise Http404
    form_class = CREATE_FORMS[decision.kind]
    fields = [name for name in form_class.base_fields if name != "form_token"]
    form = form_class(request.POST or None, initial={name: getattr(decision, name) for name in fields})
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "form_token"}
        if run_service(
            request, form, lambda: services.decision_update(user=actor(request), decision=decision, **data), _("Saved.")
        ):
            return _detail(decision)
    return page(
        request,
        "decisions/create.html",
        project,
        role,
        status=400 if form.errors else 200,
        form=form,
        kind=decision.kind,
        editing=decision,
        processes=PROCESSES,
    )


@project_view("decisions.manage")
def pb_import(request: HttpRequest, project: Project, role: Role) -> HttpResponse:
    form = PbImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > pb_io.MAX_PB_BYTES:
            form.add_error("file", _("The file is too large (the limit is 50 MB)."))
            return page(request, "decisions/import.html", project, role, status=400, form=form)
        try:
            decision = pb_io.import_pb(
                user=actor(request),
                project=project,
                data=upload.read(),
                name=upload.name,
                closes_at=form.cleaned_data["closes_at"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Imported. Check the projects, then open the vote."))
            return _detail(decision)
    return page(request, "decisions/import.html", project, role, status=400 if form.errors else 200, form=form)


def decision_detail(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id)
    return _render_detail(request, project, role, decision)


def _render_detail(
    request: HttpRequest,
    project: Project,
    role: Role,
    decision: Decision,
    *,
    status: int = 200,
    **forms: Any,
) -> HttpResponse:
    options = list(decision.options.all())
    titles = {o.code: o.title for o in options}
    user = request.user
    eligible = user.is_authenticated and services.eligible_role(user, decision) is not None
    voted = bool(
        user.is_authenticated
        and decision.kind != Kind.PROPOSAL
        and Participation.objects.filter(decision=decision, user=user).exists()
    )
    is_open = decision.status == Status.OPEN and not selectors.past_closing(decision)
    context: dict[str, Any] = {
        "decision": decision,
        "options": options,
        "eligible": eligible,
        "voted": voted,
        "is_open": is_open,
        "statement": selectors.equal_power_statement(decision),
        "result": counting.present(decision, selectors.result_for_display(decision), titles),
        "links": selectors.decision_links(decision, role),
        "named": selectors.named_ballots(decision, titles),
    }
    if decision.kind == Kind.PROPOSAL:
        responses = list(decision.responses.select_related("user", "answered_by"))
        context["responses"] = responses
        context["stance_counts"] = selectors.stance_counts(responses)
        mine = next((r for r in responses if r.user_id == getattr(user, "pk", None)), None)
        context["my_response"] = mine
        context["respond_form"] = forms.get("respond_form") or RespondForm(
            initial={"stance": mine.stance, "reason": mine.reason} if mine else None
        )
        context["answer_form"] = AnswerForm()
        context["can_answer"] = user.is_authenticated and (
            decision.created_by_id == user.pk or "decisions.manage" in selectors.perms(role)
        )
    elif is_open and eligible and not voted:
        context["ballot_form"] = forms.get("ballot_form") or BallotForm(decision=decision, options=options)
    if decision.status == Status.DRAFT:
        context["option_form"] = forms.get("option_form") or OptionForm()
    if decision.status == Status.OPEN:
        context["close_form"] = forms.get("close_form") or CloseForm()
    return page(request, "decisions/detail.html", project, role, status=status, **context)


def _ballot_decision(request: HttpRequest, slug: str, decision_id: int, action: str) -> Any:
    """A poll or budget (proposals have responses, not ballots: 404)."""
    project, role, decision = get_decision_for_user(request.user, slug, decision_id, action)
    if decision.kind == Kind.PROPOSAL:
        raise Http404
    return project, role, decision


@require_POST
def vote(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = _ballot_decision(request, slug, decision_id, "decisions.vote")
    if services.eligible_role(request.user, decision) is None:
        raise PermissionDenied
    form = BallotForm(request.POST, decision=decision, options=list(decision.options.all()))
    if form.is_valid():
        try:
            services.ballot_cast(user=actor(request), decision=decision, choices=form.choices())
        except (services.AlreadyVoted, services.VotingClosed) as error:
            messages.error(request, " ".join(error.messages))
            return _detail(decision)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Your vote is counted. Thank you."))
            return _detail(decision)
    return _render_detail(request, project, role, decision, status=400, ballot_form=form)


@require_POST
def respond(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id, "decisions.vote")
    form = RespondForm(request.POST)
    if form.is_valid():
        try:
            services.proposal_respond(
                user=actor(request),
                decision=decision,
                stance=form.cleaned_data["stance"],
                reason=form.cleaned_data["reason"],
            )
        except services.VotingClosed as error:
            messages.error(request, " ".join(error.messages))
            return _detail(decision)
        except ValidationError as error:
            errors_to_form(form, error)
        else:
            messages.success(request, _("Your response is saved. You can change it until the proposal closes."))
            return _detail(decision)
    return _render_detail(request, project, role, decision, status=400, respond_form=form)


@require_POST
def answer(request: HttpRequest, slug: str, decision_id: int, response_id: int) -> HttpResponse:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id, "decisions.answer")
    if decision.created_by_id != request.user.pk and "decisions.manage" not in selectors.perms(role):
        raise PermissionDenied
    response = decision.responses.filter(pk=response_id).first()
    if response is None:
        raise Http404
    form = AnswerForm(request.POST)
    if form.is_valid():
        try:
            services.objection_answer(user=actor(request), response=response, answer=form.cleaned_data["answer"])
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your answer is published beside the objection."))
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return _detail(decision)


@require_POST
def option_add(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id, "decisions.manage")
    form = OptionForm(request.POST)
    if form.is_valid() and run_service(
        request,
        form,
        lambda: services.option_add(user=actor(request), decision=decision, **form.cleaned_data),
        _("Option added."),
    ):
        return _detail(decision)
    return _render_detail(request, project, role, decision, status=400, option_form=form)


@require_POST
def option_remove(request: HttpRequest, slug: str, decision_id: int, option_id: int) -> HttpResponse:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id, "decisions.manage")
    option = decision.options.filter(pk=option_id).first()
    if option is None:
        raise Http404
    try:
        services.option_remove(user=actor(request), option=option)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    return _detail(decision)


@require_POST
def open_decision(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id, "decisions.manage")
    try:
        services.decision_open(user=actor(request), decision=decision)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The vote is open."))
    return _detail(decision)


@require_POST
def close(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id, "decisions.manage")
    form = CloseForm(request.POST)
    if form.is_valid():
        # Option ids from the field names, read as plain digits ("not_taken_²" is no option, not a crash).
        given = {parse_id(k.removeprefix("not_taken_")): k for k in request.POST if k.startswith("not_taken_")}
        not_taken = {option_id: request.POST.get(k, "") for option_id, k in given.items() if option_id is not None}
        if run_service(
            request,
            form,
            lambda: services.decision_close(
                user=actor(request),
                decision=decision,
                outcome=form.cleaned_data["outcome"],
                statement=form.cleaned_data["statement"],
                rationale=form.cleaned_data["rationale"],
                review_on=form.cleaned_data["review_on"],
                not_taken=not_taken,
            ),
            _("Closed. The result is published in the decision log."),
        ):
            return _detail(decision)
    return _render_detail(request, project, role, decision, status=400, close_form=form)


def offline(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = _ballot_decision(request, slug, decision_id, "decisions.manage")
    options = list(decision.options.all())
    meta = OfflineBallotForm(request.POST or None, decision=decision, initial={"batch": request.GET.get("batch", "")})
    ballot = BallotForm(request.POST or None, decision=decision, options=options, prefix="b")
    if request.method == "POST" and meta.is_valid() and ballot.is_valid():
        try:
            services.ballot_enter(
                user=actor(request),
                decision=decision,
                choices=ballot.choices(),
                channel=meta.cleaned_data["channel"],
                batch=meta.cleaned_data["batch"],
                role=meta.cleaned_data["role"],
            )
        except ValidationError as error:
            errors_to_form(ballot, error)
        else:
            messages.success(request, _("Ballot recorded. Enter the next one."))
            url = reverse("decisions:offline", args=[project.slug, decision.pk])
            return redirect(f"{url}?{urlencode({'batch': meta.cleaned_data['batch']})}")
    return page(
        request,
        "decisions/offline.html",
        project,
        role,
        status=400 if (meta.errors or ballot.errors) else 200,
        decision=decision,
        meta_form=meta,
        ballot_form=ballot,
        figures=services.participation_figures(decision),
    )


def codes(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = _ballot_decision(request, slug, decision_id, "decisions.manage")
    form = CodesForm(request.POST or None, decision=decision)
    made: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            made = services.codes_generate(
                user=actor(request),
                decision=decision,
                count=form.cleaned_data["count"],
                batch=form.cleaned_data["batch"],
                role=form.cleaned_data["role"],
            )
        except ValidationError as error:
            errors_to_form(form, error)
    return page(
        request,
        "decisions/codes.html",
        project,
        role,
        status=400 if form.errors else 200,
        decision=decision,
        form=form,
        made=made,
        vote_url=request.build_absolute_uri(reverse("decisions:code_vote")),
        counts=selectors.code_counts(decision),
    )


def code_vote(request: HttpRequest) -> HttpResponse:
    """In-person voting with a printed code: no account needed. The code is the right to one vote.

    The code travels only in POST bodies (never in a URL, so it stays out of logs and history), and
    wrong codes are rate limited per IP.
    """
    if request.method != "POST":
        return render(request, "decisions/code_vote.html", {"code_form": CodeForm()})
    code_form = CodeForm(request.POST)
    if not code_form.is_valid():
        return render(request, "decisions/code_vote.html", {"code_form": code_form}, status=400)
    voting_code = services.code_find(code_form.cleaned_data["code"])
    if voting_code is None:
        if not ratelimit.consume(request, action="voting_code_failed"):
            return ratelimit.respond_429(request)
        code_form.add_error("code", _("That code is not recognised. Check it and try again."))
        return render(request, "decisions/code_vote.html", {"code_form": code_form}, status=400)
    decision = voting_code.decision
    if decision.status != Status.OPEN or selectors.past_closing(decision):
        message = _("This vote is not open yet.") if decision.status == Status.DRAFT else _("This vote is closed.")
        return render(request, "decisions/code_vote.html", {"code_form": code_form, "refused": message}, status=409)
    options = list(decision.options.all())
    ballot = BallotForm(request.POST if "cast" in request.POST else None, decision=decision, options=options)
    context = {
        "code_form": code_form,
        "code": code_form.cleaned_data["code"],
        "decision": decision,
        "statement": selectors.equal_power_statement(decision),
        "ballot_form": ballot,
        "used": voting_code.used_at is not None,
    }
    if "cast" in request.POST and ballot.is_valid():
        try:
            services.ballot_cast_with_code(code=code_form.cleaned_data["code"], choices=ballot.choices())
        except (services.AlreadyVoted, services.VotingClosed) as error:
            context["refused"] = " ".join(error.messages)
            return render(request, "decisions/code_vote.html", context, status=409)
        except ValidationError as error:
            errors_to_form(ballot, error)
        else:
            return render(request, "decisions/code_voted.html", {"decision": decision})
    return render(request, "decisions/code_vote.html", context, status=400 if ballot.errors else 200)


def pb_export(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    project, role, decision = get_decision_for_user(request.user, slug, decision_id)
    if decision.kind != Kind.BUDGET:
        raise Http404
    # Ballots are published only once the vote is closed (and never with anyone's name).
    with_votes = decision.status == Status.CLOSED and not selectors.results_hidden(decision)
    text = pb_io.export_pb(decision, with_votes=with_votes)
    response = HttpResponse(text, content_type="text/plain; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{project.slug}-{decision.pk}.pb"'
    return response


def results_json(request: HttpRequest, slug: str, decision_id: int) -> HttpResponse:
    from django.http import JsonResponse

    project, role, decision = _ballot_decision(request, slug, decision_id, "decisions.view")
    result = selectors.result_for_display(decision)
    if result is None:
        return JsonResponse({"error": _("The results are hidden until the vote closes.")}, status=403)
    return JsonResponse(
        {"decision": decision.pk, "status": decision.status, "result": result, "participation": decision.participation}
    )
