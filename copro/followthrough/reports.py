"""Governance reports: what happened in a project over a chosen period, for its board.

`report_data(project, start, end, visibilities)` gathers every section from the database and returns plain
data (numbers, rows, charts) that the page and the PDF show the same way. It stores nothing.

Other capabilities are being built alongside this one, so their models and selectors are loaded lazily
(`_model`, `_selector`): a capability that is not installed, or not there yet, leaves its part of the report
empty ("no … in this period") instead of breaking it.

How things are counted (also on the page, under "How we count"):
- a period runs from the start of its first day to the end of its last day, in the project's time zone;
- members by role: memberships that had begun by the end of the period; "took part" means the member did
  something in the period (an entry in the activity log, a vote, a response, a pin, an idea or feedback);
- responses are counted when submitted, pins and ideas when made, feedback moments when given; ballots are
  counted in the decisions that closed in the period (secret ballots carry no time, by design);
- reach against a target counts, for a role, the people in that role who took part; for a channel, what
  came in through it; for both, what came in through it from people in that role; for neither, everything
  that came in (responses, pins, ideas, feedback, ballots and meeting attendance).

Reach targets are the only thing this part of Copro writes (`reach_target_set`, `reach_target_remove`).
"""

from __future__ import annotations

import importlib
import uuid
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Model, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from copro.analysis.health import percent, share
from copro.core import activity
from copro.core.forms import claim_token
from copro.core.models import ActivityEntry, EntryChannel, ResourceLink, Visibility
from copro.core.permissions import Role
from copro.followthrough.models import (
    Commitment,
    CommitmentStatus,
    CommitmentUpdate,
    FeedbackMoment,
    Feeling,
    ReachTarget,
    Triage,
)
from copro.projects.models import MemberRole, Membership, Project, ScopeChange

if TYPE_CHECKING:
    from copro.accounts.models import User

# Lists in a report stop at this many rows and say how many more there are: a board reads a summary,
# and the PDF of a Cardiff-sized project stays a few pages long.
LIST_LIMIT = 25
QUOTE_LIMIT = 12
# The longest period a report covers: five years.
MAX_PERIOD_DAYS = 5 * 366
# Report dates run from the first year anything can have been imported to ten years ahead: beyond that,
# date arithmetic overflows (9999-12-31 plus a day) and no report could have anything in it.
FIRST_YEAR = 2000
YEARS_AHEAD = 10

ROLE_ORDER = [Role.PARTICIPANT, Role.EXPERT, Role.FACILITATOR, Role.OBSERVER]
CHANNEL_LABELS = dict(EntryChannel.choices)


# --- Loading other capabilities lazily ----------------------------------------------------------------


def _model(label: str) -> type[Model] | None:
    """The model "app_label.Model", or None when its app is not installed or the model does not exist yet."""
    app_label, name = label.split(".")
    if not apps.is_installed(f"copro.{app_label}"):
        return None
    try:
        return apps.get_model(app_label, name)
    except LookupError:
        return None


def _has_field(model: type[Model] | None, name: str) -> bool:
    if model is None:
        return False
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001 - FieldDoesNotExist: the other capability is not there yet
        return False
    return True


def _selector(module: str, name: str) -> Callable[..., Any] | None:
    """A function from another capability's selectors, or None when it is not there (yet)."""
    try:
        return getattr(importlib.import_module(module), name, None)
    except ImportError:
        return None


def _ideas() -> QuerySet[Any] | None:
    """Ideas that are not hidden by a moderator (None when the ideas capability is not there): a hidden
    idea's title or numbers never reach a report, a shared link or the API."""
    model = _model("ideas.Idea")
    if model is None:
        return None
    ideas = model._default_manager.all()
    return ideas.filter(hidden_at__isnull=True) if _has_field(model, "hidden_at") else ideas


def _content_type(label: str) -> ContentType | None:
    model = _model(label)
    return ContentType.objects.get_for_model(model) if model is not None else None


# --- The period -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def start_at(self) -> datetime:
        """The first moment of the first day, in the project's time zone."""
        return timezone.make_aware(datetime.combine(self.start, time.min))

    @property
    def end_at(self) -> datetime:
        """The last moment of the last day (inclusive: works with both < and <= comparisons)."""
        return timezone.make_aware(datetime.combine(self.end, time.max))

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def check(self, today: date | None = None) -> None:
        """Refuse a period that ends before it starts, lasts more than five years, or has a date outside
        `date_bounds` (which would overflow date arithmetic further down)."""
        first, last = date_bounds(today)
        outside = {
            name: _("Choose a date from %(first)s to %(last)s.")
            % {"first": date_format(first, "j F Y"), "last": date_format(last, "j F Y")}
            for name, value in (("start", self.start), ("end", self.end))
            if not first <= value <= last
        }
        if outside:
            raise ValidationError(outside)
        if self.end < self.start:
            raise ValidationError(
                {"end": _("The period ends before it starts. Choose an end date on or after the start date.")}
            )
        if self.days > MAX_PERIOD_DAYS:
            raise ValidationError({"start": _("A report covers at most five years. Choose a later start date.")})


