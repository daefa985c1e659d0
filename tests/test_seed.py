"""`copro seed --scale cardiff`: the Cardiff-shaped demo, at 1/50 of its size, is complete and consistent."""

from __future__ import annotations

import io
from collections import Counter, defaultdict

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q

from copro.consultations.models import Answer, Consultation, QuestionKind, Response, ResponseStatus
from copro.core.models import ActivityEntry, EntryChannel
from copro.maps.models import Agreement, Comment, Map, Pin
from copro.projects.models import Project
from copro.updates.models import Subscription

pytestmark = pytest.mark.django_db

FIFTIETH = "0.02"  # 100 pins, 400 responses, 24 subscribers


def seed(*args: str) -> str:
    out = io.StringIO()
    call_command("seed", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return seed("--scale", "cardiff", "--fraction", FIFTIETH)


def test_the_project_map_and_consultation_have_the_cardiff_shape(seeded):
    project = Project.objects.get(slug="cardiff-active-travel")
    assert project.title == "Cardiff active travel"
    assert project.visibility == "public"
    assert project.memberships.filter(role="facilitator", user__email="facilitator@cardiff.example.org").exists()
    community_map = Map.objects.get(project=project)
    assert (community_map.south, community_map.west, community_map.north, community_map.east) == (
        51.44,
        -3.28,
        51.56,
        -3.10,
    )
    assert {"Unsafe junction", "Pavement parking", "Missing cycle route", "Crossing needed", "Poor lighting"} <= set(
        community_map.categories.values_list("name", flat=True)
    )
    assert community_map.places.count() == 50
    consultation = Consultation.objects.get(project=project)
    kinds = set(consultation.questions.values_list("kind", flat=True))
    assert kinds == set(QuestionKind.values)
    which = consultation.questions.get(text="Which location do you know best?")
    assert which.kind == QuestionKind.SINGLE and len(which.choices) == 32
    assert consultation.questions.filter(private=True).count() == 2
    assert consultation.sections.filter(show_if_question__isnull=False).count() == 1
    assert "Seeded project 'cardiff-active-travel'" in seeded
    assert "responses" in seeded and "400" in seeded


def test_counts_at_one_fiftieth_of_the_cardiff_scale(seeded):
    assert Pin.objects.count() == 100
    assert Comment.objects.count() == 30
    assert Agreement.objects.count() > 50  # about 160, long-tailed
    assert Response.objects.filter(status=ResponseStatus.SUBMITTED).count() == Response.objects.count() == 400
    assert Subscription.objects.count() == 24
    # Nothing written to the activity log per pin or response: only the organisation and the project.
    assert ActivityEntry.objects.count() < 5


def test_pin_counters_match_their_rows_and_pins_are_inside_the_area(seeded):
    community_map = Map.objects.get()
    pins = Pin.objects.annotate(
        agreements_n=Count("agreements", distinct=True), comments_n=Count("comments", distinct=True)
    )
    for pin in pins:
        assert pin.agree_count == pin.agreements_n, pin.pk
        assert pin.comment_count == pin.comments_n, pin.pk
        if pin.lat is None or pin.lng is None:
            assert pin.lat is None and pin.lng is None and (pin.place_id or pin.location_text)
        else:
            assert community_map.contains(pin.lat, pin.lng)
        if pin.channel == EntryChannel.ONLINE:
            assert pin.author_id and pin.entered_by_id is None
        else:
            assert pin.author_id is None and pin.entered_by_id
    assert Pin.objects.filter(channel=EntryChannel.ONLINE).count() > Pin.objects.exclude(channel="online").count()


def test_every_response_has_answers_consistent_with_it(seeded):
    assert not Response.objects.filter(answers__isnull=True).exists()
    assert not Answer.objects.exclude(channel=F("response__channel")).exists()
    assert not Answer.objects.exclude(consultation=F("response__consultation")).exists()
    online = Response.objects.filter(channel=EntryChannel.ONLINE)
    assert not online.filter(entered_by__isnull=False).exists()
    assert not Response.objects.exclude(channel=EntryChannel.ONLINE).filter(entered_by__isnull=True).exists()
    assert 0.75 < online.count() / Response.objects.count() < 0.95
    # Anonymous online responses each have their own key; signed-in ones a respondent, once each.
    anonymous = online.filter(respondent__isnull=True)
    assert anonymous.exclude(anonymous_key="").count() == anonymous.count()
    assert anonymous.values("anonymous_key").distinct().count() == anonymous.count()
    respondents = list(Response.objects.filter(respondent__isnull=False).values_list("respondent", flat=True))
    assert respondents and len(respondents) == len(set(respondents))
    assert not Response.objects.filter(Q(submitted_at__year__lt=2021) | Q(submitted_at__year__gt=2021)).exists()


def numbers(values: list[int | None]) -> list[int]:
    """The values, all of which must be set."""
    assert None not in values
    return [v for v in values if v is not None]


def test_answers_are_one_row_per_value(seeded):
    consultation = Consultation.objects.get()
    community_map = consultation.map
    assert community_map is not None
    questions = {q.pk: q for q in consultation.questions.all()}
    per_response: dict[tuple[int, int], list[Answer]] = defaultdict(list)
    for answer in Answer.objects.all():
        per_response[(answer.response_id, answer.question_id)].append(answer)
    for (_response, question_id), rows in per_response.items():
        question = questions[question_id]
        if question.kind == QuestionKind.SINGLE:
            assert len(rows) == 1 and numbers([rows[0].choice])[0] < len(question.choices)
        elif question.kind == QuestionKind.MULTIPLE:
            chosen = numbers([r.choice for r in rows])
            assert len(chosen) == len(set(chosen)) and all(c < len(question.choices) for c in chosen)
        elif question.kind == QuestionKind.RANKING:
            assert sorted(numbers([r.number for r in rows])) == list(range(1, len(question.choices) + 1))
            assert sorted(numbers([r.choice for r in rows])) == list(range(len(question.choices)))
        elif question.kind == QuestionKind.SCALE:
            assert len(rows) == 1 and 1 <= numbers([rows[0].number])[0] <= 5
        elif question.kind == QuestionKind.TEXT:
            assert len(rows) == 1 and rows[0].text
        elif question.kind == QuestionKind.LOCATION:
            lat, lng = rows[0].lat, rows[0].lng
            assert len(rows) == 1 and lat is not None and lng is not None and community_map.contains(lat, lng)
    which = consultation.questions.get(text="Which location do you know best?")
    assert Answer.objects.filter(question=which).count() == Response.objects.count()


def test_subscribers_are_confirmed_with_both_frequencies(seeded):
    subscriptions = Subscription.objects.all()
    assert all(s.is_active for s in subscriptions)
    assert Counter(s.frequency for s in subscriptions).keys() == {"immediate", "weekly"}
    assert subscriptions.filter(consultation__isnull=False).exists()
    assert subscriptions.filter(consultation__isnull=True).exists()


def test_the_seed_runs_only_once_per_database(seeded):
    with pytest.raises(CommandError, match="already has the project 'cardiff-active-travel'"):
        seed("--scale", "cardiff", "--fraction", FIFTIETH)
    assert Pin.objects.count() == 100


def test_an_unknown_scale_is_refused_clearly():
    with pytest.raises(CommandError, match="Unknown scale 'york'. The scales Copro can seed are: cardiff."):
        seed("--scale", "york")
    assert not Project.objects.exists()
