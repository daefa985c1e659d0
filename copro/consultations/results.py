"""Results of a consultation: a few grouped queries, cached, turned into per-question figures.

Answer rows exist only for submitted responses (see copro/consultations/models.py), one row per chosen
option, scale value, rank, text or place. So every question's figures come from ONE grouped query over
the answers (question, choice, number -> count), read from the `answer_tally` index, plus one for the
number of people who answered each multiple-choice question (several rows per person there).

The raw tallies are cached, keyed by a version stamp (the number and highest id of submitted responses,
read with the channel counts in one query on the `response_by_channel` index): any new response changes
the stamp, so the cache never serves old figures. Building the figures from the tallies is plain Python
and is done on every request, so small-number suppression can depend on who is looking.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Max
from django.db.models.functions import TruncWeek
from django.utils.translation import gettext as _

from copro.consultations.models import (
    SCALE_LABELS,
    Answer,
    Consultation,
    Question,
    QuestionKind,
    Response,
    ResponseStatus,
)
from copro.core.models import EntryChannel

# Private "about you" questions: an option chosen by 1 to 4 people is shown as "fewer than 5".
SUPPRESS_BELOW = 5
# Free-text answers shown on the results page for each question (the newest first).
TEXT_SAMPLE = 20
CACHE_SECONDS = 60 * 60


@dataclass
class Figure:
    """One option, scale point or rank row: its count and share, or suppressed."""

    label: str
    count: int
    percent: int = 0
    suppressed: bool = False
    first: int = 0  # ranking: how many put it first
    ranked_by: int = 0  # ranking: how many ranked it at all
    average_rank: float | None = None  # ranking: average position among the people who ranked it
    bar: int = 0  # the length of its bar, 0-100 (SVG units)


@dataclass
class QuestionResult:
    question: Question
    answered: int | None  # None when hidden to protect small numbers
    figures: list[Figure] = field(default_factory=list)
    mean: float | None = None  # scale: 1 = strongly disagree ... 5 = strongly agree
    mean_label: str = ""
    texts: list[Answer] = field(default_factory=list)
    suppressed: bool = False
    withheld: str = ""  # why an "about you" question's totals are not shown at all (non-facilitators)

    @property
    def kind(self) -> str:
        return self.question.kind

    @property
    def chart_height(self) -> int:
        return 12 + 28 * len(self.figures)


@dataclass
class ChannelCount:
    value: str
    label: str
    count: int


@dataclass
class Stamp:
    """The submitted responses per channel, and a version stamp for the cache."""

    channels: list[ChannelCount]
    total: int
    max_id: int

    @property
    def online(self) -> int:
        return sum(c.count for c in self.channels if c.value == EntryChannel.ONLINE)

    @property
    def offline(self) -> int:
        return self.total - self.online

    @property
    def offline_percent(self) -> int:
        return _percent(self.offline, self.total)

    @property
    def online_percent(self) -> int:
        return _percent(self.online, self.total) if self.total else 0

    def key(self, consultation: Consultation, part: str) -> str:
        return f"consultations:results:{consultation.pk}:{part}:{self.total}:{self.max_id}"


@dataclass
class Results:
    stamp: Stamp
    channel: str  # "" for all channels
    respondents: int  # submitted responses in the channel shown
    questions: list[QuestionResult]


def _percent(part: int, whole: int) -> int:
    """A whole percentage, halves rounded up (12.5 -> 13), as people round by hand."""
    return (200 * part + whole) // (2 * whole) if whole else 0


def stamp(consultation: Consultation) -> Stamp:
    """One grouped query over the response_by_channel index: counts per channel and the highest id."""
    rows = (
        Response.objects.filter(consultation=consultation, status=ResponseStatus.SUBMITTED)
        .values_list("channel")
        .annotate(n=Count("id"), top=Max("id"))
        .order_by()
    )
    labels = dict(EntryChannel.choices)
    channels: list[ChannelCount] = []
    top = 0
    for channel, n, high in rows:
        channels.append(ChannelCount(channel, str(labels.get(channel, channel)), n))
        top = max(top, high or 0)
    order = list(EntryChannel.values)
    channels.sort(key=lambda c: order.index(c.value) if c.value in order else len(order))
    return Stamp(channels=channels, total=sum(c.count for c in channels), max_id=top)


def _tallies(consultation: Consultation, questions: list[Question], channel: str) -> dict[str, Any]:
    """The two grouped queries (uncached)."""
    answers = Answer.objects.filter(consultation=consultation)
    if channel:
        answers = answers.filter(channel=channel)
    tally = list(answers.values_list("question_id", "choice", "number").annotate(n=Count("id")).order_by())
    multiple = [q.pk for q in questions if q.kind == QuestionKind.MULTIPLE]
    people: dict[int, int] = {}
    if multiple:
        people = dict(
            answers.filter(question_id__in=multiple)
            .values_list("question_id")
            .annotate(n=Count("response_id", distinct=True))
            .order_by()
        )
    return {"tally": tally, "people": people}


def tallies(consultation: Consultation, questions: list[Question], channel: str, at: Stamp) -> dict[str, Any]:
    key = at.key(consultation, f"tally:{channel or 'all'}")
    found = cache.get(key)
    if found is None:
        found = _tallies(consultation, questions, channel)
        cache.set(key, found, CACHE_SECONDS)
    return found


def questions_of(consultation: Consultation) -> list[Question]:
    return list(
        Question.objects.filter(consultation=consultation)
        .select_related("section")
        .order_by("section__position", "section_id", "position", "id")
    )


def text_samples(
    consultation: Consultation, questions: list[Question], channel: str, limit: int = TEXT_SAMPLE
) -> dict[int, list[Answer]]:
    """The newest shown (not hidden) answers of each free-text question: one small query per text question
    (a number fixed by the questionnaire, not by the number of responses)."""
    samples: dict[int, list[Answer]] = {}
    for q in questions:
        if q.kind != QuestionKind.TEXT or q.private:
            continue
        rows = Answer.objects.filter(consultation=consultation, question=q, hidden_at__isnull=True).exclude(text="")
        if channel:
            rows = rows.filter(channel=channel)
        samples[q.pk] = list(rows.only("id", "text", "channel", "response_id", "question_id").order_by("-id")[:limit])
    return samples


def _bars(figures: list[Figure]) -> None:
    """Bar lengths 0-100, the longest bar for the largest count; a count above 0 always shows a sliver."""
    top = max((f.count for f in figures if not f.suppressed), default=0)
    for f in figures:
        f.bar = max(1, round(100 * f.count / top)) if top and f.count and not f.suppressed else 0


def build(
    questions: list[Question],
    data: dict[str, Any],
    *,
    suppress: bool,
    texts: dict[int, list[Answer]] | None = None,
) -> list[QuestionResult]:
    """Per-question figures from the raw tallies. `suppress`: hide small numbers of private questions."""
    by_question: dict[int, list[tuple[int | None, int | None, int]]] = defaultdict(list)
    for question_id, choice, number, n in data["tally"]:
        by_question[question_id].append((choice, number, n))
    people = data["people"]
    results: list[QuestionResult] = []
    for q in questions:
        rows = by_question.get(q.pk, [])
        result = QuestionResult(question=q, answered=0)
        if q.kind == QuestionKind.SINGLE or q.kind == QuestionKind.MULTIPLE:
            counts = [0] * len(q.choices)
            for choice, _number, n in rows:
                if choice is not None and 0 <= choice < len(counts):
                    counts[choice] += n
            answered = sum(counts) if q.kind == QuestionKind.SINGLE else int(people.get(q.pk, 0))
            result.answered = answered
            result.figures = [
                Figure(label=str(label), count=c, percent=_percent(c, answered))
                for label, c in zip(q.choices, counts, strict=True)
            ]
        elif q.kind == QuestionKind.SCALE:
            counts = [0] * len(SCALE_LABELS)
            for _choice, number, n in rows:
                if number is not None and 1 <= number <= len(counts):
                    counts[number - 1] += n
            answered = sum(counts)
            result.answered = answered
            result.figures = [
                Figure(label=str(label), count=c, percent=_percent(c, answered))
                for label, c in zip(SCALE_LABELS, counts, strict=True)
            ]
            if answered:
                result.mean = round(sum((i + 1) * c for i, c in enumerate(counts)) / answered, 2)
                result.mean_label = str(SCALE_LABELS[min(4, max(0, round(result.mean) - 1))])
        elif q.kind == QuestionKind.RANKING:
            first = [0] * len(q.choices)
            ranked_by = [0] * len(q.choices)
            rank_sum = [0] * len(q.choices)
            for choice, number, n in rows:
                if choice is None or number is None or not 0 <= choice < len(first):
                    continue
                ranked_by[choice] += n
                rank_sum[choice] += number * n
                if number == 1:
                    first[choice] += n
            answered = sum(first)  # every ranking has a first choice
            result.answered = answered
            result.figures = [
                Figure(
                    label=str(label),
                    count=first[i],
                    percent=_percent(first[i], answered),
                    first=first[i],
                    ranked_by=ranked_by[i],
                    average_rank=round(rank_sum[i] / ranked_by[i], 2) if ranked_by[i] else None,
                )
                for i, label in enumerate(q.choices)
            ]
        else:  # text and location: one row per person who answered
            result.answered = sum(n for _c, _n, n in rows)
            result.texts = (texts or {}).get(q.pk, [])
        if q.private and suppress and result.figures:
            for f in result.figures:
                if 0 < f.count < SUPPRESS_BELOW:
                    f.suppressed = True
                    f.count = f.percent = 0
                    result.suppressed = True
            if result.suppressed:
                # The total, the shares and the mean would let someone work the hidden numbers back out.
                for f in result.figures:
                    f.percent = 0
                result.answered = None
                result.mean = None
                result.mean_label = ""
        _bars(result.figures)
        results.append(result)
    return results


def consultation_results(
    consultation: Consultation, *, channel: str = "", suppress: bool = True, questions: list[Question] | None = None
) -> Results:
    """Everything the results page shows (except the reach panel).

    Queries: the stamp, the questions, and one per free-text question; the two grouped queries only when
    the cache does not hold them for this stamp.
    """
    if channel not in EntryChannel.values:
        channel = ""
    at = stamp(consultation)
    questions = questions if questions is not None else questions_of(consultation)
    data = tallies(consultation, questions, channel, at)
    texts = text_samples(consultation, questions, channel)
    respondents = at.total if not channel else next((c.count for c in at.channels if c.value == channel), 0)
    built = build(questions, data, suppress=suppress, texts=texts)
    if suppress:
        reason = _withhold_private(consultation, channel, respondents)
        if reason:
            for result in built:
                if result.question.private:
                    result.figures, result.answered, result.mean, result.mean_label = [], None, None, ""
                    result.withheld = reason
    return Results(stamp=at, channel=channel, respondents=respondents, questions=built)


# "About you" totals are shown to non-facilitators only for at least 10 responses in view.
PRIVATE_MIN_RESPONSES = 10


def _withhold_private(consultation: Consultation, channel: str, respondents: int) -> str:
    """Why "about you" totals must not be shown to a non-facilitator here, or "" if they may be.

    Small numbers are not the only risk: totals that change while a consultation is open show what the
    latest person said (compare the page before and after), and a channel with a handful of responses
    narrows a total down to them. So they are published once the consultation has closed, for all
    channels together, and only when at least PRIVATE_MIN_RESPONSES people responded.
    """
    from copro.consultations.access import has_closed

    if not has_closed(consultation):
        return str(_("“About you” totals are published when the consultation has closed."))
    if channel:
        return str(_("“About you” totals are shown for all channels together, not for one channel."))
    if respondents < PRIVATE_MIN_RESPONSES:
        return str(
            _("“About you” totals are shown only when at least %(n)d people have responded.")
            % {"n": PRIVATE_MIN_RESPONSES}
        )
    return ""


# --- Reach: online and offline responses week by week ---------------------------------------------------


@dataclass
class Week:
    start: datetime.date
    online: int
    offline: int
    bar_online: int = 0
    bar_offline: int = 0

    @property
    def total(self) -> int:
        return self.online + self.offline

    @property
    def offline_percent(self) -> int:
        return _percent(self.offline, self.total)


def _reach(consultation: Consultation) -> list[tuple[datetime.date, str, int]]:
    rows = (
        Response.objects.filter(consultation=consultation, status=ResponseStatus.SUBMITTED)
        .annotate(week=TruncWeek("submitted_at"))
        .values_list("week", "channel")
        .annotate(n=Count("id"))
        .order_by("week")
    )
    out = []
    for week, channel, n in rows:
        day = week.date() if isinstance(week, datetime.datetime) else week
        out.append((day, channel, n))
    return out


def reach(consultation: Consultation, at: Stamp | None = None) -> list[Week]:
    """Submitted responses per week (weeks start on Monday), online against everything entered by staff.
    One grouped query, cached under the same stamp as the results."""
    at = at or stamp(consultation)
    key = at.key(consultation, "reach")
    rows = cache.get(key)
    if rows is None:
        rows = _reach(consultation)
        cache.set(key, rows, CACHE_SECONDS)
    weeks: dict[datetime.date, Week] = {}
    for day, channel, n in rows:
        week = weeks.setdefault(day, Week(start=day, online=0, offline=0))
        if channel == EntryChannel.ONLINE:
            week.online += n
        else:
            week.offline += n
    ordered = sorted(weeks.values(), key=lambda w: w.start)
    top = max((w.total for w in ordered), default=0)
    for w in ordered:
        if top:
            w.bar_online = round(100 * w.online / top)
            w.bar_offline = round(100 * w.offline / top)
    return ordered


def channel_label(channel: str) -> str:
    return str(dict(EntryChannel.choices).get(channel, _("All channels")))