def date_bounds(today: date | None = None) -> tuple[date, date]:
    """The earliest and latest dates a report may cover: 1 January 2000 to ten years from today."""
    today = today or timezone.localdate()
    try:
        last = today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        last = today.replace(year=today.year + YEARS_AHEAD, day=28)
    return date(FIRST_YEAR, 1, 1), last


def default_period(today: date | None = None) -> Period:
    """The last full three calendar months before today's month: a board's quarter."""
    today = today or timezone.localdate()
    first_of_month = today.replace(day=1)
    end = first_of_month - timedelta(days=1)
    start_month = (end.month - 3) % 12 + 1
    start_year = end.year - (1 if start_month > end.month else 0)
    return Period(date(start_year, start_month, 1), end)


# --- Charts: plain numbers that the templates draw as SVG bars with a table beside them ---------------------


@dataclass
class Row:
    label: str
    value: int
    percent: int | None = None  # of the chart's total
    bar: int = 0  # bar length, 0-100 (of the largest value)
    note: str = ""


@dataclass
class Chart:
    key: str  # unique in the report: used for ids
    title: str  # what the chart shows, in words (also the SVG's <title>)
    rows: list[Row]
    value_label: str = ""  # the table's heading for the numbers
    total: int = 0

    @property
    def empty(self) -> bool:
        return self.total == 0

    @property
    def height(self) -> int:
        return max(1, len(self.rows)) * 34 + 4


def chart(
    key: str, title: str, pairs: Iterable[tuple[str, int]], value_label: str = "", percents: bool = True
) -> Chart:
    rows = [Row(str(label), int(value)) for label, value in pairs]
    total = sum(r.value for r in rows)
    largest = max((r.value for r in rows), default=0)
    for r in rows:
        r.bar = round(100 * r.value / largest) if largest else 0
        r.percent = percent(share(r.value, total)) if percents and total else None
    return Chart(key=key, title=title, rows=rows, value_label=value_label or _("Number"), total=total)


def _by_channel(counts: dict[str, int]) -> list[tuple[str, int]]:
    """Every entry channel in a fixed order (zeros included, so periods compare), then any other channel."""
    ordered = [(str(label), counts.get(value, 0)) for value, label in EntryChannel.choices]
    extra = [(str(key), n) for key, n in sorted(counts.items()) if key not in CHANNEL_LABELS]
    return ordered + extra


def _counts(queryset: QuerySet[Any], field_name: str) -> dict[str, int]:
    return {
        str(row[field_name]): row["n"]
        for row in queryset.order_by().values(field_name).annotate(n=Count("pk")).values(field_name, "n")
    }


# --- Who took part ---------------------------------------------------------------------------------------


def active_user_ids(project: Project, start_at: datetime, end_at: datetime) -> set[int]:
    """People who did something in the project in the period: logged activity, votes, responses, pins,
    ideas and feedback they gave themselves."""
    ids: set[int] = set(
        ActivityEntry.objects.filter(project=project, created_at__range=(start_at, end_at), actor__isnull=False)
        .order_by()
        .values_list("actor_id", flat=True)
        .distinct()
    )
    sources: list[tuple[str, str, str, str]] = [
        ("decisions.Participation", "decision__project", "at", "user_id"),
        ("consultations.Response", "consultation__project", "submitted_at", "respondent_id"),
        ("maps.Pin", "map__project", "created_at", "author_id"),
        ("ideas.Idea", "project", "created_at", "author_id"),
        ("ideas.Support", "idea__project", "created_at", "user_id"),
    ]
    for label, project_path, time_field, user_field in sources:
        model = _model(label)
        if model is None or not _has_field(model, time_field):
            continue
        ids.update(
            model._default_manager.filter(**{project_path: project, f"{time_field}__range": (start_at, end_at)})
            .exclude(**{user_field: None})
            .order_by()
            .values_list(user_field, flat=True)
            .distinct()
        )
    ids.update(
        FeedbackMoment.objects.filter(project=project, created_at__range=(start_at, end_at), given_by__isnull=False)
        .order_by()
        .values_list("given_by_id", flat=True)
        .distinct()
    )
    return ids


