"""Results of a consultation, worked out by hand; channel filter; small numbers; visibility; exports;
staff entry of a response given offline; query counts that stay flat as responses grow."""

from __future__ import annotations

import csv
import datetime
import io
import re

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from copro.consultations import services
from copro.consultations.models import Answer, Response, ResponseStatus
from copro.core.models import ActivityEntry
from tests.factories_results import Survey, bulk_responses, survey

pytestmark = pytest.mark.django_db


def enter(s: Survey, staff, channel: str, values: dict, **extra) -> Response:
    return services.response_submit(consultation=s.consultation, raw=values, channel=channel, entered_by=staff, **extra)


@pytest.fixture
def hand(world) -> Survey:
    """Six responses, one online and five entered by staff; the figures below are counted by hand."""
    s = survey(world.project, world.facilitator)
    f = world.facilitator
    services.response_submit(
        consultation=s.consultation,
        respondent=world.participant,
        raw={
            s.colour.pk: 0,
            s.transport.pk: [0, 1],
            s.agree.pk: 4,
            s.rank.pk: [0, 1, 2],
            s.comment.pk: "Great <script>alert(1)</script>",
            s.where.pk: {"lat": 51.5, "lng": -3.1},
            s.age.pk: 0,
        },
    )
    enter(
        s,
        f,
        "paper",
        {
            s.colour.pk: 0,
            s.transport.pk: [1],
            s.agree.pk: 5,
            s.rank.pk: [1, 0],
            s.comment.pk: "Dark at night",
            s.age.pk: 1,
        },
    )
    enter(s, f, "paper", {s.colour.pk: 2, s.transport.pk: [1, 2], s.agree.pk: 2, s.rank.pk: [0], s.age.pk: 1})
    enter(s, f, "phone", {s.colour.pk: 0, s.transport.pk: [3], s.agree.pk: 4, s.age.pk: 1})
    enter(s, f, "phone", {s.colour.pk: 1, s.agree.pk: 4, s.age.pk: 1})
    enter(s, f, "phone", {s.colour.pk: 0, s.age.pk: 1})
    return s


def url(s: Survey, name: str = "results", *extra) -> str:
    return reverse(f"consultations:{name}", args=[s.consultation.project.slug, s.consultation.pk, *extra])


def rows_of(html: str, caption_text: str) -> list[list[str]]:
    """The body rows of the table whose caption contains caption_text, as cell texts."""
    start = html.index(caption_text)
    table = html[start : html.index("</table>", start)]
    body = table[table.index("<tbody>") :]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


# --- The figures ----------------------------------------------------------------------------------------


def test_the_results_page_shows_the_counts_and_percentages_worked_out_by_hand(world, hand):
    page = world.client("participant").get(url(hand))
    assert page.status_code == 200
    html = page.content.decode()
    assert "6 responses in all" in html
    assert "17% online, 83% on paper" in html  # 1 of 6 online
    # Single choice: Red 4 of 6, Green 1, Blue 1.
    assert rows_of(html, "The answers to “Favourite colour”") == [
        ["Red", "4", "67%"],
        ["Green", "1", "17%"],
        ["Blue", "1", "17%"],
    ]
    # Multiple choice: 4 people answered; Bike chosen by 3 of them.
    assert "Answered by 4 people." in html
    assert rows_of(html, "The answers to “How do you travel?”") == [
        ["Bus", "1", "25%"],
        ["Bike", "3", "75%"],
        ["Walk", "1", "25%"],
        ["Car", "1", "25%"],
    ]
    # Scale: 4, 5, 2, 4, 4 -> mean 3.8.
    assert rows_of(html, "The answers to “Cycle lanes are safe”") == [
        ["Strongly disagree", "0", "0%"],
        ["Disagree", "1", "20%"],
        ["Neither agree nor disagree", "0", "0%"],
        ["Agree", "3", "60%"],
        ["Strongly agree", "1", "20%"],
    ]
    assert "Average: 3.8 on a scale" in html
    # Ranking: [L, Be, Bi], [Be, L], [L]: Lighting first twice, average place (1+2+1)/3.
    assert rows_of(html, "The rankings for “Rank the improvements”") == [
        ["Lighting", "2", "67%", "3", "1.33"],
        ["Benches", "1", "33%", "2", "1.5"],
        ["Bins", "0", "0%", "1", "3.0"],
    ]
    # Free text, escaped, each with a Report link.
    assert "Great &lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<script>alert(1)" not in html
    shown = Answer.objects.get(question=hand.comment, text__startswith="Great")
    assert reverse("moderation:report", args=[world.project.slug, "answer", shown.pk]) in html
    # Every chart is an image with a name, next to its table ("Your age" is withheld while open: 4 charts).
    assert html.count('role="img"') == 4
    assert "“About you” totals are published when the consultation has closed." in html
    assert f'aria-labelledby="chart-{hand.colour.pk}-title"' in html


