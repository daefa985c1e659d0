"""Consultations, the participant's side and the builder: building one, who may respond, one section per
page with skips worked out on the server, drafts, one response each (anonymous ones too), receipts, the API."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from copro.consultations import services
from copro.consultations.access import results_visible
from copro.consultations.models import (
    Answer,
    Consultation,
    ConsultationStatus,
    Question,
    Response,
    ResponseStatus,
    ResultsVisibility,
    Section,
)
from copro.consultations.views import BROWSER_COOKIE
from copro.core.permissions import Role
from tests import factories
from tests.conftest import client_for
from tests.factories_maps import community_map

pytestmark = pytest.mark.django_db

HOW_USED = "The council's transport team reads every response before choosing routes. " + factories.XSS


# --- Helpers -----------------------------------------------------------------------------------------


class Survey:
    """A consultation on active travel: who cycles sees a ranking section; everyone sees the rest."""

    def __init__(self, world: Any, *, open_it: bool = True, **settings: Any) -> None:
        f = world.facilitator
        self.map = community_map(world.project, created_by=f)
        self.c = services.consultation_create(
            user=f,
            project=world.project,
            title=settings.pop("title", "Teithio llesol: routes " + factories.HOSTILE),
            intro="Tell us about your journeys " + factories.XSS,
            how_used=HOW_USED,
            map=self.map,
            **settings,
        )
        s1 = services.section_add(user=f, consultation=self.c, title="How you travel")
        self.mode = services.question_add(
            user=f,
            section=s1,
            kind="single",
            text="How do you usually travel?",
            choices=["Walk", "Cycle", "Bus"],
            required=True,
        )
        s2 = services.section_add(
            user=f, consultation=self.c, title="Cycling", show_if_question=self.mode, show_if_choice=1
        )
        self.routes = services.question_add(
            user=f,
            section=s2,
            kind="ranking",
            text="Rank the routes",
            choices=["Taff Trail", "Newport Road", "Cathays"],
            required=True,
        )
        s3 = services.section_add(user=f, consultation=self.c, title="Everyone")
        self.agree = services.question_add(
            user=f, section=s3, kind="scale", text="The routes would be safer", required=True
        )
        self.worries = services.question_add(
            user=f, section=s3, kind="multiple", text="What worries you?", choices=["Speed", "Parking", "Lighting"]
        )
        self.said = services.question_add(user=f, section=s3, kind="text", text="Anything else?")
        self.where = services.question_add(user=f, section=s3, kind="location", text="Where is the worst spot?")
        self.age = services.question_add(
            user=f,
            section=s3,
            kind="single",
            text="Your age",
            choices=["Under 25", "25 to 64", "65 or over"],
            private=True,
        )
        self.sections = [s1, s2, s3]
        if open_it:
            services.consultation_open(user=f, consultation=self.c)
        self.c.refresh_from_db()

    def url(self, suffix: str = "") -> str:
        return f"/p/{self.c.project.slug}/consultations/{self.c.pk}/{suffix}"

    def place(self, name: str) -> Any:
        return self.map.places.get(name=name)


def post_section(client: Any, survey: Survey, section: Any, go: str = "next", **answers: Any) -> Any:
    return client.post(survey.url("respond/"), {"section": str(section), "go": go, **answers})


def respond_as_cyclist(client: Any, s: Survey, hear_back: bool = False) -> Any:
    assert post_section(client, s, 0, **{f"q{s.mode.pk}": "1"}).status_code == 302
    ranks = {f"q{s.routes.pk}_2": "1", f"q{s.routes.pk}_0": "2"}
    assert post_section(client, s, 1, **ranks).status_code == 302
    third = {
        f"q{s.agree.pk}": "4",
        f"q{s.worries.pk}": ["0", "2"],
        f"q{s.said.pk}": "More lighting on the Taff Trail " + factories.XSS,
        f"q{s.where.pk}_place": str(s.place("Queen Street").pk),
        f"q{s.age.pk}": "1",
    }
    assert post_section(client, s, 2, **third).status_code == 302
    data = {"section": "review", "go": "submit"}
    if hear_back:
        data["hear_back"] = "on"
    return client.post(s.url("respond/"), data)


def rows_of(response: Response) -> dict[int, list[tuple[Any, ...]]]:
    out: dict[int, list[tuple[Any, ...]]] = {}
    for a in Answer.objects.filter(response=response).order_by("question_id", "number", "choice"):
        out.setdefault(a.question_id, []).append((a.choice, a.number, a.text, a.lat, a.lng))
    return out


# --- Building -----------------------------------------------------------------------------------------


def test_a_consultation_needs_a_title_and_a_statement_of_how_responses_are_used(world):
    f, p = world.facilitator, world.project
    with pytest.raises(ValidationError, match="title"):
        services.consultation_create(user=f, project=p, title="  ", how_used=HOW_USED)
    with pytest.raises(ValidationError, match="title"):
        services.consultation_create(user=f, project=p, title="x" * 201, how_used=HOW_USED)
    with pytest.raises(ValidationError, match="how the responses will be used"):
        services.consultation_create(user=f, project=p, title="Routes", how_used="   ")
    now = timezone.now()
    with pytest.raises(ValidationError, match="closing date must be after"):
        services.consultation_create(
            user=f, project=p, title="Routes", how_used=HOW_USED, opens_at=now, closes_at=now - timedelta(days=1)
        )
    other_map = community_map(world.private_project, created_by=f)
    with pytest.raises(ValidationError, match="this project's maps"):
        services.consultation_create(user=f, project=p, title="Routes", how_used=HOW_USED, map=other_map)
    assert not Consultation.objects.exists()


def test_questions_are_checked_as_they_are_added(world):
    f = world.facilitator
    c = services.consultation_create(user=f, project=world.project, title="Routes", how_used=HOW_USED)
    s = services.section_add(user=f, consultation=c, title="One")
    with pytest.raises(ValidationError, match="at least two options"):
        services.question_add(user=f, section=s, kind="single", text="Pick", choices=["Only one", "  "])
    with pytest.raises(ValidationError, match="Each option must be different"):
        services.question_add(user=f, section=s, kind="ranking", text="Rank", choices=["Bus", "bus "])
    with pytest.raises(ValidationError, match="Link a map"):
        services.question_add(user=f, section=s, kind="location", text="Where?")
    with pytest.raises(ValidationError, match="must be single or multiple choice, or a scale"):
        services.question_add(user=f, section=s, kind="text", text="Tell us about you", private=True)
    with pytest.raises(ValidationError, match="must be single or multiple choice, or a scale"):
        services.question_add(user=f, section=s, kind="ranking", text="Rank", choices=["a", "b"], private=True)
    with pytest.raises(ValidationError, match="no options"):
        services.question_add(user=f, section=s, kind="scale", text="Agree?", choices=["a", "b"])
    with pytest.raises(ValidationError, match="question needs its text"):
        services.question_add(user=f, section=s, kind="text", text=" ")
    assert not Question.objects.exists()


def test_a_section_can_only_depend_on_a_choice_question_of_the_same_consultation(world):
    f = world.facilitator
    here = Survey(world, open_it=False)
    elsewhere = Survey(world, open_it=False, title="Another one")
    with pytest.raises(ValidationError, match="from this consultation"):
        services.section_add(
            user=f, consultation=here.c, title="Cycling", show_if_question=elsewhere.mode, show_if_choice=1
        )
    with pytest.raises(ValidationError, match="single or multiple choice"):
        services.section_add(user=f, consultation=here.c, title="x", show_if_question=here.routes, show_if_choice=0)
    with pytest.raises(ValidationError, match="one of that question's options"):
        services.section_add(user=f, consultation=here.c, title="x", show_if_question=here.mode, show_if_choice=7)
    with pytest.raises(ValidationError, match="both the question and the answer"):
        services.section_add(user=f, consultation=here.c, title="x", show_if_question=here.mode)
    assert here.c.sections.count() == 3


def test_questions_are_frozen_once_the_consultation_opens(world):
    s = Survey(world)
    f = world.facilitator
    with pytest.raises(ValidationError, match="cannot change once"):
        services.section_add(user=f, consultation=s.c, title="Late")
    with pytest.raises(ValidationError, match="cannot change once"):
        services.question_add(user=f, section=s.sections[0], kind="text", text="Late")
    with pytest.raises(ValidationError, match="cannot change once"):
        services.question_remove(user=f, question=s.said)
    with pytest.raises(ValidationError, match="Only a consultation being prepared"):
        services.consultation_open(user=f, consultation=s.c)
    with pytest.raises(ValidationError, match="cannot change once"):
        services.section_remove(user=f, section=s.sections[2])
    with pytest.raises(ValidationError, match="map cannot change once"):
        services.consultation_edit(user=f, consultation=s.c, map=None)
    services.consultation_edit(user=f, consultation=s.c, map=s.map, title="Still editable")  # same map: fine
    # The page says so too, and nothing changes.
    r = world.client("facilitator").post(s.url(f"questions/{s.said.pk}/remove/"))
    assert r.status_code == 302 and Question.objects.filter(pk=s.said.pk).exists()
    r = world.client("facilitator").post(s.url(f"sections/{s.sections[2].pk}/remove/"))
    assert r.status_code == 302 and Question.objects.filter(pk=s.said.pk).exists()


def test_a_facilitator_removes_a_section_with_its_questions_and_the_skips_that_depended_on_them(world):
    s = Survey(world, open_it=False)
    first, cycling, everyone = s.sections
    r = world.client("facilitator").post(s.url(f"sections/{first.pk}/remove/"))
    assert r.status_code == 302
    assert not Question.objects.filter(pk=s.mode.pk).exists()
    cycling.refresh_from_db()
    assert (cycling.show_if_question_id, cycling.show_if_choice) == (None, None)  # now shown to everyone
    assert list(Section.objects.filter(consultation=s.c).values_list("pk", "position")) == [
        (cycling.pk, 0),
        (everyone.pk, 1),
    ]
    assert world.client("participant").post(s.url(f"sections/{cycling.pk}/remove/")).status_code == 403


def test_about_you_questions_are_always_optional(world):
    s = Survey(world, open_it=False)
    private = services.question_add(
        user=world.facilitator, section=s.sections[2], kind="scale", text="Your health", required=True, private=True
    )
    assert private.required is False


def test_a_consultation_cannot_open_without_questions(world):
    c = services.consultation_create(user=world.facilitator, project=world.project, title="Empty", how_used=HOW_USED)
    with pytest.raises(ValidationError, match="at least one question"):
        services.consultation_open(user=world.facilitator, consultation=c)


def test_a_facilitator_builds_a_consultation_with_a_skip_through_the_pages(world):
    client = world.client("facilitator")
    slug = world.project.slug
    the_map = community_map(world.project, created_by=world.facilitator)
    bad = client.post(
        f"/p/{slug}/consultations/new/", {"title": "Routes", "how_used": "", "results_visibility": "live"}
    )
    assert bad.status_code == 400 and not Consultation.objects.exists()
    r = client.post(
        f"/p/{slug}/consultations/new/",
        {
            "title": "Routes <b>",
            "how_used": HOW_USED,
            "results_visibility": "live",
            "allow_anonymous": "on",
            "map": str(the_map.pk),
        },
    )
    c = Consultation.objects.get()
    assert r.status_code == 302 and r["Location"].endswith(f"/consultations/{c.pk}/build/")
    assert c.allow_anonymous and c.map_id == the_map.pk and c.results_visibility == "live"
    base = f"/p/{slug}/consultations/{c.pk}/"
    assert client.post(base + "sections/", {"title": "How you travel"}).status_code == 302
    first = c.sections.get()
    bad = client.post(base + "questions/", {"section": first.pk, "kind": "single", "text": "Mode?", "choices": "Walk"})
    assert bad.status_code == 400 and "at least two options" in bad.content.decode()
    r = client.post(
        base + "questions/",
        {"section": first.pk, "kind": "single", "text": "Mode?", "choices": "Walk\n\nCycle\r\nBus\n", "required": "on"},
    )
    assert r.status_code == 302
    mode = Question.objects.get(text="Mode?")
    assert mode.choices == ["Walk", "Cycle", "Bus"] and mode.required
    # The condition offers each option of each choice question.
    build = client.get(base + "build/").content.decode()
    assert f'value="{mode.pk}:1"' in build
    assert client.post(base + "sections/", {"title": "Cycling", "show_if": f"{mode.pk}:1"}).status_code == 302
    cycling = c.sections.get(title="Cycling")
    assert (cycling.show_if_question_id, cycling.show_if_choice) == (mode.pk, 1)
    r = client.post(
        base + "questions/",
        {
            "section": cycling.pk,
            "kind": "single",
            "text": "Your age",
            "choices": "Young\nOld",
            "private": "on",
            "required": "on",
        },
    )
    age = Question.objects.get(text="Your age")
    assert age.private and not age.required  # "about you" questions are always optional
    client.post(base + "questions/", {"section": cycling.pk, "kind": "text", "text": "Remove me"})
    doomed = Question.objects.get(text="Remove me")
    assert client.post(base + f"questions/{doomed.pk}/remove/").status_code == 302
    assert not Question.objects.filter(pk=doomed.pk).exists()
    preview = client.get(base + "preview/").content.decode()
    assert "Shown only to people whose answer to “Mode?” is “Cycle”" in preview
    assert "Only ever counted, never shown with your other answers" in preview
    assert "Routes &lt;b&gt;" in preview
    r = client.post(base + "open/")
    c.refresh_from_db()
    assert r.status_code == 302 and c.status == ConsultationStatus.OPEN
    # Edit after opening: dates and texts still change.
    later = (timezone.localtime() + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M")
    r = client.post(
        base + "edit/",
        {"title": "Routes", "how_used": HOW_USED, "results_visibility": "live", "closes_at": later, "map": the_map.pk},
    )
    c.refresh_from_db()
    assert r.status_code == 302 and c.closes_at is not None and c.title == "Routes"


def test_only_facilitators_build(world):
    s = Survey(world, open_it=False)
    client = world.client("participant")
    assert client.get(f"/p/{world.project.slug}/consultations/new/").status_code == 403
    # Building is not theirs whatever the consultation: 403, the same for a draft and a missing id.
    for suffix in ("build/", "preview/", "edit/"):
        assert client.get(s.url(suffix)).status_code == 403
    missing = f"/p/{world.project.slug}/consultations/999999/build/"
    assert client.get(missing).status_code == 403
    services.consultation_open(user=world.facilitator, consultation=s.c)
    for suffix in ("build/", "preview/", "edit/"):
        assert client.get(s.url(suffix)).status_code == 403
    assert client.post(s.url("close/")).status_code == 403
    assert client.post(s.url("sections/"), {"title": "Mine"}).status_code == 403
    assert s.c.sections.count() == 3


# --- Who may see and respond ----------------------------------------------------------------------


def test_drafts_are_404_for_everyone_but_facilitators(world):
    s = Survey(world, open_it=False)
    for persona in ("participant", "expert", "observer", "outsider", "anonymous"):
        client = world.client(persona)
        assert client.get(s.url()).status_code == 404, persona
        assert client.get(s.url("respond/")).status_code == 404, persona
        assert client.get(f"/api/projects/{world.project.slug}/consultations/{s.c.pk}/").status_code == 404
        listed = client.get(f"/p/{world.project.slug}/consultations/")
        assert s.c.title not in listed.content.decode()
    assert world.client("facilitator").get(s.url()).status_code == 200


def test_outsiders_get_404_on_a_private_project(world):
    f = world.facilitator
    c = services.consultation_create(user=f, project=world.private_project, title="Inside", how_used=HOW_USED)
    section = services.section_add(user=f, consultation=c, title="S")
    services.question_add(user=f, section=section, kind="text", text="Say")
    services.consultation_open(user=f, consultation=c)
    url = f"/p/{world.private_project.slug}/consultations/{c.pk}/"
    for persona in ("outsider", "anonymous"):
        client = world.client(persona)
        assert client.get(url).status_code == 404
        assert client.post(url + "respond/", {"section": "0", "go": "next"}).status_code == 404
        assert client.get(f"/api/projects/{world.private_project.slug}/consultations/").status_code == 404
    assert not Response.objects.exists()
    assert world.client("participant").get(url).status_code == 200


def test_observers_respond_like_anyone_else(world):
    """The table gives consultations.respond to everyone: a consultation asks the public, and the governance
    board's observers are part of it. Read-only for decisions, not for saying what they think."""
    s = Survey(world)
    client = world.client("observer")
    assert respond_as_cyclist(client, s).status_code == 302
    assert Response.objects.get(respondent=world.observer).status == ResponseStatus.SUBMITTED


