"""Factory helpers for follow-through (hostile default text, like tests/factories.py)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.utils import timezone

from copro.consultations import services as consultations
from copro.consultations.models import Consultation
from copro.decisions import services as decisions
from copro.decisions.models import Decision
from copro.followthrough import services
from copro.followthrough.models import Commitment, CommitmentStatus, CommitmentUpdate, FeedbackMoment, Milestone
from tests import factories
from tests.factories import HOSTILE, XSS


def commitment(project: Any, *, created_by: Any, **fields: Any) -> Commitment:
    """A commitment made through the service (so links and notices are real)."""
    return services.commitment_create(
        project=project,
        created_by=created_by,
        title=fields.pop("title", f"Mend the path {XSS} ŵŷâ"),
        description=fields.pop("description", HOSTILE),
        owner=fields.pop("owner", created_by),
        due_on=fields.pop("due_on", timezone.localdate() + timedelta(days=30)),
        **fields,
    )


def closed_proposal(project: Any, *, proposer: Any, responders: list[Any], closer: Any, **fields: Any) -> Decision:
    """A consent proposal put forward by `proposer`, agreed by `responders`, closed by `closer`."""
    made = factories.decision(
        project,
        kind="proposal",
        status="draft",
        process="consent",
        created_by=proposer,
        title=fields.pop("title", f"Light the park path {XSS}"),
    )
    made = decisions.decision_open(user=proposer, decision=made)
    for person in responders:
        decisions.proposal_respond(user=person, decision=made, stance="agree", reason="")
    return decisions.decision_close(
        user=closer,
        decision=made,
        outcome=fields.pop("outcome", "adopted"),
        statement=fields.pop("statement", "Agreed: lights on the park path " + XSS),
        rationale="Nobody objected.",
    )


def closed_poll(project: Any, *, voters: list[Any], closer: Any, secrecy: str = "secret") -> Decision:
    made = factories.decision(
        project,
        kind="poll",
        method="single",
        secrecy=secrecy,
        options=["Benches", "Bins"],
        created_by=closer,
        title="Which first? " + XSS,
    )
    first = made.options.first()
    for person in voters:
        decisions.ballot_cast(user=person, decision=made, choices=[first.code])
    return decisions.decision_close(user=closer, decision=made)


def consultation(project: Any, *, created_by: Any) -> tuple[Consultation, Any]:
    """An open consultation with one text question; returns it and the question."""
    survey = consultations.consultation_create(
        user=created_by,
        project=project,
        title="Travel to school " + XSS,
        how_used="We read every response. " + HOSTILE,
        allow_anonymous=True,
    )
    section = consultations.section_add(user=created_by, consultation=survey, title="Your views")
    question = consultations.question_add(user=created_by, section=section, kind="text", text="Anything to add?")
    consultations.consultation_open(user=created_by, consultation=survey)
    return survey, question


def respond(survey: Consultation, question: Any, *, respondent: Any = None, hear_back: bool, **kwargs: Any) -> Any:
    return consultations.response_submit(
        consultation=survey,
        raw={question.pk: "Slower traffic " + XSS},
        respondent=respondent,
        hear_back=hear_back,
        **kwargs,
    )


def bulk_commitments(
    project: Any,
    n: int,
    *,
    owner: Any,
    sources: list[Any] = (),  # type: ignore[assignment]
    updates_each: int = 2,
    milestones_each: int = 3,
) -> list[Commitment]:
    """n commitments with milestones and updates, written in bulk (as the Cardiff seed does), each linked
    to one of `sources` in turn."""
    from django.contrib.contenttypes.models import ContentType

    from copro.core.models import ResourceLink
    from copro.followthrough.models import SOURCE_KINDS

    today = timezone.localdate()
    statuses = [s.value for s in CommitmentStatus]
    made = Commitment.objects.bulk_create(
        [
            Commitment(
                project=project,
                title=f"Promise {i} {XSS}",
                description=HOSTILE,
                owner=owner,
                created_by=owner,
                due_on=today + timedelta(days=(i % 90) - 30),
                status=statuses[i % len(statuses)],
                status_reason="Because " + XSS if statuses[i % len(statuses)] in ("changed", "dropped") else "",
            )
            for i in range(n)
        ]
    )
    Milestone.objects.bulk_create(
        [
            Milestone(commitment=c, title=f"Step {k} {XSS}", position=k, done_at=timezone.now() if k == 0 else None)
            for c in made
            for k in range(milestones_each)
        ]
    )
    CommitmentUpdate.objects.bulk_create(
        [
            CommitmentUpdate(commitment=c, author=owner, text=f"News {k} " + HOSTILE)
            for c in made
            for k in range(updates_each)
        ]
    )
    if sources:
        commitment_type = ContentType.objects.get_for_model(Commitment)
        rows = []
        for i, c in enumerate(made):
            source = sources[i % len(sources)]
            label = f"{source._meta.app_label}.{source._meta.model_name}"
            rows.append(
                ResourceLink(
                    project=project,
                    kind=SOURCE_KINDS[label],
                    source_type=ContentType.objects.get_for_model(source),
                    source_id=source.pk,
                    target_type=commitment_type,
                    target_id=c.pk,
                )
            )
        ResourceLink.objects.bulk_create(rows)
    return made


def feedback(project: Any, **fields: Any) -> FeedbackMoment:
    return FeedbackMoment.objects.create(
        project=project,
        text=fields.pop("text", "The letter was hard to read " + HOSTILE),
        feeling=fields.pop("feeling", 2),
        **fields,
    )


def past(days: int) -> date:
    return timezone.localdate() - timedelta(days=days)
