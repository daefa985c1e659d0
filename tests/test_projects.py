"""Organisations and projects: scope by agreement, timeline, decision rules, self-assessments, members."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from copro.core.models import ActivityEntry
from copro.projects import frameworks, services
from copro.projects.models import (
    Invitation,
    Membership,
    Organisation,
    Project,
    ScopeChange,
    ScopeItem,
)
from tests import factories
from tests.conftest import Outbox, client_for, give_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(db):
    user = factories.UserFactory(email="staff@council.example")
    membership = factories.OrganisationMembershipFactory(user=user)
    give_totp(user)
    return user, membership.organisation


def create_form(organisation, **overrides):
    data = {
        "organisation": organisation.pk,
        "title": "Day centre menus",
        "purpose": "People who use the day centre decide the menu with the kitchen team.",
        "visibility": "public",
        "budget_amount": "12000",
        "budget_currency": "GBP",
        "can_influence": "Which meals are served\nWhen lunch is served",
        "fixed_1_text": "Food hygiene rules",
        "fixed_1_reason": "They are the law.",
        "form_token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


def test_staff_start_a_project_with_both_scope_lists(staff):
    user, organisation = staff
    response = client_for(user).post("/projects/new/", create_form(organisation))
    project = Project.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/p/{project.slug}/"
    assert [i.text for i in project.scope_items.filter(kind="can")] == [
        "Which meals are served",
        "When lunch is served",
    ]
    fixed = project.scope_items.get(kind="fixed")
    assert (fixed.text, fixed.reason) == ("Food hygiene rules", "They are the law.")
    assert Membership.objects.get(project=project).role == "facilitator"
    assert project.steps.count() == 5
    assert ActivityEntry.objects.filter(project=project, verb="projects.created").count() == 1
    page = client_for(None).get(f"/p/{project.slug}/").content.decode()
    assert "What you can influence" in page and "They are the law." in page


def test_a_fixed_line_without_a_reason_is_refused_and_nothing_is_saved(staff):
    user, organisation = staff
    response = client_for(user).post("/projects/new/", create_form(organisation, fixed_1_reason=""))
    assert response.status_code == 400
    assert "Say why this is fixed" in response.content.decode()
    assert not Project.objects.exists() and not ScopeItem.objects.exists()


def test_a_double_submit_creates_one_project_and_says_so(staff):
    user, organisation = staff
    client = client_for(user)
    form = create_form(organisation)
    first = client.post("/projects/new/", form)
    second = client.post("/projects/new/", form)
    assert first.status_code == 302
    assert second.status_code == 409
    assert "already been sent" in second.content.decode()
    assert Project.objects.count() == 1 and ScopeItem.objects.count() == 3


def test_only_staff_of_the_organisation_can_start_a_project_for_it(staff, world):
    _user, organisation = staff
    participant = world.participant
    response = client_for(participant).post("/projects/new/", create_form(organisation))
    assert response.status_code == 403
    with pytest.raises(ValidationError):
        services.project_create(
            user=participant, organisation=organisation, title="x", purpose="y", visibility="public"
        )
    assert not Project.objects.filter(title="Day centre menus").exists()


def test_oversize_and_malformed_fields_get_clear_errors(staff):
    user, organisation = staff
    client = client_for(user)
    response = client.post(
        "/projects/new/", create_form(organisation, title="x" * 201, budget_amount="lots", budget_currency="pounds")
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "at most 200 characters" in body and "Enter a number." in body
    assert not Project.objects.exists()


def test_registering_an_organisation_makes_the_person_its_first_staff_member(world):
    client = client_for(world.participant)
    response = client.post("/organisations/new/", {"name": "Llanwern Youth Trust", "form_token": str(uuid.uuid4())})
    organisation = Organisation.objects.get(name="Llanwern Youth Trust")
    assert response.status_code == 302
    assert organisation.memberships.get().user == world.participant
    # Now staff, they must set up two-factor authentication before anything else.
    assert client.get("/").status_code == 302


# --- Scope changes by agreement ------------------------------------------------------------------


def test_before_participants_join_facilitators_edit_the_scope_directly(staff):
    user, organisation = staff
    project = services.project_create(user=user, organisation=organisation, title="P", purpose="Q", visibility="public")
    change = services.scope_change_propose(user=user, project=project, action="add", kind="can", text="Menus")
    assert change.status == "agreed"
    assert project.scope_items.get().text == "Menus"


def test_once_participants_have_joined_a_change_needs_a_facilitator_and_a_participant(world, outbox, run_tasks):
    project = world.project
    change = services.scope_change_propose(
        user=world.facilitator, project=project, action="add", kind="can", text="Bus stop locations"
    )
    assert change.status == "open"
    assert not project.scope_items.filter(text="Bus stop locations").exists()
    # An expert agreeing is not enough: both sides of the partnership must agree.
    services.scope_change_respond(user=world.expert, change=change, agrees=True)
    change.refresh_from_db()
    assert change.status == "open"
    services.scope_change_respond(user=world.participant, change=change, agrees=True)
    change.refresh_from_db()
    assert change.status == "agreed"
    assert project.scope_items.filter(text="Bus stop locations", removed_at__isnull=True).exists()
    run_tasks()
    # Members are told: of the proposal (everyone but the proposer), then of the change (everyone).
    for person in (world.participant, world.expert, world.observer):
        subjects = [m["Subject"] for m in outbox.to(person.email)]
        assert any("proposed" in s for s in subjects) and any("has changed" in s for s in subjects), subjects


def test_an_objection_holds_a_change_until_it_is_withdrawn(world):
    project = world.project
    change = services.scope_change_propose(
        user=world.participant,
        project=project,
        action="add",
        kind="fixed",
        text="Opening times",
        reason="Set by contract",
    )
    with pytest.raises(ValidationError):
        services.scope_change_respond(user=world.expert, change=change, agrees=False, comment="  ")
    services.scope_change_respond(user=world.expert, change=change, agrees=False, comment="Contract ends in May")
    services.scope_change_respond(user=world.facilitator, change=change, agrees=True)
    change.refresh_from_db()
    assert change.status == "open"
    services.scope_change_respond(user=world.expert, change=change, agrees=True, comment="Answered, thanks")
    change.refresh_from_db()
    assert change.status == "agreed"


def test_editing_a_line_keeps_the_old_wording_on_record(world):
    project = world.project
    item = project.scope_items.filter(kind="can").first()
    change = services.scope_change_propose(
        user=world.facilitator, project=project, action="edit", item=item, kind="can", text="New wording"
    )
    services.scope_change_respond(user=world.participant, change=change, agrees=True)
    item.refresh_from_db()
    assert item.removed_at is not None
    assert project.scope_items.filter(text="New wording", removed_at__isnull=True).exists()
    page = client_for(None).get(f"/p/{project.slug}/scope/").content.decode()
    assert "New wording" in page and "History of the scope" in page


def test_a_facilitator_closes_a_change_that_was_not_agreed_with_a_reason(world):
    change = services.scope_change_propose(
        user=world.participant, project=world.project, action="add", kind="can", text="Staff pay"
    )
    client = world.client("facilitator")
    refused = client.post(f"/p/{world.project.slug}/scope/{change.pk}/close/", {"note": "   "})
    assert refused.status_code == 400
    closed = client.post(f"/p/{world.project.slug}/scope/{change.pk}/close/", {"note": "Set nationally"})
    assert closed.status_code == 302
    change.refresh_from_db()
    assert (change.status, change.outcome_note) == ("not_agreed", "Set nationally")
    with pytest.raises(ValidationError):
        services.scope_change_respond(user=world.participant, change=change, agrees=True)


def test_the_proposer_can_withdraw_and_others_cannot(world):
    change = services.scope_change_propose(
        user=world.participant, project=world.project, action="add", kind="can", text="A"
    )
    with pytest.raises(ValidationError):
        services.scope_change_close(user=world.facilitator, change=change, note="", withdraw=True)
    response = world.client("participant").post(f"/p/{world.project.slug}/scope/{change.pk}/close/", {"withdraw": "1"})
    assert response.status_code == 302
    change.refresh_from_db()
    assert change.status == "withdrawn"


def test_the_public_sees_how_many_responded_but_not_who(world):
    change = services.scope_change_propose(
        user=world.participant, project=world.project, action="add", kind="can", text="Parking"
    )
    services.scope_change_respond(user=world.expert, change=change, agrees=False, comment="Too costly")
    public = client_for(None).get(f"/p/{world.project.slug}/scope/").content.decode()
    member = world.client("observer").get(f"/p/{world.project.slug}/scope/").content.decode()
    assert "2 responses so far" in public and "Too costly" not in public
    assert "Too costly" in member


# --- Timeline, decisions, self-assessments, steps --------------------------------------------------


def test_a_phase_that_ends_before_it_starts_is_refused(world):
    client = world.client("facilitator")
    response = client.post(
        f"/p/{world.project.slug}/timeline/", {"name": "Listen", "starts_on": "2026-05-01", "ends_on": "2026-04-01"}
    )
    assert response.status_code == 400 and "cannot end before it starts" in response.content.decode()
    ok = client.post(
        f"/p/{world.project.slug}/timeline/", {"name": "Listen", "starts_on": "2026-04-01", "ends_on": "2026-05-01"}
    )
    assert ok.status_code == 302 and world.project.phases.get().name == "Listen"


def test_decision_rules_are_equal_votes_by_default_and_weights_are_shown(world):
    project = world.project
    assert project.equal_votes and project.vote_weight("participant") == project.vote_weight("facilitator") == 1
    assert project.vote_weight("observer") == 0  # observers do not vote by default
    client = world.client("facilitator")
    response = client.post(
        f"/p/{project.slug}/decision-rules/",
        {
            "decision_method": "majority",
            "decision_rules": "One person, one vote, except…",
            "voting_roles": ["participant", "facilitator"],
            "weight_participant": 2,
            "weight_expert": 1,
            "weight_facilitator": 1,
            "weight_observer": 1,
        },
    )
    assert response.status_code == 302
    project.refresh_from_db()
    assert project.vote_weights == {"participant": 2} and not project.equal_votes
    page = client_for(None).get(f"/p/{project.slug}/").content.decode()
    assert "Votes are weighted" in page and "Participant × 2" in page
    bad = client.post(
        f"/p/{project.slug}/decision-rules/",
        {
            "decision_method": "majority",
            "voting_roles": [],
            "weight_participant": 0,
            "weight_expert": 1,
            "weight_facilitator": 1,
            "weight_observer": 1,
        },
    )
    assert bad.status_code == 400


def test_vote_weights_must_be_small_whole_numbers(world):
    with pytest.raises(ValidationError):
        services.project_update(
            user=world.facilitator, project=world.project, changes={"vote_weights": {"participant": 1000}}
        )
    with pytest.raises(ValidationError):
        services.project_update(user=world.facilitator, project=world.project, changes={"voting_roles": ["king"]})


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        (
            {"why": "coproduction", "decide": "coproduction", "voice": "coproduction", "work": "coproduction"},
            "coproduction",
        ),
        ({"why": "information", "decide": "education", "voice": "consultation", "work": "information"}, "information"),
        (
            {"why": "coproduction", "decide": "consultation", "voice": "consultation", "work": "coproduction"},
            "consultation",
        ),  # the lower median: generous answers cannot lift the level
        ({}, None),
    ],
)
def test_the_self_assessment_suggests_a_level(answers, expected):
    assert frameworks.suggest_engagement_level(answers) == expected


def test_facilitators_confirm_the_engagement_level_on_the_page(world):
    client = world.client("facilitator")
    suggest = client.post(f"/p/{world.project.slug}/engagement/", {"q_why": "participation", "suggest": "1"})
    assert suggest.status_code == 200 and "Your answers point to" in suggest.content.decode()
    save = client.post(f"/p/{world.project.slug}/engagement/", {"q_why": "participation", "level": "participation"})
    assert save.status_code == 302
    world.project.refresh_from_db()
    assert world.project.engagement_level == "participation"
    assert "Doing with" in client_for(None).get(f"/p/{world.project.slug}/").content.decode()


@pytest.mark.parametrize(
    ("crisis", "obvious", "analysable", "domain", "advice"),
    [
        ("yes", "no", "no", "chaotic", "Act first"),
        ("no", "yes", "no", "simple", "good practice"),
        ("no", "no", "yes", "complicated", "Call in the specialists"),
        ("no", "no", "no", "complex", "Gather the people"),
    ],
)
def test_cynefin_questions_place_the_project_and_give_advice(world, crisis, obvious, analysable, domain, advice):
    client = world.client("facilitator")
    response = client.post(
        f"/p/{world.project.slug}/kind-of-problem/", {"crisis": crisis, "obvious": obvious, "analysable": analysable}
    )
    assert response.status_code == 302
    world.project.refresh_from_db()
    assert world.project.cynefin_domain == domain
    assert advice in client_for(None).get(f"/p/{world.project.slug}/").content.decode()


def test_a_step_is_ticked_only_with_evidence(world):
    client = world.client("facilitator")
    client.post(f"/p/{world.project.slug}/steps/", {"step": "buy_in", "done": "on", "evidence": " "})
    assert not world.project.steps.filter(step="buy_in", done=True).exists()
    client.post(f"/p/{world.project.slug}/steps/", {"step": "buy_in", "done": "on", "evidence": "Board minute 12"})
    check = world.project.steps.get(step="buy_in")
    assert check.done and check.evidence == "Board minute 12"
    assert world.client("participant").post(f"/p/{world.project.slug}/steps/", {"step": "buy_in"}).status_code == 403


# --- Invitations and membership --------------------------------------------------------------


def invite(world, outbox, run_tasks, email="new.person@example.org", role="participant"):
    response = world.client("facilitator").post(
        f"/p/{world.project.slug}/members/", {"email": email, "role": role, "form_token": str(uuid.uuid4())}
    )
    assert response.status_code == 302
    run_tasks()
    message = outbox.to(email)[-1]
    return re.search(r"/invitations/[^/\s]+/", Outbox.text(message)).group(0)


def test_an_invitation_link_makes_its_holder_a_member_once(world, outbox, run_tasks):
    path = invite(world, outbox, run_tasks)
    newcomer = factories.UserFactory(email="new.person@example.org")
    client = client_for(newcomer)
    assert "What you can influence" in client.get(path).content.decode()
    joined = client.post(path, {})
    assert joined.status_code == 302
    assert Membership.objects.get(project=world.project, user=newcomer).role == "participant"
    again = client_for(factories.UserFactory()).post(path, {})
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_an_expired_or_unknown_invitation_gets_a_clear_message(world, outbox, run_tasks):
    path = invite(world, outbox, run_tasks)
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client_for(factories.UserFactory()).get(path)
    assert response.status_code == 410 and "expired" in response.content.decode()
    unknown = client_for(None).get("/invitations/not-a-real-token/")
    assert unknown.status_code == 410 and "not valid" in unknown.content.decode()


def test_the_invitation_token_is_not_stored(world, outbox, run_tasks):
    path = invite(world, outbox, run_tasks)
    token = path.split("/")[2]
    assert not Invitation.objects.filter(token_hash=token).exists()


def test_anyone_can_step_back_but_the_last_facilitator_must_hand_over_first(world):
    assert world.client("participant").post(f"/p/{world.project.slug}/leave/", {}).status_code == 302
    assert not Membership.objects.filter(project=world.project, user=world.participant).exists()
    world.client("facilitator").post(f"/p/{world.project.slug}/leave/", {})
    assert Membership.objects.filter(project=world.project, user=world.facilitator).exists()


def test_a_facilitator_cannot_demote_the_last_facilitator(world):
    membership = Membership.objects.get(project=world.project, user=world.facilitator)
    with pytest.raises(ValidationError):
        services.membership_change_role(user=world.facilitator, membership=membership, role="participant")


# --- Pages stay flat as data grows -----------------------------------------------------------------


def test_the_project_page_query_count_does_not_grow_with_the_scope_or_members(world, django_assert_max_num_queries):
    client = client_for(None)
    client.get(f"/p/{world.project.slug}/")  # warm up
    for _ in range(30):
        factories.ScopeItemFactory(project=world.project)
        factories.MembershipFactory(project=world.project)
    with django_assert_max_num_queries(20):
        client.get(f"/p/{world.project.slug}/")
    facilitator = world.client("facilitator")
    facilitator.get(f"/p/{world.project.slug}/members/")  # warm up (session)
    with django_assert_max_num_queries(20):
        facilitator.get(f"/p/{world.project.slug}/members/")
    with django_assert_max_num_queries(20):
        client.get(f"/p/{world.project.slug}/scope/")


def test_the_activity_timeline_is_paged(world):
    for i in range(60):
        services.phase_add(
            user=world.facilitator,
            project=world.project,
            name=f"Phase {i}",
            starts_on="2026-01-01",
            ends_on="2026-01-02",
        )
    client = client_for(None)
    first = client.get(f"/p/{world.project.slug}/activity/").content.decode()
    second = client.get(f"/p/{world.project.slug}/activity/?page=2").content.decode()
    assert "Phase 59" in first and "Phase 0" not in first and "Page 1 of 2" in first
    assert "Phase 0" in second and "Phase 59" not in second
    assert client.get(f"/p/{world.project.slug}/activity/?page=nonsense").status_code == 200


def test_the_pager_is_in_the_page_and_not_in_the_title(world):
    for i in range(60):
        services.phase_add(
            user=world.facilitator, project=world.project, name=f"P{i}", starts_on="2026-01-01", ends_on="2026-01-02"
        )
    html = client_for(None).get(f"/p/{world.project.slug}/activity/").content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.DOTALL).group(1)
    assert "<nav" not in title and title.strip().endswith("· Copro")
    assert html.count('class="pager"') == 1


def test_an_unlisted_project_is_readable_by_link_but_not_listed(world):
    world.project.visibility = "unlisted"
    world.project.save()
    anonymous = client_for(None)
    assert anonymous.get(f"/p/{world.project.slug}/").status_code == 200
    assert world.project.slug not in anonymous.get("/").content.decode()
    assert world.project.slug not in anonymous.get("/api/projects/").content.decode()
    assert world.project.slug in world.client("participant").get("/").content.decode()  # members see it


# --- Found in review --------------------------------------------------------------------------


def test_an_agreement_does_not_change_sides_when_its_author_changes_role(world):
    """A facilitator's "yes", given as facilitator, never counts for the participants' side."""
    second = factories.UserFactory()
    give_totp(second)
    factories.MembershipFactory(project=world.project, user=second, role="facilitator")
    change = services.scope_change_propose(
        user=world.facilitator, project=world.project, action="add", kind="can", text="Only staff agreed"
    )
    first = Membership.objects.get(project=world.project, user=world.facilitator)
    services.membership_change_role(user=second, membership=first, role="participant")
    services.scope_change_respond(user=second, change=change, agrees=True)
    change.refresh_from_db()
    assert change.status == "open"  # the first facilitator's earlier "yes" was not given as a participant
    services.membership_change_role(user=second, membership=first, role="facilitator")
    change.refresh_from_db()
    assert change.status == "open"  # two facilitators agree; no participant does


def test_an_objection_from_someone_who_has_stepped_back_no_longer_blocks(world):
    change = services.scope_change_propose(
        user=world.participant, project=world.project, action="add", kind="can", text="Crossings"
    )
    services.scope_change_respond(user=world.expert, change=change, agrees=False, comment="Not sure")
    services.scope_change_respond(user=world.facilitator, change=change, agrees=True)
    assert ScopeChange.objects.get(pk=change.pk).status == "open"
    services.membership_leave(user=world.expert, project=world.project)
    assert ScopeChange.objects.get(pk=change.pk).status == "agreed"


def test_two_agreed_changes_to_one_line_cannot_both_apply(world):
    item = world.project.scope_items.filter(kind="can").first()
    a = services.scope_change_propose(
        user=world.participant, project=world.project, action="edit", item=item, kind="can", text="Version A"
    )
    b = services.scope_change_propose(user=world.participant, project=world.project, action="remove", item=item)
    services.scope_change_respond(user=world.facilitator, change=a, agrees=True)
    services.scope_change_respond(user=world.facilitator, change=b, agrees=True)
    b.refresh_from_db()
    assert b.status == "not_agreed" and "Overtaken" in b.outcome_note
    assert list(
        world.project.scope_items.filter(removed_at__isnull=True, kind="can").values_list("text", flat=True)
    ) == ["Version A"]


def test_a_facilitator_can_withdraw_an_invitation_and_its_link_stops_working(world, outbox, run_tasks):
    path = invite(world, outbox, run_tasks)
    invitation = Invitation.objects.get()
    response = world.client("facilitator").post(
        f"/p/{world.project.slug}/members/invitations/{invitation.pk}/withdraw/", {}
    )
    assert response.status_code == 302
    used = client_for(factories.UserFactory()).post(path, {})
    assert used.status_code == 410 and "withdrawn" in used.content.decode()
    assert (
        world.client("participant")
        .post(f"/p/{world.project.slug}/members/invitations/{invitation.pk}/withdraw/", {})
        .status_code
        == 403
    )


def test_an_invitation_opened_by_an_existing_member_is_not_used_up(world, outbox, run_tasks):
    path = invite(world, outbox, run_tasks, role="facilitator")
    response = world.client("observer").post(path, {})
    assert response.status_code == 302
    assert Membership.objects.get(project=world.project, user=world.observer).role == "observer"
    assert Invitation.objects.get().accepted_at is None


def test_invitations_are_rate_limited_per_facilitator(world, settings):
    limit = int(settings.ACCOUNT_RATE_LIMITS["project_invite"].split("/")[0])
    client = world.client("facilitator")
    statuses = [
        client.post(
            f"/p/{world.project.slug}/members/", {"email": f"n{i}@example.org", "role": "participant"}
        ).status_code
        for i in range(limit + 1)
    ]
    assert statuses[-1] == 429 and set(statuses[:-1]) == {302}
    assert Invitation.objects.count() == limit


def test_an_unlisted_project_has_an_address_that_cannot_be_guessed_from_its_title(staff):
    user, organisation = staff
    project = services.project_create(
        user=user, organisation=organisation, title="Quiet review", purpose="x", visibility="unlisted"
    )
    assert project.slug.startswith("quiet-review-") and len(project.slug) > len("quiet-review-") + 8
    public = services.project_create(
        user=user, organisation=organisation, title="Open review", purpose="x", visibility="public"
    )
    services.project_update(user=user, project=public, changes={"visibility": "unlisted"})
    assert public.slug != "open-review"
    assert client_for(None).get("/p/open-review/").status_code == 404


def test_two_projects_created_at_once_with_the_same_title_both_get_an_address(staff, monkeypatch):
    """The race: both requests check the slug before either inserts. Simulated by giving the second one
    the first one's slug; the unique constraint catches it and the second takes a suffix."""
    user, organisation = staff
    first = services.project_create(
        user=user, organisation=organisation, title="Bus routes", purpose="x", visibility="public"
    )
    monkeypatch.setattr(services, "_unique_slug", lambda *args, **kwargs: first.slug)
    second = services.project_create(
        user=user, organisation=organisation, title="Bus routes", purpose="x", visibility="public"
    )
    assert second.slug != first.slug and second.slug.startswith("bus-routes-")
    org = services.organisation_create(user=user, name="Bus routes")
    assert org.slug == first.slug  # organisations have their own addresses
    same_org = services.organisation_create(user=user, name="Bus routes")
    assert same_org.slug != org.slug
    assert client_for(None).get(f"/p/{second.slug}/").status_code == 200