def test_without_an_account_people_are_asked_to_sign_in_unless_anonymous_responses_are_allowed(world):
    s = Survey(world)
    client = world.client("anonymous")
    page = client.get(s.url()).content.decode()
    assert "Sign in to respond" in page
    r = post_section(client, s, 0, **{f"q{s.mode.pk}": "1"})
    assert r.status_code == 302 and "/accounts/login/" in r["Location"]
    assert not Response.objects.exists()


def test_results_visibility(world):
    s = Survey(world)
    c = s.c
    c.results_visibility = ResultsVisibility.LIVE
    assert results_visible(c, Role.PUBLIC) and results_visible(c, Role.PARTICIPANT)
    c.results_visibility = ResultsVisibility.AFTER_CLOSE
    assert not results_visible(c, Role.PARTICIPANT) and results_visible(c, Role.FACILITATOR)
    c.results_visibility = ResultsVisibility.STAFF
    assert not results_visible(c, Role.PARTICIPANT) and results_visible(c, Role.FACILITATOR)
    c.results_visibility = ResultsVisibility.AFTER_CLOSE
    c.closes_at = timezone.now() - timedelta(minutes=1)  # past its closing date, not yet closed by hand
    assert results_visible(c, Role.PUBLIC)
    services.consultation_close(user=world.facilitator, consultation=c)
    c.refresh_from_db()
    assert results_visible(c, Role.OUTSIDER)
    c.results_visibility = ResultsVisibility.STAFF
    assert not results_visible(c, Role.OUTSIDER)
    assert not results_visible(c, None)


