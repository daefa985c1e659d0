"""Moderation: anyone reports a pin, comment or answer; facilitators hide it with a reason the author is told.

Pins, comments and answers are made here with the ORM directly (the maps and consultations services
are built alongside). Emails go through real SMTP and the real task worker; pages through a client with
CSRF enforced.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from copro.accounts.services import account_export
from copro.consultations.models import Answer, Consultation, Question, Response, Section
from copro.core.components import registry
from copro.core.models import ActivityEntry, Visibility
from copro.core.permissions import Role
from copro.maps.models import Category, Comment, Map, Pin
from copro.moderation import services
from copro.moderation.models import Report, ReportStatus
from copro.projects.models import Project
from tests import factories
from tests.conftest import Outbox, client_for

pytestmark = pytest.mark.django_db

XSS = factories.XSS
NOT_FACILITATORS = ["participant", "expert", "observer", "outsider", "anonymous"]


# --- Content made with the ORM -----------------------------------------------------------------------


def a_map(project: Project, status: str = "open") -> Map:
    return Map.objects.create(
        project=project,
        title=f"Teithio llesol {XSS}",
        status=status,
        south=51.4,
        west=-3.3,
        north=51.6,
        east=-3.1,
        centre_lat=51.48,
        centre_lng=-3.18,
        created_by=project.created_by,
    )


def a_pin(
    project: Project, author: Any = None, text: str = f"Broken kerb {XSS} ŵŷâ", the_map: Map | None = None
) -> Pin:
    the_map = the_map or a_map(project)
    category, _ = Category.objects.get_or_create(map=the_map, name="Pavements")
    return Pin.objects.create(map=the_map, category=category, lat=51.5, lng=-3.2, text=text, author=author)


def a_comment(pin: Pin, author: Any = None, text: str = f"Agreed {XSS}") -> Comment:
    return Comment.objects.create(pin=pin, author=author, text=text)


def an_answer(
    project: Project,
    respondent: Any = None,
    text: str = f"The junction is dangerous {XSS}",
    private: bool = False,
    results: str = "live",
) -> Answer:
    consultation = Consultation.objects.create(
        project=project,
        title="Routes",
        how_used="We read every answer.",
        status="open",
        results_visibility=results,
        created_by=project.created_by,
    )
    section = Section.objects.create(consultation=consultation, title="About the route")
    question = Question.objects.create(
        consultation=consultation, section=section, kind="text", text="What would help?", private=private
    )
    response = Response.objects.create(
        consultation=consultation, respondent=respondent, status="submitted", submitted_at=timezone.now()
    )
    return Answer.objects.create(response=response, consultation=consultation, question=question, text=text)


def report_url(project: Project, kind: str, object_id: int) -> str:
    return f"/p/{project.slug}/moderation/{kind}/{object_id}/report/"


def item_url(project: Project, kind: str, object_id: int, action: str) -> str:
    return f"/p/{project.slug}/moderation/{kind}/{object_id}/{action}/"


def queue_url(project: Project) -> str:
    return f"/p/{project.slug}/moderation/"


def content(response: Any) -> str:
    return response.content.decode()


# --- Reporting ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["pin", "comment", "answer"])
def test_anyone_signed_out_can_report_on_a_public_project_and_sees_the_text_escaped(world, kind):
    pin = a_pin(world.project, author=world.participant)
    item = {"pin": pin, "comment": a_comment(pin), "answer": an_answer(world.project)}[kind]
    client = client_for(None)
    page = client.get(report_url(world.project, kind, item.pk))
    assert page.status_code == 200
    assert XSS not in content(page) and "&lt;script&gt;alert(1)&lt;/script&gt;" in content(page)
    form_token = page.context["form"].initial["form_token"]
    response = client.post(
        report_url(world.project, kind, item.pk), {"reason": "  It names a neighbour  ", "form_token": form_token}
    )
    assert response.status_code == 200
    assert "A facilitator will look at it" in content(response)
    report = Report.objects.get()
    assert (report.project, report.kind, report.object_id, report.reporter) == (world.project, kind, item.pk, None)
    assert report.reason == "It names a neighbour" and report.status == ReportStatus.OPEN


def test_a_signed_in_person_reports_and_is_recorded_as_the_reporter(world):
    pin = a_pin(world.project, author=world.participant)
    response = world.client("outsider").post(report_url(world.project, "pin", pin.pk), {"reason": "Advertising"})
    assert response.status_code == 200
    assert Report.objects.get().reporter == world.outsider
    # Their report is part of "download my data".
    exported = account_export(user=world.outsider)["moderation"]["reports_filed"]
    assert [r["reason"] for r in exported] == ["Advertising"]


def test_a_blank_reason_is_refused_and_nothing_is_filed(world):
    pin = a_pin(world.project)
    response = world.client("participant").post(report_url(world.project, "pin", pin.pk), {"reason": "   \n "})
    assert response.status_code == 400
    assert "Say in a few words what is wrong with it." in content(response)
    assert not Report.objects.exists()
    with pytest.raises(ValidationError):
        services.report_create(project=world.project, kind="pin", object_id=pin.pk, reason=" ")
    with pytest.raises(ValidationError):
        services.report_create(project=world.project, kind="pin", object_id=pin.pk, reason="x" * 1001)
    assert not Report.objects.exists()


def test_reporting_something_from_another_project_is_a_404(world):
    other = factories.ProjectFactory()
    pin = a_pin(other)
    answer = an_answer(other)
    client = world.client("participant")
    assert client.get(report_url(world.project, "pin", pin.pk)).status_code == 404
    assert client.post(report_url(world.project, "pin", pin.pk), {"reason": "spam"}).status_code == 404
    assert client.post(report_url(world.project, "answer", answer.pk), {"reason": "spam"}).status_code == 404
    assert client.get(report_url(world.project, "comment", 999999)).status_code == 404
    assert client.get(report_url(world.project, "nonsense", pin.pk)).status_code == 404
    with pytest.raises(ValidationError):
        services.report_create(project=world.project, kind="pin", object_id=pin.pk, reason="spam")
    assert not Report.objects.exists()


@pytest.mark.parametrize("persona", ["outsider", "anonymous"])
def test_a_private_project_is_a_404_for_outsiders(world, persona):
    pin = a_pin(world.private_project)
    client = world.client(persona)
    assert client.get(report_url(world.private_project, "pin", pin.pk)).status_code == 404
    assert client.post(report_url(world.private_project, "pin", pin.pk), {"reason": "x"}).status_code == 404
    assert client.get(f"/p/{world.private_project.slug}/moderation/rules/").status_code == 404
    # Members of the private project can report there.
    response = world.client("observer").post(report_url(world.private_project, "pin", pin.pk), {"reason": "x"})
    assert response.status_code == 200 and Report.objects.count() == 1


def test_what_the_public_cannot_see_cannot_be_reported(world):
    draft_pin = a_pin(world.project, the_map=a_map(world.project, status="draft"))
    hidden_pin = a_pin(world.project)
    services.content_hide(
        user=world.facilitator, project=world.project, kind="pin", object_id=hidden_pin.pk, reason="r"
    )
    on_hidden_pin = a_comment(hidden_pin)
    private_answer = an_answer(world.project, private=True)
    unpublished = an_answer(world.project, results="staff")
    not_yet = an_answer(world.project, results="after_close")
    client = world.client("participant")
    for kind, item in [
        ("pin", draft_pin),
        ("pin", hidden_pin),
        ("comment", on_hidden_pin),
        ("answer", private_answer),
        ("answer", unpublished),
        ("answer", not_yet),
    ]:
        page = client.get(report_url(world.project, kind, item.pk))
        assert page.status_code == 404, (kind, item.text)
        assert item.text not in content(page)
    # Once the consultation closes, its answers are published and can be reported.
    Consultation.objects.filter(pk=not_yet.consultation_id).update(status="closed")
    assert client.get(report_url(world.project, "answer", not_yet.pk)).status_code == 200
    # Private "about you" answers are never reportable, not even by a facilitator.
    hide = world.client("facilitator").post(
        item_url(world.project, "answer", private_answer.pk, "hide"), {"reason": "x"}
    )
    assert hide.status_code == 404


def test_the_same_person_reporting_the_same_thing_twice_gets_the_same_report(world):
    pin = a_pin(world.project)
    client = world.client("participant")
    for reason in ["Rude", "Still rude"]:
        assert client.post(report_url(world.project, "pin", pin.pk), {"reason": reason}).status_code == 200
    report = Report.objects.get()
    assert report.reason == "Rude" and report.reporter == world.participant
    again = services.report_create(
        project=world.project, kind="pin", object_id=pin.pk, reason="Rude", reporter=world.participant
    )
    assert again.pk == report.pk
    # Someone else's report is their own; after a decision, a new report opens a new one.
    world.client("expert").post(report_url(world.project, "pin", pin.pk), {"reason": "Rude"})
    assert Report.objects.count() == 2
    services.content_keep(user=world.facilitator, report=report)
    client.post(report_url(world.project, "pin", pin.pk), {"reason": "Rude again"})
    assert Report.objects.filter(status=ReportStatus.OPEN).count() == 1


def test_the_same_report_form_sent_twice_signed_out_files_one_report(world):
    pin = a_pin(world.project)
    client = client_for(None)
    token = client.get(report_url(world.project, "pin", pin.pk)).context["form"].initial["form_token"]
    for _ in range(2):
        response = client.post(report_url(world.project, "pin", pin.pk), {"reason": "Spam", "form_token": token})
        assert response.status_code == 200 and "A facilitator will look at it" in content(response)
    assert Report.objects.count() == 1


def test_reports_are_rate_limited(world, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "moderation_report": "2/h/ip"}
    pin = a_pin(world.project)
    client = client_for(None)
    statuses = [client.post(report_url(world.project, "pin", pin.pk), {"reason": "x"}).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    assert Report.objects.count() == 2


# --- Hiding, keeping, unhiding ----------------------------------------------------------------------


def test_hiding_needs_a_reason(world):
    pin = a_pin(world.project, author=world.participant)
    Report.objects.create(project=world.project, kind="pin", object_id=pin.pk, reason="rude")
    response = world.client("facilitator").post(item_url(world.project, "pin", pin.pk, "hide"), {"reason": "  "})
    assert response.status_code == 400
    assert "the author is told this reason" in content(response)
    with pytest.raises(ValidationError):
        services.content_hide(user=world.facilitator, project=world.project, kind="pin", object_id=pin.pk, reason="")
    pin.refresh_from_db()
    assert pin.hidden_at is None and Report.objects.get().status == ReportStatus.OPEN


@pytest.mark.parametrize("kind", ["pin", "comment", "answer"])
def test_hiding_resolves_the_reports_records_it_for_staff_and_tells_the_author_why(world, outbox, run_tasks, kind):
    world.participant.preferred_language = "en"
    world.participant.save()
    pin = a_pin(world.project, author=world.participant if kind == "pin" else None)
    item = {
        "pin": pin,
        "comment": a_comment(pin, author=world.participant),
        "answer": an_answer(world.project, respondent=world.participant),
    }[kind]
    for persona in ["outsider", "expert"]:
        world.client(persona).post(report_url(world.project, kind, item.pk), {"reason": "Names my neighbour"})
    other = a_pin(world.project)
    Report.objects.create(project=world.project, kind="pin", object_id=other.pk, reason="unrelated")

    response = world.client("facilitator").post(
        item_url(world.project, kind, item.pk, "hide"), {"reason": "It shares someone's address (rule 3)."}
    )
    assert response.status_code == 302 and response["Location"] == queue_url(world.project)

    item.refresh_from_db()
    assert item.hidden_at is not None and item.hidden_by == world.facilitator
    assert item.hidden_reason == "It shares someone's address (rule 3)."
    mine = Report.objects.filter(kind=kind, object_id=item.pk)
    assert {r.status for r in mine} == {ReportStatus.HIDDEN}
    assert {r.resolved_by for r in mine} == {world.facilitator}
    assert Report.objects.get(object_id=other.pk, kind="pin").status == ReportStatus.OPEN

    entry = ActivityEntry.objects.get(verb="moderation.hidden")
    assert entry.visibility == Visibility.STAFF and entry.data["reason"] == "It shares someone's address (rule 3)."

    run_tasks()
    [message] = outbox.to(world.participant.email)
    text = Outbox.text(message)
    assert "It shares someone's address (rule 3)." in text
    assert f"/p/{world.project.slug}/moderation/rules/" in text
    assert "A facilitator hid something you posted" in message["Subject"]
    # Hidden: no longer reportable by the public.
    assert world.client("outsider").get(report_url(world.project, kind, item.pk)).status_code == 404


def test_the_author_is_told_in_their_own_language(world, outbox, run_tasks, monkeypatch):
    # Welsh translations are produced at the end of the issue, so the language the email is rendered
    # in is read from the real rendering call (which is still made, unchanged).
    from copro.core import email as core_email

    languages: list[str | None] = []
    real_render = core_email.render_email

    def spy(template: str, context: dict[str, Any], language: str | None) -> tuple[str, str, str]:
        languages.append(language)
        return real_render(template, context, language)

    monkeypatch.setattr(core_email, "render_email", spy)
    world.participant.preferred_language = "cy"
    world.participant.save()
    pin = a_pin(world.project, author=world.participant)
    services.content_hide(user=world.facilitator, project=world.project, kind="pin", object_id=pin.pk, reason="Rheswm")
    assert languages == ["cy"]
    run_tasks()
    [message] = outbox.to(world.participant.email)
    assert "Rheswm" in Outbox.text(message)


def test_hiding_what_has_no_author_sends_nothing_and_hiding_twice_tells_once(world, outbox, run_tasks):
    pin = a_pin(world.project, author=None)
    services.content_hide(user=world.facilitator, project=world.project, kind="pin", object_id=pin.pk, reason="spam")
    run_tasks()
    assert outbox.refresh() == []
    mine = a_pin(world.project, author=world.expert)
    for _ in range(2):
        services.content_hide(user=world.facilitator, project=world.project, kind="pin", object_id=mine.pk, reason="r")
    run_tasks()
    assert len(outbox.to(world.expert.email)) == 1
    assert ActivityEntry.objects.filter(verb="moderation.hidden").count() == 2  # one per pin


def test_keep_closes_every_open_report_on_the_item_without_hiding_it(world):
    pin = a_pin(world.project, author=world.participant)
    for persona in ["outsider", "expert", "observer"]:
        world.client(persona).post(report_url(world.project, "pin", pin.pk), {"reason": "I disagree"})
    response = world.client("facilitator").post(item_url(world.project, "pin", pin.pk, "keep"))
    assert response.status_code == 302
    assert set(Report.objects.values_list("status", flat=True)) == {ReportStatus.KEPT}
    pin.refresh_from_db()
    assert pin.hidden_at is None
    assert ActivityEntry.objects.filter(verb="moderation.kept", visibility=Visibility.STAFF).count() == 1
    # Nothing left open: keeping again is a 404, and records nothing more.
    assert world.client("facilitator").post(item_url(world.project, "pin", pin.pk, "keep")).status_code == 404
    assert ActivityEntry.objects.filter(verb="moderation.kept").count() == 1


def test_unhide_shows_it_again_and_tells_the_author(world, outbox, run_tasks):
    pin = a_pin(world.project, author=world.participant)
    services.content_hide(user=world.facilitator, project=world.project, kind="pin", object_id=pin.pk, reason="oops")
    response = world.client("facilitator").post(item_url(world.project, "pin", pin.pk, "unhide"))
    assert response.status_code == 302
    pin.refresh_from_db()
    assert (pin.hidden_at, pin.hidden_reason, pin.hidden_by) == (None, "", None)
    entry = ActivityEntry.objects.get(verb="moderation.unhidden")
    assert entry.visibility == Visibility.STAFF and entry.data["reason"] == "oops"
    run_tasks()
    subjects = [m["Subject"] for m in outbox.to(world.participant.email)]
    assert len(subjects) == 2 and "shown again" in subjects[1]
    assert world.client("outsider").get(report_url(world.project, "pin", pin.pk)).status_code == 200


@pytest.mark.parametrize("persona", NOT_FACILITATORS)
def test_only_facilitators_moderate(world, persona):
    pin = a_pin(world.project, author=world.participant)
    Report.objects.create(project=world.project, kind="pin", object_id=pin.pk, reason="rude")
    client = world.client(persona)
    assert client.get(queue_url(world.project)).status_code == 403
    for action in ["hide", "keep", "unhide"]:
        response = client.post(item_url(world.project, "pin", pin.pk, action), {"reason": "rude"})
        assert response.status_code == 403, action
    pin.refresh_from_db()
    assert pin.hidden_at is None and Report.objects.get().status == ReportStatus.OPEN
    if persona != "anonymous":
        user = world.user(persona)
        with pytest.raises(PermissionDenied):
            services.content_hide(user=user, project=world.project, kind="pin", object_id=pin.pk, reason="x")


def test_a_facilitator_cannot_moderate_another_projects_content(world):
    other = factories.ProjectFactory()
    pin = a_pin(other)
    client = world.client("facilitator")
    assert client.post(item_url(world.project, "pin", pin.pk, "hide"), {"reason": "x"}).status_code == 404
    assert client.post(item_url(world.project, "pin", pin.pk, "unhide")).status_code == 404
    with pytest.raises(ValidationError):
        services.content_hide(user=world.facilitator, project=world.project, kind="pin", object_id=pin.pk, reason="x")
    pin.refresh_from_db()
    assert pin.hidden_at is None


# --- The queue ------------------------------------------------------------------------------------------


def test_the_queue_groups_reports_by_item_and_lists_what_is_hidden(world):
    rude = a_pin(world.project, text="Rude words here")
    for reason in ["one", "two", "three"]:
        Report.objects.create(project=world.project, kind="pin", object_id=rude.pk, reason=f"{reason} {XSS}")
    answer = an_answer(world.project, text="An answer people reported")
    Report.objects.create(project=world.project, kind="answer", object_id=answer.pk, reason="off topic")
    gone = a_pin(world.project, text="Hidden earlier")
    services.content_hide(user=world.facilitator, project=world.project, kind="pin", object_id=gone.pk, reason="spam")
    page = world.client("facilitator").get(queue_url(world.project))
    assert page.status_code == 200
    html = content(page)
    assert "2 items waiting" in html and "3 reports" in html and "1 report" in html
    assert XSS not in html and "one &lt;script&gt;" in html
    assert html.index("Rude words here") < html.index("An answer people reported")  # most reported first
    assert "Hidden earlier" in html and "The reason given: spam" in html
    assert f"/p/{world.project.slug}/moderation/pin/{gone.pk}/unhide/" in html
    # Facilitators see it in the project navigation; others do not.
    assert queue_url(world.project) in html
    assert queue_url(world.project) not in content(world.client("participant").get(f"/p/{world.project.slug}/"))


def _report_many(project: Project, n: int) -> None:
    pins = [a_pin(project, text=f"Pin {i}") for i in range(n)]
    comments = [a_comment(pin) for pin in pins]
    answers = [an_answer(project) for _ in range(max(1, n // 3))]
    for items, kind in [(pins, "pin"), (comments, "comment"), (answers, "answer")]:
        for i, item in enumerate(items):
            # The first of each kind is the most reported, so every page 1 has all three kinds on it.
            for r in range(5 if i == 0 else 3):
                Report.objects.create(project=project, kind=kind, object_id=item.pk, reason=f"reason {r}")
    services.content_hide(
        user=project.created_by, project=project, kind="pin", object_id=pins[-1].pk, reason="hidden one"
    )


def test_the_queue_takes_the_same_number_of_queries_as_reports_grow(world, django_assert_num_queries):
    client = world.client("facilitator")
    _report_many(world.project, 3)
    client.get(queue_url(world.project))  # warm the session
    with CaptureQueriesContext(connection) as small:
        assert client.get(queue_url(world.project)).status_code == 200
    _report_many(world.project, 30)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(queue_url(world.project))
    assert response.status_code == 200 and "items waiting" in content(response)
    assert "Page 1 of" in content(response)  # 30+ items: the queue comes in pages


def test_the_dashboard_counts_open_reports(world):
    pin = a_pin(world.project)
    Report.objects.create(project=world.project, kind="pin", object_id=pin.pk, reason="x")
    Report.objects.create(project=world.project, kind="pin", object_id=pin.pk, reason="y", status=ReportStatus.KEPT)
    [count] = registry.get("moderation").dashboard(world.project, Role.PARTICIPANT)  # type: ignore[misc]
    assert count.value == 1


# --- The rules ----------------------------------------------------------------------------------------


def test_the_project_page_shows_the_standard_rules_when_none_are_set(world):
    for persona in ["anonymous", "participant"]:
        html = content(world.client(persona).get(f"/p/{world.project.slug}/"))
        assert "How we moderate" in html
        assert "Disagree with ideas, not with people." in html
    rules = world.client("anonymous").get(f"/p/{world.project.slug}/moderation/rules/")
    assert rules.status_code == 200 and "Disagree with ideas, not with people." in content(rules)


def test_facilitators_write_the_projects_own_rules_and_everyone_sees_them(world):
    client = world.client("facilitator")
    form = client.get(f"/p/{world.project.slug}/edit/")
    assert 'name="moderation_rules"' in content(form)
    data = {
        "title": "Active travel",
        "purpose": "Safer streets",
        "visibility": "public",
        "budget_currency": "GBP",
        "moderation_rules": f"No campaigning for candidates. {XSS}",
    }
    response = client.post(f"/p/{world.project.slug}/edit/", data)
    assert response.status_code == 302
    world.project.refresh_from_db()
    assert world.project.moderation_rules.startswith("No campaigning for candidates.")
    for url in [f"/p/{world.project.slug}/", f"/p/{world.project.slug}/moderation/rules/"]:
        html = content(world.client("anonymous").get(url))
        assert "No campaigning for candidates." in html and XSS not in html
        assert "Disagree with ideas, not with people." not in html


def test_deleting_an_account_keeps_its_reports_but_not_who_filed_them(world):
    from copro.accounts.services import account_erase

    pin = a_pin(world.project)
    services.report_create(project=world.project, kind="pin", object_id=pin.pk, reason="Rude", reporter=world.outsider)
    account_erase(user=world.outsider)
    report = Report.objects.get()
    assert report.reporter is None and report.reason == "Rude" and report.status == ReportStatus.OPEN


# --- Comment counts follow what the public sees ---------------------------------------------------------


def test_hiding_a_comment_takes_it_out_of_the_pins_count_and_unhiding_puts_it_back(world):
    from copro.maps import services as maps_services

    pin = a_pin(world.project, author=world.participant)
    made = [
        maps_services.comment_add(user=world.expert, pin=pin, text=f"Comment {n}", form_token=None) for n in range(3)
    ]
    pin.refresh_from_db()
    assert pin.comment_count == 3

    def count() -> int:
        pin.refresh_from_db()
        return pin.comment_count

    hide = {"user": world.facilitator, "project": world.project, "kind": "comment", "object_id": made[0].pk}
    services.content_hide(**hide, reason="Off topic")
    assert count() == 2
    services.content_hide(**hide, reason="Off topic")  # already hidden: nothing changes
    assert count() == 2
    services.content_unhide(**hide)
    assert count() == 3
    services.content_unhide(**hide)  # already shown: nothing changes
    assert count() == 3
    # Hiding a pin does not touch its comment count (its comments are not hidden one by one).
    services.content_hide(user=world.facilitator, project=world.project, kind="pin", object_id=pin.pk, reason="x")
    assert count() == 3
    # The list shows the count of visible comments; the author still sees their own hidden comment on the page.
    services.content_unhide(user=world.facilitator, project=world.project, kind="pin", object_id=pin.pk)
    services.content_hide(**hide, reason="Off topic")
    listing = world.client("anonymous").get(f"/p/{world.project.slug}/maps/{pin.map_id}/pins/").content.decode()
    assert "2 comments" in listing
    own_page = world.client("expert").get(f"/p/{world.project.slug}/maps/{pin.map_id}/pins/{pin.pk}/")
    assert "Comment 0" in own_page.content.decode()


def test_a_report_or_moderation_address_with_a_number_too_large_is_a_404(world):
    huge = 10**30
    assert world.client("outsider").get(report_url(world.project, "pin", huge)).status_code == 404
    hide = world.client("facilitator").post(item_url(world.project, "pin", huge, "hide"), {"reason": "x"})
    assert hide.status_code == 404
    with pytest.raises(ValidationError):
        services.report_create(project=world.project, kind="pin", object_id=huge, reason="rude")


# --- The API ------------------------------------------------------------------------------------------


def test_reports_through_the_api_follow_the_same_rules_as_the_page(world, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "moderation_report": "2/h/ip"}
    pin = a_pin(world.project, author=world.participant)
    api = f"/api/projects/{world.project.slug}/reports/"
    client = world.client("outsider")
    filed = client.post(
        api, {"kind": "pin", "object_id": pin.pk, "reason": "Advertising"}, content_type="application/json"
    )
    assert filed.status_code == 202
    report = Report.objects.get()
    assert (report.kind, report.object_id, report.reporter, report.reason) == (
        "pin",
        pin.pk,
        world.outsider,
        "Advertising",
    )
    blank = client.post(api, {"kind": "pin", "object_id": pin.pk, "reason": "  "}, content_type="application/json")
    assert blank.status_code == 400
    other = a_pin(factories.ProjectFactory())
    assert (
        client.post(
            api, {"kind": "pin", "object_id": other.pk, "reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    assert (
        client.post(
            api, {"kind": "nonsense", "object_id": 1, "reason": "x"}, content_type="application/json"
        ).status_code
        == 400
    )
    private_pin = a_pin(world.private_project)
    private_api = f"/api/projects/{world.private_project.slug}/reports/"
    assert (
        client.post(
            private_api, {"kind": "pin", "object_id": private_pin.pk, "reason": "x"}, content_type="application/json"
        ).status_code
        == 404
    )
    again = client.post(
        api, {"kind": "pin", "object_id": pin.pk, "reason": "Advertising"}, content_type="application/json"
    )
    assert again.status_code == 202 and Report.objects.count() == 1  # the same open report
    limited = client.post(api, {"kind": "pin", "object_id": pin.pk, "reason": "Spam"}, content_type="application/json")
    assert limited.status_code == 429
