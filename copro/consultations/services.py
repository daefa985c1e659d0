"""Every write to consultations: building one, opening and closing it, drafts and responses.

The questions are frozen once a consultation opens: answers refer to options by position, so an
option removed or reordered after people answered would change what they said.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.consultations import answers
from copro.consultations.models import (
    Answer,
    Consultation,
    ConsultationStatus,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
    ResultsVisibility,
    Section,
)
from copro.core import activity
from copro.core.email import queue_email
from copro.core.forms import claim_token
from copro.core.models import EntryChannel, Visibility
from copro.projects.models import Project

TITLE_MAX = 200
CHOICES_MAX = 40
CHOICE_MAX_LENGTH = 200
CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.RANKING)


def _require_draft(consultation: Consultation) -> None:
    if consultation.status != ConsultationStatus.DRAFT:
        raise ValidationError(
            _("The questions cannot change once the consultation has opened: people's answers refer to them.")
        )


def _check_dates(opens_at: datetime | None, closes_at: datetime | None) -> None:
    if opens_at and closes_at and closes_at <= opens_at:
        raise ValidationError(_("The closing date must be after the opening date."))


@transaction.atomic
def consultation_create(
    *,
    user: User,
    project: Project,
    title: str,
    how_used: str,
    intro: str = "",
    allow_anonymous: bool = False,
    results_visibility: str = ResultsVisibility.AFTER_CLOSE,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    map: Any = None,  # noqa: A002 - the field's name
    form_token: uuid.UUID | None = None,
) -> Consultation:
    title, how_used = title.strip(), how_used.strip()
    if not title or len(title) > TITLE_MAX:
        raise ValidationError(_("A consultation needs a title of at most %(max)d characters.") % {"max": TITLE_MAX})
    if not how_used:
        raise ValidationError(_("Say how the responses will be used, so people know before they answer."))
    if results_visibility not in ResultsVisibility.values:
        raise ValidationError(_("Choose who can see the results."))
    if map is not None and map.project_id != project.pk:
        raise ValidationError(_("Choose one of this project's maps."))
    _check_dates(opens_at, closes_at)
    claim_token(form_token)
    consultation = Consultation.objects.create(
        project=project,
        title=title,
        intro=intro.strip(),
        how_used=how_used,
        allow_anonymous=allow_anonymous,
        results_visibility=results_visibility,
        opens_at=opens_at,
        closes_at=closes_at,
        map=map,
        created_by=user,
    )
    activity.record(
        verb="consultations.created", actor=user, project=project, target=consultation, visibility=Visibility.STAFF
    )
    return consultation


@transaction.atomic
def consultation_edit(*, user: User, consultation: Consultation, **fields: Any) -> Consultation:
    """Change the title, texts, dates and settings. Allowed while open too (e.g. to extend the closing date)."""
    allowed = {"title", "intro", "how_used", "allow_anonymous", "results_visibility", "opens_at", "closes_at", "map"}
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    if consultation.status == ConsultationStatus.CLOSED:
        raise ValidationError(_("A closed consultation cannot be changed."))
    if "map" in fields and consultation.status != ConsultationStatus.DRAFT:
        new_map_id = fields["map"].pk if fields["map"] is not None else None
        if new_map_id != consultation.map_id:
            raise ValidationError(
                _("The map cannot change once the consultation has opened: location answers were given on it.")
            )
    for name, value in fields.items():
        setattr(consultation, name, value.strip() if isinstance(value, str) else value)
    if not consultation.title or len(consultation.title) > TITLE_MAX:
        raise ValidationError(_("A consultation needs a title of at most %(max)d characters.") % {"max": TITLE_MAX})
    if not consultation.how_used:
        raise ValidationError(_("Say how the responses will be used, so people know before they answer."))
    if consultation.map is not None and consultation.map.project_id != consultation.project_id:
        raise ValidationError(_("Choose one of this project's maps."))
    _check_dates(consultation.opens_at, consultation.closes_at)
    consultation.save()
    activity.record(
        verb="consultations.edited",
        actor=user,
        project=consultation.project,
        target=consultation,
        visibility=Visibility.STAFF,
    )
    return consultation


@transaction.atomic
def section_add(
    *,
    user: User,
    consultation: Consultation,
    title: str,
    intro: str = "",
    show_if_question: Question | None = None,
    show_if_choice: int | None = None,
) -> Section:
    _require_draft(consultation)
    title = title.strip()
    if not title or len(title) > TITLE_MAX:
        raise ValidationError(_("A section needs a title of at most %(max)d characters.") % {"max": TITLE_MAX})
    position = consultation.sections.count()
    if (show_if_question is None) != (show_if_choice is None):
        raise ValidationError(_("To skip a section, choose both the question and the answer that shows it."))
    if show_if_question is not None:
        if show_if_question.consultation_id != consultation.pk:
            raise ValidationError(_("Choose a question from this consultation."))
        if show_if_question.kind not in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            raise ValidationError(_("A section can only depend on a single or multiple choice question."))
        if show_if_question.private:
            # Otherwise every answer in the section would tell readers its author's private answer.
            raise ValidationError(_("A section cannot depend on an 'about you' question: those answers are private."))
        if not 0 <= int(show_if_choice or 0) < len(show_if_question.choices):
            raise ValidationError(_("Choose one of that question's options."))
    section = Section.objects.create(
        consultation=consultation,
        title=title,
        intro=intro.strip(),
        position=position,
        show_if_question=show_if_question,
        show_if_choice=show_if_choice,
    )
    return section


def clean_choices(kind: str, choices: Sequence[str]) -> list[str]:
    cleaned = [c.strip() for c in choices if c.strip()]
    if kind in CHOICE_KINDS:
        if len(cleaned) < 2:
            raise ValidationError(_("Give at least two options, one per line."))
        if len(cleaned) > CHOICES_MAX:
            raise ValidationError(_("Give at most %(max)d options.") % {"max": CHOICES_MAX})
        if any(len(c) > CHOICE_MAX_LENGTH for c in cleaned):
            raise ValidationError(_("Keep each option under %(max)d characters.") % {"max": CHOICE_MAX_LENGTH})
        if len({c.casefold() for c in cleaned}) != len(cleaned):
            raise ValidationError(_("Each option must be different."))
        return cleaned
    if cleaned:
        raise ValidationError(_("This kind of question has no options: leave the options empty."))
    return []


@transaction.atomic
def question_add(
    *,
    user: User,
    section: Section,
    kind: str,
    text: str,
    help_text: str = "",
    required: bool = False,
    choices: Sequence[str] = (),
    private: bool = False,
) -> Question:
    consultation = section.consultation
    _require_draft(consultation)
    if kind not in QuestionKind.values:
        raise ValidationError(_("Choose a kind of question."))
    text = text.strip()
    if not text or len(text) > 500:
        raise ValidationError(_("A question needs its text (at most 500 characters)."))
    if kind == QuestionKind.LOCATION and consultation.map_id is None:
        raise ValidationError(_("Link a map to the consultation first: a location question uses its area."))
    if private and kind in (QuestionKind.TEXT, QuestionKind.LOCATION, QuestionKind.RANKING):
        raise ValidationError(
            _("'About you' questions are shown only as totals, so they must be single or multiple choice, or a scale.")
        )
    return Question.objects.create(
        consultation=consultation,
        section=section,
        kind=kind,
        text=text,
        help_text=help_text.strip()[:500],
        # "About you" questions are always optional: nobody has to say their age or disability to take part.
        required=required and not private,
        choices=clean_choices(kind, choices),
        private=private,
        position=section.questions.count(),
    )


@transaction.atomic
def section_remove(*, user: User, section: Section) -> None:
    """Remove a section and its questions (only while the consultation is being prepared)."""
    consultation = section.consultation
    _require_draft(consultation)
    questions = Question.objects.filter(section=section)
    Section.objects.filter(show_if_question__in=questions).update(show_if_question=None, show_if_choice=None)
    section.delete()
    for position, remaining in enumerate(Section.objects.filter(consultation=consultation).order_by("position", "id")):
        if remaining.position != position:
            Section.objects.filter(pk=remaining.pk).update(position=position)


@transaction.atomic
def question_remove(*, user: User, question: Question) -> None:
    _require_draft(question.consultation)
    Section.objects.filter(show_if_question=question).update(show_if_question=None, show_if_choice=None)
    question.delete()


@transaction.atomic
def consultation_open(*, user: User, consultation: Consultation) -> Consultation:
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if locked.status != ConsultationStatus.DRAFT:
        raise ValidationError(_("Only a consultation being prepared can be opened."))
    if not Question.objects.filter(consultation=locked).exists():
        raise ValidationError(_("Add at least one question before opening the consultation."))
    if locked.map is not None and locked.map.status == "draft":
        # Its named places would be shown to everyone before the map itself is public.
        raise ValidationError(_("Open the consultation's map first: it is still being prepared."))
    locked.status = ConsultationStatus.OPEN
    locked.save(update_fields=["status"])
    consultation.status = locked.status
    activity.record(verb="consultations.opened", actor=user, project=locked.project, target=locked)
    return consultation


@transaction.atomic
def consultation_close(*, user: User | None, consultation: Consultation) -> Consultation:
    locked = Consultation.objects.select_for_update().get(pk=consultation.pk)
    if locked.status != ConsultationStatus.OPEN:
        raise ValidationError(_("Only an open consultation can be closed."))
    locked.status = ConsultationStatus.CLOSED
    if locked.closes_at is None or locked.closes_at > timezone.now():
        locked.closes_at = timezone.now()
    locked.save(update_fields=["status", "closes_at"])
    consultation.status, consultation.closes_at = locked.status, locked.closes_at
    submitted = Response.objects.filter(consultation=locked, status=ResponseStatus.SUBMITTED).count()
    activity.record(
        verb="consultations.closed",
        actor=user,
        project=locked.project,
        target=locked,
        data={"responses": submitted},
    )
    return consultation


# --- Responding --------------------------------------------------------------------------------------


def anonymous_key(consultation: Consultation, browser_token: str) -> str:
    """A keyed hash of the random token kept in the person's browser: the database alone cannot be
    matched back to a browser, and one browser has one response per consultation."""
    message = f"consultation:{consultation.pk}:{browser_token}".encode()
    return hmac.new(settings.SECRET_KEY.encode(), message, hashlib.sha256).hexdigest()


def structure(consultation: Consultation) -> tuple[list[Section], list[Question]]:
    """The sections and questions in order (two queries)."""
    sections = list(Section.objects.filter(consultation=consultation).order_by("position", "id"))
    questions = list(Question.objects.filter(consultation=consultation).order_by("section__position", "position", "id"))
    return sections, questions


def map_bounds(consultation: Consultation) -> tuple[float, float, float, float] | None:
    m = consultation.map
    return (m.south, m.west, m.north, m.east) if m is not None else None


def _existing_response(consultation: Consultation, respondent: User | None, anonymous: str) -> Response | None:
    if respondent is not None:
        return Response.objects.filter(consultation=consultation, respondent=respondent).first()
    if anonymous:
        return Response.objects.filter(consultation=consultation, anonymous_key=anonymous).first()
    return None


def _already_responded() -> ValidationError:
    return ValidationError(
        _("You have already responded to this consultation. Thank you: each person's response counts once."),
        code="duplicate",
    )


@transaction.atomic
def response_save_draft(
    *,
    consultation: Consultation,
    raw: Mapping[int, Any],
    respondent: User | None = None,
    anonymous: str = "",
) -> tuple[Response, dict[int, str]]:
    """Keep what someone has answered so far, to come back to. Returns the draft and the answers that
    could not be kept as given (with what is wrong): those are shown again for the person to fix."""
    if respondent is None and not anonymous:
        raise ValidationError(_("Sign in to save a draft and come back to it."))
    if not consultation.is_accepting():
        raise ValidationError(_("This consultation is not open for responses."))
    sections, questions = structure(consultation)
    checked = answers.check(sections, questions, raw, final=False, bounds=map_bounds(consultation))
    existing = _existing_response(consultation, respondent, anonymous)
    if existing is not None:
        response = Response.objects.select_for_update().get(pk=existing.pk)
        if response.status == ResponseStatus.SUBMITTED:
            raise _already_responded()
    else:
        try:
            with transaction.atomic():
                response = Response.objects.create(
                    consultation=consultation, respondent=respondent, anonymous_key=anonymous
                )
        except IntegrityError:  # two saves at once from the same person: keep the one that won
            found = _existing_response(consultation, respondent, anonymous)
            assert found is not None
            response = Response.objects.select_for_update().get(pk=found.pk)
            if response.status == ResponseStatus.SUBMITTED:
                raise _already_responded() from None
    response.draft = {str(k): v for k, v in checked.values.items()}
    response.save(update_fields=["draft", "updated_at"])
    return response, checked.errors


def draft_values(response: Response) -> dict[int, Any]:
    return {int(k): v for k, v in (response.draft or {}).items()}


@transaction.atomic
def response_submit(
    *,
    consultation: Consultation,
    raw: Mapping[int, Any],
    respondent: User | None = None,
    anonymous: str = "",
    channel: str = EntryChannel.ONLINE,
    entered_by: User | None = None,
    import_key: str = "",
    batch: str = "",
    hear_back: bool = False,
    submitted_at: datetime | None = None,
    form_token: uuid.UUID | None = None,
) -> Response:
    """Submit a response: the person's own (online), or one entered by staff from paper, a phone call, a
    drop-in or an outreach visit (`entered_by` set, a channel other than online).

    Raises ValidationError with `error.error_dict`-free messages; answer problems are raised as one
    ValidationError whose `params["errors"]` maps question ids to messages (see `AnswerErrors`).
    """
    staff_entry = entered_by is not None
    if channel not in EntryChannel.values:
        raise ValidationError(_("Choose how this response reached us."))
    if staff_entry:
        if channel == EntryChannel.ONLINE:
            raise ValidationError(_("Choose how this response reached us: paper, phone, drop-in or outreach."))
        if consultation.status == ConsultationStatus.DRAFT:
            raise ValidationError(_("This consultation has not opened yet."))
        if submitted_at is not None and submitted_at > timezone.now():
            raise ValidationError(_("The date the response was given cannot be in the future."))
    else:
        if channel != EntryChannel.ONLINE:
            raise ValidationError(_("Only staff can enter responses given on paper, by phone or in person."))
        if not consultation.is_accepting():
            raise ValidationError(_("This consultation is not open for responses."))
        if respondent is None and not (consultation.allow_anonymous and anonymous):
            raise ValidationError(_("Sign in to respond to this consultation."))
    sections, questions = structure(consultation)
    checked = answers.check(sections, questions, raw, final=True, bounds=map_bounds(consultation))
    if not checked.ok:
        raise AnswerErrors(checked.errors)
    claim_token(form_token)
    # .exclude(import_key=""): the condition of the partial unique index, so SQLite uses it (else a scan).
    if import_key and (
        Response.objects.filter(consultation=consultation, import_key=import_key).exclude(import_key="").exists()
    ):
        raise ValidationError(_("This row was imported before."), code="duplicate")

    response: Response | None = None
    if not staff_entry:
        existing = _existing_response(consultation, respondent, anonymous)
        if existing is not None:
            response = Response.objects.select_for_update().get(pk=existing.pk)
            if response.status == ResponseStatus.SUBMITTED:
                raise _already_responded()
    now = timezone.now()
    try:
        with transaction.atomic():
            if response is None:
                response = Response.objects.create(
                    consultation=consultation,
                    respondent=None if staff_entry else respondent,
                    anonymous_key="" if staff_entry else anonymous,
                    channel=channel,
                    entered_by=entered_by,
                    import_key=import_key,
                    batch=batch.strip()[:100],
                    status=ResponseStatus.SUBMITTED,
                    hear_back=hear_back,
                    submitted_at=submitted_at or now,
                )
            else:
                response.status = ResponseStatus.SUBMITTED
                response.submitted_at = now
                response.hear_back = hear_back
                response.draft = {}
                response.save(update_fields=["status", "submitted_at", "hear_back", "draft", "updated_at"])
    except IntegrityError:
        # The same person (or browser, or imported row) submitted twice at the same moment.
        raise _already_responded() from None
    by_id = {q.pk: q for q in questions}
    Answer.objects.bulk_create(answers.to_rows(response.pk, consultation.pk, channel, by_id, checked.values))
    if respondent is not None and respondent.email and not staff_entry:
        _send_receipt(consultation, response, respondent)
    return response


class AnswerErrors(ValidationError):
    """Some answers are missing or wrong. `errors` maps question ids to plain-language messages."""

    def __init__(self, errors: dict[int, str]) -> None:
        self.errors = errors
        super().__init__(_("Some answers need attention: see the questions marked below."), code="answers")


def _send_receipt(consultation: Consultation, response: Response, respondent: User) -> None:
    queue_email(
        to=respondent.email,
        template="consultations/email/receipt",
        context={
            "consultation_title": consultation.title,
            "project_title": consultation.project.title,
            "receipt": response.receipt,
            "how_used": consultation.how_used,
            "url": settings.SITE_URL
            + reverse("consultations:detail", args=[consultation.project.slug, consultation.pk]),
        },
        language=getattr(respondent, "preferred_language", None) or None,
    )
