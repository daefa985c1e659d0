"""Governance reports: every section's numbers on a hand-built project, the empty report, bad periods, who may
open them (observers can, participants cannot, outsiders of a private project get 404), the PDF, reach
targets, shared links and query counts."""

from __future__ import annotations

import datetime
import subprocess

import pytest
from django.core import signing
from django.urls import reverse
from django.utils import timezone

from copro.core.models import ActivityEntry, Visibility
from copro.core.permissions import Role
from copro.followthrough import report_views, reports
from copro.followthrough.models import ReachTarget
from tests import factories_reports as fr
from tests.conftest import client_for
from tests.factories import XSS

pytestmark = pytest.mark.django_db

PERIOD = reports.Period(fr.START, fr.END)
QUERY = f"?start={fr.START.isoformat()}&end={fr.END.isoformat()}"


def url(name, project, query=QUERY):
    return reverse(f"reports:{name}", args=[project.slug]) + query


@pytest.fixture
def built(world):
    return fr.built(world)


def observer_report(built):
    return reports.report_data(built.project, PERIOD, reports.report_visibilities(Role.OBSERVER))


def pdf_text(data) -> str:
    """The words laid out in the PDF, read from WeasyPrint's own layout (no PDF reader is needed)."""
    from weasyprint.formatting_structure import boxes

    document = report_views.render_pdf(None, data, document=True)
    return " ".join(b.text for p in document.pages for b in p._page_box.descendants() if isinstance(b, boxes.TextBox))


# --- Every section, with known numbers ------------------------------------------------------------------------


def test_who_took_part_by_role_and_channel(built):
    tp = observer_report(built).took_part
    # Members at the end of the period: the world's participant and p2 (p3 joined after it).
    assert [(r["role"], r["members"], r["joined"], r["active"]) for r in tp["roles"]] == [
        ("Participant", 2, 1, 2),  # took part: the participant (feedback, idea, vote) and p2 (a response, a vote)
        ("Expert", 1, 0, 1),  # a pin and a vote
        ("Facilitator", 1, 0, 0),  # entered things for others: that is not taking part
        ("Observer", 1, 0, 0),
    ]
    assert (tp["members_total"], tp["active_total"]) == (5, 3)
    # Responses 1 online + 3 paper + 1 phone (the one before the period and the draft are not counted).
    assert tp["responses_total"] == 5
    assert dict(tp["responses"])["Paper form"] == 3
    # Pins: 1 online + 2 at drop-ins (the hidden one and the one after the period are not counted).
    assert tp["pins_total"] == 3 and dict(tp["pins"])["Drop-in session"] == 2
    assert tp["ideas_total"] == 1
    assert tp["feedback_total"] == 3 and dict(tp["feedback"])["Outreach visit"] == 1
    # One row per channel: responses, pins, ideas, feedback.
    assert tp["channel_table"] == [
        ("Online", [1, 1, 1, 2]),
        ("Paper form", [3, 0, 0, 0]),
        ("Phone call", [1, 0, 0, 0]),
        ("Drop-in session", [0, 2, 0, 0]),
        ("Outreach visit", [0, 0, 0, 1]),
    ]
    channels = tp["charts"]["channels"]
    assert channels.total == 12  # 5 + 3 + 1 + 3
    assert [(r.label, r.value, r.percent) for r in channels.rows][:2] == [("Online", 5, 42), ("Paper form", 3, 25)]
    # Ballots in the two decisions closed in the period: 4 + 2 online, 3 on paper (the earlier one's 10 left out).
    assert tp["ballots"] == [("Online", 6), ("Paper", 3)] and tp["ballots_total"] == 9
    assert tp["voters_by_role"] == [("Expert", 1), ("Participant", 2)]


def test_reach_against_targets(built):
    rows = {r["label"]: r for r in observer_report(built).reach}
    # Everyone: 12 contributions + 9 ballots + 0 meeting attendances = 21 of 40 = 52.5%, shown as 53%.
    assert (rows["Everyone"]["reached"], rows["Everyone"]["percent"], rows["Everyone"]["met"]) == (21, 53, False)
    # Participants who took part: 2 of 4 = 50%.
    assert (rows["Participants"]["reached"], rows["Participants"]["percent"]) == (2, 50)
    # Paper: 3 paper responses of 3: met.
    assert (rows["Paper"]["reached"], rows["Paper"]["percent"], rows["Paper"]["met"]) == (3, 100, True)
    # Participants online: p2's response + the participant's idea + the participant's feedback = 3 of 5 = 60%.
    assert (rows["Participants online"]["reached"], rows["Participants online"]["percent"]) == (3, 60)


