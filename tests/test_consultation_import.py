"""Importing paper responses from a CSV file: a row-by-row report, every good row in, nothing dropped
silently, and importing the same file again adds nothing twice."""

from __future__ import annotations

import csv
import datetime
import io
import re
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from copro.consultations import imports, tasks
from copro.consultations.models import Answer, ImportRun, ImportStatus, Response
from copro.core.models import ActivityEntry
from tests.factories_results import Survey, survey

pytestmark = pytest.mark.django_db


@pytest.fixture
def s(world) -> Survey:
    return survey(world.project, world.facilitator, colour_required=True)


def url(s: Survey, name: str = "import") -> str:
    return reverse(f"consultations:{name}", args=[s.consultation.project.slug, s.consultation.pk])


def make_csv(rows: list[list[str]]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer).writerows(rows)
    return buffer.getvalue().encode()


def upload(client, s: Survey, data: bytes, name: str = "forms.csv", batch: str = "", **extra: str):
    file = SimpleUploadedFile(name, data, content_type="text/csv")
    return client.post(url(s), {"file": file, "batch": batch, **extra})


def the_file(s: Survey) -> bytes:
    return make_csv(the_rows(s))


def the_rows(s: Survey) -> list[list[str]]:
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    header = [
        "Favourite colour",
        f"q{s.transport.pk}",  # a question by its code
        "Cycle lanes are safe",
        "Rank the improvements",
        "Anything else?",
        "Where is the problem?",
        "Your age",
        "channel",
        "batch",
        "date",
        "hear_back",
        "Shoe size",  # matches nothing: reported once, at the top
    ]
    good = [
        "Red",
        "Bus; bike",
        "Agree",
        "Lighting; Benches",
        "=cmd|' /C calc'!A0",
        "Canton Library",
        "2",
        "",
        "",
        "2021-03-01",
        "yes",
        "9",
    ]
    return [
        header,
        good,  # row 2: good (paper by default), option text in any case, a place by name
        [
            "3",
            "walk",
            "5",
            "1. Bins; 2. Lighting",
            "",
            "51.5,-3.1",
            "",
            "phone",
            "Splott",
            "31/03/2021",
            "no",
            "",
        ],  # 3
        ["Red", "Bus"],  # row 4: wrong number of cells
        ["Purple", "", "", "", "", "", "", "", "", "", "", ""],  # row 5: unknown option
        ["Red", "", "", "", "", "", "", "", "", "31/02/2021", "", ""],  # row 6: not a date
        ["Red", "", "", "", "", "", "", "", "", tomorrow, "", ""],  # row 7: a future date
        ["Red", "", "Very much", "", "", "", "", "", "", "", "", ""],  # row 8: not on the scale
        ["Red", "", "", "", "", "", "", "online", "", "", "", ""],  # row 9: online cannot be imported
        ["Red", "", "", "", "", "10,10", "", "", "", "", "", ""],  # row 10: outside the map's area
        list(good),  # row 11: the same as row 2
        ["", "", "", "", "", "", "", "", "", "", "", ""],  # row 12: empty, skipped
        ["Red", "", "", "", "", "", "", "", "", "", "maybe", ""],  # row 13: hear_back neither yes nor no
        ["Red", "", "", "Bins; bins", "", "", "", "", "", "", "", ""],  # row 14: ranked twice
        ["", "Car", "", "", "", "", "", "", "", "", "", ""],  # row 15: the required colour is missing
        ["Green", "Car", "1", "", "Ŵyn", "", "65 or over", "outreach", "", "", "", ""],  # row 16: good
    ]


def bad_rows(html: str) -> dict[int, str]:
    table = html[html.index("Rows not imported and why") :]
    table = table[: table.index("</table>")]
    return {
        int(number): re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", reasons)).strip()
        for number, reasons in re.findall(r'<th scope="row">(\d+)</th><td>(.*?)</td></tr>', table, re.S)
    }