def members_by_role(project: Project, end_at: datetime) -> dict[str, list[int]]:
    by_role: dict[str, list[int]] = {r.value: [] for r in ROLE_ORDER}
    for user_id, role in Membership.objects.filter(project=project, joined_at__lte=end_at).values_list(
        "user_id", "role"
    ):
        by_role.setdefault(role, []).append(user_id)
    return by_role


def _responses_by_channel(project: Project, period: Period) -> dict[str, int]:
    model = _model("consultations.Response")
    if model is None:
        return {}
    return _counts(
        model._default_manager.filter(
            consultation__project=project, status="submitted", submitted_at__range=(period.start_at, period.end_at)
        ),
        "channel",
    )


def _pins_by_channel(project: Project, period: Period) -> dict[str, int]:
    model = _model("maps.Pin")
    if model is None:
        return {}
    return _counts(
        model._default_manager.filter(
            map__project=project, hidden_at__isnull=True, created_at__range=(period.start_at, period.end_at)
        ),
        "channel",
    )


def _ideas_by_channel(project: Project, period: Period) -> dict[str, int]:
    ideas = _ideas()
    if ideas is None or not _has_field(ideas.model, "channel"):
        return {}
    return _counts(ideas.filter(project=project, created_at__range=(period.start_at, period.end_at)), "channel")


def _feedback(project: Project, period: Period) -> QuerySet[FeedbackMoment]:
    return FeedbackMoment.objects.filter(project=project, created_at__range=(period.start_at, period.end_at))


def _closed_decisions(project: Project, period: Period) -> QuerySet[Any] | None:
    model = _model("decisions.Decision")
    if model is None:
        return None
    return model._default_manager.filter(
        project=project, status="closed", closed_at__range=(period.start_at, period.end_at)
    ).order_by("closed_at", "id")


def _ballots(project: Project, period: Period) -> tuple[dict[str, int], dict[str, int]]:
    """Ballots by channel in the decisions closed in the period (their frozen published figures), and the
    people who voted or responded in the period by role."""
    by_channel: Counter[str] = Counter()
    decisions = _closed_decisions(project, period)
    if decisions is not None:
        for figures in decisions.values_list("participation", flat=True):
            for channel, n in ((figures or {}).get("by_channel") or {}).items():
                by_channel[str(channel)] += int(n)
    by_role: dict[str, int] = {}
    participation = _model("decisions.Participation")
    if participation is not None:
        by_role = _counts(
            participation._default_manager.filter(
                decision__project=project, at__range=(period.start_at, period.end_at)
            ),
            "role",
        )
    return dict(by_channel), by_role


def _call(selector: Callable[..., Any] | None, project: Project, period: Period) -> Any:
    if selector is None:
        return None
    return selector(project, period.start_at, period.end_at)


def _ballot_channel_label(channel: str) -> str:
    labels = {
        "online": _("Online"),
        "paper": _("Paper"),
        "in_person": _("In person"),
        "code": _("Voting code"),
        "import": _("Imported file"),
    }
    return str(labels.get(channel, channel))


def took_part(project: Project, period: Period) -> dict[str, Any]:
    members = members_by_role(project, period.end_at)
    active = active_user_ids(project, period.start_at, period.end_at)
    joined = Counter(
        Membership.objects.filter(project=project, joined_at__range=(period.start_at, period.end_at)).values_list(
            "role", flat=True
        )
    )
    role_rows: list[dict[str, Any]] = []
    for role in ROLE_ORDER:
        ids = members.get(role.value, [])
        role_rows.append(
            {
                "role": role.label,
                "members": len(ids),
                "joined": joined.get(role.value, 0),
                "active": sum(1 for i in ids if i in active),
            }
        )
    responses = _responses_by_channel(project, period)
    pins = _pins_by_channel(project, period)
    ideas = _ideas_by_channel(project, period)
    feedback = _counts(_feedback(project, period), "channel")
    ballots, voters_by_role = _ballots(project, period)
    attendance = _call(_selector("copro.meetings.selectors", "attendance_counts"), project, period)
    origins = _call(_selector("copro.ideas.selectors", "idea_origin_counts"), project, period)

    all_channels: Counter[str] = Counter()
    for counts in (responses, pins, ideas, feedback):
        all_channels.update(counts)
    charts = {
        "roles": chart(
            "roles",
            _("Members who took part in the period, by role"),
            [(str(r["role"]), int(r["active"])) for r in role_rows],
            _("Took part"),
        ),
        "channels": chart(
            "channels",
            _("Responses, pins, ideas and feedback, by the way they reached the project"),
            _by_channel(dict(all_channels)),
            _("Number"),
        ),
    }
    origin_rows: list[tuple[str, int]] = []
    if origins:
        origin_rows = [
            (Role(key).label if key in Role._value2member_map_ else str(key), int(n))
            for key, n in origins.items()
            if key != "total"
        ]
    return {
        "active_ids": active,
        "members_by_role": members,
        "roles": role_rows,
        "members_total": sum(r["members"] for r in role_rows),
        "active_total": sum(r["active"] for r in role_rows),
        "charts": charts,
        "responses": _by_channel(responses),
        "responses_total": sum(responses.values()),
        "pins": _by_channel(pins),
        "pins_total": sum(pins.values()),
        "ideas": _by_channel(ideas),
        "ideas_total": sum(ideas.values()),
        "feedback": _by_channel(feedback),
        "feedback_total": sum(feedback.values()),
        "ballots": [(_ballot_channel_label(c), n) for c, n in sorted(ballots.items())],
        "ballots_total": sum(ballots.values()),
        "voters_by_role": [
            (Role(r).label if r in Role._value2member_map_ else r, n) for r, n in sorted(voters_by_role.items())
        ],
        "attendance": attendance,
        "meetings_available": _selector("copro.meetings.selectors", "attendance_counts") is not None,
        "ideas_available": _model("ideas.Idea") is not None,
        "origins": chart("origins", _("Ideas put forward in the period, by the author's role"), origin_rows, _("Ideas"))
        if origin_rows
        else None,
        "origins_total": int((origins or {}).get("total", 0)),
        "channel_totals": dict(all_channels),
        "channel_table": _channel_table(responses, pins, ideas, feedback),
    }


