"""Ideas: putting one forward (and the fixed-scope flag), co-authors, support, comments, revisions, files,
statuses and who is told, merging and splitting with the history kept, the list, exports and personal data."""

from __future__ import annotations

import html
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext
from PIL import Image

from copro.accounts.models import EmailFrequency
from copro.core.components import registry
from copro.core.links import links_to
from copro.core.models import ActivityEntry
from copro.core.permissions import Role
from copro.ideas import selectors, services, tasks
from copro.ideas.models import (
    Idea,
    IdeaAttachment,
    IdeaAuthor,
    IdeaComment,
    IdeaEvent,
    IdeaNotice,
    IdeaSpace,
    IdeaVersion,
    Participation,
    Support,
)
from copro.moderation import services as moderation
from copro.projects.models import ScopeItem, ScopeKind
from tests import factories
from tests.conftest import client_for
from tests.factories import XSS
from tests.factories_ideas import can_item, fixed_item, idea


def url(project, *parts) -> str:
    return f"/p/{project.slug}/ideas/" + "".join(f"{p}/" for p in parts)


def form(**fields):
    base = {"title": "Benches on the hill", "problem": "Older people cannot rest.", "proposal": "Three benches."}
    return {**base, **fields}


# --- Putting an idea forward -----------------------------------------------------------------------


def test_an_idea_is_put_forward_with_its_first_version_author_history_and_one_activity_entry(world):
    before = ActivityEntry.objects.count()
    made = services.idea_submit(
        project=world.project,
        author=world.participant,
        title="  Benches on the hill  ",
        problem="Older people cannot rest.",
        proposal="Three benches.",
        scope_items=[can_item(world.project)],
        cost_estimate="2500",
    )
    assert made.title == "Benches on the hill" and made.cost_estimate == 2500 and made.currency == "GBP"
    assert not made.touches_fixed and made.fixed_flags == []
    assert list(made.scope_items.all()) == [can_item(world.project)]
    assert IdeaVersion.objects.get(idea=made).number == 1
    assert IdeaAuthor.objects.get(idea=made).is_lead
    assert IdeaEvent.objects.get(idea=made).kind == "submitted"
    assert ActivityEntry.objects.count() == before + 1
    assert ActivityEntry.objects.order_by("-id").first().verb == "ideas.submitted"


def test_an_idea_touching_a_fixed_line_carries_the_flag_with_the_reason_from_the_scope(world):
    fixed = fixed_item(world.project)
    made = services.idea_submit(
        project=world.project,
        author=world.participant,
        title="A bridge",
        problem="No way across.",
        proposal="Build one.",
        scope_items=[fixed, can_item(world.project)],
    )
    assert made.touches_fixed
    assert made.fixed_flags == [{"id": fixed.pk, "text": fixed.text, "reason": fixed.reason}]
    # The flag is the scope as it was: a later change to the reason does not rewrite the idea's history.
    ScopeItem.objects.filter(pk=fixed.pk).update(reason="A different reason")
    made.refresh_from_db()
    assert made.fixed_flags[0]["reason"] == fixed.reason


def test_the_submission_page_shows_the_fixed_flag_before_saving_then_saves_on_confirmation(world):
    client = world.client("participant")
    fixed = fixed_item(world.project)
    first = client.get(url(world.project, "new"))
    token = first.context["form"].initial["form_token"]
    response = client.post(url(world.project, "new"), form(scope_items=[fixed.pk], form_token=token))
    page = response.content.decode()
    assert response.status_code == 200
    assert "Your idea touches something fixed" in page
    assert "Statutory duty &lt;script&gt;" in page and XSS not in page
    assert not Idea.objects.exists()  # nothing saved before the person confirms

    confirmed = client.post(
        url(world.project, "new"), form(scope_items=[fixed.pk], form_token=token, confirm_fixed="True")
    )
    assert confirmed.status_code == 302
    made = Idea.objects.get()
    assert made.touches_fixed
    detail = client.get(confirmed["Location"]).content.decode()
    assert "This idea touches something fixed" in detail and "Statutory duty &lt;script&gt;" in detail


def test_going_back_from_the_confirmation_keeps_what_was_typed_and_saves_nothing(world):
    client = world.client("participant")
    fixed = fixed_item(world.project)
    response = client.post(
        url(world.project, "new"), form(scope_items=[fixed.pk], confirm_fixed="True", change="1", title="Keep me")
    )
    page = response.content.decode()
    assert response.status_code == 200 and 'value="Keep me"' in page
    assert "Put my idea forward" in page
    assert not Idea.objects.exists()


def test_an_idea_without_anything_fixed_is_saved_at_once_and_a_double_submit_counts_once(world):
    client = world.client("participant")
    token = client.get(url(world.project, "new")).context["form"].initial["form_token"]
    data = form(scope_items=[can_item(world.project).pk], form_token=token)
    assert client.post(url(world.project, "new"), data).status_code == 302
    assert client.post(url(world.project, "new"), data).status_code == 302  # the double click
    assert Idea.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"title": ""}, "title", "Give your idea a short title"),
        ({"problem": ""}, "problem", "Say what problem"),
        ({"cost_estimate": "12.50"}, "cost_estimate", "whole number of pounds"),
        ({"cost_estimate": "-3"}, "cost_estimate", "whole number of pounds"),
        ({"cost_estimate": "²"}, "cost_estimate", "whole number of pounds"),
    ],
)
def test_bad_input_is_a_form_error_and_nothing_is_saved(world, fields, field, message):
    response = world.client("participant").post(url(world.project, "new"), form(**fields))
    assert response.status_code == 400
    assert message in response.content.decode()
    assert field in response.context["form"].errors
    assert not Idea.objects.exists()


def test_scope_lines_from_another_project_or_removed_lines_are_refused(world):
    other = ScopeItem.objects.filter(project=world.private_project).first()
    with pytest.raises(ValidationError) as error:
        services.idea_submit(
            project=world.project, author=world.participant, title="t", problem="p", proposal="q", scope_items=[other]
        )
    assert "scope_items" in error.value.message_dict
    removed = factories.ScopeItemFactory(project=world.project, kind=ScopeKind.CAN)
    ScopeItem.objects.filter(pk=removed.pk).update(removed_at="2026-01-01T00:00Z")
    with pytest.raises(ValidationError):
        services.idea_submit(
            project=world.project, author=world.participant, title="t", problem="p", proposal="q", scope_items=[removed]
        )


