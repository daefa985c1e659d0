"""Factories whose default text is hostile: script payloads, Welsh diacritics, long strings.

Every page and API that shows factory data therefore tests escaping and length limits for free.
"""

from __future__ import annotations

import factory
from allauth.account.models import EmailAddress

from copro.accounts.models import User
from copro.projects.models import (
    Membership,
    Organisation,
    OrganisationMembership,
    Project,
    ProjectVisibility,
    ScopeItem,
    ScopeKind,
)
from copro.updates.models import Update

XSS = "<script>alert(1)</script>"
HOSTILE = f"{XSS} Ŵŷâ “quotes” & <b>bold</b> '\""
PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    display_name = factory.Sequence(lambda n: f"{XSS}Ŵyn {n}")
    access_needs = "Large print " + XSS

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: object) -> None:
        self.set_password(extracted or PASSWORD)
        if create:
            self.save()
            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Cyngor {n} {XSS}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class OrganisationMembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrganisationMembership

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    role = OrganisationMembership.Role.STAFF


class ProjectFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Project

    organisation = factory.SubFactory(OrganisationFactory)
    title = factory.Sequence(lambda n: f"Prosiect {n} {XSS}")
    slug = factory.Sequence(lambda n: f"project-{n}")
    purpose = HOSTILE * 3
    visibility = ProjectVisibility.PUBLIC
    created_by = factory.SubFactory(UserFactory)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    project = factory.SubFactory(ProjectFactory)
    user = factory.SubFactory(UserFactory)
    role = "participant"


class ScopeItemFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ScopeItem

    project = factory.SubFactory(ProjectFactory)
    kind = ScopeKind.CAN
    text = factory.Sequence(lambda n: f"Line {n} {XSS}")
    reason = ""


class UpdateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Update

    project = factory.SubFactory(ProjectFactory)
    title = factory.Sequence(lambda n: f"Update {n} {XSS}")
    body = HOSTILE
    author = factory.SubFactory(UserFactory)


def decision(project, *, kind="poll", options=(), status="open", **fields):  # type: ignore[no-untyped-def]
    """A decision with options (title, cost) through the services, opened unless status='draft'."""
    from datetime import timedelta

    from django.utils import timezone

    from copro.decisions import services

    creator = fields.pop("created_by", None) or project.created_by
    closes_at = fields.pop("closes_at", timezone.now() + timedelta(days=7))
    made = services.decision_create(
        user=creator,
        project=project,
        kind=kind,
        title=fields.pop("title", f"Decision {XSS} ŵŷâ"),
        how_used=fields.pop("how_used", "The council acts on the result " + XSS),
        closes_at=closes_at,
        **fields,
    )
    for item in options:
        title, cost = (item, None) if isinstance(item, str) else item
        services.option_add(user=creator, decision=made, title=title, cost=cost)
    if status == "open":
        made = services.decision_open(user=creator, decision=made)
    return made
