"""Live feed benchmark: 200 viewers connected by WebSocket; a note posted reaches them with p95 < 500 ms.

Copro runs as deployed for WebSockets: Daphne serving copro.asgi on a temporary SQLite database, with the
production settings over plain http on localhost, and the in-memory channel layer (one server process).
The viewers are real WebSocket clients (a small client written on asyncio streams here: the `websockets`
package is not a dependency), each opening the feed's socket exactly as live.js does, through the same
Origin check and session middleware. A facilitator posts a note through the page's form (HTTP POST, the
real view and service); the delivery latency of a viewer is the time from just before the POST is sent to
the moment that viewer has read the whole pushed message.

Baselines measured in the same run:
- one viewer alone, over the same socket (what the 200 add);
- the polling fallback (live.js without WebSockets): the same 200 viewers each asking the entries endpoint
  every 10 seconds, at staggered times; the delivery latency of a note is then about half the interval.

Run: `COPRO_VAR_DIR=$(mktemp -d) .venv/bin/python benchmarks/live.py` (about 1.5 minutes). Machines here
are shared and noisy: the figures are medians and 95th percentiles over every delivery of every round.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import json
import os
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("COPRO_VAR_DIR", tempfile.mkdtemp(prefix="copro-bench-live-"))

PRODUCTION_ENV = {
    "COPRO_TESTING": "0",
    "COPRO_SECRET_KEY": secrets.token_urlsafe(64),  # the same key here and in Daphne: sessions made here work
    "COPRO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "COPRO_SITE_URL": "http://127.0.0.1",
    "EMAIL_HOST": "127.0.0.1",
    "COPRO_SSL_REDIRECT": "0",
    "COPRO_SECURE_COOKIES": "0",
    "COPRO_HSTS_SECONDS": "0",
    "COPRO_HSTS_PRELOAD": "0",
    "COPRO_LOG_LEVEL": "WARNING",
}
os.environ.pop("COPRO_DEBUG", None)
os.environ.pop("COPRO_REDIS_URL", None)
os.environ.pop("DATABASE_URL", None)
os.environ.update(PRODUCTION_ENV)
os.environ["DJANGO_SETTINGS_MODULE"] = "copro.settings"

VIEWERS = 200
ROUNDS = 20  # notes posted to the 200 viewers
ALONE_ROUNDS = 10
POLL_INTERVAL = 10.0  # seconds, as live.js polls when WebSockets fail
POLL_ROUNDS = 3
TARGET_P95 = 0.500  # seconds
CSRF = "b" * 32  # the CSRF secret sent as both cookie and form field, as a browser would


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# --- Data: a project, a facilitator (signed in, with two-factor set up) and a live meeting ------------------


def prepare() -> tuple[str, str, str]:
    """Migrate, collect static files, and make the meeting. Returns the feed's path, its socket's path and
    the facilitator's cookie header."""
    import django

    django.setup()
    from datetime import timedelta

    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django.core.management import call_command
    from django.utils import timezone

    from copro.accounts.models import User
    from copro.live import services
    from copro.live.access import feed_of
    from copro.meetings.models import Meeting, MeetingStatus
    from copro.projects.models import Membership, Organisation, OrganisationMembership, Project

    call_command("migrate", verbosity=0)
    call_command("collectstatic", interactive=False, verbosity=0)
    facilitator = User.objects.create_user(email="facilitator@bench.example", password=secrets.token_urlsafe(16))
    TOTP.activate(facilitator, generate_totp_secret())
    org = Organisation.objects.create(name="Bench council", slug="bench")
    OrganisationMembership.objects.create(organisation=org, user=facilitator, role=OrganisationMembership.Role.STAFF)
    project = Project.objects.create(
        organisation=org, title="Safe routes", slug="safe-routes", purpose="Bench", created_by=facilitator
    )
    Membership.objects.create(project=project, user=facilitator, role="facilitator")
    now = timezone.now()
    meeting = Meeting.objects.create(
        project=project,
        title="Workshop",
        starts_at=now - timedelta(minutes=10),
        ends_at=now + timedelta(hours=3),
        status=MeetingStatus.PUBLISHED,
        created_by=facilitator,
    )
    feed = feed_of(meeting)
    feed.project = project
    services.feed_start(user=facilitator, feed=feed)
    session = SessionStore()
    session[SESSION_KEY] = str(facilitator.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = facilitator.get_session_auth_hash()
    session.create()
    cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}; {settings.CSRF_COOKIE_NAME}={CSRF}"
    base = f"/p/{project.slug}/meetings/{meeting.pk}/live/"
    return base, f"/ws{base}", cookie


