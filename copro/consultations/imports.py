"""Responses given offline: staff entering one response for someone, and importing many from a CSV file.

Both go through `services.response_submit` (the same checks, skips and answer rows as online responses),
with the channel, the member of staff who entered them and a batch name. The activity log gets one entry
per member of staff, consultation, day and batch for typed-in responses, and one per imported file —
never one per response (the log is a hash chain: every append waits for the one before).

An imported row is identified by a hash of the consultation and the row's normalised content
(`import_key`, unique per consultation), so importing the same file again adds nothing twice.

Every imported file is kept as an `ImportRun` (for the list of recent imports). A file of up to
IMPORT_NOW_ROWS rows is imported during the request (`import_now`); a bigger one is saved and imported by
a background task (`import_queue`, then tasks.import_run -> `process_run`), which writes its progress
after every committed lot of ROWS_PER_TRANSACTION rows and its report at the end.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import io
import json
import re
import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.consultations import answers, services, tasks
from copro.consultations.models import (
    SCALE_LABELS,
    Consultation,
    ImportRun,
    ImportStatus,
    Question,
    QuestionKind,
    Response,
)
from copro.consultations.results import questions_of
from copro.core import activity
from copro.core.forms import claim_token
from copro.core.models import OFFLINE_ENTRY_CHANNELS, ActivityEntry, EntryChannel, Visibility

MAX_BYTES = 5 * 1024 * 1024  # 5 MB: about 20,000 rows of a 30-question form
ROWS_PER_TRANSACTION = 500  # commit every 500 rows, so other writers never wait long for the database
# Files with up to this many data rows are imported during the request, with the report shown at once;
# bigger ones by a background task (tasks.import_run), whose page shows its progress.
IMPORT_NOW_ROWS = 500
EXTRA_COLUMNS = ("channel", "batch", "date", "hear_back", "ref")
YES = {"yes", "y", "true", "1", "x", "ie", "do"}  # "ie"/"do": yes in Welsh
NO = {"no", "n", "false", "0", "na", "naddo", ""}


# --- Typing in one response ------------------------------------------------------------------------


@transaction.atomic
def response_enter(
    *,
    user: User,
    consultation: Consultation,
    raw: Mapping[int, Any],
    channel: str,
    batch: str = "",
    hear_back: bool = False,
    given_on: datetime.date | None = None,
    form_token: Any = None,
) -> Response:
    """A member of staff enters a response given on paper, by phone, at a drop-in or on an outreach visit."""
    if channel not in OFFLINE_ENTRY_CHANNELS:
        raise ValidationError({"channel": _("Choose how this response reached us: paper, phone, drop-in or outreach.")})
    if given_on and given_on > timezone.localdate():
        raise ValidationError(_("The date the response was given cannot be in the future."))
    submitted_at = given_at(given_on) if given_on else None
    response = services.response_submit(
        consultation=consultation,
        raw=raw,
        channel=channel,
        entered_by=user,
        batch=batch,
        hear_back=hear_back,
        submitted_at=submitted_at,
        form_token=form_token,
    )
    _record_entered(user, consultation, response.batch, channel)
    return response


def given_at(day: datetime.date) -> datetime.datetime:
    """The moment recorded for a response given on `day`: noon that day (now, if that is today and earlier)."""
    moment = timezone.make_aware(datetime.datetime.combine(day, datetime.time(12, 0)))
    return min(moment, timezone.now())


def _record_entered(user: User, consultation: Consultation, batch: str, channel: str) -> None:
    """At most one "entered" entry per member of staff, consultation, day and batch."""
    start = timezone.make_aware(datetime.datetime.combine(timezone.localdate(), datetime.time.min))
    seen = ActivityEntry.objects.filter(
        verb="consultations.entered",
        actor=user,
        target_type="consultations.consultation",
        target_id=str(consultation.pk),
        created_at__gte=start,
        data__batch=batch,
    ).exists()
    if not seen:
        activity.record(
            verb="consultations.entered",
            actor=user,
            project=consultation.project,
            target=consultation,
            visibility=Visibility.STAFF,
            data={"batch": batch, "channel": channel},
        )


# --- Importing a CSV file --------------------------------------------------------------------------


@dataclass
class BadRow:
    number: int  # the row's number in the file, counting the header as row 1
    reasons: list[str]


@dataclass
class Report:
    problems: list[str] = field(default_factory=list)  # about the whole file (unknown columns...)
    read: int = 0  # rows with something in them
    imported: int = 0
    duplicates: list[int] = field(default_factory=list)  # row numbers already imported (now or before)
    bad: list[BadRow] = field(default_factory=list)
    blank: int = 0  # empty rows, skipped
    fatal: bool = False  # nothing could be read at all

    @property
    def balanced(self) -> bool:
        return self.read == self.imported + len(self.duplicates) + len(self.bad)

    def mark(self) -> tuple[int, ...]:
        """Where the report stands now, to go back to with rewind() if what follows is rolled back."""
        return (self.read, self.imported, self.blank, len(self.duplicates), len(self.bad))

    def rewind(self, mark: tuple[int, ...]) -> None:
        self.read, self.imported, self.blank, duplicates, bad = mark
        del self.duplicates[duplicates:]
        del self.bad[bad:]

    def summary(self) -> dict[str, int]:
        return {
            "read": self.read,
            "imported": self.imported,
            "already_imported": len(self.duplicates),
            "bad": len(self.bad),
            "blank": self.blank,
        }


def decode(data: bytes) -> str:
    """The file's text: UTF-8, with or without a byte order mark. Anything else is refused clearly."""
    if len(data) > MAX_BYTES:
        raise ValidationError(_("The file is too large: the limit is 5 MB. Split it into smaller files."))
    if b"\x00" in data[:8192]:
        raise ValidationError(
            _(
                "This does not look like a CSV file. "
                "Save the spreadsheet as “CSV UTF-8 (comma delimited)” and try again."
            )
        )
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _(
                "The file is not in UTF-8, so some letters (such as ŵ or é) would be read wrongly. "
                "In your spreadsheet, save it as “CSV UTF-8 (comma delimited)” and try again."
            )
        ) from None


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


