"""Deciding together in real headless Chromium: a budget ballot by keyboard, a blocked consent proposal,
and a secret ballot whose result names nobody. axe-core on every page."""

from __future__ import annotations

from urllib.parse import urlparse

import pytest
from django.conf import settings

from copro.decisions import services
from copro.decisions.models import Ballot, Decision, Response
from tests import factories
from tests.browser.conftest import axe_serious
from tests.conftest import client_for

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in(new_page, live_server, user, locale: str = "en-GB"):
    """A tab signed in as `user` (the session cookie of a real sign-in, as the browser would hold it)."""
    tab = new_page(locale)
    session = client_for(user).cookies[settings.SESSION_COOKIE_NAME].value
    host = urlparse(live_server.url).hostname
    tab.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session, "domain": host, "path": "/"}])
    return tab


def no_csp_errors(tab) -> bool:
    return not [e for e in tab.errors if "Content Security Policy" in e]


def test_a_participant_casts_an_approval_budget_ballot_within_the_cap_with_the_keyboard_only(
    new_page, live_server, world
):
    d = factories.decision(
        world.project,
        kind="budget",
        title="Parc y Rhath improvements",
        budget=10_000,
        ballot_kind="approval",
        rule="mes-add1",
        spending_cap=6_000,
        hide_results=False,
        options=[("Lighting on the path", 4_000), ("Benches", 1_500), ("Play area", 5_000), ("Bins", 500)],
    )
    tab = signed_in(new_page, live_server, world.participant)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/decisions/{d.pk}/")
    assert "Before you vote: who decides, and how" in page.content()
    assert axe_serious(page) == []

    # Keyboard only: Tab to the first project checkbox, Space to tick, Tab onwards.
    first = page.get_by_label("Lighting on the path", exact=False)
    first.focus()
    page.keyboard.press("Space")
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Benches
    page.keyboard.press("Tab")
    page.keyboard.press("Space")  # Play area: 4,000 + 1,500 + 5,000 is over the 6,000 cap
    page.get_by_role("button", name="Cast my vote").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "more than the limit" in page.content()
    assert not Ballot.objects.filter(decision=d).exists()
    assert axe_serious(page) == []

    # Untick the play area with the keyboard and vote again.
    page.get_by_label("Play area", exact=False).focus()
    if page.get_by_label("Play area", exact=False).is_checked():
        page.keyboard.press("Space")
    for label in ("Lighting on the path", "Benches"):
        box = page.get_by_label(label, exact=False)
        if not box.is_checked():
            box.focus()
            page.keyboard.press("Space")
    page.get_by_role("button", name="Cast my vote").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "Your vote is counted" in page.content()
    ballot = Ballot.objects.get(decision=d)
    titles = set(d.options.filter(code__in=ballot.choices).values_list("title", flat=True))
    assert titles == {"Lighting on the path", "Benches"}
    assert axe_serious(page) == []
    assert no_csp_errors(tab)


def test_a_consent_proposal_with_a_block_must_be_answered_before_it_closes(new_page, live_server, world):
    proposer = signed_in(new_page, live_server, world.participant)
    page = proposer.page
    page.goto(f"/p/{world.project.slug}/decisions/new/proposal/")
    page.get_by_label("What is being decided").fill("Hold the forum on Saturday mornings")
    page.get_by_label("Consent", exact=False).check()
    page.get_by_role("button", name="Submit the proposal").click()
    page.wait_for_load_state()
    d = Decision.objects.get(title="Hold the forum on Saturday mornings")
    assert axe_serious(page) == []

    blocker = signed_in(new_page, live_server, world.expert)
    bpage = blocker.page
    bpage.goto(f"/p/{world.project.slug}/decisions/{d.pk}/")
    bpage.get_by_label("Block").check()
    bpage.get_by_label("Your reasons").fill("Parents of young children cannot come on Saturdays")
    bpage.get_by_role("button", name="Send my response").click()
    bpage.wait_for_load_state()
    assert "This objection has not been answered yet." in bpage.content()
    assert axe_serious(bpage) == []

    facilitator = signed_in(new_page, live_server, world.facilitator)
    fpage = facilitator.page
    fpage.goto(f"/p/{world.project.slug}/decisions/{d.pk}/")
    fpage.get_by_label("Agreed with changes").check()
    fpage.get_by_label("The outcome in plain words").fill("Saturday mornings, with a crèche")
    fpage.get_by_role("button", name="Close and publish the result").click()
    fpage.wait_for_load_state()
    assert "objection still needs an answer" in fpage.content()
    assert Decision.objects.get(pk=d.pk).status == "open"

    # The proposer answers the block; now it can close.
    page.goto(f"/p/{world.project.slug}/decisions/{d.pk}/")
    page.get_by_label("Your answer to", exact=False).fill("We will run a crèche during the forum")
    page.get_by_role("button", name="Publish the answer").click()
    page.wait_for_load_state()
    assert Response.objects.get(decision=d).answer == "We will run a crèche during the forum"

    fpage.goto(f"/p/{world.project.slug}/decisions/{d.pk}/")
    fpage.get_by_label("Agreed with changes").check()
    fpage.get_by_label("The outcome in plain words").fill("Saturday mornings, with a crèche")
    fpage.get_by_role("button", name="Close and publish the result").click()
    fpage.wait_for_load_state()
    assert Decision.objects.get(pk=d.pk).status == "closed"
    fpage.goto(f"/p/{world.project.slug}/decisions/log/")
    log = fpage.content()
    assert "Hold the forum on Saturday mornings" in log and "Saturday mornings, with a crèche" in log
    assert axe_serious(fpage) == []
    assert no_csp_errors(proposer) and no_csp_errors(blocker) and no_csp_errors(facilitator)


