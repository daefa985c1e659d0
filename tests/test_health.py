"""Co-production health: the scoring formulas with the arithmetic written out, then a hand-built project whose
every step score is worked out here from its rows, the spectrum position, and who may see the page."""

from __future__ import annotations

import datetime
from fractions import Fraction

import pytest
from django.urls import reverse
from django.utils import timezone

from copro.analysis import health as h
from copro.core.permissions import Role
from copro.decisions.models import Response as ProposalResponse
from copro.followthrough import health, reports
from copro.projects.models import ScopeChange
from copro.updates.models import Subscription
from tests import factories
from tests import factories_reports as fr

pytestmark = pytest.mark.django_db


# --- The formulas ------------------------------------------------------------------------------------------


def test_rounding_is_half_up_and_capped_reaches_100_at_the_goal():
    assert h.round_half_up(Fraction(5, 2)) == 3  # Python's round(2.5) would give 2
    assert h.round_half_up(Fraction(249, 10)) == 25
    assert h.capped(3, 4) == 75
    assert h.capped(2, 3) == 67  # 66.67
    assert h.capped(9, 4) == 100  # beyond the goal still 100
    assert h.capped(0, 4) == 0
    assert h.capped(5, 0) == 100  # nothing to reach


def test_days_score_is_a_straight_line_from_14_to_90_days():
    assert h.days_score(0) == h.days_score(14) == 100
    assert h.days_score(52) == 50  # 100 * (90 - 52) / 76 = 50
    assert h.days_score(53) == 49  # 100 * 37 / 76 = 48.68
    assert h.days_score(90) == h.days_score(400) == 0


def test_awareness():
    result = h.awareness(
        h.AwarenessEvidence(contributions=150, reach_target=200, subscribers=12, channels_used=2, people=90)
    )
    # reach: contributions against the target, 100*150/200 = 75; subscribers: the goal is one in five *people*,
    # max(10, ceil(90/5)) = 18, so 100*12/18 = 66.7 -> 67; channels 100*2/3 = 67.
    assert [p.score for p in result.parts] == [75, 67, 67]
    assert result.part("subscribers").goal == 18
    # (40*75 + 30*67 + 30*67) / 100 = (3000 + 2010 + 2010) / 100 = 70.2 -> 70
    assert result.score == 70
    assert result.suggestions == ()


def test_awareness_subscriber_goal_falls_back_to_contributions_when_people_are_not_known():
    result = h.awareness(h.AwarenessEvidence(contributions=150, reach_target=200, subscribers=12, channels_used=2))
    # goal max(10, ceil(150/5)) = 30, so 100*12/30 = 40; (40*75 + 30*40 + 30*67) / 100 = 62.1 -> 62
    assert result.part("subscribers").goal == 30
    assert [p.score for p in result.parts] == [75, 40, 67]
    assert result.score == 62
    assert result.suggestions == ("awareness.subscribers.low",)


def test_awareness_without_a_target_leaves_reach_unscored():
    result = h.awareness(h.AwarenessEvidence(contributions=0, reach_target=None, subscribers=0, channels_used=0))
    assert result.part("reach").score is None
    assert result.part("subscribers").goal == 10  # the floor
    assert result.score == 0  # (30*0 + 30*0) / 60
    assert result.suggestions == ("awareness.reach.missing", "awareness.subscribers.low", "awareness.channels.low")


def test_buy_in():
    result = h.buy_in(
        h.BuyInEvidence(
            members=9, members_active=4, participants=5, participants_active=1, budget_set=True, observers=0
        )
    )
    # members: goal ceil(9/2) = 5, 100*4/5 = 80; participants: goal ceil(5/2) = 3, 100*1/3 = 33; leadership 50.
    assert [p.score for p in result.parts] == [80, 33, 50]
    # (40*80 + 40*33 + 20*50) / 100 = (3200 + 1320 + 1000) / 100 = 55.2 -> 55
    assert result.score == 55
    assert result.suggestions == ("buy_in.participants_active.low", "buy_in.leadership.low")


def test_buy_in_without_participants_scores_them_zero():
    result = h.buy_in(
        h.BuyInEvidence(
            members=1, members_active=1, participants=0, participants_active=0, budget_set=True, observers=1
        )
    )
    # (40*100 + 40*0 + 20*100) / 100 = 60
    assert result.score == 60


