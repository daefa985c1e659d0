"""Following through at city scale: "You said, we did", governance reports and a commitment update that reaches
5,000 people, on the Cardiff-sized project, served by gunicorn with the production settings.

Seeds a throwaway database with `copro seed --scale cardiff` (20,000 responses, 1,200 subscribers, 5,000 pins,
500 commitments with milestones and updates, decisions, ideas, 400 feedback moments), then adds in bulk what
is missing: commitments and closed decisions if the seed made none (older seeds), feedback moments up to
2,000, and 5,000 people who responded to a second consultation and asked to hear back, with a commitment made
from it. Pages are served by gunicorn (3 sync workers, as docs/deployment.md suggests) exactly as in
benchmarks/listening.py, whose machinery this reuses; the baseline in the same run is its bare Django view.

Measured, per round (medians of the rounds, ratios to the baseline):
- the "You said, we did" page (followthrough:yswd), alone (p50, p95 of 30 requests) and with 50 people each
  asking once a second: target p95 < 150 ms;
- the governance report for the whole engagement (28 months) as HTML, signed in as a board member (observer):
  target < 3 s; and as PDF (WeasyPrint): target < 10 s;
- the co-production health page (no target: for the record);
- posting one commitment update that reaches 5,000 contributors (`commitment_update_post`: find them through
  the links, one bulk insert of notices, one queued task): target < 1 s; then the background worker drains
  the queue to a local SMTP server (timed separately), while the "You said, we did" page keeps being asked
  for by 20 people once a second, to show that sending blocks nobody.

Run: `COPRO_VAR_DIR=$(mktemp -d) .venv/bin/python benchmarks/followthrough.py [--fraction 0.1] [--rounds 3]`.
"""

from __future__ import annotations

import argparse
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH))

import listening as house  # noqa: E402 - sets the production environment, as listening.py does

ROOT = house.ROOT
ROUNDS = 3
YSWD_ALONE = 30
REPORT_RUNS = 3  # per round, each of HTML and PDF
FANOUT = 5000
COMMITMENTS = 500
TARGETS = {"yswd": 0.150, "report_html": 3.0, "report_pdf": 10.0, "queue": 1.0}
# The whole seeded engagement: the map (Sept 2020), the consultation (2021), the decisions (June 2021) and 18
# months of commitments after them: every row of the project is in the period, the heaviest report there is.
REPORT_PERIOD = (date(2020, 9, 1), date(2022, 12, 31))
DURING_DRAIN_CLIENTS = 20


# --- What the seed does not make (yet) --------------------------------------------------------------------


def at(day: date, hour: int = 12) -> datetime:
    from django.utils import timezone

    return timezone.make_aware(datetime(day.year, day.month, day.day, hour))