def _channel_table(*counts: dict[str, int]) -> list[tuple[str, list[int]]]:
    """One row per channel (every entry channel, then any other seen), one column per kind of contribution."""
    extra = sorted({k for c in counts for k in c} - set(CHANNEL_LABELS))
    keys = [*EntryChannel.values, *extra]
    return [(str(CHANNEL_LABELS.get(k, k)), [c.get(k, 0) for c in counts]) for k in keys]


# --- Reach against targets --------------------------------------------------------------------------


def _by_role_channel(project: Project, period: Period, channel: str, role: str) -> int:
    """What came in through a channel from people holding a role in the project (responses, pins, ideas,
    feedback: the ones that know who gave them)."""
    # A subquery, not a list of ids: a list of tens of thousands of members is more parameters than SQLite takes.
    people = Membership.objects.filter(project=project, role=role).values("user_id")
    total = 0
    sources: list[tuple[str, str, str, str, dict[str, Any]]] = [
        ("consultations.Response", "consultation__project", "submitted_at", "respondent_id", {"status": "submitted"}),
        ("maps.Pin", "map__project", "created_at", "author_id", {"hidden_at__isnull": True}),
        ("ideas.Idea", "project", "created_at", "author_id", {}),
    ]
    for label, project_path, time_field, user_field, extra in sources:
        model = _model(label)
        if label == "ideas.Idea" and _has_field(model, "hidden_at"):
            extra = {"hidden_at__isnull": True}
        if model is None or not _has_field(model, "channel"):
            continue
        total += model._default_manager.filter(
            **{
                project_path: project,
                f"{time_field}__range": (period.start_at, period.end_at),
                "channel": channel,
                f"{user_field}__in": people,
            },
            **extra,
        ).count()
    total += _feedback(project, period).filter(channel=channel, given_by_id__in=people).count()
    return total


def reach(project: Project, period: Period, part: dict[str, Any]) -> list[dict[str, Any]]:
    active = part["active_ids"]
    members = part["members_by_role"]
    ballots_total = part["ballots_total"]
    attendance = part.get("attendance") or {}
    everything = (
        sum(part["channel_totals"].values())
        + ballots_total
        + int(attendance.get("attended_with_account", 0))
        + int(attendance.get("attended_without_account", 0))
    )
    rows = []
    for target in ReachTarget.objects.filter(project=project):
        if target.role and target.channel:
            reached = _by_role_channel(project, period, target.channel, target.role)
            counted = _("contributions through this channel from people in this role")
        elif target.role:
            reached = sum(1 for i in members.get(target.role, []) if i in active)
            counted = _("people in this role who took part")
        elif target.channel:
            reached = int(part["channel_totals"].get(target.channel, 0))
            counted = _("contributions through this channel")
        else:
            reached = everything
            counted = _("all contributions, ballots and meeting attendances")
        rows.append(
            {
                "target": target,
                "label": target.label,
                "role": Role(target.role).label if target.role in Role._value2member_map_ else "",
                "channel": str(CHANNEL_LABELS.get(target.channel, "")),
                "goal": target.target,
                "reached": reached,
                "percent": percent(share(reached, target.target)),
                "met": reached >= target.target,
                "counted": counted,
            }
        )
    return rows


# --- What was decided --------------------------------------------------------------------------------------


