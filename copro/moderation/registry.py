"""What can be reported: pins, comments on pins, ideas and comments on them, and the free text of answers.

Each kind says how to load its items within one project, what a member of the public may see of
them, and for one item: its text, its author, where it is shown and what it is about. Models are
looked up through the app registry only when needed, so the apps whose content is reported never
import moderation and moderation never imports them at module level (no import cycles).

Answers to private "about you" questions are never shown one by one, so they are not reportable:
they are left out of every query here, even for facilitators.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.db.models import Model, Q, QuerySet
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

if TYPE_CHECKING:
    from copro.accounts.models import User
    from copro.projects.models import Project


def _reverse(name: str, args: list[Any], fragment: str = "") -> str:
    """The address of the page showing an item; "" when that page does not exist (an app not installed)."""
    try:
        return reverse(name, args=args) + fragment
    except NoReverseMatch:
        return ""


@dataclass(frozen=True)
class Reportable:
    name: str  # stored in Report.kind and used in URLs
    label: Promise | str  # "a pin", for sentences
    model_label: str  # "app_label.Model"
    project_lookup: str  # the path from the item to its project
    related: tuple[str, ...]  # loaded with the item: author, the page it is shown on, what it is about
    always: Callable[[], Q]  # every item of this kind that could ever be reported
    public: Callable[[], Q]  # what a member of the public sees now (not hidden, not in a draft)
    author_of: Callable[[Any], User | None]
    url_of: Callable[[Any, Project], str]
    context_of: Callable[[Any], str]  # what the item is about, e.g. the map's title or the question

    @property
    def model(self) -> type[Model]:
        return apps.get_model(self.model_label)

    def in_project(self, project: Project) -> QuerySet[Any]:
        """Every reportable item of this kind in the project, hidden or not (for facilitators)."""
        return (
            self.model._default_manager.filter(self.always(), **{self.project_lookup: project})
            .select_related(*self.related)
            .order_by()
        )

    def visible(self, project: Project) -> QuerySet[Any]:
        """The items anyone who can see the project can see, so can report."""
        return self.in_project(project).filter(self.public())

    @staticmethod
    def text_of(item: Any) -> str:
        return str(item.text)


# --- Pins and comments ---------------------------------------------------------------------------


def _pin_public() -> Q:
    return Q(hidden_at__isnull=True) & ~Q(map__status="draft")


def _comment_public() -> Q:
    return Q(hidden_at__isnull=True, pin__hidden_at__isnull=True) & ~Q(pin__map__status="draft")


def _pin_url(pin: Any, project: Project) -> str:
    return _reverse("maps:pin", [project.slug, pin.map_id, pin.pk])


def _comment_url(comment: Any, project: Project) -> str:
    return _reverse("maps:pin", [project.slug, comment.pin.map_id, comment.pin_id], f"#comment-{comment.pk}")


# --- Ideas and comments on them ------------------------------------------------------------------


def _idea_public() -> Q:
    return Q(hidden_at__isnull=True)


def _idea_url(idea: Any, project: Project) -> str:
    return _reverse("ideas:detail", [project.slug, idea.pk])


def _idea_comment_public() -> Q:
    return Q(hidden_at__isnull=True)


def _idea_comment_url(comment: Any, project: Project) -> str:
    return _reverse("ideas:detail", [project.slug, comment.idea_id], f"#comment-{comment.pk}")


# --- Free-text answers ---------------------------------------------------------------------------


def _answer_always() -> Q:
    return ~Q(text="") & Q(question__private=False)


def _answer_public() -> Q:
    # Shown only where the results are: open to everyone now, or once the consultation has closed.
    now = timezone.now()
    results_out = Q(consultation__results_visibility="live") | (
        Q(consultation__results_visibility="after_close")
        & (Q(consultation__status="closed") | Q(consultation__closes_at__lte=now))
    )
    return Q(hidden_at__isnull=True) & ~Q(consultation__status="draft") & results_out


def _answer_url(answer: Any, project: Project) -> str:
    return _reverse("consultations:results", [project.slug, answer.consultation_id], f"#answer-{answer.pk}")


KINDS: dict[str, Reportable] = {
    kind.name: kind
    for kind in (
        Reportable(
            name="pin",
            label=_("a pin on a map"),
            model_label="maps.Pin",
            project_lookup="map__project",
            related=("author", "map"),
            always=Q,
            public=_pin_public,
            author_of=lambda pin: pin.author,
            url_of=_pin_url,
            context_of=lambda pin: pin.map.title,
        ),
        Reportable(
            name="comment",
            label=_("a comment on a pin"),
            model_label="maps.Comment",
            project_lookup="pin__map__project",
            related=("author", "pin__map"),
            always=Q,
            public=_comment_public,
            author_of=lambda comment: comment.author,
            url_of=_comment_url,
            context_of=lambda comment: comment.pin.map.title,
        ),
        Reportable(
            name="idea",
            label=_("an idea"),
            model_label="ideas.Idea",
            project_lookup="project",
            related=("author",),
            always=Q,
            public=_idea_public,
            author_of=lambda idea: idea.author,
            url_of=_idea_url,
            context_of=lambda idea: idea.title,  # Idea.text is its title, problem and proposal
        ),
        Reportable(
            name="idea_comment",
            label=_("a comment on an idea"),
            model_label="ideas.IdeaComment",
            project_lookup="idea__project",
            related=("author", "idea"),
            always=Q,
            public=_idea_comment_public,
            author_of=lambda comment: comment.author,
            url_of=_idea_comment_url,
            context_of=lambda comment: comment.idea.title,
        ),
        Reportable(
            name="answer",
            label=_("an answer to a consultation"),
            model_label="consultations.Answer",
            project_lookup="consultation__project",
            related=("response__respondent", "question", "consultation"),
            always=_answer_always,
            public=_answer_public,
            author_of=lambda answer: answer.response.respondent,
            url_of=_answer_url,
            context_of=lambda answer: answer.question.text,
        ),
    )
}


def get(kind: str) -> Reportable | None:
    return KINDS.get(kind)
