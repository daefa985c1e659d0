"""Co-production health: the five steps scored from a project's data, and where the data puts it on the
engagement spectrum.

Pure functions over plain numbers. Nothing here imports Django: copro.followthrough.health gathers the
evidence from the database, calls these functions and shows the result with its evidence and advice.

Every score is a whole number from 0 to 100, computed with exact integer arithmetic:

* ``capped(value, goal)`` is ``100 * min(value, goal) / goal``, rounded half up: a part reaches 100 when its
  value reaches the goal, and it is 0 with nothing to show.
* A step is made of weighted parts. A part with nothing to judge it by (no target set, nobody asked for
  support, no commitment due yet) is *not scored* (``None``); it is left out and the weights of the
  others are used as they are. The step's score is ``sum(weight * score) / sum(weight)`` over the scored
  parts, rounded half up; with no scored part at all the step is not scored either.
* A part scoring below ``SUGGEST_BELOW`` (60) gives the suggestion key ``"<step>.<part>.low"``; a part
  that is not scored gives ``"<step>.<part>.missing"`` (the page turns keys into plain-language advice).

The exact formula of each part is in the docstring of its step function.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from statistics import median_low

SUGGEST_BELOW = 60

# Awareness: one in five of the people who took part following the project's news is full marks, with a
# floor of 10 subscribers; three different ways of taking part is full marks.
SUBSCRIBER_SHARE = Fraction(1, 5)
SUBSCRIBER_FLOOR = 10
CHANNEL_GOAL = 3
# Feedback: six updates in 90 days (one a fortnight) is full marks; a first update on a decision's
# commitments within 14 days of the decision is full marks, 90 days or more is none.
CADENCE_GOAL = 6
PROMPT_DAYS = 14
LATE_DAYS = 90

# The spectrum: the mean of the shares below puts the project at a level (see `spectrum`).
COPRODUCTION_FROM = Fraction(3, 5)
PARTICIPATION_FROM = Fraction(3, 10)


def round_half_up(value: Fraction | int) -> int:
    """The nearest whole number; halves go up (2.5 -> 3), unlike Python's round()."""
    value = Fraction(value)
    return (2 * value.numerator + value.denominator) // (2 * value.denominator)


def capped(value: int, goal: int) -> int:
    """``100 * min(value, goal) / goal`` rounded half up; a goal of 0 or less means there is nothing to reach."""
    if goal <= 0:
        return 100
    return round_half_up(Fraction(100 * min(max(value, 0), goal), goal))


def days_score(days: int, good: int = PROMPT_DAYS, bad: int = LATE_DAYS) -> int:
    """100 at ``good`` days or fewer, 0 at ``bad`` days or more, and in between
    ``100 * (bad - days) / (bad - good)`` rounded half up."""
    if days <= good:
        return 100
    if days >= bad:
        return 0
    return round_half_up(Fraction(100 * (bad - days), bad - good))


