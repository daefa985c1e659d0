"""Exporting every submitted response, one row each, as CSV (streamed) or XLSX (written to a temporary file).

Responses are read in chunks of 2,000 by id (keyset: `id > last`), with the answers of a chunk fetched in
one query over the id range, so memory stays flat however many responses there are.
"""

from __future__ import annotations

import csv
import random
import tempfile
from collections.abc import Callable, Iterator
from typing import IO, Any

from django.utils import timezone
from django.utils.translation import gettext as _

from copro.accounts.models import User
from copro.consultations import answers
from copro.consultations.models import (
    SCALE_LABELS,
    Answer,
    Consultation,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
)
from copro.consultations.results import questions_of
from copro.core.csvfiles import BOM, Echo, safe
from copro.core.models import EntryChannel

CHUNK = 2000


def export_columns(consultation: Consultation) -> tuple[list[str], list[Question]]:
    """The header and the questions in column order. "About you" questions are not here: people were
    told they are never shown with their other answers, so they have their own export (`about_you`)."""
    ordered = [q for q in questions_of(consultation) if not q.private]
    header = [_("receipt"), _("submitted at"), _("channel"), _("entered by"), _("batch"), _("wants to hear back")]
    return header + [q.text for q in ordered], ordered


def cell(question: Question, value: Any) -> str:
    """One answer as words: options by their text, scale values by their label."""
    if value is None:
        return ""
    choices = question.choices
    kind = question.kind
    if kind == QuestionKind.SINGLE:
        return choices[value] if 0 <= value < len(choices) else ""
    if kind == QuestionKind.MULTIPLE:
        return "; ".join(choices[i] for i in value if 0 <= i < len(choices))
    if kind == QuestionKind.RANKING:
        return "; ".join(f"{n}. {choices[i]}" for n, i in enumerate(value, 1) if 0 <= i < len(choices))
    if kind == QuestionKind.SCALE:
        return str(SCALE_LABELS[value - 1]) if 1 <= value <= len(SCALE_LABELS) else ""
    if kind == QuestionKind.LOCATION:
        return f"{value['lat']},{value['lng']}"
    return str(value)


def rows(consultation: Consultation) -> Iterator[list[str]]:
    """The header, then one row per submitted response, oldest first."""
    header, questions = export_columns(consultation)
    yield [safe(h) for h in header]
    by_id = {q.pk: q for q in questions}
    channels = {k: str(v) for k, v in EntryChannel.choices}
    names: dict[int, str] = {}
    yes = str(_("yes"))
    last = 0
    submitted = Response.objects.filter(consultation=consultation, status=ResponseStatus.SUBMITTED)
    while True:
        chunk = list(
            submitted.filter(id__gt=last)
            .order_by("id")
            .values_list("id", "receipt", "submitted_at", "channel", "entered_by_id", "batch", "hear_back")[:CHUNK]
        )
        if not chunk:
            return
        first, last = chunk[0][0], chunk[-1][0]
        staff = {r[4] for r in chunk if r[4] is not None and r[4] not in names}
        if staff:
            names.update({u.pk: u.public_name for u in User.objects.filter(pk__in=staff)})
        # Named tuples, not model instances (several times faster at 200,000 answers); from_rows reads
        # the same attribute names.
        grouped: dict[int, list[Any]] = {}
        for answer in Answer.objects.filter(
            consultation=consultation, response_id__gte=first, response_id__lte=last, question_id__in=list(by_id)
        ).values_list("response_id", "question_id", "choice", "number", "text", "lat", "lng", named=True):
            grouped.setdefault(answer.response_id, []).append(answer)
        for pk, receipt, submitted_at, channel, entered_by, batch, hear_back in chunk:
            values = answers.from_rows(grouped.get(pk, []), by_id)
            when = timezone.localtime(submitted_at).strftime("%Y-%m-%d %H:%M") if submitted_at else ""
            yield [
                receipt,
                when,
                channels.get(channel, channel),
                safe(names.get(entered_by, "")) if entered_by else "",
                safe(batch),
                yes if hear_back else "",
                *(safe(cell(q, values.get(q.pk))) for q in questions),
            ]


def about_you_rows(consultation: Consultation) -> Iterator[list[str]]:
    """The "about you" answers alone: one row per response, with no receipt, date, channel or anything
    else that could join a row to the main export, in a random order (not the order of responding)."""
    questions = [q for q in questions_of(consultation) if q.private]
    yield [safe(q.text) for q in questions]
    if not questions:
        return
    by_id = {q.pk: q for q in questions}
    grouped: dict[int, list[Any]] = {}
    for answer in Answer.objects.filter(consultation=consultation, question__in=questions).values_list(
        "response_id", "question_id", "choice", "number", "text", "lat", "lng", named=True
    ):
        grouped.setdefault(answer.response_id, []).append(answer)
    table = [
        [safe(cell(q, values.get(q.pk))) for q in questions]
        for values in (answers.from_rows(rows_of_one, by_id) for rows_of_one in grouped.values())
    ]
    random.SystemRandom().shuffle(table)
    yield from table


def csv_stream(
    consultation: Consultation, which: Callable[[Consultation], Iterator[list[str]]] | None = None
) -> Iterator[str]:
    writer = csv.writer(Echo())
    yield BOM
    for row in (which or rows)(consultation):
        yield writer.writerow(row)


def xlsx_file(consultation: Consultation) -> IO[bytes]:
    """The workbook in a temporary file (deleted when closed), written row by row (write-only mode)."""
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_("Responses")[:31])
    for row in rows(consultation):
        sheet.append(row)
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes (and so deletes) it
    workbook.save(handle)
    handle.seek(0)
    return handle


def filename(consultation: Consultation, ext: str, what: str = "responses") -> str:
    return f"consultation-{consultation.pk}-{what}-{timezone.localdate().isoformat()}.{ext}"