def test_an_import_lists_every_bad_row_imports_the_good_ones_and_never_duplicates(world, s):
    client = world.client("facilitator")
    data = the_file(s)
    page = upload(client, s, data, batch="Post bag 1")
    assert page.status_code == 200
    html = page.content.decode()
    assert "14 rows read." in html  # rows 2 to 16, less the empty row 12
    assert "3 imported." in html
    assert "1 already imported (not added again)." in html
    assert "10 rows with problems (not imported)." in html
    assert "1 empty row skipped." in html
    assert "These columns do not match any question and were not read: “Shoe size”." in html
    assert html.count("Shoe size") == 1
    bad = bad_rows(html)
    assert sorted(bad) == [4, 5, 6, 7, 8, 9, 10, 13, 14, 15]
    assert "This row has 2 cells but the first row has 12 columns." in bad[4]
    assert "Favourite colour: “Purple” is not one of the options." in bad[5]
    assert "“31/02/2021” is not a date" in bad[6]
    assert "is in the future" in bad[7]
    assert "Cycle lanes are safe: “Very much” is not on the scale" in bad[8]
    assert "Online responses cannot be imported" in bad[9]
    assert "Where is the problem?: That place is outside the area" in bad[10]
    assert "hear_back: write yes or no" in bad[13]
    assert "Rank the improvements: “bins” is given twice." in bad[14]
    assert "Favourite colour: This question needs an answer." in bad[15]
    assert "Rows: 11" in html  # the copy of row 2: already imported, not an error

    imported = list(Response.objects.filter(consultation=s.consultation).order_by("id"))
    assert len(imported) == 3
    first, second, third = imported
    assert (first.channel, first.batch, first.hear_back, first.entered_by) == (
        "paper",
        "Post bag 1",
        True,
        world.facilitator,
    )
    assert timezone.localdate(first.submitted_at) == datetime.date(2021, 3, 1)
    assert (second.channel, second.batch, second.hear_back) == ("phone", "Splott", False)
    assert timezone.localdate(second.submitted_at) == datetime.date(2021, 3, 31)
    assert third.channel == "outreach"
    assert {(a.question_id, a.choice) for a in first.answers.filter(question=s.transport)} == {
        (s.transport.pk, 0),
        (s.transport.pk, 1),
    }
    assert first.answers.get(question=s.where).lat == pytest.approx(51.481)  # Canton Library
    assert first.answers.get(question=s.age).choice == 1  # option number 2
    assert first.answers.get(question=s.comment).text == "=cmd|' /C calc'!A0"  # kept as given; escaped on export
    assert [(a.choice, a.number) for a in second.answers.filter(question=s.rank).order_by("number")] == [(2, 1), (0, 2)]
    assert second.answers.get(question=s.colour).choice == 2  # "3" = the third option
    assert second.answers.get(question=s.agree).number == 5
    entry = ActivityEntry.objects.get(verb="consultations.imported")
    assert entry.data == {"read": 14, "imported": 3, "already_imported": 1, "bad": 10, "blank": 1}

    # The same file again: nothing new, the good rows reported as already imported, the bad ones again.
    again = upload(client, s, data, batch="Post bag 1").content.decode()
    assert "0 imported." in again
    assert "4 already imported (not added again)." in again
    assert "Rows: 2, 3, 11, 16" in again
    assert sorted(bad_rows(again)) == sorted(bad)
    assert Response.objects.filter(consultation=s.consultation).count() == 3
    assert Answer.objects.filter(consultation=s.consultation, question=s.colour).count() == 3


def test_the_same_rows_in_another_column_order_and_spacing_are_still_recognised(world, s):
    client = world.client("facilitator")
    upload(client, s, make_csv([["Favourite colour", "Anything else?"], ["Red", "Dark  at night"]]))
    moved = make_csv([["anything else?".replace("a", "A", 1), "Favourite colour"], [" dark at night ", "red"]])
    html = upload(client, s, moved).content.decode()
    assert "1 already imported" in html
    assert Response.objects.filter(consultation=s.consultation).count() == 1


def test_two_forms_with_the_same_answers_are_kept_apart_by_a_ref_column(world, s):
    client = world.client("facilitator")
    html = upload(client, s, make_csv([["Favourite colour", "ref"], ["Red", "1"], ["Red", "2"]])).content.decode()
    assert "2 imported." in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ("Favourite colour\nCaf\xe9 \xe2\n".encode("latin-1"), "The file is not in UTF-8"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This does not look like a CSV file"),
        (b"", "The file is empty."),
        (b"Shoe size\n9\n", "No column matches a question"),
    ],
)
def test_files_that_cannot_be_read_get_a_clear_message_and_import_nothing(world, s, data, message):
    page = upload(world.client("facilitator"), s, data)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not Response.objects.exists()


def test_a_file_with_a_byte_order_mark_is_read(world, s):
    html = upload(world.client("facilitator"), s, "\ufeffFavourite colour\nGreen\n".encode()).content.decode()
    assert "1 imported." in html