# --- The consultation's page ----------------------------------------------------------------------------


def test_the_page_states_how_responses_are_used_and_links_to_respond_and_subscribe(world):
    s = Survey(world, results_visibility=ResultsVisibility.LIVE)
    page = world.client("participant").get(s.url()).content.decode()
    assert "How your responses will be used" in page
    assert "The council&#x27;s transport team reads every response" in page
    assert factories.XSS not in page and "&lt;script&gt;" in page
    assert s.url("respond/") in page and ">Respond<" in page
    assert f"/p/{world.project.slug}/updates/subscribe/?consultation={s.c.pk}" in page
    assert s.url("results/") in page


# --- Responding ------------------------------------------------------------------------------------------


def test_a_participant_answers_every_kind_of_question_one_section_at_a_time(world, outbox, run_tasks):
    s = Survey(world)
    client = world.client("participant")
    first = client.get(s.url("respond/")).content.decode()
    assert "How do you usually travel?" in first and "Rank the routes" not in first
    assert "Section 1 of 2" in first  # nobody has chosen "Cycle" yet
    r = post_section(client, s, 0, **{f"q{s.mode.pk}": "1"})
    assert r["Location"].endswith("respond/?section=1")  # the cycling section applies
    ranking = client.get(r["Location"]).content.decode()
    assert "1 = your first choice" in ranking and "Section 2 of 3" in ranking
    r = post_section(client, s, 1, **{f"q{s.routes.pk}_2": "1", f"q{s.routes.pk}_0": "2"})
    assert r["Location"].endswith("?section=2")
    third = client.get(r["Location"]).content.decode()
    for label in ("Strongly disagree", "Neither agree nor disagree", "Strongly agree", "Queen Street"):
        assert label in third
    assert "About you (optional)" in third and "never shown with your other answers" in third
    r = post_section(
        client,
        s,
        2,
        **{
            f"q{s.agree.pk}": "4",
            f"q{s.worries.pk}": ["0", "2"],
            f"q{s.said.pk}": "More lighting " + factories.XSS,
            f"q{s.where.pk}_place": str(s.place("Queen Street").pk),
            f"q{s.age.pk}": "1",
        },
    )
    assert r["Location"].endswith("?section=review")
    review = client.get(r["Location"]).content.decode()
    assert "Check your answers" in review and "Newport Road" not in review.split("Rank the routes")[1][:200]
    assert "1. Cathays; 2. Taff Trail" in review and "Agree" in review and "Speed; Lighting" in review
    assert "&lt;script&gt;" in review and factories.XSS not in review
    r = client.post(s.url("respond/"), {"section": "review", "go": "submit", "hear_back": "on"})
    assert r.status_code == 302 and r["Location"].endswith("receipt/")
    response = Response.objects.get(respondent=world.participant)
    assert response.status == ResponseStatus.SUBMITTED and response.hear_back and response.draft == {}
    rows = rows_of(response)
    assert rows[s.mode.pk] == [(1, None, "", None, None)]
    assert rows[s.routes.pk] == [(2, 1, "", None, None), (0, 2, "", None, None)]
    assert rows[s.agree.pk] == [(None, 4, "", None, None)]
    assert rows[s.worries.pk] == [(0, None, "", None, None), (2, None, "", None, None)]
    assert rows[s.said.pk][0][2] == "More lighting " + factories.XSS
    assert rows[s.where.pk] == [(None, None, "", 51.4816, -3.1746)]
    assert rows[s.age.pk] == [(1, None, "", None, None)]
    staff_view = world.client("facilitator").get(s.url()).content.decode()
    assert "1 response submitted." in staff_view and "1 of them asked to hear what happens" in staff_view
    receipt = client.get(r["Location"]).content.decode()
    assert response.receipt in receipt and "What happens next" in receipt
    # The receipt email: the code, what happens next, a link back.
    run_tasks()
    [message] = outbox.to("participant@example.org")
    assert response.receipt in message["Subject"]
    text = outbox.text(message)
    assert response.receipt in text and "transport team reads every response" in text
    assert f"/consultations/{s.c.pk}/" in text