def test_expectations():
    result = h.expectations(
        h.ExpectationsEvidence(
            scope_can=3,
            scope_fixed=0,
            scope_changes_agreed=2,
            scope_changes_not_agreed=1,
            facilitators=1,
            participants=0,
            decision_rules_written=True,
            participants_vote=False,
        )
    )
    # scope published 50; agreed 100*2/3 = 67; roles 50; rules 50.
    assert [p.score for p in result.parts] == [50, 67, 50, 50]
    # (30*50 + 20*67 + 25*50 + 25*50) / 100 = (1500 + 1340 + 1250 + 1250) / 100 = 53.4 -> 53
    assert result.score == 53


def test_performance_leaves_out_what_cannot_be_judged():
    result = h.performance(
        h.PerformanceEvidence(
            access_asked=0,
            access_met=0,
            objections=4,
            objections_answered=3,
            participants=6,
            participants_contributed=3,
        )
    )
    assert [p.score for p in result.parts] == [None, 75, 50]
    # (25*75 + 25*50) / 50 = 62.5 -> 63 (half up)
    assert result.score == 63
    assert result.suggestions == ("performance.access_needs.missing", "performance.participants_taking_part.low")
    nothing = h.performance(h.PerformanceEvidence(0, 0, 0, 0, 0, 0))
    assert nothing.score is None


def test_feedback():
    result = h.feedback(
        h.FeedbackEvidence(
            updates_90_days=3,
            promises_due=4,
            promises_kept=3,
            decision_days=[10, 40, 100],
            feedback_total=5,
            feedback_triaged=5,
        )
    )
    # cadence 100*3/6 = 50; promises 100*3/4 = 75; middle of 10, 40, 100 is 40: 100*50/76 = 65.8 -> 66; triaged 100.
    assert [p.score for p in result.parts] == [50, 75, 66, 100]
    # (25*50 + 30*75 + 25*66 + 20*100) / 100 = (1250 + 2250 + 1650 + 2000) / 100 = 71.5 -> 72
    assert result.score == 72


def test_spectrum_position():
    evidence = h.SpectrumEvidence(
        ideas=10,
        ideas_from_participants=4,
        decisions=4,
        decisions_participants_equal=2,
        commitments=5,
        commitments_participant_owned=1,
        asked_views=True,
    )
    position = h.spectrum(evidence)
    # (4/10 + 2/4 + 1/5) / 3 = 11/30 = 0.367: at least 3/10, below 3/5.
    assert position.mean == Fraction(11, 30)
    assert position.level == "participation"
    everything = h.SpectrumEvidence(1, 1, 1, 1, 1, 1, True)
    assert h.spectrum(everything).level == "coproduction"
    boundary = h.SpectrumEvidence(5, 3, 0, 0, 0, 0, True)  # 3/5 exactly
    assert h.spectrum(boundary).level == "coproduction"
    asked_only = h.SpectrumEvidence(None, 0, 0, 0, 0, 0, True)
    assert (h.spectrum(asked_only).level, h.spectrum(asked_only).mean) == ("consultation", None)
    told_only = h.SpectrumEvidence(None, 0, 0, 0, 0, 0, False)
    assert h.spectrum(told_only).level == "information"


# --- A hand-built project --------------------------------------------------------------------------------


def ago(days: int) -> datetime.datetime:
    return timezone.now() - datetime.timedelta(days=days)