def test_hidden_text_answers_are_not_shown(world, hand):
    dark = Answer.objects.get(question=hand.comment, text="Dark at night")
    dark.hidden_at = timezone.now()
    dark.hidden_reason = "Names a neighbour"
    dark.save()
    html = world.client("participant").get(url(hand)).content.decode()
    assert "Dark at night" not in html
    assert "Great &lt;script&gt;" in html
    # Facilitators read every answer on the paged list, hidden ones marked as such.
    staff = world.client("facilitator").get(url(hand, "text_answers", hand.comment.pk)).content.decode()
    assert "Hidden by a facilitator: Names a neighbour" in staff
    assert world.client("participant").get(url(hand, "text_answers", hand.comment.pk)).status_code == 403


def test_the_channel_filter_counts_only_that_channel(world, hand):
    html = world.client("participant").get(url(hand) + "?channel=paper").content.decode()
    assert "Showing 2 responses given by: Paper form." in html
    assert rows_of(html, "The answers to “Favourite colour”") == [
        ["Red", "1", "50%"],
        ["Green", "0", "0%"],
        ["Blue", "1", "50%"],
    ]
    assert '<option value="paper" selected>Paper form (2)</option>' in html
    assert '<option value="phone">Phone call (3)</option>' in html
    # An unknown channel shows everything rather than failing.
    assert "6 responses in all" in world.client("participant").get(url(hand) + "?channel=nonsense").content.decode()


def _age_section(html: str, hand) -> str:
    start = html.index(f'id="result-{hand.age.pk}-h"')
    return html[start : html.index("</section>", start)]


def test_about_you_totals_are_withheld_while_open_for_one_channel_and_below_10_responses(world, hand):
    opened = world.client("participant").get(url(hand)).content.decode()
    assert "published when the consultation has closed" in _age_section(opened, hand)
    assert "The answers to “Your age”" not in opened
    services.consultation_close(user=world.facilitator, consultation=hand.consultation)
    closed = world.client("participant").get(url(hand)).content.decode()
    assert "only when at least 10 people have responded" in _age_section(closed, hand)  # 6 responses
    assert "The answers to “Your age”" not in closed
    # Facilitators always see every figure.
    staff = world.client("facilitator").get(url(hand)).content.decode()
    assert rows_of(staff, "The answers to “Your age”") == [
        ["Under 25", "1", "17%"],
        ["25 to 64", "5", "83%"],
        ["65 or over", "0", "0%"],
    ]


def test_private_questions_show_fewer_than_5_to_everyone_but_facilitators(world, hand):
    for _ in range(4):
        enter(hand, world.facilitator, "paper", {hand.colour.pk: 0, hand.age.pk: 1})
    services.consultation_close(user=world.facilitator, consultation=hand.consultation)
    html = world.client("participant").get(url(hand)).content.decode()
    rows = rows_of(html, "The answers to “Your age”")
    # Under 25: 1 person (suppressed); 25 to 64: 9 people; no shares, no total (they would give the 1 away).
    assert rows == [["Under 25", "fewer than 5", "–"], ["25 to 64", "9", "–"], ["65 or over", "0", "–"]]
    assert "Answered by" not in _age_section(html, hand)  # the total would give the suppressed number away
    assert "Answered by 10 people." in html  # (other questions still show theirs)
    one_channel = world.client("participant").get(url(hand) + "?channel=paper").content.decode()
    assert "not for one channel" in _age_section(one_channel, hand)
    staff = world.client("facilitator").get(url(hand)).content.decode()
    assert rows_of(staff, "The answers to “Your age”") == [
        ["Under 25", "1", "10%"],
        ["25 to 64", "9", "90%"],
        ["65 or over", "0", "0%"],
    ]


