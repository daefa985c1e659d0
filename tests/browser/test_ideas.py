"""Ideas in real headless Chromium: putting forward an idea that touches something fixed (the flag before
saving, and on the idea's page), and a review round run by a facilitator with an expert and a peer, each in
their own browser. axe-core on every page, no Content-Security-Policy errors."""

from __future__ import annotations

import pytest

from copro.ideas.models import Idea, ReviewRound, ReviewScore
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.factories_ideas import fixed_item, idea, member

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_participant_puts_forward_an_idea_touching_something_fixed_and_sees_the_flag(new_page, live_server, world):
    fixed = fixed_item(world.project)
    tab = signed_in(new_page, live_server, world.participant)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/ideas/new/")
    assert axe_serious(page) == []
    page.get_by_label("A short title").fill("Move the bus stop off the trunk road")
    page.get_by_label("What problem does it address?").fill("Children wait for the bus on a narrow verge.")
    page.get_by_label("What do you propose?").fill("Move the stop 50 metres into the estate.")
    note = page.locator("[data-fixed-note]")
    assert note.is_hidden()
    page.get_by_label(f"{fixed.text} (fixed)").check()
    assert note.is_visible()  # the script shows the note as soon as the fixed line is ticked
    with page.expect_navigation():
        page.get_by_role("button", name="Put my idea forward").click()

    # The server's confirmation step: the flag and the reason from the scope, before anything is saved.
    assert "Your idea touches something fixed" in page.content()
    assert "Why it is fixed: Statutory duty" in page.locator("#fixed-flag").inner_text()
    assert not Idea.objects.exists()
    assert axe_serious(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Put it forward anyway").click()

    made = Idea.objects.get()
    assert made.touches_fixed and made.author == world.participant
    assert page.url.endswith(f"/ideas/{made.pk}/")
    flag = page.locator("section.idea-flag").inner_text()
    assert "This idea touches something fixed" in flag and "Statutory duty" in flag
    assert axe_serious(page) == []
    page.goto(f"/p/{world.project.slug}/ideas/?fixed=on")
    assert "Move the bus stop off the trunk road" in page.content()
    assert axe_serious(page) == []
    assert no_csp_errors(tab)


def _score_everything(page, value: str, comment: str) -> None:
    for fieldset in page.locator("fieldset.review-criterion").all():
        fieldset.locator(f'input[type=radio][value="{value}"]').check()
    page.locator("fieldset.review-criterion textarea").first.fill(comment)


def test_a_review_round_run_with_an_expert_and_a_peer_each_in_their_own_browser(new_page, live_server, world):
    # Written by someone who is not reviewing it (nobody reviews their own idea).
    the_idea = idea(world.project, member(world.project), title="School street on Heol y Felin")
    boss = signed_in(new_page, live_server, world.facilitator)
    page = boss.page

    # The facilitator starts a round on the idea, with the suggested criteria, and invites an expert and a peer.
    page.goto(f"/p/{world.project.slug}/ideas/{the_idea.pk}/")
    with page.expect_navigation():
        page.get_by_role("link", name="Pressure-test it in a review round").click()
    assert axe_serious(page) == []
    page.get_by_label("Title of the round").fill("Spring pressure test")
    with page.expect_navigation():
        page.get_by_role("button", name="Save the round").click()
    the_round = ReviewRound.objects.get()
    assert the_round.ideas.get() == the_idea and the_round.criteria.count() == 6
    page.locator("fieldset", has_text="Members to invite").get_by_label("(Expert)").check()
    invite = page.locator("fieldset", has_text="Members to invite")
    invite.get_by_label(f"{world.participant.public_name} (Participant)").check()
    assert "You wrote this idea" not in page.content()
    with page.expect_navigation():
        page.get_by_role("button", name="Invite", exact=True).click()
    assert "2 reviewers invited" in page.content()
    assert axe_serious(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="Open the round and tell the reviewers").click()
    assert "The round is open" in page.content()

    # The expert and the peer each review in their own browser context.
    for user, value, comment in (
        (world.expert, "5", "Works well near schools."),
        (world.participant, "2", "Parents will park elsewhere."),
    ):
        tab = signed_in(new_page, live_server, user)
        review_page = tab.page
        review_page.goto(f"/p/{world.project.slug}/ideas/reviews/{the_round.pk}/")
        with review_page.expect_navigation():
            review_page.get_by_role("link", name="Review “School street on Heol y Felin”").click()
        assert axe_serious(review_page) == []
        _score_everything(review_page, value, comment)
        with review_page.expect_navigation():
            review_page.get_by_role("button", name="Save my review").click()
        assert "Your review is saved" in review_page.content()
        assert no_csp_errors(tab)
    assert ReviewScore.objects.filter(reviewer__kind="expert", score=5).count() == 6
    assert ReviewScore.objects.filter(reviewer__kind="peer", score=2).count() == 6

    # The facilitator sees peers' and experts' views side by side.
    page.goto(f"/p/{world.project.slug}/ideas/reviews/{the_round.pk}/ideas/{the_idea.pk}/results/")
    first = page.locator("section.criterion-result").first
    peers, experts = first.locator(".side").all()
    assert "Peers" in peers.inner_text() and "Parents will park elsewhere." in peers.inner_text()
    assert "Experts" in experts.inner_text() and "Works well near schools." in experts.inner_text()
    assert peers.locator("svg").count() == 1 and experts.locator("table").count() == 1
    box_peers, box_experts = peers.bounding_box(), experts.bounding_box()
    assert box_peers is not None and box_experts is not None and box_peers["x"] < box_experts["x"]  # side by side
    assert axe_serious(page) == []
    assert no_csp_errors(boss)


def test_the_idea_page_passes_axe_in_welsh(new_page, live_server, world):
    the_idea = idea(world.project, world.participant, scope_items=[fixed_item(world.project)])
    world.participant.preferred_language = "cy"
    world.participant.save()
    tab = signed_in(new_page, live_server, world.participant, locale="cy")
    page = tab.page
    page.goto(f"/p/{world.project.slug}/ideas/{the_idea.pk}/")
    assert page.locator("html").get_attribute("lang") == "cy"
    assert axe_serious(page) == []
    page.goto(f"/p/{world.project.slug}/ideas/")
    assert axe_serious(page) == []
    assert no_csp_errors(tab)


def test_a_facilitator_enters_an_idea_from_a_paper_form_and_an_author_sees_their_hidden_idea(
    new_page, live_server, world
):
    from copro.moderation import services as moderation

    boss = signed_in(new_page, live_server, world.facilitator)
    page = boss.page
    page.goto(f"/p/{world.project.slug}/ideas/")
    with page.expect_navigation():
        page.get_by_role("link", name="Enter an idea from paper, phone or a drop-in").click()
    assert axe_serious(page) == []
    page.get_by_label("Paper form").check()
    page.get_by_label("Their name, as they want it shown (optional)").fill("Mrs Jones")
    page.get_by_label("A short title").fill("A bench by the post office")
    page.get_by_label("What problem does it address?").fill("Nowhere to rest on the way to the shops.")
    page.get_by_label("What do you propose?").fill("One bench with arms, facing the sun.")
    with page.expect_navigation():
        page.get_by_role("button", name="Enter the idea").click()
    made = Idea.objects.get()
    assert made.channel == "paper" and made.author is None and made.author_name == "Mrs Jones"
    assert "Mrs Jones" in page.content() and "reached us by: Paper form" in page.content()
    assert axe_serious(page) == []
    assert no_csp_errors(boss)

    mine = idea(world.project, world.participant, title="My hidden idea")
    moderation.content_hide(
        user=world.facilitator, project=world.project, kind="idea", object_id=mine.pk, reason="It names a neighbour."
    )
    tab = signed_in(new_page, live_server, world.participant)
    tab.page.goto(f"/p/{world.project.slug}/ideas/{mine.pk}/")
    assert "It names a neighbour." in tab.page.locator("section.alert").first.inner_text()
    assert axe_serious(tab.page) == []
    assert no_csp_errors(tab)