# --- Who may put ideas forward ---------------------------------------------------------------------


def test_by_default_members_who_contribute_may_put_ideas_forward_and_outsiders_and_observers_may_not(world):
    assert world.client("participant").get(url(world.project, "new")).status_code == 200
    assert world.client("expert").get(url(world.project, "new")).status_code == 200
    assert world.client("outsider").get(url(world.project, "new")).status_code == 403
    assert world.client("observer").get(url(world.project, "new")).status_code == 403
    assert world.client("anonymous").get(url(world.project, "new")).status_code == 403
    with pytest.raises(ValidationError):
        services.idea_submit(project=world.project, author=world.outsider, title="t", problem="p", proposal="q")


def test_a_project_can_open_ideas_to_anyone_signed_in_but_a_private_project_stays_members_only(world):
    services.space_update(
        user=world.facilitator, project=world.project, is_open=True, participation=Participation.SIGNED_IN
    )
    response = world.client("outsider").post(url(world.project, "new"), form())
    assert response.status_code == 302
    assert Idea.objects.get().author == world.outsider
    services.space_update(
        user=world.facilitator, project=world.private_project, is_open=True, participation=Participation.SIGNED_IN
    )
    assert world.client("outsider").get(url(world.private_project, "new")).status_code == 404
    assert world.client("outsider").get(url(world.private_project)).status_code == 404


def test_when_ideas_are_closed_nobody_can_put_one_forward_but_staff_can_enter_one_for_a_workshop(world):
    world.client("facilitator").post(url(world.project, "settings"), {"participation": "members", "intro": "Hi"})
    assert not IdeaSpace.objects.get(project=world.project).is_open
    response = world.client("participant").post(url(world.project, "new"), form())
    assert response.status_code == 302 and not Idea.objects.exists()
    with pytest.raises(ValidationError):
        services.idea_submit(project=world.project, author=world.participant, title="t", problem="p", proposal="q")
    team = services.idea_submit(
        project=world.project,
        author=world.participant,
        title="Team solution",
        problem="p",
        proposal="q",
        co_authors=[world.expert, world.outsider],
        channel="drop_in",
        entered_by=world.facilitator,
    )
    assert set(IdeaAuthor.objects.filter(idea=team).values_list("user_id", flat=True)) == {
        world.participant.pk,
        world.expert.pk,
        world.outsider.pk,
    }
    assert world.client("participant").get(url(world.project)).status_code == 200


def test_only_facilitators_change_the_idea_settings(world):
    assert world.client("participant").get(url(world.project, "settings")).status_code == 403
    assert world.client("facilitator").get(url(world.project, "settings")).status_code == 200


# --- Co-authors --------------------------------------------------------------------------------------


def test_an_author_adds_a_co_author_who_is_told_and_can_leave_while_the_lead_author_cannot(world, run_tasks, outbox):
    made = idea(world.project, world.participant)
    client = world.client("participant")
    assert client.post(url(world.project, made.pk, "co-authors"), {"user": world.expert.pk}).status_code == 302
    assert IdeaAuthor.objects.filter(idea=made, user=world.expert, left_at__isnull=True).exists()
    run_tasks()
    assert outbox.to("expert@example.org")
    assert "co-author" in outbox.text(outbox.to("expert@example.org")[0])

    assert world.client("expert").post(url(world.project, made.pk, "co-authors", "leave"), {}).status_code == 302
    assert IdeaAuthor.objects.get(idea=made, user=world.expert).left_at is not None  # kept, marked as left
    client.post(url(world.project, made.pk, "co-authors", "leave"), {})
    assert IdeaAuthor.objects.get(idea=made, user=world.participant).left_at is None
    assert any(e.kind == "co_author_left" for e in IdeaEvent.objects.filter(idea=made))


def test_co_authors_are_members_and_only_authors_or_facilitators_add_them(world):
    made = idea(world.project, world.participant)
    response = world.client("participant").post(url(world.project, made.pk, "co-authors"), {"user": world.outsider.pk})
    assert response.status_code == 400
    assert (
        world.client("expert").post(url(world.project, made.pk, "co-authors"), {"user": world.expert.pk}).status_code
        == 403
    )
    with pytest.raises(ValidationError):
        services.co_author_add(user=world.participant, idea=made, co_author=world.observer)


# --- Support and comments ------------------------------------------------------------------------


def test_support_counts_once_per_person_and_can_be_withdrawn(world):
    made = idea(world.project, world.participant)
    client = world.client("expert")
    client.post(url(world.project, made.pk, "support"), {})
    client.post(url(world.project, made.pk, "support"), {})
    made.refresh_from_db()
    assert made.support_count == 1 and Support.objects.filter(idea=made).count() == 1
    with pytest.raises(IntegrityError), transaction.atomic():
        Support.objects.create(idea=made, user=world.expert)
    client.post(url(world.project, made.pk, "support"), {"undo": "1"})
    made.refresh_from_db()
    assert made.support_count == 0
    assert world.client("observer").post(url(world.project, made.pk, "support"), {}).status_code == 403


def test_comments_are_published_escaped_and_can_be_reported_and_hidden(world):
    made = idea(world.project, world.participant)
    response = world.client("expert").post(url(world.project, made.pk, "comments"), {"text": "Good " + XSS})
    assert response.status_code == 302
    comment = IdeaComment.objects.get()
    page = world.client("anonymous").get(url(world.project, made.pk)).content.decode()
    assert "Good &lt;script&gt;" in page and f"/moderation/idea_comment/{comment.pk}/" in page
    report = moderation.report_create(project=world.project, kind="idea_comment", object_id=comment.pk, reason="Rude")
    assert report.kind == "idea_comment"
    assert (
        world.client("anonymous")
        .get(f"/p/{world.project.slug}/moderation/idea_comment/{comment.pk}/report/")
        .status_code
        == 200
    )
    queue = world.client("facilitator").get(f"/p/{world.project.slug}/moderation/").content.decode()
    assert "Good &lt;script&gt;" in queue and f"/ideas/{made.pk}/#comment-{comment.pk}" in queue
    moderation.content_hide(
        user=world.facilitator, project=world.project, kind="idea_comment", object_id=comment.pk, reason="Off topic"
    )
    page = world.client("anonymous").get(url(world.project, made.pk)).content.decode()
    assert "Good &lt;script&gt;" not in page and "Off topic" in page
    assert "Good &lt;script&gt;" in world.client("expert").get(url(world.project, made.pk)).content.decode()