# --- Who sees the results -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("visibility", "closed", "participant_sees"),
    [
        ("live", False, True),
        ("after_close", False, False),
        ("after_close", True, True),
        ("staff", False, False),
        ("staff", True, False),
    ],
)
def test_who_sees_the_results(world, visibility, closed, participant_sees):
    s = survey(world.project, world.facilitator, results_visibility=visibility)
    enter(s, world.facilitator, "paper", {s.colour.pk: 1})
    if closed:
        services.consultation_close(user=world.facilitator, consultation=s.consultation)
    for persona in ("participant", "observer", "anonymous"):
        page = world.client(persona).get(url(s))
        assert page.status_code == (200 if participant_sees else 403)
        assert ("The answers to “Favourite colour”" in page.content.decode()) is participant_sees
    assert world.client("facilitator").get(url(s)).status_code == 200


def test_a_draft_consultation_has_no_results_page_for_anyone_but_facilitators(world):
    s = survey(world.project, world.facilitator, open_it=False)
    assert world.client("participant").get(url(s)).status_code == 404
    assert world.client("facilitator").get(url(s)).status_code == 200


def test_the_reach_panel_counts_online_and_offline_by_week(world, hand):
    monday = timezone.localdate() - datetime.timedelta(days=timezone.localdate().weekday() + 14)
    enter(
        hand,
        world.facilitator,
        "outreach",
        {hand.colour.pk: 1},
        submitted_at=timezone.make_aware(
            datetime.datetime.combine(monday + datetime.timedelta(days=2), datetime.time(10))
        ),
    )
    html = world.client("facilitator").get(url(hand, "reach")).content.decode()
    rows = rows_of(html, "Responses each week")
    assert rows[0] == [monday.strftime("%-d %b %Y"), "0", "1", "100%"]
    assert rows[-1][1:] == ["1", "5", "83%"]
    assert world.client("participant").get(url(hand, "reach")).status_code == 403
    # On the results page too, for facilitators only.
    assert "Reach: online and offline" in world.client("facilitator").get(url(hand)).content.decode()
    assert "Reach: online and offline" not in world.client("participant").get(url(hand)).content.decode()


# --- Query counts and caching ---------------------------------------------------------------------------


def _count_queries(client, address) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        assert client.get(address).status_code == 200
    return len(captured)


@pytest.mark.parametrize("persona", ["facilitator", "participant"])
def test_the_results_page_makes_the_same_number_of_queries_for_10_or_200_responses(
    world, persona, django_assert_num_queries
):
    s = survey(world.project, world.facilitator)
    client = world.client(persona)
    bulk_responses(s, 10, seed=1)
    cache.clear()
    uncached = _count_queries(client, url(s))
    cached = _count_queries(client, url(s))
    assert cached < uncached  # the two grouped tallies come from the cache
    bulk_responses(s, 190, seed=2)
    cache.clear()
    with django_assert_num_queries(uncached):
        html = client.get(url(s)).content.decode()
    assert "200 responses in all" in html
    with django_assert_num_queries(cached):
        client.get(url(s))
    cache.clear()
    with django_assert_num_queries(uncached):  # filtered by channel: the same queries
        client.get(url(s) + "?channel=paper")


def test_a_new_response_is_counted_at_once_despite_the_cache(world, hand):
    client = world.client("participant")
    assert "6 responses in all" in client.get(url(hand)).content.decode()
    enter(hand, world.facilitator, "paper", {hand.colour.pk: 2})
    html = client.get(url(hand)).content.decode()
    assert "7 responses in all" in html
    assert rows_of(html, "The answers to “Favourite colour”")[2] == ["Blue", "2", "29%"]


def test_the_responses_list_filters_and_keeps_its_query_count(world, django_assert_num_queries):
    s = survey(world.project, world.facilitator)
    client = world.client("facilitator")
    bulk_responses(s, 60, seed=1)
    address = url(s, "responses") + "?channel=paper&batch=bulk"
    before = _count_queries(client, address)
    bulk_responses(s, 300, seed=2)
    with django_assert_num_queries(before):
        html = client.get(address).content.decode()
    # bulk_responses puts every 4th response offline, cycling paper, phone, drop-in, outreach: paper is
    # every 16th (i = 0, 16, 32...): 4 of the first 60 and 19 of the next 300.
    assert "23 responses." in html
    assert world.client("participant").get(url(s, "responses")).status_code == 403


# --- Exports --------------------------------------------------------------------------------------------


