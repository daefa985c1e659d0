"""Co-production health: the evidence for each of the five steps, gathered from the project's data.

`project_health(project)` reads the numbers (each with where it comes from), hands them to the pure scoring
functions in copro.analysis.health and returns what the health page shows: per step a score, the evidence
behind it, and plain-language suggestions where it is weak; and, next to the engagement level the project
chose for itself, where its data puts it on the spectrum. Nothing here is self-reported and nothing is stored.

Windows: reach looks at the last 12 months, activity ("active members") at the last 90 days, update cadence
at the last 90 days, decisions at the last 12 months; the rest is everything so far.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Min, Q
from django.db.models.functions import TruncMonth
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from copro.analysis import health as scoring
from copro.core.models import ActivityEntry, ResourceLink
from copro.core.permissions import Role
from copro.followthrough import reports
from copro.followthrough.models import (
    Commitment,
    CommitmentUpdate,
    FeedbackMoment,
    ReachTarget,
    Triage,
)
from copro.projects import frameworks
from copro.projects.models import MemberRole, Membership, Project, ScopeChange, ScopeItem, ScopeKind

REACH_DAYS = 365
ACTIVE_DAYS = 90
CADENCE_DAYS = 90
DECISION_DAYS = 365
MONTHS_SHOWN = 6
# "Ever": rows imported from before the project was set up in Copro count too.
EVER = datetime(2000, 1, 1, tzinfo=UTC)
# Decisions that call for action: agreed proposals, and counted polls and budgets.
ACTED_ON_OUTCOMES = ("adopted", "adopted_changed", "counted")
# Ballot channels, seen as ways of taking part (a voting code is used in person; an imported file was paper).
BALLOT_WAYS = {"online": "online", "paper": "paper", "in_person": "in_person", "code": "in_person", "import": "paper"}

SUGGESTIONS: dict[str, Promise] = {
    "awareness.reach.missing": gettext_lazy(
        "Set a reach target on the reports page: how many people you mean to hear from this year. Then this "
        "score can tell you how close you are."
    ),
    "awareness.reach.low": gettext_lazy(
        "Fewer contributions have come in than you aimed for. Go where people already are: drop-ins, community "
        "groups, paper forms in libraries and surgeries, phone calls."
    ),
    "awareness.subscribers.missing": gettext_lazy("Invite people to follow the project's updates."),
    "awareness.subscribers.low": gettext_lazy(
        "Few people follow the project's news. Invite everyone who takes part to subscribe to updates, and "
        "mention it at every meeting and on every paper form."
    ),
    "awareness.channels.missing": gettext_lazy("Offer more than one way to take part."),
    "awareness.channels.low": gettext_lazy(
        "People take part in only one or two ways. Add paper forms, phone calls, drop-ins or outreach visits, "
        "so people who are not online can take part too."
    ),
    "buy_in.members_active.low": gettext_lazy(
        "Fewer than half the members have done anything in the last 90 days. Ask them what would help them "
        "take part, and give them something real to decide."
    ),
    "buy_in.participants_active.low": gettext_lazy(
        "Few participants have taken part in the last 90 days. Check that meetings are at times and places "
        "that suit them, that expenses are paid, and that their ideas go somewhere."
    ),
    "buy_in.leadership.low": gettext_lazy(
        "Show the organisation's commitment: put a budget on the project and invite board members to follow "
        "it as observers."
    ),
    "expectations.scope_published.low": gettext_lazy(
        "Write down what people can influence and what is fixed (with the reason), so nobody is promised "
        "more than the project can give."
    ),
    "expectations.scope_agreed.missing": gettext_lazy(
        "Nobody has proposed a change to the scope yet. Invite participants to review it and propose changes."
    ),
    "expectations.scope_agreed.low": gettext_lazy(
        "Many proposed scope changes were not agreed. Talk through why with participants, and record the "
        "reasons on the scope page."
    ),
    "expectations.roles_clear.low": gettext_lazy(
        "A co-produced project needs both facilitators and participants. Invite people with lived experience "
        "to join as participants."
    ),
    "expectations.decision_rules.low": gettext_lazy(
        "Write the decision rules in plain words, and let participants vote, so everyone knows how decisions "
        "will be made."
    ),
    "performance.access_needs.missing": gettext_lazy(
        "Nobody has asked for access needs at a meeting yet. Make sure the registration form asks, and that "
        "people know you will meet them."
    ),
    "performance.access_needs.low": gettext_lazy(
        "Some people's access needs at meetings were not marked as met. Check each one before the meeting and "
        "tick it off when it is arranged."
    ),
    "performance.objections_answered.missing": gettext_lazy(
        "No objections have been raised to proposals. That can be good, but check that people feel safe to disagree."
    ),
    "performance.objections_answered.low": gettext_lazy(
        "Objections to proposals are waiting for an answer. Answer each one in plain words."
    ),
    "performance.participants_taking_part.missing": gettext_lazy(
        "There are no participants yet to support. Invite people with lived experience to join."
    ),
    "performance.participants_taking_part.low": gettext_lazy(
        "Some participants have never taken part. Offer a call, a buddy, training or help with the website, "
        "and ask what gets in the way."
    ),
    "feedback.cadence.low": gettext_lazy(
        "People have not heard much lately. Post a short update at least once a fortnight, even when the news "
        "is “still working on it”."
    ),
    "feedback.promises_kept.missing": gettext_lazy(
        "No commitments are due yet. When you make one, give it an owner and a realistic date."
    ),
    "feedback.promises_kept.low": gettext_lazy(
        "Many commitments were not done by their date. Update each one: if it changed or was dropped, say why "
        "in plain words."
    ),
    "feedback.decision_to_update.missing": gettext_lazy(
        "No decisions were closed in the last year. When one is, tell people within two weeks what happens next."
    ),
    "feedback.decision_to_update.low": gettext_lazy(
        "People wait a long time after a decision to hear what is being done. Make a commitment from each "
        "decision and post its first update within two weeks."
    ),
    "feedback.feedback_triaged.missing": gettext_lazy(
        "No feedback moments yet. Share the feedback link at services and meetings."
    ),
    "feedback.feedback_triaged.low": gettext_lazy(
        "Feedback is waiting to be looked at. Triage each one: celebrate it, act on it or pass it on."
    ),
}

PART_LABELS: dict[str, Promise] = {
    "reach": gettext_lazy("Contributions against the reach target (last 12 months)"),
    "subscribers": gettext_lazy("People following the project's updates, against one in five people who took part"),
    "channels": gettext_lazy("Ways people took part (last 12 months)"),
    "members_active": gettext_lazy("Members active in the last 90 days"),
    "participants_active": gettext_lazy("Participants active in the last 90 days"),
    "leadership": gettext_lazy("Budget set, and board members following"),
    "scope_published": gettext_lazy("Scope published: what can be influenced and what is fixed"),
    "scope_agreed": gettext_lazy("Scope changes agreed by both sides"),
    "roles_clear": gettext_lazy("Both facilitators and participants in the project"),
    "decision_rules": gettext_lazy("Decision rules written, and participants vote"),
    "access_needs": gettext_lazy("Access needs at meetings met"),
    "objections_answered": gettext_lazy("Objections to proposals answered"),
    "participants_taking_part": gettext_lazy("Participants who have taken part in something"),
    "cadence": gettext_lazy("Updates in the last 90 days"),
    "promises_kept": gettext_lazy("Commitments done by their date"),
    "decision_to_update": gettext_lazy("Days from a decision to the first update on what is being done (middle value)"),
    "feedback_triaged": gettext_lazy("Feedback moments looked at by the team"),
}

LEVEL_WORDS: dict[str, Promise] = {
    "information": gettext_lazy("People are told what is happening, but their data shows little say in it."),
    "consultation": gettext_lazy("People are asked for their views; the organisation makes the decisions."),
    "participation": gettext_lazy(
        "People shape plans: their ideas go to decisions and they vote, but not yet as equal owners."
    ),
    "coproduction": gettext_lazy(
        "People decide and act as equals: their ideas, their votes and their ownership of the work."
    ),
}


def _now() -> datetime:
    return timezone.now()


def _since(days: int) -> reports.Period:
    today = timezone.localdate()
    return reports.Period(today - timedelta(days=days - 1), today)


# --- Awareness -----------------------------------------------------------------------------------------------


def _subscribers(project: Project) -> int:
    model = reports._model("updates.Subscription")
    if model is None:
        return 0
    return (
        model._default_manager.filter(project=project, confirmed_at__isnull=False, unsubscribed_at__isnull=True)
        .order_by()
        .values("email")
        .distinct()
        .count()
    )


def awareness_evidence(project: Project) -> tuple[scoring.AwarenessEvidence, dict[str, Any]]:
    period = _since(REACH_DAYS)
    responses = reports._responses_by_channel(project, period)
    pins = reports._pins_by_channel(project, period)
    ideas = reports._ideas_by_channel(project, period)
    feedback = reports._counts(reports._feedback(project, period), "channel")
    ballots, _voters = reports._ballots(project, period)
    attendance = (
        reports._call(reports._selector("copro.meetings.selectors", "attendance_counts"), project, period) or {}
    )
    attended = int(attendance.get("attended_with_account", 0)) + int(attendance.get("attended_without_account", 0))
    ways: set[str] = set()
    for counts in (responses, pins, ideas, feedback):
        ways.update(k for k, n in counts.items() if n)
    ways.update(BALLOT_WAYS.get(k, k) for k, n in ballots.items() if n)
    if attended:
        ways.add("meetings")
    contributions = sum(map(sum, (responses.values(), pins.values(), ideas.values(), feedback.values())))
    reached = contributions + sum(ballots.values()) + attended
    # Distinct people we know took part (with an account): the subscriber goal is a share of people, not of
    # contributions (one person's ten pins are not ten people who might follow the news).
    people = len(reports.active_user_ids(project, period.start_at, period.end_at))
    overall = ReachTarget.objects.filter(project=project, role="", channel="").values_list("target", flat=True).first()
    evidence = scoring.AwarenessEvidence(
        contributions=reached,
        reach_target=overall,
        subscribers=_subscribers(project),
        channels_used=len(ways),
        people=people,
    )
    rows = [
        (_("Consultation responses"), sum(responses.values()), _("consultations, submitted in the last 12 months")),
        (_("Pins on community maps"), sum(pins.values()), _("maps, not hidden")),
        (_("Ideas put forward"), sum(ideas.values()), _("ideas")),
        (_("Feedback moments"), sum(feedback.values()), _("feedback")),
        (_("Ballots"), sum(ballots.values()), _("decisions closed in the last 12 months")),
        (_("Meeting attendances"), attended, _("meetings")),
        (_("All contributions in the last 12 months"), reached, _("the rows above, added up")),
        (
            _("Overall reach target (contributions)"),
            overall if overall is not None else _("not set"),
            _("reports page"),
        ),
        (
            _("People with an account who took part in the last 12 months"),
            people,
            _("activity log, votes, responses, pins, ideas, feedback"),
        ),
        (_("Active subscribers"), evidence.subscribers, _("updates: confirmed and not unsubscribed")),
        (_("Ways of taking part used"), len(ways), ", ".join(sorted(str(_way_label(w)) for w in ways)) or "—"),
    ]
    return evidence, {"rows": rows}


def _way_label(key: str) -> Any:
    labels: dict[str, Any] = {**reports.CHANNEL_LABELS, "in_person": _("In person"), "meetings": _("Meetings")}
    return labels.get(key, key)


# --- Buy-in --------------------------------------------------------------------------------------------------


def _months(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _i in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(months))


def active_by_month(project: Project, months: list[date]) -> dict[date, set[int]]:
    """Who did something in each month: (person, month) pairs from every source, one query per source."""
    start_at = timezone.make_aware(datetime.combine(months[0], datetime.min.time()))
    result: dict[date, set[int]] = {m: set() for m in months}
    sources: list[tuple[Any, dict[str, Any], str, str]] = [
        (ActivityEntry.objects, {"project": project}, "created_at", "actor_id"),
        (FeedbackMoment.objects, {"project": project}, "created_at", "given_by_id"),
    ]
    for label, path, time_field, user_field in [
        ("decisions.Participation", "decision__project", "at", "user_id"),
        ("consultations.Response", "consultation__project", "submitted_at", "respondent_id"),
        ("maps.Pin", "map__project", "created_at", "author_id"),
        ("ideas.Idea", "project", "created_at", "author_id"),
    ]:
        model = reports._model(label)
        if model is not None and reports._has_field(model, time_field):
            sources.append((model._default_manager, {path: project}, time_field, user_field))
    for manager, where, time_field, user_field in sources:
        pairs = (
            manager.filter(**where, **{f"{time_field}__gte": start_at})
            .exclude(**{user_field: None})
            .annotate(month=TruncMonth(time_field))
            .order_by()
            .values_list(user_field, "month")
            .distinct()
        )
        for user_id, month in pairs:
            key = month.date() if isinstance(month, datetime) else month
            if key in result:
                result[key].add(user_id)
    return result


def buy_in_evidence(project: Project) -> tuple[scoring.BuyInEvidence, dict[str, Any]]:
    period = _since(ACTIVE_DAYS)
    active = reports.active_user_ids(project, period.start_at, period.end_at)
    roles = dict(Membership.objects.filter(project=project).values_list("user_id", "role"))
    participants = [u for u, r in roles.items() if r == MemberRole.PARTICIPANT]
    evidence = scoring.BuyInEvidence(
        members=len(roles),
        members_active=sum(1 for u in roles if u in active),
        participants=len(participants),
        participants_active=sum(1 for u in participants if u in active),
        budget_set=project.budget_amount is not None and project.budget_amount > 0,
        observers=sum(1 for r in roles.values() if r == MemberRole.OBSERVER),
    )
    months = _months(timezone.localdate(), MONTHS_SHOWN)
    by_month = active_by_month(project, months)
    over_time = []
    for m in months:
        counts = Counter(roles[u] for u in by_month[m] if u in roles)
        over_time.append({"month": m, "counts": [counts.get(r.value, 0) for r in reports.ROLE_ORDER]})
    rows = [
        (_("Members"), evidence.members, _("memberships")),
        (
            _("Members active in the last 90 days"),
            evidence.members_active,
            _("activity log, votes, responses, pins, ideas, feedback"),
        ),
        (_("Participants"), evidence.participants, _("memberships")),
        (_("Participants active in the last 90 days"), evidence.participants_active, _("as above")),
        (_("Budget"), _("set") if evidence.budget_set else _("not set"), _("project details")),
        (_("Board members (observers)"), evidence.observers, _("memberships")),
    ]
    return evidence, {
        "rows": rows,
        "over_time": over_time,
        "role_labels": [r.label for r in reports.ROLE_ORDER],
    }


# --- Expectations ----------------------------------------------------------------------------------------------


def expectations_evidence(project: Project) -> tuple[scoring.ExpectationsEvidence, dict[str, Any]]:
    scope = Counter(ScopeItem.objects.filter(project=project, removed_at__isnull=True).values_list("kind", flat=True))
    changes = Counter(ScopeChange.objects.filter(project=project).values_list("status", flat=True))
    roles = Counter(Membership.objects.filter(project=project).values_list("role", flat=True))
    evidence = scoring.ExpectationsEvidence(
        scope_can=scope.get(ScopeKind.CAN, 0),
        scope_fixed=scope.get(ScopeKind.FIXED, 0),
        scope_changes_agreed=changes.get(ScopeChange.Status.AGREED, 0),
        scope_changes_not_agreed=changes.get(ScopeChange.Status.NOT_AGREED, 0),
        facilitators=roles.get(MemberRole.FACILITATOR, 0),
        participants=roles.get(MemberRole.PARTICIPANT, 0),
        decision_rules_written=bool(project.decision_rules.strip()),
        participants_vote=Role.PARTICIPANT.value in (project.voting_roles or []),
    )
    rows = [
        (_("Lines that can be influenced"), evidence.scope_can, _("scope")),
        (_("Fixed lines, with reasons"), evidence.scope_fixed, _("scope")),
        (_("Scope changes agreed"), evidence.scope_changes_agreed, _("scope changes")),
        (_("Scope changes not agreed"), evidence.scope_changes_not_agreed, _("scope changes")),
        (_("Scope changes waiting for agreement"), changes.get(ScopeChange.Status.OPEN, 0), _("scope changes")),
        (_("Facilitators"), evidence.facilitators, _("memberships")),
        (_("Participants"), evidence.participants, _("memberships")),
        (_("Decision rules written"), _("yes") if evidence.decision_rules_written else _("no"), _("decision rules")),
        (_("Participants vote"), _("yes") if evidence.participants_vote else _("no"), _("decision rules")),
    ]
    return evidence, {"rows": rows}


# --- Performance ---------------------------------------------------------------------------------------------


def performance_evidence(project: Project) -> tuple[scoring.PerformanceEvidence, dict[str, Any]]:
    summary_fn = reports._selector("copro.meetings.selectors", "access_needs_summary")
    summary = (summary_fn(project) if summary_fn is not None else None) or {}
    objections = answered = 0
    response_model = reports._model("decisions.Response")
    if response_model is not None:
        raised = response_model._default_manager.filter(decision__project=project, stance__in=["disagree", "block"])
        objections = raised.count()
        answered = raised.exclude(answer="").count()
    participants = set(
        Membership.objects.filter(project=project, role=MemberRole.PARTICIPANT).values_list("user_id", flat=True)
    )
    ever = reports.active_user_ids(project, EVER, _now()) if participants else set()
    evidence = scoring.PerformanceEvidence(
        access_asked=int(summary.get("asked", 0)),
        access_met=int(summary.get("met", 0)),
        objections=objections,
        objections_answered=answered,
        participants=len(participants),
        participants_contributed=len(participants & ever),
    )
    rows = [
        (
            _("Meeting registrations asking for access needs"),
            evidence.access_asked if summary_fn is not None else _("meetings are not available"),
            _("meetings"),
        ),
        (_("Of them, marked met"), evidence.access_met, _("meetings")),
        (_("Objections raised to proposals"), evidence.objections, _("decisions")),
        (_("Of them, answered"), evidence.objections_answered, _("decisions")),
        (_("Participants"), evidence.participants, _("memberships")),
        (
            _("Participants who have taken part in something"),
            evidence.participants_contributed,
            _("activity log, votes, responses, pins, ideas, feedback"),
        ),
    ]
    return evidence, {"rows": rows}


# --- Feedback ---------------------------------------------------------------------------------------------------


def decision_days(project: Project) -> list[int]:
    """Per decision acted on in the last 12 months: whole days from its close to the first update on a
    commitment linked to it (or, while there is none, the days waited so far)."""
    decision_model = reports._model("decisions.Decision")
    if decision_model is None:
        return []
    now = _now()
    acted_on = decision_model._default_manager.filter(
        project=project,
        status="closed",
        outcome__in=ACTED_ON_OUTCOMES,
        closed_at__gte=now - timedelta(days=DECISION_DAYS),
    )
    closed = dict(acted_on.values_list("pk", "closed_at"))
    if not closed:
        return []
    # Subqueries, not lists of ids (SQLite takes at most 32,766 parameters in a query).
    decision_links = ResourceLink.objects.filter(
        project=project,
        source_type=ContentType.objects.get_for_model(decision_model),
        source_id__in=acted_on.values("pk"),
        target_type=ContentType.objects.get_for_model(Commitment),
    )
    links = decision_links.values_list("source_id", "target_id")
    commitments_of: dict[int, set[int]] = {}
    for decision_id, commitment_id in links:
        commitments_of.setdefault(decision_id, set()).add(commitment_id)
    first_update = dict(
        CommitmentUpdate.objects.filter(commitment_id__in=decision_links.values("target_id"))
        .values("commitment_id")
        .annotate(first=Min("created_at"))
        .values_list("commitment_id", "first")
    )
    days = []
    for decision_id, closed_at in closed.items():
        firsts = [first_update[c] for c in commitments_of.get(decision_id, ()) if c in first_update]
        until = min(firsts) if firsts else now
        days.append(max(0, (until - closed_at).days))
    return days


def feedback_evidence(project: Project, visibilities: Sequence[str]) -> tuple[scoring.FeedbackEvidence, dict[str, Any]]:
    since = _now() - timedelta(days=CADENCE_DAYS)
    update_model = reports._model("updates.Update")
    project_updates = (
        update_model._default_manager.filter(project=project, published_at__gte=since).count() if update_model else 0
    )
    commitment_updates = CommitmentUpdate.objects.filter(commitment__project=project, created_at__gte=since).count()
    promise = reports.promise_kept(project, visibilities)
    kept, due = promise["kept"], promise["due"]
    days = decision_days(project)
    moments = FeedbackMoment.objects.filter(project=project)
    total = moments.count()
    triaged = moments.filter(~Q(triage=Triage.NEW)).count()
    evidence = scoring.FeedbackEvidence(
        updates_90_days=project_updates + commitment_updates,
        promises_due=due,
        promises_kept=kept,
        decision_days=days,
        feedback_total=total,
        feedback_triaged=triaged,
    )
    rows = [
        (_("Project updates in the last 90 days"), project_updates, _("updates")),
        (_("Commitment updates in the last 90 days"), commitment_updates, _("commitments")),
        (_("Commitments past their due date"), due, _("commitments you may see")),
        (_("Of them, done by their date"), kept, _("commitments")),
        (_("Decisions acted on in the last 12 months"), len(days), _("decisions")),
        (
            _("Days from decision to first update (middle value)"),
            scoring.median_low(days) if days else "—",
            _("decisions, links to commitments, commitment updates"),
        ),
        (_("Feedback moments"), total, _("feedback")),
        (_("Of them, looked at by the team"), triaged, _("feedback")),
    ]
    return evidence, {"rows": rows}


# --- The spectrum --------------------------------------------------------------------------------------------------


def spectrum_evidence(project: Project) -> tuple[scoring.SpectrumEvidence, dict[str, Any]]:
    # A subquery, not a list of ids (SQLite takes at most 32,766 parameters in a query).
    participants = Membership.objects.filter(project=project, role=MemberRole.PARTICIPANT).values("user_id")
    ideas: int | None = None
    from_participants = 0
    origins_fn = reports._selector("copro.ideas.selectors", "idea_origin_counts")
    visible_ideas = reports._ideas()
    if origins_fn is not None:
        origins = origins_fn(project) or {}
        ideas = int(origins.get("total", 0))
        from_participants = int(origins.get(Role.PARTICIPANT.value, 0))
    elif visible_ideas is not None:
        ideas = visible_ideas.filter(project=project).count()
        from_participants = visible_ideas.filter(project=project, author_id__in=participants).count()
    decisions = equal = 0
    decision_model = reports._model("decisions.Decision")
    if decision_model is not None:
        for roles, weights in (
            decision_model._default_manager.filter(project=project)
            .exclude(status="draft")
            .values_list("electorate_roles", "weights")
        ):
            decisions += 1
            equal += participants_equal(roles or [], weights or {})
    commitments = Commitment.objects.filter(project=project)
    owned = commitments.filter(Q(owner_id__in=participants) | Q(co_owners__in=participants)).distinct().count()
    asked = (
        FeedbackMoment.objects.filter(project=project).exists()
        or bool(ideas)
        or _exists("consultations.Response", consultation__project=project, status="submitted")
        or _exists("maps.Pin", map__project=project)
    )
    evidence = scoring.SpectrumEvidence(
        ideas=ideas,
        ideas_from_participants=from_participants,
        decisions=decisions,
        decisions_participants_equal=equal,
        commitments=commitments.count(),
        commitments_participant_owned=owned,
        asked_views=asked,
    )
    rows = [
        ("ideas", _("Ideas from participants"), from_participants, ideas if ideas is not None else _("not available")),
        ("equal_votes", _("Decisions where participants had an equal vote"), equal, decisions),
        ("ownership", _("Commitments participants own or share"), owned, evidence.commitments),
    ]
    return evidence, {"rows": rows}


def participants_equal(roles: list[str], weights: dict[str, Any]) -> bool:
    """Participants voted, and their vote counted as much as anyone's (weight at least every other role's)."""
    if Role.PARTICIPANT.value not in roles:
        return False
    weight = {r: int(weights.get(r, 1)) for r in roles}
    return weight[Role.PARTICIPANT.value] >= max(weight.values())


def _exists(label: str, **where: Any) -> bool:
    model = reports._model(label)
    return bool(model is not None and model._default_manager.filter(**where).exists())


# --- All of it -----------------------------------------------------------------------------------------------------


@dataclass
class StepView:
    key: str
    name: Any
    help: Any
    score: int | None
    parts: list[dict[str, Any]]
    evidence: list[tuple[Any, Any, Any]]
    suggestions: list[str]
    extra: dict[str, Any]

    @property
    def band(self) -> str:
        if self.score is None:
            return "none"
        return "good" if self.score >= 75 else "fair" if self.score >= scoring.SUGGEST_BELOW else "low"


def _step_view(key: str, result: scoring.StepScore, extra: dict[str, Any]) -> StepView:
    names = {k: (name, help_text) for k, name, help_text in frameworks.STEPS}
    parts = [
        {
            "key": p.key,
            "label": PART_LABELS.get(p.key, p.key),
            "score": p.score,
            "weight": p.weight,
            "value": p.value,
            "goal": p.goal,
        }
        for p in result.parts
    ]
    return StepView(
        key=key,
        name=names[key][0],
        help=names[key][1],
        score=result.score,
        parts=parts,
        evidence=extra.pop("rows"),
        suggestions=[str(SUGGESTIONS[s]) for s in result.suggestions if s in SUGGESTIONS],
        extra=extra,
    )


def project_health(project: Project, visibilities: Sequence[str]) -> dict[str, Any]:
    """Everything the health page shows. `visibilities`: the commitments the reader may see
    (`reports.report_visibilities(role)`), so a staff-only commitment never moves a board member's score."""
    awareness, a_extra = awareness_evidence(project)
    buy_in, b_extra = buy_in_evidence(project)
    expect, e_extra = expectations_evidence(project)
    perf, p_extra = performance_evidence(project)
    feed, f_extra = feedback_evidence(project, visibilities)
    steps = [
        _step_view("awareness", scoring.awareness(awareness), a_extra),
        _step_view("buy_in", scoring.buy_in(buy_in), b_extra),
        _step_view("expectations", scoring.expectations(expect), e_extra),
        _step_view("performance", scoring.performance(perf), p_extra),
        _step_view("feedback", scoring.feedback(feed), f_extra),
    ]
    spec_evidence, s_extra = spectrum_evidence(project)
    position = scoring.spectrum(spec_evidence)
    chosen = frameworks.level(project.engagement_level)
    measured = frameworks.level(position.level)
    levels = [
        {
            "key": level.key,
            "name": level.name,
            "group": level.group,
            "chosen": level.key == project.engagement_level,
            "measured": level.key == position.level,
        }
        for level in frameworks.LEVELS
        if frameworks.LEVEL_INDEX[level.key] >= frameworks.LEVEL_INDEX["information"]
    ]
    gap = None
    if chosen is not None and measured is not None:
        gap = frameworks.LEVEL_INDEX[chosen.key] - frameworks.LEVEL_INDEX[measured.key]
    return {
        "steps": steps,
        "spectrum": {
            "position": position,
            "chosen": chosen,
            "measured": measured,
            "words": LEVEL_WORDS.get(position.level, ""),
            "levels": levels,
            "gap": gap,
            "shares": {k: scoring.percent(v) for k, v in position.shares.items()},
            "mean": scoring.percent(position.mean),
            "rows": [
                {"label": label, "part": part, "whole": whole, "percent": scoring.percent(position.shares[key])}
                for key, label, part, whole in s_extra["rows"]
            ],
        },
    }