def test_a_file_over_5_mb_is_refused(world, s):
    big = b"Favourite colour\n" + b"Red\n" * (imports.MAX_BYTES // 4 + 1)
    page = upload(world.client("facilitator"), s, big)
    assert page.status_code == 400
    assert "the limit is 5 MB" in page.content.decode()
    assert not Response.objects.exists()


def test_the_template_has_every_question_and_the_optional_columns(world, s):
    response = world.client("facilitator").get(url(s, "import_template"))
    header = next(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == [q.text for q in s.questions] + ["channel", "batch", "date", "hear_back"]
    assert world.client("participant").get(url(s, "import_template")).status_code == 403


@pytest.mark.parametrize("persona", ["participant", "expert", "observer"])
def test_only_facilitators_import(world, s, persona):
    page = upload(world.client(persona), s, make_csv([["Favourite colour"], ["Red"]]))
    assert page.status_code == 403
    assert not Response.objects.exists()


# --- Big files: imported in the background, with a page that shows progress, then the report ---------


@pytest.fixture
def small_threshold(monkeypatch):
    """Files of more than 5 rows go to the background, 4 rows a transaction: the real path, with a small file."""
    monkeypatch.setattr(imports, "IMPORT_NOW_ROWS", 5)
    monkeypatch.setattr(imports, "ROWS_PER_TRANSACTION", 4)


def big_file(s: Survey) -> bytes:
    """The mixed file above without its unknown column (which would stop a big file at once)."""
    return make_csv([row[:11] if len(row) == 12 else row for row in the_rows(s)])


def run_url(s: Survey, run: ImportRun, consultation=None) -> str:
    c = consultation or s.consultation
    return reverse("consultations:import_run", args=[c.project.slug, c.pk, run.pk])


def test_a_big_file_is_imported_in_the_background_with_progress_then_the_full_report(
    world, s, small_threshold, run_tasks
):
    client = world.client("facilitator")
    page = upload(client, s, big_file(s), name="post bag.csv", batch="Post bag 1")
    run = ImportRun.objects.get()
    assert page.status_code == 302
    assert page["Location"] == run_url(s, run)
    assert (run.status, run.rows_total, run.rows_done, run.uploaded_by, run.file_name, run.batch) == (
        ImportStatus.QUEUED,
        15,
        0,
        world.facilitator,
        "post bag.csv",
        "Post bag 1",
    )
    assert not Response.objects.exists()  # nothing imported during the request

    waiting = client.get(run_url(s, run)).content.decode()
    assert "Waiting to start" in waiting
    assert "0 of 15 rows checked" in waiting
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert 'max="15" value="0"' in waiting

    run_tasks()
    run.refresh_from_db()
    assert run.status == ImportStatus.DONE
    assert run.rows_done == run.rows_total == 15
    assert run.started_at <= run.finished_at
    assert run.text == ""  # the file is not kept once its responses are in
    done = client.get(run_url(s, run)).content.decode()
    assert "http-equiv" not in done
    assert "14 rows read." in done
    assert "3 imported." in done
    assert "1 already imported (not added again)." in done
    assert "10 rows with problems (not imported)." in done
    assert "1 empty row skipped." in done
    assert "Rows: 11" in done
    bad = bad_rows(done)
    assert sorted(bad) == [4, 5, 6, 7, 8, 9, 10, 13, 14, 15]
    assert "This row has 2 cells but the first row has 11 columns." in bad[4]
    assert "Favourite colour: “Purple” is not one of the options." in bad[5]
    assert "Where is the problem?: That place is outside the area" in bad[10]
    assert "Favourite colour: This question needs an answer." in bad[15]
    summary = run.report["summary"]
    assert summary == {"read": 14, "imported": 3, "already_imported": 1, "bad": 10, "blank": 1}
    assert summary["read"] == summary["imported"] + summary["already_imported"] + summary["bad"]
    assert summary["read"] + summary["blank"] == run.rows_total

    imported = list(Response.objects.filter(consultation=s.consultation).order_by("id"))
    assert [(r.channel, r.batch, r.entered_by) for r in imported] == [
        ("paper", "Post bag 1", world.facilitator),
        ("phone", "Splott", world.facilitator),
        ("outreach", "Post bag 1", world.facilitator),
    ]
    assert imported[0].answers.get(question=s.where).lat == pytest.approx(51.481)
    entry = ActivityEntry.objects.get(verb="consultations.imported")
    assert entry.data == summary

    # The import page lists it, with its counts.
    listing = client.get(url(s)).content.decode()
    recent = listing[listing.index("Recent imports") :]
    assert "post bag.csv" in recent
    assert run_url(s, run) in recent
    assert "Finished" in recent
    assert re.search(r"<td>14</td><td>3</td><td>1</td><td>10</td>", recent)

    # The same file again: a new run that adds nothing.
    upload(client, s, big_file(s), name="post bag.csv", batch="Post bag 1")
    run_tasks()
    second = ImportRun.objects.exclude(pk=run.pk).get()
    again = client.get(run_url(s, second)).content.decode()
    assert "0 imported." in again
    assert "4 already imported (not added again)." in again
    assert "Rows: 2, 3, 11, 16" in again
    assert sorted(bad_rows(again)) == sorted(bad)
    assert Response.objects.filter(consultation=s.consultation).count() == 3
    assert ActivityEntry.objects.filter(verb="consultations.imported").count() == 2  # one per file


def test_running_the_task_again_for_the_same_run_does_nothing(world, s, small_threshold, run_tasks):
    upload(world.client("facilitator"), s, big_file(s))
    run_tasks()
    run = ImportRun.objects.get()
    finished = (run.status, run.report, run.finished_at)
    assert tasks.import_run.call(run_id=run.pk) == {}
    tasks.import_run.enqueue(run_id=run.pk)
    run_tasks()
    run.refresh_from_db()
    assert (run.status, run.report, run.finished_at) == finished
    assert Response.objects.count() == 3
    assert ActivityEntry.objects.filter(verb="consultations.imported").count() == 1
    assert tasks.import_run.call(run_id=run.pk + 1000) == {}  # a run that does not exist


def test_an_unexpected_error_stops_the_run_keeps_what_was_committed_and_the_file_can_be_imported_again(
    world, s, small_threshold, run_tasks, monkeypatch
):
    rows = [["Favourite colour", "ref"]] + [["Red", str(n)] for n in range(10)]  # rows 2 to 11
    client = world.client("facilitator")
    upload(client, s, make_csv(rows))
    real = imports._import_row
    during: list[str] = []

    def failing(user, consultation, context, row, number, report):
        if number == 7:  # in the second lot of 4 (rows 6 to 9)
            during.append(client.get(run_url(s, ImportRun.objects.get())).content.decode())
            raise RuntimeError("disk full")
        real(user, consultation, context, row, number, report)

    monkeypatch.setattr(imports, "_import_row", failing)
    run_tasks()
    run = ImportRun.objects.get()
    # While it ran, its page showed the progress written after the first lot, and kept refreshing.
    assert "Importing" in during[0]
    assert "4 of 10 rows checked" in during[0]
    assert '<meta http-equiv="refresh" content="3">' in during[0]
    assert run.status == ImportStatus.FAILED
    assert run.error == "RuntimeError: disk full"
    assert run.report["summary"]["imported"] == 4  # the first lot; the second was rolled back
    assert Response.objects.count() == 4
    page = client.get(run_url(s, run)).content.decode()
    assert "The import stopped before the end" in page
    assert "after 4 of 10 rows" in page
    assert "It is safe to import the same file again" in page
    assert "http-equiv" not in page
    assert ActivityEntry.objects.get(verb="consultations.imported").data["imported"] == 4

    monkeypatch.setattr(imports, "_import_row", real)
    upload(client, s, make_csv(rows))
    run_tasks()
    second = ImportRun.objects.exclude(pk=run.pk).get()
    assert second.status == ImportStatus.DONE
    assert second.report["summary"] == {"read": 10, "imported": 6, "already_imported": 4, "bad": 0, "blank": 0}
    assert Response.objects.count() == 10


def test_the_real_threshold_500_rows_at_once_501_in_the_background(world, s, run_tasks):
    rows = [["Favourite colour", "ref"]] + [["Green", str(n)] for n in range(501)]
    client = world.client("facilitator")
    page = upload(client, s, make_csv(rows[:501]), name="first 500.csv")
    assert page.status_code == 200
    assert "500 imported." in page.content.decode()
    at_once = ImportRun.objects.get()
    assert at_once.status == ImportStatus.DONE  # kept for the list of recent imports, and its report too
    assert "500 imported." in client.get(run_url(s, at_once)).content.decode()
    page = upload(client, s, make_csv(rows), name="all 501.csv")
    assert page.status_code == 302
    run_tasks()
    run = ImportRun.objects.get(file_name="all 501.csv")
    assert run.report["summary"] == {"read": 501, "imported": 1, "already_imported": 500, "bad": 0, "blank": 0}
    assert run.rows_done == 501
    assert Response.objects.count() == 501


def test_a_big_file_with_header_problems_is_stopped_at_once_unless_asked_to_go_on(world, s, small_threshold, run_tasks):
    client = world.client("facilitator")
    data = the_file(s)  # 15 rows, with an unknown column "Shoe size"
    page = upload(client, s, data)
    assert page.status_code == 400
    html = page.content.decode()
    assert "These columns do not match any question and were not read: “Shoe size”." in html
    assert 'name="leave_out"' in html
    assert not ImportRun.objects.exists()
    assert not Response.objects.exists()

    page = upload(client, s, data, leave_out="1")
    run = ImportRun.objects.get()
    assert page["Location"] == run_url(s, run)
    run_tasks()
    html = client.get(run_url(s, run)).content.decode()
    assert "3 imported." in html
    assert "“Shoe size”" in html  # still named in the report


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Favourite colour\n" + "Caf\xe9\n".encode("latin-1") * 10, "The file is not in UTF-8"),
        (b"Shoe size\n" + b"9\n" * 10, "No column matches a question"),
    ],
)
def test_a_big_file_that_cannot_be_read_is_refused_at_once(world, s, small_threshold, data, message):
    page = upload(world.client("facilitator"), s, data)
    assert page.status_code == 400
    assert message in page.content.decode()
    assert not ImportRun.objects.exists()