def test_the_csv_export_has_one_row_per_response_with_answers_in_words(world, hand):
    enter(
        hand,
        world.facilitator,
        "drop_in",
        {hand.colour.pk: 1, hand.comment.pk: '=HYPERLINK("http://evil")', hand.transport.pk: [0, 3]},
        batch="@Ely drop-in",
        hear_back=True,
    )
    response = world.client("facilitator").get(url(hand, "export", "csv"))
    assert response.status_code == 200
    assert response.streaming
    disposition = response["Content-Disposition"]
    assert f"consultation-{hand.consultation.pk}-responses-{timezone.localdate().isoformat()}.csv" in disposition
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    table = list(csv.reader(io.StringIO(text)))
    header = table[0]
    assert header[:6] == ["receipt", "submitted at", "channel", "entered by", "batch", "wants to hear back"]
    assert header[6:] == [
        "Favourite colour",
        "How do you travel?",
        "Cycle lanes are safe",
        "Rank the improvements",
        "Anything else?",
        "Where is the problem?",
    ]  # not "Your age": "about you" answers are never shown beside a person's other answers
    assert len(table) == 1 + 7
    by_receipt = {row[0]: dict(zip(header, row)) for row in table[1:]}
    online = by_receipt[Response.objects.get(channel="online").receipt]
    assert online["How do you travel?"] == "Bus; Bike"
    assert online["Rank the improvements"] == "1. Lighting; 2. Benches; 3. Bins"
    assert online["Cycle lanes are safe"] == "Agree"
    assert online["Where is the problem?"] == "51.5,-3.1"
    assert online["entered by"] == ""
    assert online["channel"] == "Online"
    last = by_receipt[Response.objects.get(channel="drop_in").receipt]
    assert last["Anything else?"] == '\'=HYPERLINK("http://evil")'  # formula injection defused
    assert last["batch"] == "'@Ely drop-in"
    assert last["How do you travel?"] == "Bus; Car"
    assert last["entered by"] == world.facilitator.public_name
    assert last["channel"] == "Drop-in session"
    assert (last["wants to hear back"], online["wants to hear back"]) == ("yes", "")


def test_about_you_answers_export_on_their_own_with_nothing_to_join_them_to_a_response(world, hand):
    response = world.client("facilitator").get(url(hand, "export", "about-you.csv"))
    assert response.status_code == 200
    assert "-about-you-" in response["Content-Disposition"]
    table = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert table[0] == ["Your age"]
    expected = sorted(
        hand.age.choices[a.choice] for a in Answer.objects.filter(question=hand.age).order_by("response_id")
    )
    assert sorted(row[0] for row in table[1:]) == expected
    assert len(expected) >= 2
    receipts = set(Response.objects.values_list("receipt", flat=True))
    assert not any(cell in receipts for row in table for cell in row)
    assert world.client("participant").get(url(hand, "export", "about-you.csv")).status_code == 403


def test_the_xlsx_export_opens_and_holds_every_response(world, hand):
    response = world.client("facilitator").get(url(hand, "export", "xlsx"))
    assert response.status_code == 200
    assert response["Content-Disposition"].endswith(f'-{timezone.localdate().isoformat()}.xlsx"')
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0][6] == "Favourite colour"
    assert len(rows) == 7
    assert sorted(r[0] for r in rows[1:]) == sorted(Response.objects.values_list("receipt", flat=True))


@pytest.mark.parametrize("persona", ["participant", "expert", "observer", "outsider", "anonymous"])
def test_only_facilitators_export(world, hand, persona):
    assert world.client(persona).get(url(hand, "export", "csv")).status_code in (403, 404)
    assert world.client("facilitator").get(url(hand, "export", "pdf")).status_code == 404


# --- Staff entry -----------------------------------------------------------------------------------------


def entry_form(s: Survey, client, **fields) -> dict:
    page = client.get(url(s, "enter"))
    token = re.search(r'name="form_token" value="([^"]+)"', page.content.decode()).group(1)
    return {"form_token": token, **fields}


