"""The frameworks a project is placed in: the engagement spectrum, Cynefin, the five steps.

Plain data and pure functions: the self-assessment and the Cynefin questions are scored here, so
they can be read, tested and changed in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from statistics import median_low

from django.utils.translation import gettext_lazy as _
from django_stubs_ext import StrOrPromise

# --- The engagement spectrum: "doing to", "doing for", "doing with" -------------------------------


@dataclass(frozen=True)
class Level:
    key: str
    name: StrOrPromise
    group: StrOrPromise
    organisation_words: StrOrPromise
    people_words: StrOrPromise


DOING_TO = _("Doing to")
DOING_FOR = _("Doing for")
DOING_WITH = _("Doing with")

LEVELS: list[Level] = [
    Level(
        "coercion",
        _("Coercion"),
        DOING_TO,
        _("We decide and act; people have no choice but to go along with it."),
        _("Things are done to us. Nobody asks us."),
    ),
    Level(
        "protection",
        _("Protection"),
        DOING_TO,
        _("We decide what is best to keep people safe, without involving them."),
        _("They decide what is good for us, for our own good."),
    ),
    Level(
        "education",
        _("Education"),
        DOING_FOR,
        _("We help people understand the decisions we have made."),
        _("They explain what they have already decided."),
    ),
    Level(
        "persuasion",
        _("Persuasion"),
        DOING_FOR,
        _("We try to convince people that our plan is the right one."),
        _("They try to win us over to their plan."),
    ),
    Level(
        "information",
        _("Information"),
        DOING_FOR,
        _("We tell people what is happening and what we are doing."),
        _("We are kept informed, but we have no say."),
    ),
    Level(
        "consultation",
        _("Consultation"),
        DOING_FOR,
        _("We ask for people's views, then we decide."),
        _("We are asked what we think, but they make the decision."),
    ),
    Level(
        "participation",
        _("Participation"),
        DOING_WITH,
        _("People help shape plans with us, and we keep the final say."),
        _("We help shape things, but they have the last word."),
    ),
    Level(
        "coproduction",
        _("Co-production"),
        DOING_WITH,
        _("We share power as equals: we decide and act together, from start to finish."),
        _("We are equal partners: we decide and do it together."),
    ),
]
LEVEL_INDEX = {level.key: i for i, level in enumerate(LEVELS)}
ENGAGEMENT_CHOICES = [(level.key, level.name) for level in LEVELS]


@dataclass(frozen=True)
class Question:
    key: str
    text: StrOrPromise
    options: list[tuple[str, StrOrPromise]]  # (level key the answer points to, answer text)


ENGAGEMENT_QUESTIONS: list[Question] = [
    Question(
        "why",
        _("Who decided that this project should happen, and what it is for?"),
        [
            ("coercion", _("The organisation, and people must go along with it")),
            ("information", _("The organisation, and people are told afterwards")),
            ("consultation", _("The organisation, after asking people for their views")),
            (
                "participation",
                _("The organisation and the people who use the service, with people shaping key choices"),
            ),
            ("coproduction", _("The people who use the service and the organisation, as equal partners")),
        ],
    ),
    Question(
        "decide",
        _("When there is a decision to make, who makes it?"),
        [
            ("education", _("Staff, and they explain it to people")),
            ("persuasion", _("Staff, and they try to convince people it is right")),
            ("consultation", _("Staff, after listening to people")),
            ("participation", _("Staff and people together, but staff have the final say")),
            ("coproduction", _("Staff and people together, with equal votes")),
        ],
    ),
    Question(
        "voice",
        _("What happens to what people say?"),
        [
            ("coercion", _("There is no way for people to have a say")),
            ("protection", _("Staff act on it if they think it is in people's interest")),
            ("consultation", _("It is considered, and people are told what was decided")),
            ("participation", _("It changes plans, and people help make the changes")),
            ("coproduction", _("People and staff act on it together and report back to everyone")),
        ],
    ),
    Question(
        "work",
        _("Who does the work, and who owns the results?"),
        [
            ("protection", _("Staff do it for people, to keep them safe")),
            ("information", _("Staff do it, and tell people what they did")),
            ("participation", _("Staff do it, with people helping in some parts")),
            ("coproduction", _("Staff and people do it together, sharing the roles and the credit")),
        ],
    ),
]


def suggest_engagement_level(answers: dict[str, str]) -> str | None:
    """The level the answers point to: the lower median, so one generous answer cannot lift it."""
    indexes = [LEVEL_INDEX[value] for value in answers.values() if value in LEVEL_INDEX]
    if not indexes:
        return None
    return LEVELS[median_low(indexes)].key


def level(key: str) -> Level | None:
    index = LEVEL_INDEX.get(key)
    return LEVELS[index] if index is not None else None


# --- Cynefin -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domain:
    key: str
    name: StrOrPromise
    approach: StrOrPromise
    advice: StrOrPromise


DOMAINS: list[Domain] = [
    Domain(
        "simple",
        _("Simple (clear)"),
        _("Sense, categorise, respond"),
        _(
            "The answer is known. Use established good practice, and check now and then that it still fits: "
            "simple situations can tip into chaos when nobody is watching."
        ),
    ),
    Domain(
        "complicated",
        _("Complicated"),
        _("Sense, analyse, respond"),
        _(
            "There is a right answer, but finding it takes expertise. Call in the specialists, and weigh "
            "their analysis with the people who will live with the result."
        ),
    ),
    Domain(
        "complex",
        _("Complex"),
        _("Probe, sense, respond"),
        _(
            "Nobody can know the answer in advance. Gather the people: try small, safe-to-fail experiments, "
            "get feedback early and often, and let the way forward emerge. This is where co-production "
            "matters most."
        ),
    ),
    Domain(
        "chaotic",
        _("Chaotic"),
        _("Act, sense, respond"),
        _(
            "Act first to make things safe, then stabilise. As soon as the crisis has passed, gather the "
            "people and treat the work as complex."
        ),
    ),
]
DOMAIN_INDEX = {d.key: d for d in DOMAINS}
CYNEFIN_CHOICES = [(d.key, d.name) for d in DOMAINS]

CYNEFIN_QUESTIONS: list[tuple[str, StrOrPromise]] = [
    ("crisis", _("Is something going badly wrong right now, so that you must act at once to make people safe?")),
    ("obvious", _("Would most people involved agree on what the problem is, and on what the answer is?")),
    ("analysable", _("Could specialists work out the right answer by studying the problem, even if it takes time?")),
]


def cynefin_domain(answers: dict[str, bool]) -> str:
    """The domain the answers point to, asked in order: crisis first, then clarity, then analysis."""
    if answers.get("crisis"):
        return "chaotic"
    if answers.get("obvious"):
        return "simple"
    if answers.get("analysable"):
        return "complicated"
    return "complex"


def domain(key: str) -> Domain | None:
    return DOMAIN_INDEX.get(key)


# --- The five co-production steps ---------------------------------------------------------------

STEPS: list[tuple[str, StrOrPromise, StrOrPromise]] = [
    (
        "awareness",
        _("Awareness"),
        _("People who use the service, and staff, know about the project and how to take part."),
    ),
    (
        "buy_in",
        _("Buy-in"),
        _("The organisation's leaders and the people involved commit time, money and power to it."),
    ),
    (
        "expectations",
        _("Expectations"),
        _("Everyone knows what they can and cannot influence, their role, and how decisions will be made."),
    ),
    (
        "performance",
        _("Performance"),
        _("People have the skills, training and support they need to take part as equals."),
    ),
    ("feedback", _("Feedback"), _("Everyone hears what happened as a result, and the project learns and changes.")),
]
STEP_CHOICES = [(key, name) for key, name, _help in STEPS]
