"""Foundation benchmark: project pages and the audit chain at a realistic size.

Seeds a fresh database (SQLite under a temporary folder, or DATABASE_URL) with one project holding
300 members, 60 scope lines, 20,000 activity entries and 500 updates, then measures, in the same run:
- page latency (median and p95 of 30 requests each) for the project page, scope, activity timeline,
  updates list and the API project detail, against a baseline: a bare Django view rendering a
  minimal template through the same middleware stack;
- appending to the hash-chained activity log against plain inserts into an unchained table;
- `copro audit verify` over the whole chain.
Figures are printed as medians and ratios to the baseline. Run: `make bench` (or python benchmarks/foundation.py).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("COPRO_VAR_DIR", tempfile.mkdtemp(prefix="copro-bench-"))
os.environ.setdefault("COPRO_DEBUG", "0")  # production-like: no debug query log
os.environ.setdefault("COPRO_TESTING", "1")  # local hosts and the development secret; nothing else changes
os.environ["DJANGO_SETTINGS_MODULE"] = "copro.settings"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import clear_url_caches, path  # noqa: E402

MEMBERS, SCOPE_LINES, ENTRIES, UPDATES, RUNS = 300, 60, 20_000, 500, 30


def baseline_view(request: HttpRequest) -> HttpResponse:
    template = engines["django"].from_string("<!DOCTYPE html><html><body><h1>{{ title }}</h1></body></html>")
    return HttpResponse(template.render({"title": "baseline"}, request))


def install_baseline_url() -> None:
    import copro.urls

    copro.urls.urlpatterns.insert(0, path("__bench_baseline__/", baseline_view))
    clear_url_caches()


def seed() -> tuple[str, object]:
    from copro.accounts.models import User
    from copro.core import activity
    from copro.core.models import ActivityEntry, Visibility
    from copro.projects import services
    from copro.projects.models import Membership, Organisation, OrganisationMembership, ScopeItem
    from copro.updates.models import Update

    staff = User.objects.create_user("bench-staff@example.org", "x", display_name="Staff")
    org = Organisation.objects.create(name="Bench Council", slug="bench-council")
    OrganisationMembership.objects.create(organisation=org, user=staff)
    project = services.project_create(
        user=staff, organisation=org, title="Bench project", purpose="Benchmark", visibility="public"
    )
    users = User.objects.bulk_create(
        [User(email=f"m{i}@example.org", display_name=f"Member {i}", password="!") for i in range(MEMBERS)]
    )
    Membership.objects.bulk_create(
        [Membership(project=project, user=u, role="participant" if i % 10 else "expert") for i, u in enumerate(users)]
    )
    ScopeItem.objects.bulk_create(
        [
            ScopeItem(project=project, kind="fixed" if i % 3 == 0 else "can", text=f"Line {i}", reason="Because")
            for i in range(SCOPE_LINES)
        ]
    )
    Update.objects.bulk_create(
        [Update(project=project, title=f"Update {i}", body="<p>News</p>" * 20, author=staff) for i in range(UPDATES)]
    )
    started = time.perf_counter()
    with transaction.atomic():
        for i in range(ENTRIES):
            activity.record(
                verb="projects.step_updated",
                actor=users[i % MEMBERS],
                project=project,
                target=project,
                data={"step": "awareness"},
                visibility=Visibility.PUBLIC if i % 2 else Visibility.MEMBERS,
            )
    chained = (time.perf_counter() - started) / ENTRIES
    assert ActivityEntry.objects.count() >= ENTRIES
    return project.slug, {"chained_append_s": chained}


def plain_insert_rate() -> float:
    """Baseline for appends: the same number of rows into a plain table, one INSERT each."""
    import uuid

    from copro.core.models import FormSubmission

    started = time.perf_counter()
    with transaction.atomic():
        for _ in range(ENTRIES):
            FormSubmission.objects.create(token=uuid.uuid4())
    return (time.perf_counter() - started) / ENTRIES


def timed(client: Client, url: str) -> list[float]:
    client.get(url)  # warm up
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        response = client.get(url)
        times.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, response.status_code)
    return times


def p95(values: list[float]) -> float:
    return statistics.quantiles(values, n=20)[-1]


def main() -> None:
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; seeding {MEMBERS} members, {ENTRIES:,} activity entries, {UPDATES} updates…")
    slug, figures = seed()
    plain = plain_insert_rate()
    install_baseline_url()
    client = Client(HTTP_HOST="127.0.0.1")
    base = timed(client, "/__bench_baseline__/")
    base_median = statistics.median(base)
    print(
        f"\nbaseline (bare Django view, same middleware): median {base_median * 1000:.2f} ms, "
        f"p95 {p95(base) * 1000:.2f} ms"
    )
    print(f"{'page':32} {'median ms':>10} {'p95 ms':>8} {'x baseline':>11}")
    for name, url in [
        ("project page", f"/p/{slug}/"),
        ("scope page", f"/p/{slug}/scope/"),
        ("activity timeline", f"/p/{slug}/activity/"),
        ("updates list", f"/p/{slug}/updates/"),
        ("API project detail", f"/api/projects/{slug}/"),
        ("API activity (page of 50)", f"/api/projects/{slug}/activity/"),
    ]:
        times = timed(client, url)
        median = statistics.median(times)
        print(f"{name:32} {median * 1000:10.2f} {p95(times) * 1000:8.2f} {median / base_median:11.1f}")
    chained = figures["chained_append_s"]
    print(
        f"\nactivity append (hash chain): {chained * 1e6:.0f} µs per entry; plain insert {plain * 1e6:.0f} µs; "
        f"ratio {chained / plain:.2f}"
    )
    verify = []
    for _ in range(3):
        started = time.perf_counter()
        call_command("audit", "verify", stdout=open(os.devnull, "w"))  # noqa: SIM115
        verify.append(time.perf_counter() - started)
    print(f"audit verify over {ENTRIES:,}+ entries: median {statistics.median(verify):.2f} s of 3 runs")
    print(f"(settings: DEBUG={settings.DEBUG}; var dir {os.environ['COPRO_VAR_DIR']})")


if __name__ == "__main__":
    main()