def test_staff_enter_a_paper_response_with_its_channel_batch_and_name(world):
    s = survey(world.project, world.facilitator)
    client = world.client("facilitator")
    page = client.get(url(s, "enter"))
    assert page.status_code == 200
    html = page.content.decode()
    assert f'name="q{s.rank.pk}_0"' in html and f'name="q{s.where.pk}_place"' in html
    data = entry_form(
        s,
        client,
        channel="paper",
        batch="Ely library",
        given_on=(timezone.localdate() - datetime.timedelta(days=3)).isoformat(),
        hear_back="on",
        **{
            f"q{s.colour.pk}": "1",
            f"q{s.transport.pk}": ["0", "2"],
            f"q{s.agree.pk}": "5",
            f"q{s.rank.pk}_2": "1",
            f"q{s.rank.pk}_0": "2",
            f"q{s.comment.pk}": "Ŵyn <b>bach</b>",
            f"q{s.where.pk}_place": str(s.place.pk),
            f"q{s.age.pk}": "2",
        },
    )
    saved = client.post(url(s, "enter"), data)
    assert saved.status_code == 302
    assert "channel=paper" in saved["Location"] and "batch=Ely+library" in saved["Location"]
    response = Response.objects.get(consultation=s.consultation)
    assert (response.channel, response.entered_by, response.batch, response.hear_back) == (
        "paper",
        world.facilitator,
        "Ely library",
        True,
    )
    assert response.respondent is None
    assert timezone.localdate(response.submitted_at) == timezone.localdate() - datetime.timedelta(days=3)
    answers = {(a.question_id, a.choice, a.number) for a in response.answers.all()}
    assert (s.rank.pk, 2, 1) in answers and (s.rank.pk, 0, 2) in answers
    assert response.answers.get(question=s.where).lat == pytest.approx(51.481)
    # "Enter another": the channel and batch are kept.
    again = client.get(saved["Location"]).content.decode()
    assert "Saved (receipt" in again
    assert 'value="Ely library"' in again
    assert re.search(r'value="paper"[^>]*checked', again)


def test_staff_entry_records_one_activity_entry_per_batch_not_per_response(world):
    s = survey(world.project, world.facilitator)
    client = world.client("facilitator")
    for batch in ("Ely", "Ely", "Ely", "Splott"):
        data = entry_form(s, client, channel="phone", batch=batch, **{f"q{s.colour.pk}": "0"})
        assert client.post(url(s, "enter"), data).status_code == 302
    assert Response.objects.filter(consultation=s.consultation, channel="phone").count() == 4
    entries = ActivityEntry.objects.filter(verb="consultations.entered")
    assert sorted(e.data["batch"] for e in entries) == ["Ely", "Splott"]


def test_staff_entry_refuses_the_online_channel_a_future_date_and_bad_answers(world):
    s = survey(world.project, world.facilitator)
    client = world.client("facilitator")
    online = client.post(url(s, "enter"), entry_form(s, client, channel="online", **{f"q{s.colour.pk}": "0"}))
    assert online.status_code == 400
    assert "Select a valid choice" in online.content.decode() or "Choose how" in online.content.decode()
    tomorrow = (timezone.localdate() + datetime.timedelta(days=1)).isoformat()
    future = client.post(
        url(s, "enter"), entry_form(s, client, channel="paper", given_on=tomorrow, **{f"q{s.colour.pk}": "0"})
    )
    assert future.status_code == 400
    assert "cannot be in the future" in future.content.decode()
    bad = client.post(
        url(s, "enter"), entry_form(s, client, channel="paper", **{f"q{s.rank.pk}_0": "1", f"q{s.rank.pk}_1": "3"})
    )
    assert bad.status_code == 400
    assert "without gaps or repeats" in bad.content.decode()
    assert 'value="3"' in bad.content.decode()  # what was typed is kept
    assert not Response.objects.filter(consultation=s.consultation).exists()
    # The service refuses the online channel too, whatever the form says.
    with pytest.raises(Exception, match="paper, phone"):
        services.response_submit(consultation=s.consultation, raw={}, channel="online", entered_by=world.facilitator)


@pytest.mark.parametrize("persona", ["participant", "expert", "observer"])
def test_only_facilitators_enter_responses(world, persona):
    s = survey(world.project, world.facilitator)
    assert world.client(persona).get(url(s, "enter")).status_code == 403
    assert world.client(persona).post(url(s, "enter"), {"channel": "paper"}).status_code == 403
    assert not Response.objects.exists()


def test_a_double_submitted_entry_is_saved_once(world):
    s = survey(world.project, world.facilitator)
    client = world.client("facilitator")
    data = entry_form(s, client, channel="paper", **{f"q{s.colour.pk}": "0"})
    client.post(url(s, "enter"), data)
    client.post(url(s, "enter"), data)
    assert Response.objects.filter(consultation=s.consultation, status=ResponseStatus.SUBMITTED).count() == 1
