"""Open data: commitments, decisions and public activity as CSV and JSON, the public feed (versioned, paged with
stable next links, cached with an ETag), only public data whoever asks, and nothing at all for outsiders of a
private project. Also the reports API."""

from __future__ import annotations

import csv
import datetime
import io
import json

import pytest
from django.urls import reverse

from copro.core import activity
from copro.core.models import Visibility
from copro.followthrough import opendata
from copro.followthrough.models import Commitment
from copro.projects.models import Project
from tests import factories
from tests import factories_reports as fr
from tests.factories import XSS

pytestmark = pytest.mark.django_db


def export(client, project, dataset, fmt):
    response = client.get(reverse("reports:opendata_export", args=[project.slug, dataset, fmt]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body.decode("utf-8-sig")


def csv_rows(text):
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def built(world):
    return fr.built(world)


def test_commitments_export_only_public_ones_with_their_sources(built, world):
    c = built.commitments
    # Even the facilitator's download holds only public data: the files are open data, for anyone.
    response, text = export(world.client("facilitator"), built.project, "commitments", "json")
    assert response.status_code == 200
    body = json.loads(text)
    assert body["version"] == opendata.FORMAT_VERSION and body["dataset"] == "commitments"
    assert body["fields"] == [name for name, _help in opendata.FIELDS["commitments"]]
    items = {i["id"]: i for i in body["items"]}
    assert set(items) == {c["c1"].pk, c["c2"].pk, c["c3"].pk, c["c6"].pk}  # not C4 (members) nor C5 (staff)
    assert items[c["c3"].pk]["came_from"] == f"decisions.decision:{built.decisions['d2'].pk}"
    assert items[c["c6"].pk]["participant_owned"] is True and items[c["c1"].pk]["participant_owned"] is False
    assert items[c["c6"].pk]["status_reason"] == "The council withdrew funding"
    assert items[c["c1"].pk]["updates"] == 1 and items[c["c1"].pk]["owner_role"] == "facilitator"
    assert "Staff only" not in text and "Budget moved" not in text

    response, text = export(world.client("anonymous"), built.project, "commitments", "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="' in response["Content-Disposition"]
    rows = csv_rows(text)
    assert sorted(int(r["id"]) for r in rows) == sorted(items)
    assert {r["title"] for r in rows} >= {"Light the path " + XSS}


def test_csv_cells_cannot_start_a_spreadsheet_formula(world):
    fr.commitment(
        world.project,
        world.facilitator,
        due_on=datetime.date(2026, 9, 1),
        created=fr.IN,
        title='=HYPERLINK("http://evil","x")',
        description="+1-2",
        status_reason="",
    )
    _response, text = export(world.client("anonymous"), world.project, "commitments", "csv")
    row = csv_rows(text)[0]
    assert row["title"] == '\'=HYPERLINK("http://evil","x")'
    assert row["description"] == "'+1-2"
    assert row["participant_owned"] == "false"


def test_decisions_export_leaves_out_drafts(built, world):
    draft = factories.decision(
        world.project, kind="proposal", process="consent", status="draft", title="Secret draft ŵŷâ"
    )
    _response, text = export(world.client("outsider"), world.project, "decisions", "json")
    items = json.loads(text)["items"]
    ids = [i["id"] for i in items]
    assert draft.pk not in ids
    assert built.decisions["d1"].pk in ids and built.decisions["d2"].pk in ids
    d1 = next(i for i in items if i["id"] == built.decisions["d1"].pk)
    assert (d1["took_part"], d1["offline"], d1["outcome"], d1["equal_votes"]) == (7, 3, "counted", True)
    _response, text = export(world.client("outsider"), world.project, "decisions", "csv")
    assert "Secret draft" not in text


def test_activity_export_and_feed_hold_public_entries_only(world):
    project = world.project
    activity.record(
        verb="reports.target_set",
        actor=world.facilitator,
        project=project,
        visibility=Visibility.MEMBERS,
        data={"label": "members-only ŵ", "number": 1},
    )
    activity.record(
        verb="reports.links_withdrawn", actor=world.facilitator, project=project, visibility=Visibility.STAFF
    )
    public = activity.record(
        verb="projects.updated",
        actor=world.facilitator,
        project=project,
        target=project,
        data={"fields": "purpose " + XSS},
    )
    _response, text = export(world.client("participant"), project, "activity", "json")
    items = json.loads(text)["items"]
    assert [i["id"] for i in items] == [public.pk]
    assert items[0]["kind"] == "projects.updated" and XSS in items[0]["summary"]  # JSON carries the text as it is
    _response, text = export(world.client("participant"), project, "activity", "csv")
    assert "members-only" not in text and "withdrew" not in text
    feed = world.client("anonymous").get(reverse("reports:feed", args=[project.slug])).json()
    assert [i["id"] for i in feed["items"]] == [public.pk]


def _feed(client, project, url=None):
    response = client.get(url or reverse("reports:feed", args=[project.slug]))
    assert response.status_code == 200
    return response


def test_the_feed_pages_are_stable_and_walk_everything_once(world):
    project = world.project
    made = [
        activity.record(
            verb="projects.updated", actor=world.facilitator, project=project, target=project, data={"fields": f"n{i}"}
        )
        for i in range(120)
    ]
    client = world.client("anonymous")
    first = _feed(client, project).json()
    assert first["version"] == 1 and first["page_size"] == 50 and first["project"]["slug"] == project.slug
    seen = [i["id"] for i in first["items"]]
    pages = [first]
    url = first["next"]
    while url:
        page = _feed(client, project, url.replace("http://testserver", "")).json()
        pages.append(page)
        seen += [i["id"] for i in page["items"]]
        url = page["next"]
    assert [len(p["items"]) for p in pages] == [50, 50, 20]
    assert seen == sorted((m.pk for m in made), reverse=True)  # newest first, each once
    second_url = first["next"].replace("http://testserver", "")
    before = _feed(client, project, second_url).json()
    # New entries arrive: the first page changes, the second stays exactly the same.
    activity.record(
        verb="projects.updated", actor=world.facilitator, project=project, target=project, data={"fields": "new"}
    )
    assert _feed(client, project).json()["items"][0]["id"] > first["items"][0]["id"]
    assert _feed(client, project, second_url).json() == before


def test_the_feed_has_an_etag_and_cache_headers(world):
    project = world.project
    activity.record(
        verb="projects.updated", actor=world.facilitator, project=project, target=project, data={"fields": "a"}
    )
    client = world.client("anonymous")
    response = _feed(client, project)
    etag = response["ETag"]
    assert "public" in response["Cache-Control"] and "max-age=300" in response["Cache-Control"]
    again = client.get(reverse("reports:feed", args=[project.slug]), HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    activity.record(
        verb="projects.updated", actor=world.facilitator, project=project, target=project, data={"fields": "b"}
    )
    changed = client.get(reverse("reports:feed", args=[project.slug]), HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag


@pytest.mark.parametrize("before", ["abc", "0", "-5", "99999999999999999999999", "١٢"])
def test_a_bad_page_marker_is_a_400(world, before):
    response = world.client("anonymous").get(reverse("reports:feed", args=[world.project.slug]), {"before": before})
    assert response.status_code == 400


@pytest.mark.parametrize(
    "persona, status", [("outsider", 404), ("anonymous", 404), ("participant", 200), ("observer", 200)]
)
def test_a_private_projects_open_data_is_for_its_members_only(world, persona, status):
    project: Project = world.private_project
    client = world.client(persona)
    assert client.get(reverse("reports:opendata", args=[project.slug])).status_code == status
    assert client.get(reverse("reports:feed", args=[project.slug])).status_code == status
    for dataset in opendata.DATASETS:
        for fmt in ("csv", "json"):
            response, _text = export(client, project, dataset, fmt)
            assert response.status_code == status
    if status == 200:
        feed = client.get(reverse("reports:feed", args=[project.slug]))
        assert "private" in feed["Cache-Control"] and "public" not in feed["Cache-Control"]


def test_unknown_datasets_and_formats_are_404(world):
    client = world.client("anonymous")
    for dataset, fmt in (("members", "csv"), ("commitments", "xlsx"), ("..", "json")):
        assert client.get(f"/p/{world.project.slug}/open-data/{dataset}.{fmt}").status_code == 404


def test_the_open_data_page_lists_files_and_fields(world):
    response = world.client("anonymous").get(reverse("reports:opendata", args=[world.project.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert reverse("reports:opendata_export", args=[world.project.slug, "commitments", "csv"]) in html
    assert "participant_owned" in html and "If-None-Match" in html


# --- The API --------------------------------------------------------------------------------------------


def test_the_api_gives_health_the_report_and_open_data_with_the_same_rules(built, world):
    slug = built.project.slug
    observer = world.client("observer")
    health = observer.get(f"/api/projects/{slug}/health/")
    assert health.status_code == 200
    assert [s["key"] for s in health.json()["steps"]] == [
        "awareness",
        "buy_in",
        "expectations",
        "performance",
        "feedback",
    ]
    report = observer.get(f"/api/projects/{slug}/governance-report/", {"start": "2026-07-01", "end": "2026-09-30"})
    assert report.status_code == 200
    body = report.json()
    assert body["commitments"]["promise_kept"]["rate"] == 25
    assert body["feedback"]["quotes"] == ["The drop-in was kind " + XSS]
    bad = observer.get(f"/api/projects/{slug}/governance-report/", {"start": "2026-09-30", "end": "2026-07-01"})
    assert bad.status_code == 400
    assert (
        world.client("participant")
        .get(f"/api/projects/{slug}/governance-report/", {"start": "2026-07-01", "end": "2026-09-30"})
        .status_code
        == 403
    )
    data = world.client("anonymous").get(f"/api/projects/{slug}/open-data/commitments/", {"limit": 2})
    assert data.status_code == 200
    assert data.json()["count"] == 4 and len(data.json()["results"]) == 2 and data.json()["version"] == 1
    assert world.client("anonymous").get(f"/api/projects/{slug}/open-data/members/").status_code == 404
    private = world.private_project.slug
    assert world.client("outsider").get(f"/api/projects/{private}/open-data/commitments/").status_code == 404
    assert world.client("outsider").get(f"/api/projects/{private}/health/").status_code == 404


def test_the_openapi_document_describes_the_reports_api(client):
    paths = client.get("/api/openapi.json").json()["paths"]
    for p in (
        "/api/projects/{slug}/health/",
        "/api/projects/{slug}/governance-report/",
        "/api/projects/{slug}/open-data/{dataset}/",
    ):
        assert p in paths


def test_the_open_data_api_pages_by_id_and_reads_only_the_page(built, world, django_assert_max_num_queries):
    slug = built.project.slug
    path = f"/api/projects/{slug}/open-data/commitments/"
    anonymous = world.client("anonymous")
    seen = []
    page = anonymous.get(path, {"limit": 3}).json()
    assert page["count"] == 4 and len(page["results"]) == 3
    seen += [r["id"] for r in page["results"]]
    assert page["next"] and "after=" in page["next"]
    page = anonymous.get(page["next"].replace("http://testserver", "")).json()
    seen += [r["id"] for r in page["results"]]
    assert page["next"] is None
    public = list(Commitment.objects.filter(project=built.project, visibility="public").order_by("id"))
    assert seen == [c.pk for c in public]
    # The page after an id starts right after it; each page is a few queries whatever the dataset's size.
    after = anonymous.get(path, {"after": public[1].pk, "limit": 1}).json()
    assert [r["id"] for r in after["results"]] == [public[2].pk]
    for i in range(40):
        fr.commitment(built.project, world.facilitator, due_on=fr.END, created=fr.IN)
    with django_assert_max_num_queries(15):
        big = anonymous.get(path, {"limit": 2})
    assert big.json()["count"] == 44 and len(big.json()["results"]) == 2
    for bad in ({"after": "x"}, {"after": "0"}, {"limit": "0"}, {"limit": "501"}, {"limit": "²"}):
        assert anonymous.get(path, bad).status_code == 400


def test_under_asgi_the_csv_streams_in_batches_with_the_same_bytes_as_under_wsgi(world):
    """Served by Daphne, Django would read a plain generator whole into memory before sending it (with a
    warning): copro.core.csvfiles hands it an async generator that pulls the lines in batches."""
    import warnings

    from asgiref.sync import async_to_sync
    from django.test import AsyncClient

    from copro.core import csvfiles
    from tests import factories_followthrough as ft

    ft.bulk_commitments(world.project, 2 * csvfiles.BATCH + 7, owner=world.facilitator, updates_each=0)
    url = reverse("reports:opendata_export", args=[world.project.slug, "commitments", "csv"])
    wsgi = world.client("anonymous").get(url)
    assert wsgi.streaming and not wsgi.is_async
    expected = b"".join(wsgi.streaming_content)

    async def fetch() -> tuple[object, list[bytes]]:
        response = await AsyncClient().get(url)
        return response, [chunk async for chunk in response.streaming_content]

    with warnings.catch_warnings():
        warnings.filterwarnings("error", message="StreamingHttpResponse must consume synchronous iterators")
        asgi, chunks = async_to_sync(fetch)()
    assert asgi.status_code == 200 and asgi.is_async
    assert asgi["Content-Disposition"] == wsgi["Content-Disposition"]
    assert b"".join(chunks) == expected
    # BOM + header + 1,007 rows, in three batches of at most 500 lines.
    assert len(chunks) == 3
    assert len(csv_rows(expected.decode("utf-8-sig"))) == 2 * csvfiles.BATCH + 7