def test_an_empty_comment_is_a_form_error(world):
    made = idea(world.project, world.participant)
    response = world.client("expert").post(url(world.project, made.pk, "comments"), {"text": "  "})
    assert response.status_code == 400 and not IdeaComment.objects.exists()


# --- Revisions and files -------------------------------------------------------------------------------


def test_authors_revise_and_every_earlier_version_stays_readable(world):
    made = idea(world.project, world.participant, title="First title")
    client = world.client("participant")
    response = client.post(
        url(world.project, made.pk, "revise"),
        form(title="Second title", scope_items=[fixed_item(world.project).pk], note="Clearer"),
    )
    assert response.status_code == 302
    made.refresh_from_db()
    assert made.title == "Second title" and made.version == 2 and made.touches_fixed
    assert list(IdeaVersion.objects.filter(idea=made).values_list("number", "title")) == [
        (2, "Second title"),
        (1, "First title"),
    ]
    old = client.get(url(world.project, made.pk, "versions", 1)).content.decode()
    assert "First title" in old
    assert world.client("expert").get(url(world.project, made.pk, "revise")).status_code == 403
    assert client.get(url(world.project, made.pk, "versions", 9)).status_code == 404


def _pdf() -> SimpleUploadedFile:
    return SimpleUploadedFile("plan <b>.pdf", b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", "application/pdf")


def _png() -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (20, 10), "red").save(out, format="PNG")
    return SimpleUploadedFile("sketch.png", out.getvalue(), "image/png")