@dataclass
class Columns:
    questions: dict[int, Question]  # column index -> question
    extra: dict[str, int]  # "channel"/"batch"/... -> column index
    problems: list[str]


def map_header(header: Sequence[str], questions: Sequence[Question]) -> Columns:
    by_text = {q.text.strip(): q for q in questions}
    by_code = {f"q{q.pk}": q for q in questions}
    found: dict[int, Question] = {}
    extra: dict[str, int] = {}
    problems: list[str] = []
    taken: set[int] = set()
    unknown: list[str] = []
    for index, name in enumerate(header):
        label = name.strip()
        code = label.casefold()
        question = by_text.get(label) or by_code.get(code)
        if question is None and code in EXTRA_COLUMNS:
            if code in extra:
                problems.append(_("The column “%(name)s” appears twice: only the first is used.") % {"name": label})
            else:
                extra[code] = index
            continue
        if question is None:
            if label:
                unknown.append(label)
            continue
        if question.pk in taken:
            problems.append(
                _("The question “%(name)s” has two columns: only the first is used.") % {"name": question.text}
            )
            continue
        taken.add(question.pk)
        found[index] = question
    if unknown:
        problems.insert(
            0,
            _("These columns do not match any question and were not read: %(names)s.")
            % {"names": "; ".join(f"“{u}”" for u in unknown)},
        )
    return Columns(questions=found, extra=extra, problems=problems)


def _option(question: Question, given: str) -> int | None:
    text = _norm(given)
    for index, choice in enumerate(question.choices):
        if _norm(choice) == text:
            return index
    number = answers.small_int(text)
    if number is not None and 1 <= number <= len(question.choices):
        return number - 1
    return None


