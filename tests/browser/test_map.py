"""The community map in real headless Chromium: a pin dropped with the keyboard only, through the named
place picker; axe-core on the map and list pages in English and Welsh. Tiles point nowhere: nothing here
depends on them."""

from __future__ import annotations

import pytest

from copro.maps.models import Pin
from tests.browser.conftest import axe_serious
from tests.browser.test_deciding import no_csp_errors, signed_in
from tests.factories_maps import community_map, pins

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_participant_drops_a_pin_with_the_keyboard_only_using_the_place_picker(new_page, live_server, world):
    the_map = community_map(world.project, created_by=world.facilitator, title="Active travel in Cardiff")
    tab = signed_in(new_page, live_server, world.participant)
    page = tab.page
    page.goto(f"/p/{world.project.slug}/maps/{the_map.pk}/pins/new/")
    assert axe_serious(page) == []

    # Search the places: type, then Enter submits the search form (a plain GET, no script needed).
    page.get_by_label("Search the named places").focus()
    page.keyboard.type("queen")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "place_q=queen" in page.url
    options = page.locator("#id_place option").all_text_contents()
    assert "Queen Street" in options and "Cardiff Bay barrage" not in options

    # The category: focus the first radio and choose it with Space.
    page.get_by_label("Unsafe crossing").focus()
    page.keyboard.press("Space")
    # The place: a native select, chosen with the arrow keys.
    page.get_by_label("Or pick a named place").focus()
    page.keyboard.press("ArrowDown")
    assert page.locator("#id_place").input_value() != ""
    page.get_by_label("What is the issue here?").focus()
    page.keyboard.type("Cars do not stop at the crossing by the shops.")
    page.get_by_role("button", name="Put my pin on the map").focus()
    with page.expect_navigation():
        page.keyboard.press("Enter")

    pin = Pin.objects.get()
    assert pin.place is not None and pin.place.name == "Queen Street"
    assert (pin.lat, pin.lng) == (pin.place.lat, pin.place.lng)
    assert "Your pin is on the map" in page.content()

    page.goto(f"/p/{world.project.slug}/maps/{the_map.pk}/pins/")
    assert "Cars do not stop at the crossing by the shops." in page.content()
    assert "Queen Street" in page.content()
    assert no_csp_errors(tab)


@pytest.mark.parametrize("welsh", [False, True])
def test_the_map_and_list_pages_pass_axe_in_english_and_welsh(new_page, live_server, world, welsh):
    the_map = community_map(world.project, created_by=world.facilitator, title="Teithio llesol")
    pins(the_map, 600, author=world.expert)
    user = world.participant
    if welsh:
        user.preferred_language = "cy"
        user.save()
    tab = signed_in(new_page, live_server, user, "cy" if welsh else "en-GB")
    page = tab.page
    page.goto(f"/p/{world.project.slug}/maps/{the_map.pk}/")
    if welsh:
        assert page.locator("html").get_attribute("lang") == "cy"
    # The map is shown (JavaScript ran) and draws the clustered pins from the data endpoint.
    page.locator("#copro-map .map-cluster, #copro-map path.leaflet-interactive").first.wait_for()
    assert page.locator("#copro-map").is_visible()
    assert axe_serious(page) == []
    page.goto(f"/p/{world.project.slug}/maps/{the_map.pk}/pins/?page=2")
    assert axe_serious(page) == []
    assert no_csp_errors(tab)


def test_without_javascript_the_map_page_is_the_list(browser, live_server, world):
    the_map = community_map(world.project, created_by=world.facilitator)
    pins(the_map, 3)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"/p/{world.project.slug}/maps/{the_map.pk}/")
        assert not page.locator("#copro-map").is_visible()
        assert page.locator("ol.pins > li").count() == 3
    finally:
        context.close()