def test_files_are_checked_by_what_is_in_them_and_served_through_the_idea_access_rules(world):
    made = idea(world.private_project, world.participant)
    client = world.client("participant")
    base = url(world.private_project, made.pk, "files")
    assert client.post(base, {"file": _pdf(), "description": "The plan"}).status_code == 302
    assert client.post(base, {"file": _png(), "description": "A sketch"}).status_code == 302
    fake = SimpleUploadedFile("virus.pdf", b"MZ\x90\x00 not a pdf", "application/pdf")
    response = client.post(base, {"file": fake, "description": "Bad"})
    assert response.status_code == 400 and "not accepted" in response.content.decode()
    macro = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(macro, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w/>")
        archive.writestr("word/vbaProject.bin", b"macro")
    response = client.post(base, {"file": SimpleUploadedFile("a.docm", macro.getvalue()), "description": "Macro"})
    assert response.status_code == 400
    pdf, png = IdeaAttachment.objects.order_by("id")
    assert (pdf.kind, png.kind) == ("pdf", "png") and pdf.name == "plan b.pdf"
    served = client.get(f"{base}{pdf.pk}/")
    assert served.status_code == 200 and served["Content-Disposition"].startswith("attachment")
    assert b"".join(served.streaming_content).startswith(b"%PDF-")
    assert client.get(f"{base}{png.pk}/")["Content-Type"] == "image/png"
    assert world.client("outsider").get(f"{base}{pdf.pk}/").status_code == 404
    assert world.client("expert").post(base, {"file": _pdf(), "description": "x"}).status_code == 403


# --- Statuses and who is told ----------------------------------------------------------------------


def test_not_taken_forward_needs_a_reason_in_plain_words_in_the_form_the_service_and_the_database(world):
    made = idea(world.project, world.participant)
    response = world.client("facilitator").post(url(world.project, made.pk, "status"), {"status": "not_taken"})
    assert response.status_code == 400 and "Say in plain words why" in response.content.decode()
    with pytest.raises(ValidationError):
        services.idea_set_status(user=world.facilitator, idea=made, status="not_taken", reason="  ")
    with pytest.raises(IntegrityError), transaction.atomic():
        Idea.objects.filter(pk=made.pk).update(status="not_taken", status_reason="")
    assert world.client("participant").get(url(world.project, made.pk, "status")).status_code == 403


def test_every_status_change_tells_the_authors_and_supporters_who_want_email_through_the_task_queue(
    world, run_tasks, outbox
):
    made = idea(world.project, world.participant, co_authors=[world.expert])
    quiet = factories.UserFactory(email="quiet@example.org", notify_by_email=False)
    weekly = factories.UserFactory(email="weekly@example.org", email_frequency=EmailFrequency.WEEKLY)
    eager = factories.UserFactory(email="eager@example.org")
    for person in (quiet, weekly, eager, world.facilitator):
        Support.objects.create(idea=made, user=person)
    run_tasks()
    outbox.refresh()
    before = len(outbox)
    response = world.client("facilitator").post(
        url(world.project, made.pk, "status"), {"status": "not_taken", "reason": "It is outside the budget " + XSS}
    )
    assert response.status_code == 302
    assert len(outbox.refresh()) == before  # nothing is sent in the request
    run_tasks()
    for address in ("participant@example.org", "expert@example.org", "eager@example.org"):
        messages = outbox.to(address)
        assert messages, address
        assert "It is outside the budget <script>" in outbox.text(messages[-1])
        assert "&lt;script&gt;" in messages[-1].get_body(preferencelist=("html",)).get_content()
    assert not outbox.to("quiet@example.org")
    assert not outbox.to("facilitator@example.org")  # the person who made the change
    assert not outbox.to("weekly@example.org")
    assert IdeaNotice.objects.filter(user=weekly, sent_at__isnull=True).count() == 1
    tasks.send_digests.enqueue()
    run_tasks()
    assert "outside the budget" in outbox.text(outbox.to("weekly@example.org")[0])
    assert IdeaNotice.objects.filter(sent_at__isnull=True).count() == 0
    made.refresh_from_db()
    assert made.status == "not_taken"
    event = IdeaEvent.objects.filter(idea=made, kind="status").get()
    assert event.note.startswith("It is outside the budget")
    assert ActivityEntry.objects.order_by("-id").first().verb == "ideas.not_taken_forward"


def test_taken_to_a_decision_links_the_idea_and_both_pages_show_it(world, run_tasks):
    made = idea(world.project, world.participant)
    decision = factories.decision(world.project, title="Which crossing first", method="single", options=["A", "B"])
    response = world.client("facilitator").post(
        url(world.project, made.pk, "status"), {"status": "taken", "decision": decision.pk}
    )
    assert response.status_code == 302
    assert [link.source_id for link in links_to(decision)] == [made.pk]
    page = world.client("anonymous").get(url(world.project, made.pk)).content.decode()
    assert "What became of it" in page and "Which crossing first" in page
    # The decision's own record lists where it came from (shown once the decision is closed).
    from copro.decisions.selectors import decision_links

    assert [link.source for link in decision_links(decision, Role.PUBLIC)["from"]] == [made]
    other = factories.decision(world.private_project, method="single", options=["A", "B"])
    with pytest.raises(ValidationError):
        services.idea_set_status(user=world.facilitator, idea=made, status="taken", decision=other)


# --- Merging and splitting -----------------------------------------------------------------------


def test_merging_carries_supporters_and_authors_over_without_counting_anyone_twice_and_keeps_the_history(
    world, run_tasks, outbox
):
    duplicate = idea(world.project, world.participant, title="Crossing by the shop")
    keeper = idea(world.project, world.expert, title="Crossing on Heol Trelái")
    a, b, c = (factories.UserFactory() for _ in range(3))
    for person in (a, b):
        services.idea_support(user=person, idea=duplicate)
    for person in (b, c):
        services.idea_support(user=person, idea=keeper)
    services.comment_add(user=a, idea=duplicate, text="Comment on the duplicate")
    response = world.client("facilitator").post(
        url(world.project, duplicate.pk, "merge"), {"target": keeper.pk, "note": "Same crossing"}
    )
    assert response.status_code == 302
    keeper.refresh_from_db()
    duplicate.refresh_from_db()
    assert keeper.support_count == 3 and Support.objects.filter(idea=keeper).count() == 3
    assert duplicate.merged_into == keeper and duplicate.is_read_only
    assert IdeaAuthor.objects.filter(idea=keeper, user=world.participant, came_from=duplicate).exists()
    old_page = world.client("anonymous").get(url(world.project, duplicate.pk)).content.decode()
    assert "This idea was merged into" in old_page and "Comment on the duplicate" in old_page
    new_page = world.client("anonymous").get(url(world.project, keeper.pk)).content.decode()
    assert "Ideas merged into this one" in new_page and "Crossing by the shop" in new_page
    assert "Same crossing" in new_page and "suggested it; merged on" in new_page and XSS not in new_page
    with pytest.raises(ValidationError):
        services.idea_support(user=c, idea=duplicate)
    with pytest.raises(ValidationError):
        services.idea_merge(user=world.facilitator, source=keeper, target=duplicate)
    contributors = set(registry.contributors("ideas.idea")([keeper.pk]))
    assert {world.participant.pk, world.expert.pk, a.pk, b.pk, c.pk} <= contributors
    run_tasks()
    assert outbox.to(a.email)  # supporters of the merged idea are told where it went


def test_splitting_makes_new_ideas_linked_back_with_the_original_authors_and_keeps_the_original(world):
    whole = idea(world.project, world.participant, co_authors=[world.expert], scope_items=[fixed_item(world.project)])
    response = world.client("facilitator").post(
        url(world.project, whole.pk, "split"),
        {
            "parts": "2",
            "go": "1",
            "title_1": "Part one",
            "proposal_1": "The crossing",
            "title_2": "Part two",
            "proposal_2": "The benches",
            "note": "Two ideas in one",
        },
    )
    assert response.status_code == 302
    whole.refresh_from_db()
    parts = list(Idea.objects.filter(split_from=whole).order_by("id"))
    assert [p.title for p in parts] == ["Part one", "Part two"] and whole.is_read_only
    for part in parts:
        assert set(IdeaAuthor.objects.filter(idea=part).values_list("user_id", flat=True)) == {
            world.participant.pk,
            world.expert.pk,
        }
        assert part.author == world.participant and part.problem == whole.problem and part.touches_fixed
    page = world.client("anonymous").get(url(world.project, whole.pk)).content.decode()
    assert "Part one" in page and "split into new ideas" in page
    assert "Split from" in world.client("anonymous").get(url(world.project, parts[0].pk)).content.decode()
    missing = world.client("facilitator").post(
        url(world.project, parts[0].pk, "split"), {"parts": "2", "go": "1", "title_1": "x", "proposal_1": "y"}
    )
    assert missing.status_code == 400 and not Idea.objects.filter(split_from=parts[0]).exists()


# --- The list, other components' questions, exports, personal data -------------------------------------


def test_the_list_filters_sorts_searches_and_pages(world):
    quiet = idea(world.project, world.participant, title="Quiet idea")
    popular = idea(world.project, world.participant, title="Popular idea", scope_items=[fixed_item(world.project)])
    for _ in range(3):
        services.idea_support(user=factories.UserFactory(), idea=popular)
    client = world.client("anonymous")
    page = client.get(url(world.project), {"sort": "supported"}).content.decode()
    assert page.index("Popular idea") < page.index("Quiet idea")
    page = client.get(url(world.project), {"fixed": "on"}).content.decode()
    assert "Popular idea" in page and "Quiet idea" not in page
    page = client.get(url(world.project), {"q": "quiet"}).content.decode()
    assert "Quiet idea" in page and "Popular idea" not in page
    services.idea_set_status(user=world.facilitator, idea=quiet, status="shortlisted")
    page = client.get(url(world.project), {"status": "shortlisted"}).content.decode()
    assert "Quiet idea" in page and "Popular idea" not in page
    page = client.get(url(world.project), {"scope": str(fixed_item(world.project).pk)}).content.decode()
    assert "Popular idea" in page and "Quiet idea" not in page
    assert client.get(url(world.project), {"scope": "99999999999999999999999", "page": "x"}).status_code == 200
    for n in range(25):
        idea(world.project, world.expert, title=f"Idea number {n}")
    second = client.get(url(world.project), {"page": "2"}).content.decode()
    assert "Page 2 of 2" in second


def _grow_idea_page(world, main, n: int) -> None:  # type: ignore[no-untyped-def]
    """n more of what the idea's page lists: ideas merged into it (each by its own author), files and decisions."""
    for k in range(n):
        writer = factories.UserFactory()
        duplicate = idea(world.project, writer, title=f"Duplicate {k}")
        services.idea_merge(user=world.facilitator, source=duplicate, target=main)
        services.attachment_add(user=world.participant, idea=main, upload=_pdf(), description=f"Plan {k}")
        decision = factories.decision(world.project, title=f"Decision {k}", method="single", options=["A", "B"])
        services.idea_link_decision(user=world.facilitator, idea=main, decision=decision)


@pytest.mark.parametrize("persona", ["anonymous", "facilitator"])
def test_the_list_and_an_idea_page_take_the_same_number_of_queries_at_two_sizes(world, persona):
    client = world.client(persona)
    main = idea(world.project, world.participant, scope_items=[can_item(world.project)])
    _grow_idea_page(world, main, 1)
    client.get(url(world.project, main.pk))  # warm the content-type cache, which is per process
    counts = {}
    for size in ("small", "large"):
        if size == "large":
            for n in range(40):
                other = idea(world.project, world.expert, title=f"More {n}", scope_items=[fixed_item(world.project)])
                services.comment_add(user=world.participant, idea=other, text="Hmm")
            for _ in range(15):
                person = factories.UserFactory()
                services.idea_support(user=person, idea=main)
                services.comment_add(user=person, idea=main, text="Yes")
            _grow_idea_page(world, main, 6)
        for name in ("list", "detail"):
            with CaptureQueriesContext(connection) as queries:
                target = url(world.project) if name == "list" else url(world.project, main.pk)
                assert client.get(target).status_code == 200
            counts[(name, size)] = len(queries)
    page = client.get(url(world.project, main.pk)).content.decode()
    assert page.count("suggested it; merged on") == 7 and page.count("Taken to the decision") == 7
    assert page.count("/files/") >= 7
    assert counts[("list", "small")] == counts[("list", "large")]
    assert counts[("detail", "small")] == counts[("detail", "large")]
    assert counts[("list", "large")] <= 15 and counts[("detail", "large")] <= 30


def test_private_ideas_are_a_404_for_outsiders_and_public_ones_readable_by_anyone(world):
    secret = idea(world.private_project, world.participant)
    for persona in ("outsider", "anonymous"):
        assert world.client(persona).get(url(world.private_project)).status_code == 404
        assert world.client(persona).get(url(world.private_project, secret.pk)).status_code == 404
    public = idea(world.project, world.participant)
    assert world.client("anonymous").get(url(world.project, public.pk)).status_code == 200
    assert world.client("anonymous").get(url(world.project, 99999)).status_code == 404
    assert world.client("participant").get(url(world.project, secret.pk)).status_code == 404  # another project's idea


def test_idea_origin_counts_by_the_role_of_who_put_each_idea_forward(world):
    from datetime import timedelta

    from django.utils import timezone

    idea(world.project, world.participant)
    idea(world.project, world.participant)
    idea(world.project, world.expert)
    whole = idea(world.project, world.facilitator)
    services.idea_split(
        user=world.facilitator, idea=whole, parts=[{"title": "a", "proposal": "b"}, {"title": "c", "proposal": "d"}]
    )
    idea(world.project, world.outsider)
    idea(world.private_project, world.participant)
    counts = selectors.idea_origin_counts(world.project)
    assert counts == {"participant": 2, "expert": 1, "facilitator": 1, "observer": 0, "outsider": 1, "total": 5}
    later = timezone.now() + timedelta(days=1)
    assert selectors.idea_origin_counts(world.project, start=later)["total"] == 0
    assert selectors.idea_origin_counts(world.project, end=later)["total"] == 5


def test_the_export_lists_every_idea_with_its_flag_and_status(world):
    idea(world.project, world.participant, title="=SUM(A1)", scope_items=[fixed_item(world.project)])
    response = world.client("anonymous").get(f"/p/{world.project.slug}/export/ideas.csv")
    text = b"".join(response.streaming_content).decode()
    assert response.status_code == 200 and "'=SUM(A1)" in text and "touches_fixed" in text and "True" in text
    data = world.client("anonymous").get(f"/p/{world.project.slug}/export/ideas.json").json()
    assert data[0]["status"] == "submitted"


def test_personal_data_and_erasure(world):
    from copro.accounts.services import account_erase

    made = idea(world.project, world.participant)
    services.comment_add(user=world.participant, idea=made, text="Mine")
    other = idea(world.project, world.expert)
    services.idea_support(user=world.participant, idea=other)
    data = registry.get("ideas").personal_data(world.participant)
    assert data["ideas"][0]["put_forward_by_me"] and data["idea_comments"][0]["text"] == "Mine"
    assert len(data["idea_supports"]) == 1
    account_erase(user=world.participant)
    made.refresh_from_db()
    assert made.author is None and not Support.objects.filter(user=world.participant).exists()
    assert "A former participant" in client_for(None).get(url(world.project, made.pk)).content.decode()


def test_the_dashboard_counts_ideas(world):
    idea(world.project, world.participant, scope_items=[fixed_item(world.project)])
    counts = {str(c.label): c.value for c in registry.get("ideas").dashboard(world.project, Role.PARTICIPANT)}
    assert counts["Ideas"] == 1 and counts["Ideas touching something fixed"] == 1


def test_the_demo_adds_ideas_one_touching_something_fixed_and_a_closed_round_with_reviews(world, run_tasks):
    from copro.ideas.demo import add_demo
    from copro.ideas.models import ReviewRound, ReviewScore

    second = factories.UserFactory()
    factories.MembershipFactory(project=world.project, user=second, role="participant")
    add_demo(world.project, world.facilitator, [world.participant, second, world.expert])
    assert Idea.objects.filter(project=world.project).count() == 3
    assert Idea.objects.filter(project=world.project, touches_fixed=True).exists()
    the_round = ReviewRound.objects.get(project=world.project)
    # The two peers review each other's idea (nobody reviews their own); the expert reviews both.
    assert the_round.status == "closed" and ReviewScore.objects.filter(round=the_round).count() == (1 + 1 + 2) * 6
    for score in ReviewScore.objects.filter(round=the_round).select_related("reviewer"):
        assert not IdeaAuthor.objects.filter(idea=score.idea_id, user=score.reviewer.user_id).exists()
    assert IdeaComment.objects.exists() and Support.objects.exists()
    run_tasks()


def test_the_weekly_summary_command_sends_waiting_news(world, outbox):
    from django.core.management import call_command

    weekly = factories.UserFactory(email="weekly2@example.org", email_frequency=EmailFrequency.WEEKLY)
    made = idea(world.project, world.participant)
    services.idea_support(user=weekly, idea=made)
    services.idea_set_status(user=world.facilitator, idea=made, status="shortlisted")
    tasks.notify_events.call(event_ids=list(IdeaEvent.objects.filter(kind="status").values_list("pk", flat=True)))
    out = io.StringIO()
    call_command("ideas", "digest", "--now", stdout=out)
    assert "sent 1" in out.getvalue()
    assert "Shortlisted" in outbox.text(outbox.to("weekly2@example.org")[0])


# --- Review findings: files, hiding ideas, races, counts, links, limits, staff entry -----------------------


def _meanwhile(table: str, action):  # type: ignore[no-untyped-def]
    """Run `action` once, right after the first query that reads `table` (quoted, as in the SQL): as if another
    request had written at that moment, between this one's check and its write (what happens on PostgreSQL
    when two people click at once). No mock: the rows are really written, on the same database."""
    done: list[bool] = []

    def wrapper(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        result = execute(sql, params, many, context)
        if not done and sql.lstrip().upper().startswith("SELECT") and table in sql:
            done.append(True)
            action()
        return result

    return connection.execute_wrapper(wrapper)


def test_the_same_file_form_sent_twice_adds_the_file_once(world):
    made = idea(world.project, world.participant)
    client = world.client("participant")
    detail = client.get(url(world.project, made.pk))
    token = detail.context["attachment_form"].initial["form_token"]
    assert f'value="{token}"' in detail.content.decode()
    first = client.post(
        url(world.project, made.pk, "files"), {"file": _pdf(), "description": "Plan", "form_token": token}
    )
    again = client.post(
        url(world.project, made.pk, "files"), {"file": _pdf(), "description": "Plan", "form_token": token}
    )
    assert first.status_code == 302 and again.status_code == 302
    assert IdeaAttachment.objects.filter(idea=made).count() == 1
    assert IdeaEvent.objects.filter(idea=made, kind="attachment").count() == 1


def test_authors_and_facilitators_remove_a_file_which_is_then_never_served_and_the_history_says_so(
    world, settings, django_capture_on_commit_callbacks
):
    made = idea(world.project, world.participant, co_authors=[world.expert])
    services.attachment_add(user=world.participant, idea=made, upload=_pdf(), description="The plan " + XSS)
    attached = IdeaAttachment.objects.get()
    stored = attached.file.name
    storage = attached.file.storage
    assert storage.exists(stored)
    file_url = url(world.project, made.pk, "files", attached.pk)
    remove_url = url(world.project, made.pk, "files", attached.pk, "remove")
    # Not an author, not a facilitator: refused, and nothing changes.
    assert world.client("observer").post(remove_url, {}).status_code == 403
    other = factories.UserFactory()
    factories.MembershipFactory(project=world.project, user=other, role="participant")
    assert client_for(other).post(remove_url, {}).status_code == 403
    assert world.client("anonymous").get(file_url).status_code == 200

    client = world.client("expert")  # a co-author
    confirm = client.get(remove_url)
    assert confirm.status_code == 200 and "Remove this file?" in confirm.content.decode()
    assert "The plan &lt;script&gt;" in confirm.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(remove_url, {}).status_code == 302
    attached.refresh_from_db()
    assert attached.removed_at is not None and attached.removed_by == world.expert
    assert attached.name == "plan b.pdf" and not attached.file  # the record stays; the file is gone
    assert not storage.exists(stored)
    assert world.client("participant").get(file_url).status_code == 404
    assert client.post(remove_url, {}).status_code == 404  # already removed
    page = world.client("anonymous").get(url(world.project, made.pk)).content.decode()
    assert file_url not in page and "file removed" in page and "plan b.pdf" in page
    assert IdeaEvent.objects.filter(idea=made, kind="attachment_removed", actor=world.expert).count() == 1
    # A removed file no longer counts towards the limit.
    settings.COPRO_IDEAS_ATTACHMENTS_PER_IDEA = 1
    services.attachment_add(user=world.participant, idea=made, upload=_pdf(), description="A better plan")

    # On a merged idea (kept as it was), only a facilitator can still take a file down.
    keeper = idea(world.project, world.expert, title="Keeper")
    services.idea_merge(user=world.facilitator, source=made, target=keeper)
    current = IdeaAttachment.objects.get(idea=made, removed_at__isnull=True)
    remove_current = url(world.project, made.pk, "files", current.pk, "remove")
    assert world.client("participant").post(remove_current, {}).status_code == 302
    assert IdeaAttachment.objects.get(pk=current.pk).removed_at is None
    assert world.client("facilitator").post(remove_current, {}).status_code == 302
    assert IdeaAttachment.objects.get(pk=current.pk).removed_at is not None


def test_an_idea_can_be_reported_and_hidden_and_then_only_its_authors_and_facilitators_see_it(world, run_tasks, outbox):
    hidden = idea(world.project, world.participant, title="Names my neighbour " + XSS, co_authors=[world.expert])
    shown = idea(world.project, world.expert, title="Benches on the hill")
    anonymous = world.client("anonymous")
    page = anonymous.get(url(world.project, hidden.pk)).content.decode()
    report_link = f"/p/{world.project.slug}/moderation/idea/{hidden.pk}/report/"
    assert report_link in page
    response = anonymous.post(report_link, {"reason": "It names my neighbour"})
    assert response.status_code == 200
    queue = world.client("facilitator").get(f"/p/{world.project.slug}/moderation/").content.decode()
    assert "Names my neighbour &lt;script&gt;" in queue and f"/ideas/{hidden.pk}/" in queue

    response = world.client("facilitator").post(
        f"/p/{world.project.slug}/moderation/idea/{hidden.pk}/hide/", {"reason": "It names a private person."}
    )
    assert response.status_code == 302
    hidden.refresh_from_db()
    assert hidden.is_hidden and hidden.hidden_by == world.facilitator
    run_tasks()
    told = outbox.to(world.participant.email)
    assert told and "It names a private person." in outbox.text(told[-1])

    # Everyone else: not in the list, the API, the export or the dashboard; its page is a 404.
    for persona in ("anonymous", "observer", "outsider"):
        client = world.client(persona)
        listed = client.get(url(world.project)).content.decode()
        assert "Benches on the hill" in listed and "Names my neighbour" not in listed
        assert client.get(url(world.project, hidden.pk)).status_code == 404
        assert client.get(f"/api/projects/{world.project.slug}/ideas/{hidden.pk}/").status_code == 404
        api_titles = [i["title"] for i in client.get(f"/api/projects/{world.project.slug}/ideas/").json()["results"]]
        assert api_titles == ["Benches on the hill"]
    exported = world.client("anonymous").get(f"/p/{world.project.slug}/export/ideas.json").json()
    assert [row["id"] for row in exported] == [shown.pk]
    counts = {str(c.label): c.value for c in registry.get("ideas").dashboard(world.project, Role.PARTICIPANT)}
    assert counts["Ideas"] == 1
    # Its authors (the co-author too) and facilitators still see it, with the reason.
    for persona in ("participant", "expert", "facilitator"):
        client = world.client(persona)
        page = client.get(url(world.project, hidden.pk))
        assert page.status_code == 200, persona
        text = page.content.decode()
        assert "A facilitator hid this idea" in text and "It names a private person." in text
        assert "Names my neighbour &lt;script&gt;" in client.get(url(world.project)).content.decode()
        body = client.get(f"/api/projects/{world.project.slug}/ideas/{hidden.pk}/").json()
        assert body["hidden"] is True and body["hidden_reason"] == "It names a private person."
    assert "Show it again" in world.client("facilitator").get(url(world.project, hidden.pk)).content.decode()
    # Shown again: back for everyone.
    assert (
        world.client("facilitator").post(f"/p/{world.project.slug}/moderation/idea/{hidden.pk}/unhide/", {}).status_code
        == 302
    )
    assert world.client("anonymous").get(url(world.project, hidden.pk)).status_code == 200


def test_two_people_adding_the_same_co_author_at_once_find_it_done_not_an_error(world, run_tasks, outbox):
    made = idea(world.project, world.participant)

    def someone_else_adds_them() -> None:
        IdeaAuthor.objects.create(idea=made, user=world.expert, added_by=world.facilitator)

    with _meanwhile('"ideas_ideaauthor"', someone_else_adds_them):
        authorship = services.co_author_add(user=world.participant, idea=made, co_author=world.expert)
    assert authorship.user == world.expert and authorship.left_at is None
    assert IdeaAuthor.objects.filter(idea=made, user=world.expert).count() == 1
    assert not IdeaEvent.objects.filter(idea=made, kind="co_author_added").exists()  # this request added nobody


def test_the_co_author_limit_counts_co_authors_so_an_idea_never_has_more_than_the_limit(world):
    from copro.accounts.services import account_erase

    people = [factories.UserFactory() for _ in range(services.CO_AUTHORS_MAX + 1)]
    for person in people:
        factories.MembershipFactory(project=world.project, user=person, role="participant")
    made = idea(world.project, world.participant, co_authors=people[: services.CO_AUTHORS_MAX])
    with pytest.raises(ValidationError, match="at most 20 co-authors"):
        services.co_author_add(user=world.facilitator, idea=made, co_author=people[-1])
    # The person who put it forward erased their account: there are still 20 co-authors, and no room for a 21st.
    account_erase(user=world.participant)
    assert IdeaAuthor.objects.filter(idea=made, left_at__isnull=True).count() == services.CO_AUTHORS_MAX
    with pytest.raises(ValidationError, match="at most 20 co-authors"):
        services.co_author_add(user=world.facilitator, idea=made, co_author=people[-1])
    # One leaves: room for one more.
    services.co_author_leave(user=people[0], idea=made)
    services.co_author_add(user=world.facilitator, idea=made, co_author=people[-1])
    assert IdeaAuthor.objects.filter(idea=made, left_at__isnull=True).count() == services.CO_AUTHORS_MAX


def test_merging_adds_the_newly_moved_supporters_and_keeps_those_who_erased_their_account(world):
    from copro.accounts.services import account_erase

    duplicate = idea(world.project, world.participant, title="Crossing by the shop")
    keeper = idea(world.project, world.expert, title="Crossing on Heol Trelái")
    gone, both, new = (factories.UserFactory() for _ in range(3))
    services.idea_support(user=gone, idea=keeper)
    services.idea_support(user=both, idea=keeper)
    services.idea_support(user=both, idea=duplicate)
    services.idea_support(user=new, idea=duplicate)
    account_erase(user=gone)  # their support row goes; the count keeps them
    keeper.refresh_from_db()
    assert keeper.support_count == 2 and Support.objects.filter(idea=keeper).count() == 1
    merged = services.idea_merge(user=world.facilitator, source=duplicate, target=keeper)
    # gone and both were there; new moves over; both is not counted twice.
    assert merged.support_count == 3
    assert set(Support.objects.filter(idea=keeper).values_list("user_id", flat=True)) == {both.pk, new.pk}


def test_linking_the_same_decision_again_adds_no_second_history_entry(world):
    made = idea(world.project, world.participant)
    decision = factories.decision(world.project, title="Which crossing first", method="single", options=["A", "B"])
    services.idea_set_status(user=world.facilitator, idea=made, status="taken", decision=decision)
    assert services.idea_link_decision(user=world.facilitator, idea=made, decision=decision) is False
    # The status form sent again with the same decision: linked already, nothing new in the history.
    response = world.client("facilitator").post(
        url(world.project, made.pk, "status"), {"status": "taken", "decision": decision.pk}
    )
    assert response.status_code == 302
    assert len(links_to(decision)) == 1
    assert IdeaEvent.objects.filter(idea=made, kind="decision").count() == 0
    other = factories.decision(world.project, title="Which bench first", method="single", options=["A", "B"])
    assert services.idea_link_decision(user=world.facilitator, idea=made, decision=other) is True
    assert services.idea_link_decision(user=world.facilitator, idea=made, decision=other) is False
    assert IdeaEvent.objects.filter(idea=made, kind="decision").count() == 1


def test_staff_enter_an_idea_that_came_on_paper_by_phone_or_at_a_drop_in(world):
    enter = url(world.project, "enter")
    for persona in ("participant", "expert", "observer"):
        assert world.client(persona).get(enter).status_code == 403
    assert world.client("outsider").get(enter).status_code == 403
    # Ideas closed online: a paper form handed in on time is still entered.
    services.space_update(user=world.facilitator, project=world.project, is_open=False, participation="members")
    client = world.client("facilitator")
    first = client.get(enter)
    assert first.status_code == 200
    page = first.content.decode()
    assert "How did this idea reach you?" in page and "Someone without an account" in page
    token = first.context["form"].initial["form_token"]
    data = form(
        channel="paper",
        author="",
        author_name="Mrs Ŵyn Jones " + XSS,
        scope_items=[fixed_item(world.project).pk],
        form_token=token,
    )
    response = client.post(enter, data)
    assert response.status_code == 302
    assert client.post(enter, data).status_code == 302  # sent twice: entered once
    made = Idea.objects.get()
    assert made.author is None and made.author_name == "Mrs Ŵyn Jones " + XSS
    assert made.channel == "paper" and made.entered_by == world.facilitator and made.touches_fixed
    assert not IdeaAuthor.objects.filter(idea=made).exists()
    shown = world.client("anonymous").get(url(world.project, made.pk)).content.decode()
    assert "Mrs Ŵyn Jones &lt;script&gt;" in shown and "reached us by: Paper form" in shown
    assert "This idea touches something fixed" in shown
    assert ActivityEntry.objects.filter(verb="ideas.submitted").get().actor == world.facilitator

    # For a member with an account: their idea, shown with their name; no name given: "someone without an account".
    client.post(enter, form(channel="phone", author=str(world.participant.pk), title="By phone"))
    by_phone = Idea.objects.get(title="By phone")
    assert by_phone.author == world.participant and by_phone.channel == "phone"
    assert IdeaAuthor.objects.get(idea=by_phone).is_lead
    client.post(enter, form(channel="drop_in", author="", title="At the drop-in"))
    assert "Someone without an account" in world.client("anonymous").get(url(world.project)).content.decode()
    # Online is not a way for an idea to reach staff; a made-up member is refused.
    bad = client.post(enter, form(channel="online", author=str(world.outsider.pk)))
    assert bad.status_code == 400
    assert {"channel", "author"} <= set(bad.context["form"].errors)


def test_ticked_scope_lines_that_cannot_be_ids_are_a_form_error_not_a_500(world):
    client = world.client("participant")
    for bad in (str(10**30), "²", "0"):
        response = client.post(url(world.project, "new"), form(scope_items=[bad]))
        assert response.status_code == 400, bad
        assert "Choose from the project's scope." in html.unescape(response.content.decode())
    assert not Idea.objects.exists()


def test_a_search_with_control_characters_finds_what_the_text_without_them_finds(world):
    made = idea(world.project, world.participant, title="Benches on the hill")
    client = world.client("anonymous")
    listed = client.get(f"/api/projects/{world.project.slug}/ideas/", {"q": "Ben\x00ches"})
    assert listed.status_code == 200 and [i["id"] for i in listed.json()["results"]] == [made.pk]


# --- What hiding an idea takes out of public view ----------------------------------------------------------


def _hide(world, the_idea):
    moderation.content_hide(
        user=world.facilitator, project=world.project, kind="idea", object_id=the_idea.pk, reason="Abuse"
    )
    the_idea.refresh_from_db()


def test_a_hidden_ideas_title_is_not_shown_through_the_ideas_merged_into_it_or_split_from_it(world):
    hidden = idea(world.project, world.participant, title="RUDE-TITLE")
    kept = idea(world.project, world.expert, title="Benches on the hill")
    services.idea_merge(user=world.facilitator, source=hidden, target=kept, note="")
    parent = idea(world.project, world.participant, title="RUDE-PARENT")
    part, _other = services.idea_split(
        user=world.facilitator,
        idea=parent,
        parts=[
            {"title": "Part one", "problem": "P", "proposal": "Q"},
            {"title": "Part two", "problem": "P", "proposal": "Q"},
        ],
        note="",
    )
    into = idea(world.project, world.participant, title="Visible idea")
    rude_target = idea(world.project, world.expert, title="RUDE-TARGET")
    services.idea_merge(user=world.facilitator, source=into, target=rude_target, note="")
    for item in (hidden, parent, rude_target):
        _hide(world, item)
    for persona in ("anonymous", "participant", "expert"):
        client = world.client(persona)
        for shown in (kept, part, into):
            page = client.get(url(world.project, shown.pk)).content.decode()
            assert "RUDE-" not in page, (persona, shown.title)
            history = client.get(f"/api/projects/{world.project.slug}/ideas/{shown.pk}/history/").json()
            assert "RUDE-" not in str(history), (persona, shown.title)
        assert "RUDE-" not in client.get(f"/p/{world.project.slug}/activity/").content.decode(), persona
        feed = client.get(f"/p/{world.project.slug}/open-data/feed.json").content.decode()
        assert "RUDE-" not in feed, persona
    # Facilitators still see what it was.
    page = world.client("facilitator").get(url(world.project, kept.pk)).content.decode()
    assert "RUDE-TITLE" in page


def test_work_on_a_hidden_idea_goes_in_the_staff_log_only(world):
    made = idea(world.project, world.participant, title="Benches")
    _hide(world, made)
    services.idea_revise(
        user=world.participant,
        idea=made,
        title="NEW-HIDDEN-TITLE",
        problem="P",
        proposal="Q",
        note="Kinder words",
    )
    entry = ActivityEntry.objects.filter(verb="ideas.revised").get()
    assert entry.visibility == "staff"
    for persona in ("anonymous", "participant"):
        assert (
            "NEW-HIDDEN-TITLE" not in world.client(persona).get(f"/p/{world.project.slug}/activity/").content.decode()
        )
    assert "NEW-HIDDEN-TITLE" in world.client("facilitator").get(f"/p/{world.project.slug}/audit/").content.decode()


def test_what_became_of_an_idea_shows_only_the_commitments_the_reader_may_see(world):
    from tests import factories_followthrough as ft

    made = idea(world.project, world.participant)
    ft.commitment(world.project, created_by=world.facilitator, source=made, title="PUBLIC-PROMISE")
    ft.commitment(
        world.project, created_by=world.facilitator, source=made, title="MEMBERS-PROMISE", visibility="members"
    )
    ft.commitment(world.project, created_by=world.facilitator, source=made, title="STAFF-PROMISE", visibility="staff")
    seen = {
        persona: world.client(persona).get(url(world.project, made.pk)).content.decode()
        for persona in ("anonymous", "participant", "facilitator")
    }
    assert "PUBLIC-PROMISE" in seen["anonymous"] and "MEMBERS-PROMISE" not in seen["anonymous"]
    assert "STAFF-PROMISE" not in seen["anonymous"] and "STAFF-PROMISE" not in seen["participant"]
    assert "MEMBERS-PROMISE" in seen["participant"]
    assert "STAFF-PROMISE" in seen["facilitator"]