def decided(project: Project, period: Period) -> dict[str, Any]:
    decisions = _closed_decisions(project, period)
    if decisions is None:
        return {"available": False, "rows": [], "total": 0, "chart": None, "more": 0}
    outcome_labels = dict(decisions.model._meta.get_field("outcome").choices or [])
    counts = Counter(decisions.values_list("outcome", flat=True))
    rows = [
        {
            "decision": d,
            "outcome": str(outcome_labels.get(d.outcome, d.outcome)),
            "took_part": int((d.participation or {}).get("total", 0)),
            "winners": (d.result or {}).get("winner_titles", []) if isinstance(d.result, dict) else [],
        }
        for d in decisions[:LIST_LIMIT]
    ]
    total = sum(counts.values())
    return {
        "available": True,
        "rows": rows,
        "total": total,
        "more": max(0, total - LIST_LIMIT),
        "chart": chart(
            "outcomes",
            _("Decisions closed in the period, by outcome"),
            [(str(outcome_labels.get(k, k)), n) for k, n in sorted(counts.items())],
            _("Decisions"),
        ),
    }


# --- Commitments ---------------------------------------------------------------------------------------------


def _commitments(project: Project, visibilities: Sequence[str]) -> QuerySet[Commitment]:
    return Commitment.objects.filter(project=project, visibility__in=visibilities)


def promise_kept(
    project: Project,
    visibilities: Sequence[str],
    *,
    start: date | None = None,
    end: date | None = None,
    today: date | None = None,
) -> dict[str, Any]:
    """The promise-kept rate, counted the one way the report, shared links, the API and the health page use.

    - Only the commitments the reader may see (`visibilities`, see `report_visibilities`): a staff-only
      commitment never moves the rate a board member or a shared link shows.
    - A commitment is *due* once its due date has passed: due before today (a commitment due today is not
      late yet, as for "overdue"), and, for a period, due from `start` to `end` (both included).
    - Of those, *kept* are the ones done on or before their due date (the local date of done_at). Changed and
      dropped commitments count as not kept: their reasons are shown beside them.

    Returns {"kept", "due", "rate"}: rate is a whole percentage, or None when nothing was due yet (not 0: no
    promise was broken). Two queries' worth of work in one: the counting is done by the database.
    """
    today = today or timezone.localdate()
    last = today - timedelta(days=1)
    if end is not None:
        last = min(end, last)
    due = _commitments(project, visibilities).filter(due_on__lte=last)
    if start is not None:
        due = due.filter(due_on__gte=start)
    counts = (
        due.order_by()
        .alias(done_day=TruncDate("done_at"))
        .aggregate(
            due=Count("pk"),
            kept=Count(
                "pk",
                filter=Q(status=CommitmentStatus.DONE, done_at__isnull=False, done_day__lte=F("due_on")),
            ),
        )
    )
    kept, due_count = int(counts["kept"] or 0), int(counts["due"] or 0)
    return {"kept": kept, "due": due_count, "rate": percent(share(kept, due_count))}


def commitments(project: Project, period: Period, visibilities: Sequence[str]) -> dict[str, Any]:
    today = timezone.localdate()
    mine = _commitments(project, visibilities)
    done = mine.filter(status=CommitmentStatus.DONE, done_at__range=(period.start_at, period.end_at))
    # Overdue as the period ended (or today, for a period that has not ended yet).
    as_of = min(period.end, today)
    overdue = mine.filter(
        status__in=[CommitmentStatus.PLANNED, CommitmentStatus.IN_PROGRESS],
        due_on__lt=as_of,
        created_at__lte=period.end_at,
    )
    changes = (
        CommitmentUpdate.objects.filter(
            commitment__in=mine,
            status_to__in=[CommitmentStatus.CHANGED, CommitmentStatus.DROPPED],
            created_at__range=(period.start_at, period.end_at),
        )
        .select_related("commitment")
        .order_by("created_at", "id")
    )
    in_period = (period.start_at, period.end_at)
    counts = mine.aggregate(
        new=Count("pk", filter=Q(created_at__range=in_period)),
        overdue=Count(
            "pk",
            filter=Q(
                status__in=[CommitmentStatus.PLANNED, CommitmentStatus.IN_PROGRESS],
                due_on__lt=as_of,
                created_at__lte=period.end_at,
            ),
        ),
    )
    counts.update(
        CommitmentUpdate.objects.filter(commitment__in=mine, created_at__range=in_period).aggregate(
            changed=Count("pk", filter=Q(status_to=CommitmentStatus.CHANGED)),
            dropped=Count("pk", filter=Q(status_to=CommitmentStatus.DROPPED)),
            updates=Count("pk"),
        )
    )
    done_rows = list(done.values_list("done_at", "due_on"))
    counts = {
        "new": counts["new"],
        "done": len(done_rows),
        "done_on_time": sum(1 for done_at, due_on in done_rows if timezone.localtime(done_at).date() <= due_on),
        "overdue": counts["overdue"],
        "changed": counts["changed"],
        "dropped": counts["dropped"],
        "updates": counts["updates"],
    }
    status_chart = chart(
        "commitments",
        _("Commitments in the period: done, overdue, changed and dropped"),
        [
            (_("Done"), counts["done"]),
            (_("Overdue"), counts["overdue"]),
            (_("Changed"), counts["changed"]),
            (_("Dropped"), counts["dropped"]),
        ],
        _("Commitments"),
    )
    changed_rows = list(changes[:LIST_LIMIT])
    overdue_rows = list(overdue.select_related("owner").order_by("due_on", "id")[:LIST_LIMIT])
    return {
        "counts": counts,
        "promise": promise_kept(project, visibilities, start=period.start, end=period.end),
        "chart": status_chart,
        "changed": changed_rows,
        "changed_more": max(0, counts["changed"] + counts["dropped"] - len(changed_rows)),
        "overdue": overdue_rows,
        "overdue_more": max(0, counts["overdue"] - len(overdue_rows)),
        "any": any(counts.values()) or mine.exists(),
    }


