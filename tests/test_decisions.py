"""Deciding together: proposals, polls, budgets, equal power, offline ballots and the decision log."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.utils import timezone

from copro.accounts.services import account_export
from copro.decisions import services
from copro.decisions.models import Ballot, Channel, Decision, Participation, Response, VotingCode
from tests import factories
from tests.conftest import Outbox, client_for

pytestmark = pytest.mark.django_db


def url(d: Decision, suffix: str = "") -> str:
    return f"/p/{d.project.slug}/decisions/{d.pk}/{suffix}"


def code_of(d: Decision, title: str) -> str:
    return d.options.get(title=title).code


# --- Preparing and opening -------------------------------------------------------------------------


def test_a_decision_needs_a_question_how_the_result_is_used_and_a_future_closing_date(world):
    with pytest.raises(ValidationError) as error:
        services.decision_create(
            user=world.facilitator,
            project=world.project,
            kind="poll",
            title="  ",
            how_used="",
            closes_at=timezone.now() - timedelta(hours=1),
            method="single",
        )
    assert {"title", "how_used", "closes_at"} <= set(error.value.message_dict)
    assert not Decision.objects.exists()


def test_the_electorate_and_weights_are_frozen_when_voting_opens(world):
    world.project.voting_roles = ["participant", "facilitator"]
    world.project.vote_weights = {"facilitator": 2}
    world.project.save()
    d = factories.decision(world.project, method="single", options=["A", "B"])
    world.project.voting_roles = ["participant"]
    world.project.save()
    d.refresh_from_db()
    assert d.electorate_roles == ["participant", "facilitator"]
    assert d.weight_for("facilitator") == 2 and not d.equal_votes


def test_a_poll_cannot_open_with_fewer_than_two_options_and_options_are_fixed_once_open(world):
    d = factories.decision(world.project, method="single", options=["Only"], status="draft")
    with pytest.raises(ValidationError, match="two options"):
        services.decision_open(user=world.facilitator, decision=d)
    services.option_add(user=world.facilitator, decision=d, title="Second")
    services.decision_open(user=world.facilitator, decision=d)
    with pytest.raises(ValidationError, match="before voting opens"):
        services.option_add(user=world.facilitator, decision=d, title="Late")


def test_a_draft_is_seen_only_by_facilitators(world):
    d = factories.decision(world.project, method="single", options=["A", "B"], status="draft")
    assert world.client("facilitator").get(url(d)).status_code == 200
    for persona in ("participant", "observer", "outsider", "anonymous"):
        assert world.client(persona).get(url(d)).status_code == 404, persona


def test_outsiders_get_404_for_a_private_projects_decisions(world):
    d = factories.decision(world.private_project, method="single", options=["A", "B"])
    for persona in ("outsider", "anonymous"):
        assert world.client(persona).get(url(d)).status_code == 404
        assert world.client(persona).get(f"/p/{world.private_project.slug}/decisions/log/").status_code == 404
    # and a decision id from another project is a 404 too
    assert world.client("facilitator").get(f"/p/{world.project.slug}/decisions/{d.pk}/").status_code == 404


# --- Equal power, stated up front --------------------------------------------------------------------


def test_before_voting_people_see_who_can_vote_the_method_and_how_the_result_is_used(world):
    d = factories.decision(world.project, method="irv", options=["A", "B", "C"], how_used="The board funds the winner")
    html = world.client("participant").get(url(d)).content.decode()
    assert "Who can take part" in html and "Participant: 1 person" in html and "Facilitator: 1 person" in html
    assert "Every vote counts the same, staff and participants alike." in html
    assert "instant-runoff" in html
    assert "The board funds the winner" in html
    assert html.index("Who can take part") < html.index("Your ballot")


def test_weighting_is_shown_to_everyone_when_the_rules_give_it(world):
    world.project.vote_weights = {"expert": 2}
    world.project.save()
    d = factories.decision(world.project, method="single", options=["A", "B"])
    html = world.client("participant").get(url(d)).content.decode()
    assert "Votes are weighted by role" in html and "each vote counts 2 times" in html


def test_each_eligible_persons_vote_counts_the_same_staff_and_participants_alike(world):
    d = factories.decision(world.project, method="single", options=["A", "B"], hide_results=False)
    services.ballot_cast(user=world.facilitator, decision=d, choices=[code_of(d, "A")])
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "B")])
    assert set(Ballot.objects.filter(decision=d).values_list("weight", flat=True)) == {1}


def test_roles_outside_the_electorate_cannot_vote(world):
    d = factories.decision(world.project, method="single", options=["A", "B"])
    with pytest.raises(PermissionDenied):
        services.ballot_cast(user=world.observer, decision=d, choices=[code_of(d, "A")])
    with pytest.raises(PermissionDenied):
        services.ballot_cast(user=world.outsider, decision=d, choices=[code_of(d, "A")])
    response = world.client("observer").post(url(d, "vote/"), {"choice": code_of(d, "A")})
    assert response.status_code == 403
    assert not Ballot.objects.exists()


# --- One vote per person -----------------------------------------------------------------------------


def test_voting_twice_is_refused_clearly_and_counts_once(world):
    d = factories.decision(world.project, method="single", options=["A", "B"])
    client = world.client("participant")
    assert client.post(url(d, "vote/"), {"choice": code_of(d, "A")}).status_code == 302
    second = client.post(url(d, "vote/"), {"choice": code_of(d, "B")}, follow=True)
    assert "You have already voted" in second.content.decode()
    assert Ballot.objects.filter(decision=d).count() == 1 and Participation.objects.filter(decision=d).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_concurrent_double_submit_cannot_count_twice(world):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is real on PostgreSQL")
    d = factories.decision(world.project, method="single", options=["A", "B"])
    choice = [code_of(d, "A")]
    barrier = threading.Barrier(6)
    outcomes: list[str] = []

    def cast() -> None:
        from django.db import connection as thread_connection

        barrier.wait()
        try:
            services.ballot_cast(user=world.participant, decision=d, choices=choice)
            outcomes.append("counted")
        except services.AlreadyVoted:
            outcomes.append("refused")
        finally:
            thread_connection.close()

    threads = [threading.Thread(target=cast) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["counted"] + ["refused"] * 5
    assert Ballot.objects.filter(decision=d).count() == 1


def test_voting_after_the_closing_time_is_refused_and_nothing_is_saved(world):
    d = factories.decision(world.project, method="single", options=["A", "B"])
    Decision.objects.filter(pk=d.pk).update(closes_at=timezone.now() - timedelta(minutes=1))
    d.refresh_from_db()
    with pytest.raises(services.VotingClosed):
        services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "A")])
    assert not Participation.objects.exists() and not Ballot.objects.exists()


# --- Secret and named ballots ----------------------------------------------------------------------


def test_a_secret_ballot_keeps_no_trace_of_the_voter(world):
    d = factories.decision(world.project, method="single", options=["A", "B"], secrecy="secret", hide_results=False)
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "A")])
    ballot = Ballot.objects.get(decision=d)
    assert ballot.voter_id is None and ballot.entered_by_id is None and not ballot.batch
    assert not any(f.name in ("created_at", "at", "cast_at") for f in Ballot._meta.get_fields())
    # "Download my data" lists that they took part, not what they chose
    mine = account_export(user=world.participant)["decisions"]
    assert mine["named_ballots"] == [] and len(mine["decisions_taken_part_in"]) == 1
    services.decision_close(user=world.facilitator, decision=d)
    html = world.client("facilitator").get(url(d)).content.decode()
    assert world.participant.display_name not in html and "Secret" in html


def test_a_named_ballot_records_the_voter(world):
    d = factories.decision(world.project, method="single", options=["A", "B"], secrecy="named")
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "A")])
    assert Ballot.objects.get(decision=d).voter == world.participant


# --- Ballot rules -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "choices", "message"),
    [
        ({"method": "approval", "min_choices": 2}, ["A"], "at least 2"),
        ({"method": "approval", "max_choices": 1}, ["A", "B"], "at most 1"),
        ({"method": "single"}, ["A", "B"], "Choose one"),
        ({"method": "score", "max_score": 5}, {"A": 6}, "from 0 to 5"),
        ({"method": "dots", "dots": 3}, {"A": 2, "B": 2}, "you have 3"),
        ({"method": "irv"}, ["A", "A"], "only once"),
        ({"method": "single"}, ["Z"], "not in this vote"),
    ],
)
def test_a_ballot_outside_the_rules_is_refused_with_the_reason(world, fields, choices, message):
    d = factories.decision(world.project, options=["A", "B", "C"], **fields)
    codes = {o.title: o.code for o in d.options.all()}
    mapped = (
        {codes.get(k, k): v for k, v in choices.items()}
        if isinstance(choices, dict)
        else [codes.get(c, c) for c in choices]
    )
    with pytest.raises(ValidationError, match=message):
        services.ballot_cast(user=world.participant, decision=d, choices=mapped)
    assert not Participation.objects.exists()


def test_a_budget_ballot_over_the_spending_cap_is_refused(world):
    d = factories.decision(
        world.project,
        kind="budget",
        budget=1000,
        ballot_kind="approval",
        rule="greedy",
        spending_cap=700,
        options=[("Lights", 400), ("Benches", 400), ("Bins", 100)],
    )
    with pytest.raises(ValidationError, match="more than the limit"):
        services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "Lights"), code_of(d, "Benches")])
    response = world.client("participant").post(
        url(d, "vote/"), {"choice": [code_of(d, "Lights"), code_of(d, "Benches")]}
    )
    assert response.status_code == 400 and "more than the limit" in response.content.decode()
    assert not Ballot.objects.exists()


# --- Proposals by consent ----------------------------------------------------------------------------


def test_a_member_puts_a_proposal_and_an_objection_must_be_answered_before_closing(world):
    client = world.client("participant")
    response = client.post(
        f"/p/{world.project.slug}/decisions/new/proposal/",
        {
            "title": "Meet on Saturdays",
            "how_used": "",
            "closes_at": (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "process": "consent",
        },
    )
    assert response.status_code == 302
    d = Decision.objects.get(title="Meet on Saturdays")
    assert d.status == "open" and "consent decision" in d.how_used
    expert = world.client("expert")
    refused = expert.post(url(d, "respond/"), {"stance": "block", "reason": ""})
    assert refused.status_code == 400 and "Give your reasons" in refused.content.decode()
    expert.post(url(d, "respond/"), {"stance": "block", "reason": "Carers work weekends"})
    objection = Response.objects.get(decision=d)
    closing = world.client("facilitator").post(
        url(d, "close/"), {"outcome": "adopted", "statement": "We meet on Saturdays"}
    )
    assert closing.status_code == 400 and "1 objection still needs an answer" in closing.content.decode()
    # the proposer answers the objection; then the facilitator can close
    assert (
        client.post(url(d, f"objections/{objection.pk}/answer/"), {"answer": "We add a weekday session"}).status_code
        == 302
    )
    closed = world.client("facilitator").post(
        url(d, "close/"),
        {"outcome": "adopted_changed", "statement": "Saturdays and one weekday", "review_on": "2099-01-01"},
    )
    assert closed.status_code == 302
    d.refresh_from_db()
    assert d.status == "closed" and d.outcome == "adopted_changed" and str(d.review_on) == "2099-01-01"
    log = world.client("anonymous").get(f"/p/{world.project.slug}/decisions/log/").content.decode()
    assert "Meet on Saturdays" in log and "Saturdays and one weekday" in log and "answered before closing" in log


def test_a_changed_objection_needs_a_new_answer(world):
    d = factories.decision(world.project, kind="proposal", process="consent", created_by=world.participant)
    r = services.proposal_respond(user=world.expert, decision=d, stance="disagree", reason="Too soon")
    services.objection_answer(user=world.participant, response=r, answer="We will wait a month")
    r = services.proposal_respond(user=world.expert, decision=d, stance="block", reason="Still too soon")
    assert r.needs_answer


def test_only_the_proposer_or_a_facilitator_may_answer_an_objection(world):
    d = factories.decision(world.project, kind="proposal", process="consensus", created_by=world.participant)
    r = services.proposal_respond(user=world.facilitator, decision=d, stance="block", reason="Budget")
    assert world.client("expert").post(url(d, f"objections/{r.pk}/answer/"), {"answer": "x"}).status_code == 403
    assert world.client("observer").post(url(d, f"objections/{r.pk}/answer/"), {"answer": "x"}).status_code == 403


# --- Offline ballots and voting codes ----------------------------------------------------------------


def test_staff_enter_paper_ballots_with_provenance_and_they_show_in_participation(world):
    d = factories.decision(world.project, method="single", options=["A", "B"])
    response = world.client("facilitator").post(
        url(d, "paper/"),
        {"channel": "paper", "batch": "Library drop-in 3 March", "role": "participant", "b-choice": code_of(d, "B")},
    )
    assert response.status_code == 302
    ballot = Ballot.objects.get(decision=d)
    assert (ballot.channel, ballot.batch, ballot.entered_by) == ("paper", "Library drop-in 3 March", world.facilitator)
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "A")])
    assert services.participation_figures(d) == {
        "total": 2,
        "by_channel": {"online": 1, "paper": 1},
        "offline": 1,
        "online": 1,
    }
    assert world.client("participant").get(url(d, "paper/")).status_code == 403


def test_a_printed_voting_code_votes_once_without_an_account(world):
    d = factories.decision(world.project, method="single", options=["A", "B"])
    codes = services.codes_generate(user=world.facilitator, decision=d, count=3, batch="Community centre")
    assert len(set(codes)) == 3 and not VotingCode.objects.filter(code_hash__in=codes).exists()
    anonymous = client_for(None)
    assert anonymous.get("/vote/").status_code == 200
    page = anonymous.post("/vote/", {"code": codes[0].lower()})
    assert page.status_code == 200 and d.title in page.content.decode()
    cast = anonymous.post("/vote/", {"code": codes[0], "cast": "1", "choice": code_of(d, "A")})
    assert cast.status_code == 200 and "Your vote is counted" in cast.content.decode()
    again = anonymous.post("/vote/", {"code": codes[0], "cast": "1", "choice": code_of(d, "B")})
    assert again.status_code in (200, 409) and "already been used" in again.content.decode()
    unknown = anonymous.post("/vote/", {"code": "NOPE-NOPE"})
    assert unknown.status_code == 400 and "not recognised" in unknown.content.decode()
    assert Ballot.objects.filter(decision=d, channel=Channel.CODE).count() == 1


# --- Counting and publishing -------------------------------------------------------------------------


def test_hidden_results_stay_hidden_until_close_then_are_published_with_the_count(world):
    d = factories.decision(world.project, method="single", options=["A", "B"], hide_results=True)
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "B")])
    services.ballot_cast(user=world.expert, decision=d, choices=[code_of(d, "B")])
    services.ballot_cast(user=world.facilitator, decision=d, choices=[code_of(d, "A")])
    assert "hidden until the vote closes" in world.client("facilitator").get(url(d)).content.decode()
    assert world.client("facilitator").get(url(d, "results.json")).status_code == 403
    services.decision_close(user=world.facilitator, decision=d)
    d.refresh_from_db()
    assert d.result["winners"] == [code_of(d, "B")] and d.result["winner_titles"] == ["B"]
    assert d.participation["total"] == 3
    data = world.client("anonymous").get(url(d, "results.json")).json()
    assert data["result"]["winners"] == [code_of(d, "B")]


def test_a_ranked_poll_publishes_the_count_round_by_round(world):
    d = factories.decision(world.project, method="irv", options=["A", "B", "C"], hide_results=False)
    a, b, c = (code_of(d, t) for t in "ABC")
    services.ballot_cast(user=world.participant, decision=d, choices=[a, b])
    services.ballot_cast(user=world.expert, decision=d, choices=[b, a])
    services.ballot_cast(user=world.facilitator, decision=d, choices=[c, b])
    services.decision_close(user=world.facilitator, decision=d)
    d.refresh_from_db()
    # Round 1: A 1, B 1, C 1 — all tied; round 2 removes one; B wins with C's transfer or A's.
    assert len(d.result["rounds"]) >= 2
    html = world.client("anonymous").get(url(d)).content.decode()
    assert "Round 1" in html and "Round 2" in html


def test_the_participatory_budget_result_explains_each_project(world):
    d = factories.decision(
        world.project,
        kind="budget",
        budget=1000,
        ballot_kind="approval",
        rule="greedy",
        options=[("Lights", 600), ("Benches", 500), ("Bins", 300)],
    )
    lights, benches, bins = (code_of(d, t) for t in ("Lights", "Benches", "Bins"))
    services.ballot_cast(user=world.participant, decision=d, choices=[lights, benches])
    services.ballot_cast(user=world.expert, decision=d, choices=[lights, bins])
    services.ballot_cast(user=world.facilitator, decision=d, choices=[benches, lights])
    services.decision_close(user=world.facilitator, decision=d)
    d.refresh_from_db()
    # Lights 3 votes (600, funded), Benches 2 (500 > 400 left: skipped), Bins 1 (300 fits: funded)
    assert d.result["winners"] == [lights, bins]
    html = world.client("anonymous").get(url(d)).content.decode()
    assert "Funded" in html and "did not fit" in html


def test_closing_counts_paper_code_and_online_ballots_together(world):
    d = factories.decision(world.project, method="approval", options=["A", "B"])
    a, b = code_of(d, "A"), code_of(d, "B")
    services.ballot_cast(user=world.participant, decision=d, choices=[a])
    services.ballot_enter(user=world.facilitator, decision=d, choices=[b], channel="paper", batch="Drop-in")
    services.ballot_enter(user=world.facilitator, decision=d, choices=[b], channel="in_person", batch="Drop-in")
    services.decision_close(user=world.facilitator, decision=d)
    d.refresh_from_db()
    assert d.result["winners"] == [b] and d.participation["offline"] == 2


def test_voting_pages_render_for_every_ballot_kind(world):
    kinds = [
        {"method": "single"},
        {"method": "approval", "max_choices": 2},
        {"method": "score", "max_score": 5},
        {"method": "dots", "dots": 5},
        {"method": "irv"},
        {"method": "stv", "seats": 2},
        {"kind": "budget", "budget": 900, "ballot_kind": "knapsack", "rule": "mes-add1"},
        {"kind": "budget", "budget": 900, "ballot_kind": "cumulative", "rule": "greedy", "points": 10},
    ]
    for fields in kinds:
        options = [("A", 300), ("B", 400), ("C", 500)] if fields.get("kind") == "budget" else ["A", "B", "C"]
        d = factories.decision(world.project, options=options, hide_results=False, **fields)
        page = world.client("participant").get(url(d))
        assert page.status_code == 200 and "Your ballot" in page.content.decode(), fields


def test_the_decision_log_lists_options_not_taken_forward_with_reasons(world):
    d = factories.decision(world.project, method="single", options=["Keep the bus", "Cut the bus"])
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "Keep the bus")])
    cut = d.options.get(title="Cut the bus")
    services.decision_close(
        user=world.facilitator, decision=d, rationale="Most people rely on it", not_taken={cut.pk: "Fewest votes"}
    )
    log = world.client("anonymous").get(f"/p/{world.project.slug}/decisions/log/").content.decode()
    assert "Most people rely on it" in log and "Not taken forward: Cut the bus" in log and "Fewest votes" in log
    assert "Keep the bus" in log


def test_closing_through_the_page_reads_reasons_for_options_not_taken_and_ignores_odd_field_names(world):
    d = factories.decision(world.project, method="single", options=["Keep the bus", "Cut the bus"])
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "Keep the bus")])
    cut = d.options.get(title="Cut the bus")
    response = world.client("facilitator").post(
        f"/p/{world.project.slug}/decisions/{d.pk}/close/",
        {
            "outcome": "adopted",
            "statement": "We keep the bus.",
            "rationale": "Most people rely on it",
            f"not_taken_{cut.pk}": "Fewest votes",
            "not_taken_²": "odd",
            "not_taken_" + "9" * 40: "too big",
        },
    )
    assert response.status_code == 302
    log = world.client("anonymous").get(f"/p/{world.project.slug}/decisions/log/").content.decode()
    assert "Not taken forward: Cut the bus" in log and "Fewest votes" in log


def test_the_decision_log_keeps_a_constant_number_of_queries(world, django_assert_max_num_queries):
    for i in range(6):
        d = factories.decision(world.project, method="single", options=[f"A{i}", f"B{i}"])
        services.decision_close(user=world.facilitator, decision=d)
    client = world.client("anonymous")
    client.get(f"/p/{world.project.slug}/decisions/log/")
    with django_assert_max_num_queries(12):
        client.get(f"/p/{world.project.slug}/decisions/log/")


# --- API ---------------------------------------------------------------------------------------------


def test_the_api_casts_one_ballot_and_refuses_the_second_with_409(world):
    d = factories.decision(world.project, method="approval", options=["A", "B"], secrecy="named", hide_results=False)
    client = world.client("participant")
    path = f"/api/projects/{world.project.slug}/decisions/{d.pk}/ballots/"
    first = client.post(path, {"choices": [code_of(d, "A")]}, content_type="application/json")
    assert first.status_code == 201
    second = client.post(path, {"choices": [code_of(d, "B")]}, content_type="application/json")
    assert second.status_code == 409 and "already voted" in second.json()["detail"]
    bad = world.client("expert").post(path, {"choices": ["nope"]}, content_type="application/json")
    assert bad.status_code == 400
    detail = client.get(f"/api/projects/{world.project.slug}/decisions/{d.pk}/").json()
    assert detail["electorate"]["roles"] and detail["result"]["winners"] == [code_of(d, "A")]
    assert (
        world.client("observer").post(path, {"choices": [code_of(d, "A")]}, content_type="application/json").status_code
        == 403
    )


def test_the_api_hides_drafts_and_private_projects(world):
    factories.decision(world.project, method="single", options=["A", "B"], status="draft")
    private = factories.decision(world.private_project, method="single", options=["A", "B"])
    listing = world.client("participant").get(f"/api/projects/{world.project.slug}/decisions/").json()
    assert listing["count"] == 0
    assert (
        world.client("outsider").get(f"/api/projects/{world.private_project.slug}/decisions/{private.pk}/").status_code
        == 404
    )


# --- Closing on time and review reminders -------------------------------------------------------------


def test_tick_closes_due_votes_and_reminds_facilitators_of_review_dates(world, outbox, run_tasks):
    from django.core.management import call_command

    poll = factories.decision(world.project, method="single", options=["A", "B"])
    services.ballot_cast(user=world.participant, decision=poll, choices=[code_of(poll, "A")])
    proposal = factories.decision(world.project, kind="proposal", process="consent")
    Decision.objects.filter(pk__in=[poll.pk, proposal.pk]).update(closes_at=timezone.now() - timedelta(minutes=1))
    call_command("decisions", "tick")
    poll.refresh_from_db()
    proposal.refresh_from_db()
    assert poll.status == "closed" and poll.result["winners"] == [code_of(poll, "A")]
    assert proposal.status == "open", "a proposal waits for its objections to be answered and an outcome"
    Decision.objects.filter(pk=poll.pk).update(review_on=timezone.localdate())
    call_command("decisions", "tick")
    call_command("decisions", "tick")
    run_tasks()
    reminders = outbox.refresh().to(world.facilitator.email)
    assert len(reminders) == 1 and "review" in Outbox.text(reminders[0]).lower()


def test_hostile_text_is_escaped_on_every_decision_page(world):
    hostile = factories.HOSTILE
    d = factories.decision(world.project, method="irv", options=[hostile, "B " + hostile], hide_results=False)
    services.ballot_cast(user=world.participant, decision=d, choices=[d.options.first().code])
    p = factories.decision(world.project, kind="proposal", process="consent", title=hostile)
    services.proposal_respond(user=world.expert, decision=p, stance="block", reason=hostile)
    for path in (url(d), url(p), f"/p/{world.project.slug}/decisions/", url(d, "paper/"), url(d, "codes/")):
        html = world.client("facilitator").get(path).content.decode()
        assert factories.XSS not in html, path
    services.decision_close(user=world.facilitator, decision=d, rationale=hostile)
    log = world.client("anonymous").get(f"/p/{world.project.slug}/decisions/log/").content.decode()
    assert factories.XSS not in log and "&lt;script&gt;" in log


def test_the_decision_page_keeps_a_constant_number_of_queries(world):
    from django.test.utils import CaptureQueriesContext

    def queries(path: str) -> int:
        client.get(path)  # warm caches
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured.captured_queries)

    client = world.client("participant")
    small = factories.decision(world.project, method="single", options=[f"O{i}" for i in range(3)], hide_results=False)
    big = factories.decision(world.project, method="single", options=[f"O{i}" for i in range(40)], hide_results=False)
    for user in (world.expert, world.facilitator):
        services.ballot_cast(user=user, decision=big, choices=[code_of(big, "O1")])
    assert queries(url(big)) <= queries(url(small)) <= 25


def test_a_secret_ballot_never_shows_a_live_count(world):
    d = factories.decision(world.project, method="single", options=["A", "B"], secrecy="secret", hide_results=False)
    assert d.hide_results
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "A")])
    assert world.client("facilitator").get(url(d, "results.json")).status_code == 403


def test_the_demo_has_a_budget_to_vote_in_and_a_decided_proposal_in_the_log(settings):
    from django.core.management import call_command

    settings.DEBUG = True
    call_command("demo", stdout=open("/dev/null", "w"))  # noqa: SIM115
    budget = Decision.objects.get(kind="budget")
    assert budget.status == "open" and budget.options.count() == 6
    proposal = Decision.objects.get(kind="proposal")
    assert proposal.status == "closed" and proposal.outcome == "adopted_changed"
    log = client_for(None).get(f"/p/{proposal.project.slug}/decisions/log/").content.decode()
    assert "Saturday mornings at the library" in log


# --- Review findings, fixed and kept fixed ----------------------------------------------------------------


def test_a_ballot_is_refused_if_the_vote_closed_after_the_page_was_loaded(world):
    d = factories.decision(world.project, method="single", options=["A", "B"])
    stale = Decision.objects.get(pk=d.pk)  # what the voter's request loaded
    services.decision_close(user=world.facilitator, decision=d)
    with pytest.raises(services.VotingClosed):
        services.ballot_cast(user=world.participant, decision=stale, choices=[code_of(d, "A")])
    with pytest.raises(services.VotingClosed):
        services.ballot_enter(
            user=world.facilitator, decision=stale, choices=[code_of(d, "A")], channel="paper", batch="x"
        )
    assert not Ballot.objects.exists() and not Participation.objects.exists()


def test_the_electorate_is_the_people_who_could_vote_when_it_opened(world):
    d = factories.decision(world.project, method="single", options=["A", "B"])
    newcomer = factories.UserFactory()
    factories.MembershipFactory(project=world.project, user=newcomer, role="participant")
    from copro.projects.models import Membership

    Membership.objects.filter(project=world.project, user=world.observer).update(role="participant")
    for person in (newcomer, world.observer):
        with pytest.raises(PermissionDenied):
            services.ballot_cast(user=person, decision=d, choices=[code_of(d, "A")])
    # and a participant promoted mid-vote still votes with the weight of the role they had
    world.project.vote_weights = {"facilitator": 3}
    world.project.save()
    Membership.objects.filter(project=world.project, user=world.participant).update(role="facilitator")
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "A")])
    assert Ballot.objects.get(decision=d).weight == 1


def test_proposals_have_no_ballot_pages(world):
    p = factories.decision(world.project, kind="proposal", process="consent")
    client = world.client("facilitator")
    assert client.post(url(p, "vote/"), {"choice": "1"}).status_code == 404
    assert client.get(url(p, "paper/")).status_code == 404
    assert client.get(url(p, "codes/")).status_code == 404
    assert client.get(url(p, "results.json")).status_code == 404
    with pytest.raises(ValidationError):
        services.codes_generate(user=world.facilitator, decision=p, count=1, batch="x")


def test_huge_numbers_in_the_budget_form_are_refused_with_a_message(world):
    response = world.client("facilitator").post(
        f"/p/{world.project.slug}/decisions/new/budget/",
        {
            "title": "Budget",
            "how_used": "Used",
            "closes_at": (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"),
            "budget": "1000",
            "ballot_kind": "approval",
            "rule": "greedy",
            "threshold": str(10**20),
            "max_choices": "40000",
            "secrecy": "secret",
        },
    )
    assert response.status_code == 400 and not Decision.objects.exists()


def test_a_code_for_a_draft_reveals_nothing_and_wrong_codes_are_rate_limited(world, settings):
    d = factories.decision(world.project, method="single", options=["Secret plan A", "B"], status="draft")
    code = services.codes_generate(user=world.facilitator, decision=d, count=1, batch="Early print run")[0]
    anonymous = client_for(None)
    page = anonymous.post("/vote/", {"code": code})
    assert page.status_code == 409 and "not open yet" in page.content.decode()
    assert "Secret plan A" not in page.content.decode()
    statuses = [anonymous.post("/vote/", {"code": f"WRONG-{i:05d}"}).status_code for i in range(21)]
    assert statuses[:20] == [400] * 20 and statuses[20] == 429


def test_an_objection_can_be_answered_after_the_closing_time_so_the_proposal_can_close(world):
    d = factories.decision(world.project, kind="proposal", process="consent", created_by=world.participant)
    services.proposal_respond(user=world.expert, decision=d, stance="block", reason="Not yet")
    Decision.objects.filter(pk=d.pk).update(closes_at=timezone.now() - timedelta(minutes=5))
    html = world.client("participant").get(url(d)).content.decode()
    assert "Publish the answer" in html


def test_a_ballot_that_cannot_be_counted_is_reported_and_the_tick_goes_on(world):
    from django.core.management import call_command

    broken = factories.decision(world.project, method="single", options=["A", "B"])
    fine = factories.decision(world.project, method="single", options=["A", "B"])
    Ballot.objects.create(decision=broken, choices=["not-an-option"], channel="paper")
    with pytest.raises(ValidationError, match="could not be counted"):
        services.decision_close(user=world.facilitator, decision=broken)
    assert Decision.objects.get(pk=broken.pk).status == "open"
    Decision.objects.update(closes_at=timezone.now() - timedelta(minutes=1))
    call_command("decisions", "tick", stdout=open("/dev/null", "w"))  # noqa: SIM115
    assert Decision.objects.get(pk=fine.pk).status == "closed"
    assert Decision.objects.get(pk=broken.pk).status == "open"


def test_the_decision_log_csv_names_winners_by_title(world):
    d = factories.decision(world.project, method="single", options=["Keep the bus", "Cut it"])
    services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "Keep the bus")])
    services.decision_close(user=world.facilitator, decision=d)
    response = world.client("anonymous").get(f"/p/{world.project.slug}/export/decisions.csv")
    csv_text = b"".join(response.streaming_content).decode()
    assert "Keep the bus" in csv_text


def test_a_named_ballot_shows_how_each_person_voted_and_a_secret_one_never_does(world):
    named = factories.decision(world.project, method="single", options=["A", "B"], secrecy="named", hide_results=False)
    secret = factories.decision(world.project, method="single", options=["A", "B"], secrecy="secret")
    for d in (named, secret):
        services.ballot_cast(user=world.participant, decision=d, choices=[code_of(d, "B")])
        services.decision_close(user=world.facilitator, decision=d)
    assert "How each person voted" in world.client("anonymous").get(url(named)).content.decode()
    assert "How each person voted" not in world.client("facilitator").get(url(secret)).content.decode()


@pytest.mark.django_db(transaction=True)
def test_a_close_waits_for_a_vote_in_flight_so_the_published_count_includes_it(world, monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("SQLite serialises writers; the race is real on PostgreSQL")
    d = factories.decision(world.project, method="single", options=["A", "B"], secrecy="named")
    choice = [code_of(d, "A")]
    inside, release = threading.Event(), threading.Event()
    real_claim = services.claim_token

    def paused_claim(token):  # type: ignore[no-untyped-def]
        inside.set()  # the voter holds the decision open (FOR SHARE) here
        release.wait(10)
        return real_claim(token)

    monkeypatch.setattr(services, "claim_token", paused_claim)
    outcomes: dict[str, object] = {}

    def vote() -> None:
        from django.db import connection as c

        try:
            services.ballot_cast(user=world.participant, decision=d, choices=choice)
            outcomes["vote"] = "counted"
        except services.VotingClosed:
            outcomes["vote"] = "refused"
        finally:
            c.close()

    def close() -> None:
        from django.db import connection as c

        try:
            outcomes["close"] = services.decision_close(user=world.facilitator, decision=d)
        finally:
            c.close()

    voter = threading.Thread(target=vote)
    voter.start()
    assert inside.wait(10)
    closer = threading.Thread(target=close)
    closer.start()
    closer.join(0.5)
    assert closer.is_alive(), "the close waits for the vote in flight"
    release.set()
    voter.join(10)
    closer.join(10)
    closed = Decision.objects.get(pk=d.pk)
    assert outcomes["vote"] == "counted"
    assert closed.result["ballots"] == 1 and closed.participation["total"] == 1


def test_a_draft_can_be_changed_until_voting_opens(world):
    d = factories.decision(world.project, method="approval", options=["A", "B"], status="draft", title="Frist draft")
    client = world.client("facilitator")
    form = client.get(url(d, "edit/"))
    assert form.status_code == 200 and "Frist draft" in form.content.decode()
    closes = (timezone.localtime() + timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    changed = client.post(
        url(d, "edit/"),
        {
            "title": "First draft",
            "how_used": "Used",
            "closes_at": closes,
            "method": "approval",
            "max_choices": "1",
            "secrecy": "named",
        },
    )
    assert changed.status_code == 302
    d.refresh_from_db()
    assert (d.title, d.max_choices, d.secrecy) == ("First draft", 1, "named")
    # not theirs to do (403 for any id, existing or not, so nothing about drafts is revealed)
    assert world.client("participant").get(url(d, "edit/")).status_code == 403
    services.decision_open(user=world.facilitator, decision=d)
    assert client.get(url(d, "edit/")).status_code == 404
    with pytest.raises(ValidationError, match="still being prepared"):
        services.decision_update(
            user=world.facilitator, decision=d, title="Late", how_used="x", closes_at=timezone.now() + timedelta(days=1)
        )


def test_the_api_takes_proposal_responses_and_paper_ballots(world):
    p = factories.decision(world.project, kind="proposal", process="consent")
    base = f"/api/projects/{world.project.slug}/decisions/"
    refused = world.client("expert").post(
        f"{base}{p.pk}/responses/", {"stance": "block", "reason": ""}, content_type="application/json"
    )
    assert refused.status_code == 400 and "reasons" in str(refused.json())
    ok = world.client("expert").post(
        f"{base}{p.pk}/responses/", {"stance": "block", "reason": "Too soon"}, content_type="application/json"
    )
    assert ok.status_code == 200 and ok.json()["stance"] == "block"
    listed = world.client("anonymous").get(f"{base}{p.pk}/responses/").json()
    assert [r["reason"] for r in listed] == ["Too soon"]
    assert (
        world.client("observer")
        .post(f"{base}{p.pk}/responses/", {"stance": "agree"}, content_type="application/json")
        .status_code
        == 403
    )

    d = factories.decision(world.project, method="single", options=["A", "B"])
    paper = {"choices": [code_of(d, "B")], "channel": "paper", "batch": "Library, 3 March"}
    assert (
        world.client("participant")
        .post(f"{base}{d.pk}/paper-ballots/", paper, content_type="application/json")
        .status_code
        == 403
    )
    made = world.client("facilitator").post(f"{base}{d.pk}/paper-ballots/", paper, content_type="application/json")
    assert made.status_code == 201
    assert Ballot.objects.get(decision=d).channel == "paper"
    assert (
        world.client("facilitator")
        .post(f"{base}{p.pk}/paper-ballots/", paper, content_type="application/json")
        .status_code
        == 404
    )
