"""Listening at city scale: the Cardiff-sized project served by gunicorn with the production settings.

Seeds a throwaway database with `copro seed --scale cardiff` (5,000 pins, 20,000 responses, 1,200
subscribers; the seed is timed), collects the static files, and starts gunicorn (3 sync workers, as
docs/deployment.md suggests) with the production settings on a free local port. The baseline, served by
the same gunicorn in the same run, is the bare Django view of benchmarks/foundation.py (a minimal template
through the same middleware stack; see benchmarks/listening_wsgi.py).

For each endpoint it measures, per round:
- alone: one client, one request after another (the time a page takes to make), p50 and p95;
- 50 users: 50 threads with their own connections, each sending a request every second (50 requests a
  second offered), p50 and p95;
- 50 flat out: 50 threads sending requests back to back (saturation), p50 and p95 of the latency each
  client sees, requests per second, and errors (anything but a 200 is an error, in every mode).
Endpoints: map data for random viewports at zooms 11-18 (each answer must hold at most 2,000 features),
the results page of the 20,000-response consultation (and filtered to paper), the accessible pin list
(page 1 and the last page), the consultations list, and the CSV export of all responses (signed in as the
facilitator; full download, timed alone). Figures are medians of 3 rounds, with ratios to the baseline,
and PASS/FAIL against the issue's targets. Routes that do not exist yet are skipped with a message.

With 50 clients flat out on 2 cores, latency is mostly queueing: n clients waiting on 3 workers see about
n x (time per request) / cores, so that run is judged on errors and its ratio to the baseline. The latency
targets are judged alone and with 50 users each asking once a second.

Run: `make bench`, or `COPRO_VAR_DIR=$(mktemp -d) .venv/bin/python benchmarks/listening.py`. With
DATABASE_URL (an empty PostgreSQL database) it runs twice: on SQLite, then on PostgreSQL.
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from math import cos, radians
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("COPRO_VAR_DIR", tempfile.mkdtemp(prefix="copro-bench-"))

# The production settings, as a deployment sets them, but over plain http on localhost.
PRODUCTION_ENV = {
    "COPRO_TESTING": "0",
    "COPRO_SECRET_KEY": secrets.token_urlsafe(64),  # the same key here and in gunicorn: sessions made here work
    "COPRO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "COPRO_SITE_URL": "http://127.0.0.1",
    "EMAIL_HOST": "127.0.0.1",  # nothing is emailed: the benchmark only reads
    "COPRO_SSL_REDIRECT": "0",
    "COPRO_SECURE_COOKIES": "0",
    "COPRO_HSTS_SECONDS": "0",
    "COPRO_HSTS_PRELOAD": "0",
    "COPRO_LOG_LEVEL": "WARNING",
}
os.environ.pop("COPRO_DEBUG", None)
os.environ.update(PRODUCTION_ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "copro.settings"

ROUNDS = 3
CLIENTS = 50
ALONE_REQUESTS = 30  # per endpoint per round, one client
CONCURRENT_REQUESTS = 400  # per endpoint per round, shared by the 50 clients
# 50 people using the site at once, each asking for a page every second (a brisk reader): 50 requests a
# second offered in all, for 6 seconds per endpoint per round.
PACE = 1.0
PACED_SECONDS = 6.0
CSV_RUNS = 3  # per round
MAX_FEATURES = 2000
TARGETS = {"map": 0.100, "results": 0.200, "list": 0.100}  # p95, seconds
CSV_TARGET = 5.0  # seconds for all 20,000 responses


@dataclass
class Endpoint:
    name: str
    urls: list[str]
    target: float | None = None  # p95 in seconds, if the issue sets one
    cookie: str = ""
    check: Callable[[bytes], tuple[int, str | None]] | None = None  # a size and a problem (or None)
    largest: int = 0  # the largest size the check saw


@dataclass
class Sample:
    times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    wall: float = 0.0

    @property
    def p50(self) -> float:
        return statistics.median(self.times) if self.times else float("nan")

    @property
    def p95(self) -> float:
        return p95(self.times)

    @property
    def rate(self) -> float:
        return len(self.times) / self.wall if self.wall else float("nan")


def p95(values: list[float]) -> float:
    if len(values) < 2:
        return values[0] if values else float("nan")
    return statistics.quantiles(values, n=20)[-1]


# --- Seeding and the facilitator's session --------------------------------------------------------------


def seed(fraction: float) -> tuple[float, str]:
    from django.core.management import call_command

    out = io.StringIO()
    started = time.perf_counter()
    call_command("seed", "--scale", "cardiff", "--fraction", str(fraction), stdout=out)
    return time.perf_counter() - started, out.getvalue()


def collect_static() -> None:
    """`copro collectstatic`, as a deployment runs it (the production storage needs its manifest)."""
    from django.core.management import call_command

    call_command("collectstatic", interactive=False, verbosity=0)


def facilitator_cookie() -> str:
    """A signed-in session for the seeded facilitator, with two-factor authentication set up (staff
    must have it: copro.accounts.middleware.StaffTwoFactorMiddleware)."""
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from copro.accounts.models import User
    from copro.projects.management.commands.seed import FACILITATOR_EMAIL

    user = User.objects.get(email=FACILITATOR_EMAIL)
    TOTP.activate(user, generate_totp_secret())
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.create()
    return f"{settings.SESSION_COOKIE_NAME}={session.session_key}"


# --- The endpoints ---------------------------------------------------------------------------------------


def url(name: str, *args: object) -> str | None:
    """The path of a named route, or None (with a message) if it is not there yet."""
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        print(f"  skipped: no route named {name!r} yet")
        return None


def viewports(community_map: object, categories: list[int], n: int = 40) -> list[str]:
    """Query strings for random 1280x800-pixel viewports over the map's area, zooms 11 to 18."""
    rng = random.Random(7)
    south, west, north, east = (getattr(community_map, k) for k in ("south", "west", "north", "east"))
    result = []
    for i in range(n):
        zoom = 11 + i % 8
        width = 1280 / 256 * 360 / 2**zoom  # degrees of longitude across the screen
        lat, lng = rng.uniform(south, north), rng.uniform(west, east)
        height = width * 800 / 1280 * cos(radians(lat))
        bbox = f"{lng - width / 2:.5f},{lat - height / 2:.5f},{lng + width / 2:.5f},{lat + height / 2:.5f}"
        query = f"?bbox={bbox}&zoom={zoom}"
        if i % 5 == 4:
            query += f"&category={categories[i % len(categories)]}"
        result.append(query)
    return result