# --- Feedback ---------------------------------------------------------------------------------------------


def feedback(project: Project, period: Period) -> dict[str, Any]:
    moments = _feedback(project, period)
    feelings = _counts(moments, "feeling")
    triage = _counts(moments, "triage")
    total = sum(feelings.values())
    feeling_labels = dict(Feeling.choices)
    quotes: list[dict[str, Any]] = [
        {**q, "feeling_label": str(feeling_labels.get(q["feeling"], ""))}
        # Shared by a facilitator now, with the giver's consent: a quote that stopped being shared (or whose
        # giver withdrew consent) is gone from the report, its PDF, shared links and the API at once.
        for q in moments.filter(consent_to_share=True, shared_at__isnull=False)
        .exclude(public_excerpt="")
        .order_by("-created_at", "-id")
        .values("public_excerpt", "feeling", "created_at", "about")[:QUOTE_LIMIT]
    ]
    good = sum(n for k, n in feelings.items() if int(k) >= 4)
    return {
        "total": total,
        "feelings": chart(
            "feelings",
            _("Feedback moments in the period, by how it felt"),
            [(str(label), feelings.get(str(value), 0)) for value, label in Feeling.choices],
            _("Feedback moments"),
        ),
        "triage": chart(
            "triage",
            _("Feedback moments in the period, by what the team decided to do"),
            [(str(label), triage.get(value, 0)) for value, label in Triage.choices],
            _("Feedback moments"),
        ),
        "good_percent": percent(share(good, total)),
        "quotes": quotes,
    }


# --- What changed because of participants -----------------------------------------------------------------


