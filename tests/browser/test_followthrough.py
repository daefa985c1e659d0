"""Following through in real headless Chromium: a decision becomes a commitment, the commitment is updated,
and the person whose idea started it is emailed and sees it on "You said, we did"; feedback given on a
phone without an account. axe-core on every page, and no Content-Security-Policy errors."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from copro.followthrough.models import Commitment, CommitmentNotice, FeedbackMoment, FeedbackSettings
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.factories_followthrough import closed_proposal

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_decision_becomes_a_commitment_is_updated_and_the_person_whose_idea_it_was_hears_and_sees_it(
    new_page, live_server, world, outbox, run_tasks
):
    ideas = pytest.importorskip("copro.ideas.services")
    ideas.space_update(user=world.facilitator, project=world.project, is_open=True, participation="members")
    idea = ideas.idea_submit(
        project=world.project,
        author=world.participant,
        title="Light the park path to school",
        problem="It is dark by four o'clock in winter.",
        proposal="Put lights along the path.",
    )
    decision = closed_proposal(
        world.project,
        proposer=world.expert,
        responders=[],
        closer=world.facilitator,
        title="Light the park path",
        statement="Agreed: the council will light the park path.",
    )
    ideas.idea_link_decision(user=world.facilitator, idea=idea, decision=decision)
    run_tasks()
    with outbox.collector.lock:
        outbox.collector.messages.clear()

    # The facilitator turns the decision into a commitment, from the link decisions can give.
    tab = signed_in(new_page, live_server, world.facilitator)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/you-said-we-did/new/?from=decisions.decision:{decision.pk}")
    assert "From the decision: “Light the park path”" in page.content()
    assert axe_serious(page) == []
    page.get_by_label("We will…").fill("Put lights on the park path")
    page.get_by_label("Due by").fill((timezone.localdate() + timedelta(days=90)).isoformat())
    with page.expect_navigation():
        page.get_by_role("button", name="Make the commitment").click()
    assert "The commitment is made" in page.content()
    made = Commitment.objects.get()
    assert made.title == "Put lights on the park path"
    assert axe_serious(page) == []

    # It is updated: in progress, with news.
    page.get_by_label("What has happened").fill("The lights are ordered and arrive in March.")
    page.get_by_label("Status").select_option("in_progress")
    with page.expect_navigation():
        page.get_by_role("button", name="Post the update").click()
    assert "Update posted" in page.content()
    assert axe_serious(page) == []

    # A step is added, then renamed on its own form (no JavaScript needed).
    page.get_by_text("Add a milestone").click()
    page.get_by_label("Step").fill("Order the lights")
    with page.expect_navigation():
        page.get_by_role("button", name="Add the milestone").click()
    with page.expect_navigation():
        page.get_by_role("link", name="Change: Order the lights").click()
    assert axe_serious(page) == []
    page.get_by_label("Step").fill("Order twelve lights")
    with page.expect_navigation():
        page.get_by_role("button", name="Save").click()
    assert "Milestone saved." in page.content() and "Order twelve lights" in page.content()
    assert made.milestones.get().title == "Order twelve lights"
    assert no_csp_errors(tab)

    run_tasks()
    # The person who proposed the original idea is emailed the update, once.
    emails = outbox.to("participant@example.org")
    assert len(emails) == 2  # "a promise was made", then the update
    assert "The lights are ordered and arrive in March." in outbox.text(emails[-1])
    assert f"/you-said-we-did/{made.pk}/" in outbox.text(emails[-1])
    assert CommitmentNotice.objects.filter(user=world.participant).count() == 2

    # ...and sees it on the "You said, we did" page, with their idea named as what led to it.
    theirs = signed_in(new_page, live_server, world.participant)
    page = theirs.page
    page.goto(f"/p/{world.project.slug}/you-said-we-did/")
    content = page.content()
    assert "News about what you took part in" in content
    assert "Put lights on the park path" in content
    assert "The lights are ordered and arrive in March." in content
    assert "Light the park path to school" in content  # the idea that led to it
    assert "In progress" in content
    assert axe_serious(page) == []
    page.get_by_role("link", name="We will Put lights on the park path").click()
    page.wait_for_load_state()
    assert "Status: Planned → In progress" in page.content()
    assert axe_serious(page) == []
    assert no_csp_errors(theirs)


def test_feedback_is_given_on_a_phone_without_an_account(browser, live_server, world):
    FeedbackSettings.objects.create(project=world.project, allow_anonymous=True, intro="We read it every week.")
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, locale="en-GB"
    )
    errors: list[str] = []
    page = context.new_page()
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    try:
        page.goto(f"/p/{world.project.slug}/feedback/")
        assert "You do not need an account" in page.content()
        assert axe_serious(page) == []
        # Nothing spills sideways on a phone.
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        # Each feeling is a big target: a word and a face, not a colour.
        good = page.locator("label[for=id_feeling_1]")
        box = good.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300
        assert good.inner_text().strip() == "Good"

        # Sending only spaces is refused with a clear message.
        page.get_by_role("radio", name="Good", exact=True).tap()
        page.get_by_label("What happened?").fill("   ")
        with page.expect_navigation():
            page.get_by_role("button", name="Send my feedback").tap()
        assert "Tell us what happened, in a few words." in page.content()
        assert not FeedbackMoment.objects.exists()
        assert axe_serious(page) == []

        assert page.get_by_role("radio", name="Good", exact=True).is_checked()  # kept after the error
        page.get_by_role("radio", name="Very good", exact=True).tap()
        page.get_by_role("radio", name="Good", exact=True).tap()
        page.get_by_label("What happened?").fill("The advisor at the drop-in explained my letter.")
        page.get_by_role("checkbox", name="The people I met").tap()
        page.get_by_role("checkbox", name="You may quote my words in public, without my name").tap()
        with page.expect_navigation():
            page.get_by_role("button", name="Send my feedback").tap()
        assert "Thank you for your feedback" in page.content()
        assert axe_serious(page) == []
        given = FeedbackMoment.objects.get()
        assert (given.feeling, given.tags, given.consent_to_share, given.given_by) == (4, ["staff"], True, None)
        assert not [e for e in errors if "Content Security Policy" in e]
    finally:
        context.close()
