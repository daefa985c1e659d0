"""Typed links: declared by components, checked for type and project, queried both ways."""

import pytest
from django.core.exceptions import ValidationError

from copro.core.links import link_create, links_from, links_to
from copro.projects import services
from copro.updates.models import Update

pytestmark = pytest.mark.django_db


def agreed_change(world, project):
    change = services.scope_change_propose(
        user=world.participant, project=project, action="add", kind="can", text="Bench locations"
    )
    services.scope_change_respond(user=world.facilitator, change=change, agrees=True)
    return change


def test_an_update_is_linked_to_the_scope_change_it_reports_and_both_ends_can_be_followed(world):
    change = agreed_change(world, world.project)
    update = Update.objects.create(project=world.project, author=world.facilitator, title="We agreed", body="…")
    link = link_create(kind="reports_on", source=update, target=change, user=world.facilitator)
    again = link_create(kind="reports_on", source=update, target=change, user=world.facilitator)
    assert again.pk == link.pk  # linking twice is harmless
    assert [lk.target for lk in links_from(update)] == [change]
    assert [lk.source for lk in links_to(change)] == [update]


def test_undeclared_kinds_wrong_types_and_cross_project_links_are_refused(world):
    change = agreed_change(world, world.project)
    update = Update.objects.create(project=world.project, author=world.facilitator, title="T", body="B")
    elsewhere = Update.objects.create(project=world.private_project, author=world.facilitator, title="T", body="B")
    with pytest.raises(ValidationError, match="Unknown link kind"):
        link_create(kind="inspired", source=update, target=change, user=None)
    with pytest.raises(ValidationError, match="goes from"):
        link_create(kind="reports_on", source=change, target=update, user=None)
    other_change = agreed_change(world, world.private_project)
    with pytest.raises(ValidationError, match="within one project"):
        link_create(kind="reports_on", source=elsewhere, target=change, user=None)
    assert not links_to(other_change).exists() and not links_from(update).exists()