def changed_by_participants(project: Project, period: Period, visibilities: Sequence[str]) -> dict[str, Any]:
    # Subqueries throughout, never lists of ids: a big project's participants, their ideas and the links
    # from them would be more parameters than SQLite accepts (32,766) in one query.
    participants = Membership.objects.filter(project=project, role=MemberRole.PARTICIPANT).values("user_id")
    idea_type = _content_type("ideas.Idea")
    decision_type = _content_type("decisions.Decision")
    commitment_type = ContentType.objects.get_for_model(Commitment)
    ideas = _ideas()
    authorship = _model("ideas.IdeaAuthor")

    participant_ideas: QuerySet[Any] | None = None
    if ideas is not None:
        by_participants = Q(author_id__in=participants)
        if authorship is not None:
            by_participants |= Q(
                pk__in=authorship._default_manager.filter(idea__project=project, user_id__in=participants).values(
                    "idea_id"
                )
            )
        # Hidden ideas are left out (see `_ideas`): neither their titles nor what came of them are shown.
        participant_ideas = ideas.filter(by_participants, project=project).values("pk")

    links = ResourceLink.objects.filter(project=project)
    taken: list[dict[str, Any]] = []
    taken_total = 0
    idea_decisions: QuerySet[Any] | None = None
    if idea_type is not None and decision_type is not None and participant_ideas is not None:
        idea_decisions = links.filter(
            source_type=idea_type, source_id__in=participant_ideas, target_type=decision_type
        ).order_by("created_at", "id")
        in_period = idea_decisions.filter(created_at__range=(period.start_at, period.end_at))
        taken_total = in_period.count()
        taken = [
            {"idea_id": idea_id, "decision_id": decision_id}
            for idea_id, decision_id in in_period.values_list("source_id", "target_id")[:LIST_LIMIT]
        ]

    # Commitments that came from a participant's idea, directly or through the decision it was taken to.
    sources = Q(pk__in=[])
    if idea_type is not None and participant_ideas is not None:
        sources |= Q(source_type=idea_type, source_id__in=participant_ideas)
    if decision_type is not None and idea_decisions is not None:
        sources |= Q(source_type=decision_type, source_id__in=idea_decisions.values("target_id"))
    commitment_ids = links.filter(sources, target_type=commitment_type).values("target_id")
    from_ideas = list(
        _commitments(project, visibilities)
        .filter(pk__in=commitment_ids)
        .filter(
            Q(created_at__range=(period.start_at, period.end_at))
            | Q(updates__created_at__range=(period.start_at, period.end_at))
        )
        .distinct()
        .order_by("due_on", "id")[: LIST_LIMIT + 1]
    )

    titles: dict[tuple[str, int], str] = {}
    if ideas is not None and taken:
        titles.update(
            (("idea", pk), title)
            for pk, title in ideas.filter(pk__in=[t["idea_id"] for t in taken]).values_list("pk", "title")
        )
    decision_model = _model("decisions.Decision")
    if decision_model is not None and taken:
        titles.update(
            (("decision", pk), title)
            for pk, title in decision_model._default_manager.filter(
                pk__in=[t["decision_id"] for t in taken]
            ).values_list("pk", "title")
        )
    for t in taken:
        t["idea"] = titles.get(("idea", t["idea_id"]), "")
        t["decision"] = titles.get(("decision", t["decision_id"]), "")

    scope_changes = list(
        ScopeChange.objects.filter(
            project=project,
            status=ScopeChange.Status.AGREED,
            proposed_by__in=participants,
            decided_at__range=(period.start_at, period.end_at),
        ).order_by("decided_at", "id")[:LIST_LIMIT]
    )
    owned = (
        _commitments(project, visibilities)
        .filter(Q(owner_id__in=participants) | Q(co_owners__in=participants))
        .distinct()
        .count()
    )
    return {
        "taken": taken,
        "taken_total": taken_total,
        "commitments": from_ideas[:LIST_LIMIT],
        "commitments_more": len(from_ideas) > LIST_LIMIT,
        "scope_changes": scope_changes,
        "owned": owned,
        "ideas_available": ideas is not None,
        "any": bool(taken or from_ideas or scope_changes or owned),
    }


# --- The whole report --------------------------------------------------------------------------------------


@dataclass
class Report:
    project: Project
    period: Period
    took_part: dict[str, Any]
    reach: list[dict[str, Any]]
    decided: dict[str, Any]
    commitments: dict[str, Any]
    feedback: dict[str, Any]
    changed: dict[str, Any]
    generated_at: datetime = field(default_factory=timezone.now)

    @property
    def empty(self) -> bool:
        """Nothing at all happened in the period: the page leads with what to do next."""
        return not (
            self.took_part["active_total"]
            or sum(self.took_part["channel_totals"].values())
            or self.took_part["ballots_total"]
            or self.decided["total"]
            or self.commitments["any"]
            or self.feedback["total"]
        )

    @property
    def charts(self) -> list[Chart]:
        found = [self.took_part["charts"]["roles"], self.took_part["charts"]["channels"]]
        if self.took_part["origins"] is not None:
            found.append(self.took_part["origins"])
        for c in (self.decided["chart"], self.commitments["chart"], self.feedback["feelings"], self.feedback["triage"]):
            if c is not None:
                found.append(c)
        return found


def report_visibilities(role: Role | None) -> list[str]:
    """Commitments the reader may see: facilitators everything; members (the board) public and members-only."""
    if role == Role.FACILITATOR:
        return list(Visibility.values)
    if role in (Role.OBSERVER, Role.PARTICIPANT, Role.EXPERT):
        return [Visibility.PUBLIC, Visibility.MEMBERS]
    return [Visibility.PUBLIC]


def report_data(project: Project, period: Period, visibilities: Sequence[str]) -> Report:
    period.check()
    part = took_part(project, period)
    return Report(
        project=project,
        period=period,
        took_part=part,
        reach=reach(project, period, part),
        decided=decided(project, period),
        commitments=commitments(project, period, visibilities),
        feedback=feedback(project, period),
        changed=changed_by_participants(project, period, visibilities),
    )


# --- Reach targets (the only writes here) ---------------------------------------------------------------------


