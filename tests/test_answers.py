"""The one way answers are read and checked, whatever the channel: kinds, skips, required answers, rows."""

from __future__ import annotations

import pytest
from django.http import QueryDict

from copro.consultations import answers
from copro.consultations.models import Answer, Consultation, Question, QuestionKind, Section

pytestmark = pytest.mark.django_db


@pytest.fixture
def survey(world):
    c = Consultation.objects.create(
        project=world.project, title="Routes", how_used="We read every answer.", created_by=world.facilitator
    )
    travel = Section.objects.create(consultation=c, title="How you travel", position=0)
    mode = Question.objects.create(
        consultation=c,
        section=travel,
        kind=QuestionKind.SINGLE,
        text="How do you usually travel?",
        choices=["Walk", "Cycle", "Bus", "Car"],
        required=True,
    )
    cycling = Section.objects.create(
        consultation=c, title="Cycling", position=1, show_if_question=mode, show_if_choice=1
    )
    routes = Question.objects.create(
        consultation=c,
        section=cycling,
        kind=QuestionKind.RANKING,
        text="Rank the routes",
        choices=["Taff Trail", "Newport Road", "Cathays"],
        required=True,
    )
    rest = Section.objects.create(consultation=c, title="Everyone", position=2)
    agree = Question.objects.create(consultation=c, section=rest, kind=QuestionKind.SCALE, text="Safer?", position=0)
    worries = Question.objects.create(
        consultation=c,
        section=rest,
        kind=QuestionKind.MULTIPLE,
        text="What worries you?",
        choices=["Speed", "Parking", "Lighting"],
        position=1,
    )
    said = Question.objects.create(
        consultation=c, section=rest, kind=QuestionKind.TEXT, text="Anything else?", position=2
    )
    where = Question.objects.create(consultation=c, section=rest, kind=QuestionKind.LOCATION, text="Where?", position=3)
    sections = [travel, cycling, rest]
    questions = [mode, routes, agree, worries, said, where]
    return c, sections, questions


def test_a_skipped_section_is_neither_required_nor_kept(survey):
    _c, sections, (mode, routes, agree, *_rest) = survey
    walker = answers.check(sections, survey[2], {mode.pk: "0", routes.pk: [2, 0], agree.pk: "4"}, final=True)
    assert walker.ok
    assert walker.values == {mode.pk: 0, agree.pk: 4}  # the ranking (cycling section) was dropped

    cyclist = answers.check(sections, survey[2], {mode.pk: "1", agree.pk: "4"}, final=True)
    assert cyclist.errors == {routes.pk: "This question needs an answer."}


def test_drafts_do_not_need_the_required_answers_but_still_check_the_ones_given(survey):
    _c, sections, (mode, routes, agree, *_rest) = survey
    draft = answers.check(sections, survey[2], {agree.pk: "9"}, final=False)
    assert set(draft.errors) == {agree.pk}
    assert mode.pk not in draft.errors


@pytest.mark.parametrize(
    ("field", "value"),
    [
        (0, "7"),  # single: no option 7
        (0, "walk"),  # single: not a number
        (2, "0"),  # scale: below 1
        (2, "6"),  # scale: above 5
        (3, ["0", "0"]),  # multiple: the same option twice
        (3, ["5"]),  # multiple: no such option
        (4, "x" * 5001),  # text: too long
        (5, {"lat": "north", "lng": "1"}),  # location: not a number
        (5, {"lat": "nan", "lng": "1"}),  # location: not a real number
    ],
)
def test_each_kind_refuses_values_it_cannot_hold(survey, field, value):
    _c, sections, questions = survey
    raw = {questions[0].pk: "0", questions[field].pk: value}
    if field == 0:
        raw = {questions[0].pk: value}
    result = answers.check(sections, questions, raw, final=True)
    assert questions[field].pk in result.errors
    assert questions[field].pk not in result.values


def test_a_location_outside_the_area_is_refused(survey):
    _c, sections, questions = survey
    where = questions[5]
    raw = {questions[0].pk: "0", where.pk: {"lat": "51.0", "lng": "-3.2"}}
    result = answers.check(sections, questions, raw, final=True, bounds=(51.4, -3.3, 51.6, -3.1))
    assert result.errors == {where.pk: "That place is outside the area this consultation covers."}
    inside = answers.check(
        sections,
        questions,
        {**raw, where.pk: {"lat": "51.48", "lng": "-3.18"}},
        final=True,
        bounds=(51.4, -3.3, 51.6, -3.1),
    )
    assert inside.values[where.pk] == {"lat": 51.48, "lng": -3.18}


def test_a_form_post_is_read_into_the_shared_format_with_ranks_and_places(survey):
    _c, sections, (mode, routes, agree, worries, said, where) = survey
    data = QueryDict(mutable=True)
    data.update({f"q{mode.pk}": "1", f"q{agree.pk}": "5", f"q{said.pk}": "  More crossings  "})
    data.setlist(f"q{worries.pk}", ["2", "0"])
    data.update({f"q{routes.pk}_0": "2", f"q{routes.pk}_1": "", f"q{routes.pk}_2": "1", f"q{where.pk}_place": "7"})
    raw = answers.from_post(survey[2], data, places={7: (51.48, -3.17)})
    result = answers.check(sections, survey[2], raw, final=True)
    assert result.ok, result.errors
    assert result.values == {
        mode.pk: 1,
        routes.pk: [2, 0],  # Cathays first, then Taff Trail; Newport Road not ranked
        agree.pk: 5,
        worries.pk: [0, 2],
        said.pk: "More crossings",
        where.pk: {"lat": 51.48, "lng": -3.17},
    }


def test_ranks_with_gaps_or_repeats_are_refused_with_a_plain_reason(survey):
    _c, sections, (mode, routes, *_rest) = survey
    data = QueryDict(mutable=True)
    data.update({f"q{mode.pk}": "1", f"q{routes.pk}_0": "1", f"q{routes.pk}_1": "3"})
    raw = answers.from_post(survey[2], data, places={})
    result = answers.check(sections, survey[2], raw, final=True)
    assert result.errors == {routes.pk: "Number your choices 1, 2, 3 and so on, without gaps or repeats."}


def test_rows_round_trip_one_row_per_value(survey):
    c, sections, questions = survey
    mode, routes, agree, worries, said, where = questions
    values = {
        mode.pk: 1,
        routes.pk: [2, 0, 1],
        agree.pk: 3,
        worries.pk: [0, 2],
        said.pk: "Lights",
        where.pk: {"lat": 51.5, "lng": -3.2},
    }
    by_id = {q.pk: q for q in questions}
    rows = answers.to_rows(1, c.pk, "paper", by_id, values)
    assert len(rows) == 1 + 3 + 1 + 2 + 1 + 1
    assert {(r.choice, r.number) for r in rows if r.question_id == routes.pk} == {(2, 1), (0, 2), (1, 3)}
    assert all(isinstance(r, Answer) and r.channel == "paper" for r in rows)
    assert answers.from_rows(rows, by_id) == values