def add_followthrough(project: Any, facilitator: Any, fraction: float) -> dict[str, int]:
    """500 commitments with updates, 20 closed decisions, 2,000 feedback moments (scaled by --fraction)."""
    from django.contrib.contenttypes.models import ContentType

    from copro.core.models import ResourceLink
    from copro.decisions.models import Decision
    from copro.followthrough.models import Commitment, CommitmentUpdate, FeedbackMoment

    rng = random.Random(6)
    made: dict[str, int] = {}
    wanted = max(1, round(COMMITMENTS * fraction))
    existing = Commitment.objects.filter(project=project).count()
    if existing < wanted:
        start = REPORT_PERIOD[0]
        rows = []
        for i in range(wanted - existing):
            created = start + timedelta(days=rng.randrange(0, 300))
            due = created + timedelta(days=rng.randrange(14, 120))
            status = rng.choices(["done", "done", "in_progress", "planned", "changed", "dropped"], [5, 2, 2, 1, 1, 1])[
                0
            ]
            done_at = None
            if status == "done":
                done_at = at(due - timedelta(days=rng.randrange(-20, 20)))
            rows.append(
                Commitment(
                    project=project,
                    title=f"We will fix crossing {i}: Heol y Frenhines ŵŷâ",
                    description="What we will do, in plain words.",
                    owner=facilitator,
                    created_by=facilitator,
                    due_on=due,
                    status=status,
                    status_reason="The budget moved to next year." if status in ("changed", "dropped") else "",
                    done_at=done_at,
                )
            )
        created_rows = Commitment.objects.bulk_create(rows, batch_size=1000)
        updates = []
        for c in created_rows:
            for k in range(rng.randint(1, 4)):
                last = k == 0 and c.status in ("done", "changed", "dropped")
                updates.append(
                    CommitmentUpdate(
                        commitment=c,
                        author=facilitator,
                        text="What has happened since the last update.",
                        status_from="in_progress" if last else "",
                        status_to=c.status if last else "",
                        reason=c.status_reason if last else "",
                    )
                )
        CommitmentUpdate.objects.bulk_create(updates, batch_size=2000)
        # Spread their times over the engagement (auto_now_add fields are set after the insert).
        for c in created_rows:
            base = at(c.due_on) - timedelta(days=10)
            Commitment.objects.filter(pk=c.pk).update(created_at=base - timedelta(days=20))
        for u in (
            CommitmentUpdate.objects.filter(commitment__project=project)
            .only("id", "commitment__due_on")
            .select_related("commitment")
        ):
            CommitmentUpdate.objects.filter(pk=u.pk).update(
                created_at=at(u.commitment.due_on) - timedelta(days=rng.randrange(0, 30))
            )
        made["commitments"] = len(created_rows)
        made["commitment updates"] = len(updates)

    if not Decision.objects.filter(project=project).exists():
        decisions = Decision.objects.bulk_create(
            [
                Decision(
                    project=project,
                    kind="poll",
                    title=f"Which crossing first? {i}",
                    how_used="The council acts on the result.",
                    status="closed",
                    closes_at=at(date(2021, 3, 1) + timedelta(days=7 * i)),
                    opened_at=at(date(2021, 2, 20) + timedelta(days=7 * i)),
                    closed_at=at(date(2021, 3, 1) + timedelta(days=7 * i)),
                    outcome="counted",
                    electorate_roles=["participant", "expert", "facilitator"],
                    participation={"total": 300, "offline": 80, "by_channel": {"online": 220, "paper": 50, "code": 30}},
                    created_by=facilitator,
                )
                for i in range(20)
            ]
        )
        commitment_type = ContentType.objects.get_for_model(Commitment)
        decision_type = ContentType.objects.get_for_model(Decision)
        commitment_ids = list(Commitment.objects.filter(project=project).values_list("pk", flat=True)[:100])
        ResourceLink.objects.bulk_create(
            [
                ResourceLink(
                    project=project,
                    kind="commits_decision",
                    source_type=decision_type,
                    source_id=decisions[i % len(decisions)].pk,
                    target_type=commitment_type,
                    target_id=cid,
                )
                for i, cid in enumerate(commitment_ids)
            ]
        )
        made["closed decisions"] = len(decisions)
    wanted_feedback = max(1, round(2000 * fraction))
    have_feedback = FeedbackMoment.objects.filter(project=project).count()
    if have_feedback < wanted_feedback:
        moments = FeedbackMoment.objects.bulk_create(
            [
                FeedbackMoment(
                    project=project,
                    text="The drop-in was friendly and they listened.",
                    feeling=rng.randint(1, 5),
                    channel=rng.choice(["online", "online", "paper", "drop_in", "outreach"]),
                    triage=rng.choice(["new", "celebrate", "act_on", "pass_on"]),
                    consent_to_share=i % 50 == 0,
                    public_excerpt="they listened" if i % 50 == 0 else "",
                )
                for i in range(wanted_feedback - have_feedback)
            ],
            batch_size=2000,
        )
        FeedbackMoment.objects.filter(pk__in=[m.pk for m in moments]).update(created_at=at(date(2021, 2, 1)))
        made["feedback moments"] = len(moments)
    return made