def _scale_words() -> dict[str, int]:
    """The scale's words in the page's language, and in English (forms are often printed in both)."""
    words = {_norm(str(label)): number for number, label in enumerate(SCALE_LABELS, 1)}
    with translation.override("en"):
        words.update({_norm(str(label)): number for number, label in enumerate(SCALE_LABELS, 1)})
    return words


_LATLNG = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*,\s*(-?\d+(?:\.\d+)?)\s*$")


def parse_value(
    question: Question,
    given: str,
    places: Mapping[str, tuple[float, float]],
    scale_words: Mapping[str, int] | None = None,
) -> tuple[Any, str | None]:
    """One cell in the shared answer format (see answers.py), or what is wrong with it."""
    given = given.strip()
    kind = question.kind
    if kind in (QuestionKind.SINGLE,):
        index = _option(question, given)
        if index is None:
            return None, _("“%(value)s” is not one of the options.") % {"value": given}
        return index, None
    if kind in (QuestionKind.MULTIPLE, QuestionKind.RANKING):
        parts = [p.strip() for p in given.split(";") if p.strip()]
        # Rankings may be written "1. Lighting; 2. Benches": the numbers only say the order already given.
        if kind == QuestionKind.RANKING:
            parts = [re.sub(r"^\d+[.)]\s*", "", p) if _option(question, p) is None else p for p in parts]
        indexes: list[int] = []
        for part in parts:
            index = _option(question, part)
            if index is None:
                return None, _("“%(value)s” is not one of the options.") % {"value": part}
            if index in indexes:
                return None, _("“%(value)s” is given twice.") % {"value": part}
            indexes.append(index)
        return indexes, None
    if kind == QuestionKind.SCALE:
        number = answers.small_int(given)
        if number is not None and 1 <= number <= 5:
            return number, None
        number = (scale_words if scale_words is not None else _scale_words()).get(_norm(given))
        if number is None:
            return None, _("“%(value)s” is not on the scale: use 1 to 5 or the words, such as “Agree”.") % {
                "value": given
            }
        return number, None
    if kind == QuestionKind.LOCATION:
        match = _LATLNG.match(given)
        if match:
            return {"lat": match.group(1), "lng": match.group(2)}, None
        place = places.get(_norm(given))
        if place is None:
            return None, _("“%(value)s” is neither “latitude,longitude” nor a place on the map's list.") % {
                "value": given
            }
        return {"lat": place[0], "lng": place[1]}, None
    return given, None


def _parse_date(given: str) -> tuple[datetime.date | None, str | None]:
    given = given.strip()
    if not given:
        return None, None
    for pattern in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y"):
        try:
            day = datetime.datetime.strptime(given, pattern).date()
        except ValueError:
            continue
        if day > timezone.localdate():
            return None, _("The date %(value)s is in the future.") % {"value": given}
        return day, None
    return None, _("“%(value)s” is not a date: write it as 2021-03-31 or 31/03/2021.") % {"value": given}


def _parse_channel(given: str) -> tuple[str | None, str | None]:
    text = _norm(given)
    if not text:
        return EntryChannel.PAPER, None
    for value, label in EntryChannel.choices:
        if text in (value, _norm(str(label)), value.replace("_", "-"), value.replace("_", " ")):
            if value == EntryChannel.ONLINE:
                return None, _(
                    "Online responses cannot be imported: the channel must be paper, phone, drop_in or outreach."
                )
            return value, None
    return None, _("“%(value)s” is not a channel: use paper, phone, drop_in or outreach.") % {"value": given}