def test_coordinates_and_bad_input_are_checked_and_kept_for_the_person_to_fix(world):
    s = Survey(world)
    client = world.client("participant")
    post_section(client, s, 0, **{f"q{s.mode.pk}": "0"})  # walking: the cycling section is skipped
    r = post_section(
        client,
        s,
        2,
        **{
            f"q{s.agree.pk}": "9",
            f"q{s.said.pk}": "Kept as typed ŵŷâ",
            f"q{s.where.pk}_lat": "40.0",
            f"q{s.where.pk}_lng": "-3.17",
        },
    )
    page = r.content.decode()
    assert r.status_code == 400
    assert "There is a problem" in page and f'href="#q{s.agree.pk}-1"' in page
    assert "from strongly disagree to strongly agree" in page
    assert "outside the area this consultation covers" in page
    assert "Kept as typed ŵŷâ" in page and 'value="40.0"' in page
    # Coordinates inside the area are fine.
    r = post_section(
        client, s, 2, **{f"q{s.agree.pk}": "2", f"q{s.where.pk}_lat": "51.5", f"q{s.where.pk}_lng": "-3.2"}
    )
    assert r.status_code == 302
    draft = services.draft_values(Response.objects.get(respondent=world.participant))
    assert draft[s.where.pk] == {"lat": 51.5, "lng": -3.2}
    # Ranking with a gap is refused with a plain message.
    post_section(client, s, 0, **{f"q{s.mode.pk}": "1"})
    r = post_section(client, s, 1, **{f"q{s.routes.pk}_0": "1", f"q{s.routes.pk}_1": "3"})
    assert r.status_code == 400 and "without gaps or repeats" in r.content.decode()