def add_fanout(project: Any, facilitator: Any) -> Any:
    """5,000 people who answered a second consultation and asked to hear back, and a commitment made from it."""
    from django.contrib.auth.hashers import make_password

    from copro.accounts.models import User
    from copro.consultations.models import Consultation, Response
    from copro.followthrough import services

    password = make_password(None)
    users = User.objects.bulk_create(
        [
            User(email=f"heard{i:05d}@cardiff.example.org", display_name=f"Resident {i}", password=password)
            for i in range(FANOUT)
        ],
        batch_size=2000,
    )
    consultation = Consultation.objects.create(
        project=project,
        title="Which crossings first? (follow-up)",
        how_used="We report back to everyone who asked to hear.",
        status="closed",
        created_by=facilitator,
    )
    now = at(date(2021, 6, 1))
    Response.objects.bulk_create(
        [
            Response(
                consultation=consultation,
                respondent=u,
                status="submitted",
                channel="online",
                hear_back=True,
                submitted_at=now,
                receipt=f"F{i:09d}",
            )
            for i, u in enumerate(users)
        ],
        batch_size=2000,
    )
    return services.commitment_create(
        project=project,
        created_by=facilitator,
        owner=facilitator,
        title="We will build the five crossings people chose",
        due_on=date.today() + timedelta(days=90),
        source=consultation,
    )


# --- Timing ------------------------------------------------------------------------------------------------


def timed_get(port: int, path: str, cookie: str, runs: int) -> tuple[list[float], list[str], int]:
    times, errors, size = [], [], 0
    for _ in range(runs):
        status, body, seconds = house.fetch(house.connect(port), path, cookie)
        times.append(seconds)
        size = len(body)
        if status != 200:
            errors.append(f"{status} {path}: {body[:200]!r}")
    return times, errors, size