def test_a_run_page_is_for_facilitators_of_its_own_consultation(world, small_threshold):
    private = survey(world.private_project, world.facilitator)
    other = survey(world.private_project, world.facilitator)
    upload(
        world.client("facilitator"),
        private,
        make_csv([["Favourite colour", "ref"]] + [["Red", str(n)] for n in range(9)]),
    )
    run = ImportRun.objects.get()
    assert world.client("facilitator").get(run_url(private, run)).status_code == 200
    assert world.client("participant").get(run_url(private, run)).status_code == 403
    assert world.client("outsider").get(run_url(private, run)).status_code == 404
    assert world.client("facilitator").get(run_url(private, run, other.consultation)).status_code == 404
    missing = ImportRun(pk=run.pk + 1)
    assert world.client("facilitator").get(run_url(private, missing)).status_code == 404


def test_a_run_that_has_not_moved_for_10_minutes_stops_refreshing_and_says_so(world, s, small_threshold):
    client = world.client("facilitator")
    upload(client, s, big_file(s), name="stuck.csv")
    run = ImportRun.objects.get()
    listing = client.get(url(s)).content.decode()
    assert "Waiting to start (0 of 15 rows)" in listing
    ImportRun.objects.filter(pk=run.pk).update(created_at=timezone.now() - datetime.timedelta(minutes=11))
    page = client.get(run_url(s, run)).content.decode()
    assert "the import seems to have stopped" in page
    assert "http-equiv" not in page


