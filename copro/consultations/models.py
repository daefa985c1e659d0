"""Consultations: questions in sections, one response per person, answers stored one row per value.

Answers are stored so that results are a single GROUP BY: one `Answer` row per chosen option (several
for multiple choice, one per ranked option with its rank in `number`), per scale value, per text, per
location. `consultation` and `channel` are copied onto each answer, so results filtered by channel
never join the responses. Drafts keep their answers as JSON on the response: answer rows exist only
for submitted responses, so results never need to ask which responses are final.
"""

from __future__ import annotations

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from copro.core.models import EntryChannel, Hideable


class ConsultationStatus(models.TextChoices):
    DRAFT = "draft", _("Being prepared")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ResultsVisibility(models.TextChoices):
    LIVE = "live", _("Everyone, while it is open and after")
    AFTER_CLOSE = "after_close", _("Everyone, once it has closed")
    STAFF = "staff", _("Facilitators only")


class Consultation(models.Model):
    project = models.ForeignKey("projects.Project", on_delete=models.PROTECT, related_name="consultations")
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("what this consultation is about"), max_length=5000, blank=True)
    how_used = models.TextField(
        _("how responses will be used"),
        max_length=2000,
        help_text=_("Plain words: who reads the responses, what they can change, and when people will hear back."),
    )
    status = models.CharField(max_length=10, choices=ConsultationStatus.choices, default=ConsultationStatus.DRAFT)
    opens_at = models.DateTimeField(_("opens"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes"), null=True, blank=True)
    allow_anonymous = models.BooleanField(
        _("people can respond without an account"),
        default=False,
        help_text=_("One response per browser, protected against repeats; signed-in people still respond once."),
    )
    results_visibility = models.CharField(
        _("who can see the results"),
        max_length=12,
        choices=ResultsVisibility.choices,
        default=ResultsVisibility.AFTER_CLOSE,
    )
    # A map gives location questions their area (boundary, centre and named places).
    map = models.ForeignKey("maps.Map", null=True, blank=True, on_delete=models.SET_NULL, related_name="consultations")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def activity_label(self) -> str:
        return self.title

    def is_accepting(self, now: object = None) -> bool:
        """Open, and within its dates."""
        moment = now or timezone.now()
        return (
            self.status == ConsultationStatus.OPEN
            and (self.opens_at is None or self.opens_at <= moment)  # type: ignore[operator]
            and (self.closes_at is None or moment < self.closes_at)  # type: ignore[operator]
        )


class Section(models.Model):
    """A page of questions. A section can be skipped unless an earlier answer is a given choice."""

    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="sections")
    title = models.CharField(_("title"), max_length=200)
    intro = models.TextField(_("introduction"), max_length=2000, blank=True)
    position = models.PositiveIntegerField(default=0)
    show_if_question = models.ForeignKey("Question", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    show_if_choice = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return self.title


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("Single choice")
    MULTIPLE = "multiple", _("Multiple choice")
    SCALE = "scale", _("Agreement scale")
    TEXT = "text", _("Free text")
    RANKING = "ranking", _("Ranking")
    LOCATION = "location", _("A place on the map")


# The agreement scale: 1 to 5, always labelled in words (never numbers alone).
SCALE_LABELS = [
    _("Strongly disagree"),
    _("Disagree"),
    _("Neither agree nor disagree"),
    _("Agree"),
    _("Strongly agree"),
]


class Question(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.CASCADE, related_name="questions")
    section = models.ForeignKey(Section, on_delete=models.CASCADE, related_name="questions")
    kind = models.CharField(max_length=10, choices=QuestionKind.choices)
    text = models.CharField(_("question"), max_length=500)
    help_text = models.CharField(_("help"), max_length=500, blank=True)
    required = models.BooleanField(_("an answer is needed"), default=False)
    choices = models.JSONField(_("choices"), default=list, blank=True)
    # "About you" questions: only ever shown as totals, never next to other answers or a person.
    private = models.BooleanField(_("an 'about you' question"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["section__position", "position", "id"]

    def __str__(self) -> str:
        return self.text


class ResponseStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


def new_receipt() -> str:
    """A receipt code people can quote: 10 characters, no look-alike letters."""
    alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(10))


class Response(models.Model):
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="responses")
    # Null for responses entered by staff for someone, anonymous responses and erased accounts.
    respondent = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(max_length=10, choices=ResponseStatus.choices, default=ResponseStatus.DRAFT)
    channel = models.CharField(max_length=10, choices=EntryChannel.choices, default=EntryChannel.ONLINE)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Anonymous responses: a keyed hash of a random browser token, unique per consultation (no repeats).
    anonymous_key = models.CharField(max_length=64, blank=True)
    # Imported paper responses: a hash of the file's row, unique per consultation (re-importing is harmless).
    import_key = models.CharField(max_length=64, blank=True)
    batch = models.CharField(_("batch"), max_length=100, blank=True)
    draft = models.JSONField(default=dict, blank=True)
    receipt = models.CharField(max_length=10, unique=True, default=new_receipt)
    hear_back = models.BooleanField(_("tell me what happens as a result"), default=False)
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["consultation", "respondent"],
                condition=Q(respondent__isnull=False),
                name="one_consultation_response_per_person",
            ),
            models.UniqueConstraint(
                fields=["consultation", "anonymous_key"],
                condition=~Q(anonymous_key=""),
                name="one_anonymous_response_per_browser",
            ),
            models.UniqueConstraint(
                fields=["consultation", "import_key"], condition=~Q(import_key=""), name="import_row_once"
            ),
        ]
        indexes = [
            models.Index(fields=["consultation", "status", "channel"], name="response_by_channel"),
            models.Index(fields=["consultation", "submitted_at"], name="response_by_time"),
        ]

    def __str__(self) -> str:
        return f"response {self.pk}"