@contextmanager
def daphne() -> Iterator[int]:
    port = free_port()
    log = Path(os.environ["COPRO_VAR_DIR"]) / "daphne.log"
    env = {**os.environ, "COPRO_SITE_URL": f"http://127.0.0.1:{port}"}
    command = [str(ROOT / ".venv" / "bin" / "daphne"), "-b", "127.0.0.1", "-p", str(port), "copro.asgi:application"]
    with log.open("w") as out:
        server = subprocess.Popen(command, env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if server.poll() is not None:
                sys.exit(f"daphne stopped at start-up:\n{log.read_text()[-3000:]}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    break
            except OSError:
                if time.monotonic() > deadline:
                    sys.exit("daphne did not start within 60 s")
                time.sleep(0.2)
        yield port
    finally:
        server.terminate()
        server.wait(timeout=30)


# --- A small WebSocket client on asyncio streams ------------------------------------------------------------


class Viewer:
    """One WebSocket connection to the feed (RFC 6455: handshake, then unmasked frames from the server)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.task: asyncio.Task[None] | None = None

    @classmethod
    async def open(cls, port: int, path: str) -> Viewer:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        key = base64.b64encode(os.urandom(16)).decode()
        writer.write(
            (
                f"GET {path}?after=0 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
                f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
                f"Origin: http://127.0.0.1:{port}\r\n\r\n"
            ).encode()
        )
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 101"):
            raise RuntimeError(f"handshake refused: {head[:80]!r}")
        viewer = cls(reader, writer)
        viewer.task = asyncio.create_task(viewer.read_forever())
        return viewer

    async def frame(self) -> tuple[int, bytes]:
        first, second = await self.reader.readexactly(2)
        length = second & 0x7F
        if length == 126:
            length = int.from_bytes(await self.reader.readexactly(2), "big")
        elif length == 127:
            length = int.from_bytes(await self.reader.readexactly(8), "big")
        return first & 0x0F, await self.reader.readexactly(length)

    async def read_forever(self) -> None:
        try:
            while True:
                opcode, payload = await self.frame()
                if opcode == 0x9:  # ping: answer with a (masked) pong, as browsers do
                    mask = os.urandom(4)
                    body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
                    self.writer.write(bytes([0x8A, 0x80 | len(payload)]) + mask + body)
                elif opcode == 0x8:
                    return
                elif opcode == 0x1:
                    arrived = time.perf_counter()
                    message = json.loads(payload)
                    if message.get("type") == "entry":
                        future = self.waiting.pop(message["entry"]["text"], None)
                        if future is not None and not future.done():
                            future.set_result(arrived)
        except (asyncio.IncompleteReadError, ConnectionError):
            return

    def expect(self, text: str) -> asyncio.Future[float]:
        future: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.waiting[text] = future
        return future

    async def close(self) -> None:
        self.writer.write(bytes([0x88, 0x80]) + os.urandom(4))  # a masked close frame with no body
        with contextlib.suppress(ConnectionError):
            await self.writer.drain()
        if self.task:
            self.task.cancel()
        self.writer.close()


async def http(port: int, method: str, path: str, cookie: str, body: bytes = b"") -> tuple[int, bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    headers = f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n"
    if cookie:
        headers += f"Cookie: {cookie}\r\n"
    if body:
        headers += (
            "Content-Type: application/x-www-form-urlencoded\r\n"
            f"Content-Length: {len(body)}\r\nOrigin: http://127.0.0.1:{port}\r\nReferer: http://127.0.0.1:{port}/\r\n"
        )
    writer.write(headers.encode() + b"\r\n" + body)
    await writer.drain()
    data = await reader.read()
    writer.close()
    status = int(data.split(b" ", 2)[1])
    return status, data.split(b"\r\n\r\n", 1)[1] if b"\r\n\r\n" in data else b""


async def post_note(port: int, base: str, cookie: str, text: str) -> float:
    """POST the note through the page's form. Returns the time just before it was sent."""
    body = urlencode({"csrfmiddlewaretoken": CSRF, "kind": "note", "text": text}).encode()
    sent = time.perf_counter()
    status, _ = await http(port, "POST", base + "post/", cookie, body)
    if status != 302:
        raise RuntimeError(f"posting the note answered {status}")
    return sent


async def push_rounds(port: int, viewers: list[Viewer], base: str, cookie: str, rounds: int, label: str) -> list[float]:
    latencies: list[float] = []
    for n in range(rounds):
        text = f"{label} note {n} {secrets.token_hex(4)}"
        futures = [v.expect(text) for v in viewers]
        sent = await post_note(port, base, cookie, text)
        arrived = await asyncio.wait_for(asyncio.gather(*futures), timeout=30)
        latencies += [t - sent for t in arrived]
        await asyncio.sleep(0.4)
    return latencies


async def polling_rounds(port: int, base: str, cookie: str) -> tuple[list[float], list[float]]:
    """200 pollers, each asking every POLL_INTERVAL s from a random offset; the delay until each sees a note."""
    import random

    rng = random.Random(7)
    seen: dict[str, list[float]] = {}
    request_times: list[float] = []
    stop = asyncio.Event()

    async def poller(offset: float) -> None:
        after = 0
        await asyncio.sleep(offset)
        while not stop.is_set():
            started = time.perf_counter()
            status, body = await http(port, "GET", f"{base}entries/?after={after}", "")
            request_times.append(time.perf_counter() - started)
            if status == 200:
                data = json.loads(body)
                after = data["seq"]
                now = time.perf_counter()
                for entry in data["entries"]:
                    seen.setdefault(entry["text"], []).append(now)
            await asyncio.sleep(POLL_INTERVAL - (time.perf_counter() - started) % POLL_INTERVAL)

    tasks = [asyncio.create_task(poller(rng.uniform(0, POLL_INTERVAL))) for _ in range(VIEWERS)]
    await asyncio.sleep(POLL_INTERVAL + 1)  # everyone has polled once
    latencies: list[float] = []
    for n in range(POLL_ROUNDS):
        text = f"polled note {n} {secrets.token_hex(4)}"
        sent = await post_note(port, base, cookie, text)
        await asyncio.sleep(POLL_INTERVAL + 2)
        latencies += [t - sent for t in seen.get(text, [])]
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return latencies, request_times


async def measure(port: int, base: str, socket_path: str, cookie: str, rounds: int) -> dict[str, list[float]]:
    alone = [await Viewer.open(port, socket_path)]
    await push_rounds(port, alone, base, cookie, 2, "warm-up")  # templates compiled, connections opened
    alone_latencies = await push_rounds(port, alone, base, cookie, ALONE_ROUNDS, "alone")
    await alone[0].close()

    # People join over a few seconds, not in the same millisecond: 25 at a time (Twisted's listen backlog
    # is 50; a real crowd behind a proxy reaches Daphne through the proxy's few connections anyway).
    started = time.perf_counter()
    viewers: list[Viewer] = []
    while len(viewers) < VIEWERS:
        batch = min(25, VIEWERS - len(viewers))
        viewers += await asyncio.gather(*(Viewer.open(port, socket_path) for _ in range(batch)))
    connect_time = time.perf_counter() - started
    await asyncio.sleep(1.0)  # every viewer has had its catch-up
    crowd = await push_rounds(port, viewers, base, cookie, rounds, "crowd")
    await asyncio.gather(*(v.close() for v in viewers))
    polled, poll_requests = await polling_rounds(port, base, cookie)
    return {
        "alone": alone_latencies,
        "crowd": crowd,
        "polled": polled,
        "poll_requests": poll_requests,
        "connect": [connect_time],
    }


def report(results: dict[str, list[float]], rounds: int) -> int:
    crowd, alone, polled = results["crowd"], results["alone"], results["polled"]
    print("Live feed: a note posted by HTTP POST, delivered over WebSockets (Daphne, in-memory layer, SQLite).")
    load = os.getloadavg()[0]
    print(f"{VIEWERS} viewers connected in {results['connect'][0]:.2f} s. Load average now: {load:.1f}.")
    print(f"{'':38} {'deliveries':>10} {'median ms':>10} {'p95 ms':>8}")
    print(f"{'one viewer alone (baseline)':38} {len(alone):>10} {ms(statistics.median(alone)):>10} {ms(p95(alone)):>8}")
    label = f"{VIEWERS} viewers, WebSocket ({rounds} notes)"
    print(f"{label:38} {len(crowd):>10} {ms(statistics.median(crowd)):>10} {ms(p95(crowd)):>8}")
    if polled:
        print(
            f"{f'{VIEWERS} viewers polling every {POLL_INTERVAL:.0f} s':38} {len(polled):>10} "
            f"{ms(statistics.median(polled)):>10} {ms(p95(polled)):>8}"
        )
    requests = results["poll_requests"]
    if requests:
        print(f"  (one poll request: median {ms(statistics.median(requests))} ms, p95 {ms(p95(requests))} ms)")
    ratio = statistics.median(crowd) / statistics.median(alone)
    print(f"{VIEWERS} viewers vs one: median x{ratio:.1f}.", end=" ")
    if polled:
        print(f"Polling vs WebSocket: median x{statistics.median(polled) / statistics.median(crowd):.0f} slower.")
    else:
        print()
    ok = p95(crowd) < TARGET_P95 and len(crowd) == VIEWERS * rounds
    print(f"Target: p95 < {ms(TARGET_P95)} ms with {VIEWERS} viewers: {'met' if ok else 'NOT MET'}.")
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    print(f"Load average before: {load:.1f} on {os.cpu_count()} cores (other work on the machine slows every figure).")
    base, socket_path, cookie = prepare()
    with daphne() as port:
        results = asyncio.run(measure(port, base, socket_path, cookie, args.rounds))
    sys.exit(report(results, args.rounds))


if __name__ == "__main__":
    main()