@pytest.fixture
def healthy(world):
    """The world's project (facilitator F, participant P1, expert E, observer O, 1 line that can be influenced
    and 1 fixed) with P2, another participant who has done nothing, and rows dated relative to today."""
    project, f, p1, e = world.project, world.facilitator, world.participant, world.expert
    p2 = factories.UserFactory()
    factories.MembershipFactory(project=project, user=p2, role="participant")

    from copro.consultations.models import Consultation

    consultation = Consultation.objects.create(project=project, title="Survey", how_used="We read it.", created_by=f)
    for channel in ("online", "online", "paper", "paper"):
        fr.response(consultation, channel=channel, when=ago(10), entered_by=None if channel == "online" else f)
    fr.response(consultation, channel="online", when=ago(400))  # older than 12 months
    the_map = fr.community_map(project, created_by=f)
    fr.pin(the_map, when=ago(5), author=e, channel="online")
    fr.feedback(project, when=ago(3), entered_by=f, feeling=3, channel="phone")
    fr.feedback(project, when=ago(2), given_by=p1, feeling=5, channel="online", triage="celebrate")

    d1 = fr.closed_decision(
        project, closed=ago(30), outcome="counted", participation={"total": 3, "by_channel": {"online": 3}}
    )
    d2 = fr.closed_decision(
        project,
        closed=ago(60),
        outcome="adopted",
        kind="proposal",
        participation=None,
        weights={"facilitator": 2, "participant": 1, "expert": 1},
    )
    fr.closed_decision(
        project, closed=ago(100), outcome="adopted", participation=None, electorate_roles=["facilitator", "expert"]
    )
    ProposalResponse.objects.create(decision=d2, user=p1, stance="disagree", answer="We will look again.")
    ProposalResponse.objects.create(decision=d2, user=e, stance="block")
    ProposalResponse.objects.create(decision=d2, user=f, stance="agree")

    today = timezone.localdate()
    k1 = fr.commitment(
        project, f, due_on=today - datetime.timedelta(days=20), created=ago(29), status="done", done_at=ago(25)
    )
    fr.update(k1, f, ago(25), status_to="done")
    fr.link("commits_decision", d1, k1, ago(29))
    fr.commitment(project, f, due_on=today - datetime.timedelta(days=10), created=ago(29), status="in_progress")
    fr.commitment(project, p1, due_on=today + datetime.timedelta(days=30), created=ago(29))

    for i in range(2):
        factories.UpdateFactory(project=project, author=f)
    old = factories.UpdateFactory(project=project, author=f)
    fr.set_time(old, published_at=ago(100))
    for i, (confirmed, unsubscribed) in enumerate([(True, False)] * 3 + [(False, False), (True, True)]):
        Subscription.objects.create(
            project=project,
            email=f"s{i}@example.org",
            confirmed_at=ago(40) if confirmed else None,
            unsubscribed_at=ago(1) if unsubscribed else None,
        )
    ScopeChange.objects.create(project=project, action="add", kind="can", text="A", proposed_by=p1, status="agreed")
    ScopeChange.objects.create(project=project, action="add", kind="can", text="B", proposed_by=p1, status="not_agreed")
    ScopeChange.objects.create(project=project, action="add", kind="can", text="C", proposed_by=p1, status="withdrawn")
    # The overall target, set through the service: the facilitator's activity entry makes them active today.
    reports.reach_target_set(user=f, project=project, label="Everyone", role="", channel="", target=20)
    return project


def scores(project):
    result = health.project_health(project, reports.report_visibilities(Role.FACILITATOR))
    return {s.key: s for s in result["steps"]}, result["spectrum"]


def test_the_five_steps_are_scored_exactly_from_the_project_data(healthy):
    steps, _spectrum = scores(healthy)

    # Awareness. Contributions in 12 months: 4 responses + 1 pin + 2 feedback + 3 ballots = 10, of a target of
    # 20: 50. People with an account who took part: F (set the target), P1 (feedback), E (a pin) = 3.
    # Subscribers: 3 active (one unconfirmed, one unsubscribed) of a goal of max(10, ceil(3/5)) = 10: 30.
    # Ways: online, paper, phone: 3 of 3: 100. (40*50 + 30*30 + 30*100) / 100 = 59.
    a = steps["awareness"]
    assert [(p["value"], p["goal"], p["score"]) for p in a.parts] == [(10, 20, 50), (3, 10, 30), (3, 3, 100)]
    assert a.score == 59

    # Buy-in. Members 5; active in 90 days: F (set the target), P1 (feedback), E (a pin) = 3 of ceil(5/2) = 3: 100.
    # Participants 2, active 1 of ceil(2/2) = 1: 100. No budget, one observer: 50.
    # (40*100 + 40*100 + 20*50) / 100 = 90.
    b = steps["buy_in"]
    assert [p["score"] for p in b.parts] == [100, 100, 50]
    assert b.score == 90

    # Expectations. Scope: a line to influence and a fixed one: 100. Changes: 1 agreed of 2 decided (the
    # withdrawn one is not counted): 50. Roles: facilitator and participants: 100. Rules not written, but
    # participants vote: 50. (30*100 + 20*50 + 25*100 + 25*50) / 100 = 77.5 -> 78.
    e = steps["expectations"]
    assert [p["score"] for p in e.parts] == [100, 50, 100, 50]
    assert e.score == 78

    # Performance. No access needs asked: not scored. Objections 2, answered 1: 50. Participants 2, one has
    # taken part (P1's feedback): 50. (25*50 + 25*50) / 50 = 50.
    p = steps["performance"]
    assert [x["score"] for x in p.parts] == [None, 50, 50]
    assert p.score == 50

    # Feedback. Updates in 90 days: 2 project updates + 1 commitment update = 3 of 6: 50. Promises: due K1 and
    # K2, kept K1: 50. Days from decision to first update: d1 5 (K1's update), d2 60 and d3 100 still waiting;
    # the middle value 60 scores 100 * (90 - 60) / 76 = 39.5 -> 39. Feedback triaged 1 of 2: 50.
    # (25*50 + 30*50 + 25*39 + 20*50) / 100 = (1250 + 1500 + 975 + 1000) / 100 = 47.25 -> 47.
    f = steps["feedback"]
    assert [(x["value"], x["score"]) for x in f.parts] == [(3, 50), (1, 50), (60, 39), (1, 50)]
    assert f.score == 47
    assert any("Triage each one" in s for s in f.suggestions)


