"""Pressure-testing: review rounds, criteria, invited reviewers (peers and experts), scores checked against the
scale, the spread of results computed exactly, peers and experts side by side, who sees what, and responses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from copro.ideas import selectors, services
from copro.ideas.models import AuthorResponse, IdeaEvent, Reviewer, ReviewScore, RoundStatus
from copro.ideas.spread import quantile, spread
from copro.projects import services as project_services
from copro.projects.models import Invitation, hash_token
from tests import factories
from tests.conftest import client_for
from tests.factories import XSS
from tests.factories_ideas import idea, member, review_round

ONE = [{"name": "Difference it makes", "question": "How much?", "low_label": "Little", "high_label": "A lot"}]


def rurl(the_round, *parts) -> str:
    return f"/p/{the_round.project.slug}/ideas/reviews/{the_round.pk}/" + "".join(f"{p}/" for p in parts)


def sheet(the_round, the_idea) -> str:
    return rurl(the_round, "ideas", the_idea.pk, "review")


def results_url(the_round, the_idea) -> str:
    return rurl(the_round, "ideas", the_idea.pk, "results")


@pytest.fixture
def setup(world):
    # Written by another participant: the reviewers (the participant, the expert) did not write it.
    the_idea = idea(world.project, member(world.project, email="writer@example.org"))
    the_round = review_round(
        world.project, world.facilitator, [the_idea], peers=(world.participant,), experts=(world.expert,)
    )
    return the_round, the_idea


# --- The arithmetic, by hand ---------------------------------------------------------------------------


def test_the_spread_of_a_hand_made_set_of_scores():
    result = spread([5, 1, 4, 2], range(1, 6))
    assert (result.count, result.low, result.high) == (4, 1, 5)
    assert (result.lower_quartile, result.median, result.upper_quartile) == (1.75, 3.0, 4.25)
    assert result.mean == 3.0
    assert result.histogram == [(1, 1), (2, 1), (3, 0), (4, 1), (5, 1)]
    odd = spread([3, 3, 4, 5, 1], range(1, 6))
    assert (odd.lower_quartile, odd.median, odd.upper_quartile) == (3.0, 3.0, 4.0)
    one = spread([2], range(1, 6))
    assert (one.low, one.lower_quartile, one.median, one.upper_quartile, one.high) == (2, 2, 2, 2, 2)
    none = spread([], range(1, 4))
    assert none.count == 0 and none.median is None and none.histogram == [(1, 0), (2, 0), (3, 0)]
    assert quantile([1, 2, 3, 4, 5, 6, 7, 8, 9], 0.25) == 3.0


# --- Scoring --------------------------------------------------------------------------------------------


def test_a_score_outside_the_range_is_a_clear_form_error_and_nothing_is_saved(world, setup):
    the_round, the_idea = setup
    criteria = list(the_round.criteria.all())
    data = {f"score_{c.pk}": "3" for c in criteria}
    data[f"score_{criteria[0].pk}"] = "9"
    data[f"comment_{criteria[1].pk}"] = "Fine"
    response = world.client("participant").post(sheet(the_round, the_idea), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "give a whole number from 1 to 5" in page
    assert f"score_{criteria[0].pk}" in response.context["form"].errors
    assert not ReviewScore.objects.exists()
    for bad in ("0", "-1", "abc", "3.5", "²"):
        data[f"score_{criteria[0].pk}"] = bad
        assert world.client("participant").post(sheet(the_round, the_idea), data).status_code == 400
    assert not ReviewScore.objects.exists()


def test_a_review_is_saved_and_can_be_changed_until_the_round_closes(world, setup):
    the_round, the_idea = setup
    criteria = list(the_round.criteria.all())
    client = world.client("expert")
    data = {f"score_{c.pk}": "4" for c in criteria} | {f"comment_{criteria[0].pk}": "Solid " + XSS}
    assert client.post(sheet(the_round, the_idea), data).status_code == 302
    assert ReviewScore.objects.filter(reviewer__user=world.expert).count() == len(criteria)
    data[f"score_{criteria[0].pk}"] = "2"
    data[f"score_{criteria[1].pk}"] = ""  # "I cannot say"
    assert client.post(sheet(the_round, the_idea), data).status_code == 302
    first = ReviewScore.objects.get(reviewer__user=world.expert, criterion=criteria[0])
    assert first.score == 2 and first.comment == "Solid " + XSS
    assert ReviewScore.objects.get(reviewer__user=world.expert, criterion=criteria[1]).score is None
    page = client.get(sheet(the_round, the_idea)).content.decode()
    assert 'value="2" checked' in page or 'checked value="2"' in page or "checked" in page
    services.round_close(user=world.facilitator, round=the_round)
    data[f"score_{criteria[0].pk}"] = "5"
    assert client.post(sheet(the_round, the_idea), data).status_code == 302
    assert ReviewScore.objects.get(reviewer__user=world.expert, criterion=criteria[0]).score == 2
    with pytest.raises(ValidationError):
        services.review_save(
            reviewer=Reviewer.objects.get(user=world.expert), round=the_round, idea=the_idea, entries={}
        )


def test_only_invited_reviewers_can_review(world, setup):
    the_round, the_idea = setup
    other = factories.UserFactory()
    factories.MembershipFactory(project=world.project, user=other, role="participant")
    assert client_get(world, "participant", sheet(the_round, the_idea)) == 200
    assert client_get(world, "expert", sheet(the_round, the_idea)) == 200
    assert client_for(other).get(sheet(the_round, the_idea)).status_code == 403
    assert client_get(world, "observer", sheet(the_round, the_idea)) == 403
    assert client_get(world, "outsider", sheet(the_round, the_idea)) == 403
    assert client_get(world, "anonymous", sheet(the_round, the_idea)) == 403
    assert client_get(world, "participant", rurl(the_round, "ideas", 999999, "review")) == 404
    # A private project's round: outsiders get a 404, as for a round that does not exist.
    secret = idea(world.private_project, world.participant)
    private_round = review_round(world.private_project, world.facilitator, [secret], peers=(world.participant,))
    assert client_get(world, "outsider", sheet(private_round, secret)) == 404
    assert client_get(world, "anonymous", rurl(private_round)) == 404
    # A round being prepared is not there for anyone but facilitators, even its reviewers.
    draft = review_round(
        world.project, world.facilitator, [idea(world.project, world.expert)], peers=(world.participant,), open=False
    )
    assert client_get(world, "participant", rurl(draft)) == 404
    assert client_get(world, "facilitator", rurl(draft)) == 200


def client_get(world, persona, path) -> int:
    return world.client(persona).get(path).status_code


# --- Results ---------------------------------------------------------------------------------------------


def _score(the_round, the_idea, user, value, comment=""):
    reviewer = Reviewer.objects.get(round=the_round, user=user)
    criterion = the_round.criteria.first()
    services.review_save(reviewer=reviewer, round=the_round, idea=the_idea, entries={criterion.pk: (value, comment)})


def test_results_separate_peers_and_experts_and_give_the_exact_spread(world):
    the_idea = idea(world.project, world.participant)
    peers = [factories.UserFactory() for _ in range(4)]
    experts = [factories.UserFactory() for _ in range(2)]
    for person in peers:
        factories.MembershipFactory(project=world.project, user=person, role="participant")
    for person in experts:
        factories.MembershipFactory(project=world.project, user=person, role="expert")
    the_round = review_round(
        world.project, world.facilitator, [the_idea], peers=tuple(peers), experts=tuple(experts), criteria=ONE
    )
    for person, value in zip(peers, [5, 1, 4, 2], strict=True):
        _score(the_round, the_idea, person, value, f"peer says {value}")
    for person, value in zip(experts, [3, 4], strict=True):
        _score(the_round, the_idea, person, value, f"expert says {value} " + XSS)
    (result,) = selectors.round_results(the_round)
    (row,) = result.criteria
    assert (row.peers.count, row.peers.low, row.peers.median, row.peers.high) == (4, 1, 3.0, 5)
    assert (row.peers.lower_quartile, row.peers.upper_quartile) == (1.75, 4.25)
    assert (row.experts.count, row.experts.median, row.experts.lower_quartile) == (2, 3.5, 3.25)
    assert sorted(row.peer_comments) == ["peer says 1", "peer says 2", "peer says 4", "peer says 5"]
    assert all(c.startswith("expert says") for c in row.expert_comments)
    assert (result.peer_reviewers, result.expert_reviewers) == (4, 2)

    page = world.client("facilitator").get(results_url(the_round, the_idea)).content.decode()
    peers_col, experts_col = page.split('class="side__title">Peers')[1].split('class="side__title">Experts')
    experts_col = experts_col.split("Who said what")[0]
    assert "1.75" in peers_col and "4.25" in peers_col and "peer says 5" in peers_col and "expert says" not in peers_col
    assert "3.25" in experts_col and "expert says 3 &lt;script&gt;" in experts_col and "peer says" not in experts_col
    assert "<svg" in peers_col and "<table" in peers_col and XSS not in page
    assert "Who said what (facilitators only)" in page


def test_results_are_for_facilitators_while_open_and_for_members_and_authors_after_close(world, setup):
    the_round, the_idea = setup
    _score(the_round, the_idea, world.expert, 4)
    assert client_get(world, "facilitator", results_url(the_round, the_idea)) == 200
    for persona in ("participant", "expert", "observer"):
        assert client_get(world, persona, results_url(the_round, the_idea)) == 403
    assert (
        "Only facilitators see these while the round is open"
        in world.client("facilitator").get(rurl(the_round)).content.decode()
    )
    services.round_close(user=world.facilitator, round=the_round)
    for persona in ("participant", "expert", "observer", "facilitator"):
        assert client_get(world, persona, results_url(the_round, the_idea)) == 200
    assert client_get(world, "outsider", results_url(the_round, the_idea)) == 403
    page = world.client("observer").get(results_url(the_round, the_idea)).content.decode()
    assert "Who said what" not in page  # names are for facilitators only
    assert "published to every member" in page


def test_opening_a_round_moves_its_ideas_under_review_and_tells_reviewers_authors_and_supporters(
    world, run_tasks, outbox
):
    the_idea = idea(world.project, member(world.project, email="writer@example.org"))
    fan = factories.UserFactory(email="fan@example.org")
    services.idea_support(user=fan, idea=the_idea)
    the_round = review_round(
        world.project, world.facilitator, [the_idea], peers=(world.participant,), experts=(world.expert,), open=False
    )
    assert world.client("facilitator").post(rurl(the_round, "open"), {}).status_code == 302
    the_idea.refresh_from_db()
    the_round.refresh_from_db()
    assert the_round.status == RoundStatus.OPEN and the_idea.status == "under_review"
    assert IdeaEvent.objects.filter(idea=the_idea, kind="status", status="under_review").exists()
    run_tasks()
    assert "Under review" in outbox.to("fan@example.org")[0]["Subject"]
    invite = [m for m in outbox.to("expert@example.org") if "review" in m["Subject"].lower()]
    assert invite and "as: Expert" in outbox.text(invite[0])
    assert [m for m in outbox.to("participant@example.org") if "Please review" in m["Subject"]]
    services.round_close(user=world.facilitator, round=the_round)
    run_tasks()
    assert [m for m in outbox.to("writer@example.org") if "What reviewers said" in m["Subject"]]


def test_a_round_needs_ideas_criteria_and_reviewers_before_it_opens_and_is_fixed_once_open(world):
    the_idea = idea(world.project, world.participant)
    empty = review_round(world.project, world.facilitator, [the_idea], open=False)
    with pytest.raises(ValidationError, match="Invite at least one reviewer"):
        services.round_open(user=world.facilitator, round=empty)
    with pytest.raises(ValidationError):
        services.round_create(user=world.facilitator, project=world.project, title="x", criteria=[{"name": ""}])
    with pytest.raises(ValidationError):
        services.round_create(
            user=world.facilitator, project=world.project, title="x", criteria=[{**ONE[0], "scale_max": 11}]
        )
    services.reviewers_invite(user=world.facilitator, round=empty, members=[world.participant])
    services.round_open(user=world.facilitator, round=empty)
    with pytest.raises(ValidationError):
        services.round_update(user=world.facilitator, round=empty, title="y", criteria=ONE, idea_ids=[the_idea.pk])
    assert client_get(world, "facilitator", rurl(empty, "edit")) == 302
    with pytest.raises(ValidationError):
        services.reviewers_invite(user=world.facilitator, round=empty, members=[world.observer])


def test_the_round_form_offers_the_default_criteria_and_saves_a_draft(world):
    the_idea = idea(world.project, world.participant)
    client = world.client("facilitator")
    page = client.get(f"/p/{world.project.slug}/ideas/reviews/new/?idea={the_idea.pk}").content.decode()
    for name in ("Difference it makes", "Feasibility", "Cost", "Fit with scope", "Who benefits", "Risks"):
        assert f'value="{name}"' in page
    data = {
        "title": "Spring round",
        "ideas": [the_idea.pk],
        "name_1": "Feasibility",
        "low_label_1": "Hard",
        "high_label_1": "Easy",
        "scale_max_1": "3",
        "name_2": "Cost",
        "low_label_2": "",
        "high_label_2": "Cheap",
    }
    response = client.post(f"/p/{world.project.slug}/ideas/reviews/new/", data)
    assert response.status_code == 400 and "words for the lowest and the highest score" in response.content.decode()
    data["low_label_2"] = "Dear"
    response = client.post(f"/p/{world.project.slug}/ideas/reviews/new/", data)
    assert response.status_code == 302
    from copro.ideas.models import ReviewRound

    made = ReviewRound.objects.get()
    assert made.status == "draft" and [(c.name, c.scale_max) for c in made.criteria.all()] == [
        ("Feasibility", 3),
        ("Cost", 5),
    ]
    assert list(made.ideas.all()) == [the_idea]
    assert client_get(world, "participant", f"/p/{world.project.slug}/ideas/reviews/new/") == 403


def test_an_expert_invited_by_email_joins_the_project_and_finds_the_review_waiting(world, run_tasks, outbox):
    the_idea = idea(world.project, world.participant)
    the_round = review_round(world.project, world.facilitator, [the_idea], peers=(world.participant,), open=False)
    response = world.client("facilitator").post(
        rurl(the_round, "reviewers"), {"emails": "Dr.Jones@Example.org\nnot-an-address", "message": ""}
    )
    assert response.status_code == 400 and "not-an-address" in response.content.decode()
    world.client("facilitator").post(rurl(the_round, "reviewers"), {"emails": "Dr.Jones@Example.org"})
    waiting = Reviewer.objects.get(round=the_round, email="dr.jones@example.org")
    assert waiting.user is None and waiting.kind == "expert"
    invitation = Invitation.objects.get(email="dr.jones@example.org")
    assert invitation.role == "expert"
    services.round_open(user=world.facilitator, round=the_round)
    run_tasks()
    assert any("Please review" in m["Subject"] for m in outbox.to("dr.jones@example.org"))
    # She signs up and accepts the invitation (its link carries the token; here we make a fresh one).
    jones = factories.UserFactory(email="dr.jones@example.org")
    Invitation.objects.filter(pk=invitation.pk).update(token_hash=hash_token("tok"))
    project_services.invitation_accept(user=jones, token="tok")
    assert client_for(jones).get(sheet(the_round, the_idea)).status_code == 200
    assert Reviewer.objects.get(pk=waiting.pk).user == jones


def test_authors_respond_once_the_round_closes_and_the_response_shows_with_the_results(world, setup):
    the_round, the_idea = setup
    with pytest.raises(ValidationError):
        services.response_save(user=the_idea.author, round=the_round, idea=the_idea, text="Too early")
    services.round_close(user=world.facilitator, round=the_round)
    assert (
        world.client("expert").post(rurl(the_round, "ideas", the_idea.pk, "respond"), {"text": "x"}).status_code == 403
    )
    response = client_for(the_idea.author).post(
        rurl(the_round, "ideas", the_idea.pk, "respond"), {"text": "We will add lighting " + XSS}
    )
    assert response.status_code == 302
    assert AuthorResponse.objects.get().text.startswith("We will add lighting")
    page = world.client("observer").get(results_url(the_round, the_idea)).content.decode()
    assert "The authors&#x27; response" in page or "The authors' response" in page
    assert "We will add lighting &lt;script&gt;" in page
    assert IdeaEvent.objects.filter(idea=the_idea, kind="responded").count() == 1


def test_the_round_page_takes_the_same_number_of_queries_for_few_or_many_reviews(world):
    writer = member(world.project)
    ideas = [idea(world.project, writer) for _ in range(3)]
    the_round = review_round(
        world.project, world.facilitator, ideas, peers=(world.participant,), experts=(world.expert,)
    )
    client = world.client("facilitator")
    with CaptureQueriesContext(connection) as small:
        assert client.get(rurl(the_round)).status_code == 200
    people = []
    for n in range(20):
        person = factories.UserFactory()
        factories.MembershipFactory(project=world.project, user=person, role="participant" if n % 2 else "expert")
        people.append(person)
    services.reviewers_invite(user=world.facilitator, round=the_round, members=people)
    criteria = list(the_round.criteria.all())
    for reviewer in Reviewer.objects.filter(round=the_round):
        for the_idea in ideas:
            services.review_save(
                reviewer=reviewer,
                round=the_round,
                idea=the_idea,
                entries={c.pk: (str(1 + (reviewer.pk + c.pk) % 5), "why") for c in criteria},
            )
    with CaptureQueriesContext(connection) as large:
        assert client.get(rurl(the_round)).status_code == 200
    assert len(small) == len(large)
    with CaptureQueriesContext(connection) as one:
        assert client.get(results_url(the_round, ideas[0])).status_code == 200
    assert len(one) < 30


# --- Review findings ---------------------------------------------------------------------------------------


def test_nobody_reviews_an_idea_they_wrote_or_co_wrote(world):
    mine = idea(world.project, world.participant, title="My own idea")
    co_written = idea(world.project, world.expert, title="Co-written idea", co_authors=[world.participant])
    theirs = idea(world.project, member(world.project), title="Someone else's idea")
    left = idea(world.project, world.expert, title="Idea I left", co_authors=[world.participant])
    services.co_author_leave(user=world.participant, idea=left)
    the_round = review_round(
        world.project, world.facilitator, [mine, co_written, theirs, left], peers=(world.participant,), criteria=ONE
    )
    client = world.client("participant")
    page = client.get(rurl(the_round)).content.decode()
    assert page.count("You wrote this idea, so you do not review it.") == 2
    assert sheet(the_round, theirs) in page and sheet(the_round, left) in page
    assert sheet(the_round, mine) not in page and sheet(the_round, co_written) not in page
    criterion = the_round.criteria.get()
    for own in (mine, co_written):
        assert client.get(sheet(the_round, own)).status_code == 302
        response = client.post(sheet(the_round, own), {f"score_{criterion.pk}": "5"}, follow=True)
        assert "You wrote this idea, so you do not review it." in response.content.decode()
        with pytest.raises(ValidationError, match="You wrote this idea"):
            services.review_save(
                reviewer=Reviewer.objects.get(round=the_round, user=world.participant),
                round=the_round,
                idea=own,
                entries={criterion.pk: ("5", "")},
            )
        api = client.post(
            f"/api/projects/{world.project.slug}/idea-reviews/{the_round.pk}/ideas/{own.pk}/scores/",
            {"scores": [{"criterion": criterion.pk, "score": 5}]},
            content_type="application/json",
        )
        assert api.status_code == 403 and "You wrote this idea" in api.json()["detail"]
    assert not ReviewScore.objects.exists()
    assert client.post(sheet(the_round, theirs), {f"score_{criterion.pk}": "4"}).status_code == 302
    assert client.post(sheet(the_round, left), {f"score_{criterion.pk}": "3"}).status_code == 302
    assert set(ReviewScore.objects.values_list("idea_id", flat=True)) == {theirs.pk, left.pk}


def test_the_invitation_email_leaves_out_the_ideas_a_reviewer_wrote(world, run_tasks, outbox):
    mine = idea(world.project, world.participant, title="My own idea")
    theirs = idea(world.project, member(world.project), title="Someone else's idea")
    review_round(world.project, world.facilitator, [mine, theirs], peers=(world.participant,), criteria=ONE)
    run_tasks()
    (invite,) = [m for m in outbox.to("participant@example.org") if "Please review" in m["Subject"]]
    text = outbox.text(invite)
    assert "Someone else's idea" in text and "My own idea" not in text


def test_opening_a_round_keeps_shortlisted_ideas_shortlisted_and_tells_nobody_of_a_change(world, run_tasks, outbox):
    shortlisted = idea(world.project, member(world.project, email="writer@example.org"), title="Shortlisted")
    fresh = idea(world.project, member(world.project), title="Fresh")
    fan = factories.UserFactory(email="fan@example.org")
    services.idea_support(user=fan, idea=shortlisted)
    services.idea_set_status(user=world.facilitator, idea=shortlisted, status="shortlisted", reason="Strong")
    run_tasks()
    told_before = len(outbox.refresh().to("fan@example.org"))
    assert told_before == 1
    review_round(world.project, world.facilitator, [shortlisted, fresh], peers=(world.participant,))
    shortlisted.refresh_from_db()
    fresh.refresh_from_db()
    assert shortlisted.status == "shortlisted" and fresh.status == "under_review"
    assert IdeaEvent.objects.filter(idea=shortlisted, kind="status").count() == 1  # only the shortlisting
    assert IdeaEvent.objects.filter(idea=shortlisted, kind="review").count() == 1  # the history says it was tested
    run_tasks()
    assert len(outbox.refresh().to("fan@example.org")) == told_before
    assert not [m for m in outbox.to("writer@example.org") if "Under review" in m["Subject"]]


def test_inviting_by_email_someone_who_runs_or_observes_the_project_is_refused_plainly(world):
    the_idea = idea(world.project, member(world.project))
    the_round = review_round(world.project, world.facilitator, [the_idea], open=False)
    client = world.client("facilitator")
    for address in ("facilitator@example.org", "OBSERVER@example.org"):
        response = client.post(rurl(the_round, "reviewers"), {"emails": address})
        assert response.status_code == 400
        page = response.content.decode()
        assert "Reviewers are members who are participants or experts" in page and address.lower() in page
    assert not Reviewer.objects.filter(round=the_round).exists()
    with pytest.raises(ValidationError):
        services.reviewers_invite(user=world.facilitator, round=the_round, emails=["observer@example.org"])
    # A participant's or an expert's address counts as that member, as a peer or an expert (any case).
    assert (
        client.post(rurl(the_round, "reviewers"), {"emails": "Participant@Example.org\nexpert@example.org"}).status_code
        == 302
    )
    assert {(r.user, r.kind, r.email) for r in Reviewer.objects.filter(round=the_round)} == {
        (world.participant, "peer", ""),
        (world.expert, "expert", ""),
    }
    assert not Invitation.objects.filter(project=world.project).exists()


def test_two_facilitators_inviting_the_same_reviewer_at_once_find_it_done_not_an_error(world):
    the_idea = idea(world.project, member(world.project))
    the_round = review_round(world.project, world.facilitator, [the_idea], open=False)

    def someone_else_invites_them() -> None:
        Reviewer.objects.create(round=the_round, user=world.expert, kind="expert", invited_by=world.facilitator)
        Reviewer.objects.create(
            round=the_round, email="dr.jones@example.org", kind="expert", invited_by=world.facilitator
        )

    from tests.test_ideas import _meanwhile

    with _meanwhile('"ideas_reviewer"', someone_else_invites_them):
        made = services.reviewers_invite(
            user=world.facilitator,
            round=the_round,
            members=[world.expert, world.participant],
            emails=["dr.jones@example.org"],
        )
    assert [r.user for r in made] == [world.participant]
    assert Reviewer.objects.filter(round=the_round).count() == 3
    assert not Invitation.objects.filter(email="dr.jones@example.org").exists()  # not invited twice