def features_check(body: bytes) -> tuple[int, str | None]:
    """How many features a map answer holds, and a problem if it is not GeoJSON or holds too many."""
    try:
        features = json.loads(body)["features"]
    except (ValueError, KeyError, TypeError):
        return 0, "not GeoJSON with a 'features' list"
    if len(features) > MAX_FEATURES:
        return len(features), f"{len(features)} features (more than {MAX_FEATURES})"
    return len(features), None


def endpoints() -> tuple[list[Endpoint], str | None]:
    """Every endpoint measured, and the CSV export's address (if it exists yet)."""
    from listening_wsgi import BASELINE_PATH

    from copro.consultations.models import Consultation
    from copro.maps.models import Map
    from copro.projects.management.commands.seed import PROJECT_SLUG

    slug = PROJECT_SLUG
    community_map = Map.objects.get(project__slug=slug)
    consultation = Consultation.objects.get(project__slug=slug)
    found = [
        Endpoint("baseline (bare view)", [BASELINE_PATH]),
        Endpoint("project page", [url("projects:detail", slug) or ""]),
    ]
    data = url("maps:data", slug, community_map.pk)
    if data:
        categories = list(community_map.categories.values_list("pk", flat=True))
        queries = viewports(community_map, categories)
        found.append(
            Endpoint("map data (40 viewports)", [data + q for q in queries], TARGETS["map"], check=features_check)
        )
    results = url("consultations:results", slug, consultation.pk)
    if results:
        found.append(Endpoint("results page", [results], TARGETS["results"]))
        found.append(Endpoint("results, paper only", [results + "?channel=paper"], TARGETS["results"]))
    pins = url("maps:pins", slug, community_map.pk)
    if pins:
        found.append(Endpoint("pin list, page 1", [pins], TARGETS["list"]))
        last = last_page(community_map)
        found.append(Endpoint(f"pin list, page {last} (last)", [f"{pins}?page={last}"], TARGETS["list"]))
    listing = url("consultations:list", slug)
    if listing:
        found.append(Endpoint("consultations list", [listing], TARGETS["list"]))
    export = url("consultations:export", slug, consultation.pk, "csv")
    return [e for e in found if e.urls[0]], export