def test_where_the_data_puts_the_project_on_the_spectrum(healthy):
    healthy.engagement_level = "coproduction"
    healthy.save(update_fields=["engagement_level"])
    _steps, spectrum = scores(healthy)
    # Ideas: none yet, so not measured. Decisions with an equal vote for participants: d1 only (d2 weighs
    # facilitators double, d3's voters leave participants out): 1 of 3. Commitments a participant owns: 1 of 3.
    # (1/3 + 1/3) / 2 = 1/3: participation. The project says co-production: one level above its data.
    assert spectrum["shares"] == {"ideas": None, "equal_votes": 33, "ownership": 33}
    assert spectrum["mean"] == 33
    assert spectrum["measured"].key == "participation"
    assert spectrum["chosen"].key == "coproduction"
    assert spectrum["gap"] == 1


def test_the_health_page_shows_scores_evidence_and_suggestions(healthy, world):
    response = world.client("participant").get(reverse("reports:health", args=[healthy.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Awareness: 59/100" in html and "Feedback: 47/100" in html
    assert "Where it comes from" in html
    assert "What would help" in html
    assert "Its data puts it at: <strong>Participation</strong>" in html
    assert " style=" not in html


def test_a_new_project_has_a_health_page_with_nothing_to_score_yet(world):
    response = world.client("observer").get(reverse("reports:health", args=[world.private_project.slug]))
    assert response.status_code == 200
    steps, spectrum = scores(world.private_project)
    # Its one participant has not taken part in anything yet (0 of 1); nobody asked for access needs and nobody
    # objected, so those parts are not scored: (25*0) / 25 = 0.
    assert [p["score"] for p in steps["performance"].parts] == [None, None, 0]
    assert steps["performance"].score == 0
    assert spectrum["measured"].key == "information"


@pytest.mark.parametrize(
    "persona, public_status, private_status",
    [
        ("facilitator", 200, 200),
        ("participant", 200, 200),
        ("expert", 200, 200),
        ("observer", 200, 200),
        ("outsider", 403, 404),
        ("anonymous", 403, 404),
    ],
)
def test_who_may_see_the_health_page(world, persona, public_status, private_status):
    client = world.client(persona)
    assert client.get(reverse("reports:health", args=[world.project.slug])).status_code == public_status
    assert client.get(reverse("reports:health", args=[world.private_project.slug])).status_code == private_status


def test_the_health_page_takes_the_same_number_of_queries_as_the_project_grows(
    healthy, world, django_assert_max_num_queries
):
    client = world.client("facilitator")
    path = reverse("reports:health", args=[healthy.slug])
    client.get(path)
    with django_assert_max_num_queries(75):
        assert client.get(path).status_code == 200
    for i in range(30):
        fr.feedback(healthy, when=ago(1 + i), feeling=3, channel="paper")
        fr.commitment(healthy, world.facilitator, due_on=timezone.localdate(), created=ago(2))
    with django_assert_max_num_queries(75):
        assert client.get(path).status_code == 200
