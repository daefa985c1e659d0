"""Feedback moments: quick feedback in the moment, private by default, triaged by facilitators, quoted in
public only with the giver's consent."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from copro.core.components import registry
from copro.followthrough import services
from copro.followthrough.models import FeedbackMoment, FeedbackSettings
from tests import factories
from tests import factories_followthrough as ft
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def give_url(slug):
    return f"/p/{slug}/feedback/"


def allow_anonymous(project, allowed=True):
    FeedbackSettings.objects.update_or_create(project=project, defaults={"allow_anonymous": allowed})


GOOD = {"feeling": "4", "text": "The drop-in was friendly", "about": "service", "tags": ["staff", "listened"]}


# --- Giving feedback -------------------------------------------------------------------------------


def test_feedback_with_only_whitespace_is_refused_with_a_clear_message_and_nothing_is_saved(world):
    with pytest.raises(ValidationError) as refused:
        services.feedback_give(project=world.project, text=" \n\t ", feeling=3, given_by=world.participant)
    assert "what happened" in refused.value.message_dict["text"][0]
    response = world.client("participant").post(give_url(world.project.slug), {**GOOD, "text": "   \n  "})
    assert response.status_code == 400
    body = response.content.decode()
    assert "There is a problem" in body and "Tell us what happened, in a few words." in body
    assert not FeedbackMoment.objects.exists()


def test_a_participant_gives_feedback_with_a_feeling_tags_and_consent_and_sees_only_their_own(world):
    response = world.client("participant").post(
        give_url(world.project.slug), {**GOOD, "contact": "07700 900123", "consent_to_share": "on"}
    )
    assert response.status_code == 302 and response["Location"].endswith("/feedback/thanks/")
    given = FeedbackMoment.objects.get()
    assert (given.feeling, given.tags, given.given_by, given.channel) == (
        4,
        ["staff", "listened"],
        world.participant,
        "online",
    )
    assert given.consent_to_share and given.triage == "new" and given.shared_at is None

    mine = world.client("participant").get(give_url(world.project.slug) + "mine/").content.decode()
    assert "The drop-in was friendly" in mine
    detail = world.client("participant").get(give_url(world.project.slug) + f"{given.pk}/")
    assert detail.status_code == 200 and "07700" not in detail.content.decode()  # contact: the team's eyes only


def test_feedback_is_private_others_get_a_404_exactly_as_if_it_did_not_exist(world):
    given = services.feedback_give(project=world.project, text="Private words", feeling=1, given_by=world.participant)
    url = give_url(world.project.slug) + f"{given.pk}/"
    for persona in ("observer", "expert", "outsider", "anonymous"):
        assert world.client(persona).get(url).status_code == 404, persona
        assert "Private words" not in world.client(persona).get(give_url(world.project.slug) + "mine/").content.decode()
    assert world.client("participant").get(url).status_code == 200
    assert world.client("facilitator").get(url).status_code == 200
    assert world.client("observer").get(give_url(world.project.slug) + "received/").status_code == 403
    assert world.client("participant").get(give_url(world.project.slug) + "received/").status_code == 403
    assert world.client("participant").get(give_url(world.project.slug) + "99999999999999999999999/").status_code == 404
    received = world.client("facilitator").get(give_url(world.project.slug) + "received/").content.decode()
    assert "Private words" in received


def test_without_an_account_only_where_the_project_allows_it(world):
    anonymous = world.client("anonymous")
    page = anonymous.get(give_url(world.project.slug))
    assert page.status_code == 200 and "takes feedback from people who are signed in" in page.content.decode()
    assert anonymous.post(give_url(world.project.slug), GOOD).status_code == 200  # the sign-in page, not saved
    assert not FeedbackMoment.objects.exists()
    with pytest.raises(ValidationError):
        services.feedback_give(project=world.project, text="Hi", feeling=3)

    allow_anonymous(world.project)
    form = anonymous.get(give_url(world.project.slug)).content.decode()
    assert "You do not need an account" in form
    assert anonymous.post(give_url(world.project.slug), GOOD).status_code == 302
    given = FeedbackMoment.objects.get()
    assert given.given_by is None and given.entered_by is None

    # A private project has no outsiders: feedback there is for members, whatever the setting.
    allow_anonymous(world.private_project)
    assert anonymous.get(give_url(world.private_project.slug)).status_code == 404
    assert client_for(world.outsider).get(give_url(world.private_project.slug)).status_code == 404


def test_anonymous_feedback_is_rate_limited_per_address(world, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "feedback": "2/h/ip"}
    allow_anonymous(world.project)
    anonymous = world.client("anonymous")
    assert anonymous.post(give_url(world.project.slug), GOOD).status_code == 302
    assert anonymous.post(give_url(world.project.slug), GOOD).status_code == 302
    assert anonymous.post(give_url(world.project.slug), GOOD).status_code == 429
    assert FeedbackMoment.objects.count() == 2
    # Signed-in people are not limited by it.
    assert world.client("participant").post(give_url(world.project.slug), GOOD).status_code == 302


def test_a_feeling_outside_the_scale_and_unknown_tags_are_refused(world):
    client = world.client("participant")
    for bad in ({"feeling": "6"}, {"feeling": "0"}, {"feeling": "x"}, {"tags": ["nonsense"]}, {"about": "weather"}):
        assert client.post(give_url(world.project.slug), {**GOOD, **bad}).status_code == 400, bad
    with pytest.raises(ValidationError):
        services.feedback_give(project=world.project, text="x", feeling=True, given_by=world.participant)
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedbackMoment.objects.create(project=world.project, text="x", feeling=9)
    assert not FeedbackMoment.objects.exists()


def test_a_practitioner_enters_feedback_for_someone_recording_how_it_reached_them(world):
    client = world.client("facilitator")
    page = client.get(give_url(world.project.slug) + "enter/")
    assert page.status_code == 200 and "How did it reach you?" in page.content.decode()
    response = client.post(give_url(world.project.slug) + "enter/", {**GOOD, "channel": "phone"})
    assert response.status_code == 302
    given = FeedbackMoment.objects.get()
    assert (given.entered_by, given.given_by, given.channel) == (world.facilitator, None, "phone")
    assert client.post(give_url(world.project.slug) + "enter/", {**GOOD, "channel": "online"}).status_code == 400
    with pytest.raises(ValidationError):
        services.feedback_give(
            project=world.project, text="x", feeling=3, entered_by=world.facilitator, channel="online"
        )
    assert world.client("participant").get(give_url(world.project.slug) + "enter/").status_code == 403


# --- Triage and sharing ------------------------------------------------------------------------------


def test_facilitators_triage_and_link_feedback_to_a_commitment(world):
    given = services.feedback_give(project=world.project, text="Lights please", feeling=2, given_by=world.participant)
    promise = ft.commitment(world.project, created_by=world.facilitator, title="Light the path")
    stranger = factories.UserFactory()
    other = ft.Commitment.objects.create(
        project=factories.ProjectFactory(), title="Elsewhere", owner=stranger, created_by=stranger, due_on=ft.past(0)
    )
    url = give_url(world.project.slug) + f"{given.pk}/triage/"
    assert world.client("participant").post(url, {"triage": "act_on"}).status_code == 403  # not theirs to triage
    response = world.client("facilitator").post(
        url, {"triage": "act_on", "note": "Ask highways", "commitment": promise.pk}
    )
    assert response.status_code == 302
    given.refresh_from_db()
    assert (given.triage, given.triage_note, given.commitment, given.triaged_by) == (
        "act_on",
        "Ask highways",
        promise,
        world.facilitator,
    )
    assert world.client("facilitator").post(url, {"triage": "act_on", "commitment": other.pk}).status_code == 400
    assert world.client("facilitator").post(url, {"triage": "ignore"}).status_code == 400
    listed = world.client("facilitator").get(give_url(world.project.slug) + "received/?triage=act_on").content.decode()
    assert "Lights please" in listed


def test_an_excerpt_is_shared_only_with_consent_in_the_givers_own_words_and_shown_on_you_said_we_did(world):
    private = services.feedback_give(
        project=world.project, text="The bus driver was rude to my son", feeling=1, given_by=world.participant
    )
    share = give_url(world.project.slug) + f"{private.pk}/share/"
    response = world.client("facilitator").post(share, {"excerpt": "The bus driver was rude"})
    assert response.status_code == 400 and "did not agree" in response.content.decode()
    private.refresh_from_db()
    assert private.shared_at is None and private.public_excerpt == ""
    with pytest.raises(IntegrityError), transaction.atomic():
        FeedbackMoment.objects.filter(pk=private.pk).update(shared_at=timezone.now())

    consented = services.feedback_give(
        project=world.project,
        text="Staff at the library listened to me, and the new ramp means I can get in on my own.",
        feeling=5,
        given_by=world.expert,
        consent_to_share=True,
    )
    share = give_url(world.project.slug) + f"{consented.pk}/share/"
    # Words added or changed are refused; words left out (marked …) are fine.
    invented = world.client("facilitator").post(share, {"excerpt": "Staff were wonderful and kind"})
    assert invented.status_code == 400 and "own words" in invented.content.decode()
    assert world.client("participant").post(share, {"excerpt": "listened"}).status_code == 403
    ok = world.client("facilitator").post(
        share, {"excerpt": "Staff at the library listened to me … I can get in on my own."}
    )
    assert ok.status_code == 302
    page = world.client("anonymous").get(f"/p/{world.project.slug}/you-said-we-did/").content.decode()
    assert "What people told us" in page
    assert "Staff at the library listened to me … I can get in on my own." in page
    assert world.expert.public_name not in page and "rude" not in page

    # The giver changes their mind: it is no longer quoted anywhere.
    assert world.client("expert").post(give_url(world.project.slug) + f"{consented.pk}/withdraw/").status_code == 302
    page = world.client("anonymous").get(f"/p/{world.project.slug}/you-said-we-did/").content.decode()
    assert "listened to me" not in page
    assert (
        world.client("participant").post(give_url(world.project.slug) + f"{consented.pk}/withdraw/").status_code == 404
    )


def test_the_excerpt_check_allows_cuts_but_not_additions():
    text = "The ramp is great. But the door is too heavy for me to open alone."
    assert services.excerpt_is_from("The ramp is great … too heavy for me to open alone.", text)
    assert services.excerpt_is_from("“the door is too heavy”", text)
    assert not services.excerpt_is_from("The door is light", text)
    assert not services.excerpt_is_from("too heavy … The ramp is great", text)  # not in the giver's order
    assert not services.excerpt_is_from("…", text)


def test_facilitators_switch_anonymous_feedback_on_in_the_settings(world):
    url = give_url(world.project.slug) + "settings/"
    assert world.client("participant").get(url).status_code == 403
    response = world.client("facilitator").post(url, {"allow_anonymous": "on", "intro": "We read it every Friday."})
    assert response.status_code == 302
    assert services.anonymous_feedback_allowed(world.project)
    assert "We read it every Friday." in world.client("anonymous").get(give_url(world.project.slug)).content.decode()


def test_the_feedback_pages_escape_what_people_wrote(world):
    given = ft.feedback(world.project, given_by=world.participant, contact=factories.XSS, tags=["staff"])
    for url in (give_url(world.project.slug) + "received/", give_url(world.project.slug) + f"{given.pk}/"):
        body = world.client("facilitator").get(url).content.decode()
        assert "<script>alert(1)</script>" not in body and "&lt;script&gt;" in body


# --- Personal data -----------------------------------------------------------------------------------


def test_personal_data_includes_feedback_given_and_erasing_drops_who_gave_it_and_the_contact(world):
    given = services.feedback_give(
        project=world.project, text="Kept words", feeling=4, given_by=world.participant, contact="me@example.org"
    )
    component = registry.get("followthrough")
    assert component.personal_data is not None and component.erase_personal_data is not None
    data = component.personal_data(world.participant)
    assert data["feedback_given"][0]["text"] == "Kept words"
    assert data["feedback_given"][0]["contact"] == "me@example.org"
    component.erase_personal_data(world.participant)
    given.refresh_from_db()
    assert given.text == "Kept words" and given.given_by is None and given.contact == ""


INVISIBLE = "\u200b\u2060 \ufeff\u200d"  # zero-width space, word joiner, space, BOM, zero-width joiner


def test_feedback_of_only_invisible_characters_is_refused_like_whitespace(world):
    with pytest.raises(ValidationError) as refused:
        services.feedback_give(project=world.project, text=INVISIBLE, feeling=3, given_by=world.participant)
    assert "what happened" in refused.value.message_dict["text"][0]
    response = world.client("participant").post(give_url(world.project.slug), {**GOOD, "text": INVISIBLE})
    assert response.status_code == 400
    assert "Tell us what happened, in a few words." in response.content.decode()
    entered = world.client("facilitator").post(
        give_url(world.project.slug) + "enter/", {**GOOD, "channel": "phone", "text": "\u200b"}
    )
    assert entered.status_code == 400
    # Optional text of only invisible characters is kept as nothing.
    given = services.feedback_give(
        project=world.project, text="Kind staff", feeling=4, given_by=world.participant, contact="\u200b"
    )
    assert given.contact == ""
    assert FeedbackMoment.objects.count() == 1


def test_my_feedback_lists_what_a_practitioner_entered_for_others_as_well_as_their_own(world):
    client = world.client("expert")
    assert client.post(give_url(world.project.slug) + "enter/", {**GOOD, "channel": "phone", "text": "By phone"})
    assert client.post(give_url(world.project.slug), {**GOOD, "text": "My own words"}).status_code == 302
    services.feedback_give(project=world.project, text="Someone else's", feeling=2, given_by=world.participant)
    mine = client.get(give_url(world.project.slug) + "mine/").content.decode()
    assert "By phone" in mine and "My own words" in mine and "Someone else&#x27;s" not in mine
    assert "You entered it for someone (Phone call)" in mine
    assert mine.count("You entered it for someone") == 1
    theirs = world.client("participant").get(give_url(world.project.slug) + "mine/").content.decode()
    assert "By phone" not in theirs and "Someone else" in theirs
