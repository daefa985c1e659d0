"""Answers: reading them from a form, checking them against the questions, and turning them into rows.

One representation is used everywhere (the respond page, drafts, staff entry, CSV import, the API):
a dict from question id to a value whose shape depends on the question's kind:

- single: the index of the chosen option (int)
- multiple: the indexes of the chosen options (list of int, no repeats)
- scale: 1 to 5 (int; 1 = strongly disagree)
- text: the text (str)
- ranking: option indexes in order of preference, first = most preferred (list of int, a prefix of a
  full ranking is fine: people need not rank everything)
- location: {"lat": float, "lng": float} (a picked place is turned into its coordinates)

A question with no answer is simply absent. Sections whose condition is not met are skipped: their
questions are neither required nor kept.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from copro.consultations.models import Answer, Question, QuestionKind, Section
from copro.core.forms import whole_number
from copro.core.sanitize import CONTROL

TEXT_MAX = 5000
SCALE_MIN, SCALE_MAX = 1, 5


@dataclass
class Checked:
    values: dict[int, Any]  # question id -> clean value (only questions in sections that apply)
    errors: dict[int, str]  # question id -> what is wrong, in plain words

    @property
    def ok(self) -> bool:
        return not self.errors


def small_int(value: Any) -> int | None:
    """A whole number typed or sent by a person (a minus sign allowed), or None: plain digits only, at
    most 9 of them (no option or rank is bigger). See copro.core.forms.whole_number."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip()
        negative = text.startswith("-")
        number = whole_number(text[1:] if negative else text, max_digits=9)
        if number is not None:
            return -number if negative else number
    return None


# Control characters have no place in an answer (tab and line breaks excepted); some break exports.