@pytest.mark.parametrize("locale", ["en-GB", "cy-GB"])
def test_a_secret_ballot_result_shows_no_names(new_page, live_server, world, locale):
    d = factories.decision(
        world.project, method="irv", title="Name for the new community room", options=["Yr Hafan", "The Hub", "Cwtch"]
    )
    codes = {o.title: o.code for o in d.options.all()}
    services.ballot_cast(user=world.participant, decision=d, choices=[codes["Cwtch"], codes["Yr Hafan"]])
    services.ballot_cast(user=world.expert, decision=d, choices=[codes["The Hub"], codes["Yr Hafan"]])
    services.ballot_cast(user=world.facilitator, decision=d, choices=[codes["Yr Hafan"]])
    services.decision_close(user=world.facilitator, decision=d)
    world.facilitator.preferred_language = locale[:2]
    world.facilitator.save()
    tab = signed_in(new_page, live_server, world.facilitator, locale)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/decisions/{d.pk}/")
    html = page.content()
    assert ("Rownd 1" if locale == "cy-GB" else "Round 1") in html
    for person in (world.participant, world.expert, world.facilitator):
        assert person.display_name not in page.locator("section.result").inner_text()
        assert person.email not in html
    assert axe_serious(page) == []
    assert no_csp_errors(tab)


@pytest.mark.parametrize("locale", ["en-GB", "cy-GB"])
def test_decision_pages_have_no_serious_accessibility_violations(new_page, live_server, world, locale):
    ranked = factories.decision(world.project, method="irv", options=["Un", "Dau", "Tri"], secrecy="named")
    scored = factories.decision(world.project, method="score", max_score=5, options=["A", "B"])
    budget = factories.decision(
        world.project,
        kind="budget",
        budget=900,
        ballot_kind="cumulative",
        rule="greedy",
        points=10,
        options=[("A", 300), ("B", 400), ("C", 500)],
    )
    closed = factories.decision(world.project, method="approval", options=["Yes", "No"])
    services.ballot_cast(user=world.participant, decision=closed, choices=[closed.options.first().code])
    services.decision_close(user=world.facilitator, decision=closed, rationale="Because")
    codes = services.codes_generate(user=world.facilitator, decision=ranked, count=2, batch="Hwb")
    base = f"/p/{world.project.slug}/decisions/"
    world.facilitator.preferred_language = locale[:2]
    world.facilitator.save()
    tab = signed_in(new_page, live_server, world.facilitator, locale)
    page = tab.page
    for path in (
        base,
        f"{base}log/",
        f"{base}new/poll/",
        f"{base}new/budget/",
        f"{base}import/",
        f"{base}{ranked.pk}/",
        f"{base}{scored.pk}/",
        f"{base}{budget.pk}/",
        f"{base}{closed.pk}/",
        f"{base}{ranked.pk}/paper/",
        f"{base}{ranked.pk}/codes/",
    ):
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == locale[:2]
        assert axe_serious(page) == [], path
    voter = new_page(locale)
    voter.page.goto("/vote/")
    assert axe_serious(voter.page) == []
    voter.page.locator("input[name=code]").fill(codes[0])
    voter.page.locator("main button[type=submit]").click()
    voter.page.wait_for_load_state()
    assert voter.page.locator("fieldset.ballot-grid").count() == 1
    assert axe_serious(voter.page) == []
    assert no_csp_errors(tab) and no_csp_errors(voter)