def test_what_was_decided(built):
    decided = observer_report(built).decided
    assert decided["total"] == 2
    assert [(r.label, r.value) for r in decided["chart"].rows] == [("Agreed", 1), ("Counted", 1)]
    assert [r["took_part"] for r in decided["rows"]] == [7, 2]


def test_commitments_kept_overdue_changed_and_the_promise_kept_rate(built):
    c = observer_report(built).commitments
    # Seen by the board (public and members-only): C3 is new; C1 and C2 done (C1 on time); C3 overdue;
    # C4 changed; C6 dropped; four updates posted (C5 is for staff only).
    assert c["counts"] == {
        "new": 1,
        "done": 2,
        "done_on_time": 1,
        "overdue": 1,
        "changed": 1,
        "dropped": 1,
        "updates": 4,
    }
    # Due in the period: C1, C2, C3, C4; kept: C1. 1 of 4 = 25%.
    assert (c["promise"]["kept"], c["promise"]["due"], c["promise"]["rate"]) == (1, 4, 25)
    assert [o.pk for o in c["overdue"]] == [built.commitments["c3"].pk]
    assert [u.commitment.pk for u in c["changed"]] == [built.commitments["c4"].pk, built.commitments["c6"].pk]
    facilitator = reports.report_data(built.project, PERIOD, reports.report_visibilities(Role.FACILITATOR))
    assert facilitator.commitments["counts"]["new"] == 2  # C3 and the staff-only C5


def test_feedback_in_numbers_and_only_consented_quotes(built):
    f = observer_report(built).feedback
    assert f["total"] == 3
    assert [(r.label, r.value) for r in f["feelings"].rows] == [
        ("Very bad", 0),
        ("Bad", 1),
        ("Okay", 0),
        ("Good", 1),
        ("Very good", 1),
    ]
    assert f["good_percent"] == 67  # 2 of 3 felt good or very good: 66.7%, shown as 67%
    assert [(r.label, r.value) for r in f["triage"].rows] == [
        ("Not looked at yet", 1),
        ("Celebrate", 1),
        ("Act on", 1),
        ("Pass on", 0),
    ]
    assert [q["public_excerpt"] for q in f["quotes"]] == ["The drop-in was kind " + XSS]


def test_what_changed_because_of_participants(built):
    ch = observer_report(built).changed
    assert [(t["idea"], t["decision"]) for t in ch["taken"]] == [(built.idea.title, built.decisions["d2"].title)]
    assert [c.pk for c in ch["commitments"]] == [built.commitments["c3"].pk]  # via the idea's decision
    assert len(ch["scope_changes"]) == 1
    assert ch["owned"] == 1  # C6, co-owned by the participant


def test_the_page_shows_every_section_escaped_with_charts_beside_tables(built, world):
    response = world.client("observer").get(url("report", built.project))
    assert response.status_code == 200
    html = response.content.decode()
    for heading in (
        "Who took part",
        "Reach against targets",
        "What was decided",
        "Commitments: kept, overdue or changed",
        "Feedback",
        "What changed because of participants",
    ):
        assert heading in html
    assert "Promise-kept rate: <strong>25%</strong>" in html
    assert XSS not in html and "&lt;script&gt;" in html
    assert "SECRET-NO-CONSENT" not in html
    assert "Staff only" not in html  # C5 is for facilitators
    # Every chart is an SVG with a title, and a table of its numbers beside it.
    assert html.count('<figure class="chart-pair"') == html.count("<svg") >= 6
    assert html.count('<div class="chart-pair__table">') == html.count("<svg")
    assert " style=" not in html and "<script" not in html.replace("&lt;script", "")