def _float(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def from_post(
    questions: Iterable[Question], data: Mapping[str, Any], places: Mapping[int, tuple[float, float]]
) -> dict[int, Any]:
    """Raw values from a submitted form (field names `q<id>`, see the respond template).

    Values are kept as given (strings): `check` says what is wrong with them. Nothing typed is dropped
    here, so a page shown again with errors still holds everything the person entered.
    """
    getlist = getattr(data, "getlist", lambda key: [data[key]] if key in data else [])
    raw: dict[int, Any] = {}
    for q in questions:
        name = f"q{q.pk}"
        if q.kind == QuestionKind.MULTIPLE:
            chosen = [v for v in getlist(name) if str(v).strip()]
            if chosen:
                raw[q.pk] = chosen
        elif q.kind == QuestionKind.RANKING:
            # One number box per option ("1" = first choice): works without JavaScript.
            ranks: list[tuple[int, int]] = []
            bad = False
            for index in range(len(q.choices)):
                given = str(data.get(f"{name}_{index}", "")).strip()
                if not given:
                    continue
                rank = small_int(given)
                if rank is None:
                    bad = True
                    continue
                ranks.append((rank, index))
            if bad:
                raw[q.pk] = "invalid"
            elif ranks:
                numbers = sorted(r for r, _i in ranks)
                raw[q.pk] = [i for _r, i in sorted(ranks)] if numbers == list(range(1, len(numbers) + 1)) else "gaps"
        elif q.kind == QuestionKind.LOCATION:
            place = small_int(data.get(f"{name}_place", ""))
            lat, lng = str(data.get(f"{name}_lat", "")).strip(), str(data.get(f"{name}_lng", "")).strip()
            if place is not None and place in places:
                raw[q.pk] = {"lat": places[place][0], "lng": places[place][1]}
            elif place is not None:
                raw[q.pk] = "unknown place"
            elif lat or lng:
                raw[q.pk] = {"lat": lat, "lng": lng}
        else:
            value = data.get(name, "")
            if str(value).strip():
                raw[q.pk] = value
    return raw


def section_applies(section: Section, values: Mapping[int, Any]) -> bool:
    if section.show_if_question_id is None or section.show_if_choice is None:
        return True
    given = values.get(section.show_if_question_id)
    if isinstance(given, list):
        return section.show_if_choice in given
    return given == section.show_if_choice


def _check_one(q: Question, value: Any, bounds: Sequence[float] | None) -> tuple[Any, str | None]:
    count = len(q.choices)
    if q.kind == QuestionKind.SINGLE:
        index = small_int(value)
        if index is None or not 0 <= index < count:
            return None, _("Choose one of the options.")
        return index, None
    if q.kind == QuestionKind.MULTIPLE:
        items = value if isinstance(value, list) else [value]
        indexes = [small_int(v) for v in items]
        if any(i is None or not 0 <= i < count for i in indexes) or len(set(indexes)) != len(indexes):
            return None, _("Choose from the options shown, each at most once.")
        return sorted(i for i in indexes if i is not None), None
    if q.kind == QuestionKind.SCALE:
        number = small_int(value)
        if number is None or not SCALE_MIN <= number <= SCALE_MAX:
            return None, _("Choose how much you agree, from strongly disagree to strongly agree.")
        return number, None
    if q.kind == QuestionKind.TEXT:
        text = CONTROL.sub("", str(value)).strip()
        if len(text) > TEXT_MAX:
            return None, _("Please keep this answer under %(max)d characters.") % {"max": TEXT_MAX}
        return text, None
    if q.kind == QuestionKind.RANKING:
        if value == "gaps":
            return None, _("Number your choices 1, 2, 3 and so on, without gaps or repeats.")
        order = [small_int(v) for v in value] if isinstance(value, list) else [None]
        indexes = order
        if not indexes or any(i is None or not 0 <= i < count for i in indexes) or len(set(indexes)) != len(indexes):
            return None, _("Rank the options with whole numbers, 1 for your first choice.")
        return [i for i in indexes if i is not None], None
    if q.kind == QuestionKind.LOCATION:
        if value == "unknown place":
            return None, _("Choose a place from the list.")
        lat = _float(value.get("lat")) if isinstance(value, dict) else None
        lng = _float(value.get("lng")) if isinstance(value, dict) else None
        if lat is None or lng is None:
            return None, _("Give the place as a latitude and longitude, or choose it from the list.")
        if bounds is not None:
            south, west, north, east = bounds
            if not (south <= lat <= north and west <= lng <= east):
                return None, _("That place is outside the area this consultation covers.")
        return {"lat": lat, "lng": lng}, None
    return None, _("This question cannot be answered.")


def check(
    sections: Sequence[Section],
    questions: Sequence[Question],
    raw: Mapping[int, Any],
    *,
    final: bool,
    bounds: Sequence[float] | None = None,
) -> Checked:
    """Check raw values against the questions. `final` (submitting) also enforces required answers.

    Sections are walked in order, so a condition reads the clean answer given in an earlier section.
    `bounds` (south, west, north, east) limits location answers to the consultation's map area.
    """
    by_section: dict[int, list[Question]] = {}
    for q in questions:
        by_section.setdefault(q.section_id, []).append(q)
    values: dict[int, Any] = {}
    errors: dict[int, str] = {}
    for section in sections:
        if not section_applies(section, values):
            continue
        for q in by_section.get(section.pk, []):
            given = raw.get(q.pk)
            if given is None or given == "" or given == []:
                if final and q.required:
                    errors[q.pk] = _("This question needs an answer.")
                continue
            value, error = _check_one(q, given, bounds)
            if error:
                errors[q.pk] = error
            elif value != "":
                values[q.pk] = value
    return Checked(values, errors)


def to_rows(
    response_id: int, consultation_id: int, channel: str, questions: Mapping[int, Question], values: Mapping[int, Any]
) -> list[Answer]:
    """Answer rows for a submitted response (see the module docstring of copro.consultations.models)."""
    rows: list[Answer] = []
    common = {"response_id": response_id, "consultation_id": consultation_id, "channel": channel}
    for question_id, value in values.items():
        kind = questions[question_id].kind
        if kind == QuestionKind.SINGLE:
            rows.append(Answer(question_id=question_id, choice=value, **common))
        elif kind == QuestionKind.MULTIPLE:
            rows.extend(Answer(question_id=question_id, choice=i, **common) for i in value)
        elif kind == QuestionKind.SCALE:
            rows.append(Answer(question_id=question_id, number=value, **common))
        elif kind == QuestionKind.TEXT:
            rows.append(Answer(question_id=question_id, text=value, **common))
        elif kind == QuestionKind.RANKING:
            rows.extend(
                Answer(question_id=question_id, choice=i, number=rank, **common) for rank, i in enumerate(value, 1)
            )
        elif kind == QuestionKind.LOCATION:
            rows.append(Answer(question_id=question_id, lat=value["lat"], lng=value["lng"], **common))
    return rows


def from_rows(rows: Iterable[Answer], questions: Mapping[int, Question]) -> dict[int, Any]:
    """The values of a submitted response again (its receipt, the staff view of one response)."""
    values: dict[int, Any] = {}
    ranked: dict[int, list[tuple[int, int]]] = {}
    for row in rows:
        kind = questions[row.question_id].kind
        if kind == QuestionKind.SINGLE:
            values[row.question_id] = row.choice
        elif kind == QuestionKind.MULTIPLE:
            values[row.question_id] = sorted([*values.get(row.question_id, []), row.choice])
        elif kind == QuestionKind.SCALE:
            values[row.question_id] = row.number
        elif kind == QuestionKind.TEXT:
            values[row.question_id] = row.text
        elif kind == QuestionKind.RANKING:
            ranked.setdefault(row.question_id, []).append((row.number or 0, row.choice or 0))
        elif kind == QuestionKind.LOCATION:
            values[row.question_id] = {"lat": row.lat, "lng": row.lng}
    for question_id, pairs in ranked.items():
        values[question_id] = [i for _rank, i in sorted(pairs)]
    return values
