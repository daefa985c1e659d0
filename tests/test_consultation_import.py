"""Importing paper responses from a CSV file: a row-by-row report, every good row in, nothing dropped
silently, and importing the same file again adds nothing twice."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from copro.consultations import imports
from copro.consultations.models import Answer, Response
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


def upload(client, s: Survey, data: bytes, name: str = "forms.csv", batch: str = "") -> str:
    page = client.post(url(s), {"file": SimpleUploadedFile(name, data, content_type="text/csv"), "batch": batch})
    return page


def the_file(s: Survey) -> bytes:
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
    return make_csv(
        [
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
    )


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