def test_an_empty_project_gets_a_useful_report(world):
    response = world.client("observer").get(url("report", world.private_project))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Nothing was recorded in this period" in html
    assert "No decisions were closed in this period" in html
    assert "No reach targets are set" in html
    assert "The project has no commitments yet" in html


def test_the_report_opens_on_the_last_full_quarter(world):
    response = world.client("facilitator").get(url("report", world.project, ""))
    assert response.status_code == 200
    period = reports.default_period()
    assert period.end < timezone.localdate().replace(day=1) and period.end + datetime.timedelta(
        days=1
    ) == timezone.localdate().replace(day=1)
    assert period.start.day == 1 and (period.end - period.start).days in range(88, 93)
    assert response.context["report"].period == period


@pytest.mark.parametrize(
    "query, message",
    [
        ("?start=2026-09-30&end=2026-07-01", "The period ends before it starts"),
        ("?start=2016-01-01&end=2026-07-01", "A report covers at most five years"),
        ("?start=banana&end=2026-07-01", "Enter a valid date"),
        ("?start=2026-07-01", "This field is required"),
    ],
)
def test_a_bad_period_is_a_form_error_not_a_crash(world, query, message):
    for path in (url("report", world.project, query), url("report_pdf", world.project, query)):
        response = world.client("observer").get(path)
        assert response.status_code == 400
        html = response.content.decode()
        assert "There is a problem" in html and message in html


def test_a_period_that_ends_before_it_starts_is_refused_by_the_service_too(world):
    with pytest.raises(Exception, match="ends before it starts"):
        reports.report_data(world.project, reports.Period(fr.END, fr.START), [Visibility.PUBLIC])


# --- Who may open reports ----------------------------------------------------------------------------------


def test_the_reports_permission_table():
    from copro.core.permissions import TABLE

    rows = {a.name: {r.value for r in a.roles} for a in TABLE.actions() if a.name.startswith("reports.")}
    assert rows == {
        "reports.view": {"observer", "facilitator"},
        "reports.health": {"observer", "participant", "expert", "facilitator"},
        "reports.opendata": {"public", "outsider", "observer", "participant", "expert", "facilitator"},
        "reports.targets": {"facilitator"},
        "reports.share": {"facilitator"},
    }
    assert not TABLE.allowed(Role.FACILITATOR, "reports.delete")  # undeclared: denied to everyone


@pytest.mark.parametrize(
    "persona, status",
    [
        ("facilitator", 200),
        ("observer", 200),
        ("participant", 403),
        ("expert", 403),
        ("outsider", 403),
        ("anonymous", 403),
    ],
)
def test_who_may_open_the_report_on_a_public_project(world, persona, status):
    assert world.client(persona).get(url("report", world.project)).status_code == status


@pytest.mark.parametrize(
    "persona, status", [("observer", 200), ("participant", 403), ("outsider", 404), ("anonymous", 404)]
)
def test_who_may_open_the_report_on_a_private_project(world, persona, status):
    for name in ("report", "report_pdf"):
        response = world.client(persona).get(url(name, world.private_project))
        assert response.status_code == status


def test_an_observer_downloads_the_pdf_with_the_numbers_in_it(built, world):
    response = world.client("observer").get(url("report_pdf", built.project))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"] and ".pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(observer_report(built))
    assert "Governance report" in text and "Who took part" in text and "What changed because of participants" in text
    assert "SECRET-NO-CONSENT" not in text and "Staff only" not in text
    assert "The drop-in was kind" in text
    document = report_views.render_pdf(None, observer_report(built), document=True)
    assert 2 <= len(document.pages) <= 12


def test_pdftotext_reads_the_same_words_when_it_is_installed(built, world, tmp_path):
    response = world.client("observer").get(url("report_pdf", built.project))
    target = tmp_path / "report.pdf"
    target.write_bytes(response.content)
    try:
        text = subprocess.run(["pdftotext", str(target), "-"], capture_output=True, text=True, check=True).stdout
    except FileNotFoundError:
        pytest.skip("pdftotext (poppler-utils) is not installed; WeasyPrint's layout is checked above")
    assert "Promise-kept rate" in text and "25%" in text