def test_a_required_answer_missing_shows_errors_and_submits_nothing(world):
    s = Survey(world)
    client = world.client("participant")
    r = post_section(client, s, 0)
    assert r.status_code == 400 and "This question needs an answer." in r.content.decode()
    # Straight to the end, skipping the pages: the submit is refused and points at the question.
    r = client.post(s.url("respond/"), {"section": "review", "go": "submit"})
    page = r.content.decode()
    assert r.status_code == 400 and "How do you usually travel?" in page and "This question needs an answer." in page
    assert not Answer.objects.exists()
    assert not Response.objects.filter(status=ResponseStatus.SUBMITTED).exists()


def test_skipped_sections_are_not_required_and_their_answers_are_dropped(world):
    s = Survey(world)
    client = world.client("participant")
    post_section(client, s, 0, **{f"q{s.mode.pk}": "1"})
    post_section(client, s, 1, **{f"q{s.routes.pk}_0": "1"})
    draft = services.draft_values(Response.objects.get(respondent=world.participant))
    assert draft[s.routes.pk] == [0]
    # They change their mind: they walk. The cycling answers go, and its required question is not asked.
    r = post_section(client, s, 0, **{f"q{s.mode.pk}": "0"})
    assert r["Location"].endswith("?section=2")
    assert s.routes.pk not in services.draft_values(Response.objects.get(respondent=world.participant))
    # Asking for the skipped section by its number shows the next one that applies.
    assert "Rank the routes" not in client.get(s.url("respond/?section=1")).content.decode()
    post_section(client, s, 2, **{f"q{s.agree.pk}": "3"})
    r = client.post(s.url("respond/"), {"section": "review", "go": "submit"})
    assert r.status_code == 302
    response = Response.objects.get(respondent=world.participant)
    assert set(rows_of(response)) == {s.mode.pk, s.agree.pk}