def test_the_same_import_form_sent_twice_imports_once(world, s):
    """A double click on Import: the second sending is told the file was already sent, and makes no second
    run or report."""
    client = world.client("facilitator")
    token = str(uuid.uuid4())
    first = upload(client, s, the_file(s), form_token=token)
    assert first.status_code == 200 and "3 imported." in first.content.decode()
    again = upload(client, s, the_file(s), form_token=token)
    assert again.status_code == 302 and again["Location"] == url(s)
    assert "This form has already been sent." in client.get(url(s)).content.decode()
    assert ImportRun.objects.count() == 1
    # A new form (a new token) is a new import, which finds its rows already there.
    third = upload(client, s, the_file(s), form_token=str(uuid.uuid4()))
    assert third.status_code == 200 and "4 already imported" in third.content.decode()
    assert ImportRun.objects.count() == 2


def test_the_same_big_import_form_sent_twice_queues_one_run(world, s, small_threshold, run_tasks):
    client = world.client("facilitator")
    token = str(uuid.uuid4())
    first = upload(client, s, big_file(s), form_token=token)
    assert first.status_code == 302 and first["Location"] == run_url(s, ImportRun.objects.get())
    again = upload(client, s, big_file(s), form_token=token)
    assert again.status_code == 302 and again["Location"] == url(s)
    assert ImportRun.objects.count() == 1
    run_tasks()
    assert ImportRun.objects.get().status == ImportStatus.DONE