@transaction.atomic
def reach_target_set(
    *,
    user: User,
    project: Project,
    label: str,
    role: str,
    channel: str,
    target: int,
    form_token: uuid.UUID | None = None,
) -> ReachTarget:
    """Set how many people the project means to reach (overall, in a role, through a channel, or both).
    Setting a target for the same role and channel again changes it."""
    label = " ".join((label or "").split())
    if not label:
        raise ValidationError({"label": _("Say who the target is for, for example “Young people”.")})
    if len(label) > 200:
        raise ValidationError({"label": _("Keep the name of the target to 200 characters.")})
    if role and role not in MemberRole.values:
        raise ValidationError({"role": _("Choose a role from the list.")})
    if channel and channel not in EntryChannel.values:
        raise ValidationError({"channel": _("Choose a channel from the list.")})
    if not isinstance(target, int) or isinstance(target, bool) or not 1 <= target <= 10_000_000:
        raise ValidationError({"target": _("Enter a whole number from 1 to 10,000,000.")})
    claim_token(form_token)
    try:
        with transaction.atomic():
            made, _created = ReachTarget.objects.update_or_create(
                project=project, role=role, channel=channel, defaults={"label": label, "target": target}
            )
    except IntegrityError:  # two facilitators saving the same target at once: the other one won, update it
        made = ReachTarget.objects.get(project=project, role=role, channel=channel)
        made.label, made.target = label, target
        made.save(update_fields=["label", "target"])
    activity.record(
        verb="reports.target_set",
        actor=user,
        project=project,
        target=made,
        visibility=Visibility.MEMBERS,
        data={"label": label, "number": target},
    )
    return made


@transaction.atomic
def reach_target_remove(*, user: User, target: ReachTarget) -> None:
    project = target.project
    label = target.label
    target.delete()
    activity.record(
        verb="reports.target_removed", actor=user, project=project, visibility=Visibility.MEMBERS, data={"label": label}
    )


# --- Links that open a report without an account ------------------------------------------------------------
#
# A facilitator can make a link for a board member who has no account. The link is signed (nobody can forge
# or change one), carries its period and its expiry date (at most 90 days ahead), and is refused as soon as a
# facilitator withdraws the project's links: each link carries the number of the latest "links withdrawn"
# entry in the activity log when it was made, and a later withdrawal changes that number. Making and
# withdrawing links are both in the activity log (visible to facilitators), so the audit trail shows who
# shared what and when. Nothing else is stored.

SHARE_SALT = "copro.followthrough.reports.share"
SHARE_MAX_DAYS = 90


def _withdrawal_mark(project: Project) -> int:
    return (
        ActivityEntry.objects.filter(project=project, verb="reports.links_withdrawn")
        .order_by("-id")
        .values_list("id", flat=True)
        .first()
        or 0
    )


@transaction.atomic
def share_link_make(*, user: User, project: Project, period: Period, days: int) -> tuple[str, datetime]:
    """A signed token for the report on this period, valid for `days` days (1 to 90)."""
    from django.core import signing

    period.check()
    if not isinstance(days, int) or not 1 <= days <= SHARE_MAX_DAYS:
        raise ValidationError({"days": _("A link works for 1 to 90 days.")})
    expires = timezone.now() + timedelta(days=days)
    token = signing.dumps(
        {
            "p": project.pk,
            "s": period.start.isoformat(),
            "e": period.end.isoformat(),
            "w": _withdrawal_mark(project),
            "x": int(expires.timestamp()),
        },
        salt=SHARE_SALT,
        compress=True,
    )
    activity.record(
        verb="reports.link_made",
        actor=user,
        project=project,
        visibility=Visibility.STAFF,
        data={"period": f"{period.start.isoformat()} – {period.end.isoformat()}", "days": days},
    )
    return token, expires


def share_link_read(token: str) -> tuple[Project, Period] | None:
    """The project and period a link opens, or None if it is forged, expired or withdrawn."""
    from django.core import signing

    if not isinstance(token, str) or len(token) > 500:
        return None
    try:
        data = signing.loads(token, salt=SHARE_SALT, max_age=timedelta(days=SHARE_MAX_DAYS + 1))
        expires = int(data["x"])
        project_id = int(data["p"])
        period = Period(date.fromisoformat(data["s"]), date.fromisoformat(data["e"]))
        mark = int(data["w"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    if timezone.now().timestamp() >= expires:
        return None
    project = Project.objects.select_related("organisation").filter(pk=project_id).first()
    if project is None or _withdrawal_mark(project) != mark:
        return None
    try:
        period.check()
    except ValidationError:  # made when the dates were allowed, or changed by hand: a dead link, not a 500
        return None
    return project, period


@transaction.atomic
def share_links_withdraw(*, user: User, project: Project) -> None:
    """Every link made so far for this project's reports stops working."""
    activity.record(verb="reports.links_withdrawn", actor=user, project=project, visibility=Visibility.STAFF)