def ceil_fraction(value: Fraction) -> int:
    return -((-value.numerator) // value.denominator)


@dataclass(frozen=True)
class Part:
    """One measured part of a step: its score (None: not scored), its weight, what was measured and the goal."""

    key: str
    weight: int
    score: int | None
    value: int | None = None
    goal: int | None = None


@dataclass(frozen=True)
class StepScore:
    step: str
    score: int | None
    parts: tuple[Part, ...]
    suggestions: tuple[str, ...] = field(default=())

    def part(self, key: str) -> Part:
        return next(p for p in self.parts if p.key == key)


def combine(step: str, parts: Sequence[Part]) -> StepScore:
    """The weighted mean of the scored parts, rounded half up, with the suggestion keys of weak parts."""
    scored = [p for p in parts if p.score is not None]
    total_weight = sum(p.weight for p in scored)
    score = (
        round_half_up(Fraction(sum(p.weight * (p.score or 0) for p in scored), total_weight)) if total_weight else None
    )
    suggestions = tuple(
        f"{step}.{p.key}.missing" if p.score is None else f"{step}.{p.key}.low"
        for p in parts
        if p.score is None or p.score < SUGGEST_BELOW
    )
    return StepScore(step=step, score=score, parts=tuple(parts), suggestions=suggestions)


# --- The five steps --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AwarenessEvidence:
    contributions: int  # times people took part in the last 12 months (responses, pins, ballots, feedback,
    # meeting attendances, ideas): one person can contribute many times
    reach_target: int | None  # the project's overall reach target, in contributions; None when none is set
    subscribers: int  # confirmed subscriptions to the project's updates that are still active
    channels_used: int  # different ways people took part (online, paper, phone, drop-in, outreach, meetings)
    people: int | None = None  # distinct people known to have taken part (None: not known, use contributions)


def awareness(e: AwarenessEvidence) -> StepScore:
    """Awareness: do people know about the project and how to take part?

    * reach (weight 40) = ``capped(contributions, reach_target)``: contributions (not people) against the
      overall target; not scored when no overall target is set;
    * subscribers (weight 30) = ``capped(subscribers, max(10, ceil(people / 5)))``: one in five of the
      people who took part following the project's news, and at least 10 (``contributions`` stands in for
      ``people`` when the number of people is not known);
    * channels (weight 30) = ``capped(channels_used, 3)``: three different ways of taking part.
    """
    people = e.people if e.people is not None else e.contributions
    subscriber_goal = max(SUBSCRIBER_FLOOR, ceil_fraction(Fraction(people) * SUBSCRIBER_SHARE))
    return combine(
        "awareness",
        [
            Part(
                "reach",
                40,
                capped(e.contributions, e.reach_target) if e.reach_target else None,
                e.contributions,
                e.reach_target or None,
            ),
            Part("subscribers", 30, capped(e.subscribers, subscriber_goal), e.subscribers, subscriber_goal),
            Part("channels", 30, capped(e.channels_used, CHANNEL_GOAL), e.channels_used, CHANNEL_GOAL),
        ],
    )


@dataclass(frozen=True)
class BuyInEvidence:
    members: int  # all members of the project
    members_active: int  # members who did something in the last 90 days
    participants: int  # members in the participant role
    participants_active: int  # of them, those who did something in the last 90 days
    budget_set: bool  # the organisation has put a budget on the project
    observers: int  # governance board members following the project (observer role)


def buy_in(e: BuyInEvidence) -> StepScore:
    """Buy-in: do the organisation and the people involved commit time, money and power?

    * members_active (weight 40) = ``capped(members_active, ceil(members / 2))``: half the members active
      in the last 90 days;
    * participants_active (weight 40) = ``capped(participants_active, ceil(participants / 2))``; 0 when the
      project has no participants at all;
    * leadership (weight 20) = 50 if a budget is set + 50 if at least one observer (board member) follows it.
    """
    return combine(
        "buy_in",
        [
            Part(
                "members_active",
                40,
                capped(e.members_active, ceil_fraction(Fraction(e.members, 2))) if e.members else 0,
                e.members_active,
                ceil_fraction(Fraction(e.members, 2)),
            ),
            Part(
                "participants_active",
                40,
                capped(e.participants_active, ceil_fraction(Fraction(e.participants, 2))) if e.participants else 0,
                e.participants_active,
                ceil_fraction(Fraction(e.participants, 2)),
            ),
            Part(
                "leadership", 20, 50 * e.budget_set + 50 * (e.observers > 0), int(e.budget_set) + (e.observers > 0), 2
            ),
        ],
    )


@dataclass(frozen=True)
class ExpectationsEvidence:
    scope_can: int  # current lines of the scope that can be influenced
    scope_fixed: int  # current fixed lines (each with its reason)
    scope_changes_agreed: int  # proposed scope changes agreed by both sides
    scope_changes_not_agreed: int  # proposed scope changes closed without agreement (withdrawn ones not counted)
    facilitators: int
    participants: int
    decision_rules_written: bool  # the project's decision rules are written in plain words
    participants_vote: bool  # participants are among the roles that vote


def expectations(e: ExpectationsEvidence) -> StepScore:
    """Expectations: does everyone know what they can influence, their role, and how decisions are made?

    * scope_published (weight 30) = 50 if some lines can be influenced + 50 if the fixed lines are listed;
    * scope_agreed (weight 20) = ``capped(agreed, agreed + not_agreed)``: the share of decided scope changes
      that both sides agreed; not scored before any change was decided;
    * roles_clear (weight 25) = 50 if there is a facilitator + 50 if there is a participant;
    * decision_rules (weight 25) = 50 if the decision rules are written + 50 if participants vote.
    """
    decided = e.scope_changes_agreed + e.scope_changes_not_agreed
    return combine(
        "expectations",
        [
            Part("scope_published", 30, 50 * (e.scope_can > 0) + 50 * (e.scope_fixed > 0), e.scope_can + e.scope_fixed),
            Part(
                "scope_agreed",
                20,
                capped(e.scope_changes_agreed, decided) if decided else None,
                e.scope_changes_agreed,
                decided or None,
            ),
            Part("roles_clear", 25, 50 * (e.facilitators > 0) + 50 * (e.participants > 0)),
            Part("decision_rules", 25, 50 * e.decision_rules_written + 50 * e.participants_vote),
        ],
    )


@dataclass(frozen=True)
class PerformanceEvidence:
    access_asked: int  # meeting registrations that asked for an access need to be met
    access_met: int  # of them, marked met by a facilitator
    objections: int  # objections (disagree, block) raised to proposals
    objections_answered: int  # of them, answered
    participants: int  # participant members
    participants_contributed: int  # of them, those who have taken part in anything (an idea, a vote, a pin...)


def performance(e: PerformanceEvidence) -> StepScore:
    """Performance: do people have the skills and support to take part as equals?

    * access_needs (weight 50) = ``capped(access_met, access_asked)``; not scored when nobody asked;
    * objections_answered (weight 25) = ``capped(objections_answered, objections)``; not scored without
      objections;
    * participants_taking_part (weight 25) = ``capped(participants_contributed, participants)``; not scored
      without participants.
    """
    return combine(
        "performance",
        [
            Part(
                "access_needs",
                50,
                capped(e.access_met, e.access_asked) if e.access_asked else None,
                e.access_met,
                e.access_asked or None,
            ),
            Part(
                "objections_answered",
                25,
                capped(e.objections_answered, e.objections) if e.objections else None,
                e.objections_answered,
                e.objections or None,
            ),
            Part(
                "participants_taking_part",
                25,
                capped(e.participants_contributed, e.participants) if e.participants else None,
                e.participants_contributed,
                e.participants or None,
            ),
        ],
    )


@dataclass(frozen=True)
class FeedbackEvidence:
    updates_90_days: int  # project updates and commitment updates published in the last 90 days
    promises_due: int  # commitments whose due date has passed, or that were done, changed or dropped
    promises_kept: int  # of them, done by their due date
    decision_days: Sequence[int] = ()  # per decision: whole days from its close to the first commitment update
    feedback_total: int = 0  # feedback moments given
    feedback_triaged: int = 0  # of them, looked at and triaged by a facilitator


def feedback(e: FeedbackEvidence) -> StepScore:
    """Feedback: does everyone hear what happened as a result?

    * cadence (weight 25) = ``capped(updates_90_days, 6)``: an update a fortnight;
    * promises_kept (weight 30) = ``capped(promises_kept, promises_due)``; not scored before anything is due;
    * decision_to_update (weight 25) = ``days_score(median_low(decision_days))``: 100 within 14 days, 0 at 90
      days or more, straight line between; not scored without decisions;
    * feedback_triaged (weight 20) = ``capped(feedback_triaged, feedback_total)``; not scored without feedback.
    """
    median_days = median_low(list(e.decision_days)) if e.decision_days else None
    return combine(
        "feedback",
        [
            Part("cadence", 25, capped(e.updates_90_days, CADENCE_GOAL), e.updates_90_days, CADENCE_GOAL),
            Part(
                "promises_kept",
                30,
                capped(e.promises_kept, e.promises_due) if e.promises_due else None,
                e.promises_kept,
                e.promises_due or None,
            ),
            Part(
                "decision_to_update",
                25,
                days_score(median_days) if median_days is not None else None,
                median_days,
                PROMPT_DAYS,
            ),
            Part(
                "feedback_triaged",
                20,
                capped(e.feedback_triaged, e.feedback_total) if e.feedback_total else None,
                e.feedback_triaged,
                e.feedback_total or None,
            ),
        ],
    )


# --- The engagement spectrum --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpectrumEvidence:
    ideas: int | None  # ideas put forward (None: the ideas capability is not available)
    ideas_from_participants: int
    decisions: int  # decisions opened to a vote or response
    decisions_participants_equal: int  # of them, those where participants voted with the same weight as anyone
    commitments: int
    commitments_participant_owned: int  # of them, owned or co-owned by a participant
    asked_views: bool  # the project asked people for their views (responses, pins or feedback)


@dataclass(frozen=True)
class SpectrumPosition:
    level: str  # "information", "consultation", "participation" or "coproduction"
    shares: dict[str, Fraction | None]  # each measured share (None: nothing to measure it by)
    mean: Fraction | None


def share(part: int, whole: int | None) -> Fraction | None:
    return Fraction(part, whole) if whole else None


def spectrum(e: SpectrumEvidence) -> SpectrumPosition:
    """Where the data puts the project on the spectrum, from information to co-production.

    Three shares, each left out when there is nothing to measure it by:
    ideas = ideas_from_participants / ideas; equal_votes = decisions_participants_equal / decisions;
    ownership = commitments_participant_owned / commitments. With m their mean:
    m >= 3/5 is co-production; m >= 3/10 participation; m > 0, or any views asked for, consultation;
    otherwise information (people are told, not asked).
    """
    shares = {
        "ideas": share(e.ideas_from_participants, e.ideas),
        "equal_votes": share(e.decisions_participants_equal, e.decisions),
        "ownership": share(e.commitments_participant_owned, e.commitments),
    }
    measured = [s for s in shares.values() if s is not None]
    mean = sum(measured, Fraction(0)) / len(measured) if measured else None
    if mean is not None and mean >= COPRODUCTION_FROM:
        level = "coproduction"
    elif mean is not None and mean >= PARTICIPATION_FROM:
        level = "participation"
    elif (mean is not None and mean > 0) or e.asked_views:
        level = "consultation"
    else:
        level = "information"
    return SpectrumPosition(level=level, shares=shares, mean=mean)


def percent(value: Fraction | None) -> int | None:
    """A share as a whole percentage, rounded half up (None stays None)."""
    return None if value is None else round_half_up(value * 100)