def test_the_pdf_fetches_only_our_own_static_files():
    fetcher = report_views.static_only_fetcher()
    css = fetcher.fetch(report_views.PDF_BASE_URL + "static/followthrough/reports/print.css")
    assert b"@page" in css.read()
    for refused in (
        "https://example.org/tracker.png",
        "http://127.0.0.1:9/x.css",
        "file:///etc/passwd",
        report_views.PDF_BASE_URL + "static/../../settings.py",
        report_views.PDF_BASE_URL + "media/upload.png",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(refused)


def test_in_production_the_fetcher_finds_the_collected_hashed_stylesheet(settings, tmp_path, monkeypatch):
    (tmp_path / "followthrough" / "reports").mkdir(parents=True)
    (tmp_path / "followthrough" / "reports" / "print.0123abcd.css").write_text("@page { size: A4 }")
    (tmp_path.parent / "secret.txt").write_text("no")
    settings.STATIC_ROOT = str(tmp_path)
    fetcher = report_views.static_only_fetcher()
    css = fetcher.fetch(report_views.PDF_BASE_URL + "static/followthrough/reports/print.0123abcd.css")
    assert css.read() == b"@page { size: A4 }"
    with pytest.raises(ValueError):
        fetcher.fetch(report_views.PDF_BASE_URL + "static/%2e%2e/secret.txt")
    with pytest.raises(ValueError):
        fetcher.fetch(report_views.PDF_BASE_URL + "static/../secret.txt")


def test_without_weasyprint_the_pdf_link_explains_instead_of_crashing(built, world, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint":
            raise OSError("cannot load library 'libpango-1.0-0'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    response = world.client("observer").get(url("report_pdf", built.project))
    assert response.status_code == 503
    assert "The PDF could not be made" in response.content.decode()


# --- Reach targets ------------------------------------------------------------------------------------------


def test_a_facilitator_sets_changes_and_removes_a_reach_target(world):
    client = world.client("facilitator")
    page = url("targets", world.project, "")
    response = client.post(page, {"label": "Young people " + XSS, "role": "participant", "channel": "", "target": "50"})
    assert response.status_code == 302
    target = ReachTarget.objects.get(project=world.project)
    assert (target.label, target.role, target.target) == ("Young people " + XSS, "participant", 50)
    # The same role and channel again changes it, rather than failing on the unique constraint.
    client.post(page, {"label": "Young people", "role": "participant", "channel": "", "target": "80"})
    assert ReachTarget.objects.get(project=world.project).target == 80
    assert ActivityEntry.objects.filter(verb="reports.target_set", project=world.project).count() == 2
    html = client.get(page).content.decode()
    assert "Young people" in html and XSS not in html
    assert client.post(page, {"remove": str(target.pk)}).status_code == 302
    assert not ReachTarget.objects.filter(project=world.project).exists()
    assert client.post(page, {"remove": "99999999999999999999999"}).status_code == 404


def test_a_double_click_saves_a_target_once(world):
    client = world.client("facilitator")
    page = url("targets", world.project, "")
    token = client.get(page).context["form"].initial["form_token"]
    data = {"label": "Everyone", "role": "", "channel": "", "target": "40", "form_token": str(token)}
    assert client.post(page, data).status_code == 302
    again = client.post(page, data, follow=True)
    assert "already been sent" in again.content.decode()
    assert ActivityEntry.objects.filter(verb="reports.target_set").count() == 1


@pytest.mark.parametrize(
    "data, field_error",
    [
        ({"label": "   ", "target": "10"}, "This field is required"),
        ({"label": "All", "target": "0"}, "greater than or equal to 1"),
        ({"label": "All", "target": "ten"}, "Enter a whole number"),
        ({"label": "All", "target": "5", "role": "king"}, "Select a valid choice"),
        ({"label": "All", "target": "5", "channel": "pigeon"}, "Select a valid choice"),
    ],
)
def test_a_bad_target_is_a_form_error(world, data, field_error):
    response = world.client("facilitator").post(url("targets", world.project, ""), {"role": "", "channel": "", **data})
    assert response.status_code == 400
    assert field_error in response.content.decode()
    assert not ReachTarget.objects.exists()


@pytest.mark.parametrize("persona, status", [("observer", 403), ("participant", 403), ("outsider", 403)])
def test_only_facilitators_set_targets(world, persona, status):
    response = world.client(persona).post(url("targets", world.project, ""), {"label": "All", "target": "5"})
    assert response.status_code == status
    assert not ReachTarget.objects.exists()


# --- A link for a board member without an account ---------------------------------------------------------------


def _make_link(world, days="14"):
    response = world.client("facilitator").post(
        url("share", world.project, ""), {"start": fr.START.isoformat(), "end": fr.END.isoformat(), "days": days}
    )
    assert response.status_code == 200
    return response.context["link"].replace("http://testserver", "")


def test_a_shared_link_opens_the_report_and_its_pdf_until_it_is_withdrawn(built, world):
    link = _make_link(world)
    anonymous = client_for(None)
    response = anonymous.get(link)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Promise-kept rate" in html and "Staff only" not in html
    assert response["Referrer-Policy"] == "no-referrer"
    pdf = anonymous.get(link + "pdf/")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    assert ActivityEntry.objects.filter(verb="reports.link_made", visibility=Visibility.STAFF).count() == 1

    world.client("facilitator").post(url("share", world.project, ""), {"withdraw": "1"})
    assert anonymous.get(link).status_code == 404
    assert anonymous.get(link + "pdf/").status_code == 404
    # A link made after the withdrawal works.
    assert anonymous.get(_make_link(world)).status_code == 200


def test_a_shared_link_expires(world, monkeypatch):
    link = _make_link(world, days="1")
    assert client_for(None).get(link).status_code == 200
    later = timezone.now() + datetime.timedelta(days=1, minutes=1)
    monkeypatch.setattr(reports.timezone, "now", lambda: later)
    assert client_for(None).get(link).status_code == 404


def test_a_forged_or_changed_link_is_a_404(world):
    link = _make_link(world)
    token = link.split("/")[-2]
    forged = signing.dumps(
        {"p": world.private_project.pk, "s": "2026-01-01", "e": "2026-03-31", "w": 0, "x": 9_999_999_999}, salt="wrong"
    )
    for bad in (token[:-2] + "xx", forged, "a" * 600, "%00"):
        assert client_for(None).get(reverse("reports:shared", args=["x"]).replace("/x/", f"/{bad}/")).status_code == 404


@pytest.mark.parametrize("persona, status", [("observer", 403), ("participant", 403)])
def test_only_facilitators_make_links(world, persona, status):
    response = world.client(persona).post(
        url("share", world.project, ""), {"start": "2026-07-01", "end": "2026-09-30", "days": "5"}
    )
    assert response.status_code == status


def test_a_link_for_too_long_is_refused(world):
    response = world.client("facilitator").post(
        url("share", world.project, ""), {"start": "2026-07-01", "end": "2026-09-30", "days": "365"}
    )
    assert response.status_code == 302
    assert not ActivityEntry.objects.filter(verb="reports.link_made").exists()


# --- Query counts --------------------------------------------------------------------------------------------


def test_the_report_takes_the_same_number_of_queries_as_the_project_grows(built, world, django_assert_max_num_queries):
    client = world.client("observer")
    client.get(url("report", built.project))  # warm the content type cache
    with django_assert_max_num_queries(60):
        assert client.get(url("report", built.project)).status_code == 200
    # Ten times the rows in every section: the page asks the database the same number of questions.
    for i in range(30):
        fr.feedback(built.project, when=fr.IN, feeling=1 + i % 5, channel="online")
        fr.commitment(built.project, world.facilitator, due_on=datetime.date(2026, 9, 1), created=fr.IN)
        fr.pin(built.project.maps.first(), when=fr.IN, channel="paper")
    with django_assert_max_num_queries(60):
        assert client.get(url("report", built.project)).status_code == 200


# --- Fixes after review ---------------------------------------------------------------------------------------


def test_a_quote_the_facilitator_stopped_sharing_is_gone_from_the_report_its_link_pdf_and_api(built, world):
    from copro.followthrough import services

    moment = fr.feedback(
        built.project,
        when=fr.IN,
        feeling=4,
        channel="online",
        consent_to_share=True,
        text="The bus was late but UNSHARED-QUOTE-ŵŷâ was lovely",
    )
    services.feedback_share(feedback=moment, user=world.facilitator, excerpt="UNSHARED-QUOTE-ŵŷâ was lovely")
    observer = world.client("observer")
    api = f"/api/projects/{built.project.slug}/governance-report/"
    period = {"start": fr.START.isoformat(), "end": fr.END.isoformat()}
    link = _make_link(world)
    # While it is shared, it is quoted everywhere.
    assert "UNSHARED-QUOTE" in observer.get(url("report", built.project)).content.decode()
    assert "UNSHARED-QUOTE-ŵŷâ was lovely" in observer.get(api, period).json()["feedback"]["quotes"]

    services.feedback_unshare(feedback=moment, user=world.facilitator)
    assert "UNSHARED-QUOTE" not in observer.get(url("report", built.project)).content.decode()
    assert "UNSHARED-QUOTE" not in client_for(None).get(link).content.decode()
    assert "UNSHARED-QUOTE" not in pdf_text(observer_report(built))
    quotes = observer.get(api, period).json()["feedback"]["quotes"]
    assert quotes == ["The drop-in was kind " + XSS]


@pytest.mark.parametrize(
    "query, message",
    [
        ("?start=2026-07-01&end=9999-12-31", "Choose a date from 1 January 2000 to"),
        ("?start=1999-12-31&end=2000-01-10", "Choose a date from 1 January 2000 to"),
        ("?start=0001-01-01&end=0001-01-02", "Choose a date from 1 January 2000 to"),
    ],
)
def test_a_date_outside_2000_to_ten_years_ahead_is_a_form_error_on_the_page_pdf_and_api(world, query, message):
    for path in (url("report", world.project, query), url("report_pdf", world.project, query)):
        response = world.client("observer").get(path)
        assert response.status_code == 400
        assert message in response.content.decode()
    start, end = (part.split("=")[1] for part in query[1:].split("&"))
    api = world.client("observer").get(
        f"/api/projects/{world.project.slug}/governance-report/", {"start": start, "end": end}
    )
    assert api.status_code == 400
    assert message in str(api.json())


def test_ten_years_ahead_is_the_last_date_allowed():
    today = datetime.date(2026, 11, 22)
    first, last = reports.date_bounds(today)
    assert (first, last) == (datetime.date(2000, 1, 1), datetime.date(2036, 11, 22))
    reports.Period(datetime.date(2036, 1, 1), last).check(today)
    with pytest.raises(Exception, match="Choose a date"):
        reports.Period(datetime.date(2036, 1, 1), last + datetime.timedelta(days=1)).check(today)
    assert reports.date_bounds(datetime.date(2028, 2, 29))[1] == datetime.date(2038, 2, 28)


def test_a_link_or_a_share_for_a_period_outside_the_dates_allowed_is_refused_not_a_crash(world):
    response = world.client("facilitator").post(
        url("share", world.project, ""), {"start": "2026-07-01", "end": "9999-12-31", "days": "5"}
    )
    assert response.status_code == 302
    assert not ActivityEntry.objects.filter(verb="reports.link_made").exists()
    # A correctly signed link whose period is out of range (made by hand, or before the rule): a 404, not a 500.
    token = signing.dumps(
        {"p": world.project.pk, "s": "2026-07-01", "e": "9999-12-31", "w": 0, "x": 9_999_999_999},
        salt=reports.SHARE_SALT,
        compress=True,
    )
    shared = reverse("reports:shared", args=[token])
    assert client_for(None).get(shared).status_code == 404
    assert client_for(None).get(shared + "pdf/").status_code == 404


def test_a_hidden_ideas_title_is_not_in_the_report_or_on_a_shared_link(built, world):
    from copro.ideas.models import Idea

    Idea.objects.filter(pk=built.idea.pk).update(title="HIDDEN-IDEA-TITLE")
    assert "HIDDEN-IDEA-TITLE" in world.client("observer").get(url("report", built.project)).content.decode()
    Idea.objects.filter(pk=built.idea.pk).update(hidden_at=timezone.now(), hidden_reason="Off topic")
    data = observer_report(built)
    assert data.changed["taken"] == [] and data.changed["taken_total"] == 0
    assert data.took_part["ideas_total"] == 0
    assert "HIDDEN-IDEA-TITLE" not in world.client("observer").get(url("report", built.project)).content.decode()
    assert "HIDDEN-IDEA-TITLE" not in world.client("facilitator").get(url("report", built.project)).content.decode()
    assert "HIDDEN-IDEA-TITLE" not in client_for(None).get(_make_link(world)).content.decode()


def test_a_commitment_due_today_and_in_progress_does_not_lower_the_promise_kept_rate(world):
    today = timezone.localdate()
    project, f = world.project, world.facilitator
    fr.commitment(
        project,
        f,
        due_on=today - datetime.timedelta(days=3),
        created=fr.at(2026, 1, 1),
        status="done",
        done_at=timezone.now() - datetime.timedelta(days=4),
    )
    fr.commitment(project, f, due_on=today, created=fr.at(2026, 1, 1), status="in_progress")
    period = reports.Period(today - datetime.timedelta(days=30), today)
    data = reports.report_data(project, period, reports.report_visibilities(Role.OBSERVER))
    assert (data.commitments["promise"]["kept"], data.commitments["promise"]["due"]) == (1, 1)
    assert data.commitments["promise"]["rate"] == 100
    assert data.commitments["counts"]["overdue"] == 0  # the same rule as "overdue"
    # Tomorrow it is late.
    later = reports.promise_kept(project, [Visibility.PUBLIC], today=today + datetime.timedelta(days=1))
    assert (later["kept"], later["due"], later["rate"]) == (1, 2, 50)


def test_a_staff_only_overdue_commitment_is_not_counted_for_an_observer(world):
    from copro.followthrough import health

    today = timezone.localdate()
    project, f = world.project, world.facilitator
    fr.commitment(
        project,
        f,
        due_on=today - datetime.timedelta(days=3),
        created=fr.at(2026, 1, 1),
        status="done",
        done_at=timezone.now() - datetime.timedelta(days=4),
    )
    fr.commitment(
        project,
        f,
        due_on=today - datetime.timedelta(days=2),
        created=fr.at(2026, 1, 1),
        status="in_progress",
        visibility=Visibility.STAFF,
    )
    period = reports.Period(today - datetime.timedelta(days=30), today)
    seen = reports.report_data(project, period, reports.report_visibilities(Role.OBSERVER)).commitments["promise"]
    assert (seen["kept"], seen["due"], seen["rate"]) == (1, 1, 100)
    staff = reports.report_data(project, period, reports.report_visibilities(Role.FACILITATOR)).commitments["promise"]
    assert (staff["kept"], staff["due"], staff["rate"]) == (1, 2, 50)

    def promises(role):
        steps = health.project_health(project, reports.report_visibilities(role))["steps"]
        part = next(p for p in steps[-1].parts if p["key"] == "promises_kept")
        return part["value"], part["goal"], part["score"]

    assert promises(Role.OBSERVER) == (1, 1, 100)
    assert promises(Role.FACILITATOR) == (1, 2, 50)
    # The health API and the page, for an observer: the same.
    body = world.client("observer").get(f"/api/projects/{project.slug}/health/").json()
    feedback_part = next(p for p in body["steps"][-1]["parts"] if p["key"] == "promises_kept")
    assert (feedback_part["value"], feedback_part["goal"]) == (1, 1)


def test_a_project_with_more_participants_than_sqlite_takes_parameters_still_gets_its_report(built, world):
    """33,000 participants: more ids than SQLite accepts in one query (32,766), so no list of them is sent."""
    from django.contrib.auth import get_user_model

    from copro.followthrough import health
    from copro.projects.models import Membership

    user_model = get_user_model()
    users = user_model.objects.bulk_create(
        [user_model(email=f"many{i}@example.org", display_name=f"M{i}") for i in range(33_000)], batch_size=2000
    )
    Membership.objects.bulk_create(
        [Membership(project=built.project, user=u, role="participant") for u in users], batch_size=2000
    )
    data = observer_report(built)
    assert data.changed["owned"] == 1
    assert {t["label"]: t["reached"] for t in data.reach}["Participants online"] >= 1
    assert health.project_health(built.project, [Visibility.PUBLIC])["spectrum"]["rows"]