def test_back_keeps_what_was_typed_without_asking_for_required_answers(world):
    s = Survey(world)
    client = world.client("participant")
    post_section(client, s, 0, **{f"q{s.mode.pk}": "2"})
    r = post_section(client, s, 2, go="back", **{f"q{s.said.pk}": "Half a thought"})
    assert r.status_code == 302 and r["Location"].endswith("?section=0")
    page = client.get(s.url("respond/?section=2")).content.decode()
    assert "Half a thought" in page


def test_a_draft_is_saved_and_resumed_where_the_person_left_off(world):
    s = Survey(world)
    client = world.client("participant")
    post_section(client, s, 0, **{f"q{s.mode.pk}": "1"})
    r = post_section(client, s, 1, go="save", **{f"q{s.routes.pk}_1": "1"})
    assert r.status_code == 302 and r["Location"].endswith(s.url())
    detail = client.get(s.url()).content.decode()
    assert "Your answers are saved" in detail and "Continue your draft" in detail
    response = Response.objects.get(respondent=world.participant)
    assert response.status == ResponseStatus.DRAFT and not Answer.objects.exists()
    # Later, in a new session: the respond page opens at the first section with something unanswered.
    later = client_for(world.participant)
    page = later.get(s.url("respond/")).content.decode()
    assert "Everyone" in page and "The routes would be safer" in page
    back = later.get(s.url("respond/?section=0")).content.decode()
    assert f'id="q{s.mode.pk}-1" name="q{s.mode.pk}" value="1" checked' in back
    ranked = later.get(s.url("respond/?section=1")).content.decode()
    assert f'name="q{s.routes.pk}_1" value="1"' in ranked


def test_a_second_response_is_refused_on_the_page_and_in_the_api(world):
    s = Survey(world)
    client = world.client("participant")
    assert respond_as_cyclist(client, s).status_code == 302
    receipt = Response.objects.get(respondent=world.participant).receipt
    page = client.get(s.url("respond/"))
    assert page.status_code == 200 and "You have already responded" in page.content.decode()
    assert receipt in client.get(s.url()).content.decode()
    again = post_section(client, s, 0, **{f"q{s.mode.pk}": "0"})
    assert again.status_code == 409 and receipt in again.content.decode()
    api = client.post(
        f"/api/projects/{world.project.slug}/consultations/{s.c.pk}/responses/",
        {"answers": {str(s.mode.pk): 0, str(s.agree.pk): 3}},
        content_type="application/json",
    )
    assert api.status_code == 409 and "already responded" in api.json()["detail"]
    assert Response.objects.count() == 1 and Answer.objects.filter(question=s.mode).get().choice == 1


def test_a_closed_consultation_takes_no_responses(world):
    s = Survey(world)
    client = world.client("participant")
    post_section(client, s, 0, **{f"q{s.mode.pk}": "2"})
    services.consultation_close(user=world.facilitator, consultation=s.c)
    r = client.post(s.url("respond/"), {"section": "review", "go": "submit"})
    assert r.status_code == 302
    assert "not open for responses" in client.get(r["Location"]).content.decode()
    assert not Response.objects.filter(status=ResponseStatus.SUBMITTED).exists() and not Answer.objects.exists()
    api = client.post(
        f"/api/projects/{world.project.slug}/consultations/{s.c.pk}/responses/",
        {"answers": {str(s.mode.pk): 0, str(s.agree.pk): 3}},
        content_type="application/json",
    )
    assert api.status_code == 409


def test_a_consultation_not_yet_open_by_date_takes_no_responses(world):
    s = Survey(world, opens_at=timezone.now() + timedelta(days=2))
    client = world.client("participant")
    assert "opens for responses on" in client.get(s.url()).content.decode()
    r = post_section(client, s, 0, **{f"q{s.mode.pk}": "2"})
    assert r.status_code == 302 and not Response.objects.exists()


# --- Anonymous responses -----------------------------------------------------------------------------


