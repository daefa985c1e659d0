from __future__ import annotations

import re
from typing import Any

from rest_framework import serializers

from copro.core import activity
from copro.core.forms import parse_id
from copro.core.models import ActivityEntry, Visibility
from copro.projects.models import (
    DecisionMethod,
    Organisation,
    Project,
    ProjectVisibility,
    ScopeChange,
    ScopeItem,
    ScopeKind,
)
from copro.updates.models import Frequency, Update

# --- Output ---------------------------------------------------------------------------------------


class IdField(serializers.IntegerField):
    """The id of a row: plain ASCII digits (or a JSON number), more than 0 and small enough for the database.
    Anything else ("abc", "²", "①", true, a number too large) is a 400 on the field, never a 500."""

    default_error_messages = {"invalid": "Give the id of one of the project's items: a whole number."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        number = parse_id(data if isinstance(data, int) and not isinstance(data, bool) else str(data).strip())
        if number is None:
            self.fail("invalid")
        assert number is not None
        return number


class ScopeItemOut(serializers.ModelSerializer):
    class Meta:
        model = ScopeItem
        fields = ["id", "kind", "text", "reason"]


class PhaseOut(serializers.Serializer):
    name = serializers.CharField()
    description = serializers.CharField()
    starts_on = serializers.DateField()
    ends_on = serializers.DateField()


class ProjectOut(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")
    can_influence = serializers.SerializerMethodField()
    fixed = serializers.SerializerMethodField()
    phases = PhaseOut(many=True, read_only=True)
    equal_votes = serializers.BooleanField(read_only=True)

    class Meta:
        model = Project
        fields = [
            "slug",
            "title",
            "organisation",
            "purpose",
            "visibility",
            "budget_amount",
            "budget_currency",
            "budget_notes",
            "decision_method",
            "decision_rules",
            "voting_roles",
            "vote_weights",
            "equal_votes",
            "engagement_level",
            "cynefin_domain",
            "can_influence",
            "fixed",
            "phases",
            "created_at",
        ]

    def _items(self, project: Project, kind: str) -> list[dict[str, Any]]:
        items = [i for i in project.scope_items.all() if i.kind == kind and i.removed_at is None]
        return ScopeItemOut(items, many=True).data  # type: ignore[return-value]

    def get_can_influence(self, project: Project) -> list[dict[str, Any]]:
        return self._items(project, ScopeKind.CAN)

    def get_fixed(self, project: Project) -> list[dict[str, Any]]:
        return self._items(project, ScopeKind.FIXED)


class ProjectListOut(serializers.ModelSerializer):
    organisation = serializers.CharField(source="organisation.name")

    class Meta:
        model = Project
        fields = ["slug", "title", "organisation", "purpose", "visibility", "created_at"]


class ScopeChangeOut(serializers.ModelSerializer):
    class Meta:
        model = ScopeChange
        fields = [
            "id",
            "action",
            "kind",
            "text",
            "reason",
            "explanation",
            "status",
            "outcome_note",
            "created_at",
            "decided_at",
            "item",
        ]


class ActivityOut(serializers.ModelSerializer):
    text = serializers.SerializerMethodField()

    class Meta:
        model = ActivityEntry
        fields = ["id", "created_at", "verb", "visibility", "target_type", "target_id", "text"]

    def get_text(self, entry: ActivityEntry) -> str:
        return activity.describe(entry)


class UpdateOut(serializers.ModelSerializer):
    author = serializers.CharField(source="author.public_name")

    class Meta:
        model = Update
        fields = ["id", "title", "body", "visibility", "consultation", "author", "published_at"]


class CountOut(serializers.Serializer):
    component = serializers.CharField()
    measure = serializers.CharField()
    value = serializers.IntegerField()


class MeOut(serializers.Serializer):
    email = serializers.EmailField()
    display_name = serializers.CharField()
    preferred_language = serializers.CharField()


# --- Input ----------------------------------------------------------------------------------------


class FixedIn(serializers.Serializer):
    text = serializers.CharField(max_length=500)
    reason = serializers.CharField(max_length=2000)


class OrganisationSlug(serializers.SlugRelatedField):
    """An organisation named by its slug; anything that is not a slug is refused before the lookup."""

    def to_internal_value(self, data: Any) -> Any:
        if not isinstance(data, str) or not SLUG.fullmatch(data):
            self.fail("does_not_exist", slug_name=self.slug_field, value=str(data)[:80])
        return super().to_internal_value(data)


SLUG = re.compile(r"[-a-zA-Z0-9_]{1,80}")


class ProjectCreateIn(serializers.Serializer):
    organisation = OrganisationSlug(slug_field="slug", queryset=Organisation.objects.all())
    title = serializers.CharField(max_length=200)
    purpose = serializers.CharField(max_length=5000)
    visibility = serializers.ChoiceField(choices=ProjectVisibility.choices, default=ProjectVisibility.PUBLIC)
    budget_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    budget_currency = serializers.RegexField(r"^[A-Z]{3}$", default="GBP")
    can_influence = serializers.ListField(child=serializers.CharField(max_length=500), max_length=100, default=list)
    fixed = FixedIn(many=True, required=False, default=list)


class ProjectUpdateIn(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    purpose = serializers.CharField(max_length=5000, required=False)
    visibility = serializers.ChoiceField(choices=ProjectVisibility.choices, required=False)
    budget_amount = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=0, required=False, allow_null=True
    )
    budget_currency = serializers.RegexField(r"^[A-Z]{3}$", required=False)
    budget_notes = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    decision_method = serializers.ChoiceField(choices=DecisionMethod.choices, required=False)
    decision_rules = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    voting_roles = serializers.ListField(child=serializers.CharField(max_length=20), required=False, max_length=4)
    vote_weights = serializers.DictField(child=serializers.IntegerField(min_value=1, max_value=10), required=False)


class ScopeChangeIn(serializers.Serializer):
    action = serializers.ChoiceField(choices=ScopeChange.Action.choices)
    item = serializers.IntegerField(required=False, allow_null=True)
    kind = serializers.ChoiceField(choices=ScopeKind.choices, required=False, allow_blank=True, default="")
    text = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    explanation = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class UpdateIn(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(max_length=20000)
    visibility = serializers.ChoiceField(choices=[Visibility.PUBLIC, Visibility.MEMBERS], default=Visibility.PUBLIC)
    consultation = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="The consultation the update is about, if any."
    )


class SubscribeIn(serializers.Serializer):
    email = serializers.EmailField(max_length=254)
    consultation = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Only updates about this consultation; leave out for all of the project's updates.",
    )
    frequency = serializers.ChoiceField(choices=Frequency.choices, default=Frequency.IMMEDIATE)