def import_key(consultation: Consultation, columns: Columns, row: Sequence[str]) -> str:
    """The same row, in any column order, with any spacing or capitals, gives the same key."""
    content = sorted([f"q{q.pk}", _norm(row[i])] for i, q in columns.questions.items())
    content += sorted([name, _norm(row[i])] for name, i in columns.extra.items())
    payload = json.dumps([consultation.pk, content], ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def template_header(consultation: Consultation) -> list[str]:
    return [q.text for q in questions_of(consultation)] + ["channel", "batch", "date", "hear_back"]


@dataclass
class ParsedFile:
    """A file whose header has been read: what import_rows needs, and what the report says so far."""

    text: str
    header: list[str]
    rows: list[list[str]]  # the data rows (everything after the header), blank ones included
    columns: Columns
    questions: list[Question]


def read_upload(consultation: Consultation, data: bytes) -> tuple[Report, ParsedFile | None]:
    """Decode an uploaded file and read its header. A fatal report (nothing can be imported) comes
    with no ParsedFile."""
    try:
        text = decode(data)
    except ValidationError as error:
        return Report(problems=list(error.messages), fatal=True), None
    return read_text(consultation, text)


def read_text(consultation: Consultation, text: str) -> tuple[Report, ParsedFile | None]:
    """Split the decoded file into rows and match its first row to the questions. The report holds the
    problems with the whole file; it is fatal if nothing could be imported."""
    report = Report()
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        report.problems.append(_("The file could not be read as CSV: %(error)s.") % {"error": error})
        report.fatal = True
        return report, None
    if consultation.status == "draft":
        report.problems.append(_("This consultation has not opened yet."))
        report.fatal = True
        return report, None
    if not lines:
        report.problems.append(_("The file is empty."))
        report.fatal = True
        return report, None
    header = lines[0]
    questions = questions_of(consultation)
    columns = map_header(header, questions)
    report.problems.extend(columns.problems)
    if not columns.questions:
        report.problems.append(
            _("No column matches a question: the first row must hold the questions' text or codes such as q12.")
        )
        report.fatal = True
        return report, None
    return report, ParsedFile(text=text, header=header, rows=lines[1:], columns=columns, questions=questions)


def import_rows(
    *, user: User, consultation: Consultation, parsed: ParsedFile, report: Report, batch: str = ""
) -> Iterator[int]:
    """Import the file's rows ROWS_PER_TRANSACTION at a time, each lot in one transaction, adding to
    `report`. Yields the number of data rows checked after each lot is committed (for progress)."""
    places: dict[str, tuple[float, float]] = {}
    if consultation.map is not None:
        found = consultation.map.places.values_list("name", "lat", "lng")
        places = {_norm(name): (lat, lng) for name, lat, lng in found}
    context = _RowContext(
        columns=parsed.columns,
        header_length=len(parsed.header),
        places=places,
        texts={q.pk: q.text for q in parsed.questions},
        batch=batch.strip()[:100],
        scale_words=_scale_words(),
        # Rows imported before, read once: re-importing 20,000 rows then costs one query, not 20,000.
        seen=set(
            Response.objects.filter(consultation=consultation)
            .exclude(import_key="")
            .values_list("import_key", flat=True)
        ),
    )
    rows = parsed.rows
    for start in range(0, len(rows), ROWS_PER_TRANSACTION):
        with transaction.atomic():
            for number, row in enumerate(rows[start : start + ROWS_PER_TRANSACTION], start + 2):
                if not any(c.strip() for c in row):
                    report.blank += 1
                    continue
                report.read += 1
                _import_row(user, consultation, context, row, number, report)
        yield min(start + ROWS_PER_TRANSACTION, len(rows))


def record_imported(user: User, consultation: Consultation, report: Report) -> None:
    """The one activity entry for an imported file, with its counts."""
    activity.record(
        verb="consultations.imported",
        actor=user,
        project=consultation.project,
        target=consultation,
        visibility=Visibility.STAFF,
        data=report.summary(),
    )


def import_csv(*, user: User, consultation: Consultation, data: bytes, batch: str = "") -> Report:
    """Import every good row, list every bad one with its reasons. Each row is checked with the same rules
    as a response typed in (via services.response_submit), inside its own savepoint."""
    report, parsed = read_upload(consultation, data)
    if parsed is None:
        return report
    for _done in import_rows(user=user, consultation=consultation, parsed=parsed, report=report, batch=batch):
        pass
    record_imported(user, consultation, report)
    return report


# --- Import runs: one per file, big ones imported in the background ---------------------------------


def import_now(
    *,
    user: User,
    consultation: Consultation,
    parsed: ParsedFile,
    report: Report,
    file_name: str,
    batch: str = "",
    form_token: uuid.UUID | None = None,
) -> ImportRun:
    """Import a small file during the request; the run is kept (finished) for the list of recent imports.
    The same form sent twice (a double click) imports once: the second gets DuplicateSubmission."""
    claim_token(form_token)
    started = timezone.now()
    for _rows in import_rows(user=user, consultation=consultation, parsed=parsed, report=report, batch=batch):
        pass
    with transaction.atomic():
        record_imported(user, consultation, report)
        now = timezone.now()
        return ImportRun.objects.create(
            consultation=consultation,
            uploaded_by=user,
            file_name=file_name[:255],
            batch=batch.strip()[:100],
            status=ImportStatus.DONE,
            rows_total=len(parsed.rows),
            rows_done=len(parsed.rows),
            report=report_to_data(report),
            started_at=started,
            updated_at=now,
            finished_at=now,
        )


@transaction.atomic
def import_queue(
    *,
    user: User,
    consultation: Consultation,
    parsed: ParsedFile,
    file_name: str,
    batch: str = "",
    form_token: uuid.UUID | None = None,
) -> ImportRun:
    """Save the file as a run and queue the task that imports it (tasks.import_run). The task is queued in
    the same transaction, so there is never a run without its task or a task without its run. The same
    form sent twice queues one run (DuplicateSubmission for the second)."""
    claim_token(form_token)
    run = ImportRun.objects.create(
        consultation=consultation,
        uploaded_by=user,
        file_name=file_name[:255],
        text=parsed.text,
        batch=batch.strip()[:100],
        rows_total=len(parsed.rows),
    )
    tasks.import_run.enqueue(run_id=run.pk)
    return run


def process_run(run: ImportRun) -> Report:
    """Import a run's file (the run already marked running), writing progress after every committed lot.

    On an unexpected error the run is marked failed with a report of the lots that were committed (they
    stay imported: importing the same file again adds only what is missing), and the error is raised again.
    """
    consultation = Consultation.objects.select_related("project", "map").get(pk=run.consultation_id)
    user = User.objects.get(pk=run.uploaded_by_id)
    with translation.override(user.preferred_language or None):  # reasons in the uploader's language
        report, parsed = read_text(consultation, run.text)
        if parsed is None:
            _finish(run, consultation, ImportStatus.FAILED, report, error=" ".join(report.problems))
            return report
        committed = report.mark()
        rows = import_rows(user=user, consultation=consultation, parsed=parsed, report=report, batch=run.batch)
        try:
            for rows_done in rows:
                committed = report.mark()
                ImportRun.objects.filter(pk=run.pk).update(rows_done=rows_done, updated_at=timezone.now())
        except Exception as error:
            report.rewind(committed)  # the lot that failed was rolled back: its rows are not in
            detail = f"{type(error).__name__}: {error}"[:2000]
            _finish(
                run, consultation, ImportStatus.FAILED, report, error=detail, user=user if report.imported else None
            )
            raise
        _finish(run, consultation, ImportStatus.DONE, report, user=user)
    return report


@transaction.atomic
def _finish(
    run: ImportRun,
    consultation: Consultation,
    status: str,
    report: Report,
    *,
    error: str = "",
    user: User | None = None,
) -> None:
    """The run's final state, its report and (for a file that was read) its one activity entry, together.
    The file's text is emptied: its responses are in the database now."""
    now = timezone.now()
    ImportRun.objects.filter(pk=run.pk).update(
        status=status,
        report=report_to_data(report),
        rows_done=report.read + report.blank,
        error=error,
        text="",
        updated_at=now,
        finished_at=now,
    )
    if user is not None:
        record_imported(user, consultation, report)


def report_to_data(report: Report) -> dict[str, Any]:
    """The report as plain data, for ImportRun.report (JSON)."""
    return {
        "problems": list(report.problems),
        "read": report.read,
        "imported": report.imported,
        "duplicates": list(report.duplicates),
        "bad": [{"number": b.number, "reasons": list(b.reasons)} for b in report.bad],
        "blank": report.blank,
        "fatal": report.fatal,
        "summary": report.summary(),
    }


def report_from_data(data: Mapping[str, Any]) -> Report:
    return Report(
        problems=list(data.get("problems", [])),
        read=int(data.get("read", 0)),
        imported=int(data.get("imported", 0)),
        duplicates=[int(n) for n in data.get("duplicates", [])],
        bad=[BadRow(int(b["number"]), list(b["reasons"])) for b in data.get("bad", [])],
        blank=int(data.get("blank", 0)),
        fatal=bool(data.get("fatal", False)),
    )


@dataclass
class _RowContext:
    columns: Columns
    header_length: int
    places: Mapping[str, tuple[float, float]]
    texts: Mapping[int, str]
    batch: str
    scale_words: Mapping[str, int]
    seen: set[str]  # import keys already in the database or earlier in this file


def _import_row(
    user: User, consultation: Consultation, context: _RowContext, row: list[str], number: int, report: Report
) -> None:
    columns = context.columns
    if len(row) != context.header_length:
        report.bad.append(
            BadRow(
                number,
                [
                    _("This row has %(cells)d cells but the first row has %(columns)d columns.")
                    % {"cells": len(row), "columns": context.header_length}
                ],
            )
        )
        return
    reasons: list[str] = []
    raw: dict[int, Any] = {}
    for index, question in columns.questions.items():
        given = row[index]
        if not given.strip():
            continue
        value, error = parse_value(question, given, context.places, context.scale_words)
        if error:
            reasons.append(f"{question.text}: {error}")
        else:
            raw[question.pk] = value
    extra = {name: row[i] for name, i in columns.extra.items()}
    channel, error = _parse_channel(extra.get("channel", ""))
    if error:
        reasons.append(error)
    day, error = _parse_date(extra.get("date", ""))
    if error:
        reasons.append(error)
    hear = _norm(extra.get("hear_back", ""))
    if hear not in YES | NO:
        reasons.append(_("hear_back: write yes or no, not “%(value)s”.") % {"value": extra.get("hear_back", "")})
    row_batch = extra.get("batch", "").strip()[:100] or context.batch
    if reasons:
        report.bad.append(BadRow(number, reasons))
        return
    key = import_key(consultation, columns, row)
    if key in context.seen:
        report.duplicates.append(number)
        return
    try:
        with transaction.atomic():  # a savepoint: a bad row never loses the good ones
            services.response_submit(
                consultation=consultation,
                raw=raw,
                channel=channel or EntryChannel.PAPER,
                entered_by=user,
                import_key=key,
                batch=row_batch,
                hear_back=hear in YES,
                submitted_at=given_at(day) if day else None,
            )
    except services.AnswerErrors as wrong:
        report.bad.append(BadRow(number, [f"{context.texts.get(q, q)}: {m}" for q, m in wrong.errors.items()]))
    except ValidationError as refused:
        if refused.code == "duplicate":
            report.duplicates.append(number)
        else:
            report.bad.append(BadRow(number, list(refused.messages)))
    else:
        report.imported += 1
        context.seen.add(key)