def observer_cookie(project: Any) -> str:
    """A signed-in board member (an observer of the project, nothing else)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from copro.accounts.models import User
    from copro.projects.models import Membership

    user, _created = User.objects.get_or_create(
        email="board@cardiff.example.org", defaults={"display_name": "Board member"}
    )
    Membership.objects.get_or_create(project=project, user=user, defaults={"role": "observer"})
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


class SmtpSink:
    """A local SMTP server that counts what it receives (aiosmtpd, as the tests use)."""

    def __init__(self) -> None:
        from aiosmtpd.controller import Controller

        self.count = 0
        self.lock = threading.Lock()
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        sink = self

        class Handler:
            async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
                with sink.lock:
                    sink.count += len(envelope.rcpt_tos)
                return "250 OK"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> SmtpSink:
        self.controller.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.controller.stop()


def post_update(commitment: Any, facilitator: Any, n: int) -> tuple[float, int]:
    from copro.followthrough import services

    started = time.perf_counter()
    update = services.commitment_update_post(
        commitment=commitment, author=facilitator, text=f"Round {n}: the first two crossings are built."
    )
    return time.perf_counter() - started, update.recipients


def drain(smtp_port: int) -> tuple[float, str]:
    """Run the real background worker until the queue is empty; seconds taken, and its last output."""
    env = {**os.environ, "EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_port)}
    started = time.perf_counter()
    done = subprocess.run(
        [
            str(ROOT / ".venv" / "bin" / "copro"),
            "db_worker",
            "--batch",
            "--queue-name",
            "*",
            "--no-startup-delay",
            "--no-reload",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return time.perf_counter() - started, (done.stdout + done.stderr)[-500:]


# --- The run -------------------------------------------------------------------------------------------------


def watch(port: int, page: Any, into: dict[str, Any]) -> None:
    """People reading "You said, we did" once a second while the worker sends."""
    into["sample"] = house.paced(port, page, DURING_DRAIN_CLIENTS, house.PACE, 8.0)


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.urls import reverse

    from copro.accounts.models import User
    from copro.followthrough.models import CommitmentNotice
    from copro.projects.management.commands.seed import FACILITATOR_EMAIL, PROJECT_SLUG
    from copro.projects.models import Project

    call_command("migrate", verbosity=0)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"database: {connection.vendor}; var dir {os.environ['COPRO_VAR_DIR']}; load average {load}")
    took, seeded = house.seed(args.fraction)
    print(seeded.rstrip())
    print(f"seed: {took:.1f} s")
    project = Project.objects.get(slug=PROJECT_SLUG)
    facilitator = User.objects.get(email=FACILITATOR_EMAIL)
    started = time.perf_counter()
    added = add_followthrough(project, facilitator, args.fraction)
    commitment = add_fanout(project, facilitator)
    print(f"added in {time.perf_counter() - started:.1f} s: {added}, {FANOUT} contributors who asked to hear back")
    # The commitment was made from the consultation: its first notice went to all 5,000. Send those now, so
    # the timed rounds start from an empty queue.
    house.collect_static()
    board = observer_cookie(project)
    connection.close()

    yswd = reverse("followthrough:yswd", args=[project.slug])
    start, end = REPORT_PERIOD
    query = f"?start={start.isoformat()}&end={end.isoformat()}"
    report_html = reverse("reports:report", args=[project.slug]) + query
    report_pdf = reverse("reports:report_pdf", args=[project.slug]) + query
    health = reverse("reports:health", args=[project.slug])

    from listening_wsgi import BASELINE_PATH

    endpoints = [
        house.Endpoint("baseline (bare view)", [BASELINE_PATH]),
        house.Endpoint("project page", [reverse("projects:detail", args=[project.slug])]),
        house.Endpoint("You said, we did", [yswd], TARGETS["yswd"]),
    ]
    rounds: dict[str, list[dict[str, float]]] = {e.name: [] for e in endpoints}
    errors: dict[str, list[str]] = {e.name: [] for e in endpoints}
    heavy: dict[str, list[float]] = {"report HTML": [], "report PDF": [], "health page": []}
    sizes: dict[str, int] = {}
    queue_times: list[float] = []
    drains: list[tuple[float, int, int]] = []
    during: list[house.Sample] = []
    quiet: list[house.Sample] = []
    failures = 0

    with SmtpSink() as smtp, house.gunicorn(args.workers) as port:
        print(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; {args.rounds} rounds", flush=True)
        first_drain, _out = drain(smtp.port)
        print(f"first notices of the new commitment ({smtp.count} emails) sent in {first_drain:.1f} s", flush=True)
        for number in range(1, args.rounds + 1):
            print(f"round {number}…", flush=True)
            for endpoint in endpoints:
                one = house.alone(port, endpoint, YSWD_ALONE, check=False)
                users = house.paced(port, endpoint, house.CLIENTS, house.PACE, house.PACED_SECONDS)
                errors[endpoint.name] += one.errors + users.errors
                rounds[endpoint.name].append({"p50": one.p50, "p95": one.p95, "u50": users.p50, "u95": users.p95})
            for name, path, runs in (
                ("report HTML", report_html, REPORT_RUNS),
                ("report PDF", report_pdf, REPORT_RUNS),
                ("health page", health, REPORT_RUNS),
            ):
                house.fetch(house.connect(port), path, board)  # warm (imports WeasyPrint in that worker, etc.)
                times, problems, sizes[name] = timed_get(port, path, board, runs)
                heavy[name] += times
                errors.setdefault(name, []).extend(problems)
            # The same readers with nothing being sent, for comparison with the reading while sending below.
            quiet_sample: dict[str, house.Sample] = {}
            watch(port, house.Endpoint("You said, we did (quiet)", [yswd]), quiet_sample)
            quiet.append(quiet_sample["sample"])
            # One update reaching 5,000 people: queued in the request, sent by the worker.
            seconds, recipients = post_update(commitment, facilitator, number)
            queue_times.append(seconds)
            connection.close()
            sent_before = smtp.count
            watcher: dict[str, house.Sample] = {}
            page = house.Endpoint("You said, we did (while sending)", [yswd])
            thread = threading.Thread(target=watch, args=(port, page, watcher))
            thread.start()
            drained, output = drain(smtp.port)
            thread.join()
            during.append(watcher["sample"])
            drains.append((drained, recipients, smtp.count - sent_before))
            errors.setdefault("while sending", []).extend(watcher["sample"].errors)
            if smtp.count - sent_before < recipients:
                errors.setdefault("sending", []).append(f"{smtp.count - sent_before} of {recipients} sent: {output}")

        states = dict(
            CommitmentNotice.objects.filter(update__commitment=commitment)
            .values_list("state")
            .annotate(n=Count("id"))
            .values_list("state", "n")
        )

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[name])

    base = endpoints[0].name
    print(f"\nMedians of {args.rounds} rounds. Times in ms; 'x base' is the ratio to the bare Django view's p95.")
    print(
        f"{'endpoint':34} {'p50':>7} {'p95':>7} {'x base':>7} │ {'50 users p50':>12} {'p95':>7} │ {'target':>7} {'':>5}"
    )
    for endpoint in endpoints:
        name = endpoint.name
        p95a, p95u = med(name, "p95"), med(name, "u95")
        mark = ""
        if endpoint.target:
            ok = p95a < endpoint.target and p95u < endpoint.target
            failures += not ok
            mark = verdict(ok)
        print(
            f"{name:34} {house.ms(med(name, 'p50')):>7} {house.ms(p95a):>7} {p95a / med(base, 'p95'):7.1f} │ "
            f"{house.ms(med(name, 'u50')):>12} {house.ms(p95u):>7} │ "
            f"{house.ms(endpoint.target) if endpoint.target else '':>7} {mark:>5}"
        )
    print()
    base_p50 = med(base, "p50")
    for name, target in (
        ("report HTML", TARGETS["report_html"]),
        ("report PDF", TARGETS["report_pdf"]),
        ("health page", None),
    ):
        times = heavy[name]
        middle = statistics.median(times)
        line = (
            f"{name:34} median {middle:6.2f} s, max {max(times):6.2f} s of {len(times)} "
            f"({sizes.get(name, 0) / 1024:.0f} KB; {middle / base_p50:,.0f} x the bare view's p50)"
        )
        if target:
            ok = max(times) < target
            failures += not ok
            line += f"; target < {target:.0f} s: {verdict(ok)}"
        print(line)
    queued = statistics.median(queue_times)
    ok = max(queue_times) < TARGETS["queue"]
    failures += not ok
    print(
        f"\ncommitment update to {drains[0][1]:,} contributors, queued in the request: median {queued * 1000:.0f} ms, "
        f"max {max(queue_times) * 1000:.0f} ms of {len(queue_times)}; target < 1 s: {verdict(ok)}"
    )
    for i, (seconds, _recipients, emails) in enumerate(drains, 1):
        rate = emails / seconds
        print(f"  round {i}: the background worker sent {emails:,} emails in {seconds:.1f} s ({rate:,.0f} a second)")
    while_p95 = statistics.median(s.p95 for s in during)
    quiet_p95 = statistics.median(s.p95 for s in quiet)
    print(
        f"  'You said, we did' for {DURING_DRAIN_CLIENTS} people asking once a second with nothing being sent: "
        f"p95 {house.ms(quiet_p95)} ms (median of rounds)"
    )
    print(
        f"  meanwhile 'You said, we did' for {DURING_DRAIN_CLIENTS} people asking once a second: "
        f"p95 {house.ms(while_p95)} ms (median of rounds); errors {sum(len(s.errors) for s in during)}"
    )
    print(f"  notices by state at the end: {states}")
    total_errors = sum(len(e) for e in errors.values())
    failures += total_errors > 0
    print(f"errors: {total_errors}: {verdict(not total_errors)}")
    for name, problems in errors.items():
        for problem in sorted(set(problems))[:3]:
            print(f"  {name}: {problem[:300]}")
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores (others' work skews figures)")
    print(f"overall: {verdict(not failures)}")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--fraction", type=float, default=1.0, help="a share of Cardiff's scale (default 1)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--workers", type=int, default=3)
    sys.exit(run(parser.parse_args()))


if __name__ == "__main__":
    main()