def test_reserved_words_are_never_slugs(staff):
    user, _organisation = staff
    organisation = services.organisation_create(user=user, name="New")
    assert organisation.slug != "new"
    assert client_for(None).get(f"/organisations/{organisation.slug}/").status_code == 200


def test_a_facilitator_who_is_not_staff_must_set_up_two_factor_authentication(world):
    newcomer = factories.UserFactory()
    factories.MembershipFactory(project=world.project, user=newcomer, role="facilitator")
    assert client_for(newcomer).get(f"/p/{world.project.slug}/members/").status_code == 302
    give_totp(newcomer)
    assert client_for(newcomer).get(f"/p/{world.project.slug}/members/").status_code == 200


def test_the_demo_refuses_to_load_on_a_production_site(settings):
    from django.core.management import CommandError, call_command

    settings.DEBUG = False
    with pytest.raises(CommandError, match="for development"):
        call_command("demo")
    assert not Organisation.objects.exists()


def test_an_objection_without_a_reason_is_refused_with_a_message(world):
    change = services.scope_change_propose(
        user=world.participant, project=world.project, action="add", kind="can", text="Lighting"
    )
    response = world.client("expert").post(
        f"/p/{world.project.slug}/scope/{change.pk}/respond/", {"agrees": "no", "comment": ""}
    )
    assert response.status_code == 400 and "say why you object" in response.content.decode()
    assert not change.responses.filter(user=world.expert).exists()