def last_page(community_map: object) -> int:
    """The pin list's last page: as deep as the list goes (the page size is the view's own)."""
    from copro.maps import views

    per_page = getattr(views, "PER_PAGE", 25)
    shown = community_map.pins.filter(hidden_at__isnull=True).count()  # type: ignore[attr-defined]
    return max(1, -(-shown // per_page))


# --- The load generator ----------------------------------------------------------------------------------


def connect(port: int) -> http.client.HTTPConnection:
    return http.client.HTTPConnection("127.0.0.1", port, timeout=60)


def fetch(conn: http.client.HTTPConnection, path: str, cookie: str) -> tuple[int, bytes, float]:
    """One GET, reading the whole body. The connection reopens by itself when the server closed it
    (gunicorn's sync workers close after each response)."""
    headers = {"Host": "127.0.0.1", "Accept-Encoding": "identity"}
    if cookie:
        headers["Cookie"] = cookie
    started = time.perf_counter()
    try:
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
    except (OSError, http.client.HTTPException) as exc:
        conn.close()
        return 0, repr(exc).encode(), time.perf_counter() - started
    seconds = time.perf_counter() - started
    if response.will_close:
        conn.close()
    return response.status, body, seconds


def alone(port: int, endpoint: Endpoint, n: int, check: bool) -> Sample:
    conn = connect(port)
    fetch(conn, endpoint.urls[0], endpoint.cookie)  # warm up
    sample = Sample()
    started = time.perf_counter()
    for i in range(max(n, len(endpoint.urls) if check else 0)):
        path = endpoint.urls[i % len(endpoint.urls)]
        status, body, seconds = fetch(conn, path, endpoint.cookie)
        sample.times.append(seconds)
        if status != 200:
            sample.errors.append(f"{status} {path}")
        elif check and endpoint.check:
            size, problem = endpoint.check(body)
            endpoint.largest = max(endpoint.largest, size)
            if problem:
                sample.errors.append(f"{problem}: {path}")
    sample.wall = time.perf_counter() - started
    return sample


def concurrent(port: int, endpoint: Endpoint, n: int, clients: int) -> Sample:
    sample = Sample()
    lock = threading.Lock()
    counter = iter(range(n))
    start = threading.Barrier(clients + 1)

    def client() -> None:
        conn = connect(port)
        times, errors = [], []
        start.wait()
        while True:
            with lock:
                i = next(counter, None)
            if i is None:
                break
            path = endpoint.urls[i % len(endpoint.urls)]
            status, _body, seconds = fetch(conn, path, endpoint.cookie)
            times.append(seconds)
            if status != 200:
                errors.append(f"{status} {path}")
        conn.close()
        with lock:
            sample.times.extend(times)
            sample.errors.extend(errors)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    sample.wall = time.perf_counter() - started
    return sample


def paced(port: int, endpoint: Endpoint, clients: int, interval: float, duration: float) -> Sample:
    """`clients` people at once, each sending a request every `interval` seconds (starting at random
    moments in the first interval); a person whose page is slower than the interval asks again at once."""
    sample = Sample()
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    began = [0.0]

    def client(k: int) -> None:
        conn = connect(port)
        times, errors = [], []
        start.wait()
        next_at = began[0] + random.Random(k).uniform(0, interval)
        i = k
        while next_at < began[0] + duration:
            delay = next_at - time.perf_counter()
            if delay > 0:
                time.sleep(delay)
            path = endpoint.urls[i % len(endpoint.urls)]
            i += clients
            status, _body, seconds = fetch(conn, path, endpoint.cookie)
            times.append(seconds)
            if status != 200:
                errors.append(f"{status} {path}")
            next_at += interval
        conn.close()
        with lock:
            sample.times.extend(times)
            sample.errors.extend(errors)

    threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
    for thread in threads:
        thread.start()
    began[0] = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    sample.wall = time.perf_counter() - began[0]
    return sample


def csv_download(port: int, path: str, cookie: str) -> tuple[float, int, str | None]:
    """Seconds for the whole export, its number of lines, and a problem if any."""
    status, body, seconds = fetch(connect(port), path, cookie)
    if status != 200:
        return seconds, 0, f"{status} {path}"
    return seconds, body.count(b"\n"), None


# --- gunicorn ----------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def gunicorn(workers: int) -> Iterator[int]:
    port = free_port()
    log = Path(os.environ["COPRO_VAR_DIR"]) / "gunicorn.log"
    env = {**os.environ, "COPRO_SITE_URL": f"http://127.0.0.1:{port}", "PYTHONPATH": f"{ROOT}:{BENCH}"}
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "listening_wsgi:application",
        f"--bind=127.0.0.1:{port}",
        f"--workers={workers}",
        "--log-level=warning",
        f"--error-logfile={log}",
    ]
    server = subprocess.Popen(command, env=env, cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                sys.exit(f"gunicorn stopped at start-up (exit {server.returncode}):\n{log.read_text()[-3000:]}")
            try:
                status, _body, _s = fetch(connect(port), "/healthz", "")
                if status == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                sys.exit(f"gunicorn did not answer /healthz within 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.3)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- The run -----------------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f}"


def run(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    sys.path.insert(0, str(BENCH))
    call_command("migrate", verbosity=0)
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"database: {connection.vendor}; var dir {os.environ['COPRO_VAR_DIR']}; load average {load}")
    took, report = seed(args.fraction)
    print(report.rstrip())
    print(f"seed: {took:.1f} s (target < 120 s): {'PASS' if took < 120 else 'FAIL'}")
    collect_static()
    cookie = facilitator_cookie()
    connection.close()  # gunicorn's workers open their own

    with gunicorn(args.workers) as port:
        print(f"gunicorn: {args.workers} sync workers on 127.0.0.1:{port}; {CLIENTS} clients; {args.rounds} rounds")
        measured, export = endpoints()
        rounds: dict[str, list[dict[str, float]]] = {e.name: [] for e in measured}
        errors: dict[str, list[str]] = {e.name: [] for e in measured}
        csv_runs: list[float] = []
        csv_lines = 0
        for number in range(1, args.rounds + 1):
            print(f"round {number}…", flush=True)
            for endpoint in measured:
                one = alone(port, endpoint, ALONE_REQUESTS, check=number == 1)
                users = paced(port, endpoint, CLIENTS, PACE, PACED_SECONDS)
                many = concurrent(port, endpoint, CONCURRENT_REQUESTS, CLIENTS)
                errors[endpoint.name] += one.errors + users.errors + many.errors
                rounds[endpoint.name].append(
                    {
                        "p50": one.p50,
                        "p95": one.p95,
                        "u50": users.p50,
                        "u95": users.p95,
                        "c50": many.p50,
                        "c95": many.p95,
                        "rate": many.rate,
                    }
                )
            if export:
                for _ in range(CSV_RUNS):
                    seconds, csv_lines, problem = csv_download(port, export, cookie)
                    csv_runs.append(seconds)
                    if problem:
                        errors.setdefault("CSV export", []).append(problem)
    return report_table(measured, rounds, errors, csv_runs, csv_lines, export)


def report_table(
    measured: list[Endpoint],
    rounds: dict[str, list[dict[str, float]]],
    errors: dict[str, list[str]],
    csv_runs: list[float],
    csv_lines: int,
    export: str | None,
) -> int:
    def median_of(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rounds[name])

    base = measured[0].name
    base_p95, base_c95 = median_of(base, "p95"), median_of(base, "c95")
    print(
        f"\nMedians of {len(rounds[base])} rounds. Times in ms. alone: 1 client, back to back; "
        f"50 users: {CLIENTS} clients each asking every {PACE:.0f} s; "
        f"50 flat out: {CLIENTS} clients back to back (saturation)."
    )
    header = (
        f"{'endpoint':30} {'p50':>7} {'p95':>7} {'x base':>7} │ {'p50':>7} {'p95':>7} │ {'p50':>7} {'p95':>7} "
        f"{'x base':>7} {'req/s':>6} {'errors':>6} │ {'target':>6} {'alone':>5} {'users':>5}"
    )
    print(f"{'':30} {'──── alone ────':^23} │ {'50 users':^15} │ {'──────── 50 flat out ────────':^38} │")
    print(header)
    failures = 0
    for endpoint in measured:
        name = endpoint.name
        p95a, p95u, p95c = median_of(name, "p95"), median_of(name, "u95"), median_of(name, "c95")
        target = endpoint.target
        verdict_alone = verdict_users = ""
        if target is not None:
            verdict_alone = "PASS" if p95a < target else "FAIL"
            verdict_users = "PASS" if p95u < target else "FAIL"
            failures += verdict_alone == "FAIL"
            failures += verdict_users == "FAIL"
        print(
            f"{name:30} {ms(median_of(name, 'p50')):>7} {ms(p95a):>7} {p95a / base_p95:7.1f} │ "
            f"{ms(median_of(name, 'u50')):>7} {ms(p95u):>7} │ "
            f"{ms(median_of(name, 'c50')):>7} {ms(p95c):>7} {p95c / base_c95:7.1f} "
            f"{median_of(name, 'rate'):6.0f} {len(errors[name]):6} │ "
            f"{ms(target) if target else '':>6} {verdict_alone:>5} {verdict_users:>5}"
        )
    for endpoint in measured:
        if endpoint.check:
            print(f"\n{endpoint.name}: the largest answer held {endpoint.largest:,} features (limit {MAX_FEATURES:,})")
    if export:
        csv = statistics.median(csv_runs)
        verdict = "PASS" if csv < CSV_TARGET else "FAIL"
        failures += verdict == "FAIL"
        print(
            f"\nCSV export of all responses ({csv_lines:,} lines): median {csv:.2f} s of {len(csv_runs)} runs "
            f"(min {min(csv_runs):.2f}, max {max(csv_runs):.2f}); target < {CSV_TARGET:.0f} s: {verdict}"
        )
    else:
        print("\nCSV export: skipped (no route named 'consultations:export' yet)")
    total_errors = sum(len(e) for e in errors.values())
    failures += total_errors > 0
    print(
        f"errors (any non-200, or a map answer over {MAX_FEATURES} features): {total_errors}: "
        f"{'PASS' if not total_errors else 'FAIL'}"
    )
    for name, problems in errors.items():
        for problem in sorted(set(problems))[:5]:
            print(f"  {name}: {problem} (x{problems.count(problem)})")
    print(
        "Latency targets (map < 100 ms, results < 200 ms, lists < 100 ms at p95) are judged alone and with 50 users; "
        "'50 flat out' shows saturation on 2 cores (compare with the baseline's own p95 there); errors count in all."
    )
    load = ", ".join(f"{n:.1f}" for n in os.getloadavg())
    print(f"load average at the end (1, 5, 15 min): {load} on {os.cpu_count()} cores (others' work skews figures)")
    print(f"overall: {'PASS' if not failures else 'FAIL'}")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--workers", type=int, default=3)
    parser.add_argument("--fraction", type=float, default=1.0, help="seed a fraction of the Cardiff scale (trials)")
    parser.add_argument("--this-database-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if os.environ.get("DATABASE_URL") and not args.this_database_only:
        # Both databases, one after the other, each in a fresh process (settings are read once).
        sqlite_env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
        postgres_env = {**os.environ, "COPRO_VAR_DIR": tempfile.mkdtemp(prefix="copro-bench-pg-")}
        command = [sys.executable, __file__, *sys.argv[1:], "--this-database-only"]
        codes = [subprocess.call(command, env=env) for env in (sqlite_env, postgres_env)]
        sys.exit(max(codes))
    sys.exit(run(args))


if __name__ == "__main__":
    main()