def test_people_without_an_account_respond_once_per_browser(world, settings):
    s = Survey(world, allow_anonymous=True)
    browser = world.client("anonymous")
    r = post_section(browser, s, 0, **{f"q{s.mode.pk}": "2"})
    cookie = r.cookies[BROWSER_COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and cookie.value
    # A draft resumes in the same browser.
    assert 'value="2" checked' in browser.get(s.url("respond/?section=0")).content.decode()
    post_section(browser, s, 2, **{f"q{s.agree.pk}": "5"})
    r = browser.post(s.url("respond/"), {"section": "review", "go": "submit"})
    assert r.status_code == 302
    response = Response.objects.get()
    assert response.respondent is None and response.anonymous_key and response.status == ResponseStatus.SUBMITTED
    assert response.receipt in browser.get(r["Location"]).content.decode()
    assert BROWSER_COOKIE not in r.cookies  # the browser keeps the token it was given
    # The same browser again: refused clearly.
    again = post_section(browser, s, 0, **{f"q{s.mode.pk}": "0"})
    assert again.status_code == 409 and "You have already responded" in again.content.decode()
    # Another browser is another respondent.
    other = world.client("anonymous")
    assert post_section(other, s, 0, **{f"q{s.mode.pk}": "0"}).status_code == 302
    assert Response.objects.count() == 2


def test_a_tampered_browser_cookie_is_a_new_browser_not_someone_elses(world):
    s = Survey(world, allow_anonymous=True)
    browser = world.client("anonymous")
    post_section(browser, s, 0, **{f"q{s.mode.pk}": "2"})
    token = browser.cookies[BROWSER_COOKIE].value
    forger = world.client("anonymous")
    forger.cookies[BROWSER_COOKIE] = token[:-3] + "xyz"
    assert 'value="2" checked' not in forger.get(s.url("respond/?section=0")).content.decode()


def test_new_anonymous_responses_are_rate_limited(world, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "consultation_anonymous": "2/h/ip"}
    s = Survey(world, allow_anonymous=True)
    for _ in range(2):
        assert post_section(world.client("anonymous"), s, 0, **{f"q{s.mode.pk}": "2"}).status_code == 302
    r = post_section(world.client("anonymous"), s, 0, **{f"q{s.mode.pk}": "2"})
    assert r.status_code == 429 and Response.objects.count() == 2


# --- The API -------------------------------------------------------------------------------------------


def test_the_api_lists_consultations_and_shows_one_with_its_questions(world):
    s = Survey(world)
    Survey(world, open_it=False, title="Still a draft")
    client = world.client("participant")
    listed = client.get(f"/api/projects/{world.project.slug}/consultations/").json()
    assert [c["id"] for c in listed["results"]] == [s.c.pk]
    assert listed["results"][0]["how_used"] == HOW_USED
    detail = client.get(f"/api/projects/{world.project.slug}/consultations/{s.c.pk}/").json()
    assert [sec["title"] for sec in detail["sections"]] == ["How you travel", "Cycling", "Everyone"]
    assert detail["sections"][1]["show_if"] == {"question": s.mode.pk, "choice": 1}
    questions = {q["id"]: q for sec in detail["sections"] for q in sec["questions"]}
    assert questions[s.routes.pk]["choices"] == ["Taff Trail", "Newport Road", "Cathays"]
    assert questions[s.agree.pk]["choices"][0] == "Strongly disagree"
    assert questions[s.age.pk]["private"] is True
    assert any(p["name"] == "Queen Street" for p in detail["places"])


def test_the_api_submits_a_response_and_reports_problems_per_question(world):
    s = Survey(world)
    client = world.client("participant")
    path = f"/api/projects/{world.project.slug}/consultations/{s.c.pk}/responses/"
    bad = client.post(path, {"answers": {str(s.mode.pk): 9, "999999": 1}}, content_type="application/json")
    assert bad.status_code == 400
    errors = bad.json()["errors"]
    assert "Choose one of the options" in errors[str(s.mode.pk)]
    assert "needs an answer" in errors[str(s.agree.pk)]
    assert "999999" in errors
    assert not Answer.objects.exists()
    assert client.post(path, {"answers": "nope"}, content_type="application/json").status_code == 400
    good = client.post(
        path,
        {
            "answers": {
                str(s.mode.pk): 1,
                str(s.routes.pk): [2, 0],
                str(s.agree.pk): 4,
                str(s.where.pk): {"lat": 51.45, "lng": -3.2},
            },
            "hear_back": True,
        },
        content_type="application/json",
    )
    assert good.status_code == 201, good.content
    response = Response.objects.get(respondent=world.participant)
    assert good.json()["receipt"] == response.receipt and response.hear_back
    assert rows_of(response)[s.routes.pk] == [(2, 1, "", None, None), (0, 2, "", None, None)]
    again = client.post(path, {"answers": {str(s.mode.pk): 0, str(s.agree.pk): 1}}, content_type="application/json")
    assert again.status_code == 409


def test_the_api_needs_an_account_to_respond(world):
    s = Survey(world, allow_anonymous=True)
    r = world.client("anonymous").post(
        f"/api/projects/{world.project.slug}/consultations/{s.c.pk}/responses/",
        {"answers": {str(s.mode.pk): 0, str(s.agree.pk): 3}},
        content_type="application/json",
    )
    assert r.status_code == 403 and not Response.objects.exists()


# --- Query counts ------------------------------------------------------------------------------------


def _queries(client: Any, url: str) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def _more_responses(s: Survey, n: int) -> None:
    for i in range(n):
        services.response_submit(
            consultation=s.c,
            raw={s.mode.pk: i % 3, s.agree.pk: 1 + i % 5, s.routes.pk: [0]},
            respondent=None,
            channel="paper",
            entered_by=s.c.created_by,
        )


@pytest.mark.parametrize("persona", ["facilitator", "participant", "anonymous"])
def test_list_and_detail_pages_keep_a_constant_number_of_queries(world, persona, django_assert_num_queries):
    s = Survey(world)
    _more_responses(s, 2)
    client = world.client(persona)
    list_url = f"/p/{world.project.slug}/consultations/"
    small_list, small_detail = _queries(client, list_url), _queries(client, s.url())
    for i in range(5):
        Survey(world, title=f"More {i}")
    _more_responses(s, 30)
    with django_assert_num_queries(small_list):
        client.get(list_url)
    with django_assert_num_queries(small_detail):
        client.get(s.url())


def test_a_section_cannot_depend_on_an_about_you_answer(world):
    s = Survey(world, open_it=False)
    with pytest.raises(ValidationError, match="cannot depend on an 'about you' question"):
        services.section_add(
            user=world.facilitator, consultation=s.c, title="Over 65s", show_if_question=s.age, show_if_choice=2
        )
    page = world.client("facilitator").get(s.url("build/")).content.decode()
    assert f'value="{s.mode.pk}:1"' in page
    assert f'value="{s.age.pk}:' not in page


def test_a_consultation_cannot_open_while_its_map_is_being_prepared(world):
    s = Survey(world, open_it=False)
    s.map.status = "draft"
    s.map.save()
    with pytest.raises(ValidationError, match="Open the consultation's map first"):
        services.consultation_open(user=world.facilitator, consultation=s.c)


@pytest.mark.parametrize("odd", ["²", "①", "٣", "9" * 5000, "1.0", " 1 1"])
def test_numbers_that_are_not_plain_digits_are_an_error_not_a_crash(world, odd):
    s = Survey(world)
    client = world.client("participant")
    page = post_section(client, s, 0, **{f"q{s.mode.pk}": odd})
    assert page.status_code in (200, 400)
    assert not Answer.objects.exists()
    assert client.get(s.url("respond/") + "?section=" + odd[:50]).status_code == 200
    api = client.post(
        f"/api/projects/{s.c.project.slug}/consultations/{s.c.pk}/responses/",
        {"answers": {str(s.mode.pk): odd, odd[:40]: "1"}},
        content_type="application/json",
    )
    assert api.status_code == 400


def test_control_characters_are_taken_out_of_text_answers(world):
    s = Survey(world)
    raw = {s.mode.pk: 0, s.agree.pk: 4, s.said.pk: "Lights\x00 at\x0b night\x1b\n please"}
    response = services.response_submit(consultation=s.c, raw=raw, respondent=world.participant)
    assert response.answers.get(question=s.said).text == "Lights at night\n please"
    export = world.client("facilitator").get(s.url("export.xlsx"))
    assert export.status_code == 200


def test_the_demo_has_an_open_map_with_pins_and_an_open_consultation_to_answer(settings):
    from django.core.management import call_command

    from copro.maps.models import Map, Pin

    settings.DEBUG = True
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    area = Map.objects.get()
    assert area.status == "open" and Pin.objects.filter(map=area).count() == 3
    assert Pin.objects.filter(map=area, channel="paper").count() == 1
    survey = Consultation.objects.get()
    assert survey.status == "open" and survey.allow_anonymous
    visitor = client_for(None)
    slug = area.project.slug
    assert "Cars do not stop for the children" in visitor.get(f"/p/{slug}/maps/{area.pk}/pins/").content.decode()
    assert visitor.get(f"/p/{slug}/consultations/{survey.pk}/respond/").status_code == 200


def test_staff_enter_offline_responses_through_the_api_with_channel_batch_and_date(world):
    s = Survey(world)
    path = f"/api/projects/{world.project.slug}/consultations/{s.c.pk}/offline-responses/"
    answers = {str(s.mode.pk): 0, str(s.agree.pk): 2}
    client = world.client("facilitator")
    for _ in range(2):  # two paper forms with the same answers are two people, not a duplicate
        entered = client.post(
            path,
            {"answers": answers, "channel": "paper", "batch": "Ely library", "given_on": "2021-02-03"},
            content_type="application/json",
        )
        assert entered.status_code == 201, entered.content
    rows = Response.objects.filter(channel="paper")
    assert rows.count() == 2
    assert {(r.entered_by, r.batch, r.submitted_at.date().isoformat(), r.respondent) for r in rows} == {
        (world.facilitator, "Ely library", "2021-02-03", None)
    }
    online = client.post(path, {"answers": answers, "channel": "online"}, content_type="application/json")
    assert online.status_code == 400
    future = client.post(
        path, {"answers": answers, "channel": "phone", "given_on": "2999-01-01"}, content_type="application/json"
    )
    assert future.status_code == 400 and "future" in future.json()["detail"]
    missing = client.post(path, {"answers": {str(s.mode.pk): 0}, "channel": "phone"}, content_type="application/json")
    assert missing.status_code == 400 and str(s.agree.pk) in missing.json()["errors"]
    assert (
        world.client("participant")
        .post(path, {"answers": answers, "channel": "paper"}, content_type="application/json")
        .status_code
        == 403
    )
    assert Response.objects.count() == 2