class Answer(Hideable):
    """One value of one submitted answer (see the module docstring)."""

    response = models.ForeignKey(Response, on_delete=models.CASCADE, related_name="answers")
    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="+")
    question = models.ForeignKey(Question, on_delete=models.PROTECT, related_name="answers")
    channel = models.CharField(max_length=10, choices=EntryChannel.choices, default=EntryChannel.ONLINE)
    choice = models.PositiveSmallIntegerField(null=True, blank=True)  # index into question.choices
    number = models.PositiveSmallIntegerField(null=True, blank=True)  # scale value 1-5, or rank (1 = first)
    text = models.TextField(max_length=5000, blank=True)
    lat = models.FloatField(null=True, blank=True)
    lng = models.FloatField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["consultation", "question", "choice", "number"], name="answer_tally"),
            models.Index(
                fields=["consultation", "channel", "question", "choice", "number"], name="answer_tally_by_channel"
            ),
        ]

    def __str__(self) -> str:
        return f"answer {self.pk}"


class ImportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting to start")
    RUNNING = "running", _("Importing")
    DONE = "done", _("Finished")
    FAILED = "failed", _("Stopped by an error")


class ImportRun(models.Model):
    """One CSV file imported by a member of staff. Big files are imported by a background task
    (copro/consultations/tasks.py), which keeps `rows_done` up to date so the run's page shows progress.

    `text` holds the decoded file until the run finishes, then is emptied: the responses are in the
    database by then, and a second copy of what people wrote should not be kept."""

    consultation = models.ForeignKey(Consultation, on_delete=models.PROTECT, related_name="import_runs")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    file_name = models.CharField(max_length=255, blank=True)
    text = models.TextField(blank=True)  # files are limited to 5 MB (imports.MAX_BYTES)
    batch = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=ImportStatus.choices, default=ImportStatus.QUEUED)
    rows_total = models.PositiveIntegerField(default=0)  # data rows in the file (the header not counted)
    rows_done = models.PositiveIntegerField(default=0)  # data rows checked so far
    report = models.JSONField(default=dict, blank=True)  # imports.report_to_data(...)
    error = models.TextField(blank=True)  # why the run stopped, when it failed
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)  # the last progress written
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["consultation", "-created_at"], name="import_run_recent")]

    def __str__(self) -> str:
        return f"import {self.pk}"

    @property
    def in_progress(self) -> bool:
        return self.status in (ImportStatus.QUEUED, ImportStatus.RUNNING)
